import Foundation
import MonteCarlo

/// The headline of an `ema` run with drift (T9): for each κ (and ρ, β₁, t), the β₂ of the grid
/// whose measured `rel_mse` is smallest, the grid values that cannot be told from it, the exact
/// optimum of T9 at the run's t, the stationary optimum, and the small-κ law. Runs without drift
/// have no headline (their NAME.md is what it was).
extension EMAAccuracy {
    public static func headline(_ results: [CellResult]) -> String? {
        let drifting = results.filter { $0.cell[drift] != 0 }
        guard !drifting.isEmpty else { return nil }
        let groups = Dictionary(grouping: drifting) { DriftGroup(cell: $0.cell) }
        var text = """
            ## Headline: the MSE-optimal β₂ under drift (T9)

            For each drift κ, the β₂ of the grid with the smallest measured E[(v̂/E[g²] − 1)²] (`rel_mse`), and the range
            of grid β₂ whose `rel_mse` lies within 2 combined MCSE of that minimum (the optimum cannot be placed more finely by
            this run); beside it the exact optimum of T9 at the run's t and ρ (numerically minimised), the stationary
            optimum (t → ∞, ρ = 0) and the small-κ law 1 − β₂* ≈ (2κ²)^(1/3). T9 agreement: `rel_bias` and `rel_mse`
            rows within 4 MCSE of T9's exact finite-t values.

            | κ | ρ | measured argmin β₂ | 1 − β₂ | indistinguishable range of β₂ | exact β₂* (this t) | stationary β₂* | law 1 − (2κ²)^(1/3) | stationary (1 − β₂*)/(2κ²)^(1/3) | T9 rows within 4 MCSE |
            |---:|---:|---:|---:|---|---:|---:|---:|---:|---:|

            """
        for group in groups.keys.sorted() {
            let cells = groups[group]!.sorted { $0.cell[beta2] < $1.cell[beta2] }
            let mse = cells.compactMap { r -> (Double, Estimate)? in
                r.estimate(Quantities.relMse).map { (r.cell[beta2], $0) }
            }
            guard let best = mse.min(by: { $0.1.estimate < $1.1.estimate }) else { continue }
            let near = mse.filter { ($0.1.estimate - best.1.estimate) <= 2 * (($0.1.mcse ?? 0) * ($0.1.mcse ?? 0) + (best.1.mcse ?? 0) * (best.1.mcse ?? 0)).squareRoot() }
            let scored = cells.flatMap { $0.estimates(of: Quantities.relBias) + $0.estimates(of: Quantities.relMse) }
                .compactMap { e -> Double? in
                    guard let t = e.output.theory.exact, let m = e.mcse, m > 0 else { return nil }
                    return abs(e.estimate - t) / m
                }
            let exact = optimalBeta2(rho: group.rho, drift: group.drift, steps: group.steps)
            let stationary = stationaryOptimalBeta2(drift: group.drift)
            let law = cbrt(2 * group.drift * group.drift)
            let cells_ = [format(group.drift), format(group.rho), format(best.0), EstimateText.significant(1 - best.0, digits: 3),
                          "[\(format(near.map(\.0).min()!)), \(format(near.map(\.0).max()!))]",
                          EstimateText.significant(exact, digits: 5), EstimateText.significant(stationary, digits: 5),
                          EstimateText.significant(1 - law, digits: 5), EstimateText.significant((1 - stationary) / law, digits: 3),
                          "\(scored.filter { $0 <= 4 }.count) of \(scored.count)"]
            text += "| " + cells_.joined(separator: " | ") + " |\n"
        }
        return text
    }
}

/// The cells of a drift run that differ only in β₂.
struct DriftGroup: Hashable, Comparable {
    let drift: Double, rho: Double, beta1: Double, steps: Int
    init(cell: Cell) {
        (drift, rho, beta1, steps) = (cell[EMAAccuracy.drift], cell[EMAAccuracy.rho], cell[EMAAccuracy.beta1], cell[EMAAccuracy.steps])
    }
    static func < (a: DriftGroup, b: DriftGroup) -> Bool {
        (a.drift, a.rho, a.beta1, a.steps) < (b.drift, b.rho, b.beta1, b.steps)
    }
}
