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
}
