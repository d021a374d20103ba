import GSL

/// How many estimates lie beyond ``bound`` MCSE of their exact theory, against the number chance
/// alone puts there (docs/SCIENCE.md, "How agreement is decided").
///
/// With R replications, (estimate − theory)/MCSE follows Student's t with ν = R − 1 degrees of
/// freedom when both sides are right, so each row crosses the bound by chance with probability
/// p = P(|t_ν| > 4): 0.010 at R = 6, 3.7·10⁻⁴ at R = 32, 6.6·10⁻⁵ at R = 2000. Of n rows, the
/// number beyond is then Binomial(n, p) if the rows are independent, and a count k is more than
/// chance when P(X ≥ k) < ``significance``. A fixed share ("99% within") is no rule: with R = 6
/// it fails a correct table of 80 rows more often than not, with R = 2000 it passes a wrong one.
///
/// Rows of one cell share their replications and so are not independent. Positive correlation
/// widens the count's spread beyond the binomial's, so the binomial p-value is then the smaller
/// one: the rule may call a correct set wrong more often than it says, never a wrong set right
/// more easily.
public struct Exceedances: Sendable, Equatable {
    /// The bound in MCSE every table and rule holds an exact theory to: 4.
    public static let bound = 4.0
    /// A count is more than chance when P(X ≥ k) falls below this: 10⁻³, so that a correct
    /// result set is called wrong by chance once in a thousand reports per rule.
    public static let significance = 1e-3

    /// Rows beyond the bound, and rows with an exact theory and a positive MCSE.
    public let beyond: Int, scored: Int
    /// The smallest ν = R − 1 among the scored rows that say their R (nil when none does: then the
    /// normal limit), and the chance p that one row crosses the bound at that ν: the largest
    /// per-row chance, so the binomial tail bounds the count's true tail from above.
    public let degreesOfFreedom: Int?
    public let chance: Double

    /// From each scored row's z = (estimate − theory)/MCSE and its replications R (nil when
    /// unknown). Rows with R = 1 have no MCSE and are not scored.
    public init(_ rows: [(z: Double, replications: Int?)]) {
        let scored = rows.filter { ($0.replications ?? 2) >= 2 }
        self.scored = scored.count
        beyond = scored.filter { abs($0.z) > Self.bound }.count
        let smallest = scored.compactMap(\.replications).min()
        degreesOfFreedom = smallest.map { $0 - 1 }
        chance = smallest.map(Self.chance(replications:)) ?? StudentT.twoSidedNormalTail(Self.bound)
    }

    /// P(|t_(R−1)| > 4): the chance that a correct estimate over R replications lies beyond the
    /// bound.
    public static func chance(replications: Int) -> Double {
        StudentT.twoSidedTail(bound, degreesOfFreedom: replications - 1)
    }

    /// The rows within the bound.
    public var within: Int { scored - beyond }
    /// n·p: how many rows chance alone puts beyond the bound.
    public var expected: Double { Double(scored) * chance }
    /// P(X ≥ beyond) for X ~ Binomial(scored, chance): how often chance alone puts this many
    /// rows, or more, beyond the bound.
    public var pValue: Double { Binomial.upperTail(atLeast: beyond, trials: scored, probability: chance) }
    /// Whether the count is what chance gives (p-value ≥ ``significance``): the rows agree with
    /// their theory as a set.
    public var withinChance: Bool { pValue >= Self.significance }
}
