import Foundation
import MonteCarlo
import Reporting
import Studies

/// The rules that decide claims C1–C5 of STUDIES.md from the study results. Each rule names the
/// numbers it reads and the bound it applies; a rule whose study is missing decides nothing.
public enum Claims {
    /// C2, the square-root law, from `sqrt-law` (T1, T2).
    public static func squareRootLaw(_ r: StudyResults) -> ClaimDecision? {
        let iso = ["rotation": "none", "alpha": "0"], rotated = ["rotation": "haar", "alpha": "0"]
        guard let slope = r.scalar("slope", iso) else { return nil }
        let diagonal = agreement(r.rows("v", ["rotation": "none"]))
        let t1Holds = slope.agrees && mostlyAgree(diagonal)
        var evidence = [
            "Diagonal H, δ ~ N(0, σ²I): slope of log v on log h \(slope.described); \(diagonal.agreeing) of \(diagonal.total) `v` rows within \(Int(agreementBound)) MCSE of σ²h^(2−α) across α.",
        ]
        for alpha in r.values(of: "alpha") where alpha != "0" {
            if let s = r.scalar("slope", ["rotation": "none", "alpha": alpha]) {
                evidence.append("δ ~ N(0, σ²H^(−\(MarkdownText.escape(alpha)))): slope \(s.described)" + (alpha == "1" ? ", the Gibbs distribution's Gauss–Newton form." : "."))
            }
        }
        var rotationFails = false
        let ratios = r.rows("v_over_diag_law", rotated)
        if !ratios.isEmpty, let full = r.scalar("recovery_error_full", rotated), let diag = r.scalar("recovery_error_diag", rotated) {
            let sorted = ratios.map(\.estimate).sorted()
            rotationFails = diag.estimate > 0.1
            evidence.append("Rotated H = QΛQᵀ: diag E[ggᵀ] is σ²·diag(H²), \(EstimateText.significant(sorted.first!))–\(EstimateText.significant(sorted.last!)) times the diagonal law σ²Hᵢᵢ² (\(agreement(ratios).agreeing) of \(ratios.count) within \(Int(agreementBound)) MCSE of T2); Adam's √v̂/σ misses diag H by \(diag.described) (relative error), while the full matrix's square root recovers H to \(full.described).")
        }
        let verdict: Verdict = !t1Holds ? .fails : (rotationFails ? .holdsUnderConditions : .holdsExactly)
        return ClaimDecision(
            claim: "C2", title: "Square-root law", verdict: verdict,
            summary: t1Holds
                ? "E[ggᵀ] = σ²H² exactly when δ ~ N(0, σ²I)" + (rotationFails ? "; its diagonal form √v̂ = σ·hᵢ needs H diagonal: under a rotation √v̂ measures row norms of H, and only the full matrix (E[ggᵀ])^(1/2) recovers σH." : ".")
                : "the simulated second moment does not follow σ²H² under the law's own assumption.",
            evidence: evidence, figures: ["sqrt-law.svg"], tables: ["sqrt-law"])
    }

    /// C4, the Gauss–Newton law, from `gauss-newton` (T3) and `gauss-newton-beyond`.
    public static func gaussNewtonLaw(_ r: StudyResults, beyond: StudyResults?) -> ClaimDecision? {
        let atOptimum = r.rows("slope", ["spread": "0"])
        guard !atOptimum.isEmpty else { return nil }
        let ratios = r.rows("gn_ratio", ["spread": "0"])
        let exact = atOptimum.allSatisfy(\.agrees) && ratios.allSatisfy(\.agrees)
        var evidence = atOptimum.map { "At θ* (s = 0), B = \(MarkdownText.escape($0.grid["batch"] ?? "?")): slope \($0.described)." }
        let spreads = r.values(of: "spread").filter { $0 != "0" }
        if let largest = spreads.last {
            for row in r.rows("h_c", ["spread": largest]) {
                let local = r.rows("local_slope", ["spread": largest, "batch": row.grid["batch"] ?? ""])
                if let top = local.max(by: { ($0.index ?? 0) < ($1.index ?? 0) }) {
                    evidence.append("Away from θ* (s = \(MarkdownText.escape(largest)), B = \(MarkdownText.escape(row.grid["batch"] ?? "?"))): the terms cross at h_c = \(row.described); the local slope at the largest h is \(top.described), on its way to the square-root law's 2.")
                }
            }
        }
        var breaks = false
        if let beyond {
            if let hetero = beyond.rows("gn_ratio", ["model": "linear", "noise": "heteroscedastic", "spread": "0"]).max(by: { $0.estimate < $1.estimate }) {
                breaks = hetero.estimate > 1 + agreementBound * (hetero.mcse ?? 0)
                evidence.append("Heteroscedastic noise Var(ε | x) ∝ ‖x‖²: E[J r rᵀ Jᵀ] ≠ σ̄²E[JJᵀ], v is up to \(hetero.described) times σₙ²E[JJᵀ]/B, an h² term that mimics the square-root law.")
            }
            if let tanh = beyond.scalar("slope", ["model": "tanh", "noise": "homoscedastic", "spread": beyond.values(of: "spread").last ?? ""]) {
                evidence.append("tanh(θᵀx) away from θ*: slope \(tanh.described), with no closed form; at θ* the law holds exactly for any model (gn_ratio = 1).")
            }
        }
        return ClaimDecision(
            claim: "C4", title: "Gauss–Newton law", verdict: exact ? .holdsUnderConditions : .fails,
            summary: exact
                ? "E[g_B g_Bᵀ] = σₙ²H/B exactly at θ* with homoscedastic noise (slope 1); away from θ* the spread adds s²(1 + 1/B)h², which dominates above h_c" + (breaks ? ", and noise that grows with the input breaks the \"≈\" even at θ*." : ".")
                : "the simulated minibatch second moment at θ* does not match σₙ²h/B.",
            evidence: evidence, figures: ["gauss-newton.svg", "gauss-newton-local-slope.svg"], tables: ["gauss-newton", "gauss-newton-beyond"])
    }

