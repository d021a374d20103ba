/// Derives every random stream of a run from one root seed.
///
/// numpy.random's SeedSequence idea, fitted to GSL: `gsl_rng_set` takes 32 bits, and
/// most generators treat seed 0 as a default (MT19937 replaces it by 4357, taus2 by 1), so seeds
/// must be distinct non-zero 32-bit words. Streams are numbered per (cell, replication):
///
///     n(c, r) = 1 + c·(R + 1) + (r + 1),   r = −1 for the cell's design stream, 0 ≤ r < R,
///
/// and stream n gets seed(n) = Pₖ(n), where Pₖ is a permutation of the 32-bit words keyed by
/// the root seed, restricted to the non-zero words by cycle-walking (if Pₖ(x) = 0, apply Pₖ
/// again). A restricted permutation is a bijection of {1, …, 2³² − 1}, so **no two streams of
/// a run share a seed** as long as C·(R + 1) < 2³² − 1, and any single replication can be
/// re-run alone from (root, c, r).
///
/// Pₖ(x) = f(f(x ⊕ k₁) ⊕ k₂), with f MurmurHash3's 32-bit finaliser (an invertible avalanche
/// mixer) and (k₁, k₂) the two halves of SplitMix64(root).
public struct SeedSequence: Sendable, Hashable {
    /// The root seed of the run (the config's `seed`).
    public let root: UInt64
    private let key1: UInt32
    private let key2: UInt32

    public init(root: UInt64) {
        self.root = root
        let mixed = SeedSequence.splitMix64(root)
        key1 = UInt32(truncatingIfNeeded: mixed)
        key2 = UInt32(truncatingIfNeeded: mixed >> 32)
    }

    /// The number of distinct streams available: 2³² − 1.
    public static let capacity = Int(UInt32.max)

    /// How many streams a run of `cells` cells and `replications` replications uses.
    public static func streamCount(cells: Int, replications: Int) -> Int {
        let (perCell, o1) = replications.addingReportingOverflow(1)
        let (total, o2) = cells.multipliedReportingOverflow(by: perCell)
        return o1 || o2 ? Int.max : total
    }

    /// The stream number n(c, r); `replication` −1 is the cell's design stream.
    public static func streamNumber(cell: Int, replication: Int, replications: Int) -> UInt32 {
        precondition(replication >= -1 && replication < replications)
        let n = 1 + cell * (replications + 1) + (replication + 1)
        precondition(n <= capacity, "more streams than 32-bit seeds")
        return UInt32(n)
    }

    /// The 32-bit seed of stream `number` (1 ≤ number ≤ 2³² − 1): never 0, distinct per number.
    public func seed(stream number: UInt32) -> UInt32 {
        precondition(number != 0)
        var x = permute(number)
        while x == 0 { x = permute(x) }
        return x
    }

    /// The seed of replication `replication` (−1: design) of cell `cell`.
    public func seed(cell: Int, replication: Int, replications: Int) -> UInt32 {
        seed(stream: SeedSequence.streamNumber(cell: cell, replication: replication, replications: replications))
    }

    private func permute(_ x: UInt32) -> UInt32 {
        SeedSequence.fmix32(SeedSequence.fmix32(x ^ key1) ^ key2)
    }

    /// MurmurHash3's finaliser: a bijection of the 32-bit words (each step is invertible).
    public static func fmix32(_ value: UInt32) -> UInt32 {
        var h = value
        h ^= h >> 16
        h &*= 0x85eb_ca6b
        h ^= h >> 13
        h &*= 0xc2b2_ae35
        h ^= h >> 16
        return h
    }

    /// SplitMix64's output function (Steele, Lea & Flood 2014) applied to one state.
    static func splitMix64(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
