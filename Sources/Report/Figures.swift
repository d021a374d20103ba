#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MonteCarlo
import Reporting
import Studies

/// The figures of `results/figures/`, drawn by gnuplot from the study CSVs.
public enum Figures {
    /// The figures of every results file, each drawn by the study its manifest names (a file
    /// without a manifest, or of a study not in `studies`, has none), in file-name order.
    public static func all(_ report: StudyReport, studies: [any ReportedStudy.Type] = allStudies) -> [Figure] {
        report.studies.keys.sorted().flatMap { name -> [Figure] in
            guard let results = report.studies[name], let study = results.config?.study,
                  let reported = studies.first(where: { $0.name == study.name }) else { return [] }
            return reported.figures(results).map { figure in
                var figure = figure
                figure.source = name
                return figure
            }
        }
    }

    /// Draws each figure with gnuplot and returns its file name (`NAME.svg` or `NAME.png`) and
    /// bytes. No text from the results folder, and no path, enters a script: gnuplot runs (without
    /// a shell) in a fresh private folder (mkdtemp, mode 0700, removed afterwards), reads the
    /// figure's data files there by constant names and writes a constant output name there, which
    /// is then read back. Titles hold only ``Text/plotLabel(_:)`` text.
    public static func draw(_ figures: [Figure], png: Bool = false) throws -> [(file: String, bytes: Data)] {
        var template = Array((FileManager.default.temporaryDirectory.path + "/hessian-report-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ReportError("cannot make a scratch folder for gnuplot: \(String(cString: strerror(errno)))")
        }
        let scratch = URL(fileURLWithPath: String(cString: made), isDirectory: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let terminal = png
            ? "set terminal pngcairo size 900,620 enhanced font 'DejaVu Sans,12' background rgb 'white'"
            : "set terminal svg size 900,620 dynamic enhanced font 'DejaVu Sans,13' background rgb 'white'"
        let output = png ? "figure.png" : "figure.svg"
        var drawn: [(file: String, bytes: Data)] = []
        for figure in figures {
            for (name, text) in figure.data {
                try Data(text.utf8).write(to: scratch.appendingPathComponent(name), options: .withoutOverwriting)
            }
            let script = "\(terminal)\nset output '\(output)'\n\(Figure.style)\n\(figure.script)\nunset output\n"
            try Data(script.utf8).write(to: scratch.appendingPathComponent("figure.gp"), options: .withoutOverwriting)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gnuplot", "figure.gp"]
            process.currentDirectoryURL = scratch
            let errors = Pipe()
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            do { try process.run() } catch {
                throw ReportError("gnuplot cannot be started (install gnuplot-nox): \(error.localizedDescription)")
            }
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let result = scratch.appendingPathComponent(output)
            guard process.terminationStatus == 0, let bytes = try? Data(contentsOf: result) else {
                let last = message.split(whereSeparator: \.isNewline).last.map(String.init) ?? "no output"
                throw ReportError("gnuplot failed on \(figure.name): \(Text.quoted(last))")
            }
            drawn.append(("\(figure.name).\(png ? "png" : "svg")", bytes))
            for name in Array(figure.data.keys) + ["figure.gp", output] {
                try? FileManager.default.removeItem(at: scratch.appendingPathComponent(name))
            }
        }
        return drawn
    }
}
