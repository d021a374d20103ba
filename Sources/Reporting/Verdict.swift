/// The claims the package decides: C1–C5 of docs/SCIENCE.md §1, and §5's question on real
/// networks. A study names the claim it decides, or adds evidence to, by case; REPORT.md lists
/// them in this order.
public enum Claim: String, CaseIterable, Sendable, Comparable {
    case c1 = "C1", c2 = "C2", c3 = "C3", c4 = "C4", c5 = "C5"
    case realNetworks = "§5"

    public var id: String { rawValue }

    public var title: String {
        switch self {
        case .c1: "Adam is a diagonal Newton method"
        case .c2: "Square-root law"
        case .c3: "β₂ ≫ β₁"
        case .c4: "Gauss–Newton law"
        case .c5: "AdaBelief"
        case .realNetworks: "Real networks: v̂ against M_B and exact curvature"
        }
    }

    public static func < (a: Claim, b: Claim) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A claim's verdict (docs/SCIENCE.md §1): the package's job is to decide each with numbers, and
/// the words tell the claims apart. Where the verdict is conditional, it carries the condition in
/// numbers; where the evidence cannot decide, what would.
public enum Verdict: Sendable, Equatable {
    /// The claim holds wherever the result sets tested it.
    case holds
    /// The claim holds only in the regime stated (which optimizer, which h/h_c, which β₂, in
    /// numbers), and fails outside it.
    case holdsInRegime(Prose)
    /// The result sets contradict the claim.
    case fails
    /// The numbers here cannot decide the claim; the prose says what would.
    case undecided(Prose)
    /// The folder holds no results that bear on the claim (the summary says which would).
    case notApplicable

    /// The verdict's name, as REPORT.md's table prints it.
    public var name: String {
        switch self {
        case .holds: "holds"
        case .holdsInRegime: "holds in a regime"
        case .fails: "fails"
        case .undecided: "undecided"
        case .notApplicable: "not applicable"
        }
    }

    /// The regime stated with `holdsInRegime`, or what would decide an `undecided` claim.
    public var condition: Prose? {
        switch self {
        case .holdsInRegime(let p), .undecided(let p): p
        default: nil
        }
    }

    /// What follows the verdict's name where it is stated in full: " (the regime)" or
    /// " (what would decide it: …)"; empty otherwise.
    public var qualifier: String {
        switch self {
        case .holdsInRegime(let regime): " (\(regime))"
        case .undecided(let needed): " (what would decide it: \(needed))"
        default: ""
        }
    }

    /// Whether the verdict decides the claim (holds, in a regime or not, or fails).
    public var decides: Bool {
        switch self {
        case .holds, .holdsInRegime, .fails: true
        case .undecided, .notApplicable: false
        }
    }
}

/// The decision on one claim, rendered: the verdict, the sentences that state the numbers that
/// decide it (every number a ``Finding``), where to look.
public struct ClaimDecision: Sendable {
    public var claim: Claim
    public var verdict: Verdict
    /// One sentence: when the claim holds, and when it does not.
    public var summary: Prose
    /// The deciding numbers, each with its MCSE and closed form.
    public var evidence: [Prose]
    /// The results files (stems) it was decided from; the report shows their tables and figures.
    public var tables: [String]

    public init(claim: Claim, verdict: Verdict, summary: Prose, evidence: [Prose], tables: [String] = []) {
        (self.claim, self.verdict, self.summary, self.evidence, self.tables) = (claim, verdict, summary, evidence, tables)
    }

    /// Every sentence of the decision.
    public var sentences: [Prose] { [summary] + (verdict.condition.map { [$0] } ?? []) + evidence }

    /// One decision from each result set's own (`decided`, by file stem, in the order read):
    /// every set is named, and whether they agree is said. One set decides alone. Several:
    /// - sets that cannot decide (undecided) do not outweigh sets that can;
    /// - when every deciding set holds, the claim holds; when every one fails, it fails;
    /// - otherwise it holds in a regime: the regimes of the sets where it holds, each named, and
    ///   the sets where it fails named as outside it;
    /// - when no set decides, it is undecided, with what would decide each.
    /// Each set's verdict and evidence follow under its name.
    public static func combining(_ claim: Claim, _ decided: [(file: String, decision: ClaimDecision)]) -> ClaimDecision? {
        guard let first = decided.first else { return nil }
        guard decided.count > 1 else {
            var only = first.decision
            only.tables = [first.file]
            return only
        }
        let deciding = decided.filter { $0.decision.verdict.decides }
        let holding = deciding.filter { $0.decision.verdict != .fails }, failing = deciding.filter { $0.decision.verdict == .fails }
        func named(_ sets: [(file: String, decision: ClaimDecision)], _ part: (Verdict) -> Prose?) -> [Prose] {
            sets.map { d -> Prose in
                guard let text = part(d.decision.verdict) else { return "\(code: d.file)" }
                return "\(code: d.file): " + text
            }
        }
        let verdict: Verdict
        if deciding.isEmpty {
            verdict = .undecided(Prose.joined(named(decided, \.condition), separator: "; "))
        } else if failing.isEmpty && holding.allSatisfy({ $0.decision.verdict == .holds }) {
            verdict = .holds
        } else if holding.isEmpty {
            verdict = .fails
        } else {
            var regime = Prose.joined(named(holding) { $0.condition ?? "holds" }, separator: "; ")
            if !failing.isEmpty { regime += "; it fails in " + Prose.joined(named(failing) { _ in nil }) }
            verdict = .holdsInRegime(regime)
        }
        let summarising = (holding.first ?? failing.first ?? first).decision
        let list = Prose.joined(decided.map { d -> Prose in "\(code: d.file) \(label: d.decision.verdict.name)" }, separator: "; ")
        let alike = Set(decided.map(\.decision.verdict.name)).count == 1
        var evidence: [Prose] = [(alike ? "The \(Finding.count(decided.count)) result sets decide alike: " : "The \(Finding.count(decided.count)) result sets disagree: ") + list + "."]
        for (file, decision) in decided {
            var heading: Prose = "In \(code: file), \(label: decision.verdict.name)"
            if decision.summary != summarising.summary { heading += ": \(decision.summary)" } else { heading += "." }
            evidence.append(heading)
            evidence += decision.evidence
        }
        return ClaimDecision(claim: claim, verdict: verdict, summary: summarising.summary, evidence: evidence, tables: decided.map(\.file))
    }
}
