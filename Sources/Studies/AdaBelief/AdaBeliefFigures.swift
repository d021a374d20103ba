import Foundation
import MonteCarlo
import Reporting

extension AdaBeliefCurvature: ReportedStudy {
    public static func figures(_ r: StudyResults) -> [Figure] {
        [curvatureErrorFigure(r)].compactMap { $0 }
    }

    /// Each moment's relative error as an estimate of h against the offset c (T6).
    static func curvatureErrorFigure(_ r: StudyResults) -> Figure? {
        var data: [String: String] = [:], plots: [String] = []
        for (k, b2) in r.values(of: beta2).enumerated() where k < Figure.maximumSeries / 2 {
            for (j, quantity) in [Quantities.curvatureErrorSecondMoment, Quantities.curvatureErrorCentered].enumerated() {
                let rows = r.rows(quantity, beta2.is(b2)).compactMap { row -> [Double]? in
                    r.value(offset, of: row).map { [$0, row.estimate, row.mcse ?? 0] }
                }
                let file = Figure.block("e\(k)\(j)", rows, into: &data)
                plots.append("\(file) using 1:2:(\(format(Figure.errorBar(r)))*$3) with yerrorlines ls \(2 * j + k + 1) title '\(j == 0 ? "Adam: √v̂/σ" : "AdaBelief: √(ŝ/f)/σ"), β_{2} = \(Text.plotLabel(format(b2)))'")
            }
        }
        guard !plots.isEmpty else { return nil }
        return Figure(role: "", script: """
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
