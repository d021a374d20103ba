/// Dense linear algebra in plain loops: IEEE operations in a fixed order, no BLAS, no LAPACK, so
/// the same bits on every CPU. OpenBLAS picks its kernels by CPU, and their last bits differ; for
/// most results that is harmless (``ResultComparison`` in Report allows for it), but a chaotic
/// computation amplifies them. The adaptive optimizers of the dense `dynamics` cells run at the
/// edge of stability, where a last-bit change of H grows over 20,000 steps into a change of the
/// order of an MCSE (measured: 1.4·10⁻³ relative in a quick RMSProp cell when OpenBLAS ran its
/// Sandybridge kernels instead of this machine's Haswell ones). Their design is therefore built
/// here, at O(d³) scalar cost for d ≤ 256.
public enum Portable {
    /// A Haar orthogonal matrix (row-major n×n): the Q of Z = QR for an n×n standard Gaussian Z
    /// drawn row by row from `stream` (the draws of ``Matrix/haarOrthogonal(dimension:stream:using:)``),
    /// with R's diagonal made positive (Mezzadri 2007), by unblocked Householder reflections
    /// (Golub and Van Loan, *Matrix Computations*, Algorithms 5.2.1 and 5.1.5). The QR with a
    /// positive diagonal is unique, so this Q agrees with LAPACK's to rounding.
    public static func haarOrthogonal(dimension n: Int, stream: RandomStream) -> [Double] {
        precondition(n >= 1)
        var a = [Double](repeating: 0, count: n * n), beta = [Double](repeating: 0, count: n)
        var rDiagonal = [Double](repeating: 0, count: n), q = [Double](repeating: 0, count: n * n)
        var w = [Double](repeating: 0, count: n)
        a.withUnsafeMutableBufferPointer { a in
            stream.fillGaussian(a)
            // Column k of A below the diagonal becomes the Householder vector v (v_k = 1 implied
            // by storing it whole) with H_k = I − β_k·v·vᵀ, H_k·A[k:, k] = r_kk·e₁.
            for k in 0..<n {
                var tail2 = 0.0
                for i in (k + 1)..<n { tail2 += a[i * n + k] * a[i * n + k] }
                let x0 = a[k * n + k], norm = (x0 * x0 + tail2).squareRoot()
                let r = x0 >= 0 ? -norm : norm  // r_kk = −sign(x₀)‖x‖: no cancellation in v₀ = x₀ − r
                rDiagonal[k] = r
                guard norm > 0 else { beta[k] = 0; continue }
                a[k * n + k] = x0 - r
                beta[k] = 2 / ((x0 - r) * (x0 - r) + tail2)  // 2/‖v‖²
                // A[k:, j] −= β·v·(vᵀA[k:, j]) for the columns right of k.
                for j in (k + 1)..<n {
                    var s = 0.0
                    for i in k..<n { s += a[i * n + k] * a[i * n + j] }
                    s *= beta[k]
                    for i in k..<n { a[i * n + j] -= s * a[i * n + k] }
                }
            }
            // Q = H₀·H₁·…·H_{n−1}·I, accumulated backwards: Q ← H_k·Q acts on rows k… only.
            q.withUnsafeMutableBufferPointer { q in
                w.withUnsafeMutableBufferPointer { w in
                    for i in 0..<n { q[i * n + i] = 1 }
                    for k in stride(from: n - 1, through: 0, by: -1) where beta[k] != 0 {
                        // w = vᵀ·Q[k:, k:], then Q[k:, k:] −= β·v·w.
                        for j in k..<n { w[j] = 0 }
                        for i in k..<n {
                            let vi = a[i * n + k]
                            for j in k..<n { w[j] += vi * q[i * n + j] }
                        }
                        for i in k..<n {
                            let s = beta[k] * a[i * n + k]
                            for j in k..<n { q[i * n + j] -= s * w[j] }
                        }
                    }
                }
            }
        }
        // R's diagonal positive: column k of Q times sign(r_kk).
        for i in 0..<n { for k in 0..<n where rDiagonal[k] < 0 { q[i * n + k] = -q[i * n + k] } }
        return q
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
