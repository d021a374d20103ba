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

    /// The decisions on C1–C5, in claim order, for the studies present.
    public var decisions: [ClaimDecision] {
        [
            studies["dynamics"].flatMap { Claims.diagonalNewton($0, wide: studies["dynamics-edge"]) },
            studies["sqrt-law"].flatMap(Claims.squareRootLaw),
            studies["ema"].flatMap(Claims.averagingHorizons),
            studies["gauss-newton"].flatMap { Claims.gaussNewtonLaw($0, beyond: studies["gauss-newton-beyond"]) },
            studies["adabelief"].flatMap(Claims.adaBelief),
        ].compactMap { $0 }
    }

    /// The opening paragraph: which law v follows under which conditions, and what β₂ does.
    public var headline: String {
        guard let d = studies["dynamics"] else {
            return "The `dynamics` study has not been run, so the headline question is open; see the claims below."
        }
        func exponents(_ optimizer: String, _ beta2: String) -> String? {
            guard let below = d.scalar("exponent_below", ["optimizer": optimizer, "beta2": beta2]),
                  let above = d.scalar("exponent_above", ["optimizer": optimizer, "beta2": beta2]) else { return nil }
            return "\(String(format: "%.2f", below.estimate)) below h_c and \(String(format: "%.2f", above.estimate)) above"
        }
        func gap(_ optimizer: String, _ beta2: String) -> Double? {
            d.rows("sqrt_v_gap", ["optimizer": optimizer, "beta2": beta2]).map { abs($0.estimate) }.max()
        }
        let betas = d.values(of: "beta2"), top = betas.last ?? ""
        var text = "**Answer.** Which law Adam's v follows is decided by where the iterate sits, not by the optimizer's name."
        if let sgd = exponents("sgd", top) {
            text += " Under SGD v follows the Gauss–Newton law (C4: v ∝ h, exponents \(sgd)) although θ − θ* is nearly isotropic: the gradient noise, not the spread of θ, dominates E[g²]."
        }
        if let rms = exponents("rmsprop", top), let adam = exponents("adam", top) {
            text += " Under RMSProp and Adam, v follows the Gauss–Newton law for curvatures below h_c = 4L²σₙ²/(Bη²) and turns to the square-root law (C2: v ∝ h², √v ∝ h) above it, where the preconditioned curvature ηh/√v̂ is pinned at the stability limit L (RMSProp: \(rms); Adam: \(adam), at β₂ = \(MarkdownText.escape(top)))."
        }
        if let edge = studies["dynamics-edge"], let b = edge.values(of: "beta2").last,
           let above = edge.scalar("exponent_above", ["optimizer": "adam", "beta2": b]) {
            text += " Over eight decades of curvature Adam's exponent reaches \(String(format: "%.2f", above.estimate)) above h_c, on its way to 2."
        }
        let gaps = betas.compactMap { b in
            let worst = ["rmsprop", "adam"].compactMap { gap($0, b) }.max()
            return worst.map { "\(String(format: "%.2g", 100 * $0))% at β₂ = \(MarkdownText.escape(b))" }
        }
        if !gaps.isEmpty {
            text += " β₂ decides whether this picture holds: the simulated √v stays within " + gaps.joined(separator: ", ") + " of the β₂ → 1 fixed point (largest gap over coordinates, RMSProp and Adam)."
        }
        text += " The square-root law is exact only under its own assumption, isotropic δ around θ* with diagonal H (C2); with a rotated H, Adam's diagonal √v̂ measures row norms of H, not its diagonal."
        return text
    }

    /// The whole of REPORT.md. `figures` are the files that exist under `figures/`, `bySource`
    /// the figures of each results file.
    public func markdown(figures: Set<String>, bySource: [String: [String]] = [:]) -> String {
        let decisions = self.decisions
        var text = "# HessianStudy report\n\nDoes Adam's second moment v measure the Hessian? Written by `hessian-study report` from the result files in this folder; every number is a Monte Carlo estimate ± its MCSE, with the closed form of STUDIES.md beside it.\n\n"
        text += headline + "\n\n| claim | verdict |\n|---|---|\n"
        for d in decisions { text += "| [\(d.claim) \(d.title)](#\(anchor(d))) | \(d.verdict.rawValue) |\n" }
        for d in decisions {
            text += "\n## \(d.claim) \(d.title): \(d.verdict.rawValue)\n\n"
            text += "Verdict: **\(d.verdict.rawValue)**: \(d.summary)\n\n"
            text += d.evidence.map { "- \($0)\n" }.joined()
            let shown = d.figures.filter(figures.contains)
            if !shown.isEmpty { text += "\n" + shown.map { "![\($0)](figures/\($0))" }.joined(separator: "\n") + "\n" }
            text += "\nTables: " + d.tables.filter { studies[$0] != nil }.map { "[\($0)](\($0).md)" }.joined(separator: ", ") + ".\n"
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
