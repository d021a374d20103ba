import Foundation
import MonteCarlo

/// A number a report sentence may state: an estimate read from a results file (with its MCSE,
/// theory, theory kind and the bound in MCSE it was tested against), or a number a rule derived
/// from such estimates (a ratio, a count, a closed form evaluated at the run's parameters).
/// Sentences get their numbers only from findings (``Prose``), so every number printed in a
/// report can be traced to the rule that computed it.
public struct Finding: Sendable, Equatable {
    public enum Form: Sendable, Equatable {
        /// "0.76160 ± 0.00012 (theory 0.76143)": an estimate with its MCSE (``EstimateText``).
        case estimate
        /// "1.234 [1.221, 1.247]": the estimate with its t interval over `replications`.
        case interval
        /// "(1.4 ± 0.2)%": 100× the estimate and its MCSE, with a percent sign.
        case percent
        /// A derived number, to `digits` significant digits.
        case significant(digits: Int)
        /// 100× a derived fraction, to `digits` significant digits, with a percent sign.
        case significantPercent(digits: Int)
        /// A count.
        case count
        /// A number (a theory, a bound) to the decimal place of an estimate with this MCSE.
        case like(estimate: Double, mcse: Double?)
    }

    public var estimate: Double
    public var mcse: Double?
    public var theory: Double?
    /// Whether `theory` holds only in a limit: shown as a gap, never z-tested.
    public var theoryIsLimit: Bool
    public var replications: Int?
    /// The bound in MCSE the estimate was held to against its theory, where it was tested.
    public var bound: Double?
    public var form: Form

    public init(estimate: Double, mcse: Double? = nil, theory: Double? = nil, theoryIsLimit: Bool = false,
                replications: Int? = nil, bound: Double? = nil, form: Form) {
        (self.estimate, self.mcse, self.theory, self.theoryIsLimit) = (estimate, mcse, theory, theoryIsLimit)
        (self.replications, self.bound, self.form) = (replications, bound, form)
    }

    /// A row of a results file as a finding: its exact theory is held to ``agreementBound``.
    public init(_ row: ResultRow, form: Form = .estimate) {
        self.init(estimate: row.estimate, mcse: row.mcse, theory: row.theory, theoryIsLimit: row.theoryIsLimit,
                  replications: row.replications, bound: row.theory != nil && !row.theoryIsLimit ? agreementBound : nil, form: form)
    }

    /// An estimate of a run, before it is written (a study's own headline).
    public init(_ e: Estimate, form: Form = .estimate) {
        let theory = e.output.theory
        self.init(estimate: e.estimate, mcse: e.mcse, theory: theory.value, theoryIsLimit: theory.exact == nil,
                  replications: e.replications, bound: theory.exact != nil ? agreementBound : nil, form: form)
    }

    /// A number a rule derived (a ratio of estimates, a closed form at the run's parameters).
    public static func derived(_ x: Double, digits: Int = 4) -> Finding { Finding(estimate: x, form: .significant(digits: digits)) }
    /// A count of rows, coordinates or cells.
    public static func count(_ n: Int) -> Finding { Finding(estimate: Double(n), form: .count) }
    /// A fraction printed as a percentage, with its MCSE when it has one.
    public static func percent(_ fraction: Double, mcse: Double? = nil) -> Finding { Finding(estimate: fraction, mcse: mcse, form: .percent) }

    /// (estimate − theory)/mcse, when the theory is exact and the MCSE positive.
    public var z: Double? {
        guard let theory, !theoryIsLimit, let mcse, mcse > 0 else { return nil }
        return (estimate - theory) / mcse
    }

    /// Whether the estimate lies within its bound (``agreementBound`` MCSE) of an exact theory.
    public var agrees: Bool { z.map { abs($0) <= (bound ?? agreementBound) } ?? false }

    /// The agreement bound itself, for sentences that state it: "within 4 MCSE".
    public static var bound: Finding { .derived(agreementBound, digits: 1) }

