import Foundation
import MonteCarlo
import Studies
import Testing

/// The ema (T4), adabelief (T6) and gauss-newton (T3) studies against their closed forms.
///
/// Bounds are 4.5 MCSE per row: with R ≥ 40, P(|t| > 4.5) ≤ 6e-5 per row, below 1% over the
/// rows of each test; seeds are fixed, so each test always passes or always fails.
struct StaticStudiesTests {
    static let bound = 4.5

    func expectTheory(_ results: [CellResult], _ quantities: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) {
        var checked = 0
        for result in results {
            for e in result.estimates where quantities.contains(e.output.quantity) && e.output.theory.value != nil {
                #expect(abs(z(e)) < Self.bound, "cell \(result.cell.index) \(e.output.quantity)[\(e.output.index ?? -1)]: \(e.estimate) ± \(e.mcse!) vs \(e.output.theory.value!)", sourceLocation: sourceLocation)
                checked += 1
            }
        }
        #expect(checked > 0, sourceLocation: sourceLocation)
    }

    /// T4's stationary reference values for ρ = 0 (docs/SCIENCE.md), from the finite-t formula at
    /// large t: exact arithmetic, so a tight relative tolerance.
    @Test func emaTheoryReproducesT4ReferenceValues() throws {
        let (_, results) = try run("""
            {"study": "ema", "seed": 1, "replications": 2, "fixed": {"steps": 400000},
             "grid": {"beta2": [0.9, 0.99, 0.999, 0.9999]}}
            """)
        let expected = [0.10526, 0.010050, 0.0010005, 0.00010000]
        for (result, value) in zip(results, expected) {
            let theory = try #require(estimates(result, "rel_var").first?.output.theory.value)
            #expect(abs(theory / value - 1) < 1e-4, "β₂ \(result.cell[EMAAccuracy.beta2]): \(theory)")
        }
    }

    /// T4 at finite t, with and without autocorrelation, and the momentum's weight on gₜ.
    @Test func emaFollowsT4() throws {
        let (_, results) = try run("""
            {"study": "ema", "seed": 2, "replications": 3000, "fixed": {"steps": 300},
             "grid": {"beta2": [0.9, 0.99], "rho": [0, 0.8], "beta1": [0.5, 0.9]}}
            """)
        expectTheory(results, ["rel_var", "m_current_weight", "m_variance"])
        // C3: the momentum forgets the current gradient as β₁ grows.
        let weights = results.map { estimates($0, "m_current_weight")[0].estimate }
        #expect(weights[1] < weights[0] && weights[3] < weights[2])
    }

    /// T6: the raw EMA carries (hc)², the centred one does not.
    @Test func adaBeliefFollowsT6() throws {
        let (_, results) = try run("""
            {"study": "adabelief", "seed": 3, "replications": 40,
             "fixed": {"spectrum": [0.1, 1, 10], "sigma": 0.5, "beta1": 0.9, "beta2": 0.99, "steps": 3000, "burn_in": 1000},
             "grid": {"offset": [0, 2]}}
            """)
        expectTheory(results, ["v_second_moment", "v_centered"])
        let far = results[1]
        let raw = estimates(far, "curvature_error_second_moment")[0], centred = estimates(far, "curvature_error_centered")[0]
        // √((hc)² + σ²h²)/σ − h = h(√(1 + c²/σ²) − 1) = 3.12·h: the raw moment misses h by a factor 4.1.
        #expect(raw.estimate > 3)
        #expect(centred.estimate < 0.1)
    }

    /// The MCSE of time averages comes from independent chains, so it stays honest although
    /// each chain is strongly autocorrelated: z over 120 rows has sd ≈ 1 (t₃₉: 1.027; sd of a
    /// sample sd of 120 ≈ 0.065, bound 4 of those).
    @Test func timeAverageMCSEIsHonest() throws {
        let (_, results) = try run("""
            {"study": "adabelief", "seed": 4, "replications": 40,
             "fixed": {"spectrum": {"min": 0.1, "max": 10, "count": 10}, "sigma": 1, "steps": 2000, "burn_in": 0, "beta2": 0.99},
             "grid": {"offset": [0, 1, 3], "beta1": [0.5, 0.9]}}
            """)
        let zs = results.flatMap { r in r.estimates.filter { $0.output.theory.value != nil }.map(z) }
        #expect(zs.count == 120)
        let mean = zs.reduce(0, +) / Double(zs.count)
        let sd = (zs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(zs.count - 1)).squareRoot()
        #expect(abs(sd - 1.027) < 4 * 0.065, "sd z = \(sd)")
    }

