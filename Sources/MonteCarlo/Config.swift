import Foundation
import GSL

/// A config error: the file, the key (a path such as `fixed.beta2` or `grid.alpha[2]`) and what
/// is wrong, printed as the one line the contract asks for:
/// `studies/x.json: fixed.beta2: must be a number in [0, 1), got 1.5`.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var key: String?
    public var message: String

    public init(file: String, key: String?, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    /// One line, whatever the file, key or message hold: control, format and line-separating
    /// characters (a newline in a file name, a bidi override quoted from a hostile file) are
    /// written as escapes.
    public var description: String {
        String([file, key, message].compactMap { $0 }.joined(separator: ": ").unicodeScalars.flatMap { scalar -> [Character] in
            MarkdownText.isBreaking(scalar) ? Array(scalar.escaped(asASCII: true)) : [Character(scalar)]
        })
    }
}

/// One cell of the design grid: every parameter of the study resolved (from `grid`, `fixed` or
/// the default), and the grid coordinates that label the cell in the result files.
public struct Cell: Sendable {
    /// The cell's number, 0-based, in grid order (the last grid key varies fastest).
    public let index: Int
    /// The grid parameters and this cell's value of each, in config order.
    public let gridValues: [(name: String, value: JSONValue)]
    let values: [String: ParameterValue]
    let keyPaths: [String: String]

    init(index: Int, gridValues: [(name: String, value: JSONValue)], values: [String: ParameterValue],
         keyPaths: [String: String]) {
        self.index = index
        self.gridValues = gridValues
        self.values = values
        self.keyPaths = keyPaths
    }

    /// Every parameter of the cell that labels one (all but spectra), as the result files write
    /// it (``ParameterValue/label``): from grid, fixed or the default alike.
    public var parameterLabels: [String: String] { values.compactMapValues(\.label) }

    /// Where `parameter` was set: `fixed.sigma`, `grid.alpha[1]`, or `sigma` for a default.
    public func keyPath(_ parameter: String) -> String { keyPaths[parameter] ?? parameter }

    /// The cell's value of `parameter`. Every parameter a study lists has a value in each of its
    /// cells (from grid, fixed or the default; a required one missing is a config error), so the
    /// only way to miss is to read a key the study does not list: a programming error, caught by
    /// any test that runs the study, and never reachable from a config.
    public subscript<Value>(_ parameter: Parameter<Value>) -> Value {
        guard let stored = values[parameter.name], let value = Value(stored) else {
            preconditionFailure("\(parameter.name) is not a parameter of this cell's study")
        }
        return value
    }
}

/// A run's configuration, read and checked from a config file (docs/RESULTS.md, "Config files").
///
/// Everything a user can get wrong is found here, before any work starts, and reported as a
/// ``ConfigError`` naming the file and the key.
public struct Config: Sendable {
    /// The file it was read from, as given.
    public let file: String
    /// The stem of the result files.
    public let name: String
    public let study: any Study.Type
    /// The root seed (``SeedSequence``).
    public let seed: UInt64
    public let replications: Int
    public let generator: Generator
    /// The design grid, one cell per combination of grid values.
    public let cells: [Cell]
    /// The config as read.
    public let source: JSONObject
    /// The memory a run needs (``memoryEstimate``), summed over the cells before any is run.
    public let memory: MemoryPlan

    /// Configs larger than this are refused unread.
    public static let maximumFileBytes = 64 << 20
    /// The most cells a grid may have.
    public static let maximumCells = 1 << 20

    static let topLevelKeys = ["name", "study", "seed", "replications", "generator", "fixed", "grid"]

    /// Reads and checks the config at `path`; `studies` are the studies `"study"` may name.
    public static func load(path: String, studies: [any Study.Type]) throws(ConfigError) -> Config {
        let bytes = try read(path)
        let json: JSONValue
        do { json = try JSONValue.parse(bytes, numbers: .exact) } catch {
            throw ConfigError(file: path, key: nil, message: "not valid JSON: \(error)")
        }
        return try Config(file: path, json: json, studies: studies)
    }

    /// Reads and checks the configs at `paths` (``load(path:studies:)``), and refuses two with
    /// the same name: both would write the same result files.
    public static func load(paths: [String], studies: [any Study.Type]) throws(ConfigError) -> [Config] {
        var configs: [Config] = []
        for path in paths { configs.append(try load(path: path, studies: studies)) }
        var seen: [String: String] = [:]
        for config in configs {
            if let other = seen.updateValue(config.file, forKey: config.name) {
                throw ConfigError(file: config.file, key: "name",
                                  message: "\"\(config.name)\" is also the name of \(other); both would write \(config.name).csv")
            }
        }
        return configs
    }

    /// What a config is read for: what `init` checks besides the config itself.
    public enum Purpose: Sendable {
        /// To be run here: the run's memory must fit this machine (``MemoryPlan``) and each
        /// cell's inputs be present (``Study/checkInputs(_:)``).
        case run
        /// As the record of a run made elsewhere (a manifest, a part file, a checkpoint): the
        /// config must be valid, but nothing is asked of this machine, where it will not be run.
        case record
    }

