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

        /// From a file run under drift (T9): `rel_bias` and `rel_mse` rows within their bound, of
        /// those with a theory; per κ the grid β₂ of least measured MSE, T9's exact optimum and its
        /// small-κ law.
        public var drift: Drift?
        public struct Drift: Sendable {
            public var file: String
            public var agreeing: Finding, scored: Finding
            public var optima: [(kappa: String, measured: String, exact: Finding, law: Finding?)]
            public var t9Holds: Bool { mostlyAgree((Int(agreeing.estimate), Int(scored.estimate))) }
        }

        /// T4 holds when at least 99% of the `rel_var` rows agree with it.
        public var t4Holds: Bool { mostlyAgree((Int(agreeing.estimate), Int(scored.estimate))) }
        public var verdict: Verdict { t4Holds ? .holdsUnderConditions : .fails }
    }

    /// What C3's rule reads: T4 from the first file without drift, T9 from the first with it;
    /// nil without a `rel_var` row in a file without drift.
    public static func findings(_ files: [StudyResults]) -> Findings? {
        guard let r = files.first(where: { $0.rows("rel_bias").isEmpty }) else { return nil }
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
        f.drift = files.first(where: { !$0.rows("rel_bias").isEmpty }).map(driftFindings)
        return f
    }

    static func driftFindings(_ r: StudyResults) -> Findings.Drift {
        let t9 = agreement(r.rows("rel_bias") + r.rows("rel_mse"))
        let optima = r.values(of: drift.name).compactMap { kappa -> (String, String, Finding, Finding?)? in
            let mse = r.rows("rel_mse", [drift.name: kappa])
            guard let least = mse.min(by: { $0.estimate < $1.estimate }), let measured = least.grid[beta2.name],
                  let exact = r.rows("beta2_optimal_theory", [drift.name: kappa]).first else { return nil }
            return (kappa, measured, .derived(exact.estimate, digits: 5), exact.theory.map { .derived($0, digits: 5) })
        }
        return .init(file: r.name, agreeing: .count(t9.agreeing), scored: .count(t9.total), optima: optima)
    }

    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        findings(results).map(render)
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
        if let d = f.drift {
            evidence.append("Under drift (\(code: d.file), E[g²] changing by \(formula: "e^κ") per step): \(d.agreeing) of \(d.scored) `rel_bias` and `rel_mse` rows within \(Finding.bound) MCSE of T9 at the finite t run.")
            evidence += d.optima.map { o in
                "κ = \(label: o.kappa): the least measured MSE on the grid is at β₂ = \(label: o.measured); T9's exact optimum is \(o.exact)" + (o.law.map { ", its small-κ law \(formula: "1 − (2κ²)^(1/3)") gives \($0)" } ?? "") + "."
            }
        } else {
            evidence.append("Not applicable here: why β₂ must stay below \(formula: "1") (a landscape that moves, so a longer average lags; T9) needs an `ema` run with drift, which this folder does not hold.")
        }
        let bound: Prose = f.drift.map { $0.t9Holds
            ? "; and under a landscape that moves by κ per step the EMA's error is least at a β₂* below \(formula: "1") (T9, held here), with \(formula: "1 − β₂* ≈ (2κ²)^(1/3)") for small κ: β₂ ≫ β₁, but not arbitrarily close to \(formula: "1")."
            : "; under drift the EMA departs from T9, so what bounds β₂ away from \(formula: "1") is not decided here." }
            ?? "; what bounds β₂ away from \(formula: "1") is not tested here."
        let summary: Prose = f.t4Holds
            ? "for a stationary gradient stream: v̂'s relative variance is T4's exactly at the finite t run (stationary form \(formula: "2(1−β₂)/(1+β₂)·(1+β₂ρ²)/(1−β₂ρ²)")), so v̂ needs β₂ near \(formula: "1"), while m̂ keeps \(formula: "(1−β₁)/(1−β₁ᵗ)") of the current gradient, so β₁ must stay small" + bound
            : "the EMA's relative variance departs from T4."
        return ClaimDecision(claim: claim!, verdict: f.verdict, summary: summary, evidence: evidence)
    }
}
