import Foundation
import MonteCarlo
import Studies

/// One row of a study's tidy CSV (CONTRACT.md, "Result files").
public struct ResultRow: Sendable, Equatable {
    public var cell: Int
    /// The grid parameters of the row's cell, as written in the CSV.
    public var grid: [String: String]
    public var quantity: String
    public var index: Int?
    public var estimate: Double
    public var mcse: Double?
    public var theory: Double?

    public init(cell: Int, grid: [String: String] = [:], quantity: String, index: Int? = nil,
                estimate: Double, mcse: Double?, theory: Double?) {
        (self.cell, self.grid, self.quantity, self.index) = (cell, grid, quantity, index)
        (self.estimate, self.mcse, self.theory) = (estimate, mcse, theory)
    }

    /// (estimate − theory)/mcse, when both exist and the MCSE is positive.
    public var z: Double? {
        guard let theory, let mcse, mcse > 0 else { return nil }
        return (estimate - theory) / mcse
    }
}

/// A study's results as read back from `NAME.csv` and `NAME.json`: what the report and the figures
/// are made from, so that they can be rebuilt from `results/` alone.
public struct StudyResults: Sendable {
    public var name: String
    public var rows: [ResultRow]
    /// The provenance manifest (`NAME.json`), empty when built in memory.
    public var manifest: JSONObject

    public init(name: String, rows: [ResultRow], manifest: JSONObject = JSONObject()) {
        (self.name, self.rows, self.manifest) = (name, rows, manifest)
    }

    /// The config as run, rebuilt from the manifest (nil when built in memory): its cells give
    /// every parameter exactly as the study saw it.
    public var config: Config? {
        guard case .object(let source) = manifest["config"] else { return nil }
        return try? Config(file: name, json: .object(source), studies: allStudies)
    }

    /// Rows of `quantity` in cells whose grid values include `grid`, in file order.
    public func rows(_ quantity: String, _ grid: [String: String] = [:]) -> [ResultRow] {
        rows.filter { row in row.quantity == quantity && grid.allSatisfy { row.grid[$0.key] == $0.value } }
    }

    /// The one scalar `quantity` of the cell matching `grid`, if there is exactly one.
    public func scalar(_ quantity: String, _ grid: [String: String] = [:]) -> ResultRow? {
        let matches = rows(quantity, grid).filter { $0.index == nil }
        return matches.count == 1 ? matches[0] : nil
    }

    /// The distinct values of a grid parameter, in order of first appearance.
    public func values(of parameter: String) -> [String] {
        var seen: [String] = []
        for row in rows { if let v = row.grid[parameter], !seen.contains(v) { seen.append(v) } }
        return seen
    }

    /// Reads `NAME.csv` and `NAME.json` from `directory`.
    public static func load(_ name: String, from directory: URL) throws -> StudyResults {
        let csv = try String(contentsOf: directory.appendingPathComponent("\(name).csv"), encoding: .utf8)
        let table = CSV.parse(csv)
        guard let header = table.first else { throw ReportError("\(name).csv: empty") }
        let fixed = Set(["cell", "quantity", "index", "estimate", "mcse", "theory"])
        var rows: [ResultRow] = []
        for (line, fields) in table.dropFirst().enumerated() where fields.count == header.count {
            let record = Dictionary(uniqueKeysWithValues: zip(header, fields))
            guard let cell = Int(record["cell"] ?? ""), let estimate = Double(record["estimate"] ?? "") else {
                throw ReportError("\(name).csv: line \(line + 2): no cell or estimate")
            }
            rows.append(ResultRow(
                cell: cell, grid: record.filter { !fixed.contains($0.key) }, quantity: record["quantity"] ?? "",
                index: Int(record["index"] ?? ""), estimate: estimate,
                mcse: Double(record["mcse"] ?? ""), theory: Double(record["theory"] ?? "")))
        }
        var manifest = JSONObject()
        if let data = FileManager.default.contents(atPath: directory.appendingPathComponent("\(name).json").path),
           case .object(let object) = try JSONValue.parse(Array(data)) {
            manifest = object
        }
        return StudyResults(name: name, rows: rows, manifest: manifest)
    }
}

/// A failure to build the report (exit 1).
public struct ReportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// RFC 4180 CSV: fields separated by commas, quoted with "" when they hold commas, quotes or
/// line breaks.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var table: [[String]] = [], row: [String] = [], field = ""
        var quoted = false, iterator = text.makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else {
                            quoted = false
                            if next == "," { row.append(field); field = "" } else if next == "\n" { row.append(field); table.append(row); row = []; field = "" } else { field.append(next) }
                        }
                    } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true
            } else if c == "," { row.append(field); field = ""
            } else if c == "\n" { row.append(field); table.append(row); row = []; field = ""
            } else { field.append(c) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); table.append(row) }
        return table
    }
}
