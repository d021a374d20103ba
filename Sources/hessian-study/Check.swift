import ArgumentParser
import Foundation
import MonteCarlo
import Reporting
import Studies

extension HessianStudy {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check configs without running them: exit 0 if every one is valid, 2 with one line naming the file and key if not.",
            discussion: "For a valid config it prints its size (cells, replications, estimates, the CSV's size, memory); per cell, where the crossover h_c falls in the spectrum, with a warning when every coordinate is on one side; and whether it can decide the claim its study tests, and if not why (a parameter value no cell has, too few replications)."
        )

        @Argument(help: ArgumentHelp("Config files (JSON).", valueName: "config"))
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
                } else {
                    config.summary.forEach { print($0) }
                    let study = allStudies.first { $0.name == config.study.name }
                    if let readiness = study?.readiness(config) { print("  " + readiness.line(replications: config.replications)) }
                }
            }
        }
    }
}
