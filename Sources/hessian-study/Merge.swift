import ArgumentParser
import Foundation
import MonteCarlo
import Studies

extension HessianStudy {
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge the part files of `run --shard K/N` into NAME.csv, NAME.md and NAME.json.",
            discussion: "The parts must be all N shards of one config, seed and package version, each once. The CSV is byte for byte the one an unsharded run writes."
        )

        @Argument(help: ArgumentHelp("Part files (NAME.part-K-of-N.json).", valueName: "part"))
        var parts: [String]

        @OptionGroup var output: OutputOptions

        func run() throws {
            let files = try parts.map { try PartFile.read($0, studies: allStudies) }
            let session = RunSession(folder: try OutputFolder.open(output.out), packageVersion: HessianStudy.version,
                                     gitCommit: GitCommit.inBackground(), commandLine: CommandLine.arguments, studies: allStudies)
            Interruption.install()
            try session.merge(files)
        }
    }
}
