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
        let directory = try OutputDirectory.prepare(out)
        for config in loaded {
            let input = URL(fileURLWithPath: config.file).standardizedFileURL.resolvingSymlinksInPath().path
            for suffix in ["csv", "md", "json"] {
                let output = directory.appendingPathComponent("\(config.name).\(suffix)").standardizedFileURL.resolvingSymlinksInPath().path
                guard output != input else {
                    throw UsageError(description: "--out \(out): \(config.name).\(suffix) would overwrite the config \(config.file) itself; write the results to another folder")
                }
            }
        }
        Interruption.install()
        let commit = GitCommit.current
        for config in loaded {
            let started = Date()
            let runner = Runner(config: config, threads: threads)
            let progress = quiet ? nil : ProgressLine.forTerminal(label: config.name, cells: config.cells.count)
            if let (k, n) = try shardNumbers() {
                let items = Runner.shard(k, of: n, items: runner.itemCount)
                let statistics = try runner.compute(items: items, progress: progress?.update)
                progress?.finish()
                let file = directory.appendingPathComponent("\(config.name).part-\(k)-of-\(n).json")
                try AtomicFiles.write([(file, PartFile.encode(statistics, items: items, shard: k, of: n, packageVersion: HessianStudy.version))])
                say("\(config.name): shard \(k)/\(n), \(items.count) of \(runner.itemCount) replications in \(seconds(since: started)) s → \(file.path)")
                continue
            }
            let checkpoints = Checkpoints(output: directory, name: config.name, packageVersion: HessianStudy.version)
            let statistics = try runner.prepare()
            if resume {
                let cells = try checkpoints.load(into: statistics, studies: allStudies)
                say("\(config.name): resuming, \(cells) of \(config.cells.count) cells checkpointed")
            } else {
                checkpoints.clear()
            }
            _ = try runner.compute(into: statistics, completed: { try checkpoints.save(cell: $0, of: statistics) },
                                   progress: progress?.update)
            progress?.finish()
            let results = try statistics.summarise()
            let provenance = Provenance(packageVersion: HessianStudy.version, gitCommit: commit, threads: threads,
                                        started: started, wallSeconds: Date().timeIntervalSince(started),
                                        commandLine: CommandLine.arguments)
            try ResultFiles(config: config, results: results).write(to: directory, provenance: provenance)
            checkpoints.clear()
            say("\(config.name): \(config.cells.count) cells × \(config.replications) replications in \(seconds(since: started)) s → \(directory.path)/\(config.name).{csv,md,json}")
        }
    }

    private func say(_ line: String) {
        if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}

func seconds(since start: Date) -> String { String(format: "%.1f", Date().timeIntervalSince(start)) }

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
