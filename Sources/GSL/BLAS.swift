import Foundation
import CGSL

/// Level-3 BLAS through GSL's CBLAS interface (`gsl_blas_*`), served by OpenBLAS when the
/// package's `OpenBLAS` trait is on (the default) and by GSL's reference CBLAS otherwise.
public enum BLAS {
    /// C ← α·op(A)·op(B) + β·C (`gsl_blas_dgemm`), op(X) = Xᵀ when the flag is set.
    public static func gemm(
        _ alpha: Double, _ a: Matrix, transposeA: Bool = false,
        _ b: Matrix, transposeB: Bool = false,
        _ beta: Double, _ c: Matrix
    ) throws {
        try check(
            gsl_blas_dgemm(transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                           alpha, a.gsl, b.gsl, beta, c.gsl),
            "gsl_blas_dgemm")
    }

    /// The lower triangle of C ← α·A·Aᵀ + β·C (`gsl_blas_dsyrk`): the rank-k update that
    /// accumulates a block of outer products g·gᵀ at half the cost of `gemm`.
    public static func syrk(_ alpha: Double, _ a: Matrix, _ beta: Double, _ c: Matrix) throws {
        try check(gsl_blas_dsyrk(CblasLower, CblasNoTrans, alpha, a.gsl, beta, c.gsl), "gsl_blas_dsyrk")
    }

    /// C ← α·op(A)·op(B) + β·C on raw row-major storage (`cblas_dgemm`, as GSL's BLAS calls
    /// it): op(A) is m×k, op(B) k×n, C m×n, each with its leading dimension (the stride between
    /// rows), so that a block of columns of a larger matrix can be read or written in place.
    public static func gemm(
        m: Int, n: Int, k: Int, _ alpha: Double,
        _ a: UnsafePointer<Double>, lda: Int, transposeA: Bool = false,
        _ b: UnsafePointer<Double>, ldb: Int, transposeB: Bool = false,
        _ beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0)
        precondition(lda >= max(1, transposeA ? m : k) && ldb >= max(1, transposeB ? k : n) && ldc >= max(1, n))
        guard m > 0 && n > 0 else { return }
        let (opA, opB) = (operation(transposeA), operation(transposeB))
        cblas_dgemm(CblasRowMajor, opA, opB, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// CBLAS's flag for op(X) = Xᵀ (`true`) or X.
    private static func operation(_ transpose: Bool) -> CBLAS_TRANSPOSE { transpose ? CblasTrans : CblasNoTrans }

    /// The lower triangle of C ← α·AᵀA + β·C on raw row-major storage (`cblas_dsyrk`, transposed):
    /// A is k×n (k rows of n columns, leading dimension `lda`), C is n×n. A sum of outer products
    /// Σᵣ aᵣaᵣᵀ over the rows aᵣ of A, at half the cost of `gemm`.
    public static func syrkTransposed(
        n: Int, k: Int, _ alpha: Double, _ a: UnsafePointer<Double>, lda: Int,
        _ beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        precondition(n >= 0 && k >= 0 && lda >= max(1, n) && ldc >= max(1, n))
        guard n > 0 else { return }
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }

    /// The shared library that serves `cblas_dgemm` in this process, as the dynamic linker
    /// resolved it (for example `/lib/x86_64-linux-gnu/libopenblas.so.0`).
    public static var library: String {
        guard let address = hs_cblas_dgemm_address().map({ UInt(bitPattern: $0) }) else { return "none" }
        return mappedFile(containing: address) ?? "unknown"
    }

    /// The file mapped at `address` in this process, read from /proc/self/maps
    /// (lines of "start-end perms offset dev inode path").
    static func mappedFile(containing address: UInt) -> String? {
        // /proc files report size 0, so read to the end rather than by size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps") else { return nil }
        defer { try? handle.close() }
        let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6 else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16),
                  (start..<end).contains(address) else { continue }
            return fields[5...].joined(separator: " ")
        }
        return nil
    }

    /// Whether this build links OpenBLAS (the `OpenBLAS` package trait).
    public static var isOpenBLAS: Bool {
        #if OpenBLAS
        true
        #else
        false
        #endif
    }

    /// Limits BLAS to `count` threads. Parallel replications each run single-threaded BLAS:
    /// two workers with two OpenBLAS threads each measured 2× slower than one thread each.
    public static func setThreads(_ count: Int) {
        #if OpenBLAS
        openblas_set_num_threads(Int32(count))
        #endif
    }

    /// A one-line description: the library serving `cblas_dgemm` and, for OpenBLAS, its build.
    public static var description: String {
        #if OpenBLAS
        if let config = openblas_get_config() { return "\(library) (\(String(cString: config)))" }
        #endif
        return library
    }
}
