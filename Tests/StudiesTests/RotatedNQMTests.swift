import Foundation
import GSL
import MonteCarlo
@testable import Studies
import Testing

/// Issue 15: T8 (rotated H in the NQM), T10 (noise decoupled from H) and T9 (the EMA under drift).
///
/// MCSE bounds: 4.5 MCSE per row. With R = 16 chains, t₁₅: P(|t| > 4.5) ≈ 4·10⁻⁴ per row; with
/// R = 2000 replications (the EMA), t₁₉₉₉: ≈ 7·10⁻⁶ per row. Fixed seeds make each test pass or
/// fail every time; these rates say how likely a correct implementation was to be caught out.
struct RotatedNQMTests {
    static let bound = 4.5

    /// A symmetric positive definite d×d matrix V·diag(x)·Vᵀ (row-major) with V Haar from `seed`.
    static func rotated(_ x: [Double], seed: UInt32) throws -> [Double] {
        Portable.compose(vectors: try Portable.haarOrthogonal(dimension: x.count, stream: RandomStream(seed: seed)), values: x)
    }

    static func diagonal(_ x: [Double]) -> [Double] {
        var m = [Double](repeating: 0, count: x.count * x.count)
        for i in x.indices { m[i * x.count + i] = x[i] }
        return m
    }

    /// On a diagonal H and C = σₙ²H/B, T8's solver is T5 coordinate by coordinate: the fixed point
    /// of RMSProp and Adam (NoisyQuadratic's bisection) and SGD's Var(δ) at P = I.
    @Test func t8ReducesToT5OnADiagonalHessian() throws {
        let h = [0.01, 0.3, 2, 15, 60, 140], (eta, sigma2, batch) = (0.01, 4e-6, 2.0)
        let q = h.map { sigma2 * $0 / batch }
        for beta1 in [0.0, 0.9] {
            let model = RotatedNQM(hessian: Self.diagonal(h), noise: Self.diagonal(q), eta: eta, beta1: beta1, eps: 1e-8)
            let (u, state) = try #require(model.fixedPoint())
            for i in h.indices {
                let scalar = NoisyQuadratic(h: h[i], noiseVariance: q[i], beta1: beta1)
                let expected = try #require(scalar.fixedPoint(learningRate: eta, epsilon: 1e-8))
                #expect(abs(u[i] / expected - 1) < 1e-9, "β₁ \(beta1), h \(h[i]): \(u[i]) against T5's \(expected)")
                let variance = try #require(scalar.varianceOfDelta(step: eta / (expected + 1e-8)))
                #expect(abs(state.covariance[i * h.count + i] / variance - 1) < 1e-7, "β₁ \(beta1) Var(δ)[\(i)]")
            }
        }
        let sgd = RotatedNQM(hessian: Self.diagonal(h), noise: Self.diagonal(q), eta: eta, beta1: 0, eps: 0)
        let state = try #require(sgd.stationary(preconditioner: [Double](repeating: 1, count: h.count)))
        for i in h.indices {
            let expected = eta * q[i] / (h[i] * (2 - eta * h[i]))  // ησₙ²/(B(2 − ηh))
            #expect(abs(state.covariance[i * h.count + i] / expected - 1) < 1e-12, "SGD Var(δ)[\(i)]")
        }
    }

    /// T8's Σ (with the β₁ > 0 extension, mode pair by mode pair) against brute force: the
    /// covariance recursion of the full 2d-dimensional state (δ, m) iterated until it stops
    /// moving, for a rotated H, noise along other axes and an arbitrary frozen P.
    @Test func t8CovarianceMatchesTheIteratedRecursion() throws {
        let d = 3, eta = 0.05
        let hessian = try Self.rotated([0.5, 3, 9], seed: 7), noise = try Self.rotated([0.2, 1, 0.05], seed: 8)
        let p = [1.3, 0.7, 2.1]
        for beta1 in [0.0, 0.6] {
            let model = RotatedNQM(hessian: hessian, noise: noise, eta: eta, beta1: beta1, eps: 0)
            let state = try #require(model.stationary(preconditioner: p))
            // x = (δ, m): m' = β₁m + (1−β₁)(Hδ + ξ), δ' = δ − ηP⁻¹m'.
            let n = 2 * d
            var a = [Double](repeating: 0, count: n * n), b = [Double](repeating: 0, count: n * d)
            for i in 0..<d {
                for j in 0..<d {
                    a[(d + i) * n + j] = (1 - beta1) * hessian[i * d + j]
                    a[i * n + j] = (i == j ? 1 : 0) - eta / p[i] * (1 - beta1) * hessian[i * d + j]
                }
                a[(d + i) * n + d + i] = beta1
                a[i * n + d + i] = -eta / p[i] * beta1
                b[(d + i) * d + i] = 1 - beta1
                b[i * d + i] = -eta / p[i] * (1 - beta1)
            }
            var q = [Double](repeating: 0, count: n * n)  // B·C·Bᵀ
            for i in 0..<n { for j in 0..<n { for k in 0..<d { for l in 0..<d { q[i * n + j] += b[i * d + k] * noise[k * d + l] * b[j * d + l] } } } }
            var s = [Double](repeating: 0, count: n * n)
            for _ in 0..<5000 {
                var next = q
                for i in 0..<n { for j in 0..<n {
                    var sum = 0.0
                    for k in 0..<n { for l in 0..<n { sum += a[i * n + k] * s[k * n + l] * a[j * n + l] } }
                    next[i * n + j] += sum
                } }
                s = next
            }
            for i in 0..<d { for j in 0..<d {
                let brute = s[i * n + j], t8 = state.covariance[i * d + j]
                #expect(abs(brute - t8) <= 1e-10 * abs(s[0]), "β₁ \(beta1) Σ[\(i),\(j)]: \(t8) against \(brute)")
            } }
        }
    }

