import CGSL

/// Sample statistics of strided data (`gsl_stats_*`), so a column of a row-major table is read
/// in place.
public enum Statistics {
    /// The mean of `count` values `data[0], data[stride], …`.
    public static func mean(_ data: UnsafeBufferPointer<Double>, stride: Int = 1, count: Int) -> Double {
        precondition(count > 0 && (count - 1) * stride < data.count)
        return gsl_stats_mean(data.baseAddress, stride, count)
    }

    /// The sample standard deviation (divisor n − 1) about a known `mean`; 0 when count is 1.
    public static func standardDeviation(
        _ data: UnsafeBufferPointer<Double>, stride: Int = 1, count: Int, mean: Double
    ) -> Double {
        precondition(count > 0 && (count - 1) * stride < data.count)
        return count > 1 ? gsl_stats_sd_m(data.baseAddress, stride, count, mean) : 0
    }
}

extension Statistics {
    /// The sample covariance (divisor n − 1) of two strided series with known means; 0 when
    /// count is 1.
    public static func covariance(
        _ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>, stride: Int = 1, count: Int,
        means: (Double, Double)
    ) -> Double {
        precondition(count > 0 && (count - 1) * stride < min(x.count, y.count))
        return count > 1 ? gsl_stats_covariance_m(x.baseAddress, stride, y.baseAddress, stride, count, means.0, means.1) : 0
    }
}

/// The ordinary least-squares line y = intercept + slope·x (`gsl_fit_linear`).
public struct LinearFit: Sendable, Equatable {
    public var intercept: Double
    public var slope: Double
    /// The standard error of the slope, √cov₁₁, from the residual variance.
    public var slopeStandardError: Double
    /// The residual sum of squares.
    public var residualSumOfSquares: Double

    /// Fits `y` on `x`. Throws `GSL_EBADLEN` if the lengths differ or there are fewer than
    /// two points, and `GSL_EDOM` if every x is the same.
    public init(x: [Double], y: [Double]) throws {
        GSLRuntime.initialize()
        guard x.count == y.count, x.count >= 2 else {
            throw GSLError(status: GSLError.badLength, function: "gsl_fit_linear",
                           reason: "need two or more (x, y) pairs, got \(x.count) x and \(y.count) y")
        }
        guard x.contains(where: { $0 != x[0] }) else {
            throw GSLError(status: GSLError.domain, function: "gsl_fit_linear",
                           reason: "all x are equal, the slope is undefined")
        }
        var c0 = 0.0, c1 = 0.0, cov00 = 0.0, cov01 = 0.0, cov11 = 0.0, sumsq = 0.0
        try check(gsl_fit_linear(x, 1, y, 1, x.count, &c0, &c1, &cov00, &cov01, &cov11, &sumsq), "gsl_fit_linear")
        intercept = c0
        slope = c1
        slopeStandardError = cov11.squareRoot()
        residualSumOfSquares = sumsq
    }
}
