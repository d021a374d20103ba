import CGSL

/// A dense row-major matrix of doubles that owns its `gsl_matrix`.
///
/// Rows are contiguous (GSL's `tda` equals ``columns``), so a row is a plain buffer and the
/// whole matrix is one block of `rows × columns` doubles, ready for BLAS.
public final class Matrix {
    @usableFromInline let gsl: UnsafeMutablePointer<gsl_matrix>

    /// A `rows × columns` matrix of zeros (`gsl_matrix_calloc`).
    public init(rows: Int, columns: Int) throws {
        GSLRuntime.initialize()
        precondition(rows > 0 && columns > 0, "a GSL matrix has at least one row and one column")
        gsl = try allocated(gsl_matrix_calloc(rows, columns), "gsl_matrix_calloc")
    }

    /// A matrix from its elements in row-major order.
    public convenience init(rows: Int, columns: Int, elements: [Double]) throws {
        precondition(elements.count == rows * columns, "need rows × columns elements")
        try self.init(rows: rows, columns: columns)
        withElements { buffer in _ = buffer.update(fromContentsOf: elements) }
    }

    /// The `n × n` identity.
    public static func identity(_ n: Int) throws -> Matrix {
        let matrix = try Matrix(rows: n, columns: n)
        gsl_matrix_set_identity(matrix.gsl)
        return matrix
    }

    deinit { gsl_matrix_free(gsl) }

    @inlinable public var rows: Int { gsl.pointee.size1 }
    @inlinable public var columns: Int { gsl.pointee.size2 }

    @inlinable public subscript(row: Int, column: Int) -> Double {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns)
            return gsl.pointee.data[row * gsl.pointee.tda + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns)
            gsl.pointee.data[row * gsl.pointee.tda + column] = newValue
        }
    }

    /// Calls `body` with all elements, row-major and contiguous.
    @inlinable public func withElements<R>(_ body: (UnsafeMutableBufferPointer<Double>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: gsl.pointee.data, count: rows * columns))
    }

    /// Calls `body` with row `row` as a contiguous buffer.
    @inlinable public func withRow<R>(_ row: Int, _ body: (UnsafeMutableBufferPointer<Double>) throws -> R) rethrows -> R {
        precondition(row >= 0 && row < rows)
        return try body(UnsafeMutableBufferPointer(start: gsl.pointee.data + row * gsl.pointee.tda, count: columns))
    }

    /// The elements row by row.
    public var elements: [Double] { withElements { Array($0) } }

    /// The main diagonal.
    public var diagonal: [Double] { (0..<min(rows, columns)).map { self[$0, $0] } }

    /// A new matrix with the same elements.
    public func copy() throws -> Matrix {
        let result = try Matrix(rows: rows, columns: columns)
        try result.copy(from: self)
        return result
    }

    /// Overwrites this matrix with `other` (same shape, else `GSL_EBADLEN`).
    public func copy(from other: Matrix) throws {
        try check(gsl_matrix_memcpy(gsl, other.gsl), "gsl_matrix_memcpy")
    }

    /// Sets every element to zero.
    public func setZero() { gsl_matrix_set_zero(gsl) }

    /// Scales every element by `factor`.
    public func scale(by factor: Double) throws {
        try check(gsl_matrix_scale(gsl, factor), "gsl_matrix_scale")
    }

    /// Copies the lower triangle onto the upper one (BLAS `syrk` fills only one triangle).
    public func symmetrizeFromLower() throws {
        try check(gsl_matrix_transpose_tricpy(CblasLower, CblasUnit, gsl, gsl), "gsl_matrix_transpose_tricpy")
    }

    /// The Frobenius norm ‖A‖_F.
    public var frobeniusNorm: Double {
        withElements { buffer in (buffer.reduce(0) { $0 + $1 * $1 }).squareRoot() }
    }
}

/// A vector of doubles that owns its contiguous `gsl_vector`.
public final class Vector {
    @usableFromInline let gsl: UnsafeMutablePointer<gsl_vector>

    /// A vector of `count` zeros.
    public init(count: Int) throws {
        GSLRuntime.initialize()
        precondition(count > 0, "a GSL vector has at least one element")
        gsl = try allocated(gsl_vector_calloc(count), "gsl_vector_calloc")
    }

    /// A vector holding `elements`.
    public convenience init(_ elements: [Double]) throws {
        try self.init(count: elements.count)
        withElements { buffer in _ = buffer.update(fromContentsOf: elements) }
    }

    deinit { gsl_vector_free(gsl) }

    @inlinable public var count: Int { gsl.pointee.size }

    @inlinable public subscript(index: Int) -> Double {
        get { precondition(index >= 0 && index < count); return gsl.pointee.data[index] }
        set { precondition(index >= 0 && index < count); gsl.pointee.data[index] = newValue }
    }

    /// Calls `body` with the elements as one contiguous buffer.
    @inlinable public func withElements<R>(_ body: (UnsafeMutableBufferPointer<Double>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: gsl.pointee.data, count: count))
    }

    /// The elements as an array.
    public var elements: [Double] { withElements { Array($0) } }
}
