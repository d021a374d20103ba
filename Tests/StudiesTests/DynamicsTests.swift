import Foundation
import MonteCarlo
import Reporting
@testable import Studies
import Testing

/// The dynamics study against T5 (docs/SCIENCE.md): SGD's closed form, the β₂ → 1 fixed point of
/// RMSProp and Adam, the two regimes around h_c, and failures reported as failures.
///
/// Bounds: 4.5 MCSE per row over 24 independent chains (t₂₃: P(|t| > 4.5) ≈ 1.6e-4 per row, about
/// 0.5% over the ~30 rows of a test); fixed seeds make each test pass or fail every time.
struct DynamicsTests {
    static let bound = 4.5

    /// At β₂ = 0.9999 v̂ barely moves, so v and Var(δ) sit at T5's fixed point (its own error,
    /// about 0.05% here, is far below these MCSEs of about 1%); SGD matches its closed form exactly.
    @Test func sgdAndTheFixedPointAtBeta2NearOne() throws {
        let (_, results) = try run("""
            {"study": "dynamics", "seed": 21, "replications": 24,
             "fixed": {"lr": 0.01, "beta2": 0.9999, "noise_sigma": 0.002, "spectrum": [0.1, 0.5, 2, 8, 30, 120],
                       "steps": 60000, "burn_in": 30000},
             "grid": {"optimizer": ["sgd", "rmsprop", "adam"]}}
            """)
        for result in results {
            for quantity in ["v", "var_delta"] {
                let rows = estimates(result, quantity)
                #expect(rows.count == 6)
                for e in rows {
                    #expect(abs(z(e)) < Self.bound, "\(result.cell[Dynamics.optimizer]) \(quantity)[\(e.output.index!)]: \(e.estimate) ± \(e.mcse!) vs \(e.output.theory.value!)")
                }
            }
        }
        // Sharpness is a time average of a maximum, so it exceeds T5's max of averages by Jensen's
        // gap, which vanishes as β₂ → 1: within 1% here, and below the stability limit.
        for result in results.dropFirst() {
            let sharpness = estimates(result, "sharpness")[0]
            #expect(abs(sharpness.estimate / sharpness.output.theory.value! - 1) < 0.01)
        }
    }

    /// With ε = 0, RMSProp's fixed point is T5's closed form u = (ηh + √(η²h² + 16σₙ²h/B))/4.
    @Test func rmspropFixedPointMatchesTheQuadratic() throws {
        let (_, results) = try run("""
            {"study": "dynamics", "seed": 22, "replications": 2,
             "fixed": {"optimizer": "rmsprop", "lr": 0.05, "eps": 0, "batch": 4, "noise_sigma": 0.3,
                       "spectrum": [0.001, 0.1, 10, 1000], "steps": 10}}
            """)
        for e in estimates(results[0], "v") {
            let h = [0.001, 0.1, 10, 1000][e.output.index!]
            let u = (0.05 * h + (0.0025 * h * h + 16 * 0.09 * h / 4).squareRoot()) / 4
            #expect(abs(e.output.theory.value! / (u * u) - 1) < 1e-12, "h = \(h)")
        }
    }

