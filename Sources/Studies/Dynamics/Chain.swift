import GSL

/// One chain of ``Dynamics``: the optimizer state per coordinate and the running time averages.
/// Made once per worker and cell; ``run(_:_:)`` resets it, so nothing is allocated per step.
public final class Chain {
    var delta: [Double], m: [Double], v: [Double]
    var sumGradientSquares: [Double], sumDeltaSquares: [Double], sumNewtonRatio: [Double]
    var sumSharpness = 0.0

    init(dimension d: Int) {
        let zeros = [Double](repeating: 0, count: d)
        (delta, m, v, sumGradientSquares, sumDeltaSquares, sumNewtonRatio) = (zeros, zeros, zeros, zeros, zeros, zeros)
    }

    /// Runs `study.steps` steps of the shared update rule (``Optimizer``) from δ = m = v = 0.
    func run(_ study: Dynamics, _ stream: RandomStream) throws {
        let d = study.h.count
        let (eta, beta1, beta2, eps) = (study.lr, study.beta1, study.beta2, study.eps)
        let adaptive = study.optimizer.isAdaptive, centred = study.optimizer.isCentred
        sumSharpness = 0
        var beta1Power = 1.0, beta2Power = 1.0
        try study.h.withUnsafeBufferPointer { h in
        try study.noiseScale.withUnsafeBufferPointer { noise in
        try delta.withUnsafeMutableBufferPointer { delta in
        try m.withUnsafeMutableBufferPointer { m in
        try v.withUnsafeMutableBufferPointer { v in
        try sumGradientSquares.withUnsafeMutableBufferPointer { sumG2 in
        try sumDeltaSquares.withUnsafeMutableBufferPointer { sumD2 in
        try sumNewtonRatio.withUnsafeMutableBufferPointer { sumRatio in
            for i in 0..<d { (delta[i], m[i], v[i], sumG2[i], sumD2[i], sumRatio[i]) = (0, 0, 0, 0, 0, 0) }
            for t in 1...study.steps {
                beta1Power *= beta1
                beta2Power *= beta2
                let momentumCorrection = 1 / (1 - beta1Power), varianceCorrection = 1 / (1 - beta2Power)
                let averaging = t > study.burnIn
                var sharpness = 0.0
                for i in 0..<d {
                    let g = h[i] * delta[i] + noise[i] * stream.gaussian()
                    m[i] = beta1 * m[i] + (1 - beta1) * g
                    var precondition = 1.0
                    if adaptive {
                        let r = centred ? g - m[i] : g
                        v[i] = beta2 * v[i] + (1 - beta2) * r * r
                        precondition = (v[i] * varianceCorrection).squareRoot() + eps
                    }
                    if averaging {
                        let ratio = eta * h[i] / precondition
                        sumG2[i] += g * g
                        sumD2[i] += delta[i] * delta[i]
                        sumRatio[i] += ratio
                        sharpness = max(sharpness, ratio)
                    }
                    delta[i] -= eta * m[i] * momentumCorrection / precondition
                    guard abs(delta[i]) < 1e150 else { throw Divergence(step: t, coordinate: i) }
                }
                sumSharpness += sharpness
            }
        }}}}}}}}
    }
}
