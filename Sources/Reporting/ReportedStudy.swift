import MonteCarlo

/// A study with its own report code: the figures of a results file it made and, where it tests
/// one, the decision on a claim of docs/SCIENCE.md §1. Adding a study is one folder (the study,
/// its figures, its claim) and one line in the registry.
public protocol ReportedStudy: Study {
    /// The figures of `results`, a results file whose manifest names this study, each named
    /// after the file (`results.name`, or `results.name-SUFFIX` when there are several).
    static func figures(_ results: StudyResults) -> [Figure]

    /// The claim this study's results decide, if any.
    static var claim: Claim? { get }

    /// The decision on ``claim`` from the results files whose manifests name this study, the one
    /// named like the study first (a rule may read a second as a wider run): the rule decides
    /// typed findings, a renderer writes them as prose. Nil when the files lack what the rule
    /// reads.
    static func decide(_ results: [StudyResults]) -> ClaimDecision?

    /// Sentences this study's files add to claims that other studies decide, by claim id (the
    /// rotated noisy quadratic model's T8 under C2, say): evidence beside the deciding study's,
    /// which does not change its verdict. Every number a finding, as in ``decide(_:)``.
    static func contributions(_ results: [StudyResults]) -> [String: [Prose]]
}

extension ReportedStudy {
    public static func figures(_ results: StudyResults) -> [Figure] { [] }
    public static var claim: Claim? { nil }
    public static func decide(_ results: [StudyResults]) -> ClaimDecision? { nil }
    public static func contributions(_ results: [StudyResults]) -> [String: [Prose]] { [:] }
}
