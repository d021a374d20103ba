import Foundation
import GSL

/// An error in a cell's parameters that only the study can see (a dimension too large for
/// memory, burn-in past the end): the parameter to blame and the message.
public struct CellError: Error, Sendable {
    public var parameter: String
    public var message: String
    public init(parameter: String, message: String) {
        self.parameter = parameter
        self.message = message
    }
}

/// A Monte Carlo study in R's SimDesign shape: a cell of the design is prepared once
/// (``init(cell:design:)``: generate the fixed part of the model), then each replication draws
/// data from its own stream and analyses it into a fixed list of statistics
/// (``replicate(_:_:_:)``), and the engine summarises each statistic across replications into an
/// estimate with its Monte Carlo standard error, labelled by ``outputs``.
///
/// A prepared study is shared read-only by every worker; whatever a worker mutates lives in its
/// ``Workspace``, made once per worker and cell, so that the hot loop allocates nothing.
public protocol Study: Sendable {
    associatedtype Workspace
    /// Where a replication writes each of its outputs (``declareOutputs(_:_:)``).
    associatedtype Slots: Sendable

    /// The name configs use in `"study"`.
    static var name: String { get }
    /// One line for `hessian-study list`.
    static var summary: String { get }
    /// The parameters the study accepts, with their defaults.
    static var parameters: [AnyParameter] { get }

    /// Checks what single parameters cannot: relations between them. Called for every cell
    /// before anything runs, after the run's memory (``memory(_:)``, ``MemoryPlan``) is known to
    /// fit, so it may compute from the spectrum.
    static func validate(_ cell: Cell, replications: Int) throws(CellError)

    /// Checks what the cell reads from this machine (a data file present and unchanged), when a
    /// config is to be run (``Config/Purpose/run``); never when results are read back, which need
    /// no input file. Called after ``validate(_:replications:)``; by default there is nothing to check.
    static func checkInputs(_ cell: Cell) throws(CellError)

    /// What a cell of this study allocates, in bytes, counted from the code of
    /// ``init(cell:design:)``, ``makeWorkspace()`` and ``replicate(_:_:_:)`` (matrices, vectors,
    /// GSL workspaces, Swift arrays, transient ones included). Called for every cell before
    /// ``validate(_:replications:)`` and before anything is allocated, so it must not allocate in
    /// proportion to the cell's sizes (never `spectrum.values`: use `spectrum.count`). The engine
    /// adds what it allocates itself (the statistics tables, sized from the outputs a counting
    /// ``OutputLayout`` declares, the `outputs` arrays, the results) in ``MemoryPlan``.
    static func memory(_ cell: Cell) -> MemoryNeed

    /// Declares the cell's outputs into `layout` and returns where each is written. The engine
    /// calls it with a counting layout to size the statistics before anything is allocated, so
    /// it must follow the rule of ``memory(_:)``: conditions that need the spectrum's values go
    /// into `when:` (evaluated only when building). ``init(cell:design:)`` calls it with a
    /// building layout and gives the outputs their theory.
    static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots

    /// What `hessian-study check` says of a valid cell before it runs, beyond its size: where the
    /// crossover h_c falls in the spectrum, say, with a warning when every coordinate lies on one
    /// side of it. The default says nothing.
    static func notes(_ cell: Cell) -> [String]

    /// Prepares a validated cell; `design` is the cell's own stream for any random part of the
    /// model that stays fixed across replications (a Haar rotation, say).
    init(cell: Cell, design: RandomStream) throws

    /// What each replication estimates, in the order ``replicate(_:_:_:)`` writes it.
    var outputs: [Output] { get }

    /// Estimands the cell cannot give, each with a note why (``OutputLayout/missing``): kept as
    /// rows with an empty estimate. The default is none.
    var unavailable: [Output] { get }

    /// A worker's scratch memory for this cell.
    func makeWorkspace() throws -> Workspace

    /// An optional Markdown section that opens `NAME.md`: the study's own summary of all cells
    /// (a headline table, verdicts). The default is none.
    static func headline(_ results: [CellResult]) -> String?

    /// Runs one replication on `stream`, writing one value per `.mean` output into its slot of
    /// `statistics`.
    func replicate(_ stream: RandomStream, _ workspace: inout Workspace, _ statistics: StatisticsRow) throws
}

extension Study {
    public static func checkInputs(_ cell: Cell) throws(CellError) {}

    public static func headline(_ results: [CellResult]) -> String? { nil }

    public static func notes(_ cell: Cell) -> [String] { [] }

