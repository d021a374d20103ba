import CGSL
#if OpenBLAS
import CLAPACK
#endif

/// Which library serves the dense factorisations (the symmetric eigen-decomposition, QR,
/// Cholesky): OpenBLAS's LAPACK (blocked, BLAS-3) when the package's `OpenBLAS` trait is on,
/// GSL's own unblocked routines otherwise. ``default`` is what the package uses; both are
/// reachable in a trait-on build so that tests can compare them.
public enum LinearAlgebra: String, Sendable, CaseIterable {
    case lapack, gsl

    /// LAPACK with the `OpenBLAS` trait, GSL without.
    public static var `default`: LinearAlgebra { isLAPACKAvailable ? .lapack : .gsl }

    /// Whether this build links a LAPACK (OpenBLAS's, with the `OpenBLAS` trait).
    public static var isLAPACKAvailable: Bool {
        #if OpenBLAS
        true
        #else
        false
        #endif
    }

    /// The backends this build can run: both with the trait, GSL's alone without.
    public static var available: [LinearAlgebra] { isLAPACKAvailable ? [.lapack, .gsl] : [.gsl] }

    /// For the manifest: "LAPACK (OpenBLAS)" or "GSL (unblocked)".
    public static var description: String { Self.default == .lapack ? "LAPACK (OpenBLAS)" : "GSL (unblocked linalg/eigen)" }

    /// Throws unless this build can run `backend` (LAPACK needs the `OpenBLAS` trait).
    func requireAvailable(_ function: String) throws {
        if self == .lapack && !Self.isLAPACKAvailable {
            throw GSLError(status: Int32(GSL_EUNIMPL), function: function,
                           reason: "LAPACK needs the OpenBLAS trait; this build has GSL's routines only")
        }
    }
}

/// Throws for a LAPACK `info`: negative is an argument the wrapper got wrong (a bug), positive
/// the routine's own failure, described by `failure`.
func checkLAPACK(_ info: Int32, _ function: String, status: Int32 = Int32(GSL_EFAILED),
                 failure: (Int32) -> String) throws {
    if info < 0 {
        throw GSLError(status: Int32(GSL_EINVAL), function: function, reason: "argument \(-info) had an illegal value")
    }
    if info > 0 { throw GSLError(status: status, function: function, reason: failure(info)) }
}

/// LAPACK's dimensions are 32-bit.
func lapackInt(_ n: Int, _ function: String) throws -> Int32 {
    guard let value = Int32(exactly: n) else {
        throw GSLError(status: GSLError.badLength, function: function, reason: "dimension \(n) exceeds LAPACK's 32-bit integers")
    }
    return value
}

/// The Cholesky factorisation A = L·Lᵀ of a symmetric positive-definite matrix, in place: the
/// lower triangle of `a` becomes L, the strict upper triangle is left as it was (GSL's
/// `gsl_linalg_cholesky_decomp1`, or LAPACK's `dpotrf` on the column-major upper triangle,
/// which is the same memory). A matrix that is not positive definite throws `GSL_EDOM`.
public func choleskyDecompose(_ a: Matrix, using backend: LinearAlgebra = .default) throws {
    GSLRuntime.initialize()
    try backend.requireAvailable("choleskyDecompose")
    switch backend {
    case .gsl:
        try check(gsl_linalg_cholesky_decomp1(a.gsl), "gsl_linalg_cholesky_decomp1")
    case .lapack:
        #if OpenBLAS
        guard a.rows == a.columns else {
            throw GSLError(status: GSLError.notSquare, function: "dpotrf", reason: "matrix must be square, got \(a.rows)×\(a.columns)")
        }
        var n = try lapackInt(a.rows, "dpotrf"), info: Int32 = 0
        var uplo = CChar(UInt8(ascii: "U"))
        a.withElements { dpotrf_(&uplo, &n, $0.baseAddress, &n, &info) }
        try checkLAPACK(info, "dpotrf", status: GSLError.domain) { "matrix is not positive definite (leading minor \($0))" }
        #else
        fatalError("unreachable: requireAvailable refused LAPACK")
        #endif
    }
}

extension Matrix {
    /// Q of the QR factorisation Z = Q·R of a square `z` (destroyed), with Q's columns signed so
    /// that R has a non-negative diagonal: GSL's `gsl_linalg_QR_decomp` and `_unpack`, or LAPACK's
    /// blocked `dgeqrf` and `dorgqr` (on Z transposed in place, so that both factor the same Z).
    static func orthogonalFactor(of z: Matrix, using backend: LinearAlgebra) throws -> Matrix {
        GSLRuntime.initialize()
        try backend.requireAvailable("orthogonalFactor")
        let n = z.rows
        precondition(z.columns == n, "orthogonalFactor takes a square matrix")
        let q: Matrix
        var rDiagonal = [Double](repeating: 0, count: n)
        switch backend {
        case .gsl:
            let tau = try Vector(count: n)
            try check(gsl_linalg_QR_decomp(z.gsl, tau.gsl), "gsl_linalg_QR_decomp")
            q = try Matrix(rows: n, columns: n)
            let r = try Matrix(rows: n, columns: n)
            try check(gsl_linalg_QR_unpack(z.gsl, tau.gsl, q.gsl, r.gsl), "gsl_linalg_QR_unpack")
            for i in 0..<n { rDiagonal[i] = r[i, i] }
        case .lapack:
            #if OpenBLAS
            // Row-major Z read column-major is Zᵀ: transpose first so that LAPACK factors Z.
            try check(gsl_matrix_transpose(z.gsl), "gsl_matrix_transpose")
            var size = try lapackInt(n, "dgeqrf"), info: Int32 = 0, query = 0.0, minusOne: Int32 = -1
            var tau = [Double](repeating: 0, count: n)
            z.withElements { dgeqrf_(&size, &size, $0.baseAddress, &size, &tau, &query, &minusOne, &info) }
            var orgQuery = 0.0
            z.withElements { dorgqr_(&size, &size, &size, $0.baseAddress, &size, &tau, &orgQuery, &minusOne, &info) }
            var lwork = Int32(max(query, orgQuery, 1))
            var work = [Double](repeating: 0, count: Int(lwork))
            z.withElements { dgeqrf_(&size, &size, $0.baseAddress, &size, &tau, &work, &lwork, &info) }
            try checkLAPACK(info, "dgeqrf") { "failed (info \($0))" }
            for i in 0..<n { rDiagonal[i] = z[i, i] }  // the diagonal is the same in either layout
            z.withElements { dorgqr_(&size, &size, &size, $0.baseAddress, &size, &tau, &work, &lwork, &info) }
            try checkLAPACK(info, "dorgqr") { "failed (info \($0))" }
            try check(gsl_matrix_transpose(z.gsl), "gsl_matrix_transpose")  // back to row-major Q
            q = z
            #else
            fatalError("unreachable: requireAvailable refused LAPACK")
            #endif
        }
        for row in 0..<n {
            q.withRow(row) { qRow in for column in 0..<n where rDiagonal[column] < 0 { qRow[column] = -qRow[column] } }
        }
        return q
    }
}
