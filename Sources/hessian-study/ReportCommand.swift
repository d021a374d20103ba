import ArgumentParser
import Foundation
import Report
import MonteCarlo

struct ReportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Write REPORT.md and figures/*.svg from the result files in a folder.",
            discussion: "Reads every NAME.csv and NAME.json in the folder, decides claims C1–C5, and draws the figures with gnuplot."
        )

        @Argument(help: "The results folder.")
        var results: String = "results"

        @Flag(help: "Also render the figures as PNG (for looking at them).")
        var png = false

        func run() throws {
            let output = try OutputFolder.open(results, create: false, option: "report")
            let folder = URL(fileURLWithPath: results, isDirectory: true)
            let report = try StudyReport.load(from: folder)
            let figures = Figures.all(report)
            let figureFolder = folder.appendingPathComponent("figures")
            try Figures.render(figures, to: figureFolder)
            if png { try Figures.render(figures, to: figureFolder, png: true) }
            let markdown = report.markdown(figures: Set(figures.map { "\($0.name).svg" }))
            try output.write([("REPORT.md", Data(markdown.utf8))])
        }
    }
