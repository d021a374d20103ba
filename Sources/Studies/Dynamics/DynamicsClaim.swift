import MonteCarlo
import Reporting

/// C1, Adam as a diagonal Newton method, decided from `dynamics` (T5, T5′) and, where it was run,
/// a second file of the study (`dynamics-edge`: the adaptive methods over eight decades of
/// curvature).
///
/// The rule: a diagonal Newton method has the same effective step ηhᵢ/(√v̂ᵢ + ε) for every
/// coordinate. T5′ pins that ratio at the stability limit L = 2(1+β₁)/(1−β₁) only at the edge of
/// stability; there, the frozen-step iteration has eigenvalues −1 and −β₁ (marginally stable),
/// not a Newton step's 0. C1 holds under stated conditions if some coordinate's ratio is within
/// ``edgeTolerance`` of L at the largest β₂ run, and fails if none is.
extension Dynamics {
    public static let claim: Claim? = Claim("C1", "Adam is a diagonal Newton method")

    public struct Findings: Sendable {
        /// Per file and adaptive optimizer, at the file's largest β₂: ηh/(√v̂ + ε) at the smallest
        /// and the largest h, their ratio, the limit L, and how many coordinates lie within
        /// ``edgeTolerance`` of it.
        public var runs: [Run]
        public struct Run: Sendable {
            public var file: String, optimizer: String, beta2: String
            public var smallest: Finding, largest: Finding, factor: Finding, limit: Finding
            public var atEdge: Finding, coordinates: Finding
        }

        public var atEdge: Int { runs.reduce(0) { $0 + Int($1.atEdge.estimate) } }
        public var coordinates: Int { runs.reduce(0) { $0 + Int($1.coordinates.estimate) } }
        public var verdict: Verdict { atEdge > 0 ? .holdsUnderConditions : .fails }
    }

    /// What C1's rule reads from the diagonal files (``diagonalFiles(_:)``: the main run and the
    /// widest other); nil when none has `newton_ratio` rows.
    public static func findings(_ files: [StudyResults]) -> Findings? {
        var runs: [Findings.Run] = []
        for results in diagonalFiles(files).prefix(2) {
            guard let beta2 = results.values(of: "beta2").last else { continue }
            for optimizer in ["rmsprop", "adam"] {
                let ratios = results.rows("newton_ratio", ["optimizer": optimizer, "beta2": beta2]).sorted { ($0.index ?? 0) < ($1.index ?? 0) }
                guard let low = ratios.first, let high = ratios.last,
                      let cell = results.config?.cells.first(where: { $0[Self.optimizer].rawValue == optimizer }) else { continue }
                let limit = stabilityLimit(cell)
                let near = ratios.filter { abs($0.estimate / limit - 1) <= edgeTolerance }.count
                runs.append(.init(file: results.name, optimizer: optimizer, beta2: beta2, smallest: Finding(low), largest: Finding(high),
                                  factor: .derived(high.estimate / low.estimate, digits: 3), limit: .derived(limit),
                                  atEdge: .count(near), coordinates: .count(ratios.count)))
            }
        }
        return runs.isEmpty ? nil : Findings(runs: runs)
    }

    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        findings(results).map(render)
    }

    /// C1's findings as prose.
    public static func render(_ f: Findings) -> ClaimDecision {
        let evidence: [Prose] = f.runs.map { run in
            "\(run.optimizer == "adam" ? "Adam" : "RMSProp") in \(code: run.file) at β₂ = \(label: run.beta2): \(formula: "ηh/(√v̂ + ε)"), the step against Newton's \(formula: "1/h"), runs from \(run.smallest) at the smallest h to \(run.largest) at the largest, a factor \(run.factor); \(run.atEdge) of \(run.coordinates) coordinates within \(Finding.percent(edgeTolerance)) of the stability limit L = \(run.limit)."
        }
        let summary: Prose = f.atEdge > 0
            ? "only for the coordinates at the adaptive edge of stability (\(Finding.count(f.atEdge)) of \(Finding.count(f.coordinates)) here), where \(formula: "ηh/√v̂") is pinned near L and the iteration is marginally stable (eigenvalues \(formula: "−1") and −β₁), not a Newton step; elsewhere the ratio varies with h and Adam is no Newton method."
            : "no coordinate reaches the stability limit in these runs: \(formula: "ηh/(√v̂ + ε)") varies with h, so Adam's step is not a (scaled) Newton step anywhere here."
        return ClaimDecision(claim: claim!, verdict: f.verdict, summary: summary, evidence: evidence)
    }
}
