import MonteCarlo
import Testing

struct BlockedSummationTests {
    /// 10⁸ terms of 0.1 sum to 10⁷. Added one by one the sum drifts by about 2·10⁻⁹ (relative);
    /// blocked it stays within (4096 + 10⁸/4096)·ε ≈ 3·10⁻¹² of the answer.
    @Test func hundredMillionTermsKeepTheirSum() {
        let n = 100_000_000
        var block = [0.0], total = [0.0], naive = 0.0
        block.withUnsafeMutableBufferPointer { block in
            total.withUnsafeMutableBufferPointer { total in
                for k in 1...n {
                    block[0] += 0.1
                    naive += 0.1
                    if BlockedSummation.closesBlock(k) { BlockedSummation.fold(block, into: total) }
                }
                BlockedSummation.fold(block, into: total)
            }
        }
        let exact = 1e7
        #expect(abs(total[0] - exact) / exact < 1e-11, "blocked: \(total[0])")
        #expect(abs(naive - exact) / exact > 1e-10, "the naive sum drifts (so the test can tell): \(naive)")
    }
}
