import Foundation
import MonteCarlo
import Reporting

/// C3, β₂ ≫ β₁, decided from `ema`, each result set on its own: a set without drift tests T4 (how
/// well v̂ estimates E[g²] for a stationary gradient stream), a set with drift T9 (what a moving
/// landscape costs a long average).
///
/// The rules: T4 (or T9) holds in a set when its `rel_var` rows (its `rel_bias` and `rel_mse`
/// rows) lie beyond 4 MCSE of the closed form no more often than chance allows at the set's R
/// (``Exceedances``). Each half holds in a regime, which the verdict states: v̂ needs β₂ near 1
/// for a stationary stream, and under drift only up to T9's β₂*. What a large β₁ costs an
/// optimizer is not measured (m̂'s weight on the current gradient is, which is the claim's
/// reason, not its consequence), so β₁'s half stays undecided in the summary.
extension EMAAccuracy {
    public static let claim: Claim? = .c3

    public struct Findings: Sendable {
        /// The `rel_var` rows against T4 at the finite t run.
        public var rows: Exceedances
        /// ρ = 0, per β₂: the relative sd √Var(v̂)/v, pooled over the cells that share T4's value
        /// (the β₁ cells: v̂ does not depend on β₁) by inverse-variance weights, MCSE by the delta
        /// method, mcse/(2√x); and how many cells were pooled.
        public var relativeSD: [(beta2: String, sd: Finding, cells: Int)]
        /// ρ = 0, the largest β₂ run: the weight of the current gradient in m̂ per β₁.
        public var currentWeight: [(beta1: String, weight: Finding)]
        /// At the largest β₂: the steps t, T4's finite-t relative sd, and its stationary (t → ∞) value.
        public var horizon: (beta2: String, steps: Finding, finite: Finding, stationary: Finding)?

        public var t4Holds: Bool { rows.withinChance }
        public var verdict: Verdict {
            guard t4Holds else { return .fails }
            guard let loosest = relativeSD.first, let tightest = relativeSD.last, relativeSD.count > 1 else {
                return .holdsInRegime("for a stationary gradient stream")
            }
            return .holdsInRegime("for a stationary gradient stream, v̂'s half: its relative sd falls from \(loosest.sd) at β₂ = \(label: loosest.beta2) to \(tightest.sd) at β₂ = \(label: tightest.beta2)")
        }
    }

    /// What T9 reads from a set with drift: the `rel_bias` and `rel_mse` rows against T9; per κ
    /// the grid β₂ of least measured MSE, T9's exact optimum and its small-κ law.
    public struct Drift: Sendable {
        public var rows: Exceedances
        public var optima: [(kappa: String, measured: String, exact: Finding, law: Finding?)]
        public var t9Holds: Bool { rows.withinChance }
        public var verdict: Verdict {
            guard t9Holds else { return .fails }
            let list = Prose.joined(optima.map { "β₂* = \($0.exact) at κ = \(label: $0.kappa)" })
            return .holdsInRegime("under drift, v̂'s error is least at a β₂* below \(formula: "1"): " + list)
        }
    }

    /// What T4's rule reads from a set; nil without `rel_var` rows in cells without drift.
    public static func findings(_ r: StudyResults) -> Findings? {
        let relVar = r.rows(Quantities.relVar, drift.is(0))
        guard !relVar.isEmpty else { return nil }
        var f = Findings(rows: agreement(relVar), relativeSD: [], currentWeight: [])
        let betas = r.values(of: beta2)
        for b in betas {
            let replicates = r.rows(Quantities.relVar, drift.is(0), rho.is(0), beta2.is(b))
            guard let pooled = pool(replicates) else { continue }
            let sd = pooled.estimate.squareRoot()
            f.relativeSD.append((format(b), Finding(estimate: sd, mcse: (pooled.mcse ?? 0) / (2 * sd), form: .estimate), replicates.count))
        }
        if let top = betas.last {
            for b1 in r.values(of: beta1) {
                if let row = r.rows(Quantities.mCurrentWeight, drift.is(0), rho.is(0), beta1.is(b1), beta2.is(top)).first {
                    f.currentWeight.append((format(b1), Finding(row)))
                }
            }
            if let cell = r.config?.cells.first(where: { $0[beta2] == top }),
               let theory = r.rows(Quantities.relVar, drift.is(0), rho.is(0), beta2.is(top)).first?.theory {
                f.horizon = (format(top), .count(cell[steps]), .derived(theory.squareRoot()), .derived((2 * (1 - top) / (1 + top)).squareRoot()))
            }
        }
        return f
    }

    /// The inverse-variance weighted mean of rows that estimate one number (the same exact
    /// theory), with its MCSE 1/√Σw; the lone row when there is one; nil when the rows'
    /// theories differ or an MCSE is missing.
    public static func pool(_ rows: [ResultRow]) -> ResultRow? {
        guard let first = rows.first else { return nil }
        guard rows.count > 1 else { return first }
        guard rows.allSatisfy({ $0.theory == first.theory && ($0.mcse ?? 0) > 0 }) else { return nil }
        let weights = rows.map { 1 / ($0.mcse! * $0.mcse!) }, total = weights.reduce(0, +)
        var pooled = first
        pooled.estimate = zip(weights, rows).reduce(0) { $0 + $1.0 * $1.1.estimate } / total
        pooled.mcse = 1 / total.squareRoot()
        return pooled
    }

