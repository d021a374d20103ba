import Foundation
import MonteCarlo
import Reporting

extension SqrtLaw: ReportedStudy {
    public static func figures(_ r: StudyResults) -> [Figure] {
        [secondMomentFigure(r)].compactMap { $0 }
    }

    /// v against h per α (T1), with σ²h^(2−α) dashed.
    static func secondMomentFigure(_ r: StudyResults) -> Figure? {
        guard let h = Figure.spectrum(r, spectrum) else { return nil }
        var data: [String: String] = [:], plots: [String] = []
        for (k, a) in r.values(of: alpha).enumerated() where k < Figure.maximumSeries {
            let rows = Figure.byCoordinate(r.rows(Quantities.v, rotation.is(.none), alpha.is(a)), h)
            guard !rows.isEmpty else { continue }
            plots += Figure.series("a\(k)", rows, style: k, title: "α = \(Text.plotLabel(format(a))): simulated v, slope \(String(format: "%.3f", 2 - a))", into: &data)
        }
        guard !plots.isEmpty else { return nil }
        return Figure(role: "", script: """
            set title "sqrt-law (T1): E[g_{i}^{2}] against h_{i} for δ ∼ N(0, σ^2H^{-α}); dashed: σ^2h^{2-α}"
            set logscale xy
            set xlabel 'h_{i} (eigenvalue of H)'
            set ylabel 'v_{i} = E[g_{i}^{2}]'
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

}
