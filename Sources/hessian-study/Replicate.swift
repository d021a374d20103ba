import ArgumentParser
import Foundation
import MonteCarlo
import Studies

extension HessianStudy {
    struct Replicate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-run one replication of one cell alone and print its statistics as CSV.",
            discussion: "Each (cell, replication) has its own stream, so this prints exactly the values that replication contributed to the full run."
        )

        @Argument(help: "A config file.")
        var config: String

        @Option(help: "The cell (0-based, as in the CSV).")
        var cell: Int

        @Option(help: "The replication (0-based).")
        var replication: Int

        func run() throws {
            let config = try Config.load(path: config, studies: allStudies)
            // Checked here, not in validate(): the ranges come from the config.
            guard config.cells.indices.contains(cell) else {
                throw UsageError(description: "--cell: must be in 0..<\(config.cells.count), got \(cell)")
            }
            guard (0..<config.replications).contains(replication) else {
                throw UsageError(description: "--replication: must be in 0..<\(config.replications), got \(replication)")
            }
            print("cell,replication,quantity,index,value")
            for e in try Runner(config: config, threads: 1).replicate(cell: cell, replication: replication) {
                print("\(cell),\(replication),\(e.output.quantity),\(e.output.index.map(String.init) ?? ""),\(format(e.estimate))")
            }
        }
    }
}
