import ArgumentParser
import Foundation
import MonteCarlo
import Studies

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run configs and write NAME.csv, NAME.md and NAME.json for each.",
        discussion: """
            Every config is checked before any runs. The CSV depends only on the config: the same config gives the same bytes for any --threads, and for any split into shards merged back.
            Completed cells are checkpointed in OUT/.checkpoints/NAME/; after an interruption, --resume skips them. SIGINT or SIGTERM leaves no partial result file.
            """
    )

    @Argument(help: "Config files (JSON).")
    var configs: [String]

    @Option(help: "Folder for the result files (created if missing).")
    var out: String = "results"

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Run only slice K of N of the (cell, replication) work and write NAME.part-K-of-N.json for `merge`.")
    var shard: String?

    @Flag(help: "Resume an interrupted run: skip the cells checkpointed in OUT/.checkpoints/NAME/.")
    var resume = false

    @Flag(help: "No progress line on stderr.")
    var quiet = false

    func validate() throws {
        guard (1...4096).contains(threads) else { throw ValidationError("--threads: must be in 1...4096, got \(threads)") }
        if shard != nil {
            _ = try shardNumbers()
            guard !resume else { throw ValidationError("--resume: not with --shard; re-run the shard instead") }
        }
    }

    /// (K, N) from "K/N", 1 ≤ K ≤ N.
    func shardNumbers() throws -> (Int, Int)? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 1_000_000, (1...n).contains(k) else {
            throw ValidationError("--shard: must be K/N with 1 ≤ K ≤ N, got \(shard)")
        }
        return (k, n)
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
        let shard = try shardNumbers()
        let session = RunSession(folder: try OutputFolder.open(out, access: shard == nil ? .exclusive : .shared),
                                 packageVersion: HessianStudy.version, gitCommit: GitCommit.current,
                                 commandLine: CommandLine.arguments, studies: allStudies)
        try session.refuseOverwriting(loaded)
        Interruption.install(survivors: shard == nil ? "Completed cells are checkpointed: re-run with --resume to go on." : "")
        for config in loaded {
            let started = Date()
            let progress = quiet ? nil : ProgressLine.forTerminal(label: config.name, cells: config.cells.count)
            defer { progress?.finish() }
            if let (k, n) = shard {
                let part = try session.runShard(config, k, of: n, threads: threads, progress: progress?.update)
                say("\(config.name): shard \(k)/\(n), \(part.items.count) of \(config.cells.count * config.replications) replications in \(seconds(since: started)) s → \(part.file)")
                continue
            }
            try session.run(config, threads: threads, resume: resume,
                            resumed: { say("\(config.name): resuming, \($0) of \(config.cells.count) cells checkpointed") },
                            progress: progress?.update)
            say("\(config.name): \(config.cells.count) cells × \(config.replications) replications in \(seconds(since: started)) s → \(session.folder.display(config.name)).{csv,md,json}")
        }
    }

    private func say(_ line: String) {
        if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}

func seconds(since start: Date) -> String { String(format: "%.1f", Date().timeIntervalSince(start)) }

/// The commit of the checkout the running executable was built in, "-dirty" if its code
/// (Sources/, Package.swift) has uncommitted changes; nil outside a git checkout. Result files
/// being rewritten by the run itself do not make it dirty.
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
