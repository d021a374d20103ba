import Foundation
import MonteCarlo
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The data sets the `network` study trains on (docs/SCIENCE.md, "Real training"), shipped in the package's `data/`
/// folder (data/README.md: source, licence, conversion).
public enum DataName: String, Choice {
    /// UCI optical digits as in scikit-learn: 1,797 images of 8×8 pixels (values 0–16), 10 classes.
    case digits
    /// Efron, Hastie, Johnstone & Tibshirani (2004): 442 patients, 10 inputs, one target.
    case diabetes

    /// The shipped file, its SHA-256 (data/README.md) and its shape.
    var file: (name: String, sha256: String, rows: Int, inputs: Int) {
        switch self {
        case .digits: ("digits.csv", "6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8", 1797, 64)
        case .diabetes: ("diabetes.csv", "22b05701a303afce7b66dcc755df950b9264ac43b77fc3d040406e97a31f4f14", 442, 10)
        }
    }

    /// N, the number of training points.
    public var count: Int { file.rows }
    /// D, the number of inputs.
    public var inputs: Int { file.inputs }
    /// C, the outputs of a model: 10 class scores, or 1 prediction.
    public var outputs: Int { self == .digits ? 10 : 1 }
    /// Cross-entropy on classes (digits) or squared loss on a real target (diabetes).
    public var isClassification: Bool { self == .digits }
}

/// A data file that is missing, differs from the shipped one, or is malformed: one line that
/// names the file.
public struct DataSetError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A training set as the models read it (docs/SCIENCE.md, "Real training"): N rows of standardised inputs, each
/// input column centred and divided by its population sd (a constant column stays 0), with a
/// trailing 1 for the bias, X̃ = [x, 1] (N × (D+1), row-major); the targets, class labels
/// 0…C−1 (digits) or the standardised target (diabetes).
public struct DataSet: Sendable {
    public let count: Int, inputs: Int, outputs: Int
    public let isClassification: Bool
    /// X̃, N × (D+1) row-major, last column 1.
    public let design: [Double]
    /// X̃⊙X̃, for per-sample gradient moments by one GEMM per layer.
    public let designSquared: [Double]
    /// Labels (as doubles) or the standardised regression target.
    public let targets: [Double]

    /// A data set from raw inputs (N rows of D) and targets, standardised as described.
    init(inputs raw: [[Double]], targets rawTargets: [Double], outputs: Int, isClassification: Bool) {
        let n = raw.count, d = raw.first?.count ?? 0
        var design = [Double](repeating: 1, count: n * (d + 1))
        for k in 0..<d {
            let column = raw.map { $0[k] }
            let (mean, sd) = Self.populationMoments(column)
            for i in 0..<n { design[i * (d + 1) + k] = sd > 0 ? (column[i] - mean) / sd : 0 }
        }
        self.count = n
        self.inputs = d
        self.outputs = outputs
        self.isClassification = isClassification
        self.design = design
        designSquared = design.map { $0 * $0 }
        if isClassification {
            targets = rawTargets
        } else {
            let (mean, sd) = Self.populationMoments(rawTargets)
            targets = rawTargets.map { sd > 0 ? ($0 - mean) / sd : 0 }
        }
    }

