import Foundation
import GSL
import MonteCarlo

/// The fixed part of a dense `dynamics` cell (T8): H = QΛQᵀ and the noise covariance C/B with its
/// symmetric square root, row-major d×d. Q is Haar from the cell's design stream
/// (``Portable/haarOrthogonal(dimension:stream:)``: the reflections sqrt-law's ``RotatedHessian``
/// draws, multiplied out in plain loops) with `rotation: "haar"`, else I; the noise's eigenvectors are Q, or with `noise: "misaligned"` an independent Haar Q′
/// drawn after Q. The noise's eigenvalues are qₖ = σₙ²λₖ^γ/B (γ = 1 unless `noise: "power"`).
struct DenseModel: Sendable {
    let dimension: Int
    let hessian: [Double]
    /// (C/B)^(1/2) = Q′·diag(√q)·Q′ᵀ: ξ = (C/B)^(1/2)·z with z ~ N(0, I).
    let noiseFactor: [Double]
    let noiseCovariance: [Double]
    /// Hᵢᵢ, (H²)ᵢᵢ = Σⱼ Hᵢⱼ² and (C/B)ᵢᵢ: the predictors v is held against.
    let hessianDiagonal: [Double], hessianSquaredDiagonal: [Double], noiseDiagonal: [Double]

    init(_ cell: Cell, design: RandomStream) throws {
        let lambda = cell[Dynamics.spectrum].values, d = lambda.count
        dimension = d
        // Portable: the chain amplifies H's last bits (see ``Portable``), so no BLAS makes them.
        let q: [Double]? = cell[Dynamics.rotation] == .haar ? try Portable.haarOrthogonal(dimension: d, stream: design) : nil
        let qNoise: [Double]? = cell[Dynamics.noise] == .misaligned ? try Portable.haarOrthogonal(dimension: d, stream: design) : q
        let variances = lambda.map { Dynamics.noiseVariance(cell, $0) }
        /// V·diag(x)·Vᵀ; exactly diag(x) without a rotation.
        func compose(_ vectors: [Double]?, _ x: [Double]) -> [Double] {
            guard let vectors else {
                var m = [Double](repeating: 0, count: d * d)
                for i in 0..<d { m[i * d + i] = x[i] }
                return m
            }
            return Portable.compose(vectors: vectors, values: x)
        }
        hessian = compose(q, lambda)
        noiseCovariance = compose(qNoise, variances)
        noiseFactor = compose(qNoise, variances.map { $0.squareRoot() })
        let (h, c) = (hessian, noiseCovariance)
        hessianDiagonal = (0..<d).map { h[$0 * d + $0] }
        hessianSquaredDiagonal = (0..<d).map { i in (0..<d).reduce(0) { $0 + h[i * d + $1] * h[i * d + $1] } }
        noiseDiagonal = (0..<d).map { c[$0 * d + $0] }
    }
}
