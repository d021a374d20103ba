import Foundation
import MonteCarlo

/// A figure: its role among its result set's figures, the gnuplot commands that draw it, and its
/// data files (name → text, numbers only), which the script reads by their constant names
/// (`'a0.dat'`). Studies describe their figures (``ReportedStudy/figures(_:)``); the report
/// draws them and names them (``place(in:)``).
public struct Figure: Sendable {
    /// "" for the set's main figure, else a word such as `t8` or `local-slope` (lowercase letters,
    /// digits and '-'), distinct among the set's figures.
    public var role: String
    public var script: String
    public var data: [String: String] = [:]
    /// The result set it was drawn from, set by ``place(in:)``.
    public private(set) var source = ""
    /// Its file stem, `NAME` or `NAME.ROLE` (set by ``place(in:)``): a result set's name holds no
    /// '.' (``Config/isResultName(_:)``), so no two sets' figures can share a file.
    public private(set) var name: String

    public init(role: String, script: String, data: [String: String] = [:]) {
        precondition(role.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d },
                     "a figure's role is lowercase letters, digits and '-'")
        (self.role, self.script, self.data, self.name) = (role, script, data, role)
    }

    /// The figure as drawn from the result set `set`.
    public func place(in set: String) -> Figure {
        var figure = self
        figure.source = set
        figure.name = role.isEmpty ? set : "\(set).\(role)"
        return figure
    }
}

/// The line styles figures use (`ls 1` … `ls 6`) and the axes' format, prepended to every script.
/// Each series has its own colour and an open marker, the earlier series' larger, so that series
/// that coincide (s = 0 and s = 0.01 in `gauss-newton`) nest inside each other, all visible.
extension Figure {
    public static let style = """
        set encoding utf8
        set grid lw 0.5 lc rgb '#dddddd'
        set key top left box opaque
        set border lw 1.2
        set style line 1 lc rgb '#1b6ca8' pt 6 ps 1.5 lw 1.5
        set style line 2 lc rgb '#d1495b' pt 4 ps 1.2 lw 1.5
        set style line 3 lc rgb '#2e8b57' pt 8 ps 1.1 lw 1.5
        set style line 4 lc rgb '#edae49' pt 10 ps 1.0 lw 1.5
        set style line 5 lc rgb '#6a4c93' pt 12 ps 1.0 lw 1.5
        set style line 6 lc rgb '#444444' pt 2 ps 0.9 lw 1.5
        set format x '10^{%L}'
        set format y '10^{%L}'
        """

    /// The data file `name.dat` holding `rows`, one line of numbers each (``format(_:)`` of a
    /// Double: digits, sign, '.', 'e', or nan/inf), and how a plot command names it.
    public static func block(_ name: String, _ rows: [[Double]], into data: inout [String: String]) -> String {
        data["\(name).dat"] = rows.map { $0.map { format($0) }.joined(separator: " ") + "\n" }.joined()
        return "'\(name).dat'"
    }

    /// The most series one figure draws: the six line styles of ``style`` (and a bound on the
    /// work, however many grid values a file has).
    public static let maximumSeries = 6
    /// The most coordinates a per-coordinate figure plots; a larger spectrum gives no figure
    /// (gnuplot would draw a cloud, and `Spectrum.values` would allocate it).
    public static let maximumCoordinates = 1 << 16

    /// The one value every cell of the run shares for `read`, or nil if the cells differ (the
    /// figures plot against a single spectrum, number of steps, …) or the run's config is unknown.
    public static func shared<T: Equatable>(_ r: StudyResults, _ read: (Cell) -> T) -> T? {
        guard let cells = r.config?.cells, let first = cells.first.map(read),
              cells.allSatisfy({ read($0) == first }) else { return nil }
        return first
    }

    /// The eigenvalues h, when every cell has the same spectrum of at most
    /// ``maximumCoordinates`` values.
    public static func spectrum(_ r: StudyResults, _ key: Parameter<Spectrum>) -> [Double]? {
        guard let s = shared(r, { $0[key] }), s.count <= maximumCoordinates else { return nil }
        return s.values
    }

    /// The multiplier of a 95% error bar for the estimates of `r`: t's 97.5% quantile with R − 1
    /// degrees of freedom (``EstimateText/intervalMultiplier(replications:)``), R from the
    /// manifest's config; 1.96 (the normal's) when the file does not say R.
    public static func errorBar(_ r: StudyResults) -> Double {
        guard let replications = r.config?.replications ?? r.rows.first?.replications, replications > 1 else { return 1.959963984540054 }
        return EstimateText.intervalMultiplier(replications: replications)
    }

    /// Per-coordinate rows against h: (h, estimate, mcse, theory).
    public static func byCoordinate(_ rows: [ResultRow], _ h: [Double]) -> [[Double]] {
        rows.compactMap { row in
            guard let i = row.index, h.indices.contains(i) else { return nil }
            return [h[i], row.estimate, row.mcse ?? 0, row.theory ?? .nan]
        }
    }

    /// One per-coordinate series: its data file, a dashed theory line and the simulated points
    /// (with 95% error bars, estimate ± `t`·MCSE, when `t` is given), in line style `k + 1`.
    /// `title` is gnuplot text made by this code from ``Text/plotLabel(_:)`` labels.
    public static func series(_ name: String, _ rows: [[Double]], style k: Int, title: String, errorBars t: Double? = nil,
                       into data: inout [String: String]) -> [String] {
        let points = t.map { "using 1:2:(\(format($0))*$3) with yerrorbars" } ?? "using 1:2 with points"
        let file = block(name, rows, into: &data)
        return ["\(file) using 1:4 with lines ls \(k + 1) dt 2 notitle",
                "\(file) \(points) ls \(k + 1) title '\(title)'"]
    }

}
