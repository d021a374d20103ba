import Foundation
import MonteCarlo
import Reporting

extension EMAAccuracy: ReportedStudy {
    /// A run with drift gets T9's figure; T4's curve of `rel_var` holds only without drift.
    public static func figures(_ r: StudyResults) -> [Figure] {
        if r.config?.cells.contains(where: { $0[drift] != 0 }) ?? false { return [driftFigure(r)].compactMap { $0 } }
        return [relativeVarianceFigure(r)].compactMap { $0 }
    }

    /// T9: E[(v̂/E[g²] − 1)²] against 1 − β₂ per drift κ (95% t intervals), T9's finite-t curve, its
    /// exact optimum (large open marker on the curve) and the small-κ law (2κ²)^(1/3) (dotted).
    static func driftFigure(_ r: StudyResults) -> Figure? {
        guard let steps = Figure.shared(r, { $0[Self.steps] }), let rho = Figure.shared(r, { $0[Self.rho] }) else { return nil }
        let t = steps <= exactEMASteps ? steps : exactEMASteps
        var data: [String: String] = [:], plots: [String] = [], arrows = ""
        for (k, kappa) in r.values(of: drift).enumerated() where k < Figure.maximumSeries {
            guard kappa != 0 else { continue }
            let points = r.rows(Quantities.relMse, drift.is(kappa)).compactMap { row -> [Double]? in
                r.value(beta2, of: row).map { [1 - $0, row.estimate, row.mcse ?? 0] }
            }
            guard !points.isEmpty else { continue }
            let curve = stride(from: -4.0, through: -0.5, by: 0.02).map { e -> [Double] in
                let b = 1 - pow(10, e)
                return [1 - b, driftMSE(beta2: b, rho: rho, drift: kappa, steps: t)]
            }
            let best = optimalBeta2(rho: rho, drift: kappa, steps: t)
            let optimum = [[1 - best, driftMSE(beta2: best, rho: rho, drift: kappa, steps: t)]]
            let p = Figure.block("p\(k)", points, into: &data), c = Figure.block("c\(k)", curve, into: &data)
            let o = Figure.block("o\(k)", optimum, into: &data)
            plots.append("\(c) using 1:2 with lines ls \(k + 1) title 'T9, κ = \(Text.plotLabel(format(kappa)))'")
            plots.append("\(p) using 1:2:(\(format(Figure.errorBar(r)))*$3) with yerrorbars ls \(k + 1) notitle")
            plots.append("\(o) using 1:2 with points ls \(k + 1) pt \(2 * k + 4) ps 3 lw 2 notitle")
            arrows += "set arrow from \(format(cbrt(2 * kappa * kappa))), graph 0 to \(format(cbrt(2 * kappa * kappa))), graph 1 nohead ls \(k + 1) lw 1 dt 3\n"
        }
        guard !plots.isEmpty else { return nil }
        return Figure(role: "drift", script: arrows + """
            set title "ema (T9): MSE of v̂/E[g^{2}] at t = \(steps); open: exact optimum; dotted: law (2κ^{2})^{1/3}"
            set logscale xy
            set xrange [8e-5:0.35]
            set xlabel '1 − β_{2}'
            set ylabel 'E[(v̂/E[g^{2}] − 1)^{2}]'
            set key top right
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

    /// The most steps at which T4's finite-t closed form is evaluated as given. It costs O(steps)
    /// per point (`relativeVariance` sums the weights), and a manifest may say
    /// steps = 2⁵³. Beyond this, each point of the curve sums only its first ⌈40/(1 − β₂)⌉ steps:
    /// the weights fall like β₂ᵏ, so the rest, and 1/(1 − β₂ᵗ)'s departure from 1, are below
    /// e⁻⁴⁰ ≈ 4·10⁻¹⁸ relative, under a double's rounding; the curve is the same.
    static let exactEMASteps = 1 << 20

    /// Var(v̂)/v² against 1 − β₂ per ρ, with T4 at the run's t.
    static func relativeVarianceFigure(_ r: StudyResults) -> Figure? {
        guard let steps = Figure.shared(r, { $0[Self.steps] }), let lastBeta1 = r.values(of: beta1).last else { return nil }
        var data: [String: String] = [:], plots: [String] = []
        for (k, rho) in r.values(of: self.rho).enumerated() where k < Figure.maximumSeries {
            let points = r.rows(Quantities.relVar, self.rho.is(rho), beta1.is(lastBeta1)).compactMap { row -> [Double]? in
                r.value(beta2, of: row).map { [1 - $0, row.estimate, row.mcse ?? 0] }
            }
            let curve = stride(from: -4.2, through: -0.7, by: 0.05).map { e -> [Double] in
                let b = 1 - pow(10, e)
                let t = steps <= exactEMASteps ? steps : min(steps, Int((40 / (1 - b)).rounded(.up)))
                return [1 - b, relativeVariance(beta2: b, rho: rho, steps: t)]
            }
            let p = Figure.block("p\(k)", points, into: &data), c = Figure.block("c\(k)", curve, into: &data)
            plots.append("\(c) using 1:2 with lines ls \(k + 1) title 'T4, ρ = \(Text.plotLabel(format(rho)))'")
            plots.append("\(p) using 1:2:(\(format(Figure.errorBar(r)))*$3) with yerrorbars ls \(k + 1) notitle")
        }
        guard !plots.isEmpty else { return nil }
        return Figure(role: "", script: """
            set title "ema (T4): Var(v̂)/v^{2} of the bias-corrected EMA after t = \(steps) steps; points: simulation ± 95%"
            set logscale xy
            set xrange [5e-5:0.3]
            set xlabel '1 − β_{2}'
            set ylabel 'Var(v̂_{t})/v^{2}'
            plot \(plots.joined(separator: ", \\\n     "))
            """, data: data)
    }

}
