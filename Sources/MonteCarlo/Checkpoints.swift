import Foundation

/// Per-cell checkpoints of a run, so an interrupted run can resume (`run --resume`): each cell's
/// statistics are saved as a part file (``PartFile``, shard 0 of 0) once the cell is whole, in
/// `OUT/.checkpoints/NAME/`, and removed once the result files are written.
public struct Checkpoints: Sendable {
    public let folder: URL
    public let packageVersion: String

    public init(output: URL, name: String, packageVersion: String) {
        folder = output.appendingPathComponent(".checkpoints").appendingPathComponent(name)
        self.packageVersion = packageVersion
    }

    /// Saves every replication of `cell`.
    public func save(cell: Int, of statistics: RunStatistics) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let r = statistics.config.replications
        let text = PartFile.encode(statistics, items: cell * r ..< (cell + 1) * r, shard: 0, of: 0, packageVersion: packageVersion)
        try AtomicFiles.write([(folder.appendingPathComponent("cell-\(cell).json"), text)])
    }

    /// Loads the saved cells into `statistics`; returns how many. A checkpoint of another config,
    /// seed or package version is an error: resuming from it would mix two runs.
    public func load(into statistics: RunStatistics, studies: [any Study.Type]) throws -> Int {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return 0 }
        var cells = 0
        for file in files.sorted() where file.hasPrefix("cell-") && file.hasSuffix(".json") {
            let path = folder.appendingPathComponent(file).path
            let part = try PartFile.read(path, studies: studies)
            guard part.packageVersion == packageVersion, PartFile.fingerprint(part.config) == PartFile.fingerprint(statistics.config) else {
                throw ConfigError(file: path, key: "config", message: "is a checkpoint of another config, seed or version; remove \(folder.path) or run without --resume")
            }
            try part.store(into: statistics)
            cells += 1
        }
        return cells
    }

    /// Removes the checkpoints (after the result files are written, or before a fresh run).
    public func clear() {
        try? FileManager.default.removeItem(at: folder)
        let parent = folder.deletingLastPathComponent()
        if (try? FileManager.default.contentsOfDirectory(atPath: parent.path))?.isEmpty == true {
            try? FileManager.default.removeItem(at: parent)
        }
    }
}
