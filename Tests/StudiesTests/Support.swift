import Foundation
import MonteCarlo
import Studies
import Testing
@_exported import TestSupport

/// Runs a config given as JSON text in-process and returns its config and results.
func run(_ text: String, threads: Int = 2) throws -> (Config, [CellResult]) {
    let config = try Config(file: "test.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
    return (config, try Runner(config: config, threads: threads).run())
}

/// Expects the config `text` to be refused before anything runs, with a ``ConfigError`` whose
/// line starts "test.json: " + `expected` (the key, then the reason).
func expectConfigError(_ text: String, startsWith expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try run(text)
        Issue.record("accepted: \(text)", sourceLocation: sourceLocation)
    } catch let error as ConfigError {
        #expect(error.description.hasPrefix("test.json: " + expected), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
    }
}

/// The estimates of `quantity` in a cell.
func estimates(_ result: CellResult, _ quantity: String) -> [Estimate] {
    result.estimates.filter { $0.output.quantity == quantity }
}

/// z = (estimate − theory)/mcse.
func z(_ e: Estimate) -> Double {
    (e.estimate - e.output.theory.value!) / e.mcse!
}

/// Parses the tidy CSV (no quoted fields needed here) into dictionaries by column name.
func readCSV(_ url: URL) throws -> [[String: String]] {
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    let header = lines[0]
    return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
}
