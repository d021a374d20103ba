import MonteCarlo
import Reporting

/// C2, the square-root law, decided from `sqrt-law` (T1, T2), each result set on its own: the
/// findings the rule reads, the rule, and the prose.
///
/// The rule: T1 holds in a set when its slope of log v on log h (diagonal H, isotropic δ) agrees
/// with 2 within 4 MCSE and its `v` rows (diagonal H, every α) lie beyond 4 MCSE of σ²h^(2−α) no
/// more often than chance allows at the set's R (``Exceedances``). Where T1 holds, C2 holds; if
/// the set also ran a rotated H where Adam's diagonal √v̂/σ misses diag H by more than
/// ``rotatedDiagonalBound``, C2 holds in a regime: H diagonal (or the full matrix's square root).
extension SqrtLaw {
    public static let claim: Claim? = .c2

    /// How far Adam's diagonal √v̂/σ may miss diag H under a rotation (relative error) before the
    /// diagonal form of the law counts as failing there: 10%.
    public static let rotatedDiagonalBound = 0.1

    public struct Findings: Sendable {
        /// Diagonal H, δ ~ N(0, σ²I): the slope of log v on log h (T1: 2).
        public var slope: Finding
        /// The `v` rows (diagonal H, every α) against σ²h^(2−α), counted against chance.
        public var rows: Exceedances
        /// The slope at each α ≠ 0 run: (α, slope).
        public var alphaSlopes: [(alpha: String, slope: Finding)]
        public var rotated: Rotated?

        /// H = QΛQᵀ: the range of diag E[ggᵀ] over the diagonal law σ²Hᵢᵢ², those ratios against
        /// T2, and the recovery errors of the diagonal and full square roots.
        public struct Rotated: Sendable {
            public var lowest: Finding, highest: Finding, rows: Exceedances
            public var diagonalError: Finding, fullError: Finding
        }

        /// T1 holds when the slope agrees with 2 and the `v` rows disagree no more than chance allows.
        public var t1Holds: Bool { slope.agrees && rows.withinChance }
        /// The diagonal form fails under rotation when √v̂/σ misses diag H by more than ``rotatedDiagonalBound``.
        public var rotationFails: Bool { (rotated?.diagonalError.estimate ?? 0) > rotatedDiagonalBound }
        public var verdict: Verdict {
            guard t1Holds else { return .fails }
            guard let rotated, rotationFails else { return .holds }
            return .holdsInRegime("H diagonal and \(formula: "δ ~ N(0, σ²I)"): with a rotated H Adam's \(formula: "√v̂/σ") misses diag H by \(rotated.diagonalError) (relative error), beyond \(Finding.percent(rotatedDiagonalBound))")
        }
    }

    /// What C2's rule reads from a `sqrt-law` file; nil without the α = 0 slope on a diagonal H.
    public static func findings(_ r: StudyResults) -> Findings? {
        let isotropic = [rotation.is(.none), alpha.is(0)], turnedIsotropic = [rotation.is(.haar), alpha.is(0)]
        guard let slope = r.scalar(Quantities.slope, matching: isotropic) else { return nil }
        let alphas = r.values(of: alpha).filter { $0 != 0 }.compactMap { a in
            r.scalar(Quantities.slope, rotation.is(.none), alpha.is(a)).map { (alpha: format(a), slope: Finding($0)) }
        }
        var turned: Findings.Rotated?
        let ratios = r.rows(Quantities.vOverDiagLaw, matching: turnedIsotropic)
        let sorted = ratios.map(\.estimate).sorted()
        if let lowest = sorted.first, let highest = sorted.last,
           let full = r.scalar(Quantities.recoveryErrorFull, matching: turnedIsotropic), let diag = r.scalar(Quantities.recoveryErrorDiag, matching: turnedIsotropic) {
            turned = Findings.Rotated(lowest: .derived(lowest), highest: .derived(highest), rows: agreement(ratios),
                                      diagonalError: Finding(diag), fullError: Finding(full))
        }
        return Findings(slope: Finding(slope), rows: agreement(r.rows(Quantities.v, rotation.is(.none))), alphaSlopes: alphas, rotated: turned)
    }

    /// Each `sqrt-law` set with the isotropic slope decided on its own, and all named.
    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        ClaimDecision.combining(.c2, results.compactMap { r in findings(r).map { (r.name, render($0)) } })
    }

    /// C2's findings as prose.
    public static func render(_ f: Findings) -> ClaimDecision {
        var evidence: [Prose] = [
            "Diagonal H, \(formula: "δ ~ N(0, σ²I)"): slope of log v on log h \(f.slope); " + f.rows.prose("`v` rows", theory: "\(formula: "σ²h^(2−α)") across α") + ".",
        ]
        for (alpha, slope) in f.alphaSlopes {
            evidence.append("\(formula: "δ ~ N(0, σ²H^(−α))") at α = \(label: alpha): slope \(slope)" + (alpha == "1" ? ", the Gibbs distribution's Gauss–Newton form." : "."))
        }
        if let r = f.rotated {
            evidence.append("Rotated \(formula: "H = QΛQᵀ"): diag E[ggᵀ] is \(formula: "σ²·diag(H²)"), \(r.lowest)–\(r.highest) times the diagonal law \(formula: "σ²Hᵢᵢ²") (" + r.rows.prose("ratios", theory: "T2") + "); Adam's \(formula: "√v̂/σ") misses diag H by \(r.diagonalError) (relative error), while the full matrix's square root recovers H to \(r.fullError).")
        }
        let summary: Prose = f.t1Holds
            ? "\(formula: "E[ggᵀ] = σ²H²") exactly when \(formula: "δ ~ N(0, σ²I)")" + (f.rotationFails ? "; its diagonal form \(formula: "√v̂ = σ·hᵢ") needs H diagonal: under a rotation √v̂ measures row norms of H, and only the full matrix \(formula: "(E[ggᵀ])^(1/2)") recovers σH." : ".")
            : "the simulated second moment does not follow \(formula: "σ²H²") under the law's own assumption."
        return ClaimDecision(claim: .c2, verdict: f.verdict, summary: summary, evidence: evidence)
    }

    /// The answer's rows: the law under its own assumption, and under a rotation, from the first
    /// set that has them.
    public static func answer(_ results: [StudyResults]) -> [RegimeLaw] {
        guard let f = results.lazy.compactMap(findings).first else { return [] }
        var rows = [RegimeLaw("\(formula: "δ ~ N(0, σ²I)") around θ*, H diagonal",
                              law: f.t1Holds ? "the square-root law, \(formula: "√v = σh")" : "not the square-root law",
                              measured: "slope of log v on log h \(RegimeLaw.brief(f.slope.estimate))", claim: .c2)]
        if let r = f.rotated {
            rows.append(RegimeLaw("the same δ, H rotated", law: "row norms of H, not diag H",
                                  measured: "\(formula: "√v/σ") misses diag H by \(RegimeLaw.briefPercent(r.diagonalError.estimate))", claim: .c2))
        }
        return rows
    }

    /// C2's rule reads the slope at rotation "none", α = 0, which needs two distinct eigenvalues.
    public static func readiness(_ config: Config) -> Readiness? {
        Readiness(.c2, config, needs: "no cell has rotation \"none\" and alpha 0 with at least two distinct eigenvalues (T1's slope is read there)") {
            $0[rotation] == .none && $0[alpha] == 0 && $0[spectrum].hasDistinctValues
        }
    }
}
