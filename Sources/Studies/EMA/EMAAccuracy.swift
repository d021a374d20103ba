import Foundation
import GSL
import MonteCarlo

/// How well Adam's averages estimate what they average (STUDIES.md C3, T4).
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
public struct EMAAccuracy: Study {
    public static let name = "ema"
    public static let summary = "accuracy of Adam's bias-corrected EMAs v̂ (T4) and m̂ on an AR(1) gradient stream"
    public static let beta2 = Parameter<Double>("beta2", .unitHalfOpen, "β₂, the decay of the second-moment EMA")
    public static let rho = Parameter<Double>("rho", .symmetricOpenUnit, default: 0, "ρ, the lag-1 autocorrelation of g")
    public static let steps = Parameter<Int>("steps", minimum: 1, "t, the EMA's steps when it is read")
    public static let beta1 = Parameter<Double>("beta1", .unitHalfOpen, default: 0.9, "β₁, the decay of the momentum EMA")
    public static let parameters = [beta2.erased, rho.erased, steps.erased, beta1.erased]

    let beta1: Double, beta2: Double, rho: Double, steps: Int
    let slots: Slots
    public let outputs: [Output]

    /// Where a replication writes: (v̂ − 1)² (T4), the relative error of √v̂ and its square, and
    /// m̂ₜgₜ and m̂ₜ² (the β₁ side of C3).
    public struct Slots: Sendable {
        let relativeVariance: Slot, sqrtRelativeBias: Slot, sqrtRelativeMSE: Slot
        let momentumCurrentWeight: Slot, momentumVariance: Slot
    }

    public static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots {
        Slots(relativeVariance: layout.scalar("rel_var")!, sqrtRelativeBias: layout.scalar("sqrt_rel_bias")!,
              sqrtRelativeMSE: layout.scalar("sqrt_rel_mse")!, momentumCurrentWeight: layout.scalar("m_current_weight")!,
              momentumVariance: layout.scalar("m_variance")!)
    }

    public static func validate(_ cell: Cell, replications: Int) throws(CellError) {}

    /// Nothing but a few numbers per cell and per replication: only the replications (counted
    /// by the engine) can make a run too large.
    public static func memory(_ cell: Cell) -> MemoryNeed { MemoryNeed(parameter: "replications") }

    public init(cell: Cell, design: RandomStream) throws {
        (beta1, beta2, rho, steps) = (cell[Self.beta1], cell[Self.beta2], cell[Self.rho], cell[Self.steps])
        var layout = OutputLayout()
        slots = Self.declareOutputs(cell, &layout)
        layout.setTheory(slots.relativeVariance, .exact(Self.relativeVariance(beta2: beta2, rho: rho, steps: steps)))
        layout.setTheory(slots.momentumCurrentWeight, .exact(Self.momentumCurrentWeight(beta1: beta1, rho: rho, steps: steps)))
        layout.setTheory(slots.momentumVariance, .exact(geometricWeightCovariance(
            beta: beta1, scale: (1 - beta1) * biasCorrection(beta1, steps), steps: steps, r: rho)))
        outputs = layout.outputs
    }

    /// T4 at finite t: Var(v̂)/v² = 2·Σⱼₖ wⱼwₖρ^(2|j−k|). (For Gaussian g, Cov(gⱼ², gₖ²) = 2ρ^(2|j−k|).)
    public static func relativeVariance(beta2: Double, rho: Double, steps: Int) -> Double {
        2 * geometricWeightCovariance(beta: beta2, scale: (1 - beta2) * biasCorrection(beta2, steps),
                                      steps: steps, r: rho * rho)
    }

    /// E[m̂ₜgₜ] = Σₖ uₖρᵏ = (1−β₁)/(1−β₁ᵗ) · (1 − (β₁ρ)ᵗ)/(1 − β₁ρ).
    static func momentumCurrentWeight(beta1: Double, rho: Double, steps: Int) -> Double {
        let q = beta1 * rho
        let sum = q == 1 ? Double(steps) : (1 - pow(q, Double(steps))) / (1 - q)
        return (1 - beta1) * biasCorrection(beta1, steps) * sum
    }

    public func makeWorkspace() throws {}

    public func replicate(_ stream: RandomStream, _ workspace: inout Void, _ statistics: StatisticsRow) throws {
        let innovation = (1 - rho * rho).squareRoot()
        var g = stream.gaussian()
        var v = 0.0, m = 0.0
        for t in 1...steps {
            if t > 1 { g = rho * g + innovation * stream.gaussian() }
            v = beta2 * v + (1 - beta2) * g * g
            m = beta1 * m + (1 - beta1) * g
        }
        let vHat = v * biasCorrection(beta2, steps), mHat = m * biasCorrection(beta1, steps)
        statistics[slots.relativeVariance] = (vHat - 1) * (vHat - 1)
        statistics[slots.sqrtRelativeBias] = vHat.squareRoot() - 1
        statistics[slots.sqrtRelativeMSE] = (vHat.squareRoot() - 1) * (vHat.squareRoot() - 1)
        statistics[slots.momentumCurrentWeight] = mHat * g
        statistics[slots.momentumVariance] = mHat * mHat
    }
}