    /// The one way the finding is printed.
    public var text: String {
        switch form {
        case .estimate:
            return EstimateText.estimate(estimate, mcse: mcse)
                + (theory.map { " (\(theoryIsLimit ? "limit" : "theory") \(EstimateText.like($0, estimate: estimate, mcse: mcse)))" } ?? "")
        case .interval:
            let interval = replications.map { EstimateText.interval(estimate, mcse: mcse, replications: $0) } ?? ""
            return EstimateText.like(estimate, estimate: estimate, mcse: mcse) + (interval.isEmpty ? "" : " \(interval)")
        case .percent:
            guard let mcse, mcse > 0 else { return EstimateText.percent(estimate) }
            return "(\(EstimateText.estimate(100 * estimate, mcse: 100 * mcse)))%"
        case .significant(let digits): return EstimateText.significant(estimate, digits: digits)
        case .significantPercent(let digits): return EstimateText.significant(100 * estimate, digits: digits) + "%"
        case .count: return EstimateText.fixed(estimate, decimals: 0)
        case .like(let reference, let mcse): return EstimateText.like(estimate, estimate: reference, mcse: mcse)
        }
    }
}

/// A sentence of a report, built by string interpolation from words, formulas, labels read from
/// the results (grid values, file and quantity names) and ``Finding``s. Only a finding can put a
/// number into a sentence: words and formulas are the renderer's own text, labels the folder's;
/// the parts stay apart so that a test can check that no number was typed into prose.
public struct Prose: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public enum Part: Sendable, Equatable {
        case words(String)
        /// Mathematics (a closed form, a symbol with a subscript): "2(1+β₁)/(1−β₁)".
        case formula(String)
        /// A value read from the results folder, Markdown-escaped.
        case label(String)
        case finding(Finding)

        public var text: String {
            switch self {
            case .words(let s), .formula(let s), .label(let s): return s
            case .finding(let f): return f.text
            }
        }
    }

    public private(set) var parts: [Part]

    public init(parts: [Part]) { self.parts = parts }
    public init(stringLiteral value: String) { parts = [.words(value)] }
    public init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }

    public var description: String { parts.map(\.text).joined() }
    public var findings: [Finding] { parts.compactMap { if case .finding(let f) = $0 { return f } else { return nil } } }

    /// The renderer's own words that contain a number: what the tests require to be empty. Labels
    /// C1–C5 and T1–T10 (T5′) are names, not numbers; any other ASCII digit in words is a number
    /// typed into prose instead of coming from a finding.
    public var typedNumbers: [String] {
        parts.compactMap { part -> String? in
            guard case .words(let words) = part else { return nil }
            let names = words.replacingOccurrences(of: #"\b(C[1-5]|T(10|[1-9])′?)\b"#, with: "", options: .regularExpression)
            return names.contains(where: { $0.isASCII && $0.isNumber }) ? words : nil
        }
    }

    /// `pieces` joined by `separator` (words).
    public static func joined(_ pieces: [Prose], separator: String = ", ") -> Prose {
        var parts: [Part] = []
        for (k, piece) in pieces.enumerated() {
            if k > 0 { parts.append(.words(separator)) }
            parts += piece.parts
        }
        return Prose(parts: parts)
    }

    public static func + (a: Prose, b: Prose) -> Prose { Prose(parts: a.parts + b.parts) }
    public static func += (a: inout Prose, b: Prose) { a.parts += b.parts }

    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []
        public init(literalCapacity: Int, interpolationCount: Int) {}
        public mutating func appendLiteral(_ literal: String) { if !literal.isEmpty { parts.append(.words(literal)) } }
        public mutating func appendInterpolation(_ finding: Finding) { parts.append(.finding(finding)) }
        /// A row of a results file, printed as an estimate ± MCSE with its theory.
        public mutating func appendInterpolation(_ row: ResultRow) { parts.append(.finding(Finding(row))) }
        public mutating func appendInterpolation(_ prose: Prose) { parts += prose.parts }
        /// A value from the results folder (a grid value, a file name), escaped for Markdown.
        public mutating func appendInterpolation(label: String) { parts.append(.label(MarkdownText.escape(label))) }
        /// A name from the results folder in code style.
        public mutating func appendInterpolation(code: String) { parts.append(.label(MarkdownText.code(code))) }
        public mutating func appendInterpolation(formula: String) { parts.append(.formula(formula)) }
    }
}
