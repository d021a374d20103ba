import ArgumentParser
import Foundation
import MonteCarlo
import Report
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
        let files = try parts.map { try PartFile.read($0, studies: allStudies) }
        let session = RunSession(folder: try OutputFolder.open(out), packageVersion: HessianStudy.version,
                                 gitCommit: GitCommit.current, commandLine: CommandLine.arguments, studies: allStudies)
        Interruption.install()
        try session.merge(files)
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

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that re-run result CSVs reproduce committed ones: exit 0 if every pair agrees, 1 if not.",
        discussion: "Byte for byte, except that numbers may differ in their last bits (another CPU's BLAS kernels): within τ = 2^21·2^-53 of the row's magnitude. Prints one line per pair."
    )

    @Argument(help: "Pairs of files: EXPECTED ACTUAL [EXPECTED ACTUAL …].")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty, files.count % 2 == 0 else { throw ValidationError("give pairs of files: EXPECTED ACTUAL") }
    }

    func run() throws {
        var all = true
        for k in stride(from: 0, to: files.count, by: 2) {
            let expected = try FileInput.read(files[k], limit: StudyResults.maximumCSVBytes)
            let actual = try FileInput.read(files[k + 1], limit: StudyResults.maximumCSVBytes)
            let outcome = try ResultComparison.compare(expected: expected, actual: actual, file: files[k])
            print("\(outcome): \(files[k])")
            all = all && outcome.reproduces
        }
        if !all { throw ExitCode.failure }
    }
}
