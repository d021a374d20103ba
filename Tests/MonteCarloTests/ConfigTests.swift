import Foundation
import GSL
import MonteCarlo
import Testing

/// A study with one parameter of each kind, to test configs without any real study.
struct ProbeStudy: Study {
    enum Mode: String, Choice { case a, b }
    static let name = "probe"
    static let summary = "a test double"
    static let spectrum = Parameter<Spectrum>("spectrum", "eigenvalues")
    static let beta2 = Parameter<Double>("beta2", .unitHalfOpen, default: 0.999, "a decay rate")
    static let steps = Parameter<Int>("steps", minimum: 1, "a count")
    static let mode = Parameter<Mode>("mode", default: .a, "a choice")
    static let parameters = [spectrum.erased, beta2.erased, steps.erased, mode.erased]
    static func validate(_ cell: Cell, replications: Int) throws(CellError) {
        if cell[spectrum].count > 1000 {
            throw CellError(parameter: "spectrum", message: "too large")
        }
    }
    static func memory(_ cell: Cell) -> MemoryNeed { MemoryNeed(parameter: "spectrum") }
    static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slot { layout.scalar(Quantity("x"))! }
    init(cell: Cell, design: RandomStream) throws {
        var layout = OutputLayout()
        x = Self.declareOutputs(cell, &layout)
        layout.setTheory(x, .exact(0))
        outputs = layout.outputs
    }
    let x: Slot
    let outputs: [Output]
    func makeWorkspace() throws {}
    func replicate(_ stream: RandomStream, _ workspace: inout Void, _ statistics: StatisticsRow) throws {
        statistics[x] = stream.gaussian()
    }
}

func config(_ text: String, file: String = "t.json") throws -> Config {
    try Config(file: file, json: JSONValue.parse(Array(text.utf8)), studies: [ProbeStudy.self])
}

func configError(_ text: String) -> String {
    do {
        _ = try config(text)
        return "no error"
    } catch {
        return "\(error)"
    }
}

struct ConfigTests {
    let valid = #"{"study": "probe", "seed": 1, "replications": 3, "fixed": {"spectrum": [1, 2], "steps": 10}, "grid": {"beta2": [0.9, 0.99], "mode": ["a", "b", "a"]}}"#

    @Test func gridIsTheCartesianProductLastKeyFastest() throws {
        let c = try config(valid)
        #expect(c.cells.count == 6)
        #expect(c.cells.map { $0[ProbeStudy.beta2] } == [0.9, 0.9, 0.9, 0.99, 0.99, 0.99])
        #expect(c.cells.map { $0[ProbeStudy.mode].rawValue } == ["a", "b", "a", "a", "b", "a"])
        #expect(c.cells[4].keyPath("mode") == "grid.mode[1]")
        #expect(c.cells[4].keyPath("steps") == "fixed.steps")
        #expect(c.name == "t")
        #expect(c.generator == .taus2)
    }

