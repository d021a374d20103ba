import Foundation
import GSL
import MonteCarlo

/// How well Adam's averages estimate what they average (docs/SCIENCE.md C3, T4).
///
/// A stream of Gaussian gradients gₜ with unit variance and lag-k autocorrelation ρᵏ (AR(1),
/// started in its stationary law: g₁ ~ N(0, 1), gₜ = ρgₜ₋₁ + √(1−ρ²)zₜ) feeds Adam's two
/// averages for `steps` steps: v = β₂v + (1−β₂)g² and m = β₁m + (1−β₁)g, bias-corrected as
/// v̂ = v/(1−β₂ᵗ) and m̂ = m/(1−β₁ᵗ). With weights wₖ = β₂ᵏ(1−β₂)/(1−β₂ᵗ), v̂ is unbiased for
/// E[g²] = 1 and (T4)
///
///     Var(v̂)/v² = 2·Σⱼₖ wⱼwₖρ^(2|j−k|)  →  2(1−β₂)/(1+β₂)·(1+β₂ρ²)/(1−β₂ρ²)   (t → ∞).
///
/// Since the stream's scale σh cancels, √v̂ estimates σh with relative error √v̂ − 1.
///
/// The β₁ side of C3: with uₖ = β₁ᵏ(1−β₁)/(1−β₁ᵗ), m̂ₜ = Σuₖgₜ₋ₖ carries E[m̂ₜgₜ] = Σuₖρᵏ of the
/// current gradient and has variance Σⱼₖuⱼuₖρ^|j−k|; as β₁ → 1 both fall, and m̂ tends to
/// E[g] = g(θ*) = 0. Their ratio over √variance is the correlation of m̂ₜ with gₜ.
///
/// Under `drift` κ (T9) the stream is gₜ = e^(κt/2)·aₜ with aₜ the AR(1) stream above, so E[gₜ²]
/// changes by the factor e^κ per step, and every estimate is read relative to the current scale:
/// v̂ₜ/E[gₜ²], m̂ₜgₜ/E[gₜ²], m̂ₜ²/E[gₜ²]. The replication runs the EMAs on that relative scale
/// directly (ṽ ← β₂e^(−κ)ṽ + (1−β₂)aₜ², m̃ ← β₁e^(−κ/2)m̃ + (1−β₁)aₜ, the same numbers without an
/// e^(κt) that would overflow), so κ = 0 is today's stream draw for draw and bit for bit. Each
/// lag-k term of v̂ₜ/E[gₜ²] is weighted wₖe^(−κk) = (1−β₂)/(1−β₂ᵗ)·(β₂e^(−κ))ᵏ: a geometric
/// weight with ratio r = β₂e^(−κ), which gives T9 at finite t exactly (Gaussian g, any ρ):
///
///     rel_bias = (1−β₂)/(1−β₂ᵗ)·(1 − rᵗ)/(1 − r) − 1
///     Var      = 2·Σⱼₖ wⱼe^(−κj)·wₖe^(−κk)·ρ^(2|j−k|)       (= 2(1−β₂)²/(1−β₂ᵗ)²·(1 − r²ᵗ)/(1 − r²) at ρ = 0)
///     rel_mse  = rel_bias² + Var
///
/// and as t → ∞ docs/SCIENCE.md's stationary forms (1−β₂)/(1 − β₂e^(−κ)) − 1 and
/// 2(1−β₂)²/(1 − β₂²e^(−2κ)). At κ = 0, rel_bias ≡ 0 and rel_mse ≡ rel_var, so those rows (and
/// `beta2_optimal_theory`) are written only where κ ≠ 0: runs without drift keep exactly the
/// rows they had.
public struct EMAAccuracy: Study {
    public static let name = "ema"
    public static let summary = "accuracy of Adam's bias-corrected EMAs v̂ (T4) and m̂ on an AR(1) gradient stream"
    public static let beta2 = Parameter<Double>("beta2", .unitHalfOpen, "β₂, the decay of the second-moment EMA")
    public static let rho = Parameter<Double>("rho", .symmetricOpenUnit, default: 0, "ρ, the lag-1 autocorrelation of g")
    public static let steps = Parameter<Int>("steps", minimum: 1, "t, the EMA's steps when it is read")
    public static let beta1 = Parameter<Double>("beta1", .unitHalfOpen, default: 0.9, "β₁, the decay of the momentum EMA")
    public static let drift = Parameter<Double>("drift", .finite, default: 0, "κ: E[g²] changes by the factor e^κ per step (T9)")
    public static let parameters = [beta2.erased, rho.erased, steps.erased, beta1.erased, drift.erased]

