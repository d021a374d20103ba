import Dispatch
import GSL
import Synchronization

/// One estimate of a result table: an ``Output`` with its Monte Carlo estimate and MCSE.
public struct Estimate: Sendable, Equatable {
    public var output: Output
    public var estimate: Double
    /// The Monte Carlo standard error; nil when it cannot be estimated (one replication).
    public var mcse: Double?
    /// The spread across replications behind the MCSE: the empirical sd of a mean's statistic
    /// (mcse = sd/√R), or for a ratio of means the delta method's sd (mcse·√R); nil with one.
    public var sd: Double?
    /// R, the replications summarised.
    public var replications: Int

    public init(output: Output, estimate: Double, mcse: Double?, sd: Double? = nil, replications: Int = 1) {
        (self.output, self.estimate, self.mcse, self.sd, self.replications) = (output, estimate, mcse, sd, replications)
    }
}

/// The estimates of one cell, and the estimands it cannot give (with their notes).
public struct CellResult: Sendable {
    public let cell: Cell
    public let estimates: [Estimate]
    public var unavailable: [Output] = []
}

/// A run failure that is not the config's fault (exit 1).
public struct RunError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// The cell whose numbers failed, when the failure is a summary's.
    public var cell: Int? = nil
}

/// The per-replication statistics of one cell: `replications × outputs.count`, row-major.
/// Rows are filled by whichever worker runs the replication, and read only after all are done.
final class StatisticsTable: @unchecked Sendable {
    let replications: Int
    let width: Int
    let storage: UnsafeMutableBufferPointer<Double>

    /// `replications × width` cannot overflow: ``Config`` refused any run whose tables exceed
    /// physical memory (``MemoryPlan``).
    init(replications: Int, width: Int) {
        self.replications = replications
        self.width = width
        storage = .allocate(capacity: replications * width)
        storage.initialize(repeating: .nan)
    }

    deinit { storage.deallocate() }

    func row(_ replication: Int) -> UnsafeMutableBufferPointer<Double> {
        UnsafeMutableBufferPointer(rebasing: storage[replication * width ..< (replication + 1) * width])
    }
}

/// Runs a config: every (cell, replication) on its own stream, in parallel, with results that do
/// not depend on the number of workers.
///
/// Determinism: replication r of cell c always draws from the stream seeded
/// `SeedSequence(root).seed(cell: c, replication: r, …)`, writes its statistics into its own row,
/// and the summary reads the rows in replication order after every worker is done; which worker
/// ran which replication, and when, cannot change a bit of the output. BLAS runs on one thread
/// per worker, so a BLAS call's own summation order is fixed too.
public struct Runner: Sendable {
    public let config: Config
    /// Worker threads.
    public let threads: Int

    public init(config: Config, threads: Int) {
        precondition(threads >= 1)
        self.config = config
        self.threads = threads
    }

    /// Called as replications finish: (the cell of the one just finished, replications done,
    /// replications in all).
    public typealias Progress = @Sendable (_ cell: Int, _ done: Int, _ total: Int) -> Void

    /// Called with a cell's index once every replication of it is done.
    public typealias CellCompletion = @Sendable (_ cell: Int) throws -> Void

    /// Runs every cell and summarises each into estimates.
    public func run(progress: Progress? = nil) throws -> [CellResult] {
        let statistics = try compute(progress: progress)
        return try statistics.summarise()
    }

    /// All the work of a run, numbered cell-major: item c·R + r is replication r of cell c.
    /// Below 2³², as ``Config`` checks (C·(R + 1) distinct seeds).
    public var itemCount: Int { config.cells.count * config.replications }

    /// The items of shard k of n (1 ≤ k ≤ n): the k-th of n contiguous, disjoint slices.
    public static func shard(_ k: Int, of n: Int, items: Int) -> Range<Int> {
        precondition(1 <= k && k <= n)
        return (k - 1) * items / n ..< k * items / n
    }

    /// Prepares every cell (`init(cell:design:)`) and allocates its statistics table.
    public func prepare() throws -> RunStatistics {
        try prepare(config.study)
    }

    /// Refuses (a ``ConfigError``, as `check` would) a run whose memory with this runner's
    /// workers exceeds physical memory; the config was checked with one. A worker makes a
    /// workspace only when it gets work, so at most `itemCount` do.
    public func requireMemory() throws(ConfigError) {
        let workers = min(threads, itemCount)
        guard workers > 1, let last = config.cells.last else { return }
        try Config.requireMemory(config.memory, threads: workers, cell: last, need: config.study.memory(last),
                                 width: config.study.statisticsWidth(last), replications: config.replications, file: config.file)
    }

