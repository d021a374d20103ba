/// The raw statistics of a run, or of part of one: for each cell its prepared study and a table
/// with one row per replication, and which items (cell·R + replication) are present.
///
/// Rows are written by whichever worker (or shard, or earlier interrupted run) computed them and
/// read only once all are present, in replication order, so the summary does not depend on who
/// computed what: merging shards or resuming gives the bytes an unbroken run gives.
public final class RunStatistics: @unchecked Sendable {
    public let config: Config
    let studies: [any Study]
    let tables: [StatisticsTable]
    private let present: UnsafeMutableBufferPointer<Bool>

    init(config: Config, studies: [any Study]) {
        self.config = config
        self.studies = studies
        tables = studies.map { StatisticsTable(replications: config.replications, width: $0.outputs.count) }
        present = .allocate(capacity: config.cells.count * config.replications)
        present.initialize(repeating: false)
    }

    deinit { present.deallocate() }

    /// The outputs of each cell, in the order of its statistics.
    public var outputs: [[Output]] { studies.map(\.outputs) }

    /// How many items a whole run has.
    public var itemCount: Int { present.count }

    func has(item: Int) -> Bool { present[item] }
    func mark(item: Int) { present[item] = true }

    /// The items not yet present.
    public var missing: [Int] { present.indices.filter { !present[$0] } }

    /// The statistics of one item (cell·R + replication).
    public func row(item: Int) -> [Double] {
        let (cell, replication) = item.quotientAndRemainder(dividingBy: config.replications)
        return Array(tables[cell].row(replication))
    }

    /// Stores an item computed elsewhere (a shard, a checkpoint). Throws if the item is already
    /// present or the values do not fit the cell's outputs.
    public func store(item: Int, values: [Double]) throws(RunStatisticsError) {
        guard item >= 0 && item < present.count else { throw .outOfRange(item) }
        let (cell, replication) = item.quotientAndRemainder(dividingBy: config.replications)
        guard !present[item] else { throw .duplicate(cell: cell, replication: replication) }
        guard values.count == tables[cell].width else {
            throw .width(cell: cell, expected: tables[cell].width, got: values.count)
        }
        _ = tables[cell].row(replication).update(fromContentsOf: values)
        present[item] = true
    }

    /// The estimates of every cell; all items must be present.
    public func summarise() throws -> [CellResult] {
        if let item = missing.first {
            let (cell, replication) = item.quotientAndRemainder(dividingBy: config.replications)
            throw RunError(description: "cell \(cell), replication \(replication) was never computed")
        }
        return try zip(config.cells, zip(studies, tables)).map { cell, pair in
            CellResult(cell: cell, estimates: try Runner.summarise(pair.0.outputs, pair.1, cell: cell.index),
                       unavailable: pair.0.unavailable)
        }
    }
}

/// Statistics that do not fit together (shards or checkpoints of another run).
public enum RunStatisticsError: Error, CustomStringConvertible {
    case outOfRange(Int)
    case duplicate(cell: Int, replication: Int)
    case width(cell: Int, expected: Int, got: Int)

    public var description: String {
        switch self {
        case .outOfRange(let item): "item \(item) is outside the run"
        case .duplicate(let cell, let replication): "cell \(cell), replication \(replication) appears twice"
        case .width(let cell, let expected, let got): "cell \(cell) has \(expected) statistics per replication, the record has \(got)"
        }
    }
}