    /// Checks a parsed config; `file` names it in errors.
    public init(file: String, json: JSONValue, studies: [any Study.Type], purpose: Purpose = .run) throws(ConfigError) {
        func fail(_ key: String?, _ message: String) -> ConfigError {
            ConfigError(file: file, key: key, message: message)
        }
        guard case .object(let top) = json else {
            throw fail(nil, "must be a JSON object with study, seed, replications, fixed and grid, got \(json.typeDescription)")
        }
        for key in top.keys where !Config.topLevelKeys.contains(key) {
            throw fail(key, "unknown key; expected one of \(Config.topLevelKeys.joined(separator: ", "))")
        }
        self.file = file
        source = top

        // study
        guard let studyValue = top["study"] else { throw fail("study", "missing; one of \(studies.map { $0.name }.joined(separator: ", "))") }
        guard case .string(let studyName) = studyValue, let study = studies.first(where: { $0.name == studyName }) else {
            throw fail("study", "unknown study \(studyValue.compactTextPreview); one of \(studies.map { $0.name }.joined(separator: ", "))")
        }
        self.study = study

        // name: the stem of the result files
        if let nameValue = top["name"] {
            guard case .string(let name) = nameValue, Config.isResultName(name) else {
                throw fail("name", "\(Config.resultNameRule), got \(nameValue.compactTextPreview)")
            }
            self.name = name
        } else {
            let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            guard Config.isResultName(stem) else {
                throw fail("name", "missing, and the file's stem \(JSONValue.string(stem).compactTextPreview) is no result name; give \"name\": it \(Config.resultNameRule)")
            }
            self.name = stem
        }

        // seed, replications, generator
        guard let seedValue = top["seed"] else { throw fail("seed", "missing; the root seed, an integer in [0, 2^53]") }
        do { seed = UInt64(try AnyParameter.integer(seedValue, minimum: 0)) } catch { throw fail("seed", error.message) }
        guard let replicationsValue = top["replications"] else { throw fail("replications", "missing; an integer ≥ 1") }
        do { replications = try AnyParameter.integer(replicationsValue, minimum: 1) } catch { throw fail("replications", error.message) }
        if let generatorValue = top["generator"] {
            guard case .string(let g) = generatorValue, let generator = Generator(rawValue: g) else {
                throw fail("generator", "must be one of \(Generator.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), got \(generatorValue.compactTextPreview)")
            }
            self.generator = generator
        } else {
            generator = .default
        }

        // fixed and grid
        let parameters = study.parameters
        func parameter(_ section: String, _ key: String) throws(ConfigError) -> AnyParameter {
            guard let p = parameters.first(where: { $0.name == key }) else {
                throw fail("\(section).\(key)", "unknown parameter of \(study.name); it takes \(parameters.map(\.name).joined(separator: ", "))")
            }
            return p
        }
        func section(_ name: String) throws(ConfigError) -> JSONObject {
            guard let value = top[name] else { return JSONObject() }
            guard case .object(let object) = value else { throw fail(name, "must be an object, got \(value.typeDescription)") }
            return object
        }
        let fixed = try section("fixed"), grid = try section("grid")

        var base: [String: ParameterValue] = [:]
        var keyPaths: [String: String] = [:]
        for p in parameters { if let d = p.defaultValue { base[p.name] = d } }
        for (key, value) in fixed.members {
            let p = try parameter("fixed", key)
            if grid[key] != nil { throw fail("fixed.\(key)", "is also in grid; a parameter goes in fixed or in grid, not both") }
            do { base[key] = try p.parse(value) } catch { throw fail("fixed.\(key)\(error.path)", error.message) }
            keyPaths[key] = "fixed.\(key)"
        }
        var axes: [(name: String, json: [JSONValue], values: [ParameterValue])] = []
        for (key, value) in grid.members {
            let p = try parameter("grid", key)
            guard case .array(let items) = value, !items.isEmpty else {
                throw fail("grid.\(key)", "must be a non-empty array of values, one per cell, got \(value.typeDescription)")
            }
            var parsed: [ParameterValue] = []
            for (i, item) in items.enumerated() {
                do { parsed.append(try p.parse(item)) } catch { throw fail("grid.\(key)[\(i)]\(error.path)", error.message) }
            }
            axes.append((key, items, parsed))
        }
        for p in parameters where base[p.name] == nil && !axes.contains(where: { $0.name == p.name }) {
            throw fail("fixed.\(p.name)", "missing; \(study.name) needs \(p.name) (\(p.summary))")
        }

        // The Cartesian product, last axis fastest.
        // Counted with overflow checks, and refused before anything is allocated: a product that
        // wraps could pass as a small grid.
        let cellCount = try Config.cellCount(axes.map(\.values.count), file: file)
        guard SeedSequence.streamCount(cells: cellCount, replications: replications) < SeedSequence.capacity else {
            throw fail("replications", "\(cellCount) cells × (\(replications) + 1) streams exceed the 2^32 − 1 distinct 32-bit seeds")
        }
        var cells: [Cell] = []
        cells.reserveCapacity(cellCount)
        var memory = MemoryPlan()
        for index in 0..<cellCount {
            var values = base, paths = keyPaths, labels: [(name: String, value: JSONValue)] = []
            var rest = index
            var position = Array(repeating: 0, count: axes.count)
            for a in axes.indices.reversed() {
                position[a] = rest % axes[a].values.count
                rest /= axes[a].values.count
            }
            for (a, axis) in axes.enumerated() {
                values[axis.name] = axis.values[position[a]]
                paths[axis.name] = "grid.\(axis.name)[\(position[a])]"
                labels.append((axis.name, axis.json[position[a]]))
            }
            let cell = Cell(index: index, gridValues: labels, values: values, keyPaths: paths)
            // The memory first: validate may compute from the spectrum.
            let need = study.memory(cell), width = study.statisticsWidth(cell)
            memory.add(need, width: width, replications: replications)
            if purpose == .run {
                try Config.requireMemory(memory, threads: 1, cell: cell, need: need, width: width, replications: replications, file: file)
            }
            do {
                try study.validate(cell, replications: replications)
                if purpose == .run { try study.checkInputs(cell) }
            } catch {
                throw fail(cell.keyPath(error.parameter), error.message)
            }
            cells.append(cell)
        }
        self.cells = cells
        self.memory = memory
    }