    private func prepare<S: Study>(_ type: S.Type) throws -> RunStatistics {
        try requireMemory()
        // The design too runs single-threaded BLAS and LAPACK (a Haar rotation's `dorgqr`, say), as `replicate`
        // and the workers do: its bits then never depend on what ran before in the process.
        BLAS.setThreads(1)
        // Cells are designed in parallel, each from its own stream (replication −1), so the
        // designs are the same for any number of workers; a failure is the lowest cell's.
        let cells = config.cells
        let designs = Mutex<[Result<S, any Error>?]>(Array(repeating: nil, count: cells.count))
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(threads, cells.count)) { _ in
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < cells.count else { return }
                let design = Result { try self.design(S.self, cells[index]) }
                designs.withLock { $0[index] = design }
            }
        }
        let studies = try designs.withLock { $0 }.map { try $0!.get() }
        return RunStatistics(config: config, studies: studies)
    }

    /// One cell's study, checked: its statistics fit the counted layout, its closed forms are finite.
    private func design<S: Study>(_ type: S.Type, _ cell: Cell) throws -> S {
        let study = try S(cell: cell, design: stream(cell: cell.index, replication: -1))
        // The memory check counted at most this many statistics per replication: the same
        // declaration, counted; a layout whose conditions are not in `when:` would break it.
        guard study.outputs.count <= S.statisticsWidth(cell) else {
            throw RunError(description: "cell \(cell.index): \(S.name) writes \(study.outputs.count) statistics per replication, more than the \(S.statisticsWidth(cell)) its counting layout declares")
        }
        // Parameters so large that a closed form overflows would only give infinite estimates.
        if let bad = study.outputs.first(where: { $0.theory.value.map { !$0.isFinite } ?? false }) {
            let labels = cell.gridValues.map { "\($0.name) = \($0.value.compactText)" }.joined(separator: ", ")
            throw ConfigError(file: config.file, key: cell.gridValues.isEmpty ? "fixed" : "grid",
                              message: "cell \(cell.index)\(labels.isEmpty ? "" : " (" + labels + ")"): the closed form of \(bad.quantity)\(bad.index.map { "[\($0)]" } ?? "") overflows; the parameters are too large for double precision")
        }
        return study
    }

    /// Runs the replications in `items` (all by default) that `statistics` does not hold yet,
    /// in parallel, and returns the statistics; `completed` is told of each cell that becomes
    /// whole.
    public func compute(items: Range<Int>? = nil, into statistics: RunStatistics? = nil,
                        completed: CellCompletion? = nil, progress: Progress? = nil) throws -> RunStatistics {
        try compute(config.study, items: items ?? 0..<itemCount, into: statistics ?? prepare(), completed: completed, progress: progress)
    }

    /// The statistics of one replication alone (replication −1 is not one: it is the design).
    public func replicate(cell: Int, replication: Int) throws -> [Estimate] {
        try replicate(config.study, cell: cell, replication: replication)
    }

    private func stream(cell: Int, replication: Int) throws -> RandomStream {
        let seeds = SeedSequence(root: config.seed)
        return try RandomStream(config.generator,
                                seed: seeds.seed(cell: cell, replication: replication, replications: config.replications))
    }

    private func replicate<S: Study>(_ type: S.Type, cell: Int, replication: Int) throws -> [Estimate] {
        BLAS.setThreads(1)
        let study = try S(cell: config.cells[cell], design: stream(cell: cell, replication: -1))
        var workspace = try study.makeWorkspace()
        let table = StatisticsTable(replications: 1, width: study.outputs.count)
        try study.replicate(stream(cell: cell, replication: replication), &workspace, StatisticsRow(table.row(0)))
        return zip(study.outputs, table.row(0)).map { Estimate(output: $0, estimate: $1, mcse: nil) }
    }

    private func compute<S: Study>(_ type: S.Type, items: Range<Int>, into statistics: RunStatistics,
                                   completed: CellCompletion?, progress: Progress?) throws -> RunStatistics {
        BLAS.setThreads(1)
        let replications = config.replications
        let studies = statistics.studies.map { $0 as! S }
        let work = items.filter { !statistics.has(item: $0) }
        // Replications left per cell, to tell when a cell becomes whole.
        var counts = [Int](repeating: 0, count: config.cells.count)
        for item in work { counts[item / replications] += 1 }
        let left = Mutex(counts)
        let next = Atomic<Int>(0), done = Atomic<Int>(0)
        let failure = Mutex<(item: Int, error: any Error)?>(nil)

        let body = { @Sendable (_: Int) in
            var current: (cell: Int, workspace: S.Workspace)?
            while true {
                let position = next.add(1, ordering: .relaxed).oldValue
                guard position < work.count, failure.withLock({ $0 == nil }) else { return }
                let item = work[position]
                let (cell, replication) = item.quotientAndRemainder(dividingBy: replications)
                do {
                    if current?.cell != cell {
                        current = nil  // release the last cell's workspace before making the next
                        current = (cell, try studies[cell].makeWorkspace())
                    }
                    try studies[cell].replicate(try stream(cell: cell, replication: replication),
                                                &current!.workspace, StatisticsRow(statistics.tables[cell].row(replication)))
                    statistics.mark(item: item)
                    let whole = left.withLock { left in left[cell] -= 1; return left[cell] == 0 }
                    if whole { try completed?(cell) }
                } catch {
                    failure.withLock { if $0 == nil || item < $0!.item { $0 = (item, error) } }
                    return
                }
                let finished = done.add(1, ordering: .relaxed).newValue
                progress?(cell, finished, work.count)
            }
        }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: threads) { shared.value($0) }
        }
        if let (item, error) = failure.withLock({ $0 }) {
            let (cell, replication) = item.quotientAndRemainder(dividingBy: replications)
            // A cell error names the parameter to change (a learning rate that diverges): the
            // message names the config and the key where the cell got it.
            if let error = error as? CellError {
                throw RunError(description: "\(config.file): \(config.cells[cell].keyPath(error.parameter)): cell \(cell), replication \(replication): \(error.message)", cell: cell)
            }
            throw RunError(description: "cell \(cell), replication \(replication): \(error)")
        }
        return statistics
    }
    /// The estimate of each output: the mean over replications, with MCSE = sd/√R
    /// (Morris, White & Crowther 2019), or a ratio of two means with its delta-method MCSE.
    /// A non-finite value is a failure, never a number to write.
    static func summarise(_ outputs: [Output], _ table: StatisticsTable, cell: Int) throws -> [Estimate] {
        let r = table.replications
        func column(_ j: Int) -> UnsafeBufferPointer<Double> { UnsafeBufferPointer(rebasing: table.storage[j...]) }
        func moments(_ j: Int) -> (mean: Double, sd: Double) {
            let mean = Statistics.mean(column(j), stride: table.width, count: r)
            return (mean, Statistics.standardDeviation(column(j), stride: table.width, count: r, mean: mean))
        }
        return try outputs.enumerated().map { j, output in
            let estimate: Double, mcse: Double?, spread: Double?
            switch output.summary {
            case .mean:
                let (mean, sd) = moments(j)
                (estimate, mcse, spread) = (mean, r > 1 ? sd / Double(r).squareRoot() : nil, r > 1 ? sd : nil)
            case .ratio(let numerator, let denominator):
                let x = moments(numerator), y = moments(denominator)
                let ratio = x.mean / y.mean
                let covariance = Statistics.covariance(column(numerator), column(denominator), stride: table.width,
                                                       count: r, means: (x.mean, y.mean))
                let variance = (x.sd * x.sd - 2 * ratio * covariance + ratio * ratio * y.sd * y.sd) / Double(r)
                (estimate, mcse) = (ratio, r > 1 ? max(variance, 0).squareRoot() / abs(y.mean) : nil)
                spread = mcse.map { $0 * Double(r).squareRoot() }
            }
            guard estimate.isFinite, mcse?.isFinite ?? true else {
                let at = output.index.map { "[\($0)]" } ?? ""
                throw RunError(description: "cell \(cell): \(output.quantity)\(at) came out \(estimate.isFinite ? "with a non-finite spread" : String(describing: estimate)) (overflow or an invalid operation)", cell: cell)
            }
            return Estimate(output: output, estimate: estimate, mcse: mcse, sd: spread, replications: r)
        }
    }
}

/// Lets a closure that is safe to share (it only touches atomics, a mutex, read-only studies and
/// disjoint table rows) cross into `concurrentPerform`.
private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