    /// C3, β₂ ≫ β₁, from `ema` (T4).
    public static func averagingHorizons(_ r: StudyResults) -> ClaimDecision? {
        let relVar = r.rows("rel_var")
        guard !relVar.isEmpty else { return nil }
        let t4 = agreement(relVar)
        let t4Holds = mostlyAgree(t4)
        var evidence = ["T4 at finite t: \(t4.agreeing) of \(t4.total) `rel_var` rows within \(Int(agreementBound)) MCSE."]
        let uncorrelated = ["rho": "0", "beta1": r.values(of: "beta1").last ?? ""]
        let sd = r.values(of: "beta2").compactMap { b in
            r.rows("rel_var", uncorrelated.merging(["beta2": b]) { $1 }).first.map { row in
                // √Var(v̂)/v, its MCSE by the delta method: mcse/(2√x).
                let sd = row.estimate.squareRoot()
                return "\(EstimateText.estimate(sd, mcse: (row.mcse ?? 0) / (2 * sd))) at β₂ = \(MarkdownText.escape(b))"
            }
        }
        evidence.append("Relative sd of v̂ (ρ = 0): " + sd.joined(separator: ", ") + ": only a long average estimates E[g²] well.")
        let weights = r.values(of: "beta1").compactMap { b1 in
            r.rows("m_current_weight", ["rho": "0", "beta1": b1, "beta2": r.values(of: "beta2").last ?? ""]).first.map { "\($0.described) at β₁ = \(MarkdownText.escape(b1))" }
        }
        evidence.append("Weight of the current gradient in m̂ (ρ = 0): " + weights.joined(separator: ", ") + ": a long momentum average forgets where it is.")
        if let steps = r.config?.cells.first?[EMAAccuracy.steps], let b = r.values(of: "beta2").last, let beta2 = Double(b),
           let row = r.rows("rel_var", uncorrelated.merging(["beta2": b]) { $1 }).first {
            let stationary = (2 * (1 - beta2) / (1 + beta2)).squareRoot(), finite = row.theory.map { $0.squareRoot() }
            evidence.append("At β₂ = \(MarkdownText.escape(b)) the EMA is read after t = \(steps) steps: T4's finite-t relative sd is \(finite.map { EstimateText.significant($0) } ?? "–"), the stationary (t → ∞) one \(EstimateText.significant(stationary)); the measured value is held against the finite-t form.")
        }
        evidence.append("Not applicable here: why β₂ must stay below 1 (a landscape that moves, so a longer average lags; T9) needs an `ema` run with drift, which this folder does not hold.")
        return ClaimDecision(
            claim: "C3", title: "β₂ ≫ β₁", verdict: t4Holds ? .holdsUnderConditions : .fails,
            summary: t4Holds
                ? "for a stationary gradient stream: v̂'s relative variance is T4's exactly at the finite t run (stationary form 2(1−β₂)/(1+β₂)·(1+β₂ρ²)/(1−β₂ρ²)), so v̂ needs β₂ near 1, while m̂ keeps (1−β₁)/(1−β₁ᵗ) of the current gradient, so β₁ must stay small; what bounds β₂ away from 1 is not tested here."
                : "the EMA's relative variance departs from T4.",
            evidence: evidence, figures: ["ema.svg"], tables: ["ema"])
    }

