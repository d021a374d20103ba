import Foundation
import MonteCarlo
import Report
import Reporting
import Studies
import Testing

/// The worked example of docs/ADDING-A-STUDY.md, end to end: one folder (this one) and one
/// registry line (`studies` below) give a study that `check`s, runs, shards, merges and reports.
struct BiasCorrectionTests {
    /// The registry line.
    static let studies: [any ReportedStudy.Type] = allStudies + [BiasCorrection.self]

    static let config = """
        {"name": "bias", "study": "bias-correction", "seed": 7, "replications": 400,
         "fixed": {"sigma": 2}, "grid": {"beta2": [0.9, 0.999], "steps": [1, 10, 1000]}}
        """

    /// Runs through the engine's output-folder protocol, in-process, and reads the CSV back.
    @Test func theExampleRunsEndToEnd() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try Config(file: "bias.json", json: JSONValue.parse(Array(Self.config.utf8)), studies: Self.studies)
        let session = RunSession(folder: try OutputFolder.open(folder.path), packageVersion: "test", gitCommit: nil,
                                 commandLine: [], studies: Self.studies)
        try session.run(config, threads: 2, resume: false)
        let rows = try readCSV(folder.appendingPathComponent("bias.csv"))
        #expect(rows.count == 12)
        // R = 400: P(|t₃₉₉| > 4) ≈ 7·10⁻⁵ per row, 8·10⁻⁴ for the 12 rows.
        for row in rows {
            let z = (Double(row["estimate"]!)! - Double(row["theory"]!)!) / Double(row["mcse"]!)!
            #expect(abs(z) < 4 && row["theory_kind"] == "exact", "\(row)")
        }
        // t = 1, an identity far below any MCSE: v₁ = (1−β₂)g₁², v̂₁ = g₁², so v/v̂ = 1−β₂ exactly.
        for beta2 in ["0.9", "0.999"] {
            let one = rows.filter { $0["beta2"] == beta2 && $0["steps"] == "1" }
            let v = Double(one.first { $0["quantity"] == "v" }!["estimate"]!)!
            let vHat = Double(one.first { $0["quantity"] == "v_hat" }!["estimate"]!)!
            #expect(abs(v / vHat - (1 - Double(beta2)!)) < 1e-14)
        }
        // The report reads the folder by the manifest's study, figures included.
        let report = try StudyReport.load(from: folder, studies: Self.studies)
        #expect(report.studies["bias"]?.config?.study.name == "bias-correction")
        #expect(Figures.all(report, studies: Self.studies).map(\.name) == ["bias"])
    }
}