    let beta1: Double, beta2: Double, rho: Double, steps: Int, drift: Double
    /// β₂e^(−κ) and β₁e^(−κ/2): the EMAs' decay on the relative scale (β₂ and β₁ at κ = 0).
    let relativeDecay2: Double, relativeDecay1: Double
    /// E[v̂ₜ/E[gₜ²]] = 1 + rel_bias (1 at κ = 0): what `rel_var` centres on.
    let relativeMean: Double
    let slots: Slots
    public let outputs: [Output]

    /// Where a replication writes: (v̂ − 1)² (T4), the relative error of √v̂ and its square, and
    /// m̂ₜgₜ and m̂ₜ² (the β₁ side of C3); under drift (T9) v̂/E[g²] − 1 and its square, and the
    /// exact MSE-optimal β₂ (a computed number, the same in every replication: MCSE 0).
    public struct Slots: Sendable {
        let relativeVariance: Slot, sqrtRelativeBias: Slot, sqrtRelativeMSE: Slot
        let momentumCurrentWeight: Slot, momentumVariance: Slot
        let relativeBias: Slot?, relativeMSE: Slot?, optimalBeta2: Slot?
    }

    public static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots {
        let drifting = cell[drift] != 0
        return Slots(relativeVariance: layout.scalar(Quantities.relVar)!, sqrtRelativeBias: layout.scalar(Quantities.sqrtRelBias)!,
                     sqrtRelativeMSE: layout.scalar(Quantities.sqrtRelMse)!, momentumCurrentWeight: layout.scalar(Quantities.mCurrentWeight)!,
                     momentumVariance: layout.scalar(Quantities.mVariance)!,
                     relativeBias: layout.scalar(Quantities.relBias, when: drifting), relativeMSE: layout.scalar(Quantities.relMse, when: drifting),
                     optimalBeta2: layout.scalar(Quantities.beta2OptimalTheory, when: drifting))
    }

    /// The most t·log(β₂e^(−κ)) may be: with a shrinking scale (κ < 0) and β₂e^(|κ|) > 1 the EMA
    /// on the relative scale grows like (β₂e^(|κ|))ᵗ, and its square must stay finite.
    static let largestGrowth = 300.0

    /// Refuses a drift under which v̂/E[g²] grows past e^300 by the last step (T9: the EMA cannot
    /// settle while β₂e^(|κ|) ≥ 1).
    public static func validate(_ cell: Cell, replications: Int) throws(CellError) {
        let kappa = cell[drift], beta2 = cell[beta2], t = Double(cell[steps])
        guard kappa != 0 else { return }
        let growth = t * (log(beta2) - kappa), growth1 = t * (log(cell[beta1]) - kappa / 2)
        if growth > largestGrowth || growth1 > largestGrowth || !(growth.isFinite || growth == -.infinity) {
            throw CellError(parameter: drift.name, message: "the EMA cannot settle: β₂e^(−κ) = \(format(beta2 * exp(-kappa))) > 1 makes v̂/E[g²] grow by e^\(format(growth.rounded())) over \(format(t)) steps (at most e^\(format(largestGrowth)))")
        }
    }

    /// Nothing but a few numbers per cell and per replication: only the replications (counted
    /// by the engine) can make a run too large.
    public static func memory(_ cell: Cell) -> MemoryNeed { MemoryNeed(parameter: "replications") }

