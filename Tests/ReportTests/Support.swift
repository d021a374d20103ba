import Foundation

/// The `hessian-study` executable built beside the test bundle.
let executable: URL = {
    var folder = Bundle.main.bundleURL
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("hessian-study").path),
          folder.path != "/" {
        folder.deleteLastPathComponent()
    }
    return folder.appendingPathComponent("hessian-study")
}()

/// Runs `hessian-study` with `arguments` in `directory` (the test's own by default); returns its
/// status, stdout, stderr and how long it took. It is killed after `timeout` seconds.
func hessianStudy(_ arguments: [String], in directory: URL? = nil, timeout: Double = 60)
    throws -> (status: Int32, out: String, err: String, seconds: Double)
{
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let start = Date()
    try process.run()
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self),
            Date().timeIntervalSince(start))
}

/// A fresh temporary folder.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hessian-report-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The package root.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

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
