import Foundation
import MonteCarlo
import Reporting

/// Passages of README.md and docs/ that state results, written from a results folder, so that no
/// number in the documentation is typed by hand: a passage is a block
///
///     <!-- results: KEY -->
///     …generated text…
///     <!-- /results -->
///
/// whose text ``fill(_:from:file:)`` replaces with what KEY gives for the folder (`hessian-study
/// quote`, run by `make study`); a test fails when a committed block differs from it.
///
/// Keys: `answer`, the regime → law table that opens REPORT.md; `verdicts`, the claims and
/// their verdicts; `claim ID` (`claim C2`, `claim §5`), that claim's verdict, its regime or what
/// would decide it, and its summary; `evidence ID`, the claim's evidence, one bullet each;
/// `row NAME CELL QUANTITY [INDEX]`, one row of a result file with what is read off it.
public enum Quotation {
    static let opening = "<!-- results: ", closing = "<!-- /results -->"

    /// The generated text for `key`, or nil for an unknown key; `decisions` are the report's.
    static func text(_ key: String, _ report: StudyReport, _ decisions: [ClaimDecision]) -> String? {
        func decision(_ id: Substring) -> ClaimDecision? { decisions.first { $0.claim.id == id } }
        let words = key.split(separator: " ", maxSplits: 1)
        switch (words.first, words.count) {
        case ("answer"?, 1):
            return StudyReport.answerTable(report.answer()) { $0.id }
        case ("verdicts"?, 1):
            return StudyReport.verdictTable(decisions) { "\($0.claim.id) \($0.claim.title)" }
        case ("claim"?, 2):
            guard let d = decision(words[1]) else { return nil }
            return "**\(d.claim.id) \(d.claim.title): \(d.verdict.name)**\(d.verdict.qualifier): \(d.summary)\n"
        case ("evidence"?, 2):
            guard let d = decision(words[1]) else { return nil }
            return d.evidence.map { "- \($0)\n" }.joined()
        case ("row"?, 2):
            return row(String(words[1]), report)
        default:
            return nil
        }
    }

    /// `row NAME CELL QUANTITY [INDEX]`: that row of `NAME.csv` as a one-line table, with z (for an
    /// exact theory), the ratio to the theory and the 95% t interval: a worked example whose every
    /// number is the file's.
    static func row(_ address: String, _ report: StudyReport) -> String? {
        let parts = address.split(separator: " ").map(String.init)
        guard parts.count == 3 || parts.count == 4, let results = report.studies[parts[0]], let cell = Int(parts[1]) else { return nil }
        let index = parts.count == 4 ? Int(parts[3]) : nil
        guard parts.count == 3 || index != nil,
              let row = results.rows(Quantity(parts[2])).first(where: { $0.cell == cell && $0.index == index }) else { return nil }
        let kind = row.theory == nil ? "" : (row.theoryIsLimit ? "limit" : "exact")
        let theory = row.theory.map { EstimateText.like($0, estimate: row.estimate, mcse: row.mcse) } ?? ""
        let z = row.z.map(EstimateText.z) ?? ""
        let ratio = row.theory.map { $0 != 0 ? EstimateText.significant(row.estimate / $0, digits: 6) : "" } ?? ""
        let interval = row.replications.map { EstimateText.interval(row.estimate, mcse: row.mcse, replications: $0) } ?? ""
        let grid = row.grid.keys.sorted().map { "\($0) = \(row.grid[$0]!)" }.joined(separator: ", ")
        return "| file | cell | quantity | index | estimate | mcse | theory | kind | z | estimate/theory | 95% CI | R |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            + "| \(MarkdownText.escape(results.name)).csv | \(cell)\(grid.isEmpty ? "" : " (" + MarkdownText.escape(grid) + ")") | \(MarkdownText.escape(row.quantity)) | \(index.map(String.init) ?? "") | "
            + "\(EstimateText.like(row.estimate, estimate: row.estimate, mcse: row.mcse)) | \(row.mcse.map { EstimateText.significant($0, digits: EstimateText.mcseDigits) } ?? "") | \(theory) | \(kind) | \(z) | \(ratio) | \(interval) | \(row.replications.map(String.init) ?? "") |\n"
    }

    /// `markdown` with every block's text replaced by its key's; a block that does not close, or
    /// names an unknown key, is a ``ConfigError`` on `file` naming the line.
    public static func fill(_ markdown: String, from report: StudyReport, file: String) throws(ConfigError) -> String {
        var out: [Substring] = [], inside: (key: String, line: Int)?
        lazy var decisions = report.decisions()
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            if let open = inside {
                guard line == closing else { continue }
                guard let text = Self.text(open.key, report, decisions) else {
                    throw ConfigError(file: file, key: "line \(open.line)", message: "unknown results key \(Text.quoted(open.key)); one of answer, verdicts, claim ID, evidence ID, row NAME CELL QUANTITY [INDEX]")
                }
                out += text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                out.append(line)
                inside = nil
            } else {
                out.append(line)
                if line.hasPrefix(opening) && line.hasSuffix(" -->") {
                    inside = (String(line.dropFirst(opening.count).dropLast(4)), n + 1)
                }
            }
        }
        if let open = inside { throw ConfigError(file: file, key: "line \(open.line)", message: "a results block that never closes (\(closing))") }
        return out.joined(separator: "\n")
    }

    /// The text outside every block: what a test reads for numbers typed by hand.
    public static func unquoted(_ markdown: String) -> String {
        var kept: [Substring] = [], inside = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if inside { if line == closing { inside = false }; continue }
            if line.hasPrefix(opening) { inside = true; continue }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }
}
