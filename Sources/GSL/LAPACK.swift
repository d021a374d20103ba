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
    /// (H₀⋯H_{n−1}·diag(signs))ᵀ for the reflections of `reflections` (whose storage becomes the
    /// result with LAPACK): LAPACK's `dorgqr` forms H₀⋯H_{n−1} column-major in place, which read
    /// row-major is its transpose, and row k is then multiplied by signₖ; GSL's
    /// `gsl_linalg_QR_unpack` takes the reflections row-major (one transpose) and gives the
    /// product row-major (one more).
    static func orthogonalMatrix(_ reflections: HaarReflections, using backend: LinearAlgebra) throws -> Matrix {
        GSLRuntime.initialize()
        try backend.requireAvailable("orthogonalMatrix")
        let n = reflections.dimension
        let p: Matrix
        switch backend {
        case .gsl:
            let qr = reflections.vectors
            try check(gsl_matrix_transpose(qr.gsl), "gsl_matrix_transpose")
            let tau = try Vector(count: n)
            tau.withElements { _ = $0.update(fromContentsOf: reflections.tau) }
            p = try Matrix(rows: n, columns: n)
            let r = try Matrix(rows: n, columns: n)
            // tau and r are read only through their pointers: keep them alive across the call.
            try withExtendedLifetime((tau, r)) { try check(gsl_linalg_QR_unpack(qr.gsl, tau.gsl, p.gsl, r.gsl), "gsl_linalg_QR_unpack") }
            try check(gsl_matrix_transpose(p.gsl), "gsl_matrix_transpose")
        case .lapack:
            #if OpenBLAS
            p = reflections.vectors
            var size = try lapackInt(n, "dorgqr"), info: Int32 = 0, query = 0.0, minusOne: Int32 = -1
            var tau = reflections.tau
            p.withElements { dorgqr_(&size, &size, &size, $0.baseAddress, &size, &tau, &query, &minusOne, &info) }
            var lwork = Int32(max(query, 1))
            var work = [Double](repeating: 0, count: Int(lwork))
            p.withElements { dorgqr_(&size, &size, &size, $0.baseAddress, &size, &tau, &work, &lwork, &info) }
            try checkLAPACK(info, "dorgqr") { "failed (info \($0))" }
            #else
            fatalError("unreachable: requireAvailable refused LAPACK")
            #endif
        }
        for row in 0..<n where reflections.signs[row] < 0 {
            p.withRow(row) { r in for j in r.indices { r[j] = -r[j] } }
        }
        return p
    }
}
