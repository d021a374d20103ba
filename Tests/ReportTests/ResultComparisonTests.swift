import Foundation
import Report
import Reporting
import Testing

/// `make study-check`'s comparison: bytes everywhere, numbers within τ of their row's size.
struct ResultComparisonTests {
    static let header = "cell,alpha,quantity,index,estimate,mcse,theory\n"
    func csv(_ rows: String...) -> [UInt8] { Array((Self.header + rows.joined(separator: "\n") + "\n").utf8) }

    @Test func identicalFilesAreTheSameBytes() throws {
        let a = csv("0,0.5,v,0,2.5,0.01,2.5")
        #expect(try ResultComparison.compare(expected: a, actual: a) == .identical)
    }

    /// A relative change of τ passes; 2τ does not. An MCSE far below its estimate is measured
    /// against the estimate: its last bits follow the estimate's.
    @Test func numbersAgreeExactlyUpToTheRoundingBound() throws {
        let tau = ResultComparison.tolerance
        let base = csv("0,0.5,v,0,2.5,0.01,2.5")
        let near = csv("0,0.5,v,0,\(2.5 * (1 + tau)),0.01,2.5")
        let far = csv("0,0.5,v,0,\(2.5 * (1 + 2 * tau)),0.01,2.5")
        #expect(try ResultComparison.compare(expected: base, actual: near).reproduces)
        #expect(try !ResultComparison.compare(expected: base, actual: far).reproduces)
        // τ itself is the rounding bound 2²¹·u = 2⁻³², not a looser number: a relative change of
        // 10⁻⁹ (four times τ) is a change, one of 10⁻¹⁴ (BLAS kernels seen here: 4·10⁻¹⁵) is not.
        #expect(ResultComparison.tolerance == 0x1p-32)
        #expect(try !ResultComparison.compare(expected: base, actual: csv("0,0.5,v,0,\(2.5 * (1 + 1e-9)),0.01,2.5")).reproduces)
        #expect(try ResultComparison.compare(expected: base, actual: csv("0,0.5,v,0,\(2.5 * (1 + 1e-14)),0.01,2.5")).reproduces)
        let mcse = csv("0,0.5,v,0,2.5,\(0.01 + 2.5 * tau / 2),2.5")
        #expect(try ResultComparison.compare(expected: base, actual: mcse).reproduces)
        let mcseFar = csv("0,0.5,v,0,2.5,\(0.01 + 2.5 * tau * 3),2.5")
        #expect(try !ResultComparison.compare(expected: base, actual: mcseFar).reproduces)
    }

    /// Anything but a number column must be identical; an empty number is not a number.
    @Test func everythingElseMustBeIdentical() throws {
        let base = csv("0,0.5,v,0,2.5,0.01,2.5")
        for other in [csv("0,0.50000000000000001,v,0,2.5,0.01,2.5"), csv("0,0.5,w,0,2.5,0.01,2.5"), csv("0,0.5,v,1,2.5,0.01,2.5"),
                      csv("0,0.5,v,0,2.5,0.01,"), csv("0,0.5,v,0,2.5,0.01,2.5", "1,1,v,0,1,1,1"),
                      Array((Self.header.replacingOccurrences(of: "alpha", with: "beta") + "0,0.5,v,0,2.5,0.01,2.5\n").utf8)] {
            #expect(try !ResultComparison.compare(expected: base, actual: other).reproduces, "\(String(decoding: other, as: UTF8.self))")
        }
    }

    /// A logarithm or a relative gap is measured against 1: log₁₀ of a ratio of exactly 1 in one
    /// build and −2.5·10⁻¹⁵ in another (GSL's CBLAS against OpenBLAS) agree, as do gaps √v/u − 1
    /// whose last bits follow u's. Any other quantity keeps the relative bound however small it
    /// is: v̂ ≈ 10⁻¹⁷ moved by 10% is a change.
    @Test func logarithmsAndGapsAreMeasuredAgainstOne() throws {
        let log = csv("0,0.5,bin_log10_hessian_squared,0,0,0,")
        #expect(try ResultComparison.compare(expected: log, actual: csv("0,0.5,bin_log10_hessian_squared,0,-2.5e-15,0,")).reproduces)
        #expect(try !ResultComparison.compare(expected: log, actual: csv("0,0.5,bin_log10_hessian_squared,0,-1e-9,0,")).reproduces)
        let gap = csv("0,0.5,sqrt_v_gap,0,0.000262582124829297,0.0005,")
        #expect(try ResultComparison.compare(expected: gap, actual: csv("0,0.5,sqrt_v_gap,0,0.00026258212523244673,0.0005,")).reproduces)
        let tiny = csv("0,0.5,v,0,1e-17,1e-19,")
        #expect(try !ResultComparison.compare(expected: tiny, actual: csv("0,0.5,v,0,1.1e-17,1e-19,")).reproduces)
        #expect(!ResultComparison.isOfOrderOne("v") && !ResultComparison.isOfOrderOne("logistic_v")
                && ResultComparison.isOfOrderOne("log_ratio_minibatch") && ResultComparison.isOfOrderOne("t4_sd_log_ratio"))
    }
}
