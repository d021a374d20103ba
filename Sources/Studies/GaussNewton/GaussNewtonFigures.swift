import Foundation
import MonteCarlo
import Reporting

extension GaussNewton: ReportedStudy {
    public static func figures(_ r: StudyResults) -> [Figure] {
        [secondMomentFigure(r), localSlopeFigure(r)].compactMap { $0 }
    }

    /// v against h per spread s (T3), with T3 dashed.
    static func secondMomentFigure(_ r: StudyResults) -> Figure? {
        guard let h = Figure.spectrum(r, spectrum), let b = r.values(of: batch).first else { return nil }
        var data: [String: String] = [:], plots: [String] = []
        for (k, s) in r.values(of: spread).enumerated() where k < Figure.maximumSeries {
            let rows = Figure.byCoordinate(r.rows(Quantities.v, batch.is(b), spread.is(s)), h)
            plots += Figure.series("s\(k)", rows, style: k, title: "s = \(Text.plotLabel(format(s)))", into: &data)
        }
        guard !plots.isEmpty else { return nil }
        return Figure(role: "", script: """
            set title "gauss-newton (T3), B = \(b): E[g_{B}^{2}] against h; dashed: T3. Slope 1 at θ* (C4), 2 far away (C2)"
            set logscale xy
            set xlabel 'h_{i} (input variance = Hessian eigenvalue)'
            set ylabel 'v_{i} = E[g_{B,i}^{2}]'
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

    /// The local slope d log v/d log h per spread s, with h_c marked.
    static func localSlopeFigure(_ r: StudyResults) -> Figure? {
        guard let h = Figure.spectrum(r, spectrum), let b = r.values(of: batch).last else { return nil }
        var data: [String: String] = [:], plots: [String] = [], arrows = ""
        for (k, s) in r.values(of: spread).enumerated() where k < Figure.maximumSeries {
            let rows = Figure.byCoordinate(r.rows(Quantities.localSlope, batch.is(b), spread.is(s)), h)
            guard !rows.isEmpty else { continue }
            plots += Figure.series("l\(k)", rows, style: k, title: "s = \(Text.plotLabel(format(s)))", errorBars: Figure.errorBar(r), into: &data)
            if let hc = r.scalar(Quantities.hC, batch.is(b), spread.is(s)), let top = h.max(), let bottom = h.min(),
               hc.estimate > bottom, hc.estimate < top {
                arrows += "set arrow from \(format(hc.estimate)), graph 0 to \(format(hc.estimate)), graph 1 nohead ls \(k + 1) dt 3\n"
            }
        }
        guard !plots.isEmpty else { return nil }
        return Figure(role: "local-slope", script: arrows + """
            set title "gauss-newton, B = \(b): local slope d log v / d log h; dotted: h_{c} where the two laws cross"
            set logscale x
            unset logscale y
            set format y '%.1f'
            set yrange [0.8:2.2]
            set xlabel 'h_{i}'
            set ylabel 'local slope'
            set key top left
            plot 1 with lines lc rgb '#999999' lw 1 title 'Gauss–Newton law', 2 with lines lc rgb '#555555' lw 1 title 'square-root law', \\
                 \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

}
