import ArgumentParser
import Foundation
import MonteCarlo
import Studies

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run configs and write NAME.csv, NAME.md and NAME.json for each.",
        discussion: "Every config is checked before any runs. The CSV depends only on the config: the same config gives the same bytes for any --threads."
    )

    @Argument(help: "Config files (JSON).")
    var configs: [String]

    @Option(help: "Folder for the result files (created if missing).")
    var out: String = "results"

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress line on stderr.")
    var quiet = false

    func validate() throws {
        guard (1...4096).contains(threads) else { throw ValidationError("--threads: must be in 1...4096, got \(threads)") }
    }

    func run() throws {
        let loaded = try configs.map { try Config.load(path: $0, studies: allStudies) }
        var seen: [String: String] = [:]
        for config in loaded {
            if let other = seen.updateValue(config.file, forKey: config.name) {
                throw ConfigError(file: config.file, key: "name",
                                  message: "\"\(config.name)\" is also the name of \(other); both would write \(config.name).csv")
            }
        }
        let directory = try OutputDirectory.prepare(out)
        let commit = GitCommit.current
        for config in loaded {
            let started = Date()
            let progress = quiet ? nil : ProgressLine.forTerminal(label: config.name, cells: config.cells.count)
            let results = try Runner(config: config, threads: threads).run(progress: progress?.update)
            progress?.finish()
            let provenance = Provenance(packageVersion: HessianStudy.version, gitCommit: commit, threads: threads,
                                        started: started, wallSeconds: Date().timeIntervalSince(started),
                                        commandLine: CommandLine.arguments)
            try ResultFiles(config: config, results: results).write(to: directory, provenance: provenance)
            if !quiet {
                FileHandle.standardError.write(Data(
                    "\(config.name): \(config.cells.count) cells × \(config.replications) replications in \(String(format: "%.1f", provenance.wallSeconds)) s → \(directory.path)/\(config.name).{csv,md,json}\n".utf8))
            }
        }
    }
}

enum OutputDirectory {
    /// Creates `path` if missing and checks that files can be written there, before any run.
    static func prepare(_ path: String) throws -> URL {
        let url = URL(fileURLWithPath: path, isDirectory: true)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw UsageError(description: "--out \(path): is a file, not a folder") }
        } else {
            do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
                throw UsageError(description: "--out \(path): cannot create the folder: \((error as NSError).localizedDescription)")
            }
        }
        guard access(path, W_OK) == 0 else { throw UsageError(description: "--out \(path): folder is not writable") }
        return url
    }
}

/// The commit of the checkout the running executable was built in, "-dirty" if it has
/// uncommitted changes to tracked files; nil outside a git checkout.
enum GitCommit {
    static var current: String? {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        guard let head = git(["-C", folder, "rev-parse", "HEAD"]), !head.isEmpty else { return nil }
        let dirty = git(["-C", folder, "status", "--porcelain", "--untracked-files=no"]).map { !$0.isEmpty } ?? false
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
