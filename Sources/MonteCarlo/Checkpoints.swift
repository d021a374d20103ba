import Foundation

/// Per-cell checkpoints of a run, so an interrupted run can resume (`run --resume`): each cell's
/// statistics are saved as a sealed part file (``PartFile``, shard 0 of 0) once the cell is
/// whole, as `OUT/.checkpoints/NAME/cell-C.json`, and removed once the result files are written.
///
/// Everything goes through ``OutputFolder``: a symlink at `.checkpoints` or `NAME` is an error,
/// never followed, and clearing removes only `cell-C.json` files and this package's temporaries,
/// one by one.
public struct Checkpoints: Sendable {
    public static let folderName = ".checkpoints"
    public let output: OutputFolder
    public let name: String
    public let packageVersion: String

    public init(output: OutputFolder, name: String, packageVersion: String) {
        (self.output, self.name, self.packageVersion) = (output, name, packageVersion)
    }

    /// `OUT/.checkpoints/NAME`, for messages.
    public var path: String { output.display("\(Self.folderName)/\(name)") }

    /// The checkpoint folder, created if `create`; nil if absent.
    private func folder(create: Bool) throws(ConfigError) -> OutputFolder? {
        guard let parent = try output.subfolder(Self.folderName, create: create) else { return nil }
        return try parent.subfolder(name, create: create)
    }

    private static func file(_ cell: Int) -> String { "cell-\(cell).json" }

    /// Whether `entry` is a checkpoint file name, `cell-C.json`.
    private static func isCheckpoint(_ entry: String) -> Bool {
        entry.hasPrefix("cell-") && entry.hasSuffix(".json")
            && Int(entry.dropFirst(5).dropLast(5)).map { $0 >= 0 && file($0) == entry } == true
    }

    /// Saves every replication of `cell`.
    public func save(cell: Int, of statistics: RunStatistics) throws {
        let r = statistics.config.replications
        let text = try PartFile.encode(statistics, items: cell * r ..< (cell + 1) * r, shard: 0, of: 0, packageVersion: packageVersion)
        try folder(create: true)!.write([(Self.file(cell), Data(text.utf8))])
    }

    /// Loads the saved cells into `statistics`; returns how many. A checkpoint of another config,
    /// seed or package version, or one whose digest does not match, is an error: resuming from
    /// it would mix two runs or write numbers nobody computed.
    public func load(into statistics: RunStatistics, studies: [any Study.Type]) throws -> Int {
        guard let folder = try folder(create: false) else { return 0 }
        folder.removeStaleTemporaries(of: staleNames(folder))
        var cells = 0
        for entry in folder.entries() where Self.isCheckpoint(entry) {
            let display = folder.display(entry)
            let part = try PartFile.read(display, bytes: folder.read(entry, limit: PartFile.maximumFileBytes), studies: studies)
            guard part.shards == 0, part.packageVersion == packageVersion,
                  PartFile.fingerprint(part.config) == PartFile.fingerprint(statistics.config) else {
                throw ConfigError(file: display, key: "config", message: "is a checkpoint of another config, seed or version; remove \(path) or run without --resume")
            }
            try part.store(into: statistics)
            cells += 1
        }
        return cells
    }

    /// Checkpoint names whose temporaries may be left in `folder` by a killed process: every
    /// `cell-C.json` a temporary there refers to.
    private func staleNames(_ folder: OutputFolder) -> [String] {
        folder.entries().compactMap { entry in
            guard entry.hasPrefix(".cell-"), let end = entry.range(of: ".json.")?.lowerBound else { return nil }
            let name = String(entry[entry.index(after: entry.startIndex)..<end]) + ".json"
            return Self.isCheckpoint(name) ? name : nil
        }
    }

    /// Removes the checkpoints (after the result files are written, or before a fresh run):
    /// `cell-C.json` files and temporaries only; the folders only if that leaves them empty.
    public func clear() throws(ConfigError) {
        guard let parent = try output.subfolder(Self.folderName, create: false) else { return }
        if let folder = try parent.subfolder(name, create: false) {
            folder.removeStaleTemporaries(of: staleNames(folder))
            for entry in folder.entries() where Self.isCheckpoint(entry) { folder.remove(entry) }
        }
        parent.removeEmptySubfolder(name)
        output.removeEmptySubfolder(Self.folderName)
    }
}
