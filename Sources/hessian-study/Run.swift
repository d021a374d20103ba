import ArgumentParser
import Foundation
import MonteCarlo
import Studies

extension HessianStudy {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run configs and write NAME.csv, NAME.md and NAME.json for each.",
            discussion: """
                Every config is checked before any runs. The CSV depends only on the config: the same config gives the same bytes for any --threads, and for any split into shards merged back.
                Completed cells are checkpointed in OUT/.checkpoints/NAME/; after an interruption, --resume skips them. SIGINT or SIGTERM leaves no partial result file.
                """
        )

        @Argument(help: ArgumentHelp("Config files (JSON).", valueName: "config"))
        var configs: [String]

        @OptionGroup var output: OutputOptions

        @OptionGroup var threading: ThreadOptions

        @Option(help: ArgumentHelp("Run only slice K of N of the (cell, replication) work and write NAME.part-K-of-N.json for `merge`.", valueName: "k/n"))
        var shard: String?

        @Flag(help: "Resume an interrupted run: skip the cells checkpointed in OUT/.checkpoints/NAME/.")
        var resume = false

        @Flag(help: "Also write NAME.replications.csv: every replication's statistics (cell, grid, replication, quantity, index, value), for R or pandas.")
        var perReplication = false

        @OptionGroup var progress: ProgressOptions

        func validate() throws {
            if shard != nil {
                _ = try shardNumbers()
                guard !resume else { throw ValidationError("--resume: not with --shard; re-run the shard instead") }
            }
        }

        /// (K, N) from "K/N", 1 ≤ K ≤ N, each written in decimal digits alone ("1//4", "+1/4" and
        /// " 1/4" are refused).
        func shardNumbers() throws -> (Int, Int)? {
            guard let shard else { return nil }
            let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }),
                  let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 1_000_000, (1...n).contains(k) else {
                throw ValidationError("--shard: must be K/N with 1 ≤ K ≤ N, got \(shard)")
            }
            return (k, n)
        }

        func run() throws {
            let loaded = try Config.load(paths: configs, studies: allStudies)
            let shard = try shardNumbers()
            // A part file records no commit: ask git only for a whole run.
            var commit: @Sendable () -> String? = { nil }
            if shard == nil { commit = GitCommit.inBackground() }
            let session = RunSession(folder: try OutputFolder.open(output.out, access: shard == nil ? .exclusive : .shared),
                                     packageVersion: HessianStudy.version, gitCommit: commit,
                                     commandLine: CommandLine.arguments, studies: allStudies)
            try session.refuseOverwriting(loaded)
            Interruption.install(survivors: shard == nil ? "Completed cells are checkpointed: re-run with --resume to go on." : "")
            for config in loaded {
                let started = Date()
                let line = progress.progressLine(label: config.name, cells: config.cells.count)
                defer { line?.finish() }
                if let (k, n) = shard {
                    let part = try session.runShard(config, k, of: n, threads: threading.threads, progress: line?.update)
                    progress.say("\(config.name): shard \(k)/\(n), \(part.items.count) of \(config.cells.count * config.replications) replications in \(seconds(since: started)) s → \(part.file)")
                    continue
                }
                try session.run(config, threads: threading.threads, resume: resume, perReplication: perReplication,
                                resumed: { progress.say("\(config.name): resuming, \($0) of \(config.cells.count) cells checkpointed") },
                                progress: line?.update)
                progress.say("\(config.name): \(config.cells.count) cells × \(config.replications) replications in \(seconds(since: started)) s → \(session.folder.display(config.name)).{csv,md,json}")
            }
        }
    }
}

func seconds(since start: Date) -> String { String(format: "%.1f", Date().timeIntervalSince(start)) }
