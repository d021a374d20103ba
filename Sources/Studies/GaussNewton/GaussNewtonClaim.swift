import MonteCarlo
import Reporting

/// C4, the Gauss–Newton law, decided from `gauss-newton` (T3), each result set on its own.
///
/// The rule: T3 holds in a set when, at θ* (s = 0) with the linear model and homoscedastic noise,
/// every slope of log v on log h agrees with 1 within 4 MCSE and the `gn_ratio` rows lie beyond
/// 4 MCSE of 1 no more often than chance allows (``Exceedances``). It then holds in a regime
/// when the set also shows where it stops: a spread s > 0 whose h² term crosses the law at h_c,
/// or heteroscedastic noise whose ratio exceeds 1 by more than 4 MCSE; otherwise it holds.
extension GaussNewton {
    public static let claim: Claim? = .c4

    public struct Findings: Sendable {
        /// At θ* (s = 0), linear model, homoscedastic noise: the slope of log v on log h per batch
        /// (T3: 1), and the `gn_ratio` rows against 1.
        public var slopes: [(batch: String, slope: Finding)]
        public var ratios: Exceedances
        /// At the largest spread s run: per batch, the crossover h_c and the local slope at the largest h.
        public var spread: String?
        public var crossings: [(batch: String, crossover: Finding, topSlope: Finding)]
        /// The largest `gn_ratio` under heteroscedastic noise at θ*, and the tanh model's slope
        /// away from θ*, where the set ran them.
        public var heteroscedastic: Finding?
        public var tanhSlope: Finding?

        /// T3 holds at θ* when every slope agrees within its bound and the ratios as chance allows.
        public var exact: Bool { slopes.allSatisfy { $0.slope.agrees } && ratios.withinChance }
        /// Heteroscedastic noise breaks the law when its ratio exceeds 1 by more than the bound.
        public var breaks: Bool {
            heteroscedastic.map { $0.estimate > 1 + agreementBound * ($0.mcse ?? 0) } ?? false
        }
        public var verdict: Verdict {
            guard exact else { return .fails }
            var limits: [Prose] = []
            if let crossing = crossings.first, let spread {
                limits.append("away from θ* only for h well below h_c (\(crossing.crossover) at s = \(label: spread), B = \(label: crossing.batch)), above which v grows as h²")
            }
            if let heteroscedastic, breaks {
                limits.append("noise whose variance grows with the input breaks it even at θ* (v up to \(heteroscedastic) times the law)")
            }
            return limits.isEmpty ? .holds
                : .holdsInRegime("at θ* (s = \(formula: "0")) with homoscedastic noise; " + Prose.joined(limits, separator: "; "))
        }
    }

    /// What C4's rule reads from one set; nil without slopes at θ* for the linear model with
    /// homoscedastic noise.
    public static func findings(_ r: StudyResults) -> Findings? {
        let t3 = [spread.is(0), model.is(.linear), noise.is(.homoscedastic)]
        let atOptimum = r.rows(Quantities.slope, matching: t3)
        guard !atOptimum.isEmpty else { return nil }
        let away = r.values(of: spread).filter { $0 > 0 }.last
        var f = Findings(slopes: atOptimum.map { (r.value(batch, of: $0).map(String.init) ?? "", Finding($0)) },
                         ratios: agreement(r.rows(Quantities.gnRatio, matching: t3)),
                         spread: away.map(format), crossings: [])
        if let away {
            let linear = [spread.is(away), model.is(.linear), noise.is(.homoscedastic)]
            for row in r.rows(Quantities.hC, matching: linear) {
                guard let b = r.value(batch, of: row) else { continue }
                if let top = r.rows(Quantities.localSlope, matching: linear + [batch.is(b)]).max(by: { ($0.index ?? 0) < ($1.index ?? 0) }) {
                    f.crossings.append((String(b), Finding(row), Finding(top)))
                }
            }
        }
        f.heteroscedastic = r.rows(Quantities.gnRatio, model.is(.linear), noise.is(.heteroscedastic), spread.is(0))
            .max(by: { $0.estimate < $1.estimate }).map { Finding($0) }
        if let away = r.values(of: spread).last, away > 0 {
            f.tanhSlope = r.scalar(Quantities.slope, model.is(.tanh), noise.is(.homoscedastic), spread.is(away)).map { Finding($0) }
        }
        return f
    }

