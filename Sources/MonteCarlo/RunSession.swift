import Foundation

/// Configs run into one output folder: the output-folder protocol that `hessian-study run` and
/// `merge` follow, callable in-process.
///
/// - A whole run checkpoints each cell as it completes (``Checkpoints``), writes `NAME.csv`,
///   `NAME.md` and `NAME.json` as one set, then removes the checkpoints. `resume` loads the
///   checkpoints first; a fresh run clears them.
/// - A shard (`k` of `n`) writes only `NAME.part-K-of-N.json`; ``merge(_:threads:)`` puts all n
///   back together into the same bytes as a whole run.
/// The folder is held exclusively for a whole run or a merge, shared by shards.
public struct RunSession: Sendable {
    public let folder: OutputFolder
    public let packageVersion: String
    /// The package's commit for the manifest, asked for only when the manifest is written (the
    /// command starts asking git at launch, on its own thread, so that the answer arrives while
    /// the run computes).
    public let gitCommit: @Sendable () -> String?
    public let commandLine: [String]
    /// The studies a config inside a checkpoint may name.
    public let studies: [any Study.Type]

    public init(folder: OutputFolder, packageVersion: String, gitCommit: @escaping @Sendable () -> String?,
                commandLine: [String], studies: [any Study.Type]) {
        (self.folder, self.packageVersion, self.gitCommit, self.commandLine) = (folder, packageVersion, gitCommit, commandLine)
        self.studies = studies
    }

    /// A session whose commit is known already (nil: none).
    public init(folder: OutputFolder, packageVersion: String, gitCommit: String?, commandLine: [String],
                studies: [any Study.Type]) {
        self.init(folder: folder, packageVersion: packageVersion, gitCommit: { gitCommit }, commandLine: commandLine, studies: studies)
    }

    /// Refuses configs whose result files would replace one of the configs themselves (a config
    /// kept in the output folder under its own result name).
    public func refuseOverwriting(_ configs: [Config]) throws(ConfigError) {
        func identity(_ path: String) -> (dev_t, ino_t)? {
            var status = stat()
            return stat(path, &status) == 0 ? (status.st_dev, status.st_ino) : nil
        }
        var status = stat()
        for config in configs {
            guard let input = identity(config.file) else { continue }
            for name in ResultFiles.fileNames(of: config)
            where fstatat(folder.descriptor, name, &status, 0) == 0 && (status.st_dev, status.st_ino) == input {
                throw ConfigError(file: config.file, key: "name",
                                  message: "\(folder.display(name)) would overwrite the config itself; write the results to another folder")
            }
        }
    }

    /// Runs `config` whole and writes its result files; `resumed` is told how many cells came
    /// from checkpoints.
    /// With `perReplication`, `NAME.replications.csv` too (``ResultFiles/perReplicationCSV(_:)``).
    public func run(_ config: Config, threads: Int, resume: Bool, perReplication: Bool = false, resumed: ((Int) -> Void)? = nil,
                    progress: Runner.Progress? = nil) throws {
        let started = Date()
        let runner = Runner(config: config, threads: threads)
        let checkpoints = Checkpoints(output: folder, name: config.name, packageVersion: packageVersion)
        let statistics = try runner.prepare()
        if resume {
            resumed?(try checkpoints.load(into: statistics, studies: studies))
        } else {
            try checkpoints.clear()
        }
        _ = try runner.compute(into: statistics, completed: { try checkpoints.save(cell: $0, of: statistics) }, progress: progress)
        let provenance = Provenance(packageVersion: packageVersion, gitCommit: gitCommit(), threads: threads, started: started,
                                    wallSeconds: Date().timeIntervalSince(started), commandLine: commandLine)
        try ResultFiles(config: config, results: statistics.summarise())
            .write(to: folder, provenance: provenance, perReplication: perReplication ? statistics : nil)
        try checkpoints.clear()
    }

    /// The file name of shard `k` of `n` of `config`.
    public static func partName(_ config: Config, _ k: Int, of n: Int) -> String { "\(config.name).part-\(k)-of-\(n).json" }

    /// Runs shard `k` of `n` of `config` and writes its part file; returns the file's name and
    /// the items it holds.
    public func runShard(_ config: Config, _ k: Int, of n: Int, threads: Int,
                         progress: Runner.Progress? = nil) throws -> (file: String, items: Range<Int>) {
        let name = Self.partName(config, k, of: n)
        // One writer per part: a shard run twice at once (a re-queued task) is refused, never
        // left to remove the other's temporary.
        let lock = try folder.lock(name, holder: "shard \(k)/\(n) of \(config.name)")
        defer { lock.release() }
        let runner = Runner(config: config, threads: threads)
        let items = Runner.shard(k, of: n, items: runner.itemCount)
        let statistics = try runner.compute(items: items, progress: progress)
        folder.removeStaleTemporaries(of: [name])
        try folder.write([(name, Data(PartFile.encode(statistics, items: items, shard: k, of: n, packageVersion: packageVersion).utf8))])
        return (folder.display(name), items)
    }

    /// Merges `parts` (all n shards of one run) and writes the result files.
    public func merge(_ parts: [PartFile], threads: Int = 1, perReplication: Bool = false) throws {
        let started = Date()
        let statistics = try PartFile.merge(parts, packageVersion: packageVersion, threads: threads)
        let results = try PartFile.summarise(statistics, of: parts)
        let provenance = Provenance(packageVersion: packageVersion, gitCommit: gitCommit(), threads: threads, started: started,
                                    wallSeconds: Date().timeIntervalSince(started), commandLine: commandLine)
        try ResultFiles(config: statistics.config, results: results)
            .write(to: folder, provenance: provenance, perReplication: perReplication ? statistics : nil)
    }
}
