import Foundation
import GSL
import MonteCarlo
import Report
import Studies
import TestSupport
import Testing

/// No number in README.md or docs/ is typed by hand: results are stated only inside results
/// blocks (``Quotation``), which must be what the committed results give; outside them a number
/// is a constant of the science or of a config, each listed here with where it comes from, and
/// the ones a closed form gives are recomputed.
struct DocumentationNumbersTests {
    static let files = ["README.md", "docs/SCIENCE.md", "docs/RESULTS.md", "docs/ENGINEERING.md", "docs/ADDING-A-STUDY.md"]

    /// Numbers the documentation may state outside results blocks, each with its source. Decimal
    /// numbers, percentages, multiples (×) and powers of ten (·10ⁿ) are checked; bare integers
    /// (counts, sizes, section numbers) are not.
    static let constants: [String: String] = [
        // Parameters of the committed configs and the studies' defaults.
        "0.9": "β₁, β₂ values of the configs and defaults", "0.99": "a β₂ of the configs", "0.999": "a β₂ of the configs and β₂'s default",
        "0.9999": "a β₂ of the configs", "0.001": "the network's default η", "0.01": "η of the dynamics configs; a spectrum's min",
        "0.5": "σ of sqrt-law; a γ of dynamics-noise", "1.5": "a γ of dynamics-noise; T5′'s midway exponent", "0.0015": "the dynamics spectrum's min",
        "4·10⁻⁴": "σₙ of the dynamics configs", "0.6": "β₁ of a RotatedNQMTests case", "1.1": "T5′'s exponent levels", "1.9": "T5′'s exponent levels",
        // Constants of the method.
        "95%": "the confidence level of every interval", "97.5%": "t's quantile for a 95% interval", "2%": "RotatedNQMTests' tolerance for √v against T8",
        "99%": "the old fixed-share rule, named to say why it is no rule", "15%": "the resume test's interruptions fall in a run's last 15%",
        "2.3·10⁻¹⁰": "compare's τ = 2²¹·2⁻⁵³", "3·10⁻¹¹": "the blocked sum's error bound at 10⁹ terms, (4096 + n/4096)·ε·n",
        "2·10⁻⁹": "plain summation's drift at 10⁸ terms in BlockedSummationTests",
        "6.1": "the Swift version the package needs",
        "2×": "a 2×2 matrix", "3×": "a 3×3 system", "4×": "a 4×4 system", "8×": "8×8 pixels",
        // Closed forms, recomputed by the tests below.
        "0.10526": "T4", "0.010050": "T4", "0.0010005": "T4", "0.00010001": "T4 (the table said 0.00010000 until this test recomputed it)",
        "0.3244": "T4", "0.1003": "T4", "0.03163": "T4", "0.01000": "T4",
        "0.8526": "AdaBelief's factor 2β₁²/(1+β₁) at β₁ = 0.9",
        "3.7·10⁻⁴": "P(|t₃₁| > 4)", "5.3·10⁻³": "P(|t₃₁| > 3)", "2.7·10⁻⁴": "P(|t₃₉| > 4)", "4.7·10⁻³": "P(|t₃₉| > 3)",
        "2.1·10⁻⁴": "P(|t₄₉| > 4)", "4.2·10⁻³": "P(|t₄₉| > 3)", "1.2·10⁻⁴": "P(|t₉₉| > 4)", "3.4·10⁻³": "P(|t₉₉| > 3)",
        "7.5·10⁻⁵": "P(|t₃₉₉| > 4)", "2.9·10⁻³": "P(|t₃₉₉| > 3)", "6.6·10⁻⁵": "P(|t₁₉₉₉| > 4)", "2.7·10⁻³": "P(|t₁₉₉₉| > 3), P(|Z| > 3)",
        "6.3·10⁻⁵": "P(|Z| > 4)", "7·10⁻⁵": "P(|t₃₉₉| > 4), one digit",
        "6.8·10⁻⁵": "T5′: Adam's exponent passes 1.1 at this h/h_c", "0.809": "T9's exact optimum over its small-κ law, κ = 10⁻²",
        "0.915": "the same, κ = 10⁻³", "0.962": "the same, κ = 10⁻⁴", "0.98": "the same, κ = 10⁻⁵ (and the specification's)",
        "0.81": "the specification's value for κ = 10⁻²", "0.92": "the specification's for κ = 10⁻³", "0.96": "the specification's for κ = 10⁻⁴",
        "0.25%": "SGD's burn-in deficit e^(−6) in studies/dynamics.json", "2·10⁻⁴": "the same deficit averaged over the window",
        "0.0022588886217966": "T5′'s value at the dynamics config's largest h, which the CSV's theory column holds",
    ]

