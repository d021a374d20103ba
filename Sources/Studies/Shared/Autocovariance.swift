import Foundation

/// Σⱼ Σₖ wⱼ·wₖ·r^|j−k| over j, k = 0…t−1 for geometric weights wₖ = scale·βᵏ: the variance of
/// the weighted sum Σₖ wₖ·x₋ₖ of a unit-variance stationary stream with lag-k autocorrelation rᵏ.
///
/// In O(t): with Aₖ = Σ_{j<k} wⱼ·r^(k−j), A₀ = 0 and Aₖ = r·(Aₖ₋₁ + wₖ₋₁), the sum is
/// Σₖ wₖ² + 2·Σₖ wₖ·Aₖ.
func geometricWeightCovariance(beta: Double, scale: Double, steps t: Int, r: Double) -> Double {
    var total = 0.0, a = 0.0, w = scale, previous = 0.0
    for k in 0..<t {
        if k > 0 { a = r * (a + previous) }
        total += w * w + 2 * w * a
        previous = w
        w *= beta
    }
    return total
}

/// The weight 1/(1 − βᵗ) that removes an EMA's bias towards its zero start after t steps.
@inline(__always)
func biasCorrection(_ beta: Double, _ t: Int) -> Double {
    1 / (1 - pow(beta, Double(t)))
}
