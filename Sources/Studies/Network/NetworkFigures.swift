import Foundation
import MonteCarlo
import Reporting

extension NetworkStudy: ReportedStudy {
    /// Per data set and model in the file, one figure: v̂ against M_B, diag(GGN) and diag(H²)
    /// (three panels), a series per β₂, from the binned scatters (``NetworkStudy``: each point the
    /// mean over replications of a group's mean log₁₀ p and log₁₀ v̂, 95% t intervals on v̂).
    public static func figures(_ r: StudyResults) -> [Figure] {
        let datas = r.values(of: data).isEmpty ? [nil] : r.values(of: data).map(Optional.some)
        let models = r.values(of: model).isEmpty ? [nil] : r.values(of: model).map(Optional.some)
        var figures: [Figure] = []
        for d in datas {
            for m in models where figures.count < Figure.maximumSeries {
                let setup = (d.map { [data.is($0)] } ?? []) + (m.map { [model.is($0)] } ?? [])
                if let figure = scatterFigure(r, setup, suffix: figures.count) { figures.append(figure) }
            }
        }
        return figures
    }

    static let predictors: [(Predictor, String)] = [(.minibatch, "M_{B}: E[g_{B}^{2}] at the final θ"), (.gaussNewton, "diag GGN"),
                                                    (.hessianSquared, "diag(H^{2})")]

    static func scatterFigure(_ r: StudyResults, _ setup: [ParameterCondition], suffix: Int) -> Figure? {
        let betas = r.values(of: beta2).isEmpty ? [nil] : r.values(of: beta2).map(Optional.some)
        var data: [String: String] = [:], panels: [String] = []
        for (p, (predictor, label)) in predictors.enumerated() {
            var plots: [String] = []
            for (k, b2) in betas.enumerated() where plots.count < Figure.maximumSeries {
                let cell = setup + (b2.map { [beta2.is($0)] } ?? [])
                let xs = r.rows(Quantities.binLog10(predictor), matching: cell), ys = r.rows(Quantities.binLog10V(predictor), matching: cell)
                guard !xs.isEmpty, xs.count == ys.count, Set(xs.map(\.cell)).count == 1 else { continue }
                let points = zip(xs, ys).map { [pow(10, $0.estimate), pow(10, $1.estimate), $1.mcse ?? 0] }
                let file = Figure.block("p\(p)b\(k)", points, into: &data)
                let title = b2.map { "β_{2} = \(Text.plotLabel(format($0)))" } ?? "v̂"
                // log₁₀ v̂ ± t·MCSE (95%), drawn on the log axis as 10^(y ± t·mcse).
                plots.append("\(file) using 1:2:($2*10**(-\(format(Figure.errorBar(r)))*$3)):($2*10**(\(format(Figure.errorBar(r)))*$3)) with yerrorlines ls \(k + 1) title '\(title)'")
            }
            guard !plots.isEmpty else { continue }
            panels.append("""
                set xlabel '\(label)'
                plot \(plots.joined(separator: ", \\\n     "))\(predictor == .minibatch ? ", x with lines lc rgb '#888888' dt 2 title 'v̂ = M_{B}'" : "")
                """)
        }
        guard !panels.isEmpty else { return nil }
        let what = setup.map { "\($0.name) \(Text.plotLabel($0.label))" }.joined(separator: ", ")
        return Figure(role: String(suffix), script: """
            set multiplot layout 2,2 title "network\(what.isEmpty ? "" : ", " + what): v̂ at the final θ against exact quantities\\n(coordinates binned by the predictor; mean over replications ± 95%)"
            set logscale xy
            set ylabel 'v̂_{i}'
            set key bottom right font ',10' spacing 0.9
            \(panels.joined(separator: "\n"))
            unset multiplot
            """, data: data)
    }
}
