import GSL
import MonteCarlo
import Testing

/// The one formatter: MCSE to two significant digits, everything else to its decimal place.
struct EstimateTextTests {
    @Test func estimatesKeepTheDigitsTheirMCSESupports() {
        // The forms the issue found: "0.7616 ± 0.0001237", "2 ± 3.089e-06".
        #expect(EstimateText.estimate(0.76161234, mcse: 0.0001237) == "0.76161 ± 0.00012")
        #expect(EstimateText.estimate(2, mcse: 3.089e-06) == "2.0000000 ± 0.0000031")
        #expect(EstimateText.estimate(115.47, mcse: 0.9834) == "115.47 ± 0.98")
        #expect(EstimateText.estimate(637.87, mcse: 18.32) == "638 ± 18")
        #expect(EstimateText.estimate(3.14159e-8, mcse: 1.234e-10) == "(3.142 ± 0.012)·10⁻⁸")
        #expect(EstimateText.estimate(1.5, mcse: nil) == "1.500")
        #expect(EstimateText.estimate(0.5, mcse: 0.0996) == "0.50 ± 0.10")  // not 0.100: two digits
        // The same carry where 100·10⁻⁶ falls just below 10⁻⁴ in doubles (a committed MCSE).
        #expect(EstimateText.estimate(-0.4487910150476093, mcse: 9.954429548677147e-05) == "-0.44879 ± 0.00010")
        #expect(EstimateText.like(0.7615, estimate: 0.76161, mcse: 0.0001237) == "0.76150")
        // A lone number takes the estimate's power of ten without parentheses.
        #expect(EstimateText.like(5.2749e-4, estimate: 5.28e-4, mcse: 1.2e-7) == "5.2749·10⁻⁴")
        #expect(EstimateText.interval(3.14159e-8, mcse: 1.234e-10, replications: 1000) == "[3.117, 3.166]·10⁻⁸")
    }

    /// Intervals use Student's t with R − 1 degrees of freedom: t₀.₉₇₅,₃₁ = 2.0395.
    @Test func intervalsUseStudentsT() {
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 31) - 2.039513) < 1e-6)
        #expect(EstimateText.interval(1, mcse: 0.01, replications: 32) == "[0.980, 1.020]")
        #expect(EstimateText.interval(1, mcse: 0.1, replications: 4) == "[0.68, 1.32]")  // t₀.₉₇₅,₃ = 3.182
        // The false-alarm rate of a 4-MCSE bound with R = 32: P(|t₃₁| > 4) ≈ 3.7·10⁻⁴.
        #expect(abs(StudentT.twoSidedTail(4, degreesOfFreedom: 31) - 3.68e-4) < 0.05e-4)
    }

    @Test func negativeZeroPrintsAsZero() {
        #expect(EstimateText.fixed(-0.0001, decimals: 2) == "0.00")
        #expect(EstimateText.fixed(-0.0, decimals: 0) == "0")
        #expect(EstimateText.z(-0.001) == "0.00")
        #expect(EstimateText.significant(0) == "0")
        #expect(EstimateText.fixed(-1.5, decimals: 1) == "-1.5")
    }
}