    /// Each set with slopes at θ* decided on its own, and all named.
    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        ClaimDecision.combining(.c4, results.compactMap { r in findings(r).map { (r.name, render($0)) } })
    }

    /// C4's findings as prose.
    public static func render(_ f: Findings) -> ClaimDecision {
        var evidence: [Prose] = f.slopes.map { "At θ* (\(formula: "s = 0")), B = \(label: $0.batch): slope \($0.slope)." }
        if f.ratios.scored > 0 {
            evidence.append("At θ*: " + f.ratios.prose("`gn_ratio` rows", theory: "\(formula: "1")") + ".")
        }
        for c in f.crossings {
            evidence.append("Away from θ* (s = \(label: f.spread ?? ""), B = \(label: c.batch)): the terms cross at h_c = \(c.crossover); the local slope at the largest h is \(c.topSlope), on its way to the square-root law's \(formula: "2").")
        }
        if let hetero = f.heteroscedastic {
            evidence.append("Heteroscedastic noise \(formula: "Var(ε | x) ∝ ‖x‖²"): \(formula: "E[J r rᵀ Jᵀ] ≠ σ̄²E[JJᵀ]"), v is up to \(hetero) times \(formula: "σₙ²E[JJᵀ]/B")" + (f.breaks ? ", an h² term that mimics the square-root law." : ", within \(Finding.bound) MCSE of the law."))
        }
        if let tanh = f.tanhSlope {
            evidence.append("\(formula: "tanh(θᵀx)") away from θ*: slope \(tanh), with no closed form; at θ* the law holds exactly for any model (\(formula: "gn_ratio = 1")).")
        }
        let summary: Prose = f.exact
            ? "\(formula: "E[g_B g_Bᵀ] = σₙ²H/B") exactly at θ* with homoscedastic noise (slope \(formula: "1"))" + (f.crossings.isEmpty ? "" : "; away from θ* the spread adds \(formula: "s²(1 + 1/B)h²"), which dominates above h_c") + (f.breaks ? ", and noise that grows with the input breaks the \"≈\" even at θ*." : ".")
            : "the simulated minibatch second moment at θ* does not match \(formula: "σₙ²h/B")."
        return ClaimDecision(claim: .c4, verdict: f.verdict, summary: summary, evidence: evidence)
    }

    /// The answer's row: the minibatch gradient's second moment at θ*, from the first set that has it.
    public static func answer(_ results: [StudyResults]) -> [RegimeLaw] {
        guard let f = results.lazy.compactMap(findings).first, let first = f.slopes.first else { return [] }
        return [RegimeLaw("a minibatch gradient at θ* (squared loss, homoscedastic noise)",
                          law: f.exact ? "the Gauss–Newton law, \(formula: "v = σₙ²h/B")" : "not the Gauss–Newton law",
                          measured: "slope of log v on log h \(RegimeLaw.brief(first.slope.estimate)) at B = \(label: first.batch)", claim: .c4)]
    }

    /// C4's rule reads the slope at θ* (spread 0) for the linear model with homoscedastic noise.
    public static func readiness(_ config: Config) -> Readiness? {
        Readiness(.c4, config, needs: "no cell has spread 0, model \"linear\" and noise \"homoscedastic\" with at least two distinct eigenvalues (T3's slope at θ* is read there)") {
            $0[spread] == 0 && $0[model] == .linear && $0[noise] == .homoscedastic && $0[spectrum].hasDistinctValues
        }
    }
}
