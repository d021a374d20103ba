import Foundation
import GSL
import MonteCarlo
@testable import Studies
import Testing

/// Exact identities that catch off-by-one bugs far below any MCSE (a bias correction one step
/// off moves a number by β^t, a weight by one term): first steps, t = 1 and t = 2 in closed form,
/// and the optimizer chain against an independent reference loop on the same draws.
struct ExactIdentityTests {
    /// T4 at t = 1: v̂₁ = g₁², so Var(v̂₁)/v² = Var(g²) = 2 for a standard normal g, whatever β₂
    /// and ρ. At t = 2 with ρ = 0: weights 1/(1+β) and β/(1+β), so Var/v² = 2(1+β²)/(1+β)².
    @Test func emaRelativeVarianceAtTheFirstSteps() {
        for beta2 in [0.0, 0.5, 0.9, 0.999] {
            for rho in [0.0, 0.5, -0.9] {
                #expect(abs(EMAAccuracy.relativeVariance(beta2: beta2, rho: rho, steps: 1) - 2) < 1e-14, "β₂ \(beta2), ρ \(rho)")
            }
            let two = 2 * (1 + beta2 * beta2) / ((1 + beta2) * (1 + beta2))
            // The closed form evaluates 1 − β₂ᵏ, whose relative rounding error grows like u/(1 − β₂):
            // 8u/(1 − β₂) bounds it (4·10⁻¹³ at β₂ = 0.999); a weight one term off is O(1) away.
            let bound = 1e-14 + 8 * Double.ulpOfOne / (1 - beta2)
            #expect(abs(EMAAccuracy.relativeVariance(beta2: beta2, rho: 0, steps: 2) / two - 1) < bound, "β₂ \(beta2)")
        }
    }

    /// m̂₁ = g₁, so E[m̂₁g₁] = 1; at t = 2, m̂₂ = ((1−β₁)β₁g₁ + (1−β₁)g₂)/(1−β₁²) and
    /// E[m̂₂g₂] = (β₁ρ + 1)/(1 + β₁).
    @Test func momentumWeightAtTheFirstSteps() {
        for beta1 in [0.0, 0.5, 0.9] {
            for rho in [0.0, 0.5] {
                #expect(abs(EMAAccuracy.momentumCurrentWeight(beta1: beta1, rho: rho, steps: 1) - 1) < 1e-14)
                let two = (beta1 * rho + 1) / (1 + beta1)
                #expect(abs(EMAAccuracy.momentumCurrentWeight(beta1: beta1, rho: rho, steps: 2) - two) < 1e-14, "β₁ \(beta1), ρ \(rho)")
            }
        }
    }

    /// AdaBelief at t = 1 (no burn-in): m₁ = (1−β₁)g₁, so g₁ − m₁ = β₁g₁ and ŝ₁ = β₁²g₁²:
    /// E[ŝ₁] = β₁²(V + μ²), both parts β₁².
    @Test func adaBeliefCentredExpectationAtTheFirstStep() {
        for (beta1, beta2) in [(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)] {
            let (variance, mean) = AdaBeliefCurvature.centredExpectation(beta1: beta1, beta2: beta2, steps: 1, burnIn: 0)
            #expect(abs(variance - beta1 * beta1) < 1e-15 && abs(mean - beta1 * beta1) < 1e-15, "β₁ \(beta1)")
        }
    }

