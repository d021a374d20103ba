import MonteCarlo

/// How far an estimate may be from its closed form and still agree: 4 MCSE, as in every table
/// (when both sides are right, a row crosses it by chance with probability P(|t_(R−1)| > 4):
/// 3.7·10⁻⁴ with R = 32, 6.6·10⁻⁵ with R = 2000; ``StudentT/twoSidedTail(_:degreesOfFreedom:)``).
public let agreementBound = 4.0

extension ResultRow {
    /// Whether the estimate lies within ``agreementBound`` MCSE of its theory.
    public var agrees: Bool { z.map { abs($0) <= agreementBound } ?? false }

    /// "1.9980 ± 0.0020 (theory 2.0000)", through ``EstimateText``.
    public var described: String {
        EstimateText.estimate(estimate, mcse: mcse)
            + (theory.map { " (\(theoryIsLimit ? "limit" : "theory") \(EstimateText.like($0, estimate: estimate, mcse: mcse)))" } ?? "")
    }
}

/// The share of rows with a theory that agree with it.
public func agreement(_ rows: [ResultRow]) -> (agreeing: Int, total: Int) {
    let scored = rows.filter { $0.z != nil }
    return (scored.filter(\.agrees).count, scored.count)
}

/// The rule the issues set for a table: at least 99% of its rows agree with their theory.
public func mostlyAgree(_ counts: (agreeing: Int, total: Int)) -> Bool {
    counts.agreeing * 100 >= counts.total * 99
}
