/// A claim's verdict (STUDIES.md §1): the package's job is to decide each with numbers.
public enum Verdict: String, Sendable, Equatable {
    case holdsExactly = "holds exactly"
    case holdsUnderConditions = "holds under stated conditions"
    case fails = "fails"
    /// The folder holds no results that could decide the claim (the summary says which).
    case notApplicable = "not applicable"
}

/// The decision on one claim: the verdict, the numbers that decide it, where to look.
public struct ClaimDecision: Sendable {
    public var claim: String
    public var title: String
    public var verdict: Verdict
    /// One sentence: when the claim holds, and when it does not.
    public var summary: String
    /// The deciding numbers, each with its MCSE and closed form.
    public var evidence: [String]
    /// Figures (file names under `figures/`) and tables (result stems) that show it.
    public var figures: [String]
    public var tables: [String]
}