    public var unavailable: [Output] { [] }

    /// Where a crossover `hc` falls among `h`: how many coordinates lie below hc/`margin` and
    /// above `margin`·hc, and a warning when all lie on one side (the run then sees one law only).
    public static func crossoverNote(_ hc: Double, _ h: [Double], margin: Double) -> String {
        let below = h.filter { $0 <= hc / margin }.count, above = h.filter { $0 >= hc * margin }.count
        let sides = margin == 1 ? ("h_c", "h_c") : ("h_c/\(format(margin))", "\(format(margin))·h_c")
        var note = "h_c = \(EstimateText.significant(hc, digits: 3)) in a spectrum from \(EstimateText.significant(h.min() ?? 0, digits: 3)) to \(EstimateText.significant(h.max() ?? 0, digits: 3)): \(below) of \(h.count) coordinates below \(sides.0), \(above) above \(sides.1)"
        if below == h.count || h.allSatisfy({ $0 < hc }) { note += "; warning: every coordinate is below h_c, so only the Gauss–Newton side is seen" }
        if above == h.count || h.allSatisfy({ $0 > hc }) { note += "; warning: every coordinate is above h_c, so only the square-root side is seen" }
        return note
    }

    /// The most statistics a replication of `cell` writes, from a counting layout: what the
    /// engine sizes the cell's statistics table by.
    public static func statisticsWidth(_ cell: Cell) -> Int {
        var layout = OutputLayout(counting: ())
        _ = declareOutputs(cell, &layout)
        return layout.count
    }
}

/// The memory one cell of a study needs, in bytes, as the study declares it (``Study/memory(_:)``).
/// Doubles, so that no product of config numbers can overflow or trap on the way.
public struct MemoryNeed: Sendable, Equatable {
    /// What the prepared study (``Study/init(cell:design:)``) holds for the whole run: every
    /// cell's is held at once. Not its `outputs` array, which the engine counts.
    public var design: Double
    /// What ``Study/init(cell:design:)`` allocates beyond `design` and frees before it returns
    /// (each worker prepares one cell at a time, so the largest counts once per worker).
    public var preparation: Double
    /// One worker's ``Study/Workspace``, with what ``Study/replicate(_:_:_:)`` allocates while it
    /// runs (each worker holds one at a time).
    public var workspace: Double
    /// The parameter whose size drives `design`, `workspace` and the outputs (a spectrum, say):
    /// the key blamed when a run does not fit.
    public var parameter: String

    public init(design: Double = 0, preparation: Double = 0, workspace: Double = 0, parameter: String) {
        (self.design, self.preparation, self.workspace, self.parameter) = (design, preparation, workspace, parameter)
    }

    /// Bytes of `count` doubles.
    public static func doubles(_ count: Double) -> Double { 8 * count }

    /// Bytes of a Swift `Set<Double>` of `count` elements (as `Set(array)` builds it: a power-of-two
    /// table at most 75% full, 8 bytes a bucket and a bit map), an upper bound.
    public static func setOfDoubles(_ count: Double) -> Double {
        guard count > 0 else { return 0 }
        let buckets = Foundation.pow(2, Foundation.ceil(Foundation.log2(count / 0.75)))
        return buckets * 8 + buckets / 8
    }
}

/// The memory a cell may use: the machine's physical memory.
public enum MemoryBudget {
    /// Physical memory in bytes (`sysconf`), or 2⁶² if unknown.
    public static let physicalBytes: Double = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? Double(pages) * Double(size) : 0x1p62
    }()

    /// Throws a ``CellError`` on `parameter` if `bytes` exceeds physical memory; `what` says what
    /// needs the memory ("dimension 100000 needs two 100000×100000 matrices").
    public static func require(bytes: Double, for parameter: String, _ what: String) throws(CellError) {
        guard bytes <= physicalBytes else {
            throw CellError(parameter: parameter,
                            message: "\(what): \(describe(bytes)), more than this machine's \(describe(physicalBytes))")
        }
    }

    /// Bytes for people: "730 GB", "12 MB", "3.4 kB", "2.4·10¹¹ GB" (never through `Int` above
    /// 1 kB, where a product of config numbers could overflow it).
    public static func describe(_ bytes: Double) -> String {
        for (unit, size) in [("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] where bytes >= size {
            return EstimateText.significant(bytes / size, digits: 2) + " " + unit
        }
        return "\(Int(bytes)) bytes"
    }
}

#if canImport(Glibc)
import Glibc
#endif
