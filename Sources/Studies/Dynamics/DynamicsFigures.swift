import Foundation
import MonteCarlo
import Reporting

extension Dynamics: ReportedStudy {
    public static func figures(_ r: StudyResults) -> [Figure] {
        ["rmsprop", "adam"].compactMap { fixedPointFigure(r, $0) }
    }

    /// √v against h per β₂ for one optimizer, with the β₂ → 1 fixed point (T5) and the gap to it.
    static func fixedPointFigure(_ r: StudyResults, _ optimizer: String) -> Figure? {
        guard let h = Figure.spectrum(r, spectrum) else { return nil }
        var data: [String: String] = [:], plots: [String] = [], files: [String] = [], theory: [[Double]] = []
        for (k, beta2) in r.values(of: "beta2").enumerated() where files.count < Figure.maximumSeries {
            let rows = r.rows("v", ["optimizer": optimizer, "beta2": beta2])
            guard !rows.isEmpty else { continue }
            // h, √v, u and the gap's MCSE in %: √v/u − 1 has MCSE mcse_v/(2√v·u) (delta method).
            let points = Figure.byCoordinate(rows, h).map { row -> [Double] in
                let root = row[1].squareRoot(), u = row[3].squareRoot()
                return [row[0], root, u, 100 * row[2] / (2 * root * u)]
            }
            if theory.isEmpty { theory = points.map { [$0[0], $0[2]] } }
            let file = Figure.block("b\(k)", points, into: &data)
            files.append(file)
            plots.append("\(file) using 1:2 with points ls \(files.count) title 'β_{2} = \(Text.plotLabel(beta2)): simulated √v'")
        }
        guard !plots.isEmpty else { return nil }
        let name = optimizer == "adam" ? "Adam" : "RMSProp"
        var hc = ""
        // The study's own h_c, when it is the same in every cell of this optimizer.
        if let cells = r.config?.cells.filter({ $0[Self.optimizer].rawValue == optimizer }),
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
        return Figure(name: "\(r.name)-\(optimizer)", script: hc + """
            set multiplot layout 2,1 title "dynamics, \(name): simulated √v against T5's β_{2} → 1 fixed point u"
            set size 1,0.55
            set origin 0,0.40
            set logscale xy
            set xlabel ''
            set ylabel '√E[g_{i}^{2}]'
            set key bottom right
            plot \(u) using 1:2 with lines lc rgb '#000000' lw 1.5 title 'fixed point u', \\
                 \(plots.joined(separator: ", \\\n     "))
            set size 1,0.40
            set origin 0,0
            unset logscale y
            unset label
            unset key
            set format y '%g'
            set xlabel 'h_{i}'
            set ylabel 'gap √v/u − 1 (%, 95% t interval)'
            plot 0 with lines lc rgb '#000000' lw 1 notitle, \\
                 \(gaps.joined(separator: ", \\\n     "))
            unset multiplot
            """, data: data)
    }

}
