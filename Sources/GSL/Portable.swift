import CKernels
/// Dense linear algebra in plain loops: IEEE operations in a fixed order, no BLAS, no LAPACK, so
/// the same bits on every CPU. OpenBLAS picks its kernels by CPU, and their last bits differ; for
/// most results that is harmless (``ResultComparison`` in Report allows for it), but a chaotic
/// computation amplifies them. The adaptive optimizers of the dense `dynamics` cells run at the
/// edge of stability, where a last-bit change of H grows over 20,000 steps into a change of the
/// order of an MCSE (measured: 1.4·10⁻³ relative in a quick RMSProp cell when OpenBLAS ran its
/// Sandybridge kernels instead of this machine's Haswell ones). Their design is therefore built
/// here, at O(d³) scalar cost for d ≤ 256.
public enum Portable {
    /// A Haar orthogonal matrix (row-major n×n): ``Matrix/haarOrthogonal(dimension:stream:using:)``'s
    /// (the same ``HaarReflections``, the same draws), with the product H₀⋯H_{n−1} accumulated in
    /// plain loops (Golub and Van Loan, *Matrix Computations*, Algorithm 5.1.5, backward:
    /// Q ← Hₖ·Q acts on rows k… only), so it agrees with LAPACK's to rounding.
    public static func haarOrthogonal(dimension n: Int, stream: RandomStream) throws -> [Double] {
        let reflections = try HaarReflections(dimension: n, stream: stream)
        var q = [Double](repeating: 0, count: n * n), w = [Double](repeating: 0, count: n)
        reflections.vectors.withElements { v in
            for i in 0..<n { q[i * n + i] = 1 }
            for k in stride(from: n - 1, through: 0, by: -1) where reflections.tau[k] != 0 {
                // vₖ is column k of the column-major reflections: v[k·n + i], i ≥ k.
                // w = vₖᵀ·Q[k:, k:], then Q[k:, k:] −= τₖ·vₖ·w.
                for j in k..<n { w[j] = 0 }
                for i in k..<n {
                    let vi = v[k * n + i]
                    for j in k..<n { w[j] += vi * q[i * n + j] }
                }
                for i in k..<n {
                    let s = reflections.tau[k] * v[k * n + i]
                    for j in k..<n { q[i * n + j] -= s * w[j] }
                }
            }
        }
        // The result is (Q·diag(signs))ᵀ, as the library's: element (k, j) is signₖ·Q[j, k].
        var p = [Double](repeating: 0, count: n * n)
        for k in 0..<n { for j in 0..<n { p[k * n + j] = reflections.signs[k] * q[j * n + k] } }
        return p
    }