    /// What T9's rule reads from a set; nil without `rel_bias` rows.
    public static func driftFindings(_ r: StudyResults) -> Drift? {
        let bias = r.rows(Quantities.relBias)
        guard !bias.isEmpty else { return nil }
        let optima = r.values(of: drift).filter { $0 != 0 }.compactMap { kappa -> (String, String, Finding, Finding?)? in
            let mse = r.rows(Quantities.relMse, drift.is(kappa))
            guard let least = mse.min(by: { $0.estimate < $1.estimate }), let measured = least.parameters[beta2.name],
                  let exact = r.rows(Quantities.beta2OptimalTheory, drift.is(kappa)).first else { return nil }
            return (format(kappa), measured, .derived(exact.estimate, digits: 5), exact.theory.map { .derived($0, digits: 5) })
        }
        return Drift(rows: agreement(bias + r.rows(Quantities.relMse)), optima: optima)
    }

    /// Each set decided on its own (T4 without drift, T9 with it), and all named.
    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        var decided: [(file: String, decision: ClaimDecision)] = []
        for r in results {
            if let f = findings(r) { decided.append((r.name, render(f))) }
            if let d = driftFindings(r) { decided.append((r.name, render(d, file: r.name))) }
        }
        guard var decision = ClaimDecision.combining(.c3, decided) else { return nil }
        if !results.contains(where: { driftFindings($0) != nil }) {
            decision.evidence.append("Not applicable here: why β₂ must stay below \(formula: "1") (a landscape that moves, so a longer average lags; T9) needs an `ema` run with drift, which this folder does not hold.")
        }
        return decision
    }

    /// T4's findings as prose.
    public static func render(_ f: Findings) -> ClaimDecision {
        var evidence: [Prose] = ["T4 at finite t: " + f.rows.prose("`rel_var` rows", theory: "T4") + "."]
        if !f.relativeSD.isEmpty {
            let pooled = f.relativeSD.contains { $0.cells > 1 }
            evidence.append("Relative sd of v̂ (ρ = \(formula: "0")" + (pooled ? ", pooled over the β₁ cells, which share T4's value" : "") + "): "
                + Prose.joined(f.relativeSD.map { "\($0.sd) at β₂ = \(label: $0.beta2)" }) + ": only a long average estimates E[g²] well.")
        }
        if !f.currentWeight.isEmpty {
            evidence.append("Weight of the current gradient in m̂ (ρ = \(formula: "0")): " + Prose.joined(f.currentWeight.map { "\($0.weight) at β₁ = \(label: $0.beta1)" }) + ": a long momentum average forgets where it is.")
        }
        if let h = f.horizon {
            evidence.append("At β₂ = \(label: h.beta2) the EMA is read after t = \(h.steps) steps: T4's finite-t relative sd is \(h.finite), the stationary (t → ∞) one \(h.stationary); the measured value is held against the finite-t form.")
        }
        let summary: Prose = f.t4Holds
            ? "for a stationary gradient stream v̂'s relative variance is T4's exactly at the finite t run (stationary form \(formula: "2(1−β₂)/(1+β₂)·(1+β₂ρ²)/(1−β₂ρ²)")), so v̂ needs β₂ near \(formula: "1"); m̂ keeps \(formula: "(1−β₁)/(1−β₁ᵗ)") of the current gradient, but what a large β₁ costs an optimizer is not measured here, so β₁'s half of the claim stays undecided."
            : "the EMA's relative variance departs from T4."
        return ClaimDecision(claim: .c3, verdict: f.verdict, summary: summary, evidence: evidence)
    }

    /// T9's findings as prose.
    public static func render(_ d: Drift, file: String) -> ClaimDecision {
        var evidence: [Prose] = ["Under drift (E[g²] changing by \(formula: "e^κ") per step): " + d.rows.prose("`rel_bias` and `rel_mse` rows", theory: "T9 at the finite t run") + "."]
        evidence += d.optima.map { o in
            "κ = \(label: o.kappa): the least measured MSE on the grid is at β₂ = \(label: o.measured); T9's exact optimum is \(o.exact)" + (o.law.map { ", its small-κ law \(formula: "1 − (2κ²)^(1/3)") gives \($0)" } ?? "") + "."
        }
        let summary: Prose = d.t9Holds
            ? "under a landscape that moves by κ per step the EMA's error is least at a β₂* below \(formula: "1") (T9), with \(formula: "1 − β₂* ≈ (2κ²)^(1/3)") for small κ: β₂ near \(formula: "1"), but not arbitrarily close."
            : "under drift the EMA departs from T9, so what bounds β₂ away from \(formula: "1") is not decided here."
        return ClaimDecision(claim: .c3, verdict: d.verdict, summary: summary, evidence: evidence)
    }

    /// Every cell tests T4 (drift 0) or T9 (drift ≠ 0): any config can decide C3.
    public static func readiness(_ config: Config) -> Readiness? { Readiness(.c3) }
}