    /// The parameters the config leaves to their defaults, with the values they took: with
    /// `source` and the generator, the config exactly as run.
    public var defaultsUsed: JSONObject {
        func set(_ section: String, _ key: String) -> Bool {
            if case .object(let object) = source[section] { return object[key] != nil }
            return false
        }
        return JSONObject(study.parameters.compactMap { p in
            guard let value = p.defaultValue, !set("fixed", p.name), !set("grid", p.name) else { return nil }
            switch value {
            case .number(let x): return (p.name, .number(x))
            case .integer(let n): return (p.name, .number(Double(n)))
            case .choice(let c): return (p.name, .string(c))
            case .spectrum(let s): return (p.name, .array(s.values.map(JSONValue.number)))
            }
        })
    }

    /// The number of cells of a grid with these axis lengths; a grid with more than
    /// ``maximumCells`` cells is a ``ConfigError`` on `grid`, however large the product (the
    /// size is given as 2^k past 2^63, where the product no longer fits an `Int`).
    static func cellCount(_ lengths: [Int], file: String) throws(ConfigError) -> Int {
        var count = 1, log2 = 0.0
        var overflow = false
        for n in lengths {
            precondition(n >= 1)
            log2 += Foundation.log2(Double(n))
            if !overflow {
                let (product, o) = count.multipliedReportingOverflow(by: n)
                (count, overflow) = (product, o)
            }
        }
        guard !overflow, count <= maximumCells else {
            // Past 2^63 the size is given by its binary logarithm: exact when every axis
            // length is a power of two, else the power of two it exceeds.
            let exponent = Int(log2.rounded(.down))
            let exact = lengths.allSatisfy { $0.nonzeroBitCount == 1 }
            let size = overflow ? (exact ? "2^\(exponent)" : "more than 2^\(exponent)") : String(count)
            throw ConfigError(file: file, key: "grid", message: "has \(size) cells; at most \(maximumCells)")
        }
        return count
    }

    static func read(_ path: String) throws(ConfigError) -> [UInt8] {
        try FileInput.read(path, limit: maximumFileBytes)
    }

    /// Whether `s` may name a result set (docs/RESULTS.md, "Result files"): ASCII letters, digits,
    /// '_' and '-', starting with a letter or digit, at most 200 bytes, and not `REPORT` in any
    /// case. No '.': every file of the set NAME is `NAME.EXT` or `NAME.ROLE.EXT` (its per-replication
    /// file, its part files, its figures `figures/NAME.ROLE.svg`), so no name can reach another
    /// set's files, and `REPORT` is the report's own `REPORT.md`.
    public static func isResultName(_ s: String) -> Bool {
        guard let first = s.utf8.first, isLetterOrDigit(first), s.utf8.count <= 200,
              s.uppercased() != reservedName else { return false }
        return s.utf8.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// The name no result set may take: the report writes `REPORT.md`.
    public static let reservedName = "REPORT"

    /// ``isResultName(_:)`` in words, for messages.
    public static let resultNameRule = "must be letters, digits, '_' or '-', starting with a letter or digit, at most 200 bytes and not REPORT (a '.' would let NAME.replications or NAME.part-1-of-2 reach another set's files)"

    private static func isLetterOrDigit(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
    }
}
