import Foundation
import MonteCarlo

/// One row of a study's tidy CSV (docs/RESULTS.md, "Result files").
public struct ResultRow: Sendable, Equatable {
    public var cell: Int
    /// The grid parameters of the row's cell, as written in the CSV.
    public var grid: [String: String]
    /// Every parameter of the row's cell that labels one, as the CSV would write it: the grid's
    /// and, where the manifest holds the config, the fixed and default ones too. Rules look rows
    /// up by these, so a value decides the same whether it was gridded, fixed or left at its
    /// default.
    public var parameters: [String: String]
    public var quantity: String
    public var index: Int?
    public var estimate: Double
    public var mcse: Double?
    public var theory: Double?
    /// Whether `theory` holds only in a limit (`theory_kind` = `limit`): its gap is reported,
    /// never z-tested.
    public var theoryIsLimit: Bool
    /// The replications behind the estimate (the `replications` column), where the file says.
    public var replications: Int?

    public init(cell: Int, grid: [String: String] = [:], parameters: [String: String]? = nil, quantity: String, index: Int? = nil,
                estimate: Double, mcse: Double?, theory: Double?, theoryIsLimit: Bool = false, replications: Int? = nil) {
        (self.cell, self.grid, self.parameters, self.quantity, self.index) = (cell, grid, parameters ?? grid, quantity, index)
        (self.estimate, self.mcse, self.theory, self.theoryIsLimit) = (estimate, mcse, theory, theoryIsLimit)
        self.replications = replications
    }

    /// (estimate − theory)/mcse, when the theory is exact and the MCSE positive.
    public var z: Double? {
        guard let theory, !theoryIsLimit, let mcse, mcse > 0 else { return nil }
        return (estimate - theory) / mcse
    }
}

/// A study's results as read back from `NAME.csv` and `NAME.json`: what the report and the figures
/// are made from, so that they can be rebuilt from `results/` alone.
public struct StudyResults: Sendable {
    public var name: String
    public var rows: [ResultRow] { didSet { index = RowIndex(rows) } }
    /// Where the rows of each quantity, and of each grid value, are: so that a lookup costs the
    /// rows it could match, not the whole file (the claims and figures look rows up once per
    /// grid value, which on a large file would otherwise be quadratic).
    private var index: RowIndex
    /// The provenance manifest (`NAME.json`), empty when built in memory.
    public var manifest: JSONObject
    /// The config as run, rebuilt from the manifest and checked when it was read (nil when built
    /// in memory or without a manifest): its cells give every parameter exactly as the study saw it.
    public var config: Config?

    public init(name: String, rows: [ResultRow], manifest: JSONObject = JSONObject(), config: Config? = nil) {
        (self.name, self.rows, self.manifest, self.config) = (name, rows, manifest, config)
        index = RowIndex(rows)
    }

    /// Rows of `quantity` in cells whose parameters (``ResultRow/parameters``: grid, fixed and
    /// default alike) include `grid`, in file order.
    public func rows(_ quantity: Quantity, _ grid: [String: String] = [:]) -> [ResultRow] {
        guard var candidates = index.byQuantity[quantity.name] else { return [] }
        for (column, value) in grid {
            guard let positions = index.byValue[quantity.name]?[column]?[value] else { return [] }
            if positions.count < candidates.count { candidates = positions }
        }
        return candidates.map { rows[$0] }.filter { row in grid.allSatisfy { row.parameters[$0.key] == $0.value } }
    }

    /// Rows of `quantity` in cells where every condition holds (typed keys:
    /// `rows(SqrtLaw.Quantities.v, SqrtLaw.rotation.is(.none))`).
    public func rows(_ quantity: Quantity, _ conditions: ParameterCondition...) -> [ResultRow] {
        rows(quantity, matching: conditions)
    }

    /// Rows of `quantity` in cells where every condition of `conditions` holds.
    public func rows(_ quantity: Quantity, matching conditions: [ParameterCondition]) -> [ResultRow] {
        rows(quantity, Dictionary(conditions.map { ($0.name, $0.label) }) { _, last in last })
    }

