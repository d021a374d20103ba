import Foundation
import MonteCarlo

/// The headline's sections for the extensions of issue 15: the dense cells (T8: rotated H or
/// misaligned noise) and the cells with noise "power" (T10). Each appears only when the run has
/// such cells, so the headline of a run without them is what it was.
extension Dynamics {
    static func rotatedSection(_ results: [CellResult]) -> String? {
        let dense = results.filter { isDense($0.cell) && $0.cell[optimizer].isAdaptive }
        guard !dense.isEmpty else { return nil }
        var text = """
            ## Rotated H and misaligned noise (T8)

            H = QΛQᵀ (Q Haar) and C/B = σₙ²QΛQᵀ/B (`hessian`) or σₙ²Q′ΛQ′ᵀ/B with an independent Q′ (`misaligned`). Gap: the largest
            |√vᵢ/uᵢ − 1| over coordinates to T8's β₂ → 1 fixed point u, with that coordinate's MCSE ("no fixed point" where T8's
            solver found none). Preconditioned sharpness η·λ_max(P^(−1/2)HP^(−1/2)), P = diag(√v̂ + ε): time average (every
            \(preconditionedSharpnessInterval) steps after the burn-in) and at the last step, against T8 and the edge L = 2(1+β₁)/(1−β₁).
            Cov(δ): Frobenius distance of the normalised time-averaged δδᵀ to the normalised I (isotropic, C2's assumption) and to
            the normalised P⁻¹ (0 = exactly that shape; T8's value beside). Spread: sd over coordinates of log(vᵢ/pᵢ), 0 when v ∝ p,
            for p = diag(H²), diag(H)², diag(C/B).

            | noise | optimizer | β₂ | gap to T8's u | prec. sharpness (avg) | at the end | T8 | edge L | Cov(δ) to I | T8 | Cov(δ) to P⁻¹ | T8 | spread diag(H²) | diag(H)² | diag(C/B) |
            |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|

            """
        for result in dense {
            let gap = result.estimates(of: Quantities.sqrtVGap).max { abs($0.estimate) < abs($1.estimate) }
            let sharp = result.estimate(Quantities.preconditionedSharpness), identity = result.estimate(Quantities.covDistanceIdentity)
            let preconditioner = result.estimate(Quantities.covDistancePreconditioner)
            let cells = [result.cell[noise].rawValue, result.cell[optimizer].rawValue, format(result.cell[beta2]),
                         gap.map { "\(EstimateText.estimate(100 * $0.estimate, mcse: $0.mcse.map { 100 * $0 }))%" } ?? "no fixed point",
                         estimateCell(sharp), estimateCell(result.estimate(Quantities.preconditionedSharpnessFinal)), theoryCell(sharp),
                         EstimateText.significant(stabilityLimit(result.cell)),
                         estimateCell(identity), theoryCell(identity), estimateCell(preconditioner), theoryCell(preconditioner),
                         estimateCell(result.estimate(Quantities.spreadHessianSquared)), estimateCell(result.estimate(Quantities.spreadDiagonalSquared)), estimateCell(result.estimate(Quantities.spreadNoise))]
            text += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return text
    }

    static func noisePowerSection(_ results: [CellResult]) -> String? {
        let power = results.filter { !isDense($0.cell) && $0.cell[noise] == .power }
        guard !power.isEmpty else { return nil }
        var text = """
            ## Noise decoupled from H (T10)

            Noise variance σₙ²hᵢ^γ/B. T10: v ∝ h^γ below h_c and ∝ h² above, h_c^(2−γ) = 4L²σₙ²/(Bη²); no crossover at γ = 2.
            Exponents fitted below h_c/\(format(regimeMargin)) and above \(format(regimeMargin))·h_c (mean over chains ± MCSE), beside the same fit of T10's
            fixed point ("fit") and the asymptotic laws γ and 2. Passage: where the exponent of v between neighbouring coordinates
            first reaches (γ + 2)/2, beside the same applied to the fixed point, and over h_c (T5′: a constant for each optimizer and
            γ, so the passage moves like h_c, ∝ B^(−1/(2−γ))).

            | optimizer | γ | B | h_c | exponent below | fit | law | exponent above | fit | law | passage | fit | passage/h_c |
            |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|

            """
        for result in power {
            let gamma = noisePower(result.cell), hc = crossover(result.cell)
            let below = result.estimate(Quantities.exponentBelow), above = result.estimate(Quantities.exponentAbove), passage = result.estimate(Quantities.passage)
            let cells = [result.cell[optimizer].rawValue, format(gamma), format(Double(result.cell[batch])),
                         hc > 0 ? EstimateText.significant(hc, digits: 3) : "none",
                         estimateCell(below), theoryCell(below), below == nil ? "–" : format(gamma),
                         estimateCell(above), theoryCell(above), above == nil ? "–" : "2",
                         estimateCell(passage), theoryCell(passage),
                         passage.flatMap { hc > 0 ? EstimateText.significant($0.estimate / hc, digits: 3) : nil } ?? "–"]
            text += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return text
    }
}

/// A table cell: the estimate ± MCSE, "–" without one.
private func estimateCell(_ e: Estimate?) -> String { e.map { EstimateText.estimate($0.estimate, mcse: $0.mcse) } ?? "–" }

/// A table cell: the theory to the estimate's decimal place, "–" without one.
private func theoryCell(_ e: Estimate?) -> String {
    guard let e, let t = e.output.theory.value else { return "–" }
    return EstimateText.like(t, estimate: e.estimate, mcse: e.mcse)
}
