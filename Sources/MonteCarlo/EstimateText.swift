import Foundation
import GSL

/// The one way numbers are printed for people (NAME.md, REPORT.md, messages), after R's
/// rsimsum: the MCSE to two significant digits, and the estimate, its theory and its interval to
/// the same decimal place, so that no digit is shown that the Monte Carlo error does not
/// support. Numbers far from 1 share a power of ten: `(3.142 ± 0.012)·10⁻⁸`. −0 prints as 0.
public enum EstimateText {
    /// How many significant digits an MCSE keeps.
    public static let mcseDigits = 2

    /// "0.76160 ± 0.00012": an estimate with its MCSE; with no MCSE, 4 significant digits.
    public static func estimate(_ x: Double, mcse: Double?) -> String {
        guard let mcse, mcse > 0, mcse.isFinite else { return significant(x) }
        let scale = Scale(x, mcse)
        return scale.wrap("\(scale.fixed(x)) ± \(scale.fixed(mcse))")
    }

    /// `x` (a theory, an interval bound) printed to the decimal place `estimate(_:mcse:)` uses
    /// for an estimate `reference` with MCSE `mcse`.
    public static func like(_ x: Double, estimate reference: Double, mcse: Double?) -> String {
        guard let mcse, mcse > 0, mcse.isFinite else { return significant(x) }
        let scale = Scale(reference, mcse)
        return scale.wrap(scale.fixed(x))
    }

    /// The interval estimate ± t·mcse, t the 97.5% quantile of Student's t with R − 1 degrees
    /// of freedom: "[0.76136, 0.76184]".
    public static func interval(_ x: Double, mcse: Double?, replications: Int) -> String {
        guard let mcse, mcse > 0, mcse.isFinite, replications > 1 else { return "" }
        let t = intervalMultiplier(replications: replications)
        let scale = Scale(x, mcse)
        return scale.wrap("[\(scale.fixed(x - t * mcse)), \(scale.fixed(x + t * mcse))]")
    }

    /// t, the 97.5% quantile of Student's t with R − 1 degrees of freedom: a 95% interval is
    /// estimate ± t·mcse (2.04 at R = 32, 1.96 as R grows).
    public static func intervalMultiplier(replications: Int) -> Double {
        StudentT.quantile(0.975, degreesOfFreedom: max(1, replications - 1))
    }

    /// z = (estimate − theory)/mcse to two decimals.
    public static func z(_ z: Double) -> String { fixed(z, decimals: 2) }

    /// `x` to `digits` significant digits, in plain or scientific notation as it reads best.
    public static func significant(_ x: Double, digits: Int = 4) -> String {
        guard x.isFinite else { return "\(x)" }
        guard x != 0 else { return "0" }
        let exponent = Int(floor(log10(abs(x))))
        if exponent >= -3 && exponent < 6 { return fixed(x, decimals: max(0, digits - 1 - exponent)) }
        let mantissa = fixed(x / pow(10, Double(exponent)), decimals: digits - 1)
        return "\(mantissa)·10\(superscript(exponent))"
    }

    /// A percentage to `digits` significant digits: "1.4%".
    public static func percent(_ fraction: Double, digits: Int = 2) -> String {
        significant(100 * fraction, digits: digits) + "%"
    }

    /// `x` with `decimals` digits after the point; never "-0".
    public static func fixed(_ x: Double, decimals: Int) -> String {
        let text = printed(x, decimals: max(0, decimals))
        return text.allSatisfy({ "-0.".contains($0) }) && text.hasPrefix("-") ? String(text.dropFirst()) : text
    }

    /// C's `%.*f` (what `String(format:)` gives, at a tenth of its cost: a Markdown table of
    /// 10⁴ rows formats 10⁵ numbers).
    static func printed(_ x: Double, decimals: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 32)
        var count = Int(withVaList([Int32(decimals), x]) { vsnprintf(&buffer, buffer.count, "%.*f", $0) })
        if count >= buffer.count {  // |x| ≥ 10²⁰ or so: print again into room enough
            buffer = [CChar](repeating: 0, count: count + 1)
            count = Int(withVaList([Int32(decimals), x]) { vsnprintf(&buffer, buffer.count, "%.*f", $0) })
        }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The decimal place and the shared power of ten for an estimate and its MCSE.
    struct Scale {
        /// The power of ten taken out (0 for numbers that read well as they are).
        let exponent: Int
        /// Decimals after the point, once scaled: down to the MCSE's second significant digit.
        let decimals: Int

        init(_ x: Double, _ mcse: Double) {
            let lead = Int(floor(log10(max(abs(x), mcse))))
            exponent = lead >= -3 && lead < 6 ? 0 : lead
            var mcseLead = Int(floor(log10(mcse))) - exponent
            // 0.0996 rounds to 0.10: two digits at the next power of ten, not 0.100.
            let scaled = mcse / pow(10, Double(exponent))
            let unit = pow(10, Double(mcseLead - EstimateText.mcseDigits + 1))
            // Compared as a count of units: 100·10⁻⁶ in doubles falls just below pow(10, −4), which
            // printed 9.95·10⁻⁵ as "0.000100".
            if (scaled / unit).rounded() >= pow(10, Double(EstimateText.mcseDigits)) { mcseLead += 1 }
            decimals = max(0, EstimateText.mcseDigits - 1 - mcseLead)
        }

        func fixed(_ x: Double) -> String { EstimateText.fixed(x / pow(10, Double(exponent)), decimals: decimals) }

        /// The power of ten appended: "(3.142 ± 0.012)·10⁻⁸" around an estimate and its MCSE,
        /// "[3.117, 3.166]·10⁻⁸" after an interval, "3.140·10⁻⁸" after a lone number.
        func wrap(_ text: String) -> String {
            guard exponent != 0 else { return text }
            return (text.contains(" ± ") ? "(\(text))" : text) + "·10\(superscript(exponent))"
        }
    }

    static func superscript(_ n: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        return (n < 0 ? "⁻" : "") + String(String(abs(n)).map { digits[Int(String($0))!] })
    }
}
