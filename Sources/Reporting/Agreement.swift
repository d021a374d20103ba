import MonteCarlo

/// How far an estimate may be from its closed form and still agree: 4 MCSE, as in every table
/// (when both sides are right, a row crosses it by chance with probability P(|t_(R−1)| > 4):
/// 3.7·10⁻⁴ with R = 32, 6.6·10⁻⁵ with R = 2000; ``Exceedances``).
public let agreementBound = Exceedances.bound

extension ResultRow {
    /// Whether the estimate lies within ``agreementBound`` MCSE of its theory.
    public var agrees: Bool { z.map { abs($0) <= agreementBound } ?? false }

    /// "1.9980 ± 0.0020 (theory 2.0000)", through ``EstimateText``.
    public var described: String {
        EstimateText.estimate(estimate, mcse: mcse)
            + (theory.map { " (\(theoryIsLimit ? "limit" : "theory") \(EstimateText.like($0, estimate: estimate, mcse: mcse)))" } ?? "")
    }
}

/// The rows with an exact theory, counted against chance (``Exceedances``): the rule a table of
/// rows is decided by, for any R and any number of rows.
public func agreement(_ rows: [ResultRow]) -> Exceedances {
    Exceedances(rows.compactMap { row in row.z.map { ($0, row.replications) } })
}

extension Exceedances {
    /// "190 of 192 `v` rows within 4 MCSE of σ²h^(2−α); chance alone puts 0.013 beyond (t with
    /// 1999 degrees of freedom), and 2 or more with probability 7.9·10⁻⁵": what a verdict on
    /// these rows stands on, stated beside it. `rows` names them, `theory` their closed form.
    public func prose(_ rows: Prose, theory: Prose) -> Prose {
        let freedom: Prose = degreesOfFreedom.map { "t with \(Finding.count($0)) degrees of freedom" } ?? "the normal limit, R unknown"
        var text: Prose = "\(Finding.count(within)) of \(Finding.count(scored)) \(rows) within \(Finding.bound) MCSE of \(theory)"
        guard beyond > 0 else { return text }
        text += "; chance alone puts \(Finding.derived(expected, digits: 2)) beyond (\(freedom)), and \(Finding.count(beyond)) or more with probability \(Finding.derived(pValue, digits: 2))"
        return text + (withinChance ? "" : ", below \(Finding.derived(Exceedances.significance, digits: 1)): more rows disagree than chance explains")
    }
}
