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
    public static let parameters: [Parameter] = [
        Parameter("beta2", .number(.unitHalfOpen), "β₂, the decay of the second-moment EMA"),
        Parameter("rho", .number(.symmetricOpenUnit), default: .number(0), "ρ, the lag-1 autocorrelation of g"),
        Parameter("steps", .integer(minimum: 1), "t, the EMA's steps when it is read"),
        Parameter("beta1", .number(.unitHalfOpen), default: .number(0.9), "β₁, the decay of the momentum EMA"),
    ]

    let beta1: Double, beta2: Double, rho: Double, steps: Int
    public let outputs: [Output]

    public static func validate(_ cell: Cell, replications: Int) throws(CellError) {}

    /// Five statistics and nothing else: no design, no workspace; what grows is the
    /// statistics table, with the replications.
    public static func memory(_ cell: Cell) -> MemoryNeed {
        MemoryNeed(outputs: 5, parameter: "replications")
    }

    public init(cell: Cell, design: RandomStream) throws {
        beta1 = cell.number("beta1")
        beta2 = cell.number("beta2")
        rho = cell.number("rho")
        steps = cell.integer("steps")
        outputs = [
            Output("rel_var", theory: Self.relativeVariance(beta2: beta2, rho: rho, steps: steps)),
            Output("sqrt_rel_bias", theory: nil),
            Output("sqrt_rel_mse", theory: nil),
            Output("m_current_weight", theory: Self.momentumCurrentWeight(beta1: beta1, rho: rho, steps: steps)),
            Output("m_variance", theory: geometricWeightCovariance(
                beta: beta1, scale: (1 - beta1) * biasCorrection(beta1, steps), steps: steps, r: rho)),
        ]
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

    public func replicate(_ stream: RandomStream, _ workspace: inout Void,
                          _ statistics: UnsafeMutableBufferPointer<Double>) throws {
        let innovation = (1 - rho * rho).squareRoot()
        var g = stream.gaussian()
        var v = 0.0, m = 0.0
        for t in 1...steps {
            if t > 1 { g = rho * g + innovation * stream.gaussian() }
            v = beta2 * v + (1 - beta2) * g * g
            m = beta1 * m + (1 - beta1) * g
        }
        let vHat = v * biasCorrection(beta2, steps), mHat = m * biasCorrection(beta1, steps)
        statistics[0] = (vHat - 1) * (vHat - 1)
        statistics[1] = vHat.squareRoot() - 1
        statistics[2] = (vHat.squareRoot() - 1) * (vHat.squareRoot() - 1)
        statistics[3] = mHat * g
        statistics[4] = mHat * mHat
    }
}
