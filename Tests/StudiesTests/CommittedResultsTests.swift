import Foundation
import Report
import Testing

/// The committed results/ are what the committed configs produce, and they show what the issues
/// ask of them.
struct CommittedResultsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Re-running the quick profile (studies/quick/) reproduces results/quick/*.csv: byte for byte
    /// on the machine that made them, elsewhere to rounding (``ResultComparison``). A golden
    /// comparison: it catches changes, not bugs. (The full profile is compared the same way by
    /// `make study-check`, which CI runs.)
    @Test func quickProfileReproducesCommittedCSVs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let configs = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("studies/quick").path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(configs.count == 7)
        let result = try hessianStudy(["run"] + configs.map { Self.root.appendingPathComponent("studies/quick/\($0)").path } + ["--out", folder.path, "--quiet"])
        #expect(result.status == 0, "\(result.err)")
        for config in configs {
            let name = String(config.dropLast(5)) + ".csv"
            let fresh = try Data(contentsOf: folder.appendingPathComponent(name))
            let committed = try Data(contentsOf: Self.root.appendingPathComponent("results/quick/\(name)"))
            let outcome = try ResultComparison.compare(expected: Array(committed), actual: Array(fresh))
            #expect(outcome.reproduces, "results/quick/\(name) against a re-run of studies/quick/\(config): \(outcome)")
        }
    }

    /// Every CSV with a theory column: at least 99% of rows within 4 MCSE, except the dynamics
    /// rows whose theory is the β₂ → 1 limit (RMSProp, Adam), judged by their gap instead.
    @Test func committedResultsAgreeWithTheory() throws {
        let folder = Self.root.appendingPathComponent("results")
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".csv") {
            let rows = try readCSV(folder.appendingPathComponent(file))
            let exact = rows.filter { row in
                !(file.hasPrefix("dynamics") && (row["optimizer"] == "rmsprop" || row["optimizer"] == "adam"))
            }
            let scored = exact.compactMap { row -> Double? in
                guard let e = Double(row["estimate"] ?? ""), let m = Double(row["mcse"] ?? ""), let t = Double(row["theory"] ?? ""), m > 0 else { return nil }
                return abs(e - t) / m
            }
            let within = scored.filter { $0 <= 4 }.count
            #expect(within * 100 >= scored.count * 99, "\(file): \(within) of \(scored.count) rows within 4 MCSE")
            if file.hasPrefix("dynamics") {
                let nearOne = rows.filter { ($0["optimizer"] == "rmsprop" || $0["optimizer"] == "adam") && $0["beta2"] == "0.9999" && $0["quantity"] == "v" }
                #expect(nearOne.count > 0)
                for row in nearOne {
                    let gap = abs(Double(row["estimate"]!)! / Double(row["theory"]!)! - 1)
                    #expect(gap < 0.02, "\(row)")
                }
            }
        }
    }
}
