import Foundation
import MonteCarlo
@testable import Reporting
import StrictJSON
import Studies
import Testing

/// Issue 24: every number of a NAME.md table, read back from the text and recomputed from the
/// CSV's full-precision values with references of the test's own (Student's t by integrating its
/// density with libm's lgamma, the binomial tail by direct summation), not the formatter or GSL.
struct MarkdownReadBackTests {
    /// Student's t density with ν degrees of freedom.
    static func tDensity(_ x: Double, _ nu: Double) -> Double {
        let constant: Double = lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * Double.pi)
        let kernel: Double = -(nu + 1) / 2 * log1p(x * x / nu)
        return exp(constant + kernel)
    }

    /// P(|T| > x), by Simpson's rule on [0, x] (20 000 intervals: error far below what is printed).
    static func twoSidedTail(_ x: Double, _ nu: Double) -> Double {
        let n = 20_000, h = x / Double(n)
        var sum = tDensity(0, nu) + tDensity(x, nu)
        for k in 1..<n { sum += (k % 2 == 1 ? 4 : 2) * tDensity(Double(k) * h, nu) }
        return 1 - 2 * sum * h / 3
    }

    /// The 97.5% quantile, by bisection on the tail.
    static func quantile975(_ nu: Double) -> Double {
        var (low, high) = (0.0, 100.0)
        for _ in 0..<60 {
            let mid = (low + high) / 2
            if twoSidedTail(mid, nu) > 0.05 { low = mid } else { high = mid }
        }
        return (low + high) / 2
    }

    /// P(X ≥ k) for X ~ Binomial(n, p), summed term by term.
    static func binomialTail(atLeast k: Int, _ n: Int, _ p: Double) -> Double {
        var sum = 0.0
        for j in k...n {
            let choose: Double = lgamma(Double(n + 1)) - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1))
            let powers: Double = Double(j) * log(p) + Double(n - j) * log1p(-p)
            sum += exp(choose + powers)
        }
        return sum
    }

    /// A printed number: "0.76160", "-3.1", "3.140·10⁻⁸" (its value, and the unit of its last
    /// printed digit).
    static func number(_ text: Substring) -> (value: Double, unit: Double)? {
        var mantissa = text, exponent = 0
        if let dot = text.range(of: "·10") {
            mantissa = text[..<dot.lowerBound]
            let digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
            var sign = 1, value = 0
            for c in text[dot.upperBound...] {
                if c == "⁻" { sign = -1; continue }
                guard let d = digits.firstIndex(of: c) else { return nil }
                value = value * 10 + digits.distance(from: digits.startIndex, to: d)
            }
            exponent = sign * value
        }
        guard let x = Double(mantissa) else { return nil }
        let decimals = mantissa.split(separator: ".").dropFirst().first?.count ?? 0
        let scale = pow(10, Double(exponent))
        return (x * scale, pow(10, Double(-decimals)) * scale)
    }

    /// Checks that `text` prints `value` to its last digit: within half a unit (and a rounding slack).
    static func expectPrints(_ text: Substring, _ value: Double, _ what: String) {
        guard let printed = number(text) else {
            Issue.record("\(what): \(text) is no number")
            return
        }
        #expect(abs(printed.value - value) <= 0.5 * printed.unit * (1 + 1e-9) + 1e-12 * abs(value), "\(what): \(text) for \(value)")
    }

    @Test(arguments: [
        // R = 3 (ν = 2) over 96 rows: several rows beyond 4 MCSE by chance, so the p-value clause is printed.
        #"{"name": "md", "study": "sqrt-law", "seed": 11, "replications": 3, "fixed": {"spectrum": {"min": 0.01, "max": 100, "count": 32}, "sigma": 0.5, "samples": 50}, "grid": {"alpha": [0, 0.5, 1]}}"#,
        #"{"name": "md", "study": "gauss-newton", "seed": 5, "replications": 12, "fixed": {"spectrum": {"min": 0.1, "max": 10, "count": 6}, "noise_sigma": 1, "samples": 400}, "grid": {"spread": [0, 0.3], "batch": [1, 4]}}"#,
    ])
    func everyNumberOfTheTablesIsTheCSVs(config text: String) throws {
        let config = try Config(file: "md.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
        let files = ResultFiles(config: config, results: try Runner(config: config, threads: 2).run())
        let rows = try StudyResults.parseRows(Array(files.csv.utf8), file: "md.csv", config: config)
        let markdown = files.markdown
        let r = config.replications, nu = Double(r - 1)

        // The header: t, the false-alarm rate, the count within 4 MCSE, chance's count and the p-value.
        let t = Self.quantile975(nu), chance = Self.twoSidedTail(4, nu)
        let header = try #require(markdown.split(separator: "\n").first { $0.contains("degrees of freedom") })
        let tText = try #require(header.split(separator: "(").last?.split(separator: ")").first)
        Self.expectPrints(tText, t, "t quantile")
        let scored = rows.filter { $0.z != nil }
        let within = scored.filter { abs($0.z!) <= 4 }.count, beyond = scored.count - within
        let countLine = try #require(markdown.split(separator: "\n").first { $0.hasPrefix("Rows within 4 MCSE") })
        #expect(countLine.hasPrefix("Rows within 4 MCSE of an exact theory: \(within) of \(scored.count) ("), "\(countLine)")
        let expected = try #require(countLine.split(separator: "chance alone puts ").last?.split(separator: " ").first)
        Self.expectPrints(expected, Double(scored.count) * chance, "chance's count")
        if beyond > 0 {
            var p = try #require(countLine.components(separatedBy: "with probability ").last?.components(separatedBy: ", ").first)
            if p.hasSuffix(".") { p.removeLast() }
            Self.expectPrints(Substring(p), Self.binomialTail(atLeast: beyond, scored.count, chance), "p-value")
            #expect(countLine.contains(", and \(beyond) or more with probability"), "\(countLine)")
        }
        if r == 3 { #expect(beyond > 0, "the R = 3 case prints the p-value clause") }

        // Each table row of the cells' tables against its CSV row, in order.
        let tables = try #require(markdown.range(of: "\n## Cell "))
        let tableRows = markdown[tables.lowerBound...].split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| quantity") }
        #expect(tableRows.count == rows.count)
        for (line, row) in zip(tableRows, rows) {
            let cells = line.dropFirst(2).dropLast(2).split(separator: " | ", omittingEmptySubsequences: false)
            let what = "cell \(row.cell) \(row.quantity)[\(row.index.map(String.init) ?? "")]"
            #expect(cells[0] == Substring(row.quantity) && cells[1] == Substring(row.index.map(String.init) ?? ""), "\(what): \(line)")
            Self.expectPrints(cells[2], row.estimate, "\(what) estimate")
            if let mcse = row.mcse, mcse > 0 {
                Self.expectPrints(cells[3], mcse, "\(what) mcse")
                // Two significant digits (an MCSE of 100 or more, printed without a point, keeps its integer digits).
                let mantissa = cells[3].split(separator: "·").first!
                if mantissa.contains(".") {
                    #expect(mantissa.filter(\.isNumber).drop { $0 == "0" }.count == 2, "\(what): mcse \(cells[3]) keeps two significant digits")
                }
                let bounds = cells[4].dropFirst().split(separator: "]").first!.split(separator: ", ")
                let power = cells[4].split(separator: "]").dropFirst().first.map { $0 } ?? ""
                Self.expectPrints(bounds[0] + power, row.estimate - t * mcse, "\(what) CI low")
                Self.expectPrints(bounds[1] + power, row.estimate + t * mcse, "\(what) CI high")
            }
            if let theory = row.theory {
                let text = cells[5].hasSuffix(" (limit)") ? cells[5].dropLast(8) : cells[5]
                #expect(cells[5].hasSuffix(" (limit)") == row.theoryIsLimit, "\(what): \(cells[5])")
                Self.expectPrints(text, theory, "\(what) theory")
            }
            if let z = row.z {
                Self.expectPrints(cells[6], z, "\(what) z")
            } else {
                #expect(cells[6].isEmpty, "\(what): no z without an exact theory and an MCSE")
            }
        }
    }
}