    /// The one scalar `quantity` of the cell matching `grid`, if there is exactly one.
    public func scalar(_ quantity: Quantity, _ grid: [String: String] = [:]) -> ResultRow? {
        let matches = rows(quantity, grid).filter { $0.index == nil }
        return matches.count == 1 ? matches[0] : nil
    }

    /// The one scalar `quantity` of the cell where every condition holds, if there is exactly one.
    public func scalar(_ quantity: Quantity, _ conditions: ParameterCondition...) -> ResultRow? {
        scalar(quantity, matching: conditions)
    }

    /// The one scalar `quantity` of the cell where every condition of `conditions` holds.
    public func scalar(_ quantity: Quantity, matching conditions: [ParameterCondition]) -> ResultRow? {
        scalar(quantity, Dictionary(conditions.map { ($0.name, $0.label) }) { _, last in last })
    }

    /// The distinct values of a parameter over the rows, in order of first appearance: a
    /// fixed or default one has its single value, as a one-element grid would.
    public func values(of parameter: String) -> [String] {
        index.values[parameter] ?? []
    }

    /// A typed parameter's value in a row's cell: from the config, or without one from the label
    /// the row carries; nil when the row has neither.
    public func value<Value: ParameterType>(_ parameter: Parameter<Value>, of row: ResultRow) -> Value? {
        if let config, config.cells.indices.contains(row.cell) { return config.cells[row.cell][parameter] }
        return row.parameters[parameter.name].flatMap { parameter.value(label: $0) }
    }

    /// The distinct values of a typed parameter, in cell order: from the config's cells, or
    /// without a config from the labels the rows carry.
    public func values<Value: ParameterType & Equatable>(of parameter: Parameter<Value>) -> [Value] {
        guard let config else { return values(of: parameter.name).compactMap { parameter.value(label: $0) } }
        var seen: [Value] = []
        for cell in config.cells where !seen.contains(cell[parameter]) { seen.append(cell[parameter]) }
        return seen
    }

    /// The largest result CSV the report reads: 64 MB, some 450 times the largest committed table
    /// (140 kB), about a million rows. Parsed rows take several times the file's size in memory,
    /// and reading one takes seconds (16 s for 60 MB in a debug build), so the limit bounds both.
    public static let maximumCSVBytes = 64 << 20
    /// The largest manifest the report reads (the config limit: a manifest holds a config).
    public static let maximumManifestBytes = Config.maximumFileBytes
    /// The most columns a result CSV may have: its fixed and optional columns and one per grid
    /// parameter (a study has a few dozen parameters at most). A longer line is refused as soon
    /// as it is read, so a header of millions of columns costs no more than reading it.
    public static let maximumColumns = 256
    /// The most distinct values a grid column may take: the report lists and plots each one, and
    /// looks rows up once per value; a longer axis is no report (the committed ones have ≤ 8).
    public static let maximumGridValues = 1024
    /// The columns every result CSV has (docs/RESULTS.md, "Result files").
    public static let fixedColumns = ["cell", "quantity", "index", "estimate", "mcse", "theory"]
    /// Columns a result CSV may have besides the fixed ones and the grid's (absent from files
    /// written before they existed): `theory_kind` (without it, every theory was meant as exact),
    /// `replications`, `sd`, `h` (a coordinate's curvature) and `note` (why a row has no
    /// estimate: such a row is read as the estimand's absence, not as a number).
    public static let optionalColumns = ["theory_kind", "replications", "sd", "h", "note"]

    /// Reads `NAME.csv` and `NAME.json` from `directory` (``load(_:in:studies:)``).
    public static func load(_ name: String, from directory: URL, studies: [any Study.Type]) throws(ConfigError) -> StudyResults {
        try load(name, in: OutputFolder.reading(directory.path), studies: studies)
    }

