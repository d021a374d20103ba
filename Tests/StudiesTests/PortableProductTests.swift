import CKernels
import GSL
import Testing

/// `hs_portable_gemm`, the network's training products: every element the sum of its terms in
/// order, times α — recomputed here by the definition, so the comparison is exact — and the same
/// product as BLAS's to rounding.
struct PortableProductTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func productIsItsDefinition(transposeA: Bool, transposeB: Bool) throws {
        let stream = try RandomStream(seed: 11)
        // n = 19: two blocks of eight and a tail of three; k = 1 and m = 1 are the degenerate cases.
        for (m, n, k) in [(5, 19, 7), (1, 8, 1), (3, 1, 4), (33, 65, 32)] {
            var a = [Double](repeating: 0, count: m * k), b = [Double](repeating: 0, count: k * n)
            a.withUnsafeMutableBufferPointer { stream.fillGaussian($0) }
            b.withUnsafeMutableBufferPointer { stream.fillGaussian($0) }
            let (lda, ldb) = (transposeA ? m : k, transposeB ? k : n)
            func opA(_ i: Int, _ p: Int) -> Double { transposeA ? a[p * lda + i] : a[i * lda + p] }
            func opB(_ p: Int, _ j: Int) -> Double { transposeB ? b[j * ldb + p] : b[p * ldb + j] }
            let alpha = 0.37
            var c = [Double](repeating: .nan, count: m * n)
            var packing = [Double](repeating: .nan, count: k * n)
            hs_portable_gemm(m, n, k, alpha, a, lda, transposeA ? 1 : 0, b, ldb, transposeB ? 1 : 0, &c, n, &packing)
            var blas = [Double](repeating: 0, count: m * n)
            BLAS.gemm(m: m, n: n, k: k, alpha, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB, 0, &blas, ldc: n)
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k { sum += opA(i, p) * opB(p, j) }
                    #expect(c[i * n + j] == alpha * sum, "(\(m), \(n), \(k)) element (\(i), \(j))")
                    // Two orders of a k-term sum differ by at most 2(k−1)u·Σ|terms| (Higham §4.2).
                    let magnitude = (0..<k).reduce(0.0) { $0 + abs(opA(i, $1) * opB($1, j)) }
                    #expect(abs(c[i * n + j] - blas[i * n + j]) <= 2 * Double(k) * Double.ulpOfOne * alpha * magnitude + Double.leastNormalMagnitude)
                }
            }
        }
    }
}
