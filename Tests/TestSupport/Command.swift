import Foundation

/// The `hessian-study` executable built beside the test bundle.
public let executable: URL = {
    var folder = Bundle.main.bundleURL
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("hessian-study").path),
          folder.path != "/" {
        folder.deleteLastPathComponent()
    }
    return folder.appendingPathComponent("hessian-study")
}()

/// The package root.
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs `hessian-study` with `arguments` in `directory` (the test's own by default), with
/// `environment` added to the test's own; returns its status, stdout, stderr and how long it
/// took. It is killed after `timeout` seconds.
public func hessianStudy(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:], timeout: Double = 120)
    throws -> (status: Int32, out: String, err: String, seconds: Double)
{
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
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
public func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hessian-study-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Starts `hessian-study ARGUMENTS` twice at once and waits for both; each one's status, stderr
/// and process ID.
public func hessianStudyTwiceAtOnce(_ arguments: [String]) throws -> [(status: Int32, err: String, pid: Int32)] {
    let processes = try (0..<2).map { _ in
        let process = Process(), err = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        process.standardError = err
        try process.run()
        return (process, err)
    }
    return processes.map { process, err in
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, message, process.processIdentifier)
    }
}
