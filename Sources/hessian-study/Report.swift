import ArgumentParser
import Foundation
import MonteCarlo
import Report

extension HessianStudy {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write REPORT.md and figures/*.svg from the result files in a folder.",
            discussion: "Reads every NAME.csv and NAME.json in the folder, decides claims C1–C5, and draws the figures with gnuplot."
        )

        @Argument(help: ArgumentHelp("The results folder.", valueName: "folder"))
        var results: String = "results"

        @Flag(help: "Also render the figures as PNG (for looking at them).")
        var png = false

        @Option(help: ArgumentHelp("Seconds gnuplot may take on one figure before it is stopped.", valueName: "seconds"))
        var figureTimeout: Double = Figures.defaultTimeout

        func validate() throws {
            guard figureTimeout > 0, figureTimeout <= 86_400 else {
                throw ValidationError("--figure-timeout: must be a number of seconds in (0, 86400], got \(figureTimeout)")
            }
        }

        func run() throws {
            let output = try OutputFolder.open(results, create: false, option: "report")
            Interruption.install()
            try StudyReport.write(into: output, png: png, figureTimeout: figureTimeout) { sets in
                FileHandle.standardError.write(Data("hessian-study: made whole what an interrupted write left of \(sets.joined(separator: ", ")) in \(results)\n".utf8))
            }
        }
    }
}
