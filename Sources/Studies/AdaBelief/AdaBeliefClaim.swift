import MonteCarlo
import Reporting

/// C5, AdaBelief, decided from `adabelief` (T6), each result set on its own.
///
/// The rule: C5 holds in a set when its `v_centered` and `v_second_moment` rows lie beyond 4 MCSE
/// of T6 no more often than chance allows at the set's R (``Exceedances``) and AdaBelief's
/// centred estimate recovers h within ``recoveryBound`` at every offset c; otherwise it fails.
extension AdaBeliefCurvature {
    public static let claim: Claim? = .c5

    /// The largest relative error in h of AdaBelief's √(ŝ/factor)/σ at which it still counts as
    /// recovering the curvature: 5%.
    public static let recoveryBound = 0.05

    public struct Findings: Sendable {
        /// The `v_centered` and `v_second_moment` rows against T6.
        public var rows: Exceedances
        /// Per cell: its offset c (and β₂, where the set varies it), the relative errors in h of
        /// √v̂/σ and of AdaBelief's √(ŝ/factor)/σ.
        public var errors: [(offset: String, beta2: String?, raw: Finding, centred: Finding)]
        /// AdaBelief's factor 2β₁²/(1+β₁) at the run's β₁.
        public var factor: (beta1: String, value: Finding)?

        /// C5 holds when every centred error is below ``recoveryBound`` and T6's rows disagree no
        /// more often than chance allows.
        public var holds: Bool {
            !errors.isEmpty && errors.allSatisfy { $0.centred.estimate < recoveryBound } && rows.withinChance
        }
        public var verdict: Verdict { holds ? .holds : .fails }
    }

    /// What C5's rule reads; nil without `v_centered` rows.
    public static func findings(_ r: StudyResults) -> Findings? {
        let centred = r.rows(Quantities.vCentered), raw = r.rows(Quantities.vSecondMoment)
        guard !centred.isEmpty else { return nil }
        let errors = r.rows(Quantities.curvatureErrorCentered), rawErrors = r.rows(Quantities.curvatureErrorSecondMoment)
        // Every cell's errors, in file order; β₂ named where the set varies it.
        let namesBeta2 = r.values(of: beta2.name).count > 1
        let byCell = errors.compactMap { e -> (String, String?, Finding, Finding)? in
            guard let w = rawErrors.first(where: { $0.cell == e.cell }) else { return nil }
            return (e.parameters[offset.name] ?? "", namesBeta2 ? e.parameters[beta2.name] : nil, Finding(w), Finding(e))
        }
        // Stated only when every cell ran with the same β₁.
        let beta1s = Set(r.config?.cells.map { $0[Self.beta1] } ?? [])
        let factor = beta1s.count == 1 ? beta1s.first.map { b in (format(b), Finding.derived(2 * b * b / (1 + b), digits: 2)) } : nil
        return Findings(rows: agreement(centred + raw),
                        errors: byCell, factor: factor)
    }

    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        ClaimDecision.combining(.c5, results.compactMap { r in findings(r).map { (r.name, render($0)) } })
    }

    /// C5's findings as prose.
    public static func render(_ f: Findings) -> ClaimDecision {
        var evidence: [Prose] = ["T6: " + f.rows.prose("rows", theory: "\(formula: "(hc)² + σ²h²") and of the centred EMA's exact expectation (→ \(formula: "2β₁²/(1+β₁)·σ²h²"))") + "."]
        for e in f.errors {
            evidence.append("c = \(label: e.offset)" + (e.beta2.map { ", β₂ = \(label: $0)" } ?? "") + ": relative error in h of \(formula: "√v̂/σ") \(e.raw), of AdaBelief's \(formula: "√(ŝ/factor)/σ") \(e.centred).")
        }
        let factor: Prose = f.factor.map { " (\($0.value) at β₁ = \(label: $0.beta1))" } ?? ""
        let summary: Prose = f.holds
            ? "the EMA of \(formula: "(g − m)²") recovers \(formula: "σ²H²") at every offset c run here, but as \(formula: "2β₁²/(1+β₁)·σ²h²"), a known factor" + factor + "; the raw second moment carries the bias \(formula: "(hc)²")."
            : "AdaBelief's centred EMA does not recover the curvature."
        return ClaimDecision(claim: .c5, verdict: f.verdict, summary: summary, evidence: evidence)
    }

    /// Every cell holds T6's rows and the recovery errors: any config can decide C5.
    public static func readiness(_ config: Config) -> Readiness? { Readiness(.c5) }
}