    /// C5, AdaBelief, from `adabelief` (T6).
    public static func adaBelief(_ r: StudyResults) -> ClaimDecision? {
        let centred = r.rows("v_centered"), raw = r.rows("v_second_moment")
        guard !centred.isEmpty else { return nil }
        let t6 = agreement(centred + raw)
        let errors = r.rows("curvature_error_centered"), rawErrors = r.rows("curvature_error_second_moment")
        let recovers = !errors.isEmpty && errors.allSatisfy { $0.estimate < 0.05 }
        var evidence = ["T6: \(t6.agreeing) of \(t6.total) rows within \(Int(agreementBound)) MCSE of (hc)² + σ²h² and of the centred EMA's exact expectation (→ 2β₁²/(1+β₁)·σ²h²)."]
        for offset in r.values(of: "offset") {
            if let e = errors.first(where: { $0.grid["offset"] == offset }), let w = rawErrors.first(where: { $0.grid["offset"] == offset }) {
                evidence.append("c = \(MarkdownText.escape(offset)): relative error in h of √v̂/σ \(w.described), of AdaBelief's √(ŝ/factor)/σ \(e.described).")
            }
        }
        let holds = recovers && mostlyAgree(t6)
        return ClaimDecision(
            claim: "C5", title: "AdaBelief", verdict: holds ? .holdsUnderConditions : .fails,
            summary: holds
                ? "the EMA of (g − m)² recovers σ²H² at any offset c, but as 2β₁²/(1+β₁)·σ²h², a known factor (0.85 at β₁ = 0.9); the raw second moment carries the bias (hc)²."
                : "AdaBelief's centred EMA does not recover the curvature.",
            evidence: evidence, figures: ["adabelief.svg"], tables: ["adabelief"])
    }

    /// C1, Adam as a diagonal Newton method, from `dynamics` (T5) and, where it was run,
    /// `dynamics-edge` (the adaptive methods over eight decades of curvature).
    ///
    /// The rule: a diagonal Newton method has the same effective step ηhᵢ/(√v̂ᵢ + ε) for every
    /// coordinate. T5′ pins that ratio at the stability limit L = 2(1+β₁)/(1−β₁) only at the edge
    /// of stability; there, the frozen-step iteration has eigenvalues −1 and −β₁ (marginally
    /// stable), not a Newton step's 0. C1 holds under stated conditions if some coordinate's ratio
    /// is within ``Dynamics/edgeTolerance`` of L at the largest β₂ run, and fails if none is.
    public static func diagonalNewton(_ r: StudyResults, wide: StudyResults? = nil) -> ClaimDecision? {
        var evidence: [String] = [], atEdge = 0, coordinates = 0
        for (results, label) in [(r, "`\(r.name)`"), (wide, wide.map { "`\($0.name)`" } ?? "")] {
            guard let results, let beta2 = results.values(of: "beta2").last else { continue }
            for optimizer in ["rmsprop", "adam"] {
                let ratios = results.rows("newton_ratio", ["optimizer": optimizer, "beta2": beta2]).sorted { ($0.index ?? 0) < ($1.index ?? 0) }
                guard let low = ratios.first, let high = ratios.last,
                      let cell = results.config?.cells.first(where: { $0[Dynamics.optimizer].rawValue == optimizer }) else { continue }
                let limit = Dynamics.stabilityLimit(cell)
                let near = ratios.filter { abs($0.estimate / limit - 1) <= Dynamics.edgeTolerance }.count
                (atEdge, coordinates) = (atEdge + near, coordinates + ratios.count)
                let name = optimizer == "adam" ? "Adam" : "RMSProp"
                evidence.append("\(name) in \(label) at β₂ = \(MarkdownText.escape(beta2)): ηh/(√v̂ + ε), the step against Newton's 1/h, runs from \(low.described) at the smallest h to \(high.described) at the largest, a factor \(EstimateText.significant(high.estimate / low.estimate, digits: 3)); \(near) of \(ratios.count) coordinates within \(EstimateText.percent(Dynamics.edgeTolerance)) of the stability limit L = \(EstimateText.significant(limit)).")
            }
        }
        guard coordinates > 0 else { return nil }
        return ClaimDecision(
            claim: "C1", title: "Adam is a diagonal Newton method", verdict: atEdge > 0 ? .holdsUnderConditions : .fails,
            summary: atEdge > 0
                ? "only for the coordinates at the adaptive edge of stability (\(atEdge) of \(coordinates) here), where ηh/√v̂ is pinned near L and the iteration is marginally stable (eigenvalues −1 and −β₁), not a Newton step; elsewhere the ratio varies with h and Adam is no Newton method."
                : "no coordinate reaches the stability limit in these runs: ηh/(√v̂ + ε) varies with h, so Adam's step is not a (scaled) Newton step anywhere here.",
            evidence: evidence, figures: ["dynamics-rmsprop.svg", "dynamics-adam.svg"], tables: ["dynamics", "dynamics-edge"])
    }
}
