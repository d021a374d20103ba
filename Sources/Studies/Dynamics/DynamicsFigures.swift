import Foundation
import MonteCarlo
import Reporting

extension Dynamics: ReportedStudy {
    /// Runs with rotated H or misaligned noise get T8's figure, runs with noise "power" T10's;
    /// the per-β₂ fixed-point figures need a diagonal H and one cell per optimizer and β₂.
    public static func figures(_ r: StudyResults) -> [Figure] {
        let cells = r.config?.cells ?? []
        if cells.contains(where: isDense) { return [t8Figure(r)].compactMap { $0 } }
        if cells.contains(where: { $0[noise] == .power }) { return [exponentFigure(r), passageFigure(r)].compactMap { $0 } }
        return [Optimizer.rmsprop, .adam].compactMap { fixedPointFigure(r, $0) }
    }

    /// The cells of `r` at one value of `parameter` (all cells without it), each labelled by the
    /// grid values that vary over the file, but that parameter, in file order: the series of a figure.
    static func series(_ r: StudyResults, _ quantity: Quantity, at parameter: String, _ value: String?) -> [(label: String, rows: [ResultRow])] {
        var order: [Int] = [], byCell: [Int: [ResultRow]] = [:]
        for row in r.rows(quantity) where value == nil || row.parameters[parameter] == nil || row.parameters[parameter] == value {
            if byCell[row.cell] == nil { order.append(row.cell) }
            byCell[row.cell, default: []].append(row)
        }
        return order.map { cell in
            // Only what varies over the file labels a series: a value every cell shares says
            // nothing, and a one-element grid draws as the same value fixed would.
            let grid = byCell[cell]![0].grid.filter { $0.key != parameter && r.values(of: $0.key).count > 1 }.sorted { $0.key < $1.key }
            return (grid.map { "\(Text.plotLabel($0.key)) \(Text.plotLabel($0.value))" }.joined(separator: ", "), byCell[cell]!)
        }
    }

    /// T8: simulated √vᵢ against the fixed point uᵢ (a limit: β₂ → 1) at the run's largest β₂,
    /// one series per cell (noise, optimizer), with the gap √v/u − 1 below (95% t intervals).
    static func t8Figure(_ r: StudyResults) -> Figure? {
        let top = r.values(of: beta2).max().map(format)
        var data: [String: String] = [:], plots: [String] = [], gaps: [String] = []
        var low = Double.infinity, high = 0.0
        for (label, rows) in series(r, Quantities.v, at: beta2.name, top) where plots.count < Figure.maximumSeries {
            // u, √v, and the gap's MCSE in %: √v/u − 1 has MCSE mcse_v/(2√v·u) (delta method).
            let points = rows.compactMap { row -> [Double]? in
                guard let theory = row.theory, theory > 0, row.estimate > 0 else { return nil }
                let root = row.estimate.squareRoot(), u = theory.squareRoot()
                return [u, root, 100 * (row.mcse ?? 0) / (2 * root * u)]
            }
            guard !points.isEmpty else { continue }
            (low, high) = (min(low, points.map { $0[0] }.min()!), max(high, points.map { $0[0] }.max()!))
            let k = plots.count + 1, file = Figure.block("t\(k)", points, into: &data)
            plots.append("\(file) using 1:2 with points ls \(k) title '\(label)'")
            gaps.append("\(file) using 1:(100*($2/$1 - 1)):(\(format(Figure.errorBar(r)))*$3) with yerrorbars ls \(k) notitle")
        }
        guard !plots.isEmpty else { return nil }
        let diagonal = Figure.block("diagonal", [[low / 1.5, low / 1.5], [high * 1.5, high * 1.5]], into: &data)
        return twoPanels(role: "t8",
                         title: "dynamics (T8), rotated H: simulated √v_{i} against the β_{2} → 1 fixed point u_{i}, β_{2} = \(Text.plotLabel(top ?? "–"))",
                         ylabel: "simulated √E[g_{i}^{2}]", key: "top left", curve: "\(diagonal) using 1:2 with lines lc rgb '#000000' lw 1.5 title '√v = u (T8)'",
                         points: plots, xlabel: "T8 fixed point u_{i}", gaps: gaps, data: data)
    }