    /// The text with code (fenced and indented blocks, inline spans) and link targets removed.
    static func prose(_ markdown: String) -> String {
        var text = markdown.replacingOccurrences(of: "```[\\s\\S]*?```", with: "", options: .regularExpression)
        text = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("    ") }.joined(separator: "\n")
        text = text.replacingOccurrences(of: "`[^`\n]*`", with: "", options: .regularExpression)
        return text.replacingOccurrences(of: "\\]\\([^)]*\\)", with: "]", options: .regularExpression)
    }

    /// The numbers the rule checks: decimals, percentages, multiples and powers of ten.
    static func numbers(_ text: String) -> [String] {
        let pattern = #"(?<![\w.·⁻⁰¹²³⁴⁵⁶⁷⁸⁹])(\d+(?:\.\d+)?(?:·10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?)(\s?%|×)?"#
        let regex = try! NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).compactMap { m in
            let number = ns.substring(with: m.range(at: 1))
            let suffix = m.range(at: 2).location == NSNotFound ? "" : ns.substring(with: m.range(at: 2)).trimmingCharacters(in: .whitespaces)
            return number.contains(".") || number.contains("·10") || !suffix.isEmpty ? number + suffix : nil
        }
    }

    @Test func resultsBlocksAreWhatTheCommittedResultsGive() throws {
        let report = try StudyReport.load(from: packageRoot.appendingPathComponent("results"))
        for file in Self.files {
            let text = try String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8)
            #expect(try Quotation.fill(text, from: report, file: file) == text, "\(file): a results block is stale; run make study")
        }
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("<!-- results: answer -->\n| regime | v follows |"), "README opens with the generated answer")
    }

    @Test func noNumberIsTypedByHandOutsideResultsBlocks() throws {
        for file in Self.files {
            let text = try String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8)
            let typed = Self.numbers(Self.prose(Quotation.unquoted(text))).filter { Self.constants[$0] == nil }
            #expect(typed.isEmpty, "\(file): numbers typed by hand (put them in a results block, or list a constant with its source): \(typed)")
        }
    }

    /// The checker finds what it must, and ignores code.
    @Test func theCheckerSeesTypedNumbers() {
        #expect(Self.numbers("37.2 ± 0.6 and within 0.1%, 3× faster, 2.5·10⁻⁴; C2 and T5 and 2 cores") == ["37.2", "0.6", "0.1%", "3×", "2.5·10⁻⁴"])
        #expect(Self.numbers(Self.prose("run `seed 1.5` and\n    make 2.5\n[a](x/1.5.md)")) == [])
        #expect(Quotation.unquoted("a\n<!-- results: answer -->\n1.23\n<!-- /results -->\nb") == "a\nb")
    }

    /// The closed forms listed as constants, recomputed: T4's stationary variance and sd, the t
    /// tails of SCIENCE.md §7's table, AdaBelief's factor, T5′'s passages.
    @Test func listedClosedFormsAreRight() {
        func shown(_ x: Double, _ text: String) -> Bool {
            let decimals = text.split(separator: ".").last.map(\.count) ?? 0
            return String(format: "%.\(decimals)f", x) == text
        }
        for (beta2, variance, sd) in [(0.9, "0.10526", "0.3244"), (0.99, "0.010050", "0.1003"), (0.999, "0.0010005", "0.03163"), (0.9999, "0.00010001", "0.01000")] {
            let v = 2 * (1 - beta2) / (1 + beta2)
            #expect(shown(v, variance), "T4 at β₂ = \(beta2): \(v)")
            #expect(shown(v.squareRoot(), sd), "√T4 at β₂ = \(beta2): \(v.squareRoot())")
        }
        func tail(_ t: Double, _ r: Int) -> Double { StudentT.twoSidedTail(t, degreesOfFreedom: r - 1) }
        func power(_ x: Double) -> String { EstimateText.significant(x, digits: 2) }
        for (r, four, three) in [(32, "3.7·10⁻⁴", "0.0053"), (40, "2.7·10⁻⁴", "0.0047"), (50, "2.1·10⁻⁴", "0.0042"), (100, "1.2·10⁻⁴", "0.0034"), (400, "7.5·10⁻⁵", "0.0029"), (2000, "6.6·10⁻⁵", "0.0027")] {
            #expect(power(tail(4, r)) == four, "P(|t_\(r - 1)| > 4) = \(tail(4, r))")
            #expect(power(tail(3, r)) == three, "P(|t_\(r - 1)| > 3) = \(tail(3, r))")
        }
        #expect(power(StudentT.twoSidedNormalTail(4)) == "6.3·10⁻⁵")
        #expect(shown(2 * 0.81 / 1.9, "0.8526"))
        #expect(EstimateText.significant(NoisyQuadratic.exponentPassage(1.1, limit: 38), digits: 2) == "6.8·10⁻⁵")
        #expect(EstimateText.significant(NoisyQuadratic.exponentPassage(1.9, limit: 38), digits: 2) == "73")
    }
}

/// `quote` on small documents: a block gets its key's text and loses what it held; an unknown key
/// and a block that never closes are errors naming the line.
struct QuotationTests {
    @Test func blocksAreFilledFromTheReport() throws {
        let report = try StudyReport.load(from: packageRoot.appendingPathComponent("results/quick"))
        let filled = try Quotation.fill("a\n<!-- results: verdicts -->\nstale 1.23\n<!-- /results -->\nb", from: report, file: "doc.md")
        let lines = filled.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "a" && lines.last == "b" && !filled.contains("stale"))
        // One row per claim, each with the verdict the report decides, between the markers.
        for d in report.decisions() { #expect(lines.contains("| \(d.claim.id) \(d.claim.title) | \(d.verdict.name) |"), "\(d.claim.id)") }
        #expect(lines.count == 2 + 2 + 2 + report.decisions().count)
        #expect(try Quotation.fill(filled, from: report, file: "doc.md") == filled, "filling twice changes nothing")
        #expect(throws: ConfigError.self) { try Quotation.fill("<!-- results: nonsense -->\n<!-- /results -->", from: report, file: "doc.md") }
        #expect(throws: ConfigError.self) { try Quotation.fill("x\n<!-- results: answer -->\nno end", from: report, file: "doc.md") }
    }
}
