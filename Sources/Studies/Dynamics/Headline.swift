import Foundation
import MonteCarlo
import Reporting

/// The headline of `dynamics` (docs/SCIENCE.md §5): for each optimizer and β₂, the exponent of v
/// against h on each side of h_c with its 95% confidence interval beside T5's prediction, the gap
/// to the β₂ → 1 fixed point, the isotropy of Var(δ), and the sharpness against its limit; then
/// the verdicts these numbers decide.
extension Dynamics {
    public static func headline(_ results: [CellResult]) -> String? {
        let rows = results.map(HeadlineRow.init)
        var text = """
            ## Headline: which law v follows, by optimizer and β₂

            Exponent of v = E[g²] against h, fitted across coordinates below h_c/\(format(regimeMargin)) and above \(format(regimeMargin))·h_c
            (h_c = 4L²σₙ²/(Bη²), T5's 16σₙ²/(Bη²) for L = 2), mean over chains with its 95% CI (Student's t, R − 1 degrees of freedom); "T5" is the
            same fit applied to T5's stationary theory (SGD's closed form, the β₂ → 1 fixed point of RMSProp
            and Adam), whose asymptotic laws are 1 (Gauss–Newton) below and 2 (square root) above for the
            adaptive methods. Gap: the largest |√v/u − 1| over coordinates. Var(δ) slope: log-log slope of
            Var(δ) against h (0 is isotropic, as C2 assumes). Sharpness: time average of maxᵢ ηhᵢ/(√v̂ᵢ + ε)
            against T5's maxᵢ ηhᵢ/(uᵢ + ε) and the stability limit L = 2(1+β₁)/(1−β₁).

            | optimizer | β₂ | h_c | exponent below | T5 | exponent above | T5 | gap to u | Var(δ) slope | sharpness | T5 | limit L |
            |---|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|

            """
        for row in rows {
            let cells: [String] = [row.optimizer, format(row.beta2), row.crossover > 0 ? EstimateText.significant(row.crossover, digits: 3) : "none",
                         row.below.map(interval) ?? "–", row.below.map { theory($0).description } ?? "–",
                         row.above.map(interval) ?? "–", row.above.map { theory($0).description } ?? "–",
                         row.gap.map { EstimateText.percent($0) } ?? "–", row.isotropy.map(estimate) ?? "–",
                         row.sharpness.map(estimate) ?? "–", row.sharpness.map { theory($0).description } ?? "–",
                         EstimateText.significant(row.limit)]
            text += "| " + cells.joined(separator: " | ") + " |\n"
        }
        text += "\n" + verdicts(rows).map { "- \($0)\n" }.joined()
        if let rotated = rotatedSection(results) { text += "\n" + rotated }
        if let power = noisePowerSection(results) { text += "\n" + power }
        return text
    }

    /// Sentences that state what the headline table of `results` decides, with the numbers that
    /// decide it (each a ``Finding``).
    public static func verdicts(_ results: [CellResult]) -> [Prose] { verdicts(results.map(HeadlineRow.init)) }

