import CKernels
import GSL
import MonteCarlo
import Synchronization

/// One chain of ``Dynamics``: the optimizer state per coordinate and the running time averages.
/// Made once per worker and cell; ``run(_:_:)`` resets it, so nothing is allocated per step.
///
/// Each step draws the d gradient-noise normals into a buffer first (a GSL call each: the draws
/// bound the speed, about 60% of the time with taus2), then updates every coordinate in one
/// branch-free loop over contiguous arrays.
public final class Chain {
    let dimension: Int
    /// The ten arrays z, δ, m, v, the block sums Σg², Σδ², Σratio and their totals
    /// (``BlockedSummation``) in one allocation. Arrays whose starts lie a
    /// multiple of 4 KiB apart share L1 cache sets; with d = 1000 the nine streams of two workers
    /// on hyperthreads of one core thrashed (88 against 134 M coordinate-steps/s at d = 1001), so
    /// consecutive arrays are staggered by an odd number of cache lines, and each chain's block
    /// by a further offset of its own.
    private let storage: UnsafeMutablePointer<Double>
    private let stride: Int, offset: Int
    /// The time sum of the sharpness (total, and over the current block of steps).
    var sumSharpness = 0.0
    private var blockSharpness = 0.0

    private static let made = Atomic<Int>(0)

    /// The dense chain's state (``runDense(_:_:_:)``), empty for the diagonal chain: the lower
    /// triangle of Σ δδᵀ (row-major d×d), the gradient g, zeros and ones for the kernel, K and its
    /// eigen-decomposition, and the preconditioned sharpness's sum, count and last value.
    private(set) var covarianceSum: [Double] = []
    private var gradient: [Double] = [], zeros: [Double] = [], ones: [Double] = []
    private var preconditioned: Matrix?, eigen: SymmetricEigen?
    private(set) var sumPreconditionedSharpness = 0.0, preconditionedSharpnessCount = 0, finalPreconditionedSharpness = 0.0

    convenience init(dimension d: Int, dense: Bool) throws {
        self.init(dimension: d)
        guard dense else { return }
        covarianceSum = [Double](repeating: 0, count: d * d)
        (gradient, zeros, ones) = ([Double](repeating: 0, count: d), [Double](repeating: 0, count: d), [Double](repeating: 1, count: d))
        preconditioned = try Matrix(rows: d, columns: d)
        eigen = try SymmetricEigen(dimension: d)
    }

    init(dimension d: Int) {
        dimension = d
        stride = (d + 7) / 8 * 8 + 24
        offset = 8 * (Chain.made.add(1, ordering: .relaxed).oldValue % 8 * 5)
        storage = .allocate(capacity: 10 * stride + 8 * 40)
        storage.initialize(repeating: 0, count: 10 * stride + 8 * 40)
    }

    deinit { storage.deallocate() }

    private func array(_ k: Int) -> UnsafeMutableBufferPointer<Double> {
        UnsafeMutableBufferPointer(start: storage + offset + k * stride, count: dimension)
    }

    var z: UnsafeMutableBufferPointer<Double> { array(0) }
    var delta: UnsafeMutableBufferPointer<Double> { array(1) }
    var m: UnsafeMutableBufferPointer<Double> { array(2) }
    var v: UnsafeMutableBufferPointer<Double> { array(3) }
    private var blockGradientSquares: UnsafeMutableBufferPointer<Double> { array(4) }
    private var blockDeltaSquares: UnsafeMutableBufferPointer<Double> { array(5) }
    private var blockNewtonRatio: UnsafeMutableBufferPointer<Double> { array(6) }
    /// Σ gᵢ², Σ δᵢ² and Σ ηhᵢ/(√v̂ᵢ + ε) over the averaged steps.
    var sumGradientSquares: UnsafeMutableBufferPointer<Double> { array(7) }
    var sumDeltaSquares: UnsafeMutableBufferPointer<Double> { array(8) }
    var sumNewtonRatio: UnsafeMutableBufferPointer<Double> { array(9) }

