import MonteCarlo

/// A study with its own report code: the figures of a results file it made and, where it tests
/// one, the decision on a claim, and its rows of the answer that opens REPORT.md. Adding a study
/// is one folder (the study, its figures, its claim) and one line in the registry; the report
/// itself names no study.
public protocol ReportedStudy: Study {
    /// The figures of `results`, a results file whose manifest names this study, each named
    /// after the file (`results.name`, or `results.name-SUFFIX` when there are several).
    static func figures(_ results: StudyResults) -> [Figure]

    /// The claim this study's results decide, if any.
    static var claim: Claim? { get }

    /// The decision on ``claim`` from the results files whose manifests name this study, the one
    /// named like the study first: every file that bears on the claim's rule is decided and named
    /// (``ClaimDecision/combining(_:_:)``), a file that only widens the evidence (a second
    /// regime) joins each. The rule decides typed findings, a renderer writes them as prose. Nil
    /// when no file holds what the rule reads.
    static func decide(_ results: [StudyResults]) -> ClaimDecision?

    /// Sentences this study's files add to claims that other studies decide (the rotated noisy
    /// quadratic model's T8 under C2, say): evidence beside the deciding study's, which does not
    /// change its verdict. Every number a finding, as in ``decide(_:)``.
    static func contributions(_ results: [StudyResults]) -> [Claim: [Prose]]

    /// This study's rows of the regime → law table that opens REPORT.md: which law v follows
    /// where, from this study's files, at most a few rows.
    static func answer(_ results: [StudyResults]) -> [RegimeLaw]

    /// Whether a config of this study can decide its ``claim`` (`hessian-study check`): the cells
    /// the rule reads are there, or what is missing. Nil for a study that decides no claim.
    static func readiness(_ config: Config) -> Readiness?
}

extension ReportedStudy {
    public static func figures(_ results: StudyResults) -> [Figure] { [] }
    public static var claim: Claim? { nil }
    public static func decide(_ results: [StudyResults]) -> ClaimDecision? { nil }
    public static func contributions(_ results: [StudyResults]) -> [Claim: [Prose]] { [:] }
    public static func answer(_ results: [StudyResults]) -> [RegimeLaw] { [] }
    public static func readiness(_ config: Config) -> Readiness? { nil }
}

/// A row of the answer that opens REPORT.md: in this regime, v follows this law, by this number
/// (to three significant digits; the claim's section gives it in full, with its MCSE).
public struct RegimeLaw: Sendable {
    /// Where: the optimizer, the curvature against h_c, β₂, the assumption on δ, in words and numbers.
    public var regime: Prose
    /// The law v follows there.
    public var law: Prose
    /// The number that shows it.
    public var measured: Prose
    /// The section that decides it.
    public var claim: Claim

    public init(_ regime: Prose, law: Prose, measured: Prose, claim: Claim) {
        (self.regime, self.law, self.measured, self.claim) = (regime, law, measured, claim)
    }

    /// An estimate to the table's precision: three significant digits.
    public static func brief(_ x: Double) -> Finding { .derived(x, digits: 3) }
    /// A fraction as a percentage to the table's precision.
    public static func briefPercent(_ x: Double) -> Finding { Finding(estimate: x, form: .significantPercent(digits: 3)) }
}
