import MonteCarlo
import Reporting

/// C2, the square-root law, decided from `sqrt-law` (T1, T2): the findings the rule reads, the
/// rule, and the prose.
extension SqrtLaw {
    public static let claim: Claim? = Claim("C2", "Square-root law")

    /// How far Adam's diagonal √v̂/σ may miss diag H under a rotation (relative error) before the
    /// diagonal form of the law counts as failing there: 10%.
    public static let rotatedDiagonalBound = 0.1

    public struct Findings: Sendable {
        /// Diagonal H, δ ~ N(0, σ²I): the slope of log v on log h (T1: 2).
        public var slope: Finding
        /// `v` rows (diagonal H, every α) that agree with σ²h^(2−α) within their bound, of those with a theory.
        public var agreeing: Finding, scored: Finding
        /// The slope at each α ≠ 0 run: (α, slope).
        public var alphaSlopes: [(alpha: String, slope: Finding)]
        public var rotated: Rotated?

        /// H = QΛQᵀ: the range of diag E[ggᵀ] over the diagonal law σ²Hᵢᵢ², how many of those
        /// ratios agree with T2, and the recovery errors of the diagonal and full square roots.
        public struct Rotated: Sendable {
            public var lowest: Finding, highest: Finding, agreeing: Finding, count: Finding
            public var diagonalError: Finding, fullError: Finding
        }

        /// T1 holds when the slope agrees with 2 and at least 99% of the `v` rows with σ²h^(2−α).
        public var t1Holds: Bool { slope.agrees && mostlyAgree((Int(agreeing.estimate), Int(scored.estimate))) }
        /// The diagonal form fails under rotation when √v̂/σ misses diag H by more than ``rotatedDiagonalBound``.
        public var rotationFails: Bool { (rotated?.diagonalError.estimate ?? 0) > rotatedDiagonalBound }
        public var verdict: Verdict { !t1Holds ? .fails : (rotationFails ? .holdsUnderConditions : .holdsExactly) }
    }

    /// What C2's rule reads from a `sqrt-law` file; nil without the α = 0 slope on a diagonal H.
    public static func findings(_ r: StudyResults) -> Findings? {
        let iso = ["rotation": "none", "alpha": "0"], rotated = ["rotation": "haar", "alpha": "0"]
        guard let slope = r.scalar("slope", iso) else { return nil }
        let diagonal = agreement(r.rows("v", ["rotation": "none"]))
        let alphas = r.values(of: "alpha").filter { $0 != "0" }.compactMap { alpha in
            r.scalar("slope", ["rotation": "none", "alpha": alpha]).map { (alpha: alpha, slope: Finding($0)) }
        }
        var turned: Findings.Rotated?
        let ratios = r.rows("v_over_diag_law", rotated).map(\.estimate).sorted()
        if let lowest = ratios.first, let highest = ratios.last,
           let full = r.scalar("recovery_error_full", rotated), let diag = r.scalar("recovery_error_diag", rotated) {
            turned = Findings.Rotated(lowest: .derived(lowest), highest: .derived(highest),
                                      agreeing: .count(agreement(r.rows("v_over_diag_law", rotated)).agreeing), count: .count(ratios.count),
                                      diagonalError: Finding(diag), fullError: Finding(full))
        }
        return Findings(slope: Finding(slope), agreeing: .count(diagonal.agreeing), scored: .count(diagonal.total),
                        alphaSlopes: alphas, rotated: turned)
    }

    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        results.first.flatMap(findings).map(render)
    }

    /// C2's findings as prose.
    public static func render(_ f: Findings) -> ClaimDecision {
        var evidence: [Prose] = [
            "Diagonal H, \(formula: "δ ~ N(0, σ²I)"): slope of log v on log h \(f.slope); \(f.agreeing) of \(f.scored) `v` rows within \(Finding.bound) MCSE of \(formula: "σ²h^(2−α)") across α.",
        ]
        for (alpha, slope) in f.alphaSlopes {
            evidence.append("\(formula: "δ ~ N(0, σ²H^(−α))") at α = \(label: alpha): slope \(slope)" + (alpha == "1" ? ", the Gibbs distribution's Gauss–Newton form." : "."))
        }
        if let r = f.rotated {
            evidence.append("Rotated \(formula: "H = QΛQᵀ"): diag E[ggᵀ] is \(formula: "σ²·diag(H²)"), \(r.lowest)–\(r.highest) times the diagonal law \(formula: "σ²Hᵢᵢ²") (\(r.agreeing) of \(r.count) within \(Finding.bound) MCSE of T2); Adam's \(formula: "√v̂/σ") misses diag H by \(r.diagonalError) (relative error), while the full matrix's square root recovers H to \(r.fullError).")
        }
        let summary: Prose = f.t1Holds
            ? "\(formula: "E[ggᵀ] = σ²H²") exactly when \(formula: "δ ~ N(0, σ²I)")" + (f.rotationFails ? "; its diagonal form \(formula: "√v̂ = σ·hᵢ") needs H diagonal: under a rotation √v̂ measures row norms of H, and only the full matrix \(formula: "(E[ggᵀ])^(1/2)") recovers σH." : ".")
            : "the simulated second moment does not follow \(formula: "σ²H²") under the law's own assumption."
        return ClaimDecision(claim: claim!, verdict: f.verdict, summary: summary, evidence: evidence)
    }
}
