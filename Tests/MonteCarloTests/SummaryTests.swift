import Foundation
import GSL
import MonteCarlo
import Synchronization
import Testing

/// A study whose replications draw x ~ N(2, 1) and y ~ N(1, 0.2²) (correlated through a shared
/// draw), to test the engine's summaries against known answers.
struct RatioProbe: Study {
    static let name = "ratio-probe"
    static let summary = "a test double"
    static let label = Parameter<Int>("cell", minimum: 0, "a label to make many cells")
    static let parameters = [label.erased]
    static func validate(_ cell: Cell, replications: Int) throws(CellError) {}
    static func memory(_ cell: Cell) -> MemoryNeed { MemoryNeed(parameter: "cell") }
    struct Slots: Sendable { let x: Slot, y: Slot, ratio: RatioOutput }
    static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots {
        let x = layout.scalar(Quantity("x"))!, y = layout.scalar(Quantity("y"))!
        return Slots(x: x, y: y, ratio: layout.ratio(Quantity("x_over_y"), of: x, over: y))
    }
    init(cell: Cell, design: RandomStream) throws {
        var layout = OutputLayout()
        slots = Self.declareOutputs(cell, &layout)
        layout.setTheory(slots.x, .exact(2))
        layout.setTheory(slots.y, .exact(1))
        layout.setTheory(slots.ratio, .exact(2))
        outputs = layout.outputs
    }
    let slots: Slots
    let outputs: [Output]
    func makeWorkspace() throws {}
    func replicate(_ stream: RandomStream, _ workspace: inout Void, _ statistics: StatisticsRow) throws {
        let shared = stream.gaussian()
        statistics[slots.x] = 2 + 0.6 * shared + 0.8 * stream.gaussian()
        statistics[slots.y] = 1 + 0.2 * (0.5 * shared + 0.866 * stream.gaussian())
    }
}

struct SummaryTests {
    /// Over 300 cells of R = 60, z = (estimate − theory)/mcse of the mean and of the delta-method
    /// ratio has sd ≈ 1 (t₅₉: 1.017; the ratio's O(1/R) bias is 0.2% of its MCSE here). The sd
    /// of a sample sd of 300 values is about 0.041: bounds of 4 of those (false failure ~1e-4).
    @Test func meanAndRatioMCSEAreHonest() throws {
        let cells = (0..<300).map(String.init).joined(separator: ", ")
        let config = try Config(
            file: "t.json",
            json: JSONValue.parse(Array(#"{"study": "ratio-probe", "seed": 9, "replications": 60, "grid": {"cell": [\#(cells)]}}"#.utf8)),
            studies: [RatioProbe.self])
        let results = try Runner(config: config, threads: 2).run()
        for quantity in ["x", "x_over_y"] {
            let zs = results.flatMap { $0.estimates.filter { $0.output.quantity == quantity } }
                .map { ($0.estimate - $0.output.theory.value!) / $0.mcse! }
            let mean = zs.reduce(0, +) / Double(zs.count)
            let sd = (zs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(zs.count - 1)).squareRoot()
            #expect(abs(mean) < 4 * 1.017 / Double(zs.count).squareRoot(), "\(quantity): mean z \(mean)")
            #expect(abs(sd - 1.017) < 4 * 0.041, "\(quantity): sd z \(sd)")
        }
    }
}

/// A study whose every replication fails, each only once two replications are under way (so that
/// two workers hold items when they fail): the error a run reports must be the first item's (cell
/// 0, replication 0), whichever worker fails first.
struct FailingProbe: Study {
    static let name = "failing-probe"
    static let summary = "a test double"
    static let label = Parameter<Int>("cell", minimum: 0, "a label")
    static let parameters = [label.erased]
    static func validate(_ cell: Cell, replications: Int) throws(CellError) {}
    static func memory(_ cell: Cell) -> MemoryNeed { MemoryNeed(parameter: "cell") }
    static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slot { layout.scalar(Quantity("x"))! }
    init(cell: Cell, design: RandomStream) throws {
        var layout = OutputLayout()
        x = Self.declareOutputs(cell, &layout)
        outputs = layout.outputs
    }
    let x: Slot
    let outputs: [Output]
    struct Failure: Error, CustomStringConvertible { var description: String { "failed on purpose" } }
    func makeWorkspace() throws {}
    /// Replications begun in the current run (the test resets it).
    static let begun = Atomic<Int>(0)

    func replicate(_ stream: RandomStream, _ workspace: inout Void, _ statistics: StatisticsRow) throws {
        Self.begun.add(1, ordering: .sequentiallyConsistent)
        let deadline = Date().addingTimeInterval(2)
        while Self.begun.load(ordering: .sequentiallyConsistent) < 2 && Date() < deadline { usleep(100) }
        usleep(useconds_t(Int(abs(stream.gaussian()) * 4000) % 8000))
        throw Failure()
    }
}

struct ShardAndFailureTests {
    /// Shards are contiguous, disjoint and cover every item, for uneven splits too.
    @Test func shardsCoverEveryItemOnce() {
        for items in [1, 7, 60, 61, 1000, 1001] {
            for n in 1...min(items, 13) {
                let slices = (1...n).map { Runner.shard($0, of: n, items: items) }
                #expect(slices.first?.lowerBound == 0 && slices.last?.upperBound == items, "\(items)/\(n)")
                #expect(zip(slices, slices.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(items)/\(n)")
                #expect(slices.allSatisfy { $0.count == items / n || $0.count == items / n + 1 }, "\(items)/\(n): balanced")
            }
        }
    }

    /// Every replication fails, at random times, on 4 workers: the run reports the first item's
    /// failure every time (the order in which workers finish must not show).
    @Test func theFirstFailingItemIsReported() throws {
        let config = try Config(file: "f.json", json: JSONValue.parse(Array(#"{"study": "failing-probe", "seed": 1, "replications": 16, "grid": {"cell": [0, 1]}}"#.utf8)),
                                studies: [FailingProbe.self])
        for _ in 0..<5 {
            FailingProbe.begun.store(0, ordering: .sequentiallyConsistent)
            do {
                _ = try Runner(config: config, threads: 4).run()
                Issue.record("the run did not fail")
            } catch let error as RunError {
                #expect(error.description == "cell 0, replication 0: failed on purpose", "\(error)")
            }
        }
    }
}