    /// T3: slope 1 at θ* (C4), rising towards 2 with the spread; h_c where the terms cross.
    @Test func gaussNewtonFollowsT3() throws {
        let (_, results) = try run("""
            {"study": "gauss-newton", "seed": 5, "replications": 40,
             "fixed": {"spectrum": {"min": 0.01, "max": 100, "count": 7}, "noise_sigma": 0.5, "samples": 3000},
             "grid": {"batch": [1, 4], "spread": [0, 0.3]}}
            """)
        expectTheory(results, ["v", "slope", "local_slope", "gn_law", "gn_ratio", "sqrt_coefficient", "gn_coefficient", "h_c"])
        let atOptimum = estimates(results[0], "slope")[0], away = estimates(results[1], "slope")[0]
        #expect(abs(atOptimum.estimate - 1) < Self.bound * atOptimum.mcse!)
        #expect(away.estimate > 1.01)
        // The largest-h coordinate sits past h_c: its local slope is closer to 2 than to 1.
        #expect(estimates(results[3], "local_slope").last!.estimate > 1.5)
    }

    /// Where C4's "≈" fails: heteroscedastic noise adds an h² term, exactly as derived.
    @Test func heteroscedasticNoiseBreaksTheGaussNewtonLaw() throws {
        let (_, results) = try run("""
            {"study": "gauss-newton", "seed": 6, "replications": 40,
             "fixed": {"spectrum": [0.1, 1, 10, 100], "noise_sigma": 1, "batch": 2, "samples": 4000, "noise": "heteroscedastic"},
             "grid": {"model": ["linear", "tanh"]}}
            """)
        expectTheory(results, ["v", "gn_ratio", "slope"])
        // The largest coordinate: gn_ratio = 1 + 2h/Σh = 2.80 for the linear model.
        let ratio = estimates(results[0], "gn_ratio").last!
        #expect(abs(ratio.output.theory.value! - (1 + 200 / 111.1)) < 1e-12)
        #expect(estimates(results[1], "gn_ratio").last!.estimate > 1.5)
    }

    /// Parameter values outside their domains are config errors naming the key.
    @Test(arguments: [
        (#""study": "ema", "fixed": {"beta2": 1, "steps": 10}"#, "fixed.beta2: must be a number in [0, 1), got 1"),
        (#""study": "ema", "fixed": {"beta2": 0.9, "beta1": -0.1, "steps": 10}"#, "fixed.beta1: must be a number in [0, 1)"),
        (#""study": "ema", "fixed": {"beta2": 0.9, "rho": 1, "steps": 10}"#, "fixed.rho: must be a number in (−1, 1), got 1"),
        (#""study": "ema", "fixed": {"beta2": 0.9, "steps": 0}"#, "fixed.steps: must be an integer ≥ 1"),
        (#""study": "gauss-newton", "fixed": {"spectrum": [1], "noise_sigma": 1, "samples": 5, "batch": 0}"#, "fixed.batch: must be an integer ≥ 1"),
        (#""study": "gauss-newton", "fixed": {"spectrum": [1], "noise_sigma": 1, "samples": 5, "spread": -0.1}"#, "fixed.spread: must be a number ≥ 0"),
        (#""study": "adabelief", "fixed": {"spectrum": [1], "sigma": 1, "offset": 1, "steps": 10, "burn_in": 10}"#, "fixed.burn_in: must be < steps"),
        (#""study": "adabelief", "fixed": {"spectrum": [1], "sigma": 1, "offset": 1, "steps": 10}, "grid": {"beta2": [0.9, 1.2]}"#, "grid.beta2[1]: must be a number in [0, 1)"),
    ])
    func badParametersAreConfigErrors(body: String, expected: String) {
        expectConfigError("{\"seed\": 1, \"replications\": 2, \(body)}", startsWith: expected)
    }
}
