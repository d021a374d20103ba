import CGSL

/// Student's t distribution with ν degrees of freedom (GSL's `gsl_cdf_tdist_*`): the quantiles
/// of Monte Carlo intervals and the false-alarm rate of an MCSE bound, with R replications giving
/// ν = R − 1.
public enum StudentT {
    /// The p-quantile: P(T ≤ t) = p.
    public static func quantile(_ p: Double, degreesOfFreedom nu: Int) -> Double {
        GSLRuntime.initialize()
        return gsl_cdf_tdist_Pinv(p, Double(nu))
    }

    /// P(|T| > t), the chance that a bound of t standard errors is crossed by chance.
    public static func twoSidedTail(_ t: Double, degreesOfFreedom nu: Int) -> Double {
        GSLRuntime.initialize()
        return 2 * gsl_cdf_tdist_Q(abs(t), Double(nu))
    }

    /// P(|Z| > t) for a standard normal Z: the limit of ``twoSidedTail(_:degreesOfFreedom:)`` as
    /// ν → ∞, for estimates whose replications are not known.
    public static func twoSidedNormalTail(_ t: Double) -> Double {
        GSLRuntime.initialize()
        return 2 * gsl_cdf_ugaussian_Q(abs(t))
    }
}
