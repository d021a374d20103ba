#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MonteCarlo
import Studies

/// A figure: its file stem, the gnuplot commands that draw it, and its data files (name →
/// text, numbers only), which the script reads by their constant names (`'a0.dat'`).
public struct Figure: Sendable {
    public var name: String
    public var script: String
    public var data: [String: String] = [:]
}

/// The figures of `results/figures/`, drawn by gnuplot from the study CSVs.
public enum Figures {
    /// Every figure whose study is present.
    public static func all(_ report: StudyReport) -> [Figure] {
        let s = report.studies
        return [
            s["sqrt-law"].flatMap(sqrtLaw),
            s["gauss-newton"].flatMap(gaussNewton),
            s["gauss-newton"].flatMap(localSlope),
            s["ema"].flatMap(ema),
            s["dynamics"].flatMap { dynamics($0, "rmsprop") },
            s["dynamics"].flatMap { dynamics($0, "adam") },
            s["adabelief"].flatMap(adaBelief),
        ].compactMap { $0 }
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
            let script = "\(terminal)\nset output '\(output)'\n\(style)\n\(figure.script)\nunset output\n"
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

    static let style = """
        set encoding utf8
        set grid lw 0.5 lc rgb '#dddddd'
        set key top left box opaque
        set border lw 1.2
        set style line 1 lc rgb '#1b6ca8' pt 7 ps 0.8 lw 2
        set style line 2 lc rgb '#d1495b' pt 5 ps 0.8 lw 2
        set style line 3 lc rgb '#2e8b57' pt 9 ps 0.9 lw 2
        set style line 4 lc rgb '#edae49' pt 11 ps 0.9 lw 2
        set style line 5 lc rgb '#6a4c93' pt 13 ps 0.9 lw 2
        set style line 6 lc rgb '#444444' pt 3 ps 0.9 lw 2
        set format x '10^{%L}'
        set format y '10^{%L}'
        """

    /// The data file `name.dat` holding `rows`, one line of numbers each (``format(_:)`` of a
    /// Double: digits, sign, '.', 'e', or nan/inf), and how a plot command names it.
    static func block(_ name: String, _ rows: [[Double]], into data: inout [String: String]) -> String {
        data["\(name).dat"] = rows.map { $0.map { format($0) }.joined(separator: " ") + "\n" }.joined()
        return "'\(name).dat'"
    }

    /// The most series one figure draws: the six line styles of ``style`` (and a bound on the
    /// work, however many grid values a file has).
    static let maximumSeries = 6
    /// The most coordinates a per-coordinate figure plots; a larger spectrum gives no figure
    /// (gnuplot would draw a cloud, and `Spectrum.values` would allocate it).
    static let maximumCoordinates = 1 << 16

    /// The one value every cell of the run shares for `read`, or nil if the cells differ (the
    /// figures plot against a single spectrum, number of steps, …).
    static func shared<T: Equatable>(_ r: StudyResults, _ read: (Cell) -> T) -> T? {
        guard let cells = config(r)?.cells, let first = cells.first.map(read),
              cells.allSatisfy({ read($0) == first }) else { return nil }
        return first
    }

    /// The config as run, if it is a config of the study the figure draws (the study named like
    /// the results): only then do its cells have the parameters the figure reads (`Cell`'s
    /// accessors trap on a parameter the study does not take).
    static func config(_ r: StudyResults) -> Config? {
        guard let config = r.config, config.study.name == r.name else { return nil }
        return config
    }

    /// The eigenvalues h, when every cell has the same spectrum of at most
    /// ``maximumCoordinates`` values.
    static func spectrum(_ r: StudyResults, _ key: Parameter<Spectrum>) -> [Double]? {
        guard let s = shared(r, { $0[key] }), s.count <= maximumCoordinates else { return nil }
        return s.values
    }

    /// Per-coordinate rows against h: (h, estimate, mcse, theory).
    static func byCoordinate(_ rows: [ResultRow], _ h: [Double]) -> [[Double]] {
        rows.compactMap { row in
            guard let i = row.index, h.indices.contains(i) else { return nil }
            return [h[i], row.estimate, row.mcse ?? 0, row.theory ?? .nan]
        }
    }

    /// One per-coordinate series: its data file, a dashed theory line and the simulated points
    /// (with 95% error bars when asked), in line style `k + 1`. `title` is gnuplot text made by
    /// this code from ``Text/plotLabel(_:)`` labels.
    static func series(_ name: String, _ rows: [[Double]], style k: Int, title: String, errorBars: Bool = false,
                       into data: inout [String: String]) -> [String] {
        let points = errorBars ? "using 1:2:(1.96*$3) with yerrorbars" : "using 1:2 with points"
        let file = block(name, rows, into: &data)
        return ["\(file) using 1:4 with lines ls \(k + 1) dt 2 notitle",
                "\(file) \(points) ls \(k + 1) title '\(title)'"]
    }

    static func sqrtLaw(_ r: StudyResults) -> Figure? {
        guard let h = spectrum(r, SqrtLaw.spectrum) else { return nil }
        var data: [String: String] = [:], plots: [String] = []
        for (k, alpha) in r.values(of: "alpha").enumerated() where k < maximumSeries {
            let rows = byCoordinate(r.rows("v", ["rotation": "none", "alpha": alpha]), h)
            guard !rows.isEmpty else { continue }
            plots += series("a\(k)", rows, style: k, title: "α = \(Text.plotLabel(alpha)): simulated v, slope \(String(format: "%.3f", 2 - (Double(alpha) ?? 0)))", into: &data)
        }
        guard !plots.isEmpty else { return nil }
        return Figure(name: "sqrt-law", script: """
            set title "sqrt-law (T1): E[g_i^2] against h_i for δ ∼ N(0, σ^2H^{-α}); dashed: σ^2h^{2-α}"
            set logscale xy
            set xlabel 'h_i (eigenvalue of H)'
            set ylabel 'v_i = E[g_i^2]'
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

    static func gaussNewton(_ r: StudyResults) -> Figure? {
        guard let h = spectrum(r, GaussNewton.spectrum), let batch = r.values(of: "batch").first else { return nil }
        var data: [String: String] = [:], plots: [String] = []
        for (k, spread) in r.values(of: "spread").enumerated() where k < maximumSeries {
            let rows = byCoordinate(r.rows("v", ["batch": batch, "spread": spread]), h)
            plots += series("s\(k)", rows, style: k, title: "s = \(Text.plotLabel(spread))", into: &data)
        }
        guard !plots.isEmpty else { return nil }
        return Figure(name: "gauss-newton", script: """
            set title "gauss-newton (T3), B = \(Text.plotLabel(batch)): E[g_B^2] against h; dashed: T3. Slope 1 at θ* (C4), 2 far away (C2)"
            set logscale xy
            set xlabel 'h_i (input variance = Hessian eigenvalue)'
            set ylabel 'v_i = E[g_{B,i}^2]'
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

    static func localSlope(_ r: StudyResults) -> Figure? {
        guard let h = spectrum(r, GaussNewton.spectrum), let batch = r.values(of: "batch").last else { return nil }
        var data: [String: String] = [:], plots: [String] = [], arrows = ""
        for (k, spread) in r.values(of: "spread").enumerated() where k < maximumSeries {
            let rows = byCoordinate(r.rows("local_slope", ["batch": batch, "spread": spread]), h)
            guard !rows.isEmpty else { continue }
            plots += series("l\(k)", rows, style: k, title: "s = \(Text.plotLabel(spread))", errorBars: true, into: &data)
            if let hc = r.scalar("h_c", ["batch": batch, "spread": spread]), let top = h.max(), let bottom = h.min(),
               hc.estimate > bottom, hc.estimate < top {
                arrows += "set arrow from \(format(hc.estimate)), graph 0 to \(format(hc.estimate)), graph 1 nohead ls \(k + 1) dt 3\n"
            }
        }
        guard !plots.isEmpty else { return nil }
        return Figure(name: "gauss-newton-local-slope", script: arrows + """
            set title "gauss-newton, B = \(Text.plotLabel(batch)): local slope d log v / d log h; dotted: h_c where the two laws cross"
            set logscale x
            unset logscale y
            set format y '%.1f'
            set yrange [0.8:2.2]
            set xlabel 'h_i'
            set ylabel 'local slope'
            set key top left
            plot 1 with lines lc rgb '#999999' lw 1 title 'Gauss–Newton law', 2 with lines lc rgb '#555555' lw 1 title 'square-root law', \\
                 \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

    /// The most steps at which T4's finite-t closed form is evaluated as given. It costs O(steps)
    /// per point (`EMAAccuracy.relativeVariance` sums the weights), and a manifest may say
    /// steps = 2⁵³. Beyond this, each point of the curve sums only its first ⌈40/(1 − β₂)⌉ steps:
    /// the weights fall like β₂ᵏ, so the rest, and 1/(1 − β₂ᵗ)'s departure from 1, are below
    /// e⁻⁴⁰ ≈ 4·10⁻¹⁸ relative, under a double's rounding; the curve is the same.
    static let exactEMASteps = 1 << 20

    static func ema(_ r: StudyResults) -> Figure? {
        guard let steps = shared(r, { $0[EMAAccuracy.steps] }), let beta1 = r.values(of: "beta1").last else { return nil }
        var data: [String: String] = [:], plots: [String] = []
        for (k, rhoText) in r.values(of: "rho").enumerated() where k < maximumSeries {
            guard let rho = Double(rhoText), rho.isFinite, abs(rho) < 1 else { continue }
            let points = r.rows("rel_var", ["rho": rhoText, "beta1": beta1]).compactMap { row -> [Double]? in
                guard let b = Double(row.grid["beta2"] ?? "") else { return nil }
                return [1 - b, row.estimate, row.mcse ?? 0]
            }
            let curve = stride(from: -4.2, through: -0.7, by: 0.05).map { e -> [Double] in
                let b = 1 - pow(10, e)
                let t = steps <= exactEMASteps ? steps : min(steps, Int((40 / (1 - b)).rounded(.up)))
                return [1 - b, EMAAccuracy.relativeVariance(beta2: b, rho: rho, steps: t)]
            }
            let p = block("p\(k)", points, into: &data), c = block("c\(k)", curve, into: &data)
            plots.append("\(c) using 1:2 with lines ls \(k + 1) title 'T4, ρ = \(Text.plotLabel(rhoText))'")
            plots.append("\(p) using 1:2:(1.96*$3) with yerrorbars ls \(k + 1) notitle")
        }
        guard !plots.isEmpty else { return nil }
        return Figure(name: "ema", script: """
            set title "ema (T4): Var(v̂)/v^2 of the bias-corrected EMA after t = \(steps) steps; points: simulation ± 95%"
            set logscale xy
            set xrange [5e-5:0.3]
            set xlabel '1 − β_2'
            set ylabel 'Var(v̂_t)/v^2'
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

    static func dynamics(_ r: StudyResults, _ optimizer: String) -> Figure? {
        guard let h = spectrum(r, Dynamics.spectrum) else { return nil }
        var data: [String: String] = [:], plots: [String] = [], files: [String] = [], theory: [[Double]] = []
        for (k, beta2) in r.values(of: "beta2").enumerated() where files.count < maximumSeries {
            let rows = r.rows("v", ["optimizer": optimizer, "beta2": beta2])
            guard !rows.isEmpty else { continue }
            let points = byCoordinate(rows, h).map { [$0[0], $0[1].squareRoot(), $0[3].squareRoot()] }
            if theory.isEmpty { theory = points.map { [$0[0], $0[2]] } }
            let file = block("b\(k)", points, into: &data)
            files.append(file)
            plots.append("\(file) using 1:2 with points ls \(files.count) title 'β_2 = \(Text.plotLabel(beta2)): simulated √v'")
        }
        guard !plots.isEmpty else { return nil }
        let name = optimizer == "adam" ? "Adam" : "RMSProp"
        var hc = ""
        // The study's own h_c, when it is the same in every cell of this optimizer.
        if let cells = config(r)?.cells.filter({ $0[Dynamics.optimizer].rawValue == optimizer }),
           let crossover = cells.first.map(Dynamics.crossover), cells.allSatisfy({ Dynamics.crossover($0) == crossover }) {
            hc = "set arrow from \(format(crossover)), graph 0 to \(format(crossover)), graph 1 nohead lc rgb '#888888' dt 3\nset label 'h_c' at \(format(crossover)), graph 0.95 offset 0.5,0\n"
        }
        let u = block("u", theory, into: &data)
        let gaps = files.enumerated().map { k, file in "\(file) using 1:(100*($2/$3 - 1)) with linespoints ls \(k + 1) notitle" }
        return Figure(name: "dynamics-\(optimizer)", script: hc + """
            set multiplot layout 2,1 title "dynamics, \(name): simulated √v against T5's β_2 → 1 fixed point u"
            set size 1,0.55
            set origin 0,0.40
            set logscale xy
            set xlabel ''
            set ylabel '√E[g_i^2]'
            set key bottom right
            plot \(u) using 1:2 with lines lc rgb '#000000' lw 1.5 title 'fixed point u', \\
                 \(plots.joined(separator: ", \\\n     "))
            set size 1,0.40
            set origin 0,0
            unset logscale y
            unset label
            unset key
            set format y '%g'
            set xlabel 'h_i'
            set ylabel 'gap √v/u − 1 (%)'
            plot 0 with lines lc rgb '#000000' lw 1 notitle, \\
                 \(gaps.joined(separator: ", \\\n     "))
            unset multiplot
            """, data: data)
    }

    static func adaBelief(_ r: StudyResults) -> Figure? {
        var data: [String: String] = [:], plots: [String] = []
        for (k, beta2) in r.values(of: "beta2").enumerated() where k < maximumSeries / 2 {
            for (j, quantity) in ["curvature_error_second_moment", "curvature_error_centered"].enumerated() {
                let rows = r.rows(quantity, ["beta2": beta2]).compactMap { row -> [Double]? in
                    Double(row.grid["offset"] ?? "").map { [$0, row.estimate, row.mcse ?? 0] }
                }
                let file = block("e\(k)\(j)", rows, into: &data)
                plots.append("\(file) using 1:2:(1.96*$3) with yerrorlines ls \(2 * j + k + 1) title '\(j == 0 ? "Adam: √v̂/σ" : "AdaBelief: √(ŝ/f)/σ"), β_2 = \(Text.plotLabel(beta2))'")
            }
        }
        guard !plots.isEmpty else { return nil }
        return Figure(name: "adabelief", script: """
            set title "adabelief (T6): relative error of each moment's square root as an estimate of h, δ ∼ N(c·1, σ^2I)"
            set logscale y
            unset logscale x
            set format x '%g'
            set xlabel 'offset c (σ = 1)'
            set ylabel '‖estimate − h‖ / ‖h‖'
            set key center right
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }
}
