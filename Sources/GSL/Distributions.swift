import CGSL

/// The n Householder reflections Hₖ = I − τₖ·vₖ·vₖᵀ (k = 0..<n) of a Haar orthogonal matrix,
/// drawn directly rather than by factoring a Gaussian matrix (Stewart 1980, "The efficient
/// generation of random orthogonal matrices with an application to condition estimators").
///
/// Why that is the same thing: Householder's QR of an n×n standard Gaussian Z makes H₀ from Z's
/// first column alone, z₀ ~ N(0, Iₙ); H₀·Z's trailing (n−1)×(n−1) block is again standard
/// Gaussian and independent of z₀ (Z's columns are independent, H₀ orthogonal). By induction the
/// k-th reflection is the one made from an independent x ~ N(0, I_{n−k}). So each column k draws
/// n − k normals and reflects them, as LAPACK's `dlarfg` does: for x = (α, x′),
///
///     x′ = 0:  τ = 0, r = α;      else  r = −sign(α)·‖x‖,  τ = (r − α)/r,  v = (1, x′/(α − r)),
///
/// and Q = H₀·H₁⋯H_{n−1}·diag(sign rₖₖ) is Haar on O(n) (Mezzadri 2007: the signs make R's diagonal
/// positive; without them Q is not Haar). n(n+1)/2 draws and no factorisation: the QR of Z cost
/// as much again as forming Q. The sums are plain loops, the same bits on every CPU.
struct HaarReflections {
    /// n×n, read column-major as LAPACK does: column k holds vₖ in rows k..<n (vₖ[k] = 1, the
    /// rest below the diagonal), the layout `dgeqrf` leaves; above the diagonal zeros.
    let vectors: Matrix
    /// τₖ.
    let tau: [Double]
    /// sign(rₖₖ): ±1.
    let signs: [Double]
    /// n.
    var dimension: Int { vectors.rows }

    init(dimension n: Int, stream: RandomStream) throws {
        precondition(n >= 1)
        vectors = try Matrix(rows: n, columns: n)
        var tau = [Double](repeating: 0, count: n), signs = [Double](repeating: 1, count: n)
        vectors.withElements { a in
            for k in 0..<n {
                let x = UnsafeMutableBufferPointer(rebasing: a[(k * n + k)..<(k * n + n)])
                stream.fillGaussian(x)
                let alpha = x[0]
                var tail2 = 0.0
                for i in 1..<x.count { tail2 += x[i] * x[i] }
                x[0] = 1
                guard tail2 > 0 else { signs[k] = alpha < 0 ? -1 : 1; continue }
                let norm = (alpha * alpha + tail2).squareRoot(), r = alpha >= 0 ? -norm : norm
                tau[k] = (r - alpha) / r
                let scale = 1 / (alpha - r)
                for i in 1..<x.count { x[i] *= scale }
                signs[k] = r < 0 ? -1 : 1
            }
        }
        (self.tau, self.signs) = (tau, signs)
    }
}

extension Matrix {
    /// A random orthogonal matrix from the Haar measure on O(n): Pᵀ for P = H₀⋯H_{n−1}·diag(sign rₖₖ)
    /// made of directly drawn reflections (``HaarReflections``, the reflections of the QR of an
    /// n×n standard Gaussian matrix). The transpose, because LAPACK's column-major P read row-major
    /// is Pᵀ, and the Haar measure is invariant under transposition (Pᵀ = P⁻¹).
    ///
    /// P is formed by LAPACK's blocked `dorgqr` with the `OpenBLAS` trait, by GSL's
    /// `gsl_linalg_QR_unpack` without (``LinearAlgebra``); both apply the same reflections, so
    /// they agree to rounding.
    public static func haarOrthogonal(dimension n: Int, stream: RandomStream,
                                      using backend: LinearAlgebra = .default) throws -> Matrix {
        try orthogonalMatrix(HaarReflections(dimension: n, stream: stream), using: backend)
    }
}
