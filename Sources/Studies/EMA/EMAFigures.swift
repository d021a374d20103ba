import Foundation
import MonteCarlo
import Reporting

extension EMAAccuracy: ReportedStudy {
    public static func figures(_ r: StudyResults) -> [Figure] {
        [relativeVarianceFigure(r)].compactMap { $0 }
    }

    /// The most steps at which T4's finite-t closed form is evaluated as given. It costs O(steps)
    /// per point (`relativeVariance` sums the weights), and a manifest may say
    /// steps = 2⁵³. Beyond this, each point of the curve sums only its first ⌈40/(1 − β₂)⌉ steps:
    /// the weights fall like β₂ᵏ, so the rest, and 1/(1 − β₂ᵗ)'s departure from 1, are below
    /// e⁻⁴⁰ ≈ 4·10⁻¹⁸ relative, under a double's rounding; the curve is the same.
    static let exactEMASteps = 1 << 20

    /// Var(v̂)/v² against 1 − β₂ per ρ, with T4 at the run's t.
    static func relativeVarianceFigure(_ r: StudyResults) -> Figure? {
        guard let steps = Figure.shared(r, { $0[Self.steps] }), let beta1 = r.values(of: "beta1").last else { return nil }
        var data: [String: String] = [:], plots: [String] = []
        for (k, rhoText) in r.values(of: "rho").enumerated() where k < Figure.maximumSeries {
            guard let rho = Double(rhoText), rho.isFinite, abs(rho) < 1 else { continue }
            let points = r.rows("rel_var", ["rho": rhoText, "beta1": beta1]).compactMap { row -> [Double]? in
                guard let b = Double(row.grid["beta2"] ?? "") else { return nil }
                return [1 - b, row.estimate, row.mcse ?? 0]
            }
            let curve = stride(from: -4.2, through: -0.7, by: 0.05).map { e -> [Double] in
                let b = 1 - pow(10, e)
                let t = steps <= exactEMASteps ? steps : min(steps, Int((40 / (1 - b)).rounded(.up)))
                return [1 - b, relativeVariance(beta2: b, rho: rho, steps: t)]
            }
            let p = Figure.block("p\(k)", points, into: &data), c = Figure.block("c\(k)", curve, into: &data)
            plots.append("\(c) using 1:2 with lines ls \(k + 1) title 'T4, ρ = \(Text.plotLabel(rhoText))'")
            plots.append("\(p) using 1:2:(\(format(Figure.errorBar(r)))*$3) with yerrorbars ls \(k + 1) notitle")
        }
        guard !plots.isEmpty else { return nil }
        return Figure(name: r.name, script: """
            set title "ema (T4): Var(v̂)/v^{2} of the bias-corrected EMA after t = \(steps) steps; points: simulation ± 95%"
            set logscale xy
            set xrange [5e-5:0.3]
            set xlabel '1 − β_{2}'
            set ylabel 'Var(v̂_{t})/v^{2}'
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

}
