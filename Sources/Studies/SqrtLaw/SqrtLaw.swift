import Foundation
import GSL
import MonteCarlo

/// The square-root law (docs/SCIENCE.md C2), generalised as T1 and rotated as T2.
///
/// Around the optimum θ*, δ = θ − θ* ~ N(0, σ²H^(−α)) and the gradient is g = Hδ, so
///
///     E[ggᵀ] = σ²·H^(2−α)                                      (T1, exact)
///
/// α = 0 is the source's assumption (√E[gᵢ²] = σ·hᵢ: slope 2 of log v on log h); α = 1 the
/// Gibbs distribution exp(−L/σ²), slope 1. With H = QΛQᵀ rotated by a Haar-random Q (T2),
/// diag E[ggᵀ] = σ²·diag(H²) = σ²·Σⱼ Hᵢⱼ² (row norms, not Hᵢᵢ²), while the full matrix still
/// gives (E[ggᵀ])^(1/2) = σ·H.
///
/// Each replication draws `samples` gradients and estimates vᵢ = E[gᵢ²] by their mean square.
/// With `rotation: "none"` H is diagonal and the diagonal path never forms a d×d matrix; with
/// `"haar"` the full path estimates E[ggᵀ] with BLAS-3 (``FullSecondMoment``).
public struct SqrtLaw: Study {
    public static let name = "sqrt-law"
    public static let summary = "E[ggᵀ] for g = Hδ, δ ~ N(0, σ²H^(−α)): the square-root law (T1) and rotated H (T2)"

    /// H = diag(spectrum), or QΛQᵀ with Q Haar-random from the cell's design stream.
    public enum Rotation: String, Choice { case none, haar }

    public static let spectrum = Parameter<Spectrum>("spectrum", "eigenvalues of H")
    public static let sigma = Parameter<Double>("sigma", .positive, "σ, the scale of δ ~ N(0, σ²H^(−α))")
    public static let alpha = Parameter<Double>("alpha", .finite, default: 0, "α: 0 is the source's isotropic δ, 1 the Gibbs distribution")
    public static let rotation = Parameter<Rotation>("rotation", default: Rotation.none, "H = diag(spectrum), or QΛQᵀ with Q Haar-random from the seed")
    public static let samples = Parameter<Int>("samples", minimum: 1, "gradients drawn per replication")
    public static let parameters = [spectrum.erased, sigma.erased, alpha.erased, rotation.erased, samples.erased]

    /// σ: δ ~ N(0, σ²H^(−α)).
    let sigma: Double
    let alpha: Double
    let samples: Int
    /// The eigenvalues λ of H.
    let eigenvalues: [Double]
    /// The rotated model, nil when H is diagonal.
    let rotated: RotatedHessian?
    let slots: Slots
    public let outputs: [Output]
    public let unavailable: [Output]

    /// Where a replication writes: v (T1, T2), the slope of log v on log h (when h has two
    /// distinct values), and with rotation v over the diagonal law σ²hᵢᵢ^(2−α) and the recovery
    /// errors of σH from the full and the diagonal second moment.
    public struct Slots: Sendable {
        let v: VectorSlot
        let slope: Slot?
        let vOverDiagonalLaw: VectorSlot?
        let recoveryErrorFull: Slot?
        let recoveryErrorDiagonal: Slot?
    }

    public static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots {
        let d = cell[spectrum].count, haar = cell[rotation] == .haar
        return Slots(v: layout.vector(Quantities.v, count: d)!,
                     slope: layout.scalar(Quantities.slope, when: cell[spectrum].hasDistinctValues,
                                          otherwise: "a slope needs two distinct eigenvalues"),
                     vOverDiagonalLaw: haar ? layout.vector(Quantities.vOverDiagLaw, count: d) : nil,
                     recoveryErrorFull: haar ? layout.scalar(Quantities.recoveryErrorFull) : nil,
                     recoveryErrorDiagonal: haar ? layout.scalar(Quantities.recoveryErrorDiag) : nil)
    }

    public static func validate(_ cell: Cell, replications: Int) throws(CellError) {}

    /// d = the spectrum's count. Diagonal H: the eigenvalues (design), the set of distinct ones
    /// (init), two arrays of d per worker and the log-log fit of each replication. Haar: the
    /// design keeps σH^(1−α/2) (d²) and three diagonals; preparing it holds at most three more
    /// d×d at once (the reflections, Q and R of GSL's unpacking; then Q and the scratch of
    /// composing the factor); a
    /// worker's ``FullSecondMoment`` reads the design's factor and holds four d×d (Ê, Ê^(1/2),
    /// the eigenvectors and the eigen scratch) and, with LAPACK, dsyevd's work array
    /// (1 + 6d + 2d²: two more d×d), the block Z (d × min(samples, 256), and the tail), G of
    /// the same shape when n ≤ 2d (``FullSecondMoment``'s direct form), and O(d) more.
    public static func memory(_ cell: Cell) -> MemoryNeed {
        let d = Double(cell[spectrum].count)
        if cell[rotation] == .haar {
            let samples = cell[samples], block = min(samples, FullSecondMoment.blockSize)
            // Z, and G in the direct form.
            let blocks = FullSecondMoment.isFactored(samples: samples, dimension: cell[spectrum].count) ? 1.0 : 2
            let columns = blocks * Double(block + (samples % block > 0 ? samples % block : 0))
            return MemoryNeed(design: MemoryNeed.doubles(d * d + 3 * d),
                              preparation: MemoryNeed.doubles(3 * d * d + 4 * d) + LogLogFit.slopeBytes(d),
                              workspace: MemoryNeed.doubles(6 * d * d + d * columns + 20 * d) + LogLogFit.slopeBytes(d),
                              parameter: spectrum.name)
        }
        return MemoryNeed(design: MemoryNeed.doubles(d), preparation: MemoryNeed.setOfDoubles(d),
                          workspace: MemoryNeed.doubles(2 * d) + LogLogFit.slopeBytes(d), parameter: spectrum.name)
    }

