import Foundation
import GSL
import MonteCarlo

/// The square-root law (STUDIES.md C2), generalised as T1 and rotated as T2.
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
    public static let parameters: [Parameter] = [
        Parameter("spectrum", .spectrum, "eigenvalues of H"),
        Parameter("sigma", .number(.positive), "σ, the scale of δ ~ N(0, σ²H^(−α))"),
        Parameter("alpha", .number(.finite), default: .number(0), "α: 0 is the source's isotropic δ, 1 the Gibbs distribution"),
        Parameter("rotation", .choice(["none", "haar"]), default: .choice("none"),
                  "H = diag(spectrum), or QΛQᵀ with Q Haar-random from the seed"),
        Parameter("samples", .integer(minimum: 1), "gradients drawn per replication"),
    ]

    /// σ: δ ~ N(0, σ²H^(−α)).
    let sigma: Double
    let alpha: Double
    let samples: Int
    /// The eigenvalues λ of H.
    let eigenvalues: [Double]
    /// The rotated model, nil when H is diagonal.
    let rotated: RotatedHessian?
    public let outputs: [Output]

    public static func validate(_ cell: Cell, replications: Int) throws(CellError) {}

    /// d = the spectrum's count. Diagonal H: the eigenvalues (design), the set of distinct ones
    /// (init), two arrays of d per worker and the log-log fit of each replication. Haar: the
    /// design keeps σH^(1−α/2) (d²) and three diagonals; preparing it holds three more d×d at
    /// once (Z, Q, R of the QR; then Q, the composed factor, its scratch and the copy kept); a
    /// worker's ``FullSecondMoment`` holds five d×d (its factor, Ê, Ê^(1/2), the eigenvectors and
    /// the eigen scratch), the blocks Z and G (d × min(samples, 256), and the tail) and O(d) more.
    public static func memory(_ cell: Cell) -> MemoryNeed {
        let d = Double(cell.spectrum("spectrum").count)
        if cell.choice("rotation") == "haar" {
            let samples = cell.integer("samples"), block = min(samples, FullSecondMoment.blockSize)
            let columns = Double(block + (samples % block > 0 ? samples % block : 0))
            return MemoryNeed(design: MemoryNeed.doubles(d * d + 3 * d),
                              preparation: MemoryNeed.doubles(3 * d * d + 4 * d) + LogLogFit.slopeBytes(d),
                              workspace: MemoryNeed.doubles(5 * d * d + 2 * d * columns + 12 * d) + LogLogFit.slopeBytes(d),
                              outputs: 2 * d + 3, parameter: "spectrum")
        }
        return MemoryNeed(design: MemoryNeed.doubles(d), preparation: MemoryNeed.setOfDoubles(d),
                          workspace: MemoryNeed.doubles(2 * d) + LogLogFit.slopeBytes(d),
                          outputs: d + 1, parameter: "spectrum")
    }

    public init(cell: Cell, design: RandomStream) throws {
        let sigma = cell.number("sigma"), alpha = cell.number("alpha"), eigenvalues = cell.spectrum("spectrum").values
        self.sigma = sigma
        self.alpha = alpha
        self.eigenvalues = eigenvalues
        samples = cell.integer("samples")
        let exponent = 2 - alpha
        if cell.choice("rotation") == "haar" {
            let rotated = try RotatedHessian(eigenvalues: eigenvalues, sigma: sigma, alpha: alpha, design: design)
            self.rotated = rotated
            let theoryV = rotated.secondMomentDiagonal
            let h = rotated.hessianDiagonal
            var outputs: [Output] = []
            outputs.reserveCapacity(2 * eigenvalues.count + 3)
            outputs += theoryV.enumerated().lazy.map { Output("v", index: $0, theory: $1) }
            if let slope = try LogLogFit.slope(h: h, v: theoryV) { outputs.append(Output("slope", theory: slope)) }
            outputs += theoryV.indices.lazy.map { i in
                Output("v_over_diag_law", index: i, theory: theoryV[i] / (sigma * sigma * Foundation.pow(h[i], exponent)))
            }
            outputs.append(Output("recovery_error_full", theory: nil))
            outputs.append(Output("recovery_error_diag", theory: nil))
            self.outputs = outputs
        } else {
            rotated = nil
            var outputs: [Output] = []
            outputs.reserveCapacity(eigenvalues.count + 1)
            outputs += eigenvalues.enumerated().lazy.map { i, h in
                Output("v", index: i, theory: sigma * sigma * Foundation.pow(h, exponent))
            }
            if Set(eigenvalues).count > 1 { outputs.append(Output("slope", theory: exponent)) }
            self.outputs = outputs
        }
    }

    public final class Workspace {
        /// Σ gᵢ² over the current block of samples (diagonal path; see ``BlockedSummation``).
        var sumOfSquares: [Double]
        /// Per-coordinate scale σ·hᵢ^(1−α/2) of g = Hδ (diagonal path).
        let gradientScale: [Double]
        let full: FullSecondMoment?

        init(_ study: SqrtLaw) throws {
            sumOfSquares = Array(repeating: 0, count: study.eigenvalues.count)
            gradientScale = study.eigenvalues.map { study.sigma * Foundation.pow($0, 1 - study.alpha / 2) }
            full = try study.rotated.map { try FullSecondMoment($0, samples: study.samples) }
        }
    }

    public func makeWorkspace() throws -> Workspace { try Workspace(self) }

    public func replicate(_ stream: RandomStream, _ workspace: inout Workspace,
                          _ statistics: UnsafeMutableBufferPointer<Double>) throws {
        let d = eigenvalues.count
        if let full = workspace.full, let rotated {
            let secondMoment = try full.estimate(stream)
            let v = secondMoment.diagonal
            let h = rotated.hessianDiagonal
            var k = 0
            for i in 0..<d { statistics[k] = v[i]; k += 1 }
            if let slope = try LogLogFit.slope(h: h, v: v) { statistics[k] = slope; k += 1 }
            for i in 0..<d { statistics[k] = v[i] / (sigma * sigma * Foundation.pow(h[i], 2 - alpha)); k += 1 }
            statistics[k] = try full.recoveryErrorFull(secondMoment); k += 1
            statistics[k] = full.recoveryErrorDiagonal(v)
            return
        }
        // Diagonal path: gᵢ = hᵢδᵢ = σ·hᵢ^(1−α/2)·zᵢ, z ~ N(0, I); only d sums, no d×d matrix.
        // Blocks of samples are summed apart and folded into the totals, kept in `statistics`.
        let totals = UnsafeMutableBufferPointer(rebasing: statistics[0..<d])
        workspace.sumOfSquares.withUnsafeMutableBufferPointer { sums in
            workspace.gradientScale.withUnsafeBufferPointer { scale in
                for i in 0..<d { (sums[i], totals[i]) = (0, 0) }
                for sample in 1...samples {
                    for i in 0..<d {
                        let g = scale[i] * stream.gaussian()
                        sums[i] += g * g
                    }
                    if BlockedSummation.closesBlock(sample) { BlockedSummation.fold(sums, into: totals) }
                }
                BlockedSummation.fold(sums, into: totals)
                for i in 0..<d { totals[i] /= Double(samples) }
            }
        }
        if d < outputs.count {
            statistics[d] = try LogLogFit.slope(h: eigenvalues, v: statistics[0..<d])!
        }
    }
}