    /// Reads the result set `name` from `folder`: `NAME.json` (the manifest; absent is allowed,
    /// then the CSV alone makes a report) and `NAME.csv`, nothing else. Every file is read as a
    /// regular file within its size limit, never through a symbolic link, and checked as a
    /// config is; the CSV must be the one the manifest names (``ResultSet``), and no write of the
    /// set may be half done. A bad file is a ``ConfigError`` naming it and the line or key
    /// (exit 2), never a trap. The manifest's config is checked as a record (``Config/Purpose``):
    /// nothing is asked of this machine (its memory, the network study's data files).
    public static func load(_ name: String, in folder: OutputFolder, studies: [any Study.Type]) throws(ConfigError) -> StudyResults {
        let csv = "\(name).csv", csvPath = folder.display(csv)
        guard Config.isResultName(name) else {
            throw ConfigError(file: csvPath, key: nil, message: "a result set's name \(Config.resultNameRule)")
        }
        let manifest = try readManifest(in: folder, name: name, studies: studies)
        let bytes = try folder.read(csv, limit: maximumCSVBytes)
        let rows = try parseRows(bytes, file: csvPath, config: manifest.config)
        if ResultSet.interruptedWrite(of: name, in: folder) {
            throw ConfigError(file: csvPath, key: nil, message: "a write of the set \(name) was interrupted here (its temporary or backup files remain); `hessian-study report` on the folder restores it")
        }
        if let files = manifest.files { try ResultSet.verify(bytes, of: csv, display: csvPath, against: files) }
        return StudyResults(name: name, rows: rows, manifest: manifest.object, config: manifest.config)
    }

    /// `NAME.json`: absent is allowed (a CSV alone still makes a report); present, it must be a
    /// JSON object whose `config` (when there is one) is a valid config of a known study, with the
    /// name of its CSV, whose `files` name and digest the set's files (``ResultSet``), and whose
    /// provenance fields have the types `run` writes.
    static func readManifest(in folder: OutputFolder, name: String, studies: [any Study.Type]) throws(ConfigError)
        -> (object: JSONObject, config: Config?, files: [String: String]?) {
        let path = folder.display("\(name).json")
        func fail(_ key: String?, _ message: String) -> ConfigError { ConfigError(file: path, key: key, message: message) }
        // No manifest at all is allowed; anything else there (a folder, a FIFO, a link) is refused.
        guard folder.exists("\(name).json") else { return (JSONObject(), nil, nil) }
        let bytes = try folder.read("\(name).json", limit: maximumManifestBytes)
        let json: JSONValue
        do { json = try JSONValue.parse(bytes, numbers: .exact) } catch { throw fail(nil, "not valid JSON: \(error)") }
        guard case .object(let object) = json else { throw fail(nil, "must be a JSON object (a run's manifest), got \(json.typeDescription)") }
        for key in ["name", "study", "package_version", "gsl_version", "blas", "lapack", "git_commit", "config_file", "generator", "rng", "gaussian", "started"] {
            switch object[key] {
            case nil, .string?: continue
            case .null? where key == "git_commit": continue
            case let value?: throw fail(key, "must be a string, got \(value.typeDescription)")
            }
        }
        if let value = object["wall_seconds"] {
            guard case .number(let x) = value, x.isFinite, x >= 0, x < 1e12 else {
                throw fail("wall_seconds", "must be a number of seconds in [0, 10^12), got \(value.compactText.prefix(40))")
            }
        }
        guard let source = object["config"] else { return (object, nil, try ResultSet.files(of: name, manifest: object, file: path)) }
        guard case .object = source else { throw fail("config", "must be an object (the config as run), got \(source.typeDescription)") }
        let config: Config
        do { config = try Config(file: path, json: source, studies: studies, purpose: .record) } catch {
            throw fail("config" + (error.key.map { ".\($0)" } ?? ""), error.message)
        }
        guard config.name == name else {
            throw fail("config.name", "names the results \(String(reflecting: String(config.name.prefix(60)))), but the file is \(name).json")
        }
        return (object, config, try ResultSet.files(of: name, manifest: object, file: path))
    }