    /// V·diag(x)·Vᵀ (row-major, V's columns the vectors), exactly symmetric: element (i, j) for
    /// j ≤ i is Σₖ Vᵢₖ·xₖ·Vⱼₖ summed over k in order, and (j, i) is a copy.
    public static func compose(vectors v: [Double], values x: [Double]) -> [Double] {
        let n = x.count
        precondition(v.count == n * n)
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = 0.0
                for k in 0..<n { s += v[i * n + k] * x[k] * v[j * n + k] }
                (m[i * n + j], m[j * n + i]) = (s, s)
            }
        }
        return m
    }

    /// C ← α·op(A)·op(B), row-major, op(X) = Xᵀ when asked (``hs_portable_gemm``): each c_ij is
    /// α·Σₖ op(A)_ik·op(B)_kj summed over k in order, one multiply and one add per term. op(A) is
    /// m×k (leading dimension lda), op(B) k×n (ldb), C m×n (ldc). With `transposeB`, `packing` has
    /// room for k·n doubles (Bᵀ is packed there, so that a caller's loop need not allocate).
    public static func product(m: Int, n: Int, k: Int, _ alpha: Double, _ a: UnsafePointer<Double>, lda: Int, transposeA: Bool = false,
                               _ b: UnsafePointer<Double>, ldb: Int, transposeB: Bool = false,
                               _ c: UnsafeMutablePointer<Double>, ldc: Int, packing: UnsafeMutablePointer<Double>? = nil) {
        precondition(!transposeB || packing != nil)
        hs_portable_gemm(m, n, k, alpha, a, lda, transposeA ? 1 : 0, b, ldb, transposeB ? 1 : 0, c, ldc, packing)
    }

    /// A·B for n×n row-major A and B (Aᵀ or Bᵀ when asked): the product above, returned.
    public static func product(_ a: [Double], _ b: [Double], n: Int, transposeA: Bool = false, transposeB: Bool = false) -> [Double] {
        precondition(a.count == n * n && b.count == n * n)
        var c = [Double](repeating: 0, count: n * n), packing = [Double](repeating: 0, count: transposeB ? n * n : 0)
        c.withUnsafeMutableBufferPointer { c in
            packing.withUnsafeMutableBufferPointer { packing in
                product(m: n, n: n, k: n, 1, a, lda: n, transposeA: transposeA, b, ldb: n, transposeB: transposeB,
                        c.baseAddress!, ldc: n, packing: transposeB ? packing.baseAddress : nil)
            }
        }
        return c
    }

    /// The eigenvalues (ascending) and eigenvectors (the columns of a row-major n×n V) of the
    /// symmetric n×n `a`, by the cyclic Jacobi method (Golub and Van Loan, *Matrix Computations*,
    /// §8.5; the stopping rule of Numerical Recipes' `jacobi`): sweeps of plane rotations
    /// J(p, q, θ), each chosen by the symmetric 2×2 Schur decomposition (τ = (a_qq − a_pp)/(2a_pq),
    /// t = sign(τ)/(|τ| + √(1 + τ²)), c = 1/√(1 + t²), s = t·c) so that A ← JᵀAJ has a_pq = 0,
    /// a_pp − t·a_pq and a_qq + t·a_pq on its diagonal, and V ← VJ. From the fourth sweep an a_pq
    /// too small to change a_pp or a_qq at 100 times its size is set to zero; it stops when every
    /// off-diagonal element is zero (quadratic convergence: a few sweeps; at most 100).
    /// Eigenvalues are found to about ε·‖A‖ absolutely, as LAPACK's are. O(n³) per sweep: for
    /// the small matrices whose decompositions decide a solver's path (T8's fixed point).
    public static func symmetricEigen(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        precondition(a.count == n * n)
        var a = a, v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for sweep in 0..<100 {
            guard (0..<n).contains(where: { i in (0..<n).contains { j in j != i && a[i * n + j] != 0 } }) else { break }
            for p in 0..<n {
                for q in (p + 1)..<n where a[p * n + q] != 0 {
                    let apq = a[p * n + q], g = 100 * abs(apq)
                    if sweep > 3 && abs(a[p * n + p]) + g == abs(a[p * n + p]) && abs(a[q * n + q]) + g == abs(a[q * n + q]) {
                        (a[p * n + q], a[q * n + p]) = (0, 0)
                        continue
                    }
                    let tau = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = tau >= 0 ? 1 / (tau + (1 + tau * tau).squareRoot()) : -1 / (-tau + (1 + tau * tau).squareRoot())
                    let c = 1 / (1 + t * t).squareRoot(), s = t * c
                    a[p * n + p] -= t * apq
                    a[q * n + q] += t * apq
                    (a[p * n + q], a[q * n + p]) = (0, 0)
                    for k in 0..<n where k != p && k != q {
                        let (x, y) = (a[k * n + p], a[k * n + q])
                        let (xp, yq) = (c * x - s * y, s * x + c * y)
                        (a[k * n + p], a[p * n + k], a[k * n + q], a[q * n + k]) = (xp, xp, yq, yq)
                    }
                    for k in 0..<n {
                        let (x, y) = (v[k * n + p], v[k * n + q])
                        (v[k * n + p], v[k * n + q]) = (c * x - s * y, s * x + c * y)
                    }
                }
            }
        }
        let order = (0..<n).sorted { (a[$0 * n + $0], $0) < (a[$1 * n + $1], $1) }
        var vectors = [Double](repeating: 0, count: n * n)
        for (column, k) in order.enumerated() { for i in 0..<n { vectors[i * n + column] = v[i * n + k] } }
        return (order.map { a[$0 * n + $0] }, vectors)
    }
}