    /// The mean and the population sd (divisor N) of `x`.
    static func populationMoments(_ x: [Double]) -> (mean: Double, sd: Double) {
        let mean = x.reduce(0, +) / Double(x.count)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)
        return (mean, variance.squareRoot())
    }

    /// Loads a shipped data set from the data folder (``DataFolder``), refusing a file whose
    /// SHA-256 differs from the shipped one's. A file is read and hashed once per process: later
    /// calls return the same data set while the file keeps its identity (device, inode, size and
    /// modification time), so that checking a grid of a million cells costs one read, not one
    /// per cell.
    public static func load(_ name: DataName) throws(DataSetError) -> DataSet {
        let folder = try DataFolder.locate()
        let path = folder.appendingPathComponent(name.file.name).path
        // Under the lock throughout, so that two threads needing the file read it once.
        return try loaded.withLock { state throws(DataSetError) -> DataSet in
            let identity = FileIdentity(path)
            if let identity, let known = state.sets[path], known.identity == identity { return known.data }
            let data = try load(name, from: folder)
            state.reads[path, default: 0] += 1
            if let identity { state.sets[path] = (identity, data) }
            return data
        }
    }

    /// The data sets read so far, by path, with the identity their file had when read, and how
    /// many times each path was read.
    private static let loaded = Mutex<(sets: [String: (identity: FileIdentity, data: DataSet)], reads: [String: Int])>(([:], [:]))

    /// How many times this process has read and hashed the file of `name` in the data folder
    /// (checking a grid adds one per data set, not one per cell).
    public static func reads(of name: DataName) -> Int {
        guard let folder = try? DataFolder.locate() else { return 0 }
        let path = folder.appendingPathComponent(name.file.name).path
        return loaded.withLock { $0.reads[path] ?? 0 }
    }

    /// Loads `name` from `folder`; `expectedSHA256` overrides the shipped digest (tests only).
    static func load(_ name: DataName, from folder: URL, expectedSHA256: String? = nil) throws(DataSetError) -> DataSet {
        let spec = name.file
        let path = folder.appendingPathComponent(spec.name).path
        func fail(_ message: String) -> DataSetError { DataSetError(description: "\(path): \(message)") }
        let bytes: [UInt8]
        do { bytes = try FileInput.read(path, limit: 1 << 20) } catch { throw DataSetError(description: "\(path): \(error.message)") }
        let digest = ResultSet.sha256(bytes)
        let expected = expectedSHA256 ?? spec.sha256
        guard digest == expected else {
            throw fail("SHA-256 \(digest) differs from the shipped file's \(expected) (data/README.md); restore the file (git checkout data/)")
        }
        let table = try parse(bytes, columns: spec.inputs + 1, path: path)
        guard table.count == spec.rows else { throw fail("has \(table.count) rows, expected \(spec.rows)") }
        let targets = table.map { $0[spec.inputs] }
        if name.isClassification {
            for (row, y) in targets.enumerated() where y.rounded() != y || y < 0 || y >= Double(name.outputs) {
                throw fail("line \(row + 1): class label \(y) is not an integer in 0…\(name.outputs - 1)")
            }
        }
        return DataSet(inputs: table.map { Array($0.prefix(spec.inputs)) }, targets: targets,
                       outputs: name.outputs, isClassification: name.isClassification)
    }

    /// Strict CSV: ASCII lines each ending in '\n', `columns` comma-separated finite numbers.
    static func parse(_ bytes: [UInt8], columns: Int, path: String) throws(DataSetError) -> [[Double]] {
        guard bytes.last == UInt8(ascii: "\n") else { throw DataSetError(description: "\(path): does not end in a newline") }
        var rows: [[Double]] = []
        for (number, line) in bytes.dropLast().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            guard fields.count == columns else {
                throw DataSetError(description: "\(path): line \(number + 1): \(fields.count) fields, expected \(columns)")
            }
            var row: [Double] = []
            row.reserveCapacity(columns)
            for field in fields {
                guard let x = Double(String(decoding: field, as: UTF8.self)), x.isFinite else {
                    throw DataSetError(description: "\(path): line \(number + 1): not a finite number: \(String(decoding: field.prefix(40), as: UTF8.self))")
                }
                row.append(x)
            }
            rows.append(row)
        }
        return rows
    }
}

/// Where the data files are: `$HESSIAN_STUDY_DATA` if set; else the `data/` folder of the
/// package the executable was built in (its path holds `.build/…`: the nearest ancestor with a
/// `Package.swift` and a `data/` folder); else the package this source file was compiled from.
public enum DataFolder {
    /// The environment variable that names the data folder, overriding the search.
    public static let variable = "HESSIAN_STUDY_DATA"

    /// The folder, found once per process (per value of ``variable``).
    public static func locate() throws(DataSetError) -> URL {
        let value = ProcessInfo.processInfo.environment[variable]
        if let found = located.withLock({ $0 }), found.variable == value { return found.folder }
        let folder = try search()
        located.withLock { $0 = (value, folder) }
        return folder
    }

    private static let located = Mutex<(variable: String?, folder: URL)?>(nil)

    private static func search() throws(DataSetError) -> URL {
        if let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty {
            let url = URL(fileURLWithPath: value)
            guard isFolder(url) else { throw DataSetError(description: "\(url.path): no such data folder (from \(variable))") }
            return url
        }
        var candidates: [URL] = []
        // The running binary (/proc/self/exe on Linux; argv[0] where that is unavailable).
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
        let executable = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<8 {
            candidates.append(folder)
            folder = folder.deletingLastPathComponent()
        }
        // Sources/Studies/Network/DataSet.swift → the package root.
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent())
        for root in candidates where FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            let data = root.appendingPathComponent("data")
            if isFolder(data) { return data }
        }
        let expected = candidates.last!.appendingPathComponent("data").path
        throw DataSetError(description: "\(expected): no such data folder; set \(variable) to the folder holding digits.csv and diabetes.csv")
    }

    static func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

/// What identifies a file's contents without reading them: device, inode, size and modification
/// time (to the nanosecond). A file replaced or rewritten gets another.
struct FileIdentity: Equatable {
    let device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int

    init?(_ path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        (device, inode, size) = (UInt64(status.st_dev), UInt64(status.st_ino), Int64(status.st_size))
        (seconds, nanoseconds) = (status.st_mtim.tv_sec, status.st_mtim.tv_nsec)
    }
}
