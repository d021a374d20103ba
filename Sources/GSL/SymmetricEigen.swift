import CGSL
#if OpenBLAS
import CLAPACK
#endif

/// The eigen-decomposition A = V·diag(λ)·Vᵀ of a real symmetric matrix, with its workspace,
/// and the matrix functions f(A) = V·diag(f(λ))·Vᵀ built on it, the matrix square root among
/// them (docs/SCIENCE.md T2: (E[ggᵀ])^(1/2) = σ·H).
///
/// Served by LAPACK's divide and conquer (`dsyevd`, blocked: its tridiagonal reduction is half
/// BLAS-3) with the `OpenBLAS` trait, by GSL's unblocked `gsl_eigen_symmv` without
/// (``LinearAlgebra``). Both read the lower triangle of the row-major matrix (LAPACK's upper
/// triangle of the same memory read column-major; for a symmetric matrix the eigenproblem is
/// the same), and both return the eigenvalues in ascending order, the eigenvectors one per
/// column (LAPACK's column-major output is transposed back to row-major).
///
/// One object serves any number of decompositions of `dimension × dimension` matrices; the
/// input is copied, never destroyed. Not thread-safe: one per worker.
public final class SymmetricEigen {
    public let dimension: Int
    public let backend: LinearAlgebra
    /// The eigenvalues of the last decomposition, ascending.
    public let values: Vector
    /// The eigenvectors of the last decomposition, one per column (signs as the library chose).
    public let vectors: Matrix
    private let scratch: Matrix
    private let workspace: UnsafeMutablePointer<gsl_eigen_symmv_workspace>?
    /// LAPACK's work arrays, sized by a workspace query at init (dsyevd's for `decompose`).
    private var work: [Double] = [], integerWork: [Int32] = []

    /// A decomposition of `dimension × dimension` matrices by `backend` (LAPACK when the build
    /// has it). Asking for LAPACK in a build without the `OpenBLAS` trait throws `GSL_EUNIMPL`.
    public init(dimension: Int, using backend: LinearAlgebra = .default) throws {
        GSLRuntime.initialize()
        try backend.requireAvailable("SymmetricEigen")
        self.dimension = dimension
        self.backend = backend
        values = try Vector(count: dimension)
        vectors = try Matrix(rows: dimension, columns: dimension)
        scratch = try Matrix(rows: dimension, columns: dimension)
        switch backend {
        case .gsl:
            workspace = try allocated(gsl_eigen_symmv_alloc(dimension), "gsl_eigen_symmv_alloc")
        case .lapack:
            workspace = nil
            #if OpenBLAS
            var n = try lapackInt(dimension, "dsyevd"), lwork: Int32 = -1, liwork: Int32 = -1, info: Int32 = 0
            var query = 0.0, integerQuery: Int32 = 0
            var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
            vectors.withElements { a in
                values.withElements { w in
                    dsyevd_(&jobz, &uplo, &n, a.baseAddress, &n, w.baseAddress, &query, &lwork, &integerQuery, &liwork, &info)
                }
            }
            try checkLAPACK(info, "dsyevd") { "workspace query failed (info \($0))" }
            work = [Double](repeating: 0, count: max(1, Int(query)))
            integerWork = [Int32](repeating: 0, count: max(1, Int(integerQuery)))
            #endif
        }
    }

    deinit { if let workspace { gsl_eigen_symmv_free(workspace) } }

    private func checkShape(_ a: Matrix, _ function: String) throws {
        guard a.rows == a.columns else {
            throw GSLError(status: GSLError.notSquare, function: function,
                           reason: "matrix must be square, got \(a.rows)×\(a.columns)")
        }
        guard a.rows == dimension else {
            throw GSLError(status: GSLError.badLength, function: function,
                           reason: "matrix is \(a.rows)×\(a.rows), the decomposition \(dimension)×\(dimension)")
        }
    }

