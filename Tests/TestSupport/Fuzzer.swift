/// The fuzzers' source of cases: xorshift64* from a fixed seed (the same cases every run), and
/// the mutations a hostile or damaged file shows: a byte changed, dropped or inserted, a line
/// doubled or dropped, a field or literal replaced by a token that stresses the checks.
public struct Fuzzer {
    public var state: UInt64
    /// The replacement tokens, as text.
    public let tokens: [String]

    public init(seed: UInt64, tokens: [String]) {
        precondition(seed != 0)
        (state, self.tokens) = (seed, tokens)
    }

    public mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 0x2545_f491_4f6c_dd1d
    }

    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Up to `count` random bytes.
    public mutating func noise(upTo count: Int) -> [UInt8] {
        (0..<below(count)).map { _ in UInt8(truncatingIfNeeded: next()) }
    }

    /// `seed` with one to three mutations.
    public mutating func mutate(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0..<(1 + below(3)) {
            switch below(7) {
            case 0 where !bytes.isEmpty: bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: next())
            case 1 where !bytes.isEmpty: bytes.remove(at: below(bytes.count))
            case 2: bytes.insert(UInt8(truncatingIfNeeded: next()), at: below(bytes.count + 1))
            case 3 where !bytes.isEmpty:
                let lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false).map(Array.init)
                var edited = lines
                let i = below(lines.count)
                if below(2) == 0 { edited.insert(lines[i], at: i) } else { edited.remove(at: i) }
                bytes = Array(edited.joined(separator: [0x0a]))
            default:
                // Replace a field or literal (after , : [ space or a line start) by a token.
                let starts = bytes.indices.filter { i in i == 0 || [0x2C, 0x3A, 0x5B, 0x20, 0x0A].contains(bytes[i - 1]) }
                guard !starts.isEmpty else { continue }
                let start = starts[below(starts.count)]
                var end = start
                while end < bytes.count && ![0x2C, 0x7D, 0x5D, 0x0A].contains(bytes[end]) { end += 1 }
                bytes.replaceSubrange(start..<end, with: Array(tokens[below(tokens.count)].utf8))
            }
        }
        return bytes
    }
}
