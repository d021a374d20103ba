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
        /// private scratch folder; then writes the figures and REPORT.md together, each whole or
        /// not at all. A bad input is a ``ConfigError`` (exit 2, one line naming the file).
        func run() throws {
            let folder = URL(fileURLWithPath: results, isDirectory: true)
            let report = try StudyReport.load(from: folder)
            let figures = Figures.all(report)
            var drawn = try Figures.draw(figures)
            if png { drawn += try Figures.draw(figures, png: true) }
            let figureFolder = folder.appendingPathComponent("figures")
            var status = stat()
            if lstat(figureFolder.path, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else {
                    throw ConfigError(file: figureFolder.path, key: nil, message: "must be a folder (not a file or a symbolic link): the report writes its figures there")
                }
            } else {
                try FileManager.default.createDirectory(at: figureFolder, withIntermediateDirectories: false)
            }
            let markdown = report.markdown(figures: Set(figures.map { "\($0.name).svg" }))
            try AtomicFiles.write(drawn.map { (figureFolder.appendingPathComponent($0.file), $0.bytes) }
                + [(folder.appendingPathComponent("REPORT.md"), Data(markdown.utf8))])
        }
    }