    /// The rows of a result CSV, each checked: the header's columns unique and including
    /// ``fixedColumns``; every row with the header's field count; `cell` and `index`
    /// non-negative integers (`cell` a cell of the config, when there is one); `estimate` a
    /// finite number, `mcse` and `theory` finite or empty; a cell's grid values the same on every
    /// row (and, with a config, the values that cell ran with).
    static func parseRows(_ bytes: [UInt8], file: String, config: Config?) throws(ConfigError) -> [ResultRow] {
        func fail(_ line: Int?, _ message: String) -> ConfigError {
            ConfigError(file: file, key: line.map { "line \($0)" }, message: message)
        }
        // The records are read one at a time: the header's, then each row's, turned into a
        // ResultRow before the next is read (no table of every field is ever held).
        var records = CSV.Records(bytes, file: file, maximumFields: maximumColumns)
        guard let (headerLine, header) = try records.next() else { throw fail(nil, "empty; a result CSV starts with its header") }
        var seen: Set<String> = []
        for column in header {
            guard column.utf8.count <= 100, isName(column) else {
                throw fail(headerLine, "column names are parameter names (letters, digits and _), got \(Text.quoted(column))")
            }
            guard seen.insert(column).inserted else { throw fail(headerLine, "column \(column) appears twice") }
        }
        for column in fixedColumns where !seen.contains(column) {
            throw fail(headerLine, "no \(column) column; a result CSV has \(fixedColumns.joined(separator: ", ")) and the grid parameters")
        }
        let position = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
        let gridColumns = header.filter { !fixedColumns.contains($0) && !optionalColumns.contains($0) }
        let kindAt = position["theory_kind"], noteAt = position["note"], replicationsAt = position["replications"]
        if let config {
            let expected = config.cells.first?.gridValues.map(\.name) ?? []
            guard Set(gridColumns) == Set(expected) else {
                throw fail(headerLine, "grid columns \(gridColumns.joined(separator: ", ")) differ from the manifest's grid (\(expected.joined(separator: ", ")))")
            }
        }
        let (cellAt, quantityAt, indexAt) = (position["cell"]!, position["quantity"]!, position["index"]!)
        let (estimateAt, mcseAt, theoryAt) = (position["estimate"]!, position["mcse"]!, position["theory"]!)
        var grids: [Int: (grid: [String: String], parameters: [String: String])] = [:]
        var distinct: [String: Set<String>] = [:]
        struct RowKey: Hashable { var cell: Int, quantity: String, index: Int? }
        var keys: Set<RowKey> = []
        var rows: [ResultRow] = []
        while let (line, fields) = try records.next() {
            guard fields.count == header.count else {
                throw fail(line, "has \(fields.count) fields, the header \(header.count)")
            }
            guard let cell = nonNegativeInteger(fields[cellAt]) else {
                throw fail(line, "cell must be a non-negative integer, got \(Text.quoted(fields[cellAt]))")
            }
            let upper = config?.cells.count ?? Config.maximumCells
            guard cell < upper else {
                throw fail(line, "cell \(cell) is out of range; " + (config == nil ? "at most \(Config.maximumCells) cells" : "the manifest's grid has \(upper) cells"))
            }
            var index: Int?
            if !fields[indexAt].isEmpty {
                guard let i = nonNegativeInteger(fields[indexAt]) else {
                    throw fail(line, "index must be empty or a non-negative integer, got \(Text.quoted(fields[indexAt]))")
                }
                index = i
            }
            let quantity = fields[quantityAt]
            guard quantity.utf8.count <= 100, isName(quantity) else {
                throw fail(line, "quantity must be a name of letters, digits and _, got \(Text.quoted(quantity))")
            }
            if let noteAt, !fields[noteAt].isEmpty, fields[estimateAt].isEmpty { continue }
            guard let estimate = finite(fields[estimateAt]) else {
                throw fail(line, "estimate must be a finite number, got \(Text.quoted(fields[estimateAt]))")
            }
            func optional(_ column: String, _ at: Int) throws(ConfigError) -> Double? {
                if fields[at].isEmpty { return nil }
                guard let x = finite(fields[at]) else {
                    throw fail(line, "\(column) must be empty or a finite number, got \(Text.quoted(fields[at]))")
                }
                return x
            }
            let mcse = try optional("mcse", mcseAt), theory = try optional("theory", theoryAt)
            if let mcse, mcse < 0 { throw fail(line, "mcse must be ≥ 0, got \(format(mcse))") }
            let kind = kindAt.map { fields[$0] } ?? (theory == nil ? "" : "exact")
            guard kind == (theory == nil ? "" : kind), theory == nil || kind == "exact" || kind == "limit" else {
                throw fail(line, "theory_kind must be exact or limit beside a theory, and empty without one, got \(Text.quoted(kind))")
            }
            var replications: Int?
            if let replicationsAt, !fields[replicationsAt].isEmpty {
                guard let r = nonNegativeInteger(fields[replicationsAt]) else {
                    throw fail(line, "replications must be empty or a non-negative integer, got \(Text.quoted(fields[replicationsAt]))")
                }
                replications = r
            }
            let grid: [String: String], parameters: [String: String]
            if let known = grids[cell] {
                for column in gridColumns where known.grid[column] != fields[position[column]!] {
                    throw fail(line, "cell \(cell) has \(column) = \(Text.quoted(fields[position[column]!])) here and \(Text.quoted(known.grid[column] ?? "")) on an earlier line")
                }
                (grid, parameters) = known
            } else {
                let values = Dictionary(uniqueKeysWithValues: gridColumns.map { ($0, fields[position[$0]!]) })
                if let config {
                    for (column, value) in config.cells[cell].gridValues where values[column] != value.gridLabel {
                        throw fail(line, "cell \(cell) has \(column) = \(Text.quoted(values[column] ?? "")), but the manifest's config ran it with \(Text.quoted(value.gridLabel))")
                    }
                }
                for column in gridColumns {
                    let value = values[column]!
                    guard value.utf8.count <= 200 else { throw fail(line, "\(column) is longer than 200 bytes") }
                    distinct[column, default: []].insert(value)
                    guard distinct[column]!.count <= maximumGridValues else {
                        throw fail(line, "\(column) takes more than \(maximumGridValues) values; the report shows each one")
                    }
                }
                grid = values
                parameters = (config?.cells[cell].parameterLabels ?? [:]).merging(values) { _, written in written }
                grids[cell] = (grid, parameters)
            }
            guard keys.insert(RowKey(cell: cell, quantity: quantity, index: index)).inserted else {
                throw fail(line, "cell \(cell) has \(quantity)\(index.map { "[\($0)]" } ?? "") twice")
            }
            rows.append(ResultRow(cell: cell, grid: grid, parameters: parameters, quantity: quantity, index: index,
                                  estimate: estimate, mcse: mcse, theory: theory, theoryIsLimit: kind == "limit", replications: replications))
        }
        return rows
    }

