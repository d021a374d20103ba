import Foundation
import MonteCarlo
import Reporting

// 6. Its report code: the figures of a results file of this study.
extension BiasCorrection: ReportedStudy {
    /// v and v̂ against t per β₂, with σ² dashed: the bias correction at work.
    static func figures(_ r: StudyResults) -> [Figure] {
        var data: [String: String] = [:], plots: [String] = []
        for (k, beta2) in r.values(of: "beta2").enumerated() where k < Figure.maximumSeries / 2 {
            for (j, quantity) in [Quantities.v, Quantities.vHat].enumerated() {
                let rows = r.rows(quantity, ["beta2": beta2]).compactMap { row -> [Double]? in
                    Double(row.grid["steps"] ?? "").map { [$0, row.estimate, row.mcse ?? 0, row.theory ?? .nan] }
                }
                plots += Figure.series("b\(k)\(j)", rows, style: 2 * k + j, title: "\(quantity == Quantities.v ? "v" : "v̂"), β_{2} = \(Text.plotLabel(beta2))",
                                       errorBars: Figure.errorBar(r), into: &data)
            }
        }
        guard !plots.isEmpty else { return [] }
        return [Figure(role: "", script: """
            set title "bias-correction: E[v_{t}] = (1 − β_{2}^{t})σ^{2} and E[v̂_{t}] = σ^{2}; dashed: the closed forms"
            set logscale x
            unset logscale y
            set format y '%g'
            set xlabel 't'
            set ylabel 'v'
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)]
    }
}
