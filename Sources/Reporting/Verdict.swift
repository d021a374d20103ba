/// A claim of docs/SCIENCE.md §1: its label (C1–C5) and title.
public struct Claim: Sendable, Equatable {
    public let id: String
    public let title: String
    public init(_ id: String, _ title: String) { (self.id, self.title) = (id, title) }
}

/// A claim's verdict (docs/SCIENCE.md §1): the package's job is to decide each with numbers.
public enum Verdict: String, Sendable, Equatable {
    case holdsExactly = "holds exactly"
    case holdsUnderConditions = "holds under stated conditions"
    case fails = "fails"
    /// The folder holds no results that could decide the claim (the summary says which).
    case notApplicable = "not applicable"
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
    public var sentences: [Prose] { [summary] + evidence }
}