    /// A column or quantity name: one or more ASCII letters, digits and '_'.
    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { (0x61...0x7a).contains($0 | 0x20) || (0x30...0x39).contains($0) || $0 == 0x5f }
    }

    /// Decimal digits only (no sign, no space), and small enough for an Int.
    static func nonNegativeInteger(_ s: String) -> Int? {
        guard !s.isEmpty, s.utf8.count <= 18, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(s)
    }

    /// A finite number in the CSV's decimal form (digits, sign, '.', exponent; no hex, no "nan").
    static func finite(_ s: String) -> Double? {
        guard !s.isEmpty, s.utf8.count <= 40, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || [0x2B, 0x2D, 0x2E, 0x65, 0x45].contains($0) }),
              let x = Double(s), x.isFinite else { return nil }
        return x
    }
}

/// Row positions by quantity, and by quantity, parameter and value (ascending: file order);
/// each parameter's distinct values in order of first appearance.
struct RowIndex: Sendable {
    var byQuantity: [String: [Int]] = [:]
    var byValue: [String: [String: [String: [Int]]]] = [:]
    var values: [String: [String]] = [:]

    init(_ rows: [ResultRow]) {
        var seen: [String: Set<String>] = [:]
        for (i, row) in rows.enumerated() {
            byQuantity[row.quantity, default: []].append(i)
            for (column, value) in row.parameters {
                byValue[row.quantity, default: [:]][column, default: [:]][value, default: []].append(i)
                if seen[column, default: []].insert(value).inserted { values[column, default: []].append(value) }
            }
        }
    }
}

