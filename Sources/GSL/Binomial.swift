import CGSL

/// The binomial distribution (GSL's `gsl_cdf_binomial_*`): how many of n independent trials,
/// each a success with probability p, succeed. The report asks it how surprising a count of
/// rows beyond their MCSE bound is, when each row crosses it by chance with probability p.
public enum Binomial {
    /// P(X ≥ k) for X ~ Binomial(n, p): 1 when k ≤ 0, 0 when k > n.
    public static func upperTail(atLeast k: Int, trials n: Int, probability p: Double) -> Double {
        precondition(n >= 0 && n <= Int(UInt32.max) && p >= 0 && p <= 1)
        if k <= 0 { return 1 }
        if k > n { return 0 }
        GSLRuntime.initialize()
        // gsl_cdf_binomial_Q(k, p, n) is P(X > k).
        return gsl_cdf_binomial_Q(UInt32(k - 1), p, UInt32(n))
    }
}
