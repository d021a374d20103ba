import ArgumentParser
import Foundation
import MonteCarlo
import Studies

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the part files of `run --shard K/N` into NAME.csv, NAME.md and NAME.json.",
        discussion: "The parts must be all N shards of one config, seed and package version, each once. The CSV is byte for byte the one an unsharded run writes."
    )

    @Argument(help: "Part files (NAME.part-K-of-N.json).")
    var parts: [String]

    @Option(help: "Folder for the result files.")
    var out: String = "results"

    func run() throws {
        let started = Date()
        let files = try parts.map { try PartFile.read($0, studies: allStudies) }
        let statistics = try PartFile.merge(files, packageVersion: HessianStudy.version)
        let directory = try OutputDirectory.prepare(out)
        Interruption.install()
        let provenance = Provenance(packageVersion: HessianStudy.version, gitCommit: GitCommit.current, threads: 1,
                                    started: started, wallSeconds: Date().timeIntervalSince(started),
                                    commandLine: CommandLine.arguments)
        try ResultFiles(config: statistics.config, results: statistics.summarise()).write(to: directory, provenance: provenance)
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check configs without running them: exit 0 if every one is valid, 2 with one line naming the file and key if not."
    )

    @Argument(help: "Config files (JSON).")
    var configs: [String]

    @Flag(help: "Print each config's name (the stem of its result files), one per line.")
    var name = false

    @Flag(help: "Print the memory each config's run needs with one thread, in bytes: NAME BYTES, one per line.")
    var memory = false

    func run() throws {
        for path in configs {
            let config = try Config.load(path: path, studies: allStudies)
            if memory {
                print("\(config.name) \(String(format: "%.0f", config.memoryEstimate))")
            } else if name {
                print(config.name)
            }
        }
    }
}