    /// AdaBelief's stationary factor, by which √(ŝ/factor)/σ recovers h (C5): the t → ∞ limit of
    /// the exact finite-t expectation, computed independently by ``AdaBeliefCurvature/centredExpectation``
    /// (a sum over the EMA's weights), must equal the closed form 2β₁²/(1+β₁) the estimator divides by.
    @Test func adaBeliefFactorIsTheLimitOfTheExactExpectation() throws {
        for beta1 in [0.5, 0.9] {
            let text = """
                {"study": "adabelief", "seed": 1, "replications": 2, "fixed": {"spectrum": [1], "sigma": 1, "offset": 0,
                 "beta1": \(beta1), "beta2": 0.99, "steps": 200000, "burn_in": 100000}}
                """
            let config = try Config(file: "adabelief.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
            let study = try AdaBeliefCurvature(cell: config.cells[0], design: RandomStream(seed: 1))
            let (variance, _) = AdaBeliefCurvature.centredExpectation(beta1: beta1, beta2: 0.99, steps: 200000, burnIn: 100000)
            #expect(abs(study.centredFactor / variance - 1) < 1e-9, "β₁ \(beta1): \(study.centredFactor) against \(variance)")
        }
    }

    /// One replication of `dynamics` (Adam, AdaBelief, RMSProp, SGD; burn-in 3 of 7 steps) against
    /// a scalar reference loop written from the update rule of Optimizer.swift, fed the same
    /// draws from the same stream. The two evaluate the same terms in a different order, so they
    /// agree to rounding (1e-12), while a bias correction or a burn-in one step off moves them by
    /// far more.
    @Test func theChainMatchesAReferenceLoop() throws {
        let (h, eta, sigma, beta1, beta2, eps, steps, burnIn) = ([0.5, 2.0], 0.05, 0.3, 0.9, 0.99, 1e-8, 7, 3)
        for optimizer in Optimizer.allCases {
            let text = """
                {"study": "dynamics", "seed": 11, "replications": 2, "fixed": {"optimizer": "\(optimizer.rawValue)", "lr": \(eta), "beta1": \(beta1), "beta2": \(beta2),
                 "eps": \(eps), "noise_sigma": \(sigma), "spectrum": [0.5, 2], "steps": \(steps), "burn_in": \(burnIn)}}
                """
            let config = try Config(file: "chain.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
            let estimates = try Runner(config: config, threads: 1).replicate(cell: 0, replication: 0)
            let stream = try RandomStream(config.generator, seed: SeedSequence(root: 11).seed(cell: 0, replication: 0, replications: 2))
            let b1 = optimizer.momentum(beta1), n = Double(steps - burnIn)
            var delta = [0.0, 0.0], m = [0.0, 0.0], v = [0.0, 0.0]
            var sumG2 = [0.0, 0.0], sumD2 = [0.0, 0.0], sumRatio = [0.0, 0.0], sumSharpness = 0.0
            for t in 1...steps {
                let z = h.indices.map { _ in stream.gaussian() }
                var sharpness = 0.0
                for i in h.indices {
                    let g = h[i] * delta[i] + (sigma * sigma * h[i]).squareRoot() * z[i]
                    m[i] = b1 * m[i] + (1 - b1) * g
                    let r = optimizer == .adabelief ? g - m[i] : g
                    v[i] = beta2 * v[i] + (1 - beta2) * r * r
                    let mHat = m[i] / (1 - pow(b1, Double(t))), vHat = v[i] / (1 - pow(beta2, Double(t)))
                    let preconditioner = optimizer == .sgd ? 1 : vHat.squareRoot() + eps
                    let ratio = eta * h[i] / preconditioner
                    if t > burnIn { (sumG2[i], sumD2[i], sumRatio[i]) = (sumG2[i] + g * g, sumD2[i] + delta[i] * delta[i], sumRatio[i] + ratio) }
                    sharpness = max(sharpness, ratio)
                    delta[i] -= eta * mHat / preconditioner
                }
                if t > burnIn { sumSharpness += sharpness }
            }
            func estimate(_ quantity: String, _ index: Int? = nil) -> Double {
                estimates.first { $0.output.quantity == quantity && $0.output.index == index }!.estimate
            }
            func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(abs(a), abs(b)) }
            for i in h.indices {
                #expect(close(estimate("v", i), sumG2[i] / n), "\(optimizer) v[\(i)]: \(estimate("v", i)) against \(sumG2[i] / n)")
                #expect(close(estimate("var_delta", i), sumD2[i] / n), "\(optimizer) var_delta[\(i)]")
                if optimizer.isAdaptive { #expect(close(estimate("newton_ratio", i), sumRatio[i] / n), "\(optimizer) newton_ratio[\(i)]") }
            }
            #expect(close(estimate("sharpness"), sumSharpness / n), "\(optimizer) sharpness")
        }
    }

    /// sqrt-law's diagonal path against a reference loop on the same draws: vᵢ is the mean of
    /// (σ·hᵢ^(1−α/2)·z)² over the samples (divided by n, not n − 1), sample by sample, coordinate
    /// by coordinate; and the slope is the OLS slope of log v on log h.
    @Test func sqrtLawMatchesAReferenceLoop() throws {
        let (h, sigma, alpha, samples) = ([0.3, 1.0, 4.0], 0.7, 0.5, 5)
        let text = #"{"study": "sqrt-law", "seed": 5, "replications": 2, "fixed": {"spectrum": [0.3, 1, 4], "sigma": 0.7, "alpha": 0.5, "samples": 5}}"#
        let config = try Config(file: "s.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
        let estimates = try Runner(config: config, threads: 1).replicate(cell: 0, replication: 1)
        let stream = try RandomStream(config.generator, seed: SeedSequence(root: 5).seed(cell: 0, replication: 1, replications: 2))
        var sums = [0.0, 0.0, 0.0]
        for _ in 0..<samples {
            for i in h.indices {
                let g = sigma * pow(h[i], 1 - alpha / 2) * stream.gaussian()
                sums[i] += g * g
            }
        }
        let v = sums.map { $0 / Double(samples) }
        for i in h.indices {
            let e = estimates.first { $0.output.quantity == "v" && $0.output.index == i }!.estimate
            #expect(abs(e - v[i]) <= 1e-13 * v[i], "v[\(i)]: \(e) against \(v[i])")
        }
        let x: [Double] = h.map { log($0) }, y: [Double] = v.map { log($0) }
        let mx = x.reduce(0, +) / 3, my = y.reduce(0, +) / 3
        var sxy = 0.0, sxx = 0.0
        for i in 0..<3 { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx) }
        let slope = sxy / sxx
        let e = estimates.first { $0.output.quantity == "slope" }!.estimate
        #expect(abs(e - slope) <= 1e-12, "slope \(e) against \(slope)")
    }
}
