import CGSL
import CGSLErrors

/// A failure reported by GSL: its status code, GSL's own description of that code, and the
/// reason GSL gave at the point of failure.
///
/// GSL's default error handler calls `abort()`. This package installs, once per process, a
/// handler that only records the reason (``GSLRuntime/initialize()``), and every wrapped
/// call checks the status it returns and throws this error instead.
public struct GSLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// GSL's status code (`GSL_EDOM`, `GSL_ENOMEM`, …).
    public var status: Int32
    /// The GSL function that failed.
    public var function: String
    /// The reason GSL gave when the error occurred (for example "matrix is not positive definite").
    public var reason: String

    public init(status: Int32, function: String, reason: String) {
        self.status = status
        self.function = function
        self.reason = reason
    }

    /// GSL's name for the status code (`gsl_strerror`).
    public var statusDescription: String { String(cString: gsl_strerror(status)) }

    public var description: String {
        reason.isEmpty
            ? "\(function): \(statusDescription) (GSL status \(status))"
            : "\(function): \(reason) (\(statusDescription), GSL status \(status))"
    }

    /// GSL's status constants import as `Int`; GSL's functions return `Int32`.
    public static let domain = Int32(GSL_EDOM)
    public static let outOfMemory = Int32(GSL_ENOMEM)
    public static let badLength = Int32(GSL_EBADLEN)
    public static let notSquare = Int32(GSL_ENOTSQR)
}

/// Process-wide GSL set-up.
public enum GSLRuntime {
    private static let installed: Bool = {
        hs_install_error_handler()
        return true
    }()

    /// Switch GSL's abort-on-error handler off (idempotent, thread-safe). Every entry point of
    /// this module calls it; callers never need to.
    @inline(__always)
    public static func initialize() { _ = installed }

    /// The GSL version this process runs on (`gsl_version`), for example "2.7.1".
    public static var version: String { String(cString: hs_gsl_version()) }
}

/// Throws ``GSLError`` unless `status` is `GSL_SUCCESS`.
@inline(__always)
func check(_ status: Int32, _ function: @autoclosure () -> String) throws(GSLError) {
    guard status != Int32(GSL_SUCCESS) else { return }
    throw lastError(status: status, function: function())
}

/// The error for `status`, with the reason the handler recorded on this thread.
func lastError(status: Int32, function: String) -> GSLError {
    let reason = String(cString: hs_last_error_reason())
    hs_clear_error_reason()
    return GSLError(status: status, function: function, reason: reason)
}

/// Throws the recorded ``GSLError`` if an allocating GSL call returned NULL.
func allocated<T>(_ pointer: UnsafeMutablePointer<T>?, _ function: String) throws(GSLError)
    -> UnsafeMutablePointer<T>
{
    guard let pointer else { throw lastError(status: GSLError.outOfMemory, function: function) }
    return pointer
}