    /// Decomposes the symmetric matrix `a` (only its lower triangle is read) into ``values``
    /// (ascending) and ``vectors``. Throws `GSL_ENOTSQR` or `GSL_EBADLEN` on a shape mismatch.
    public func decompose(_ a: Matrix) throws {
        switch backend {
        case .gsl:
            try checkShape(a, "gsl_eigen_symmv")
            try scratch.copy(from: a)
            try check(gsl_eigen_symmv(scratch.gsl, values.gsl, vectors.gsl, workspace), "gsl_eigen_symmv")
            try check(gsl_eigen_symmv_sort(values.gsl, vectors.gsl, GSL_EIGEN_SORT_VAL_ASC), "gsl_eigen_symmv_sort")
        case .lapack:
            #if OpenBLAS
            try checkShape(a, "dsyevd")
            try vectors.copy(from: a)
            var n = Int32(dimension), lwork = Int32(work.count), liwork = Int32(integerWork.count), info: Int32 = 0
            var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
            vectors.withElements { a in
                values.withElements { w in
                    dsyevd_(&jobz, &uplo, &n, a.baseAddress, &n, w.baseAddress, &work, &lwork, &integerWork, &liwork, &info)
                }
            }
            try checkLAPACK(info, "dsyevd") { "failed to converge (info \($0))" }
            // Column-major eigenvectors read row-major are Vᵀ: one transpose puts them in columns.
            try check(gsl_matrix_transpose(vectors.gsl), "gsl_matrix_transpose")
            #else
            fatalError("unreachable: init refused LAPACK")
            #endif
        }
    }

    /// The `k` largest eigenvalues of the symmetric matrix `a` (lower triangle read), largest
    /// first, without the eigenvectors: LAPACK's `dsyevr` with RANGE = 'I' (bisection and
    /// inverse iteration on the tridiagonal form, O(d²·k) after the O(d³) reduction, no
    /// back-transformation), or, with GSL, all eigenvalues (`gsl_eigen_symm`) of which the
    /// top `k` are kept. For λ_max(P^(−1/2)·H·P^(−1/2)), say. ``values`` and ``vectors`` keep
    /// the last full decomposition.
    public func largest(_ k: Int, of a: Matrix) throws -> [Double] {
        precondition((0...dimension).contains(k), "k = \(k) is outside 0...\(dimension)")
        guard k > 0 else { return [] }
        switch backend {
        case .gsl:
            try checkShape(a, "gsl_eigen_symm")
            try scratch.copy(from: a)
            let all = try Vector(count: dimension)
            let symm = try allocated(gsl_eigen_symm_alloc(dimension), "gsl_eigen_symm_alloc")
            defer { gsl_eigen_symm_free(symm) }
            try check(gsl_eigen_symm(scratch.gsl, all.gsl, symm), "gsl_eigen_symm")
            return Array(all.elements.sorted(by: >).prefix(k))
        case .lapack:
            #if OpenBLAS
            try checkShape(a, "dsyevr")
            try scratch.copy(from: a)
            return try Self.largestLAPACK(k, destroying: scratch)
            #else
            fatalError("unreachable: init refused LAPACK")
            #endif
        }
    }

    /// The `k` largest eigenvalues of the symmetric matrix `a` (lower triangle read), largest
    /// first, computed in place: `a` is overwritten (LAPACK's `dsyevr` with RANGE = 'I', or GSL's
    /// `gsl_eigen_symm` without the `OpenBLAS` trait). Needs no d×d workspace beyond `a` itself,
    /// for a caller that holds one large matrix and no longer needs it (a Hessian, say).
    public static func largest(_ k: Int, destroying a: Matrix) throws -> [Double] {
        GSLRuntime.initialize()
        guard a.rows == a.columns else {
            throw GSLError(status: GSLError.notSquare, function: "SymmetricEigen.largest",
                           reason: "matrix must be square, got \(a.rows)×\(a.columns)")
        }
        precondition((0...a.rows).contains(k), "k = \(k) is outside 0...\(a.rows)")
        guard k > 0 else { return [] }
        #if OpenBLAS
        return try largestLAPACK(k, destroying: a)
        #else
        let all = try Vector(count: a.rows)
        let symm = try allocated(gsl_eigen_symm_alloc(a.rows), "gsl_eigen_symm_alloc")
        defer { gsl_eigen_symm_free(symm) }
        try check(gsl_eigen_symm(a.gsl, all.gsl, symm), "gsl_eigen_symm")
        return Array(all.elements.sorted(by: >).prefix(k))
        #endif
    }