/// A failure to build the report (exit 1).
public struct ReportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// RFC 4180 CSV, over bytes (so that no combining character can hide a comma or a line
/// break): fields separated by commas, quoted with "" when they hold commas, quotes or line
/// breaks; lines end at LF or CR LF. Each record comes with the line it starts on. The text must
/// be UTF-8; a stray quote, an unterminated quoted field or a NUL byte is an error naming the line.
public enum CSV {
    public static func parse(_ bytes: [UInt8], file: String, maximumFields: Int = .max) throws(ConfigError) -> [(line: Int, fields: [String])] {
        var records = Records(bytes, file: file, maximumFields: maximumFields)
        var table: [(line: Int, fields: [String])] = []
        while let record = try records.next() { table.append(record) }
        return table
    }

    /// The records of a CSV, one at a time: memory for one record, whatever the file's size. A
    /// record of more than `maximumFields` fields is an error as soon as its field past the limit begins.
    public struct Records {
        let bytes: [UInt8], file: String, maximumFields: Int
        var i = 0, line = 1

        public init(_ bytes: [UInt8], file: String, maximumFields: Int = .max) {
            (self.bytes, self.file, self.maximumFields) = (bytes, file, maximumFields)
        }

        /// The next record and the line it starts on; nil at the end.
        public mutating func next() throws(ConfigError) -> (line: Int, fields: [String])? {
            let file = self.file
            func fail(_ line: Int, _ message: String) -> ConfigError { ConfigError(file: file, key: "line \(line)", message: message) }
            func text(_ field: [UInt8], _ line: Int) throws(ConfigError) -> String {
                guard let s = String(validating: field, as: UTF8.self) else { throw fail(line, "is not UTF-8 text") }
                return s
            }
            let n = bytes.count
            guard i < n else { return nil }
            var row: [String] = [], field: [UInt8] = []
            let rowLine = line
            var quoted = false, wasQuoted = false
            while i < n {
                let c = bytes[i]
                if c == 0 { throw fail(line, "holds a NUL byte; a result CSV is text") }
                if quoted {
                    if c == 0x22 {
                        if i + 1 < n && bytes[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                        quoted = false
                    } else {
                        if c == 0x0A { line += 1 }
                        field.append(c)
                    }
                    i += 1
                    continue
                }
                switch c {
                case 0x22:
                    guard field.isEmpty && !wasQuoted else { throw fail(line, "a quote inside an unquoted field") }
                    quoted = true
                    wasQuoted = true
                case 0x2C:
                    guard row.count < maximumFields - 1 else { throw fail(rowLine, "has more than \(maximumFields) fields; a result CSV has at most \(maximumFields) columns") }
                    row.append(try text(field, line))
                    field.removeAll(keepingCapacity: true)
                    wasQuoted = false
                case 0x0D where i + 1 < n && bytes[i + 1] == 0x0A:
                    break
                case 0x0A:
                    row.append(try text(field, line))
                    i += 1
                    line += 1
                    return (rowLine, row)
                default:
                    guard !wasQuoted else { throw fail(line, "text after a quoted field's closing quote") }
                    field.append(c)
                }
                i += 1
            }
            if quoted { throw fail(rowLine, "a quoted field that never ends") }
            row.append(try text(field, line))
            return (rowLine, row)
        }
    }
}