    /// Theory kinds: every closed form here is exact at the cell's t for a Gaussian stream, drift
    /// or not. `beta2_optimal_theory` writes the exact optimum (T9 at the cell's t and ρ, minimised
    /// numerically) as its estimate, and the small-κ law 1 − (2κ²)^(1/3) as its theory, a limit.
    public init(cell: Cell, design: RandomStream) throws {
        (beta1, beta2, rho, steps) = (cell[Self.beta1], cell[Self.beta2], cell[Self.rho], cell[Self.steps])
        drift = cell[Self.drift]
        (relativeDecay2, relativeDecay1) = Self.relativeDecays(beta1: beta1, beta2: beta2, drift: drift)
        relativeMean = 1 + Self.driftBias(beta2: beta2, drift: drift, steps: steps)
        var layout = OutputLayout()
        slots = Self.declareOutputs(cell, &layout)
        let variance = Self.driftVariance(beta2: beta2, rho: rho, drift: drift, steps: steps)
        layout.setTheory(slots.relativeVariance, .exact(variance))
        layout.setTheory(slots.momentumCurrentWeight, .exact(Self.momentumCurrentWeight(beta1: beta1, rho: rho, steps: steps, drift: drift)))
        layout.setTheory(slots.momentumVariance, .exact(geometricWeightCovariance(
            beta: relativeDecay1, scale: (1 - beta1) * biasCorrection(beta1, steps), steps: steps, r: rho)))
        if let slot = slots.relativeBias { layout.setTheory(slot, .exact(relativeMean - 1)) }
        if let slot = slots.relativeMSE { layout.setTheory(slot, .exact((relativeMean - 1) * (relativeMean - 1) + variance)) }
        optimalBeta2 = slots.optimalBeta2 == nil ? nil : Self.optimalBeta2(rho: rho, drift: drift, steps: steps)
        if let slot = slots.optimalBeta2 { layout.setTheory(slot, .limit(Self.optimalBeta2Law(drift: drift))) }
        outputs = layout.outputs
    }

    /// The exact MSE-optimal β₂ of the cell (κ ≠ 0).
    let optimalBeta2: Double?

    /// β₂e^(−κ) and β₁e^(−κ/2), exactly β₂ and β₁ at κ = 0.
    static func relativeDecays(beta1: Double, beta2: Double, drift: Double) -> (Double, Double) {
        drift == 0 ? (beta2, beta1) : (beta2 * exp(-drift), beta1 * exp(-drift / 2))
    }

    /// (1 − rᵗ)/(1 − r) = Σₖ₌₀^(t−1) rᵏ, through expm1 so that r near 1 loses nothing.
    static func geometricSum(_ r: Double, _ t: Int) -> Double {
        guard r != 1 else { return Double(t) }
        guard r > 0 else { return 1 }
        let l = log(r)
        return expm1(Double(t) * l) / expm1(l)
    }

    /// T9 at finite t: rel_bias = E[v̂ₜ]/E[gₜ²] − 1 = (1−β₂)/(1−β₂ᵗ)·(1 − rᵗ)/(1 − r) − 1, r = β₂e^(−κ);
    /// exactly 0 at κ = 0.
    public static func driftBias(beta2: Double, drift: Double, steps: Int) -> Double {
        guard drift != 0 else { return 0 }
        return (1 - beta2) * biasCorrection(beta2, steps) * geometricSum(beta2 * exp(-drift), steps) - 1
    }

    /// T9 at finite t: Var(v̂ₜ/E[gₜ²]) = 2·Σⱼₖ wⱼwₖ(β₂e^(−κ)/β₂)^(j+k)ρ^(2|j−k|); at κ = 0 it is
    /// T4 (``relativeVariance(beta2:rho:steps:)`` is this at κ = 0).
    public static func driftVariance(beta2: Double, rho: Double, drift: Double, steps: Int) -> Double {
        2 * geometricWeightCovariance(beta: relativeDecays(beta1: 0, beta2: beta2, drift: drift).0,
                                      scale: (1 - beta2) * biasCorrection(beta2, steps), steps: steps, r: rho * rho)
    }

    /// T9's MSE at finite t: rel_bias² + Var.
    public static func driftMSE(beta2: Double, rho: Double, drift: Double, steps: Int) -> Double {
        let bias = driftBias(beta2: beta2, drift: drift, steps: steps)
        return bias * bias + driftVariance(beta2: beta2, rho: rho, drift: drift, steps: steps)
    }

    /// T9's stationary (t → ∞, ρ = 0) MSE: ((1−β₂)/(1 − β₂e^(−κ)) − 1)² + 2(1−β₂)²/(1 − β₂²e^(−2κ)).
    public static func stationaryDriftMSE(beta2: Double, drift: Double) -> Double {
        let bias = (1 - beta2) / (1 - beta2 * exp(-drift)) - 1
        return bias * bias + 2 * (1 - beta2) * (1 - beta2) / (1 - beta2 * beta2 * exp(-2 * drift))
    }