    /// T10: the fitted exponents of v on h below and above h_c against γ, per optimizer (95% t
    /// MCSE), beside the same fit of the fixed point (plus signs) and the laws γ and 2.
    static func exponentFigure(_ r: StudyResults) -> Figure? {
        guard r.values(of: noisePower).count >= 2 else { return nil }
        var data: [String: String] = [:], plots: [String] = []
        for o in r.values(of: optimizer) {
            for (side, quantity) in [("below", Quantities.exponentBelow), ("above", Quantities.exponentAbove)] where plots.count < 2 * Figure.maximumSeries {
                let points = r.rows(quantity, optimizer.is(o)).compactMap { row -> [Double]? in
                    r.value(noisePower, of: row).map { [$0, row.estimate, row.mcse ?? 0, row.theory ?? .nan] }
                }
                guard !points.isEmpty else { continue }
                let k = plots.count / 2 + 1, file = Figure.block("e\(k)", points, into: &data)
                plots.append("\(file) using 1:2:(\(format(Figure.errorBar(r)))*$3) with yerrorbars ls \(k) title '\(Text.plotLabel(o.rawValue)), \(side) h_{c}'")
                plots.append("\(file) using 1:4 with points ls \(k) pt 1 ps 2.5 notitle")
            }
        }
        guard !plots.isEmpty else { return nil }
        return Figure(role: "exponents", script: """
            set title "dynamics (T10): fitted exponent of v on h against γ; plus signs: the same fit of the fixed point"
            unset logscale
            set format x '%g'
            set format y '%g'
            set xrange [-0.1:2.1]
            set yrange [-0.2:2.3]
            set xlabel 'γ (noise covariance σ_{n}^{2}H^{γ}/B)'
            set ylabel 'fitted exponent of v on h'
            set key bottom right
            plot x with lines lc rgb '#999999' lw 1 dt 2 title 'law below: γ', 2 with lines lc rgb '#555555' lw 1 dt 2 title 'law above: 2', \\
                 \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

    /// T5/T10: where v's exponent passes midway, against the batch size B, per optimizer (95% t
    /// MCSE), with the fixed point's passage (plus signs) and h_c = 4L²σₙ²/(Bη²) (dotted): both ∝ 1/B.
    static func passageFigure(_ r: StudyResults) -> Figure? {
        guard r.values(of: batch).count >= 2 else { return nil }
        var data: [String: String] = [:], plots: [String] = []
        let crossovers = Dictionary(r.rows(Quantities.hC).map { ($0.cell, $0.estimate) }) { first, _ in first }
        for (k, o) in r.values(of: optimizer).enumerated() where k < Figure.maximumSeries {
            let points = r.rows(Quantities.passage, optimizer.is(o)).compactMap { row -> [Double]? in
                r.value(batch, of: row).map { [Double($0), row.estimate, row.mcse ?? 0, row.theory ?? .nan, crossovers[row.cell] ?? .nan] }
            }
            guard !points.isEmpty else { continue }
            let file = Figure.block("p\(k)", points, into: &data)
            plots.append("\(file) using 1:2:(\(format(Figure.errorBar(r)))*$3) with yerrorbars ls \(k + 1) title '\(Text.plotLabel(o.rawValue)): passage (simulated)'")
            plots.append("\(file) using 1:4 with points ls \(k + 1) pt 1 ps 2.5 title '\(Text.plotLabel(o.rawValue)): passage of the fixed point'")
            plots.append("\(file) using 1:5 with lines ls \(k + 1) dt 3 title '\(Text.plotLabel(o.rawValue)): h_{c} = 4L^{2}σ_{n}^{2}/(Bη^{2})'")
        }
        guard !plots.isEmpty else { return nil }
        return Figure(role: "passage", script: """
            set title "dynamics (T5): where v's exponent on h passes midway between its two laws, against B"
            set logscale xy
            set format x '%g'
            set xlabel 'batch size B'
            set ylabel 'curvature h'
            set key top right
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

    /// √v against h per β₂ for one optimizer, with the β₂ → 1 fixed point (T5) and the gap to it.
    static func fixedPointFigure(_ r: StudyResults, _ o: Optimizer) -> Figure? {
        guard let h = Figure.spectrum(r, spectrum) else { return nil }
        var data: [String: String] = [:], plots: [String] = [], files: [String] = [], theory: [[Double]] = []
        for (k, b2) in r.values(of: beta2).enumerated() where files.count < Figure.maximumSeries {
            let rows = r.rows(Quantities.v, optimizer.is(o), beta2.is(b2))
            guard !rows.isEmpty else { continue }
            // h, √v, u and the gap's MCSE in %: √v/u − 1 has MCSE mcse_v/(2√v·u) (delta method).
            let points = Figure.byCoordinate(rows, h).map { row -> [Double] in
                let root = row[1].squareRoot(), u = row[3].squareRoot()
                return [row[0], root, u, 100 * row[2] / (2 * root * u)]
            }
            if theory.isEmpty { theory = points.map { [$0[0], $0[2]] } }
            let file = Figure.block("b\(k)", points, into: &data)
            files.append(file)
            plots.append("\(file) using 1:2 with points ls \(files.count) title 'β_{2} = \(Text.plotLabel(format(b2))): simulated √v'")
        }
        guard !plots.isEmpty else { return nil }
        let name = o == .adam ? "Adam" : "RMSProp"
        var hc = ""
        // The study's own h_c, when it is the same in every cell of this optimizer.
        if let cells = r.config?.cells.filter({ $0[optimizer] == o }),
           let hcOfAll = cells.first.map(Self.crossover), cells.allSatisfy({ Self.crossover($0) == hcOfAll }) {
            if let low = h.min(), let high = h.max(), hcOfAll >= low, hcOfAll <= high {
                hc = "set arrow from \(format(hcOfAll)), graph 0 to \(format(hcOfAll)), graph 1 nohead lc rgb '#888888' dt 3\nset label 'h_{c}' at \(format(hcOfAll)), graph 0.95 offset 0.5,0\n"
            } else {
                // Say where the marker would be rather than drop it silently.
                hc = "set label 'h_{c} = \(EstimateText.significant(hcOfAll, digits: 3)), outside the curvatures plotted' at graph 0.02, graph 0.95\n"
            }
        }
        let u = Figure.block("u", theory, into: &data)
        let gaps = files.enumerated().map { k, file in "\(file) using 1:(100*($2/$3 - 1)):(\(format(Figure.errorBar(r)))*$4) with yerrorlines ls \(k + 1) notitle" }
        return twoPanels(role: o.rawValue, preamble: hc,
                         title: "dynamics, \(name): simulated √v against T5's β_{2} → 1 fixed point u",
                         ylabel: "√E[g_{i}^{2}]", key: "bottom right", curve: "\(u) using 1:2 with lines lc rgb '#000000' lw 1.5 title 'fixed point u'",
                         points: plots, xlabel: "h_{i}", gaps: gaps, data: data)
    }


    /// √v against its fixed point: above, `curve` (the fixed point) and `points` on log-log axes;
    /// below, the gaps √v/u − 1 in percent with their 95% t intervals. `title`, the labels and the
    /// plot commands are gnuplot text this code made (labels through ``Text/plotLabel(_:)``).
    static func twoPanels(role: String, preamble: String = "", title: String, ylabel: String, key: String, curve: String,
                          points: [String], xlabel: String, gaps: [String], data: [String: String]) -> Figure {
        Figure(role: role, script: preamble + """
            set multiplot layout 2,1 title "\(title)"
            set size 1,0.55
            set origin 0,0.40
            set logscale xy
            set xlabel ''
            set ylabel '\(ylabel)'
            set key \(key)
            plot \(curve), \\
                 \(points.joined(separator: ", \\\n     "))
            set size 1,0.40
            set origin 0,0
            unset logscale y
            unset label
            unset key
            set format y '%g'
            set xlabel '\(xlabel)'
            set ylabel 'gap √v/u − 1 (%, 95% t interval)'
            plot 0 with lines lc rgb '#000000' lw 1 notitle, \\
                 \(gaps.joined(separator: ", \\\n     "))
            unset multiplot
            """, data: data)
    }

}
