import Foundation
import TestSupport

/// A copy of `results/quick` (result files only: no REPORT.md, no figures) in a new folder
/// named `name` inside a fresh temporary folder; `only` keeps just those studies.
func quickResults(named name: String = "results", only: [String]? = nil) throws -> URL {
    let folder = try temporaryFolder().appendingPathComponent(name, isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let source = packageRoot.appendingPathComponent("results/quick")
    for file in try FileManager.default.contentsOfDirectory(atPath: source.path)
    where file.hasSuffix(".csv") || file.hasSuffix(".json") {
        let stem = String(file.split(separator: ".").first ?? "")
        if let only, !only.contains(stem) { continue }
        try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
    }
    return folder
}
