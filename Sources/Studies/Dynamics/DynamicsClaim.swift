import MonteCarlo
import Reporting

/// C1, Adam as a diagonal Newton method, decided from the diagonal `dynamics` sets (T5, T5′),
/// each on its own.
///
/// The rule: a diagonal Newton method has the same effective step ηhᵢ/(√v̂ᵢ + ε) for every
/// coordinate (Newton's is 1). T5′ pins that ratio only at the adaptive edge of stability, at
/// L = 2(1+β₁)/(1−β₁), not at 1, and there the frozen-step iteration has eigenvalues −1 and −β₁
/// (marginally stable), not a Newton step's 0. So in a set, at its largest β₂ and per adaptive
/// optimizer: the claim holds in a regime, stated as the coordinates within ``edgeTolerance`` of
/// L (how many, from which h and h/h_c up), when any coordinate is there; it fails when none is,
/// for every optimizer of the set.
extension Dynamics {
    public static let claim: Claim? = .c1

    public struct Findings: Sendable {
        /// Per adaptive optimizer, at the set's largest β₂: ηh/(√v̂ + ε) at the smallest and the
        /// largest h, their ratio, the limit L, and the coordinates within ``edgeTolerance`` of it:
        /// how many, and the smallest h among them with its h/h_c.
        public var runs: [Run]
        public struct Run: Sendable {
            public var optimizer: String, beta2: String
            public var smallest: Finding, largest: Finding, factor: Finding, limit: Finding
            public var atEdge: Finding, coordinates: Finding
            public var edgeFrom: Finding?, edgeFromOverCrossover: Finding?
            public var name: String { optimizer == "adam" ? "Adam" : "RMSProp" }
        }

        public var atEdge: Int { runs.reduce(0) { $0 + Int($1.atEdge.estimate) } }
        public var verdict: Verdict {
            let pinned = runs.filter { $0.atEdge.estimate > 0 }
            guard !pinned.isEmpty else { return .fails }
            return .holdsInRegime("at the adaptive edge of stability: "
                + Prose.joined(runs.map { run in
                    guard run.atEdge.estimate > 0 else { return "\(label: run.name) at β₂ = \(label: run.beta2), none of \(run.coordinates) coordinates" }
                    var text: Prose = "\(label: run.name) at β₂ = \(label: run.beta2), \(run.atEdge) of \(run.coordinates) coordinates"
                    if let from = run.edgeFrom { text += " (h ≥ \(from)" + (run.edgeFromOverCrossover.map { ", h/h_c ≥ \($0)" } ?? "") + ")" }
                    return text
                }, separator: "; "))
        }
    }

    /// What C1's rule reads from one diagonal set (``isDiagonal(_:)``); nil when it has no
    /// `newton_ratio` rows.
    public static func findings(_ results: StudyResults) -> Findings? {
        guard isDiagonal(results), let top = results.values(of: beta2).last else { return nil }
        let h = Figure.spectrum(results, spectrum)
        var runs: [Findings.Run] = []
        for name in [Optimizer.rmsprop, .adam] {
            let ratios = results.rows(Quantities.newtonRatio, optimizer.is(name), beta2.is(top)).sorted { ($0.index ?? 0) < ($1.index ?? 0) }
            guard let low = ratios.first, let high = ratios.last,
                  let cell = results.config?.cells.first(where: { $0[optimizer] == name }) else { continue }
            let limit = stabilityLimit(cell)
            let near = ratios.filter { abs($0.estimate / limit - 1) <= edgeTolerance }
            var run = Findings.Run(optimizer: name.rawValue, beta2: format(top), smallest: Finding(low), largest: Finding(high),
                                   factor: .derived(high.estimate / low.estimate, digits: 3), limit: .derived(limit),
                                   atEdge: .count(near.count), coordinates: .count(ratios.count))
            if let h, let first = near.compactMap(\.index).min(), h.indices.contains(first) {
                run.edgeFrom = .derived(h[first], digits: 3)
                if let hc = results.scalar(Quantities.hC, optimizer.is(name), beta2.is(top)), hc.estimate > 0 {
                    run.edgeFromOverCrossover = .derived(h[first] / hc.estimate, digits: 3)
                }
            }
            runs.append(run)
        }
        return runs.isEmpty ? nil : Findings(runs: runs)
    }

    /// Each diagonal set decided on its own, and all named.
    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        ClaimDecision.combining(.c1, results.compactMap { r in findings(r).map { (r.name, render($0)) } })
    }

    /// C1's findings as prose.
    public static func render(_ f: Findings) -> ClaimDecision {
        let evidence: [Prose] = f.runs.map { run in
            "\(label: run.name) at β₂ = \(label: run.beta2): \(formula: "ηh/(√v̂ + ε)"), the step against Newton's \(formula: "1/h"), runs from \(run.smallest) at the smallest h to \(run.largest) at the largest, a factor \(run.factor); \(run.atEdge) of \(run.coordinates) coordinates within \(Finding.percent(edgeTolerance)) of the stability limit L = \(run.limit)."
        }
        let summary: Prose = f.atEdge > 0
            ? "the step \(formula: "ηh/(√v̂ + ε)") is the same for every coordinate only at the adaptive edge of stability, and only as a Newton step scaled by L, not Newton's \(formula: "1"): there it is pinned near L and the iteration is marginally stable (eigenvalues \(formula: "−1") and −β₁); elsewhere it varies with h, and Adam is no Newton method."
            : "no coordinate reaches the stability limit in these runs: \(formula: "ηh/(√v̂ + ε)") varies with h, so Adam's step is not a (scaled) Newton step anywhere here."
        return ClaimDecision(claim: .c1, verdict: f.verdict, summary: summary, evidence: evidence)
    }

    /// C1's rule reads RMSProp or Adam on the diagonal model with noise along H.
    public static func readiness(_ config: Config) -> Readiness? {
        Readiness(.c1, config, needs: "no cell runs rmsprop or adam with rotation \"none\" and noise \"hessian\" (C1 reads the diagonal model's newton_ratio there; rotated or decoupled-noise runs add evidence to C2 and C4 instead)") {
            [.rmsprop, .adam].contains($0[optimizer]) && $0[rotation] == .none && $0[noise] == .hessian
        }
    }
}
