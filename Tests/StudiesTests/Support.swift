import Foundation
import MonteCarlo
import Studies

/// Runs a config given as JSON text in-process and returns its config and results.
func run(_ text: String, threads: Int = 2) throws -> (Config, [CellResult]) {
    let config = try Config(file: "test.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
    return (config, try Runner(config: config, threads: threads).run())
}

/// The estimates of `quantity` in a cell.
func estimates(_ result: CellResult, _ quantity: String) -> [Estimate] {
    result.estimates.filter { $0.output.quantity == quantity }
}

/// z = (estimate − theory)/mcse.
func z(_ e: Estimate) -> Double {
    (e.estimate - e.output.theory!) / e.mcse!
}

/// The `hessian-study` executable built beside the test bundle.
let executable: URL = {
    var folder = Bundle.main.bundleURL
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("hessian-study").path),
          folder.path != "/" {
        folder.deleteLastPathComponent()
    }
    return folder.appendingPathComponent("hessian-study")
}()

/// Runs `hessian-study` with `arguments`; returns its status, stdout and stderr.
func hessianStudy(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// A fresh temporary folder.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hessian-study-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Parses the tidy CSV (no quoted fields needed here) into dictionaries by column name.
func readCSV(_ url: URL) throws -> [[String: String]] {
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    let header = lines[0]
    return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
}