    #if OpenBLAS
    /// `dsyevr` (RANGE = 'I', no eigenvectors) on `a`, which it overwrites; largest first.
    private static func largestLAPACK(_ k: Int, destroying a: Matrix) throws -> [Double] {
        let dimension = a.rows
        var n = try lapackInt(dimension, "dsyevr"), il = Int32(dimension - k + 1), iu = Int32(dimension), found: Int32 = 0, info: Int32 = 0
        var jobz = CChar(UInt8(ascii: "N")), range = CChar(UInt8(ascii: "I")), uplo = CChar(UInt8(ascii: "U"))
        var vl = 0.0, vu = 0.0, abstol = 0.0, one: Int32 = 1, z = 0.0
        var w = [Double](repeating: 0, count: dimension), support = [Int32](repeating: 0, count: 2 * dimension)
        var lwork: Int32 = -1, liwork: Int32 = -1, query = 0.0, integerQuery: Int32 = 0
        a.withElements {
            dsyevr_(&jobz, &range, &uplo, &n, $0.baseAddress, &n, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &one,
                    &support, &query, &lwork, &integerQuery, &liwork, &info)
        }
        try checkLAPACK(info, "dsyevr") { "workspace query failed (info \($0))" }
        var rwork = [Double](repeating: 0, count: max(1, Int(query)))
        var iwork = [Int32](repeating: 0, count: max(1, Int(integerQuery)))
        (lwork, liwork) = (Int32(rwork.count), Int32(iwork.count))
        a.withElements {
            dsyevr_(&jobz, &range, &uplo, &n, $0.baseAddress, &n, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &one,
                    &support, &rwork, &lwork, &iwork, &liwork, &info)
        }
        try checkLAPACK(info, "dsyevr") { "internal error (info \($0))" }
        return Array(w.prefix(Int(found)).reversed())
    }
    #endif

    /// result ← V·diag(f(λ))·Vᵀ for the last decomposition.
    public func apply(_ f: (Double) throws -> Double, into result: Matrix) throws {
        try SymmetricEigen.compose(vectors: vectors, values: values.elements.map(f),
                                   into: result, scratch: scratch)
    }

    /// result ← A^(1/2), the symmetric positive semi-definite square root of `a`.
    ///
    /// Eigenvalues below zero by no more than rounding (`dimension · 1e-13 · max|λ|`) are taken
    /// as zero, as happens for a sample covariance with fewer samples than dimensions; larger
    /// negative ones throw `GSL_EDOM`.
    public func squareRoot(of a: Matrix, into result: Matrix) throws {
        try decompose(a)
        let λ = values.elements
        let tolerance = Double(dimension) * 1e-13 * (λ.map(abs).max() ?? 0)
        if let negative = λ.min(), negative < -tolerance {
            throw GSLError(status: GSLError.domain, function: "SymmetricEigen.squareRoot",
                           reason: "matrix is not positive semi-definite (eigenvalue \(negative))")
        }
        try apply({ max($0, 0).squareRoot() }, into: result)
    }

    /// result ← V·diag(λ)·Vᵀ: the symmetric matrix with eigenvectors `vectors` (columns) and
    /// eigenvalues `values`. `scratch` has the shape of `vectors`.
    ///
    /// With every λ ≥ 0 (a covariance, a square root, a positive definite H) it is W·Wᵀ for
    /// W = V·diag(√λ): one `syrk`, d³ flops where V·diag(λ)·Vᵀ by `gemm` takes 2d³, and exactly
    /// symmetric. Otherwise the `gemm`.
    public static func compose(vectors: Matrix, values: [Double], into result: Matrix, scratch: Matrix) throws {
        precondition(values.count == vectors.columns)
        try scratch.copy(from: vectors)
        let positive = values.allSatisfy { $0 >= 0 }
        let scale = positive ? values.map { $0.squareRoot() } : values
        for row in 0..<scratch.rows {
            scratch.withRow(row) { r in for j in r.indices { r[j] *= scale[j] } }
        }
        if positive {
            try BLAS.syrk(1, scratch, 0, result)
            try result.symmetrizeFromLower()
        } else {
            try BLAS.gemm(1, scratch, vectors, transposeB: true, 0, result)
        }
    }
}
