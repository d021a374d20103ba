import Foundation
import GSL

/// What a run was: enough to reproduce it and to judge where its numbers came from.
public struct Provenance: Sendable {
    public var packageVersion: String
    public var gitCommit: String?
    public var threads: Int
    public var started: Date
    public var wallSeconds: Double
    public var commandLine: [String]

    public init(packageVersion: String, gitCommit: String?, threads: Int, started: Date, wallSeconds: Double,
                commandLine: [String]) {
        self.packageVersion = packageVersion
        self.gitCommit = gitCommit
        self.threads = threads
        self.started = started
        self.wallSeconds = wallSeconds
        self.commandLine = commandLine
    }
}

/// The three result files of a config (docs/RESULTS.md, "Result files"): `NAME.csv` for machines,
/// `NAME.md` for people, `NAME.json` for provenance.
public struct ResultFiles {
    public let config: Config
    public let results: [CellResult]

    public init(config: Config, results: [CellResult]) {
        self.config = config
        self.results = results
    }

    /// The tidy CSV: one row per estimate. Numbers in shortest round-trip form; an empty field
    /// means "not available". Depends only on the config: byte-identical across thread counts.
    public var csv: String {
        let gridNames = config.cells.first?.gridValues.map(\.name) ?? []
        var lines = [(["cell"] + gridNames + ["quantity", "index", "h", "estimate", "mcse", "theory", "theory_kind", "replications", "sd", "note"]).map(csvField).joined(separator: ",")]
        for result in results {
            let prefix = ([String(result.cell.index)] + result.cell.gridValues.map { csvField(label($0.value)) })
                .joined(separator: ",")
            for e in result.estimates {
                let fields = [csvField(e.output.quantity), e.output.index.map(String.init) ?? "", e.output.h.map(format) ?? "",
                              format(e.estimate), e.mcse.map(format) ?? "", e.output.theory.value.map(format) ?? "",
                              e.output.theory.kind, String(e.replications), e.sd.map(format) ?? "", ""]
                lines.append(prefix + "," + fields.joined(separator: ","))
            }
            for output in result.unavailable {
                let fields = [csvField(output.quantity), "", "", "", "", "", "", String(config.replications), "", csvField(output.note ?? "")]
                lines.append(prefix + "," + fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Markdown tables, one per cell, with z = (estimate − theory)/mcse beside each row.
    public var markdown: String {
        var text = """
            # \(config.name)

            Study `\(config.study.name)`: \(config.study.summary)
            Config \(MarkdownText.code(config.file)), seed \(config.seed), \(config.replications) replications per cell, generator \(config.generator.rawValue), \(config.cells.count) cells.

            Each estimate is the mean over replications and mcse its Monte Carlo standard error (sd/√R),
            printed to two significant digits with the estimate, theory and interval to the same decimal
            place; theory is the closed form of docs/SCIENCE.md, marked "(limit)" where it holds only in a
            limit of the parameters (β₂ → 1, say), where the gap to it is the finding; z = (estimate −
            theory)/mcse for exact theories only; 95% CI = estimate ± t·mcse with t the 97.5% quantile of
            Student's t with R − 1 = \(config.replications - 1) degrees of freedom\(tQuantileText). A row of an exact theory lies beyond 4 MCSE by chance with probability \(falseAlarmText).

            """
        let count = Exceedances(results.flatMap(\.estimates).compactMap { e in zScore(e).map { ($0, e.replications) } })
        if count.scored > 0 {
            text += "Rows within 4 MCSE of an exact theory: \(count.within) of \(count.scored) (\(EstimateText.percent(Double(count.within) / Double(count.scored), digits: 3))); "
                + "chance alone puts \(EstimateText.significant(count.expected, digits: 2)) beyond"
            if count.beyond > 0 {
                text += ", and \(count.beyond) or more with probability \(EstimateText.significant(count.pValue, digits: 2))"
                    + (count.withinChance ? "" : ", below \(EstimateText.significant(Exceedances.significance, digits: 1)): more rows disagree than chance explains")
            }
            text += ".\n"
        }
        if let headline = config.study.headline(results) { text += "\n" + headline }
        for result in results {
            let labels = result.cell.gridValues.map { "\($0.name) = \(MarkdownText.escape(label($0.value)))" }.joined(separator: ", ")
            text += "\n## Cell \(result.cell.index)\(labels.isEmpty ? "" : ": " + labels)\n\n"
            text += "| quantity | index | estimate | mcse | 95% CI | theory | z |\n|---|---:|---:|---:|---:|---:|---:|\n"
            for e in result.estimates {
                let interval = EstimateText.interval(e.estimate, mcse: e.mcse, replications: e.replications)
                let cells: [String] = [e.output.quantity, e.output.index.map(String.init) ?? "",
                                       EstimateText.like(e.estimate, estimate: e.estimate, mcse: e.mcse),
                                       e.mcse.map { EstimateText.like($0, estimate: e.estimate, mcse: $0) } ?? "", interval,
                                       theoryText(e), zScore(e).map(EstimateText.z) ?? ""]
                text += "| " + cells.joined(separator: " | ") + " |\n"
            }
            if !result.unavailable.isEmpty {
                text += "\nNot available in this cell: " + result.unavailable.map { "\($0.quantity) (\(MarkdownText.escape($0.note ?? "")))" }.joined(separator: "; ") + ".\n"
            }
        }
        return text
    }

    /// The provenance manifest: the config as run, seed, generator, GSL and BLAS, package
    /// version and commit, threads, start and wall time.
    public func manifest(_ provenance: Provenance, files: [(name: String, bytes: Data)] = []) -> String {
        let iso = ISO8601DateFormatter()
        let members: [(String, JSONValue)] = [
            ("name", .string(config.name)),
            ("study", .string(config.study.name)),
            ("config_file", .string(config.file)),
            ("config", .object(config.source)),
            ("defaults", .object(config.defaultsUsed)),
            ("generator", .string(config.generator.rawValue)),
            ("seed", .number(Double(config.seed))),
            ("replications", .number(Double(config.replications))),
            ("cells", .number(Double(config.cells.count))),
            ("rng", .string("gsl_rng_\(config.generator.rawValue), seeds by SeedSequence (per cell and replication)")),
            ("gaussian", .string("gsl_ran_gaussian_ziggurat")),
            ("gsl_version", .string(GSLRuntime.version)),
            ("blas", .string(BLAS.description)),
            ("lapack", .string(LinearAlgebra.description)),
            ("package_version", .string(provenance.packageVersion)),
            ("git_commit", provenance.gitCommit.map(JSONValue.string) ?? .null),
            ("threads", .number(Double(provenance.threads))),
            ("command", .array(provenance.commandLine.map(JSONValue.string))),
            ("started", .string(iso.string(from: provenance.started))),
            ("wall_seconds", .number((provenance.wallSeconds * 1000).rounded() / 1000)),
            (ResultSet.filesKey, ResultSet.digests(files)),
        ]
        return "{\n" + members.map { "  \(JSONValue.string($0.0).compactText): \($0.1.compactText)" }
            .joined(separator: ",\n") + "\n}\n"
    }

    /// The names of the three files.
    public var fileNames: [String] { Self.fileNames(of: config) }

    /// `NAME.csv`, `NAME.md` and `NAME.json` of `config`.
    public static func fileNames(of config: Config) -> [String] { ["csv", "md", "json"].map { "\(config.name).\($0)" } }

    /// Writes `NAME.csv`, `NAME.md` and `NAME.json` into `folder` as one set (``OutputFolder/write(_:)``,
    /// ``ResultSet``): a reader sees the previous set or the new one, never a mixture or a
    /// half-written file; the manifest names every other file with its SHA-256.
    /// Temporaries of these names left by a killed run are removed first.
    /// With `perReplication`, the run's statistics, `NAME.replications.csv` is written in the same
    /// set (``perReplicationCSV(_:)``).
    public func write(to folder: OutputFolder, provenance: Provenance, perReplication: RunStatistics? = nil) throws {
        let (csvName, markdownName, manifestName) = (fileNames[0], fileNames[1], fileNames[2])
        var files = [(csvName, Data(csv.utf8)), (markdownName, Data(markdown.utf8))]
        if let perReplication { files.append((Self.perReplicationName(of: config), Data(perReplicationCSV(perReplication).utf8))) }
        // The manifest names and digests the others, and is renamed into place last (ResultSet).
        files.append((manifestName, Data(manifest(provenance, files: files).utf8)))
        folder.removeStaleTemporaries(of: files.map(\.0))
        try folder.write(files)
    }

    /// `NAME.replications.csv`.
    public static func perReplicationName(of config: Config) -> String { "\(config.name).replications.csv" }

    /// The long file for R or pandas: one row per replication and statistic, `cell`, the grid
    /// parameters, `replication`, `quantity`, `index`, `value` (shortest round-trip form). Ratio
    /// outputs have no per-replication value and are left out; every other statistic is exact, so
    /// any summary can be recomputed from this file.
    public func perReplicationCSV(_ statistics: RunStatistics) -> String {
        let gridNames = config.cells.first?.gridValues.map(\.name) ?? []
        var text = (["cell"] + gridNames + ["replication", "quantity", "index", "value"]).map(csvField).joined(separator: ",") + "\n"
        for (cell, outputs) in zip(config.cells, statistics.outputs) {
            let prefix = ([String(cell.index)] + cell.gridValues.map { csvField(label($0.value)) }).joined(separator: ",")
            for replication in 0..<config.replications {
                let row = statistics.row(item: cell.index * config.replications + replication)
                for (output, value) in zip(outputs, row) where output.summary == .mean {
                    text += "\(prefix),\(replication),\(csvField(output.quantity)),\(output.index.map(String.init) ?? ""),\(format(value))\n"
                }
            }
        }
        return text
    }

    private func zScore(_ e: Estimate) -> Double? {
        guard let theory = e.output.theory.exact, let mcse = e.mcse, mcse > 0 else { return nil }
        return (e.estimate - theory) / mcse
    }

    /// " (2.040)": t₀.₉₇₅ with R − 1 degrees of freedom, empty with one replication.
    private var tQuantileText: String {
        config.replications > 1 ? " (" + EstimateText.fixed(StudentT.quantile(0.975, degreesOfFreedom: config.replications - 1), decimals: 3) + ")" : ""
    }

    /// P(|t_(R−1)| > 4), the false-alarm rate of a 4-MCSE bound.
    private var falseAlarmText: String {
        config.replications > 1 ? EstimateText.significant(Exceedances.chance(replications: config.replications), digits: 2) : "–"
    }

    /// The theory as the table shows it, to the estimate's decimal place; a limit marked as one.
    private func theoryText(_ e: Estimate) -> String {
        guard let x = e.output.theory.value else { return "" }
        let text = EstimateText.like(x, estimate: e.estimate, mcse: e.mcse)
        return e.output.theory.exact == nil ? "\(text) (limit)" : text
    }

    private func label(_ value: JSONValue) -> String { value.gridLabel }

    private func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

}

extension JSONValue {
    /// A grid value as the CSV's grid columns write it: a number in its shortest round-trip form,
    /// a string as it is.
    public var gridLabel: String {
        switch self {
        case .number(let x): format(x)
        case .string(let s): s
        default: compactText
        }
    }
}