    /// A chain's start: δ = m = v = 0, and every sum (the open block's and the totals) 0.
    private func reset() {
        for i in 0..<dimension {
            (delta[i], m[i], v[i]) = (0, 0, 0)
            (blockGradientSquares[i], blockDeltaSquares[i], blockNewtonRatio[i]) = (0, 0, 0)
            (sumGradientSquares[i], sumDeltaSquares[i], sumNewtonRatio[i]) = (0, 0, 0)
        }
        (sumSharpness, blockSharpness) = (0, 0)
    }

    /// Closes the open block of sums into the totals (``BlockedSummation``).
    private func fold() {
        BlockedSummation.fold(blockGradientSquares, into: sumGradientSquares)
        BlockedSummation.fold(blockDeltaSquares, into: sumDeltaSquares)
        BlockedSummation.fold(blockNewtonRatio, into: sumNewtonRatio)
        BlockedSummation.fold(&blockSharpness, into: &sumSharpness)
    }

    /// After a step: the largest of the preconditioned curvatures ηhᵢ/(√v̂ᵢ + ε) that
    /// `hs_optimizer_step` leaves in `ratio` (0 if none is positive), once δ is checked: ‖δ‖² past
    /// 1e300 (or NaN) means some coordinate overflowed or soon will, a ``Divergence`` at `step`.
    @inline(__always)
    static func sharpness(_ ratio: UnsafeMutableBufferPointer<Double>, _ delta: UnsafeMutableBufferPointer<Double>, step: Int) throws -> Double {
        var sharpness = 0.0, size = 0.0
        for i in 0..<delta.count {
            sharpness = ratio[i] > sharpness ? ratio[i] : sharpness
            size += delta[i] * delta[i]
        }
        guard size < 1e300 else {
            throw Divergence(step: step, coordinate: (0..<delta.count).first { !(abs(delta[$0]) < 1e150) } ?? 0)
        }
        return sharpness
    }

    /// Runs `study.steps` steps of the shared update rule (``Optimizer``) from δ = m = v = 0.
    func run(_ study: Dynamics, _ stream: RandomStream) throws {
        let d = study.h.count
        let (eta, beta1, beta2, eps) = (study.lr, study.beta1, study.beta2, study.eps)
        let adaptive = study.optimizer.isAdaptive
        // r = g − centring·m: 1 for AdaBelief's (g − m)², 0 for Adam's g².
        let centring = study.optimizer.isCentred ? 1.0 : 0.0
        var beta1Power = 1.0, beta2Power = 1.0
        let (z, delta, m, v) = (self.z, self.delta, self.m, self.v)
        let (sumG2, sumD2, sumRatio) = (blockGradientSquares, blockDeltaSquares, blockNewtonRatio)
        let etaH = study.h.map { eta * $0 }
        try etaH.withUnsafeBufferPointer { etaH in
        try study.h.withUnsafeBufferPointer { h in
        try study.noiseScale.withUnsafeBufferPointer { noise in
            reset()
            for t in 1...study.steps {
                beta1Power *= beta1
                beta2Power *= beta2
                let step = eta / (1 - beta1Power), varianceCorrection = 1 / (1 - beta2Power)
                // A weight instead of a branch: the time averages count a step with weight 1
                // after the burn-in and 0 before it. SGD's preconditioner is 1.
                let weight = t > study.burnIn ? 1.0 : 0.0
                stream.fillGaussian(z)
                hs_optimizer_step(d, etaH.baseAddress, h.baseAddress, noise.baseAddress, z.baseAddress, delta.baseAddress,
                                  m.baseAddress, v.baseAddress, sumG2.baseAddress, sumD2.baseAddress, sumRatio.baseAddress,
                                  beta1, beta2, eps, centring, adaptive ? 1 : 0, step, varianceCorrection, weight)
                blockSharpness += weight * (try Self.sharpness(z, delta, step: t))
                if BlockedSummation.closesBlock(t) { fold() }
            }
            fold()
        }}}
    }

