import ArgumentParser
import Foundation
import MonteCarlo
import Report

extension HessianStudy {
    struct Quote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite the results blocks of Markdown files from a results folder.",
            discussion: "Each block <!-- results: KEY --> … <!-- /results --> (KEY: answer, verdicts, claim ID, evidence ID) gets the text REPORT.md would give it, so that documentation states no result by hand. `make study` runs it on README.md and docs/."
        )

        @Argument(help: ArgumentHelp("The results folder.", valueName: "folder"))
        var results: String

        @Argument(help: ArgumentHelp("Markdown files to rewrite in place.", valueName: "file"))
        var files: [String]

        func run() throws {
            let report = try StudyReport.load(from: URL(fileURLWithPath: results, isDirectory: true))
            for path in files {
                let text = String(decoding: try FileInput.read(path, limit: 1 << 24), as: UTF8.self)
                let filled = try Quotation.fill(text, from: report, file: path)
                if filled != text { try Data(filled.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) }
            }
        }
    }
}
