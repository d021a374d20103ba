import Foundation
import MonteCarlo
import Reporting
import Studies

/// `results/REPORT.md`: the answer, claim by claim, written from the result files alone.
public struct StudyReport {
    /// The results by study name (the stems of the result files).
    public let studies: [String: StudyResults]

    public init(studies: [String: StudyResults]) { self.studies = studies }

    /// Loads every `NAME.csv` (with its `NAME.json`) in `directory`. A bad file, or anything
    /// named `*.csv` that is not a regular file, is a ``ConfigError`` naming it (exit 2).
    /// `studies` are those a manifest may name.
    public static func load(from directory: URL, studies known: [any Study.Type] = allStudies) throws(ConfigError) -> StudyReport {
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw ConfigError(file: directory.path, key: nil, message: "cannot be read as a results folder: \(OutputFolder.reason(of: error))")
        }
        let names = entries.filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }.sorted()
        guard !names.isEmpty else {
            throw ConfigError(file: directory.path, key: nil, message: "no result files (NAME.csv); run the studies first")
        }
        var studies: [String: StudyResults] = [:]
        for name in names { studies[name] = try StudyResults.load(name, from: directory, studies: known) }
        return StudyReport(studies: studies)
    }

    /// The results files whose manifests name `study`, by file name; `preferred` (a file named
    /// like the study) first. A claim reads the first as its main evidence and the second, if
    /// any, as a wider run.
    func results(of study: String) -> [StudyResults] {
        studies.keys.sorted().compactMap { studies[$0] }.filter { $0.config?.study.name == study }
            .sorted { ($0.name == study ? 0 : 1, $0.name) < ($1.name == study ? 0 : 1, $1.name) }
    }

    /// The decisions on C1–C5, in claim order: each from the results of the study that tests it,
    /// whatever the files are called, or "not applicable" with the reason when the folder holds
    /// none (or none the rule can read).
    public var decisions: [ClaimDecision] {
        func decide(_ claim: String, _ title: String, _ study: String, _ rule: ([StudyResults]) -> ClaimDecision?) -> ClaimDecision {
            let found = results(of: study)
            if var decision = found.isEmpty ? nil : rule(found) {
                decision.tables = found.map(\.name)
                return decision
            }
            return ClaimDecision(claim: claim, title: title, verdict: .notApplicable,
                                 summary: found.isEmpty ? "this folder holds no results of the `\(study)` study, which tests it."
                                                        : "the `\(study)` results here lack the quantities the rule reads.",
                                 evidence: [], figures: [], tables: [])
        }
        return [
            decide("C1", "Adam is a diagonal Newton method", Dynamics.name) { Claims.diagonalNewton($0[0], wide: $0.dropFirst().first) },
            decide("C2", "Square-root law", SqrtLaw.name) { Claims.squareRootLaw($0[0]) },
            decide("C3", "β₂ ≫ β₁", EMAAccuracy.name) { Claims.averagingHorizons($0[0]) },
            decide("C4", "Gauss–Newton law", GaussNewton.name) { Claims.gaussNewtonLaw($0[0], beyond: $0.dropFirst().first) },
            decide("C5", "AdaBelief", AdaBeliefCurvature.name) { Claims.adaBelief($0[0]) },
        ]
    }

    /// Where the β₂ → 1 fixed point's local exponent passes 1.1, 1.5 and 1.9, in units of h_c
    /// (T5′, ``NoisyQuadratic/exponentPassage(_:limit:)``), for RMSProp (L = 2) and Adam at the
    /// β₁ of the `dynamics` run (L = 2(1+β₁)/(1−β₁)).
    var passages: String {
        let beta1 = results(of: Dynamics.name).first?.config?.cells.first.map { $0[Dynamics.beta1] } ?? 0.9
        func at(_ L: Double) -> String {
            [1.1, 1.5, 1.9].map { EstimateText.significant(NoisyQuadratic.exponentPassage($0, limit: L), digits: 2) }.joined(separator: ", ")
        }
        let adam = 2 * (1 + beta1) / (1 - beta1)
        return "By T5′ the fixed point's local exponent d log v/d log h passes 1.1, 1.5 and 1.9 at h/h_c = \(at(2)) for RMSProp and \(at(adam)) for Adam (β₁ = \(format(beta1))): the passage spans \(EstimateText.significant(NoisyQuadratic.exponentPassage(1.9, limit: 2) / NoisyQuadratic.exponentPassage(1.1, limit: 2), digits: 2))× in curvature for RMSProp and \(EstimateText.significant(NoisyQuadratic.exponentPassage(1.9, limit: adam) / NoisyQuadratic.exponentPassage(1.1, limit: adam), digits: 2))× for Adam."
    }

    /// The opening paragraph: which law v follows under which conditions, and what β₂ does.
    public var headline: String {
        let dynamics = results(of: Dynamics.name)
        guard let d = dynamics.first else {
            return "The `dynamics` study has not been run, so the headline question is open; see the claims below."
        }
        func exponents(_ optimizer: String, _ beta2: String) -> String? {
            guard let below = d.scalar("exponent_below", ["optimizer": optimizer, "beta2": beta2]),
                  let above = d.scalar("exponent_above", ["optimizer": optimizer, "beta2": beta2]) else { return nil }
            return "\(EstimateText.estimate(below.estimate, mcse: below.mcse)) below h_c and \(EstimateText.estimate(above.estimate, mcse: above.mcse)) above"
        }
        /// The coordinate with the largest |√v/u − 1|.
        func gap(_ optimizer: String, _ beta2: String) -> ResultRow? {
            d.rows("sqrt_v_gap", ["optimizer": optimizer, "beta2": beta2]).max { abs($0.estimate) < abs($1.estimate) }
        }
        let betas = d.values(of: "beta2"), top = betas.last ?? ""
        var text = "**Answer.** Which law Adam's v follows is decided by where the iterate sits, not by the optimizer's name."
        if let sgd = exponents("sgd", top) {
            text += " Under SGD v follows the Gauss–Newton law (C4: v ∝ h, exponents \(sgd)) although θ − θ* is nearly isotropic: the gradient noise, not the spread of θ, dominates E[g²]."
        }
        if let rms = exponents("rmsprop", top), let adam = exponents("adam", top) {
            text += " Under RMSProp and Adam, v passes gradually from the Gauss–Newton law (C4: v ∝ h) at small curvature to the square-root law (C2: v ∝ h², √v ∝ h) at large, where the preconditioned curvature ηh/√v̂ approaches the stability limit L; the fitted exponents are, at β₂ = \(MarkdownText.escape(top)), RMSProp \(rms) and Adam \(adam) (h_c = 4L²σₙ²/(Bη²))."
            text += " " + passages
        }
        if let edge = dynamics.dropFirst().first, let b = edge.values(of: "beta2").last,
           let above = edge.scalar("exponent_above", ["optimizer": "adam", "beta2": b]) {
            text += " Over eight decades of curvature Adam's exponent reaches \(EstimateText.estimate(above.estimate, mcse: above.mcse)) above h_c, on its way to 2."
        }
        let gaps = betas.compactMap { b in
            let worst = ["rmsprop", "adam"].compactMap { gap($0, b) }.max { abs($0.estimate) < abs($1.estimate) }
            return worst.map { "(\(EstimateText.estimate(100 * $0.estimate, mcse: $0.mcse.map { 100 * $0 })))% at β₂ = \(MarkdownText.escape(b))" }
        }
        if !gaps.isEmpty {
            text += " β₂ decides whether this picture holds: the largest gap √v/u − 1 over coordinates (RMSProp and Adam) to the β₂ → 1 fixed point is " + gaps.joined(separator: ", ") + "."
        }
        // Only where a sqrt-law run with a rotated H says so.
        if studies.values.contains(where: { $0.config?.study.name == SqrtLaw.name && !$0.rows("v_over_diag_law").isEmpty }) {
            text += " The square-root law is exact only under its own assumption, isotropic δ around θ* with diagonal H (C2); with a rotated H, Adam's diagonal √v̂ measures row norms of H, not its diagonal."
        }
        return text
    }

    /// The whole of REPORT.md. `figures` are the files that exist under `figures/`, `bySource`
    /// the figures of each results file.
    public func markdown(figures: Set<String>, bySource: [String: [String]] = [:]) -> String {
        let decisions = self.decisions
        var text = "# HessianStudy report\n\nDoes Adam's second moment v measure the Hessian? Written by `hessian-study report` from the result files in this folder; every number is a Monte Carlo estimate ± its MCSE, with the closed form of the package's docs/SCIENCE.md beside it (exact theories z-tested, limits shown as gaps).\n\n"
        text += headline + "\n\n| claim | verdict |\n|---|---|\n"
        for d in decisions { text += "| [\(d.claim) \(d.title)](#\(anchor(d))) | \(d.verdict.rawValue) |\n" }
        for d in decisions {
            text += "\n## \(d.claim) \(d.title): \(d.verdict.rawValue)\n\n"
            text += "Verdict: **\(d.verdict.rawValue)**: \(d.summary)\n\n"
            text += d.evidence.map { "- \($0)\n" }.joined()
            // The figures of the results files the claim was decided from.
            let own = bySource.isEmpty ? d.figures : d.tables.flatMap { bySource[$0] ?? [] }
            let shown = own.filter(figures.contains)
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

    private func anchor(_ d: ClaimDecision) -> String {
        "\(d.claim) \(d.title) \(d.verdict.rawValue)".lowercased()
            .map { $0.isLetter || $0.isNumber ? String($0) : ($0 == " " || $0 == "-" ? "-" : "") }.joined()
    }
}
