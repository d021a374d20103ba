import Foundation

/// The noisy quadratic model of docs/SCIENCE.md T5, one coordinate at a time: curvature h, gradient
/// g = h·δ + ξ with ξ ~ N(0, q), q = σₙ²h/B fresh each step.
///
/// With a fixed step λ (SGD's η, or an adaptive method's η/(u + ε) with its preconditioner
/// frozen at u), the state (δ, m) is linear:
///
///     m' = β₁m + (1−β₁)(hδ + ξ),   δ' = δ − λm',
///
/// i.e. x' = A·x + b·ξ with A = [[1 − λ(1−β₁)h, −λβ₁], [(1−β₁)h, β₁]] and b = [−λ(1−β₁), 1−β₁].
/// Its stationary covariance S solves the Lyapunov equation S = A·S·Aᵀ + b·bᵀ·q; then
/// Var(δ) = S₁₁ and E[g²] = h²S₁₁ + q. β₁ = 0 is SGD (λ = η) or RMSProp.
public struct NoisyQuadratic {
    let h: Double
    /// q = σₙ²h/B, the variance of the gradient noise ξ.
    let noiseVariance: Double
    let beta1: Double

    /// Whether the fixed-step dynamics is stable: λh < 2(1+β₁)/(1−β₁) (the eigenvalues of A
    /// inside the unit circle; Cohen et al. 2022's adaptive edge of stability).
    func isStable(step lambda: Double) -> Bool {
        lambda > 0 && lambda * h < 2 * (1 + beta1) / (1 - beta1)
    }

    /// Stationary Var(δ) = S₁₁ for a fixed step λ, or nil if unstable.
    ///
    /// The Lyapunov equation in the unknowns (S₁₁, S₁₂, S₂₂), written out for the 2×2 case, is a
    /// 3×3 linear system, solved by Gaussian elimination with partial pivoting.
    func varianceOfDelta(step lambda: Double) -> Double? {
        guard isStable(step: lambda) else { return nil }
        let (a11, a12, a21, a22) = (1 - lambda * (1 - beta1) * h, -lambda * beta1, (1 - beta1) * h, beta1)
        let (b1, b2) = (-lambda * (1 - beta1), 1 - beta1)
        // S = A S Aᵀ + q b bᵀ, for s = (S₁₁, S₁₂, S₂₂):
        //   S₁₁ = a11²S₁₁ + 2a11a12S₁₂ + a12²S₂₂ + q b1²
        //   S₁₂ = a11a21S₁₁ + (a11a22 + a12a21)S₁₂ + a12a22S₂₂ + q b1b2
        //   S₂₂ = a21²S₁₁ + 2a21a22S₁₂ + a22²S₂₂ + q b2²
        var m: [[Double]] = [
            [1 - a11 * a11, -2 * a11 * a12, -a12 * a12, noiseVariance * b1 * b1],
            [-a11 * a21, 1 - (a11 * a22 + a12 * a21), -a12 * a22, noiseVariance * b1 * b2],
            [-a21 * a21, -2 * a21 * a22, 1 - a22 * a22, noiseVariance * b2 * b2],
        ]
        for column in 0..<3 {
            let pivot = (column..<3).max { abs(m[$0][column]) < abs(m[$1][column]) }!
            m.swapAt(column, pivot)
            guard m[column][column] != 0 else { return nil }
            for row in 0..<3 where row != column {
                let factor = m[row][column] / m[column][column]
                for k in column..<4 { m[row][k] -= factor * m[column][k] }
            }
        }
        let s11 = m[0][3] / m[0][0]
        return s11 > 0 && s11.isFinite ? s11 : nil
    }

    /// Stationary E[g²] = h²·Var(δ) + q for a fixed step λ, or nil if unstable.
    func secondMoment(step lambda: Double) -> Double? {
        varianceOfDelta(step: lambda).map { h * h * $0 + noiseVariance }
    }

    /// The β₂ → 1 fixed point of an adaptive method: u = √E[g²] when the step is η/(u + ε).
    ///
    /// F(u) = √E[g²](η/(u+ε)) − u is positive at the stability edge (where E[g²] → ∞) and
    /// negative for large u (where E[g²] → q); it is bracketed and bisected to the last bit.
    func fixedPoint(learningRate eta: Double, epsilon: Double) -> Double? {
        let edge = eta * h * (1 - beta1) / (2 * (1 + beta1)) - epsilon  // u where λh hits the limit
        var low = max(edge, 0), high = max(2 * noiseVariance.squareRoot(), 2 * low, eta * h)
        func excess(_ u: Double) -> Double? {
            secondMoment(step: eta / (u + epsilon)).map { $0.squareRoot() - u }
        }
        while let e = excess(high), e > 0 { high *= 2; if !high.isFinite { return nil } }
        for _ in 0..<2000 {
            let middle = low + (high - low) / 2
            guard middle > low && middle < high else { break }
            if let e = excess(middle), e <= 0 { high = middle } else { low = middle }
        }
        return high
    }
}

extension NoisyQuadratic {
    /// Where the β₂ → 1 fixed point's local exponent d log v/d log h passes `exponent` (in
    /// (1, 2)), as h/h_c with h_c = 4L²σₙ²/(Bη²) (docs/SCIENCE.md T5′, ε = 0).
    ///
    /// With x = ηh/u and q = σₙ²h/B, T5′ reads u² = q·f(x), f(x) = 1 + x/(2(1 − x/L)). Since
    /// u = ηh/x, h = (Bη²/σₙ²)·x²f(x): h is explicit in x ∈ (0, L), and so is
    /// v = u² = η²h²/x². Then d log h/d log x = 2 + g(x) with g = x f′/f, f′ = 1/(2(1 − x/L)²), and
    /// the local exponent is e = 2 − 2/(2 + g): 1 as x → 0 (Gauss–Newton), 2 as x → L (the edge).
    /// g is increasing, so e passes `exponent` where g = 2/(2 − e) − 2, found by bisection; then
    /// h/h_c = x²f(x)/(4L²). For RMSProp (L = 2) the passages of 1.1, 1.5 and 1.9 are at 1/99,
    /// 1/3 and 81/19; for Adam at β₁ = 0.9 (L = 38) at 6.8·10⁻⁵, 1.49 and 72.5.
    public static func exponentPassage(_ exponent: Double, limit L: Double) -> Double {
        precondition(exponent > 1 && exponent < 2 && L > 0)
        let target = 2 / (2 - exponent) - 2
        func f(_ x: Double) -> Double { 1 + x / (2 * (1 - x / L)) }
        func g(_ x: Double) -> Double { x / (2 * (1 - x / L) * (1 - x / L)) / f(x) }
        var (low, high) = (0.0, L)
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if g(middle) < target { low = middle } else { high = middle }
        }
        let x = (low + high) / 2
        return x * x * f(x) / (4 * L * L)
    }
}