    /// The β₂ in [0, 1) that minimises `mse`, by golden-section search on log(1 − β₂) over
    /// [10⁻¹², 1] (the MSE is unimodal there: falling variance against growing lag), to the last
    /// bits of log(1 − β₂).
    static func minimiser(_ mse: (Double) -> Double) -> Double {
        let ratio = (5.0.squareRoot() - 1) / 2
        var (a, b) = (log(1e-12), 0.0)
        func f(_ x: Double) -> Double { mse(-expm1(x)) }
        var c = b - ratio * (b - a), d = a + ratio * (b - a)
        var fc = f(c), fd = f(d)
        for _ in 0..<200 where b - a > 1e-13 {
            if fc < fd { (b, d, fd) = (d, c, fc); c = b - ratio * (b - a); fc = f(c) }
            else { (a, c, fc) = (c, d, fd); d = a + ratio * (b - a); fd = f(d) }
        }
        return -expm1((a + b) / 2)
    }

    /// The exact MSE-optimal β₂ of T9 at finite t (the cell's ρ and t).
    public static func optimalBeta2(rho: Double, drift: Double, steps: Int) -> Double {
        minimiser { driftMSE(beta2: $0, rho: rho, drift: drift, steps: steps) }
    }

    /// The exact MSE-optimal β₂ of T9's stationary form (t → ∞, ρ = 0).
    public static func stationaryOptimalBeta2(drift: Double) -> Double {
        minimiser { b in b * exp(-drift) < 1 ? stationaryDriftMSE(beta2: b, drift: drift) : .infinity }
    }

    /// The small-κ law 1 − β₂* ≈ (2κ²)^(1/3) (T9: MSE ≈ κ²/ε² + ε at ε = 1 − β₂).
    public static func optimalBeta2Law(drift: Double) -> Double {
        1 - cbrt(2 * drift * drift)
    }

    /// T4 at finite t: Var(v̂)/v² = 2·Σⱼₖ wⱼwₖρ^(2|j−k|). (For Gaussian g, Cov(gⱼ², gₖ²) = 2ρ^(2|j−k|).)
    public static func relativeVariance(beta2: Double, rho: Double, steps: Int) -> Double {
        driftVariance(beta2: beta2, rho: rho, drift: 0, steps: steps)
    }

    /// E[m̂ₜgₜ] = Σₖ uₖρᵏ = (1−β₁)/(1−β₁ᵗ) · (1 − (β₁ρ)ᵗ)/(1 − β₁ρ); under drift, relative to
    /// E[gₜ²], β₁ becomes β₁e^(−κ/2) in the ratio (not in the bias correction).
    static func momentumCurrentWeight(beta1: Double, rho: Double, steps: Int, drift: Double = 0) -> Double {
        let q = relativeDecays(beta1: beta1, beta2: 0, drift: drift).1 * rho
        let sum = q == 1 ? Double(steps) : (1 - pow(q, Double(steps))) / (1 - q)
        return (1 - beta1) * biasCorrection(beta1, steps) * sum
    }

    public func makeWorkspace() throws {}

    public func replicate(_ stream: RandomStream, _ workspace: inout Void, _ statistics: StatisticsRow) throws {
        let innovation = (1 - rho * rho).squareRoot()
        var g = stream.gaussian()
        var v = 0.0, m = 0.0
        let (decay2, decay1) = (relativeDecay2, relativeDecay1)
        for t in 1...steps {
            if t > 1 { g = rho * g + innovation * stream.gaussian() }
            v = decay2 * v + (1 - beta2) * g * g
            m = decay1 * m + (1 - beta1) * g
        }
        // On the relative scale: v̂ₜ/E[gₜ²], m̂ₜ/√E[gₜ²] and gₜ/√E[gₜ²] (= the raw ones at κ = 0).
        let vHat = v * biasCorrection(beta2, steps), mHat = m * biasCorrection(beta1, steps)
        // Var(v̂/E[g²]) about its exact mean 1 + rel_bias (1 without drift), so that the
        // statistic's expectation is the variance, not the MSE.
        statistics[slots.relativeVariance] = (vHat - relativeMean) * (vHat - relativeMean)
        if let slot = slots.relativeBias { statistics[slot] = vHat - 1 }
        if let slot = slots.relativeMSE { statistics[slot] = (vHat - 1) * (vHat - 1) }
        if let slot = slots.optimalBeta2, let optimalBeta2 { statistics[slot] = optimalBeta2 }
        statistics[slots.sqrtRelativeBias] = vHat.squareRoot() - 1
        statistics[slots.sqrtRelativeMSE] = (vHat.squareRoot() - 1) * (vHat.squareRoot() - 1)
        statistics[slots.momentumCurrentWeight] = mHat * g
        statistics[slots.momentumVariance] = mHat * mHat
    }
}