    /// Two configs with one name would write the same result files: refused, naming the second
    /// file, its `name` key and the first file.
    @Test func twoConfigsWithOneNameAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-names-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for sub in ["a", "b"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
            try Data(valid.utf8).write(to: folder.appendingPathComponent("\(sub)/same.json"))
        }
        let a = folder.appendingPathComponent("a/same.json").path, b = folder.appendingPathComponent("b/same.json").path
        #expect(try Config.load(paths: [a], studies: [ProbeStudy.self]).map(\.name) == ["same"])
        do {
            _ = try Config.load(paths: [a, b], studies: [ProbeStudy.self])
            Issue.record("two configs named same were accepted")
        } catch {
            #expect(error.description == "\(b): name: \"same\" is also the name of \(a); both would write same.csv")
        }
    }

    @Test func defaultsFillWhatIsNotGiven() throws {
        let c = try config(#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": [1], "steps": 2}}"#)
        #expect(c.cells.count == 1)
        #expect(c.cells[0][ProbeStudy.beta2] == 0.999)
        #expect(c.cells[0][ProbeStudy.mode].rawValue == "a")
    }

    @Test func geometricSpectrumHitsBothEnds() throws {
        let c = try config(#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": {"min": 0.01, "max": 100, "count": 5}, "steps": 2}}"#)
        let values = c.cells[0][ProbeStudy.spectrum].values
        #expect(values.first == 0.01 && values.last == 100)
        for (x, y) in zip(values, [0.01, 0.1, 1, 10, 100]) { #expect(abs(x / y - 1) < 1e-14) }
    }

    /// Each mistake names the key and says what is wrong.
    @Test(arguments: [
        (#"{"study": "nope", "seed": 1, "replications": 1}"#, "t.json: study: unknown study \"nope\""),
        (#"{"study": "probe", "seed": 1, "replications": 1, "extra": 2}"#, "t.json: extra: unknown key"),
        (#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": [1], "steps": 1, "sigma": 2}}"#, "t.json: fixed.sigma: unknown parameter of probe"),
        (#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": [1], "steps": 1}, "grid": {"steps": [1, 2]}}"#, "t.json: fixed.steps: is also in grid"),
        (#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": [1], "steps": "ten"}}"#, "t.json: fixed.steps: must be an integer ≥ 1, got a string"),
        (#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": [], "steps": 1}}"#, "t.json: fixed.spectrum: is empty"),
        (#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": [1, -2], "steps": 1}}"#, "t.json: fixed.spectrum[1]: eigenvalues must be > 0"),
        (#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": {"min": 0, "max": 1, "count": 3}, "steps": 1}}"#, "t.json: fixed.spectrum.min: eigenvalues must be > 0"),
        (#"{"study": "probe", "seed": 1, "replications": 0, "fixed": {"spectrum": [1], "steps": 1}}"#, "t.json: replications: must be an integer ≥ 1"),
        (#"{"study": "probe", "seed": 1.5, "replications": 1, "fixed": {"spectrum": [1], "steps": 1}}"#, "t.json: seed: must be an integer ≥ 0"),
        (#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": [1], "steps": 1}, "grid": {"beta2": [0.5, 1.5]}}"#, "t.json: grid.beta2[1]: must be a number in [0, 1), got 1.5"),
        (#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": [1]}}"#, "t.json: fixed.steps: missing"),
        (#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": {"min": 1, "max": 2, "count": 5000}, "steps": 1}}"#, "t.json: fixed.spectrum: too large"),
        (#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": [1], "steps": 1}, "grid": {"mode": []}}"#, "t.json: grid.mode: must be a non-empty array"),
        (#"[1, 2]"#, "t.json: must be a JSON object"),
    ])
    func mistakesAreReportedByKey(text: String, expected: String) {
        let message = configError(text)
        #expect(message.hasPrefix(expected), "got: \(message)")
        #expect(!message.contains("\n"))
    }

    @Test func numbersAreWrittenToReadBackExactly() {
        var x: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<10_000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let value = Double(bitPattern: x >> 2 | 0x3000_0000_0000_0000) * (x & 1 == 0 ? 1 : -1)
            #expect(Double(format(value)) == value)
        }
        #expect(format(3) == "3")
        #expect(format(0.1) == "0.1")
    }
}

/// Seeds and counts past 2^53 are refused, never rounded to a neighbour.
struct LargeIntegerTests {
    func text(seed: String) -> String {
        #"{"study": "probe", "seed": "# + seed + #", "replications": 1, "fixed": {"spectrum": [1], "steps": 1}}"#
    }

    @Test func seedTwoToThe53IsAcceptedAndOneMoreIsRefused() throws {
        #expect(try config(text(seed: "9007199254740992")).seed == 1 << 53)
        let error = #expect(throws: JSONSyntaxError.self) { try config(text(seed: "9007199254740993")) }
        #expect(error?.message == "integer 9007199254740993 has no exact double-precision value")
        #expect(error?.line == 1)
        // Exact integers past 2^53 parse, and the parameter refuses them.
        for big in ["9007199254740994", "18446744073709551616", "1e20", "1E300"] {
            #expect(configError(text(seed: big)).hasPrefix("t.json: seed: must be an integer ≥ 0 and ≤ 2^53, got "), "\(big)")
        }
        #expect(configError(text(seed: "-9007199254740992")).hasPrefix("t.json: seed: must be an integer ≥ 0"))
        #expect(throws: JSONSyntaxError.self) { try config(text(seed: "-9007199254740993")) }
        #expect(throws: JSONSyntaxError.self) { try config(text(seed: "123456789012345678901234567890")) }
        // Through Config.load: one line naming the file.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString).json").path
        try text(seed: "9007199254740993").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = #expect(throws: ConfigError.self) { try Config.load(path: path, studies: [ProbeStudy.self]) }
        #expect(loaded?.description == "\(path): not valid JSON: line 1, column 28: integer 9007199254740993 has no exact double-precision value")
    }

    @Test func countsPast2To53AreRefused() {
        #expect(configError(#"{"study": "probe", "seed": 1, "replications": 9007199254740994, "fixed": {"spectrum": [1], "steps": 1}}"#)
            .hasPrefix("t.json: replications: must be an integer ≥ 1 and ≤ 2^53"))
        #expect(configError(#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": {"min": 1, "max": 2, "count": 1e300}, "steps": 1}}"#)
            .hasPrefix("t.json: fixed.spectrum.count: must be an integer ≥ 1 and ≤ 2^53"))
    }
}

/// Grids whose cell count overflows 64 bits are refused on `grid` before anything is allocated.
struct GridSizeTests {
    func grid(_ lengths: [String: Int]) -> String {
        let axes = lengths.sorted { $0.key < $1.key }.map { key, n -> String in
            let value = key == "mode" ? "\"a\"" : key == "steps" ? "1" : key == "spectrum" ? "[1]" : "0.5"
            return "\"\(key)\": [" + Array(repeating: value, count: n).joined(separator: ",") + "]"
        }
        return #"{"study": "probe", "seed": 1, "replications": 1, "grid": {"# + axes.joined(separator: ", ") + "}}"
    }

    @Test func overflowingGridsAreRefusedOnGrid() {
        // 2^16 values on each of four axes: 2^64 cells, which wrapped to 0.
        let four = ["beta2": 1 << 16, "steps": 1 << 16, "mode": 1 << 16, "spectrum": 1 << 16]
        #expect(configError(grid(four)) == "t.json: grid: has 2^64 cells; at most 1048576")
        #expect(configError(grid(["beta2": 1 << 17, "steps": 1 << 17, "mode": 1 << 16, "spectrum": 1 << 16]))
            == "t.json: grid: has 2^66 cells; at most 1048576")
        #expect(configError(grid(["beta2": 100_000, "steps": 100_000, "mode": 100_000, "spectrum": 100_000]))
            == "t.json: grid: has more than 2^66 cells; at most 1048576")
        #expect(configError(grid(["beta2": 1025, "steps": 1024, "spectrum": 1])) == "t.json: grid: has 1049600 cells; at most 1048576")
    }
}
