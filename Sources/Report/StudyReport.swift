import Foundation
import MonteCarlo
import Reporting
import Studies

/// `results/REPORT.md`: the answer, claim by claim, written from the result files alone.
public struct StudyReport {
    /// The results by study name (the stems of the result files).
    public let studies: [String: StudyResults]

    public init(studies: [String: StudyResults]) { self.studies = studies }

    /// Loads every result set in `directory` (``load(in:studies:)``).
    public static func load(from directory: URL, studies known: [any Study.Type] = allStudies) throws(ConfigError) -> StudyReport {
        try load(in: OutputFolder.reading(directory.path), studies: known)
    }

    /// Loads every result set in `folder`: each `NAME.csv` with its `NAME.json`
    /// (``StudyResults/load(_:in:studies:)``). A CSV whose stem holds a '.' is a file of the set
    /// before the dot (`NAME.replications.csv`), never a set, and is not read. A bad file, or
    /// anything named `*.csv` that is not a regular file, is a ``ConfigError`` naming it (exit 2).
    /// `studies` are those a manifest may name.
    public static func load(in folder: OutputFolder, studies known: [any Study.Type] = allStudies) throws(ConfigError) -> StudyReport {
        let names = folder.entries().filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }.filter { !$0.contains(".") }
        guard !names.isEmpty else {
            throw ConfigError(file: folder.path, key: nil, message: "no result files (NAME.csv); run the studies first")
        }
        var studies: [String: StudyResults] = [:]
        for name in names { studies[name] = try StudyResults.load(name, in: folder, studies: known) }
        return StudyReport(studies: studies)
    }

    /// The results files whose manifests name `study`, by file name; `preferred` (a file named
    /// like the study) first. A claim reads the first as its main evidence and the second, if
    /// any, as a wider run.
    func results(of study: String) -> [StudyResults] {
        studies.keys.sorted().compactMap { studies[$0] }.filter { $0.config?.study.name == study }
            .sorted { ($0.name == study ? 0 : 1, $0.name) < ($1.name == study ? 0 : 1, $1.name) }
    }

    /// The decisions on the claims (``Claim``), in claim order: each by the study that declares
    /// it (``ReportedStudy/claim``) from the results files whose manifests name that study,
    /// whatever the files are called, or "not applicable" with the reason when the folder holds
    /// none (or none the rule can read).
    ///
    /// Other studies' contributions to a claim (``ReportedStudy/contributions(_:)``) follow its
    /// own evidence, and their files join its tables.
    public func decisions(_ known: [any ReportedStudy.Type] = allStudies) -> [ClaimDecision] {
        var added: [Claim: [(Prose, [String])]] = [:]
        for study in known {
            let found = results(of: study.name)
            guard !found.isEmpty else { continue }
            for (claim, sentences) in study.contributions(found) {
                added[claim, default: []] += sentences.map { ($0, found.map(\.name)) }
            }
        }
        return known.compactMap { study -> ClaimDecision? in
            guard let claim = study.claim else { return nil }
            let found = results(of: study.name)
            var decision: ClaimDecision
            if let decided = found.isEmpty ? nil : study.decide(found) {
                decision = decided
                decision.tables += found.map(\.name).filter { !decision.tables.contains($0) }
            } else {
                let why: Prose = found.isEmpty ? "this folder holds no results of the \(code: study.name) study, which tests it."
                                               : "the \(code: study.name) results here lack the quantities the rule reads."
                decision = ClaimDecision(claim: claim, verdict: .notApplicable, summary: why, evidence: [])
            }
            for (sentence, files) in added[claim] ?? [] {
                decision.evidence.append(sentence)
                decision.tables += files.filter { !decision.tables.contains($0) }
            }
            return decision
        }.sorted { $0.claim < $1.claim }
    }

    /// The most rows the opening table has: a summary, not the sections again.
    public static let maximumAnswerRows = 8

    /// The opening table's rows: each study's own (``ReportedStudy/answer(_:)``), in registry
    /// order, at most ``maximumAnswerRows``.
    public func answer(_ known: [any ReportedStudy.Type] = allStudies) -> [RegimeLaw] {
        Array(known.flatMap { study -> [RegimeLaw] in
            let found = results(of: study.name)
            return found.isEmpty ? [] : study.answer(found)
        }.prefix(Self.maximumAnswerRows))
    }

    /// The opening: which law v follows in which regime, as a table whose every number comes from
    /// a study's finding (three significant digits; the sections give them in full).
    public var headline: String { headline(decisions()) }

    /// The opening, each row linked to its claim's section among `decisions`.
    func headline(_ decisions: [ClaimDecision]) -> String {
        let rows = answer()
        guard !rows.isEmpty else {
            return "**Answer.** No result set here bears on which law v follows; the claims below say which studies would decide each."
        }
        let sections = Dictionary(decisions.map { ($0.claim, Self.anchor($0)) }) { first, _ in first }
        return "**Answer.** Which law Adam's second moment v follows, regime by regime (three significant digits; each claim's section has the numbers with their MCSE):\n\n"
            + Self.answerTable(rows) { "[\($0.id)](#\(sections[$0] ?? Self.anchor("\($0.id) \($0.title)")))" }
    }

    /// The regime → law table of `rows`, its last column naming each row's claim as `claim` writes
    /// it (a link in REPORT.md, the bare name in quoted documentation).
    static func answerTable(_ rows: [RegimeLaw], claim: (Claim) -> String) -> String {
        "| regime | v follows | measured | decided in |\n|---|---|---|---|\n"
            + rows.map { "| \(MarkdownText.cell($0.regime.description)) | \(MarkdownText.cell($0.law.description)) | \(MarkdownText.cell($0.measured.description)) | \(claim($0.claim)) |\n" }.joined()
    }

    /// The claims and their verdicts, each claim as `claim` writes it.
    static func verdictTable(_ decisions: [ClaimDecision], claim: (ClaimDecision) -> String) -> String {
        "| claim | verdict |\n|---|---|\n" + decisions.map { "| \(claim($0)) | \($0.verdict.name) |\n" }.joined()
    }

    /// The whole of REPORT.md. `figures` are the files that exist under `figures/`, `bySource`
    /// the figures of each results file.
    public func markdown(figures: Set<String>, bySource: [String: [String]] = [:]) -> String {
        let decisions = self.decisions()
        var text = "# HessianStudy report\n\nDoes Adam's second moment v measure the Hessian? Written by `hessian-study report` from the result files in this folder; every number is a Monte Carlo estimate ± its MCSE, with the closed form of the package's docs/SCIENCE.md beside it (exact theories z-tested, limits shown as gaps).\n\n"
        text += headline(decisions) + "\n" + Self.verdictTable(decisions) { "[\($0.claim.id) \($0.claim.title)](#\(Self.anchor($0)))" }
        for d in decisions {
            text += "\n## \(d.claim.id) \(d.claim.title): \(d.verdict.name)\n\n"
            text += "Verdict: **\(d.verdict.name)**\(d.verdict.qualifier): \(d.summary)\n\n"
            text += d.evidence.map { "- \($0)\n" }.joined()
            // The figures of the results files the claim was decided from.
            let shown = d.tables.flatMap { bySource[$0] ?? [] }.filter(figures.contains)
            if !shown.isEmpty { text += "\n" + shown.map { "![\($0)](figures/\($0))" }.joined(separator: "\n") + "\n" }
            let tables = d.tables.filter { studies[$0] != nil }
            if !tables.isEmpty { text += "\nTables: " + tables.map { "[\($0)](\($0).md)" }.joined(separator: ", ") + ".\n" }
        }
        text += "\n" + resultFiles(bySource) + "\n" + provenance
        return text
    }

    /// Every results file in the folder, by the study its manifest names, with its table and figures.
    func resultFiles(_ bySource: [String: [String]]) -> String {
        var text = "## Results in this folder\n\n"
        for name in studies.keys.sorted() {
            let study = studies[name]?.config?.study.name
            text += "- [\(MarkdownText.escape(name))](\(name).md): " + (study.map { "study `\($0)`" } ?? "no manifest, study unknown")
            let drawn = bySource[name] ?? []
            text += drawn.isEmpty ? "\n" : "; figures " + drawn.map { "[\($0)](figures/\($0))" }.joined(separator: ", ") + "\n"
        }
        return text
    }

    /// Package version, commit, GSL, BLAS and LAPACK, and the total wall time, from the manifests.
    var provenance: String {
        let manifests = studies.keys.sorted().compactMap { studies[$0]?.manifest }
        func field(_ key: String) -> String {
            let values = Set(manifests.compactMap { m -> String? in if case .string(let s) = m[key] { return s } else { return nil } })
            return values.isEmpty ? "unknown" : values.sorted().map(MarkdownText.escape).joined(separator: "; ")
        }
        let wall = manifests.reduce(0.0) { total, m in if case .number(let s) = m["wall_seconds"] { return total + s } else { return total } }
        // Manifests written before the field existed say nothing of it, and neither does the line.
        let lapack = manifests.contains { $0["lapack"] != nil } ? "; eigen/QR/Cholesky \(field("lapack"))" : ""
        return """
            ## Provenance

            - package version \(field("package_version")), commit \(field("git_commit"))
            - GSL \(field("gsl_version")); BLAS \(field("blas"))\(lapack)
            - studies: \(studies.keys.sorted().map(MarkdownText.escape).joined(separator: ", ")); total wall time \(String(format: "%.1f", wall)) s

            """
    }

    /// The anchor of a claim's section.
    private static func anchor(_ d: ClaimDecision) -> String {
        anchor("\(d.claim.id) \(d.claim.title) \(d.verdict.name)")
    }

    /// The anchor a Markdown renderer makes from a heading.
    private static func anchor(_ heading: String) -> String {
        heading.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : ($0 == " " || $0 == "-" ? "-" : "") }.joined()
    }
}