    public init(cell: Cell, design: RandomStream) throws {
        let sigma = cell[Self.sigma], alpha = cell[Self.alpha], eigenvalues = cell[Self.spectrum].values
        (self.sigma, self.alpha, self.eigenvalues, samples) = (sigma, alpha, eigenvalues, cell[Self.samples])
        let exponent = 2 - alpha
        var layout = OutputLayout()
        let slots = Self.declareOutputs(cell, &layout)
        if cell[Self.rotation] == .haar {
            let rotated = try RotatedHessian(eigenvalues: eigenvalues, sigma: sigma, alpha: alpha, design: design)
            self.rotated = rotated
            let theoryV = rotated.secondMomentDiagonal, h = rotated.hessianDiagonal
            layout.setCurvature(h)
            layout.setTheory(slots.v) { .exact(theoryV[$0]) }
            if let slope = slots.slope, let fit = try LogLogFit.slope(h: h, v: theoryV) { layout.setTheory(slope, .exact(fit)) }
            if let ratio = slots.vOverDiagonalLaw {
                layout.setTheory(ratio) { i in .exact(theoryV[i] / (sigma * sigma * Foundation.pow(h[i], exponent))) }
            }
        } else {
            rotated = nil
            layout.setCurvature(eigenvalues)
            layout.setTheory(slots.v) { i in .exact(sigma * sigma * Foundation.pow(eigenvalues[i], exponent)) }
            if let slope = slots.slope { layout.setTheory(slope, .exact(exponent)) }
        }
        self.slots = slots
        outputs = layout.outputs
        unavailable = layout.missing
    }

    public final class Workspace {
        /// Σ gᵢ² over the current block of samples (diagonal path; see ``BlockedSummation``).
        var sumOfSquares: [Double]
        /// One sample's d standard normal draws (diagonal path), made by one ``RandomStream/fillGaussian(_:)``.
        var z: [Double]
        /// Per-coordinate scale σ·hᵢ^(1−α/2) of g = Hδ (diagonal path).
        let gradientScale: [Double]
        let full: FullSecondMoment?

        init(_ study: SqrtLaw) throws {
            sumOfSquares = Array(repeating: 0, count: study.eigenvalues.count)
            z = Array(repeating: 0, count: study.eigenvalues.count)
            gradientScale = study.eigenvalues.map { study.sigma * Foundation.pow($0, 1 - study.alpha / 2) }
            full = try study.rotated.map { try FullSecondMoment($0, samples: study.samples) }
        }
    }

    public func makeWorkspace() throws -> Workspace { try Workspace(self) }

    public func replicate(_ stream: RandomStream, _ workspace: inout Workspace, _ statistics: StatisticsRow) throws {
        let d = eigenvalues.count
        if let full = workspace.full, let rotated {
            let secondMoment = try full.estimate(stream)
            let v = secondMoment.diagonal
            let h = rotated.hessianDiagonal
            for i in 0..<d { statistics[slots.v, i] = v[i] }
            // The diagonal of QΛQᵀ has two distinct values (with probability 1) when Λ has; if it
            // ever had not, the NaN would stop the run with a message, never reach a CSV.
            if let slope = slots.slope { statistics[slope] = try LogLogFit.slope(h: h, v: v) ?? .nan }
            if let ratio = slots.vOverDiagonalLaw {
                for i in 0..<d { statistics[ratio, i] = v[i] / (sigma * sigma * Foundation.pow(h[i], 2 - alpha)) }
            }
            if let error = slots.recoveryErrorFull { statistics[error] = try full.recoveryErrorFull(secondMoment) }
            if let error = slots.recoveryErrorDiagonal { statistics[error] = full.recoveryErrorDiagonal(v) }
            return
        }
        // Diagonal path: gᵢ = hᵢδᵢ = σ·hᵢ^(1−α/2)·zᵢ, z ~ N(0, I); only d sums, no d×d matrix.
        // Blocks of samples are summed apart and folded into the totals, kept in `statistics`.
        let totals = statistics.values(slots.v)
        workspace.sumOfSquares.withUnsafeMutableBufferPointer { sums in
        workspace.z.withUnsafeMutableBufferPointer { z in
            workspace.gradientScale.withUnsafeBufferPointer { scale in
                for i in 0..<d { (sums[i], totals[i]) = (0, 0) }
                for sample in 1...samples {
                    stream.fillGaussian(z)
                    for i in 0..<d {
                        let g = scale[i] * z[i]
                        sums[i] += g * g
                    }
                    if BlockedSummation.closesBlock(sample) { BlockedSummation.fold(sums, into: totals) }
                }
                BlockedSummation.fold(sums, into: totals)
                for i in 0..<d { totals[i] /= Double(samples) }
            }
        }
        }
        if let slope = slots.slope { statistics[slope] = try LogLogFit.slope(h: eigenvalues, v: totals)! }
    }
}
