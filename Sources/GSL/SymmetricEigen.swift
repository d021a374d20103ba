import CGSL

/// The eigen-decomposition A = V·diag(λ)·Vᵀ of a real symmetric matrix, with its GSL
/// workspace (`gsl_eigen_symmv`), and the matrix functions f(A) = V·diag(f(λ))·Vᵀ built on it,
/// the matrix square root among them (STUDIES.md T2: (E[ggᵀ])^(1/2) = σ·H).
///
/// One object serves any number of decompositions of `dimension × dimension` matrices; the
/// input is copied, never destroyed.
public final class SymmetricEigen {
    public let dimension: Int
    /// The eigenvalues of the last decomposition (unordered, as GSL returns them).
    public let values: Vector
    /// The eigenvectors of the last decomposition, one per column.
    public let vectors: Matrix
    private let workspace: UnsafeMutablePointer<gsl_eigen_symmv_workspace>
    private let scratch: Matrix

    public init(dimension: Int) throws {
        GSLRuntime.initialize()
        self.dimension = dimension
        values = try Vector(count: dimension)
        vectors = try Matrix(rows: dimension, columns: dimension)
        scratch = try Matrix(rows: dimension, columns: dimension)
        workspace = try allocated(gsl_eigen_symmv_alloc(dimension), "gsl_eigen_symmv_alloc")
    }

    deinit { gsl_eigen_symmv_free(workspace) }

    /// Decomposes the symmetric matrix `a` (only its lower triangle is read) into
    /// ``values`` and ``vectors``. Throws `GSL_ENOTSQR` or `GSL_EBADLEN` on a shape mismatch.
    public func decompose(_ a: Matrix) throws {
        guard a.rows == a.columns else {
            throw GSLError(status: GSLError.notSquare, function: "gsl_eigen_symmv",
                           reason: "matrix must be square, got \(a.rows)×\(a.columns)")
        }
        try scratch.copy(from: a)
        try check(gsl_eigen_symmv(scratch.gsl, values.gsl, vectors.gsl, workspace), "gsl_eigen_symmv")
    }

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
    public static func compose(vectors: Matrix, values: [Double], into result: Matrix, scratch: Matrix) throws {
        precondition(values.count == vectors.columns)
        try scratch.copy(from: vectors)
        for row in 0..<scratch.rows {
            scratch.withRow(row) { r in for j in r.indices { r[j] *= values[j] } }
        }
        try BLAS.gemm(1, scratch, vectors, transposeB: true, 0, result)
    }
}

/// The Cholesky factorisation A = L·Lᵀ of a symmetric positive-definite matrix, in place:
/// the lower triangle of `a` becomes L (`gsl_linalg_cholesky_decomp1`). A matrix that is not
/// positive definite throws `GSL_EDOM` with GSL's reason.
public func choleskyDecompose(_ a: Matrix) throws {
    GSLRuntime.initialize()
    try check(gsl_linalg_cholesky_decomp1(a.gsl), "gsl_linalg_cholesky_decomp1")
}
