import Foundation
import MonteCarlo
import Reporting

extension StudyReport {
    /// Writes `REPORT.md` and `figures/*.svg` (and `figures/*.png` if `png`) into `output` from
    /// the result files in it (`hessian-study report`).
    ///
    /// Reads and checks every input before anything is drawn or written; draws the figures in a
    /// private scratch folder; then writes the figures (as one set) and `REPORT.md`, each whole
    /// or not at all, through the locked output folder (``OutputFolder``). A bad input is a
    /// ``ConfigError`` (exit 2, one line naming the file).
    public static func write(into output: OutputFolder, png: Bool = false, figureTimeout: Double = Figures.defaultTimeout,
                             restored: ([String]) -> Void = { _ in }) throws {
        // A set a killed run or merge left half-replaced is made whole (or refused when read).
        let sets = ResultSet.recover(in: output)
        if !sets.isEmpty { restored(sets) }
        let report = try load(in: output)
        let figures = Figures.all(report)
        var drawn = try Figures.draw(figures, timeout: figureTimeout)
        if png { drawn += try Figures.draw(figures, png: true, timeout: figureTimeout) }
        let markdown = report.markdown(figures: Set(figures.map { "\($0.name).svg" }),
                                       bySource: Dictionary(grouping: figures, by: \.source).mapValues { $0.map { "\($0.name).svg" } })
        let figureFolder = try output.subfolder("figures", create: true)!
        figureFolder.removeStaleTemporaries(of: drawn.map(\.file))
        try figureFolder.write(drawn.map { ($0.file, $0.bytes) })
        output.removeStaleTemporaries(of: ["REPORT.md"])
        try output.write([("REPORT.md", Data(markdown.utf8))])
    }
}
