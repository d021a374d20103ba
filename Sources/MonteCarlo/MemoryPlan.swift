/// The memory a run needs, summed from every cell before anything is allocated: what each study
/// declares (``Study/memory(_:)``) and what the engine allocates itself. ``Config`` refuses a run
/// that needs more than the machine's physical memory (``MemoryBudget``), naming the parameter
/// that drives it.
///
/// A run goes through three phases, and the peak is the largest of them on top of what stays
/// allocated throughout (`held`):
///
/// 1. preparing the cells, up to `threads` at a time (``Runner`` designs cells in parallel):
///    `preparation`, the largest transient of one `init(cell:design:)`, once per worker;
/// 2. the replications: `threads` workspaces of the largest cell, and the text of the largest
///    cell's checkpoint (written as each cell completes);
/// 3. the summary and the result files: `results`.
///
/// Counted by the engine: each cell's statistics table (replications × outputs doubles), its
/// `present` flags (one byte per replication), its `outputs` array, the ``Cell`` itself, the
/// checkpoint text of a cell, and per output the ``Estimate`` and its rows of the CSV and
/// Markdown files with their copies. The text of a shard's part file (`run --shard`), which
/// holds every record of the shard at once, is not counted.
public struct MemoryPlan: Sendable, Equatable {
    /// Bytes allocated for the whole run: prepared studies, `outputs`, statistics, flags, cells.
    public private(set) var held: Double = 0
    /// The largest transient of preparing one cell.
    public private(set) var preparation: Double = 0
    /// One worker's workspace for the cell that needs the largest.
    public private(set) var workspace: Double = 0
    /// The text of the largest cell's checkpoint, with its copies.
    public private(set) var checkpoint: Double = 0
    /// The estimates and the result files' text of every output of every cell.
    public private(set) var results: Double = 0
    /// Of `held`, the part that grows with the replications (statistics tables and flags).
    public private(set) var statistics: Double = 0
    /// The most statistics one replication of any cell writes.
    public private(set) var widest: Double = 0
    public private(set) var cells = 0

    /// Bytes per output of the summary and the result files: the ``Estimate`` (in the results,
    /// and once more in the Markdown's list of z-scores), a CSV row (~50 characters, first as a
    /// String of its own with its allocation and array slot, then joined, then copied once more
    /// with the final newline, then as Data) and a Markdown row (~80 characters, in a String
    /// grown by doubling, then as Data). Measured with 4–5·10⁵ outputs (debug build, glibc
    /// malloc): 550 (`sqrt-law`, quantity `v`) to 730 (`adabelief`, `v_second_moment`) bytes per
    /// output in all, with the `Output` and the statistics.
    public static let resultBytesPerOutput = 2.0 * Double(MemoryLayout<Estimate>.stride) + 450
    /// Bytes per statistic of a checkpoint: ~21 characters of JSON text, in a String grown by
    /// doubling (up to twice its length), then copied as Data. (Measured: ~46 with `ema`.)
    public static let checkpointBytesPerStatistic = 3.0 * 21
    /// Bytes per cell besides the study's: the ``Cell`` (two dictionaries of its parameters and
    /// their key paths, its grid labels), the study's existential box and the cell's result.
    public static let bytesPerCell = 4096.0

    public init() {}

    /// Adds a cell whose study declares `need` and at most `width` statistics per replication
    /// (``Study/statisticsWidth(_:)``), run with `replications` replications.
    public mutating func add(_ need: MemoryNeed, width: Int, replications: Int) {
        let r = Double(replications), width = Double(max(width, 0))
        let table = r * width * 8 + r
        held += need.design + width * Double(MemoryLayout<Output>.stride) + table + Self.bytesPerCell
        statistics += table
        preparation = max(preparation, need.preparation)
        workspace = max(workspace, need.workspace)
        checkpoint = max(checkpoint, r * width * Self.checkpointBytesPerStatistic)
        results += width * Self.resultBytesPerOutput
        widest = max(widest, width)
        cells += 1
    }

    /// The peak with `threads` workers.
    public func bytes(threads: Int) -> Double {
        held + max(Double(min(threads, max(cells, 1))) * preparation, Double(threads) * workspace + checkpoint, results)
    }

    /// The bytes that grow with the replications (tables, flags, checkpoint text) at the peak.
    var replicationBytes: Double { statistics + checkpoint }
}

extension Config {
    /// The memory a run of this config needs with one worker (`check` has no thread count;
    /// ``Runner`` checks again with its own before it allocates).
    public var memoryEstimate: Double { memory.bytes(threads: 1) }

    /// Throws a ``ConfigError`` naming what drives the run's memory if `plan` needs more than
    /// physical memory with `threads` workers; `cell` is the cell just added.
    static func requireMemory(_ plan: MemoryPlan, threads: Int, cell: Cell, need: MemoryNeed, width: Int, replications: Int,
                              file: String) throws(ConfigError) {
        let bytes = plan.bytes(threads: threads)
        guard bytes > MemoryBudget.physicalBytes else { return }
        // Blame the grid when this cell alone would fit; else the replications when the
        // statistics (which grow with them) are most of the cell's need; else the study's size
        // parameter of this cell.
        var one = MemoryPlan()
        one.add(need, width: width, replications: replications)
        let key: String
        if plan.cells > 1 && one.bytes(threads: threads) <= MemoryBudget.physicalBytes {
            key = "grid"
        } else if one.replicationBytes >= one.bytes(threads: threads) / 2 && Double(replications) >= one.widest {
            key = "replications"
        } else {
            key = cell.keyPath(need.parameter)
        }
        let what = "\(plan.cells) cell\(plan.cells == 1 ? "" : "s") × \(replications) replication\(replications == 1 ? "" : "s") × up to "
            + "\(format(plan.widest)) statistics\(threads > 1 ? " on \(threads) threads" : "") need"
        do { try MemoryBudget.require(bytes: bytes, for: key, what) } catch {
            throw ConfigError(file: file, key: key, message: error.message)
        }
    }
}

extension Config {
    /// What `hessian-study check` prints of a valid config: its size (cells, replications in all,
    /// rows and bytes of the CSV, memory) and each cell's notes (``Study/notes(_:)``).
    public var summary: [String] {
        let widths = cells.map { study.statisticsWidth($0) }
        let rows = widths.reduce(0, +)
        // About 90 bytes a CSV row (the committed tables: 70–110).
        let csvBytes = Double(rows) * 90
        var lines = ["\(name): study \(study.name), \(cells.count) cell\(cells.count == 1 ? "" : "s") × \(replications) replications = \(cells.count * replications) replications in all; \(rows) estimates (a CSV of about \(MemoryBudget.describe(csvBytes))); memory \(MemoryBudget.describe(memoryEstimate)) with one thread"]
        for cell in cells {
            let notes = study.notes(cell)
            guard !notes.isEmpty else { continue }
            let labels = cell.gridValues.map { "\($0.name) = \($0.value.compactText)" }.joined(separator: ", ")
            lines += notes.map { "  cell \(cell.index)\(labels.isEmpty ? "" : " (" + labels + ")"): \($0)" }
        }
        return lines
    }
}
