import GSL

/// One estimand of a study: what it is (`quantity`), the coordinate it belongs to (`index`, nil
/// for a scalar), its closed form from STUDIES.md (`theory`, nil where none exists), and how
/// replications are summarised into it.
public struct Output: Sendable, Equatable {
    public var quantity: String
    public var index: Int?
    public var theory: Double?
    public var summary: Summary

    public init(_ quantity: String, index: Int? = nil, theory: Double?, summary: Summary = .mean) {
        self.quantity = quantity
        self.index = index
        self.theory = theory
        self.summary = summary
    }
}

/// How an output's estimate is formed from the replications' statistics.
public enum Summary: Sendable, Equatable {
    /// The mean over replications of the statistic the replication writes in this output's
    /// slot; MCSE sd/√R.
    case mean
    /// The ratio of the means of two other outputs' statistics (given by their positions in
    /// `outputs`), x̄/ȳ: a ratio estimator, stable where a mean of per-replication ratios is not.
    /// MCSE by the delta method: √((s²ₓ − 2r·sₓᵧ + r²s²ᵧ)/R)/|ȳ|. Replications leave this
    /// output's own slot unwritten.
    case ratio(numerator: Int, denominator: Int)
}

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

    /// The name configs use in `"study"`.
    static var name: String { get }
    /// One line for `hessian-study list`.
    static var summary: String { get }
    /// The parameters the study accepts, with their defaults.
    static var parameters: [Parameter] { get }

    /// Checks what single parameters cannot: relations between them and the memory a cell needs
    /// (see ``MemoryBudget``). Called for every cell before anything runs.
    static func validate(_ cell: Cell, replications: Int) throws(CellError)

    /// Prepares a validated cell; `design` is the cell's own stream for any random part of the
    /// model that stays fixed across replications (a Haar rotation, say).
    init(cell: Cell, design: RandomStream) throws

    /// What each replication estimates, in the order ``replicate(_:_:_:)`` writes it.
    var outputs: [Output] { get }

    /// A worker's scratch memory for this cell.
    func makeWorkspace() throws -> Workspace

    /// An optional Markdown section that opens `NAME.md`: the study's own summary of all cells
    /// (a headline table, verdicts). The default is none.
    static func headline(_ results: [CellResult]) -> String?

    /// Runs one replication on `stream`, writing one value per `.mean` output into its slot of
    /// `statistics` (slot k for outputs[k]).
    func replicate(_ stream: RandomStream, _ workspace: inout Workspace,
                   _ statistics: UnsafeMutableBufferPointer<Double>) throws
}

extension Study {
    public static func headline(_ results: [CellResult]) -> String? { nil }
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
                            message: "\(what): \(gigabytes(bytes)) GB, more than this machine's \(gigabytes(physicalBytes)) GB")
        }
    }

    private static func gigabytes(_ bytes: Double) -> String {
        let gb = bytes / 1e9
        return gb >= 100 ? String(Int(gb.rounded())) : String(format1(gb))
    }

    private static func format1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
}

#if canImport(Glibc)
import Glibc
#endif