    /// Noise "power" with γ = 1 is "hessian" draw for draw: every row of the same cell is equal.
    @Test func powerOneIsHessianDrawForDraw() throws {
        func rows(_ noise: String) throws -> [Estimate] {
            try run("""
                {"study": "dynamics", "seed": 3, "replications": 3,
                 "fixed": {"optimizer": "adam", "lr": 0.01, "noise_sigma": 0.01, "spectrum": [0.01, 0.1, 1, 10, 100, 1000],
                           "steps": 500, "burn_in": 100, \(noise)}}
                """).1[0].estimates
        }
        let hessian = try rows(#""noise": "hessian""#), power = try rows(#""noise": "power", "noise_power": 1"#)
        for e in hessian {
            let twin = try #require(power.first { $0.output.quantity == e.output.quantity && $0.output.index == e.output.index })
            #expect(twin.estimate == e.estimate && twin.output.theory == e.output.theory, "\(e.output.quantity)[\(e.output.index ?? -1)]")
        }
    }

    /// The dense chain with Q = I (a diagonal cell forced through it) is the diagonal chain on the
    /// same draws: g = Hδ + (C/B)^(1/2)z adds only exact zeros to h·δ + √q·z; and T8's theory is T5's.
    @Test func denseChainWithoutRotationIsTheDiagonalChain() throws {
        let text = #"{"study": "dynamics", "seed": 9, "replications": 2, "fixed": {"optimizer": "adam", "lr": 0.01, "noise_sigma": 0.01, "spectrum": [0.05, 1, 20, 300], "steps": 3000, "burn_in": 1000}}"#
        let config = try Config(file: "d.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
        let cell = config.cells[0]
        let diagonal = try Dynamics(cell: cell, design: RandomStream(seed: 1))
        let dense = try Dynamics(cell: cell, design: RandomStream(seed: 1), forceDense: true)
        #expect(dense.dense != nil && diagonal.dense == nil)
        func statistics(_ study: Dynamics) throws -> UnsafeMutableBufferPointer<Double> {
            let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: 4096)
            buffer.initialize(repeating: 0)
            var chain = try study.makeWorkspace()
            try study.replicate(RandomStream(config.generator, seed: 1234), &chain, StatisticsRow(buffer))
            return buffer
        }
        let a = try statistics(diagonal), b = try statistics(dense)
        defer { a.deallocate(); b.deallocate() }
        for i in 0..<4 {
            #expect(StatisticsRow(a)[diagonal.slots.v, i] == StatisticsRow(b)[dense.slots.v, i], "v[\(i)]")
            #expect(StatisticsRow(a)[diagonal.slots.varianceOfDelta, i] == StatisticsRow(b)[dense.slots.varianceOfDelta, i], "var_delta[\(i)]")
            let (t5, t8) = (diagonal.outputs.first { $0.quantity == "v" && $0.index == i }!.theory.value!,
                            dense.outputs.first { $0.quantity == "v" && $0.index == i }!.theory.value!)
            #expect(abs(t8 / t5 - 1) < 1e-8, "theory v[\(i)]: T8 \(t8) against T5 \(t5)")
        }
    }

    /// The issue's acceptance criterion on a small rotated NQM: at β₂ = 0.9999, √v within 2% of
    /// T8's fixed point for every coordinate, for RMSProp and Adam (with the MCSE of the gap below
    /// 0.5%, so that the 2% is measured, not drowned); SGD's exact T8 rows within 4.5 MCSE.
    @Test func rotatedSqrtVSitsAtT8sFixedPoint() throws {
        let (_, results) = try run("""
            {"study": "dynamics", "seed": 31, "replications": 16,
             "fixed": {"lr": 0.01, "beta2": 0.9999, "noise_sigma": 0.002, "spectrum": [0.1, 0.5, 2, 8, 30, 120],
                       "rotation": "haar", "steps": 50000, "burn_in": 25000},
             "grid": {"optimizer": ["sgd", "rmsprop", "adam"]}}
            """)
        for result in results.dropFirst() {
            let gaps = estimates(result, "sqrt_v_gap")
            #expect(gaps.count == 6)
            for e in gaps {
                #expect(abs(e.estimate) < 0.02 && e.mcse! < 0.005, "\(result.cell[Dynamics.optimizer]) gap[\(e.output.index!)]: \(e.estimate) ± \(e.mcse!)")
            }
            let sharpness = try #require(estimates(result, "preconditioned_sharpness").first)
            let theory = try #require(sharpness.output.theory.value, "T8's fixed point was found")
            #expect(abs(sharpness.estimate / theory - 1) < 0.01, "\(sharpness.estimate) against \(theory)")
        }
        let exact = results[0].estimates.filter { $0.output.theory.exact != nil && ($0.mcse ?? 0) > 0 }
        #expect(exact.count >= 12)
        for e in exact { #expect(abs(z(e)) < Self.bound, "sgd \(e.output.quantity)[\(e.output.index ?? -1)]: z = \(z(e))") }
    }

    /// The passage of v's exponent from γ to 2: on v = h + h² (γ = 1), the local exponent
    /// (1 + 2h)/(1 + h) is 1.5 at h = 1; secants on a fine grid find it to 10⁻³.
    @Test func passageOfAKnownCurve() throws {
        let h = (0...80).map { pow(10, -2 + Double($0) / 20) }
        let passage = try #require(Dynamics.passage(h, h.map { $0 + $0 * $0 }, gamma: 1))
        #expect(abs(passage - 1) < 1e-3, "\(passage)")
        #expect(Dynamics.passage(h, h.map { $0 * $0 }, gamma: 1) == nil)  // exponent 2 throughout: no passage
    }

    /// Bad values of the new parameters exit 2 naming the key.
    @Test(arguments: [
        (#""noise": "power", "noise_power": 2.5, "spectrum": [1, 100]"#, "fixed.noise_power: must be in [0, 2]"),
        (#""noise": "power", "noise_power": -1, "spectrum": [1, 100]"#, "fixed.noise_power: must be a number ≥ 0"),
        (#""noise": "pink", "spectrum": [1, 100]"#, "fixed.noise: must be one of"),
        (#""rotation": "random", "spectrum": [1, 100]"#, "fixed.rotation: must be one of"),
        (#""rotation": "haar", "spectrum": {"min": 1, "max": 100, "count": 257}"#, "fixed.spectrum: a rotated H or misaligned noise takes at most 256"),
    ])
    func badDynamicsParameters(fixed: String, expected: String) {
        expectConfigError(#"{"study": "dynamics", "seed": 1, "replications": 2, "fixed": {"lr": 0.001, "noise_sigma": 1, "steps": 100, \#(fixed)}}"#, startsWith: expected)
    }

    @Test(arguments: [
        (#""drift": "fast""#, "fixed.drift: must be a finite number"),
        (#""drift": -0.02"#, "fixed.drift: the EMA cannot settle"),
    ])
    func badDrift(fixed: String, expected: String) {
        expectConfigError(#"{"study": "ema", "seed": 1, "replications": 2, "fixed": {"beta2": 0.99, "steps": 100000, \#(fixed)}}"#, startsWith: expected)
    }
}

/// T9: the EMA of g² under a drift κ of E[g²], at finite t, against its limits and simulation.
struct DriftTests {
    /// At κ = 0, T9 is T4: no bias and T4's variance, at finite t and at t → ∞.
    @Test func driftZeroIsT4() {
        for beta2 in [0.9, 0.99, 0.999] {
            for (rho, steps) in [(0.0, 50), (0.5, 3000)] {
                #expect(EMAAccuracy.driftBias(beta2: beta2, drift: 0, steps: steps) == 0)
                #expect(EMAAccuracy.driftVariance(beta2: beta2, rho: rho, drift: 0, steps: steps)
                        == EMAAccuracy.relativeVariance(beta2: beta2, rho: rho, steps: steps))
                // And continuously: a drift of 10⁻¹² moves nothing beyond rounding.
                let tiny = EMAAccuracy.driftVariance(beta2: beta2, rho: rho, drift: 1e-12, steps: steps)
                #expect(abs(tiny / EMAAccuracy.relativeVariance(beta2: beta2, rho: rho, steps: steps) - 1) < 1e-8)
                #expect(abs(EMAAccuracy.driftBias(beta2: beta2, drift: 1e-12, steps: steps)) < 1e-8)
            }
            // T4's stationary form 2(1−β₂)/(1+β₂) is T9's stationary variance at κ = 0.
            #expect(abs(EMAAccuracy.stationaryDriftMSE(beta2: beta2, drift: 0) / (2 * (1 - beta2) / (1 + beta2)) - 1) < 1e-12)
        }
    }

    /// The finite-t forms against independent closed forms (ρ = 0): bias
    /// (1−β₂)/(1−β₂ᵗ)·(1−rᵗ)/(1−r) − 1 and variance 2(1−β₂)²(1−r²ᵗ)/((1−β₂ᵗ)²(1−r²)), r = β₂e^(−κ);
    /// at t = 1 v̂ = g₁² exactly (bias 0, variance 2); and at large t docs/SCIENCE.md's stationary T9.
    @Test func finiteTimeFormsAndTheirLimits() {
        for (beta2, kappa) in [(0.9, 0.01), (0.99, -0.003), (0.999, 0.0005)] {
            let r = beta2 * exp(-kappa)
            for steps in [1, 7, 400] {
                let t = Double(steps), c = 1 / (1 - pow(beta2, t))
                let bias = (1 - beta2) * c * (1 - pow(r, t)) / (1 - r) - 1
                let variance = 2 * (1 - beta2) * (1 - beta2) * c * c * (1 - pow(r * r, t)) / (1 - r * r)
                #expect(abs(EMAAccuracy.driftBias(beta2: beta2, drift: kappa, steps: steps) - bias) < 1e-10, "β₂ \(beta2) κ \(kappa) t \(steps)")
                #expect(abs(EMAAccuracy.driftVariance(beta2: beta2, rho: 0, drift: kappa, steps: steps) / variance - 1) < 1e-10)
            }
            #expect(abs(EMAAccuracy.driftBias(beta2: beta2, drift: kappa, steps: 1)) < 1e-15)
            #expect(abs(EMAAccuracy.driftVariance(beta2: beta2, rho: 0, drift: kappa, steps: 1) - 2) < 1e-13)
            guard kappa > 0 else { continue }
            let long = 200_000
            let stationaryBias = (1 - beta2) / (1 - beta2 * exp(-kappa)) - 1
            let stationaryVariance = 2 * (1 - beta2) * (1 - beta2) / (1 - beta2 * beta2 * exp(-2 * kappa))
            #expect(abs(EMAAccuracy.driftBias(beta2: beta2, drift: kappa, steps: long) - stationaryBias) < 1e-12)
            #expect(abs(EMAAccuracy.driftVariance(beta2: beta2, rho: 0, drift: kappa, steps: long) / stationaryVariance - 1) < 1e-9)
        }
    }

    /// docs/SCIENCE.md T9: the stationary MSE-optimal β₂ over the law (2κ²)^(1/3): 0.81, 0.92, 0.96, 0.98
    /// at κ = 10⁻², 10⁻³, 10⁻⁴, 10⁻⁵; and the minimiser is a minimum of the exact MSE.
    @Test func optimalBeta2AgainstTheLaw() {
        for (kappa, ratio) in [(1e-2, 0.81), (1e-3, 0.92), (1e-4, 0.96), (1e-5, 0.98)] {
            let best = EMAAccuracy.stationaryOptimalBeta2(drift: kappa)
            let measured = (1 - best) / cbrt(2 * kappa * kappa)
            #expect(abs(measured - ratio) < 0.005, "κ \(kappa): ratio \(measured)")
            let mse = EMAAccuracy.stationaryDriftMSE(beta2: best, drift: kappa)
            for factor in [0.99, 1.01] {
                #expect(EMAAccuracy.stationaryDriftMSE(beta2: 1 - (1 - best) * factor, drift: kappa) > mse)
            }
        }
    }

    /// Simulation against T9's exact finite-t forms, drifts up and down, with autocorrelation:
    /// every exact row within 4.5 MCSE (t₁₉₉₉: 7·10⁻⁶ per row).
    @Test func simulationMatchesT9() throws {
        let (_, results) = try run("""
            {"study": "ema", "seed": 41, "replications": 2000,
             "fixed": {"steps": 400, "beta1": 0.9},
             "grid": {"drift": [0.01, -0.004], "beta2": [0.9, 0.99], "rho": [0, 0.5]}}
            """)
        var scored = 0
        for result in results {
            #expect(estimates(result, "rel_bias").count == 1 && estimates(result, "rel_mse").count == 1)
            for e in result.estimates where e.output.theory.exact != nil && (e.mcse ?? 0) > 0 {
                scored += 1
                #expect(abs(z(e)) < 4.5, "\(result.cell.index) \(e.output.quantity): \(e.estimate) ± \(e.mcse!) against \(e.output.theory.value!)")
            }
        }
        #expect(scored == 8 * 5)
    }
}
