import MonteCarlo

/// What `hessian-study check` says of a config before it runs: for the claim its study decides,
/// whether the config's cells hold what the rule reads, and if not what is missing; and what R
/// does to the rule's 4-MCSE tests.
public struct Readiness: Sendable {
    public var claim: Claim
    /// Nil when the config can decide the claim; else what it lacks, in words (a parameter value
    /// no cell has, a spectrum too narrow).
    public var missing: String?

    public init(_ claim: Claim, missing: String? = nil) { (self.claim, self.missing) = (claim, missing) }

    /// Ready when some cell satisfies `holds`; else missing `what`.
    public init(_ claim: Claim, _ config: Config, needs what: String, _ holds: (Cell) -> Bool) {
        self.init(claim, missing: config.cells.contains(where: holds) ? nil : what)
    }

    /// The line `check` prints: "C2 Square-root law: can be decided; …" with R's effect on the
    /// 4-MCSE tests: with R = 1 there is no MCSE, so nothing can be decided; with a small R a
    /// single estimate crosses 4 MCSE by chance often, which the line states.
    public func line(replications: Int) -> String {
        let head = "\(claim.id) \(claim.title): "
        if let missing { return head + "cannot be decided: " + missing }
        guard replications > 1 else { return head + "cannot be decided: with 1 replication no estimate has an MCSE; give replications ≥ 2" }
        let chance = Exceedances.chance(replications: replications)
        var text = head + "can be decided"
        if chance > Self.tolerableChance {
            let enough = (replications...).first { Exceedances.chance(replications: $0) <= Self.tolerableChance }!
            text += "; but at R = \(replications) a single estimate lies beyond 4 MCSE of a correct theory by chance with probability \(EstimateText.significant(chance, digits: 2)) (R ≥ \(enough) brings it to \(EstimateText.significant(Self.tolerableChance, digits: 1)) or less)"
        }
        return text
    }

    /// The chance `check` lets a single 4-MCSE test fail a correct theory without a word: 1%.
    public static let tolerableChance = 0.01
}
