import MonteCarlo
import Reporting

/// C4, the Gauss–Newton law, decided from `gauss-newton` (T3) and, where it was run, a second
/// file of the study (`gauss-newton-beyond`: heteroscedastic noise, a tanh model).
extension GaussNewton {
    public static let claim: Claim? = Claim("C4", "Gauss–Newton law")

    public struct Findings: Sendable {
        /// At θ* (s = 0): the slope of log v on log h per batch (T3: 1), and whether every
        /// `gn_ratio` row agrees with 1.
        public var slopes: [(batch: String, slope: Finding)]
        public var ratiosAgree: Bool
        /// At the largest spread s run: per batch, the crossover h_c and the local slope at the largest h.
        public var spread: String?
        public var crossings: [(batch: String, crossover: Finding, topSlope: Finding)]
        /// From the wider file: the largest `gn_ratio` under heteroscedastic noise at θ*, and the
        /// tanh model's slope away from θ*.
        public var heteroscedastic: Finding?
        public var tanhSlope: Finding?

        /// T3 holds at θ* when every slope and every `gn_ratio` agrees within its bound.
        public var exact: Bool { slopes.allSatisfy { $0.slope.agrees } && ratiosAgree }
        /// Heteroscedastic noise breaks the law when its ratio exceeds 1 by more than the bound.
        public var breaks: Bool {
            heteroscedastic.map { $0.estimate > 1 + agreementBound * ($0.mcse ?? 0) } ?? false
        }
        public var verdict: Verdict { exact ? .holdsUnderConditions : .fails }
    }

    /// What C4's rule reads; nil without slopes at θ*.
    public static func findings(_ r: StudyResults, beyond: StudyResults?) -> Findings? {
        let atOptimum = r.rows("slope", ["spread": "0"])
        guard !atOptimum.isEmpty else { return nil }
        var f = Findings(slopes: atOptimum.map { ($0.grid["batch"] ?? "", Finding($0)) },
                         ratiosAgree: r.rows("gn_ratio", ["spread": "0"]).allSatisfy(\.agrees),
                         spread: r.values(of: "spread").filter { $0 != "0" }.last, crossings: [])
        if let largest = f.spread {
            for row in r.rows("h_c", ["spread": largest]) {
                let batch = row.grid["batch"] ?? ""
                if let top = r.rows("local_slope", ["spread": largest, "batch": batch]).max(by: { ($0.index ?? 0) < ($1.index ?? 0) }) {
                    f.crossings.append((batch, Finding(row), Finding(top)))
                }
            }
        }
        if let beyond {
            f.heteroscedastic = beyond.rows("gn_ratio", ["model": "linear", "noise": "heteroscedastic", "spread": "0"])
                .max(by: { $0.estimate < $1.estimate }).map { Finding($0) }
            f.tanhSlope = beyond.scalar("slope", ["model": "tanh", "noise": "homoscedastic", "spread": beyond.values(of: "spread").last ?? ""]).map { Finding($0) }
        }
        return f
    }

    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        results.first.flatMap { findings($0, beyond: results.dropFirst().first) }.map(render)
    }

    /// C4's findings as prose.
    public static func render(_ f: Findings) -> ClaimDecision {
        var evidence: [Prose] = f.slopes.map { "At θ* (\(formula: "s = 0")), B = \(label: $0.batch): slope \($0.slope)." }
        for c in f.crossings {
            evidence.append("Away from θ* (s = \(label: f.spread ?? ""), B = \(label: c.batch)): the terms cross at h_c = \(c.crossover); the local slope at the largest h is \(c.topSlope), on its way to the square-root law's \(formula: "2").")
        }
        if let hetero = f.heteroscedastic {
            evidence.append("Heteroscedastic noise \(formula: "Var(ε | x) ∝ ‖x‖²"): \(formula: "E[J r rᵀ Jᵀ] ≠ σ̄²E[JJᵀ]"), v is up to \(hetero) times \(formula: "σₙ²E[JJᵀ]/B"), an h² term that mimics the square-root law.")
        }
        if let tanh = f.tanhSlope {
            evidence.append("\(formula: "tanh(θᵀx)") away from θ*: slope \(tanh), with no closed form; at θ* the law holds exactly for any model (\(formula: "gn_ratio = 1")).")
        }
        let summary: Prose = f.exact
            ? "\(formula: "E[g_B g_Bᵀ] = σₙ²H/B") exactly at θ* with homoscedastic noise (slope \(formula: "1")); away from θ* the spread adds \(formula: "s²(1 + 1/B)h²"), which dominates above h_c" + (f.breaks ? ", and noise that grows with the input breaks the \"≈\" even at θ*." : ".")
            : "the simulated minibatch second moment at θ* does not match \(formula: "σₙ²h/B")."
        return ClaimDecision(claim: claim!, verdict: f.verdict, summary: summary, evidence: evidence)
    }
}