    /// Runs the dense chain of a rotated H or misaligned noise (``DenseModel``): each step draws
    /// z ~ N(0, I), forms g = Hδ + (C/B)^(1/2)z (row by row, Hδ's terms then the noise's), adds
    /// δδᵀ to the covariance sum after the burn-in, and applies the shared update rule through
    /// the same kernel as the diagonal chain, given g itself (its h·δ + noise·z with h = 0 and
    /// noise = 1 is g exactly). After the burn-in, at every
    /// ``Dynamics/preconditionedSharpnessInterval``-th step counting back from the last, it adds
    /// η·λ_max(P^(−1/2)HP^(−1/2)) with P = diag(√v̂ + ε) (`SymmetricEigen.largest`).
    func runDense(_ study: Dynamics, _ model: DenseModel, _ stream: RandomStream) throws {
        let d = study.h.count
        let (eta, beta1, beta2, eps) = (study.lr, study.beta1, study.beta2, study.eps)
        let adaptive = study.optimizer.isAdaptive
        let centring = study.optimizer.isCentred ? 1.0 : 0.0
        let interval = Dynamics.preconditionedSharpnessInterval
        var beta1Power = 1.0, beta2Power = 1.0
        let (z, delta, m, v) = (self.z, self.delta, self.m, self.v)
        let (sumG2, sumD2, sumRatio) = (blockGradientSquares, blockDeltaSquares, blockNewtonRatio)
        let etaH = study.h.map { eta * $0 }
        guard let preconditioned, let eigen else { preconditionFailure("a dense chain needs its dense workspace") }
        reset()
        for k in covarianceSum.indices { covarianceSum[k] = 0 }
        (sumPreconditionedSharpness, preconditionedSharpnessCount, finalPreconditionedSharpness) = (0, 0, 0)
        var scale = [Double](repeating: 0, count: d)
        try etaH.withUnsafeBufferPointer { etaH in
        try model.hessian.withUnsafeBufferPointer { hessian in
        try model.noiseFactor.withUnsafeBufferPointer { factor in
        try zeros.withUnsafeBufferPointer { zeros in
        try ones.withUnsafeBufferPointer { ones in
        try gradient.withUnsafeMutableBufferPointer { g in
        try covarianceSum.withUnsafeMutableBufferPointer { covariance in
            for t in 1...study.steps {
                beta1Power *= beta1
                beta2Power *= beta2
                let (step, varianceCorrection) = (eta / (1 - beta1Power), 1 / (1 - beta2Power))
                let averaged = t > study.burnIn, weight = averaged ? 1.0 : 0.0
                stream.fillGaussian(z)
                for i in 0..<d {
                    var s = 0.0
                    for j in 0..<d { s += hessian[i * d + j] * delta[j] }
                    for j in 0..<d { s += factor[i * d + j] * z[j] }
                    g[i] = s
                }
                if averaged {
                    for i in 0..<d { for j in 0...i { covariance[i * d + j] += delta[i] * delta[j] } }
                }
                hs_optimizer_step(d, etaH.baseAddress, zeros.baseAddress, ones.baseAddress, g.baseAddress, delta.baseAddress,
                                  m.baseAddress, v.baseAddress, sumG2.baseAddress, sumD2.baseAddress, sumRatio.baseAddress,
                                  beta1, beta2, eps, centring, adaptive ? 1 : 0, step, varianceCorrection, weight)
                blockSharpness += weight * (try Self.sharpness(g, delta, step: t))
                if adaptive && averaged && (study.steps - t) % interval == 0 {
                    // P^(−1/2) from the preconditioner the step just used, √(v·vc) + ε.
                    for i in 0..<d { scale[i] = 1 / ((v[i] * varianceCorrection).squareRoot() + eps).squareRoot() }
                    preconditioned.withElements { k in
                        for i in 0..<d { for j in 0..<d { k[i * d + j] = hessian[i * d + j] * scale[i] * scale[j] } }
                    }
                    let value = eta * (try eigen.largest(1, of: preconditioned)[0])
                    sumPreconditionedSharpness += value
                    preconditionedSharpnessCount += 1
                    if t == study.steps { finalPreconditionedSharpness = value }
                }
                if BlockedSummation.closesBlock(t) { fold() }
            }
            fold()
        }}}}}}}
    }
}
