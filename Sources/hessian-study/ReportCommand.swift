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

        /// Reads and checks every input before anything is drawn or written; draws the figures in a
        /// private scratch folder; then writes the figures (as one set) and REPORT.md, each whole
        /// or not at all, through the locked output folder (``OutputFolder``). A bad input is a ``ConfigError`` (exit 2, one line naming the file).
        func run() throws {
            let output = try OutputFolder.open(results, create: false, option: "report")
            Interruption.install()
            let folder = URL(fileURLWithPath: results, isDirectory: true)
            let report = try StudyReport.load(from: folder)
            let figures = Figures.all(report)
            var drawn = try Figures.draw(figures)
            if png { drawn += try Figures.draw(figures, png: true) }
            let markdown = report.markdown(figures: Set(figures.map { "\($0.name).svg" }))
            let figureFolder = try output.subfolder("figures", create: true)!
            figureFolder.removeStaleTemporaries(of: drawn.map(\.file))
            try figureFolder.write(drawn.map { ($0.file, $0.bytes) })
            output.removeStaleTemporaries(of: ["REPORT.md"])
            try output.write([("REPORT.md", Data(markdown.utf8))])
        }
    }
