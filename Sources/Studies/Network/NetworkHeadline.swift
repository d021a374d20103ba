import Foundation
import MonteCarlo

/// The headline of `network.md`: per cell, which law v̂ follows at the final θ (docs/SCIENCE.md, "Real training").
extension NetworkStudy {
    public static func headline(_ results: [CellResult]) -> String? {
        var text = """
            ## Headline: v̂ at the end of training against M_B and the curvature

            Per cell, the mean over training runs ± MCSE. Slope and R²: OLS of log v̂ᵢ on log M_B,ᵢ (M_B, the
            expected square of a minibatch gradient at the final θ: the Gauss–Newton side, slope 1 if v̂ ≈ M_B) and
            on log |Hᵢᵢ| (C2's diagonal form predicts 2). log₁₀(v̂/M_B): mean over coordinates (0: v̂ = M_B; above 0:
            v̂ remembers larger, earlier gradients), then its sd across coordinates beside T4's prediction from the
            minibatch gradient's kurtosis. Share: the part of Σv̂ that θ's own movement explains. Sharpness:
            η·λ_max(P^(−1/2)HP^(−1/2)) beside the edge 2(1+β₁)/(1−β₁).

            | data | model | B | β₂ | loss | slope on M_B | R² | log₁₀(v̂/M_B) | its sd | T4 sd | slope on abs(diag H) | share from θ's movement | sharpness | edge |
            |---|---|---:|---:|---:|---|---|---|---|---:|---|---|---|---:|

            """
        for result in results {
            let cell = result.cell
            func shown(_ quantity: Quantity) -> String {
                result.estimate(quantity).map { EstimateText.estimate($0.estimate, mcse: $0.mcse) } ?? "–"
            }
            let columns = [cell[data].rawValue, cell[model].rawValue, format(Double(cell[batch])), format(cell[beta2]),
                           result.estimate(Quantities.loss).map { EstimateText.significant($0.estimate, digits: 3) } ?? "–",
                           shown(Quantities.slope(.minibatch)), shown(Quantities.r2(.minibatch)), shown(Quantities.logRatioMinibatch),
                           shown(Quantities.sdLogRatioMinibatch),
                           result.estimate(Quantities.t4SdLogRatio).map { EstimateText.significant($0.estimate, digits: 3) } ?? "–",
                           shown(Quantities.slope(.hessianDiagonal)), shown(Quantities.shareWandering), shown(Quantities.sharpness),
                           result.estimate(Quantities.edge).map { EstimateText.significant($0.estimate, digits: 3) } ?? "–"]
            text += "| " + columns.joined(separator: " | ") + " |\n"
        }
        return text
    }
}