    static func verdicts(_ rows: [HeadlineRow]) -> [Prose] {
        var lines: [Prose] = []
        if let sgd = rows.first(where: { $0.optimizer == "sgd" }), let below = sgd.below, let above = sgd.above {
            lines.append("SGD follows the Gauss–Newton law (C4), not the square-root law: exponents \(Finding(below, form: .interval)) below and \(Finding(above, form: .interval)) above h_c, although Var(δ) is nearly isotropic (slope \(sgd.isotropy.map { "\(plain($0))" } ?? "–") against h, where C2 needs \(formula: "0")).")
        }
        for name in ["rmsprop", "adam"] {
            let own = rows.filter { $0.optimizer == name }
            guard let best = own.max(by: { $0.beta2 < $1.beta2 }), let below = best.below, let above = best.above else { continue }
            let limit = Finding.derived(best.limit)
            let sharp: Prose = best.sharpness.map { "\(plain($0)) against the limit \(limit)" } ?? "–"
            // At the edge only when the sharpness is within 5% of the limit L.
            let atEdge = best.sharpness.map { abs($0.estimate / best.limit - 1) <= edgeTolerance } ?? false
            let label: Prose = "\(name == "adam" ? "Adam" : "RMSProp") at β₂ = \(label: format(best.beta2))"
            lines.append(label + ": towards the square-root law (C2, exponent \(formula: "2")) above h_c, exponent \(Finding(above, form: .interval)) (T5: \(theory(above))), the Gauss–Newton law below, \(Finding(below, form: .interval)) (T5: \(theory(below))); "
                + (atEdge ? "the largest curvatures sit at the adaptive edge of stability (sharpness \(sharp))." : "no coordinate reaches the adaptive edge of stability in this run (sharpness \(sharp), more than \(Finding.percent(edgeTolerance)) below it)."))
            // Each gap labelled by β₂ when β₂ tells the cells apart, else by their other grid values.
            let byBeta2 = Set(own.map(\.beta2)).count == own.count
            let gaps = Prose.joined(own.sorted { $0.beta2 < $1.beta2 }.compactMap { row in
                row.gap.map {
                    let beta2: Prose = "β₂ = \(label: format(row.beta2))"
                    let setting = Prose.joined(row.setting.map { "\(label: $0.name) = \(label: $0.value)" } + (Set(own.map(\.beta2)).count > 1 ? [beta2] : []))
                    return "\(Finding.percent($0)) at " + (byBeta2 || row.setting.isEmpty ? beta2 : setting)
                }
            })
            let broken = own.filter { ($0.gap ?? 0) > fixedPointBound }.map(\.beta2)
            lines.append("\(name == "adam" ? "Adam" : "RMSProp")'s distance from the β₂ → \(formula: "1") fixed point: " + gaps + "; "
                + (broken.isEmpty ? (byBeta2 ? "within \(Finding.percent(fixedPointBound)) at every β₂ run." : "within \(Finding.percent(fixedPointBound)) in every cell.")
                   : (byBeta2 ? "the fixed-point picture breaks (gap > \(Finding.percent(fixedPointBound))) at β₂ ≤ \(label: format(broken.max()!))."
                              : "the fixed-point picture breaks (gap > \(Finding.percent(fixedPointBound))) in \(Finding.count(broken.count)) of \(Finding.count(own.count)) cells.")))
        }
        return lines
    }

    /// The largest gap |√v/u − 1| at which a run still counts as at the β₂ → 1 fixed point: 2%.
    public static let fixedPointBound = 0.02

    /// How close to the stability limit L a preconditioned curvature must be to count as at the
    /// edge of stability: within 5%.
    public static let edgeTolerance = 0.05

    /// "1.234 [1.221, 1.247]": the estimate and its 95% interval (``EstimateText``).
    private static func interval(_ e: Estimate) -> String {
        "\(EstimateText.like(e.estimate, estimate: e.estimate, mcse: e.mcse)) \(EstimateText.interval(e.estimate, mcse: e.mcse, replications: e.replications))"
    }
    private static func estimate(_ e: Estimate) -> String { EstimateText.estimate(e.estimate, mcse: e.mcse) }
    /// The theory to the estimate's decimal place, "–" without one.
    /// The estimate ± MCSE alone, as a finding (the table shows its theory).
    private static func plain(_ e: Estimate) -> Finding { Finding(estimate: e.estimate, mcse: e.mcse, form: .estimate) }
    /// The theory as a finding, to the estimate's decimal place; "–" without one.
    private static func theory(_ e: Estimate) -> Prose {
        e.output.theory.value.map { "\(Finding(estimate: $0, form: .like(estimate: e.estimate, mcse: e.mcse)))" } ?? "–"
    }
}

/// One cell of `dynamics` as the headline reads it.
struct HeadlineRow {
    let optimizer: String
    let beta2: Double
    /// The cell's grid values other than the optimizer and β₂ (batch, noise power, …).
    let setting: [(name: String, value: String)]
    let crossover: Double
    let limit: Double
    let below: Estimate?, above: Estimate?, isotropy: Estimate?, sharpness: Estimate?
    /// The largest |√v/u − 1| over coordinates; nil without a fixed point.
    let gap: Double?

    init(_ result: CellResult) {
        let cell = result.cell
        optimizer = cell[Dynamics.optimizer].rawValue
        setting = cell.gridValues.filter { $0.name != Dynamics.optimizer.name && $0.name != Dynamics.beta2.name }.map { ($0.name, $0.value.gridLabel) }
        beta2 = cell[Dynamics.beta2]
        crossover = Dynamics.crossover(cell)
        limit = Dynamics.stabilityLimit(cell)
        (below, above) = (result.estimate(Dynamics.Quantities.exponentBelow), result.estimate(Dynamics.Quantities.exponentAbove))
        (isotropy, sharpness) = (result.estimate(Dynamics.Quantities.varDeltaSlope), result.estimate(Dynamics.Quantities.sharpness))
        gap = result.estimates(of: Dynamics.Quantities.sqrtVGap).map { abs($0.estimate) }.max()
    }
}
