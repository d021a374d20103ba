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
/// would decide it, and its summary; `evidence ID`, the claim's evidence, one bullet each.
public enum Quotation {
    static let opening = "<!-- results: ", closing = "<!-- /results -->"

    /// The generated text for `key`, or nil for an unknown key.
    public static func text(_ key: String, _ report: StudyReport) -> String? {
        let decisions = report.decisions()
        func decision(_ id: Substring) -> ClaimDecision? { decisions.first { $0.claim.id == id } }
        let words = key.split(separator: " ", maxSplits: 1)
        switch (words.first, words.count) {
        case ("answer"?, 1):
            let rows = report.answer()
            return "| regime | v follows | measured | decided in |\n|---|---|---|---|\n"
                + rows.map { "| \(MarkdownText.cell($0.regime.description)) | \(MarkdownText.cell($0.law.description)) | \(MarkdownText.cell($0.measured.description)) | \($0.claim.id) |\n" }.joined()
        case ("verdicts"?, 1):
            return "| claim | verdict |\n|---|---|\n" + decisions.map { "| \($0.claim.id) \($0.claim.title) | \($0.verdict.name) |\n" }.joined()
        case ("claim"?, 2):
            guard let d = decision(words[1]) else { return nil }
            var text = "**\(d.claim.id) \(d.claim.title): \(d.verdict.name)**"
            switch d.verdict {
            case .holdsInRegime(let regime): text += " (\(regime))"
            case .undecided(let needed): text += " (what would decide it: \(needed))"
            default: break
            }
            return text + ": \(d.summary)\n"
        case ("evidence"?, 2):
            guard let d = decision(words[1]) else { return nil }
            return d.evidence.map { "- \($0)\n" }.joined()
        default:
            return nil
        }
    }

    /// `markdown` with every block's text replaced by its key's; a block that does not close, or
    /// names an unknown key, is a ``ConfigError`` on `file` naming the line.
    public static func fill(_ markdown: String, from report: StudyReport, file: String) throws(ConfigError) -> String {
        var out: [Substring] = [], inside: (key: String, line: Int)?
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            if let open = inside {
                guard line == closing else { continue }
                guard let text = Self.text(open.key, report) else {
                    throw ConfigError(file: file, key: "line \(open.line)", message: "unknown results key \(Text.quoted(open.key)); one of answer, verdicts, claim ID, evidence ID")
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
