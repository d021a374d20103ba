import MonteCarlo
import Reporting

/// C3, β₂ ≫ β₁, decided from `ema` (T4).
extension EMAAccuracy {
    public static let claim: Claim? = Claim("C3", "β₂ ≫ β₁")

    public struct Findings: Sendable {
        /// `rel_var` rows within their bound of T4 at the finite t run, of those with a theory.
        public var agreeing: Finding, scored: Finding
        /// ρ = 0, the largest β₁ run: the relative sd √Var(v̂)/v per β₂ (MCSE by the delta
        /// method, mcse/(2√x)).
        public var relativeSD: [(beta2: String, sd: Finding)]
        /// ρ = 0, the largest β₂ run: the weight of the current gradient in m̂ per β₁.
        public var currentWeight: [(beta1: String, weight: Finding)]
        /// At the largest β₂: the steps t, T4's finite-t relative sd, and its stationary (t → ∞) value.
        public var horizon: (beta2: String, steps: Finding, finite: Finding, stationary: Finding)?

        /// T4 holds when at least 99% of the `rel_var` rows agree with it.
        public var t4Holds: Bool { mostlyAgree((Int(agreeing.estimate), Int(scored.estimate))) }
        public var verdict: Verdict { t4Holds ? .holdsUnderConditions : .fails }
    }

    /// What C3's rule reads; nil without `rel_var` rows.
    public static func findings(_ r: StudyResults) -> Findings? {
        let relVar = r.rows("rel_var")
        guard !relVar.isEmpty else { return nil }
        let t4 = agreement(relVar)
        let uncorrelated = ["rho": "0", "beta1": r.values(of: "beta1").last ?? ""]
        var f = Findings(agreeing: .count(t4.agreeing), scored: .count(t4.total), relativeSD: [], currentWeight: [])
        for b in r.values(of: "beta2") {
            guard let row = r.rows("rel_var", uncorrelated.merging(["beta2": b]) { $1 }).first else { continue }
            let sd = row.estimate.squareRoot()
            f.relativeSD.append((b, Finding(estimate: sd, mcse: (row.mcse ?? 0) / (2 * sd), form: .estimate)))
        }
        for b1 in r.values(of: "beta1") {
            if let row = r.rows("m_current_weight", ["rho": "0", "beta1": b1, "beta2": r.values(of: "beta2").last ?? ""]).first {
                f.currentWeight.append((b1, Finding(row)))
            }
        }
        if let steps = r.config?.cells.first?[Self.steps], let b = r.values(of: "beta2").last, let beta2 = Double(b),
           let row = r.rows("rel_var", uncorrelated.merging(["beta2": b]) { $1 }).first, let theory = row.theory {
            f.horizon = (b, .count(steps), .derived(theory.squareRoot()), .derived((2 * (1 - beta2) / (1 + beta2)).squareRoot()))
        }
        return f
    }

    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        results.first.flatMap(findings).map(render)
    }

    /// C3's findings as prose.
    public static func render(_ f: Findings) -> ClaimDecision {
        var evidence: [Prose] = ["T4 at finite t: \(f.agreeing) of \(f.scored) `rel_var` rows within \(Finding.bound) MCSE."]
        if !f.relativeSD.isEmpty {
            evidence.append("Relative sd of v̂ (ρ = \(formula: "0")): " + Prose.joined(f.relativeSD.map { "\($0.sd) at β₂ = \(label: $0.beta2)" }) + ": only a long average estimates E[g²] well.")
        }
        if !f.currentWeight.isEmpty {
            evidence.append("Weight of the current gradient in m̂ (ρ = \(formula: "0")): " + Prose.joined(f.currentWeight.map { "\($0.weight) at β₁ = \(label: $0.beta1)" }) + ": a long momentum average forgets where it is.")
        }
        if let h = f.horizon {
            evidence.append("At β₂ = \(label: h.beta2) the EMA is read after t = \(h.steps) steps: T4's finite-t relative sd is \(h.finite), the stationary (t → ∞) one \(h.stationary); the measured value is held against the finite-t form.")
        }
        evidence.append("Not applicable here: why β₂ must stay below \(formula: "1") (a landscape that moves, so a longer average lags; T9) needs an `ema` run with drift, which this folder does not hold.")
        let summary: Prose = f.t4Holds
            ? "for a stationary gradient stream: v̂'s relative variance is T4's exactly at the finite t run (stationary form \(formula: "2(1−β₂)/(1+β₂)·(1+β₂ρ²)/(1−β₂ρ²)")), so v̂ needs β₂ near \(formula: "1"), while m̂ keeps \(formula: "(1−β₁)/(1−β₁ᵗ)") of the current gradient, so β₁ must stay small; what bounds β₂ away from \(formula: "1") is not tested here."
            : "the EMA's relative variance departs from T4."
        return ClaimDecision(claim: claim!, verdict: f.verdict, summary: summary, evidence: evidence)
    }
}