    /// The headline's claim on a small scale: fitted exponents fall on the right side of 1.5 in
    /// each regime, by more than 4.5 MCSE, for RMSProp (h_c = 1) and Adam (h_c = 361).
    @Test(arguments: [
        ("rmsprop", "[0.002, 0.01, 0.05, 0.25, 4, 20, 100, 500]"),
        ("adam", "[0.5, 2, 8, 30, 1500, 6000, 24000, 100000]"),
    ])
    func exponentsFallOnEachSideOfOnePointFive(optimizer: String, spectrum: String) throws {
        let (_, results) = try run("""
            {"study": "dynamics", "seed": 23, "replications": 24,
             "fixed": {"optimizer": "\(optimizer)", "lr": 0.01, "beta2": 0.999, "noise_sigma": 0.0025,
                       "spectrum": \(spectrum), "steps": 20000, "burn_in": 8000}}
            """)
        let below = try #require(estimates(results[0], "exponent_below").first)
        let above = try #require(estimates(results[0], "exponent_above").first)
        #expect(below.estimate + Self.bound * below.mcse! < 1.5, "below: \(below.estimate) ± \(below.mcse!)")
        #expect(above.estimate - Self.bound * above.mcse! > 1.5, "above: \(above.estimate) ± \(above.mcse!)")
        for e in [below, above] { #expect(abs(e.estimate / e.output.theory.value! - 1) < 0.01) }
    }

    /// The headline's verdict sentences get every number from a finding: none is typed into
    /// their words (``Prose/typedNumbers``).
    @Test func headlineVerdictsTypeNoNumber() throws {
        let (_, results) = try run("""
            {"study": "dynamics", "seed": 5, "replications": 3,
             "fixed": {"lr": 0.01, "noise_sigma": 0.0004, "spectrum": [0.0015, 0.005, 0.02, 0.1, 0.5, 2, 10, 40, 150], "steps": 600, "burn_in": 200},
             "grid": {"optimizer": ["sgd", "rmsprop", "adam"], "beta2": [0.9, 0.999]}}
            """)
        let sentences = Dynamics.verdicts(results)
        #expect(sentences.count == 5)
        for s in sentences {
            #expect(s.typedNumbers.isEmpty, "\(s)")
            #expect(!s.findings.isEmpty)
        }
    }

    /// Bad parameters exit 2 as config errors that name the key.
    @Test(arguments: [
        (#""lr": 0"#, "fixed.lr: must be a number > 0"),
        (#""lr": 0.05, "optimizer": "sgd""#, "fixed.lr: SGD diverges: lr·max h = 5 must be < 2"),
        (#""lr": 0.01, "eps": -1e-8"#, "fixed.eps: must be a number ≥ 0"),
        (#""lr": 0.01, "burn_in": 100"#, "fixed.burn_in: must be < steps (100), got 100"),
        (#""lr": 0.01, "optimizer": "nesterov""#, "fixed.optimizer: must be one of"),
    ])
    func badParametersAreConfigErrors(fixed: String, expected: String) {
        expectConfigError(#"{"study": "dynamics", "seed": 1, "replications": 2, "fixed": {"noise_sigma": 1, "spectrum": [1, 100], "steps": 100, \#(fixed)}}"#, startsWith: expected)
    }

    /// A chain that diverges is a failure with a message, never NaN in a CSV: AdaBelief with
    /// β₁ = 0 has g − m ≡ 0, so its step is η·g/ε.
    @Test func divergenceIsReportedAsAFailure() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("diverges.json")
        try Data(#"{"study": "dynamics", "seed": 1, "replications": 2, "fixed": {"optimizer": "adabelief", "lr": 0.01, "beta1": 0, "noise_sigma": 1, "spectrum": [1, 100], "steps": 10000}}"#.utf8).write(to: config)
        let result = try hessianStudy(["run", config.path, "--out", folder.appendingPathComponent("out").path])
        #expect(result.status == 1)
        #expect(result.err.contains("diverged"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/diverges.csv").path))
    }
}

/// T5′'s passage from the Gauss–Newton law to the square-root law, exactly where it has a closed
/// form, and against the fixed point itself.
struct ExponentPassageTests {
    /// RMSProp (L = 2): g(x) = x f′/f with f = 1 + x/(2(1 − x/2)) = 1/(1 − x/2), so g = x/(2 − x)
    /// and h/h_c = x²f/16: the passages of 1.1, 1.5 and 1.9 are at 1/99, 1/3 and 81/19 exactly.
    @Test func rmspropPassagesHaveClosedForms() {
        for (exponent, expected) in [(1.1, 1.0 / 99), (1.5, 1.0 / 3), (1.9, 81.0 / 19)] {
            let h = NoisyQuadratic.exponentPassage(exponent, limit: 2)
            #expect(abs(h / expected - 1) < 1e-12, "\(exponent): \(h) against \(expected)")
        }
    }

    /// The local exponent of the fixed point u² computed independently (NoisyQuadratic's Lyapunov
    /// fixed point at two nearby h) equals the target where the passage says it is (Adam,
    /// β₁ = 0.9, L = 38).
    @Test func adamPassageMatchesTheFixedPoint() throws {
        let (eta, sigma2, batch, beta1) = (0.01, 1.0, 1.0, 0.9)
        let limit = 2 * (1 + beta1) / (1 - beta1), hc = 4 * limit * limit * sigma2 / (batch * eta * eta)
        func v(_ h: Double) -> Double {
            let u = NoisyQuadratic(h: h, noiseVariance: sigma2 * h / batch, beta1: beta1).fixedPoint(learningRate: eta, epsilon: 0)!
            return u * u
        }
        for exponent in [1.1, 1.5, 1.9] {
            let h = NoisyQuadratic.exponentPassage(exponent, limit: limit) * hc, step = 1e-4
            let local = (log(v(h * exp(step))) - log(v(h * exp(-step)))) / (2 * step)
            #expect(abs(local - exponent) < 1e-5, "\(exponent): local exponent \(local)")
        }
    }
}
