import MonteCarlo
import Testing

/// ``SeedSequence``: distinct, non-zero 32-bit seeds per (cell, replication), reproducible.
struct SeedSequenceTests {
    /// The inverse of MurmurHash3's fmix32, to show that the mixer is a bijection (every step
    /// is invertible: xorshifts undone by repeated shifts, odd multipliers by their inverses
    /// modulo 2³²).
    static func inverseFmix32(_ value: UInt32) -> UInt32 {
        func unshift(_ x: UInt32, _ s: UInt32) -> UInt32 {
            var y = x
            var shift = s
            while shift < 32 { y = x ^ (y >> s); shift += s }
            return y
        }
        func inverse(_ a: UInt32) -> UInt32 {  // Newton's iteration for a⁻¹ mod 2³²
            var x = a
            for _ in 0..<5 { x = x &* (2 &- a &* x) }
            return x
        }
        var h = unshift(value, 16)
        h = h &* inverse(0xc2b2_ae35)
        h = unshift(h, 13)
        h = h &* inverse(0x85eb_ca6b)
        return unshift(h, 16)
    }

    @Test func mixerIsABijection() {
        var x: UInt32 = 0x1234_5678
        for _ in 0..<100_000 {
            #expect(Self.inverseFmix32(SeedSequence.fmix32(x)) == x)
            x = x &* 2_654_435_761 &+ 1
        }
    }

    @Test func seedsAreDistinctAndNonZeroAcrossARun() {
        // 1024 cells × (1000 + 1) streams: about a million seeds, all distinct, none zero.
        let seeds = SeedSequence(root: 20_241_129)
        var seen = Set<UInt32>(minimumCapacity: 1_030_000)
        for cell in 0..<1024 {
            for replication in -1..<1000 {
                let seed = seeds.seed(cell: cell, replication: replication, replications: 1000)
                #expect(seed != 0)
                seen.insert(seed)
            }
        }
        #expect(seen.count == 1024 * 1001)
    }

    /// The seed of stream n, recomputed from its definition with a SplitMix64 written here from
    /// Vigna's reference: keys k₁, k₂ the low and high halves of SplitMix64(root), seed =
    /// fmix32(fmix32(n ⊕ k₁) ⊕ k₂) (when that is not 0).
    @Test func seedsFollowTheirDefinition() {
        func splitMix64(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for root: UInt64 in [0, 1, 20_241_129, 0xFFFF_FFFF_FFFF_FFFF] {
            let mixed = splitMix64(root)
            let (k1, k2) = (UInt32(truncatingIfNeeded: mixed), UInt32(truncatingIfNeeded: mixed >> 32))
            let seeds = SeedSequence(root: root)
            for n: UInt32 in [1, 2, 3, 1000, 0xFFFF_FFFF] {
                let expected = SeedSequence.fmix32(SeedSequence.fmix32(n ^ k1) ^ k2)
                if expected != 0 { #expect(seeds.seed(stream: n) == expected, "root \(root), stream \(n)") }
            }
        }
    }

    @Test func streamNumbersFollowTheDocumentedFormula() {
        #expect(SeedSequence.streamNumber(cell: 0, replication: -1, replications: 5) == 1)
        #expect(SeedSequence.streamNumber(cell: 0, replication: 0, replications: 5) == 2)
        #expect(SeedSequence.streamNumber(cell: 2, replication: 4, replications: 5) == 1 + 2 * 6 + 5)
    }

    @Test func seedsDependOnTheRootAndAreReproducible() {
        let a = SeedSequence(root: 1), b = SeedSequence(root: 2)
        let first = (1...100).map { a.seed(stream: UInt32($0)) }
        #expect(first == (1...100).map { SeedSequence(root: 1).seed(stream: UInt32($0)) })
        #expect(first != (1...100).map { b.seed(stream: UInt32($0)) })
    }
}
