import GSL
import MonteCarlo
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
        let x = layout.scalar("x")!, y = layout.scalar("y")!
        return Slots(x: x, y: y, ratio: layout.ratio("x_over_y", of: x, over: y))
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
