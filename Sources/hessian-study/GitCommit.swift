import Foundation

/// The commit of the checkout the running executable was built in, "-dirty" if its code
/// (Sources/, Package.swift) has uncommitted changes; nil outside a git checkout. Result files
/// being rewritten by the run itself do not make it dirty.
///
/// It stays in the command, not in MonteCarlo: it asks where *this executable* was built
/// (`CommandLine.arguments[0]`). An in-process caller of ``RunSession`` knows its own build
/// and passes its own `gitCommit`.
enum GitCommit {
    static var current: String? {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        guard let head = git(["-C", folder, "rev-parse", "HEAD"]), !head.isEmpty else { return nil }
        let top = git(["-C", folder, "rev-parse", "--show-toplevel"]) ?? folder
        let dirty = git(["-C", top, "status", "--porcelain", "--untracked-files=no", "--", "Sources", "Package.swift"]).map { !$0.isEmpty } ?? false
        return head + (dirty ? "-dirty" : "")
    }

    private static func git(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
