import Foundation
import GSL
import MonteCarlo

/// Slopes of log v against log h, the exponent that tells the square-root law (2) from the
/// Gauss–Newton law (1).
enum LogLogFit {
    /// Bytes ``slope(h:v:)`` allocates for n points: the set of distinct h and the two logs.
    static func slopeBytes(_ n: Double) -> Double { MemoryNeed.setOfDoubles(n) + MemoryNeed.doubles(2 * n) }

    /// Bytes ``localSlopes(h:v:)`` allocates for n points: the set, the order, the logs, the
    /// slopes and the sort's buffer.
    static func localSlopesBytes(_ n: Double) -> Double { MemoryNeed.setOfDoubles(n) + MemoryNeed.doubles(5 * n) }

    /// The OLS slope of log vᵢ on log hᵢ; nil when every hᵢ is the same.
    static func slope(h: [Double], v: some Collection<Double>) throws -> Double? {
        guard Set(h).count > 1 else { return nil }
        return try LinearFit(x: h.map { log($0) }, y: v.map { log($0) }).slope
    }

    /// The local slope d log v / d log h at each coordinate, by central differences between its
    /// neighbours in increasing h (one-sided at the ends); nil unless the hᵢ are distinct and
    /// there are at least two.
    static func localSlopes(h: [Double], v: some Collection<Double>) -> [Double]? {
        guard h.count >= 2, Set(h).count == h.count else { return nil }
        let order = h.indices.sorted { h[$0] < h[$1] }
        let logV = v.map { log($0) }
        var slopes = [Double](repeating: 0, count: h.count)
        for (rank, i) in order.enumerated() {
            let lower = order[max(rank - 1, 0)], upper = order[min(rank + 1, order.count - 1)]
            slopes[i] = (logV[upper] - logV[lower]) / (log(h[upper]) - log(h[lower]))
        }
        return slopes
    }
}
