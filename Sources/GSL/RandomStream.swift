import CGSL
import CZiggurat

/// A GSL bit generator. numpy.random's split: the generator makes bits, ``RandomStream`` owns
/// one generator's state, and the distributions draw from a stream.
public enum Generator: String, CaseIterable, Sendable {
    /// Mersenne Twister MT19937 (GSL's own default): period 2¹⁹⁹³⁷ − 1.
    case mt19937
    /// L'Ecuyer's maximally equidistributed combined Tausworthe generator (1996, taus2 with
    /// GSL's improved seeding): period 2⁸⁸, three words of state.
    case taus2
    /// RANLUX at luxury level 2, double precision: slow, decorrelated to the last bit.
    case ranlxd2

    /// The package's default: taus2. Every study is bound by normal draws, and on taus2 the
    /// ziggurat's fast path is drawn inline (CZiggurat): about 390 M draws/s a core, against about
    /// 240 M/s through GSL's routine (measured here). taus2 and MT19937 are both linear over
    /// GF(2) and fail the same linear-complexity tests of TestU01, which no study
    /// here is sensitive to; a period of 2⁸⁸ is far beyond the ~10¹⁰ draws of any one stream.
    public static let `default` = Generator.taus2

    var type: UnsafePointer<gsl_rng_type> {
        switch self {
        case .mt19937: hs_rng_mt19937()
        case .taus2: hs_rng_taus2()
        case .ranlxd2: hs_rng_ranlxd2()
        }
    }
}

/// One random stream: a GSL generator (`gsl_rng`) that this object owns.
///
/// A stream is not thread-safe; give each worker its own. Seeds are 32 bits because
/// `gsl_rng_set` uses only the low 32 bits; ``SeedSequence`` in MonteCarlo derives them.
public final class RandomStream {
    @usableFromInline let rng: UnsafeMutablePointer<gsl_rng>
    /// The generator this stream runs.
    public let generator: Generator

    /// A stream of `generator` seeded with `seed` (`gsl_rng_set`).
    public init(_ generator: Generator = .default, seed: UInt32) throws {
        GSLRuntime.initialize()
        self.generator = generator
        rng = try allocated(gsl_rng_alloc(generator.type), "gsl_rng_alloc")
        gsl_rng_set(rng, UInt(seed))
    }

    deinit { gsl_rng_free(rng) }

    /// A standard normal draw by Marsaglia and Tsang's ziggurat (`gsl_ran_gaussian_ziggurat`).
    @inlinable public func gaussian() -> Double { gsl_ran_gaussian_ziggurat(rng, 1.0) }

    /// Fills `buffer` with independent standard normal draws, in order: exactly the draws, and
    /// the state after them, of `buffer.count` calls of ``gaussian()``; from taus2 the ziggurat's
    /// fast path is drawn inline (CZiggurat), about twice as fast.
    public func fillGaussian(_ buffer: UnsafeMutableBufferPointer<Double>) {
        guard let base = buffer.baseAddress else { return }
        hs_fill_gaussian(rng, base, buffer.count)
    }

    /// Whether draws from taus2 are made inline (CZiggurat read GSL's ziggurat tables and
    /// reproduced its draws on a reference stream); if not, every draw is GSL's call.
    public static var drawsInline: Bool { hs_ziggurat_inline() == 1 }

    /// A uniform draw on [0, 1) (`gsl_rng_uniform`).
    @inlinable public func uniform() -> Double { gsl_rng_uniform(rng) }

    /// A uniform integer in 0..<n (`gsl_rng_uniform_int`, which rejects rather than taking a
    /// modulus, so every value is equally likely); n ≥ 1 and at most the generator's range
    /// (2³² for taus2 and MT19937).
    @inlinable public func uniformInt(below n: Int) -> Int {
        precondition(n >= 1 && UInt(n) <= UInt(gsl_rng_max(rng) - gsl_rng_min(rng)) + 1, "n = \(n) is outside the generator's range")
        return Int(gsl_rng_uniform_int(rng, UInt(n)))
    }

    /// Fills a matrix (row by row) with independent standard normal draws.
    public func fillGaussian(_ matrix: Matrix) {
        for row in 0..<matrix.rows { matrix.withRow(row) { fillGaussian($0) } }
    }
}
