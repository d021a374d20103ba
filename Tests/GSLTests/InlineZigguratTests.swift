import GSL
import Testing

/// CZiggurat draws taus2's ziggurat fast path inline; what it returns must be GSL's own draws.
struct InlineZigguratTests {
    /// The inline path is in use here: GSL's ziggurat tables were read and reproduced. If this
    /// fails, draws are still right (GSL's routine makes them) but about 1.7× slower.
    @Test func tausDrawsAreInline() {
        #expect(RandomStream.drawsInline)
    }

    /// `fillGaussian` against one `gsl_ran_gaussian_ziggurat` call per draw, bit for bit, over
    /// 4·10⁶ draws in buffers of uneven sizes (so that the state carries across calls), and the
    /// stream's state after them: the next uniform agrees. The draws reach the slow path (about
    /// 1% of them) and the tail beyond the last strip (|x| > 3.44, about 2,300 draws), both made
    /// by GSL from the state the inline path hands back.
    @Test(arguments: Generator.allCases)
    func filledDrawsAreGSLsDrawsBitForBit(generator: Generator) throws {
        for seed: UInt32 in [1, 20_261_125, .max] {
            let filled = try RandomStream(generator, seed: seed), called = try RandomStream(generator, seed: seed)
            let sizes = [0, 1, 7, 256, 1_000_003, 2_998_733]
            var tail = 0, differing = 0
            for size in sizes {
                var buffer = [Double](repeating: .nan, count: size)
                buffer.withUnsafeMutableBufferPointer { filled.fillGaussian($0) }
                for x in buffer {
                    if x.bitPattern != called.gaussian().bitPattern { differing += 1 }
                    if abs(x) > 3.442_619_855_899 { tail += 1 }
                }
            }
            #expect(differing == 0, "\(generator), seed \(seed)")
            #expect(filled.uniform() == called.uniform(), "\(generator), seed \(seed): the states differ after the draws")
            #expect(tail > 1_000, "\(generator), seed \(seed): the tail was drawn \(tail) times")
        }
    }
}
