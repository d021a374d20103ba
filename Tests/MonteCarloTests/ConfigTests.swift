import GSL
import MonteCarlo
import Testing

/// A study with one parameter of each kind, to test configs without any real study.
struct ProbeStudy: Study {
    static let name = "probe"
    static let summary = "a test double"
    static let parameters: [Parameter] = [
        Parameter("spectrum", .spectrum, "eigenvalues"),
        Parameter("beta2", .number(.unitHalfOpen), default: .number(0.999), "a decay rate"),
        Parameter("steps", .integer(minimum: 1), "a count"),
        Parameter("mode", .choice(["a", "b"]), default: .choice("a"), "a choice"),
    ]
    static func validate(_ cell: Cell, replications: Int) throws(CellError) {
        if cell.spectrum("spectrum").count > 1000 {
            throw CellError(parameter: "spectrum", message: "too large")
        }
    }
    init(cell: Cell, design: RandomStream) throws { outputs = [Output("x", theory: 0)] }
    let outputs: [Output]
    func makeWorkspace() throws {}
    func replicate(_ stream: RandomStream, _ workspace: inout Void, _ statistics: UnsafeMutableBufferPointer<Double>) throws {
        statistics[0] = stream.gaussian()
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
        #expect(c.cells.map { $0.number("beta2") } == [0.9, 0.9, 0.9, 0.99, 0.99, 0.99])
        #expect(c.cells.map { $0.choice("mode") } == ["a", "b", "a", "a", "b", "a"])
        #expect(c.cells[4].keyPath("mode") == "grid.mode[1]")
        #expect(c.cells[4].keyPath("steps") == "fixed.steps")
        #expect(c.name == "t")
        #expect(c.generator == .taus2)
    }

    @Test func defaultsFillWhatIsNotGiven() throws {
        let c = try config(#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": [1], "steps": 2}}"#)
        #expect(c.cells.count == 1)
        #expect(c.cells[0].number("beta2") == 0.999)
        #expect(c.cells[0].choice("mode") == "a")
    }

    @Test func geometricSpectrumHitsBothEnds() throws {
        let c = try config(#"{"study": "probe", "seed": 1, "replications": 1, "fixed": {"spectrum": {"min": 0.01, "max": 100, "count": 5}, "steps": 2}}"#)
        let values = c.cells[0].spectrum("spectrum").values
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
