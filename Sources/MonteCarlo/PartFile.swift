import Crypto
import Foundation

/// Partial results: the per-replication statistics of some items of a run, with what is needed
/// to check they belong together. Shards (`run --shard K/N`) and checkpoints (`run --resume`)
/// are part files; `merge` and `--resume` put them back into a ``RunStatistics`` in item order,
/// so the CSV comes out byte for byte as from one unbroken run.
///
/// The file is JSON: a header (format, fingerprint, package version, the config as run, shard
/// k of n) and `records`, each `[item, statistic…]` with numbers in shortest round-trip form
/// (exact) and `null` for a slot a replication does not write. Its last member, `sha256`, is
/// the SHA-256 of every byte before it: a part or checkpoint edited in any way (one statistic,
/// the shard count, the config) or cut short is refused, never merged.
public struct PartFile: Sendable {
    public static let format = "hessian-study-part/2"
    /// The largest part file or checkpoint read (a shard of a large run can be big; this keeps
    /// a hostile 11 GB file from being read at all).
    public static let maximumFileBytes = 1 << 30
    /// The most shards a run may be split into (`run --shard K/N`).
    public static let maximumShards = 1_000_000

    public let file: String
    public let config: Config
    public let packageVersion: String
    /// Shard k of n (both 0 for a checkpoint).
    public let shard: Int, shards: Int
    public let records: [(item: Int, values: [Double])]

    /// What must agree between parts of one run: the config as run, the seed, the generator and
    /// the replications, hashed (FNV-1a, 64 bits).
    public static func fingerprint(_ config: Config) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(JSONValue.object(config.source).compactText)|\(config.seed)|\(config.generator.rawValue)|\(config.replications)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The text of a part file holding `items` of `statistics`.
    public static func encode(_ statistics: RunStatistics, items: some Sequence<Int>, shard: Int, of shards: Int,
                              packageVersion: String) -> String {
        let config = statistics.config
        var text = "{\"format\": \"\(format)\", \"fingerprint\": \"\(fingerprint(config))\", "
        text += "\"package_version\": \(JSONValue.string(packageVersion).compactText), \"shard\": \(shard), \"shards\": \(shards),\n"
        text += " \"config_file\": \(JSONValue.string(config.file).compactText), \"config\": \(JSONValue.object(config.source).compactText),\n"
        text += " \"records\": ["
        var first = true
        for item in items {
            text += (first ? "\n  [" : ",\n  [") + String(item)
            for value in statistics.row(item: item) { text += "," + (value.isFinite ? MonteCarlo.format(value) : "null") }
            text += "]"
            first = false
        }
        return sealed(text + "\n ],\n")
    }

    /// `body` followed by its digest member: ` "sha256": "<64 hex>"}` and a newline.
    public static func sealed(_ body: String) -> String {
        body + digestTail(SHA256.hash(data: Data(body.utf8)))
    }

    private static func digestTail(_ digest: SHA256.Digest) -> String {
        " \"sha256\": \"" + digest.map { String(format: "%02x", $0) }.joined() + "\"}\n"
    }

    /// The length of ``digestTail(_:)``.
    private static let digestTailLength = digestTail(SHA256.hash(data: Data())).utf8.count

    /// Whether `bytes` end with the digest of everything before it.
    static func isSealed(_ bytes: [UInt8]) -> Bool {
        guard bytes.count > digestTailLength else { return false }
        let body = bytes[..<(bytes.count - digestTailLength)]
        return Array(bytes[body.endIndex...]) == Array(digestTail(SHA256.hash(data: body)).utf8)
    }

    /// Reads a part file; any problem is a ``ConfigError`` naming the file and the key.
    public static func read(_ path: String, studies: [any Study.Type]) throws(ConfigError) -> PartFile {
        try read(path, bytes: FileInput.read(path, limit: maximumFileBytes), studies: studies)
    }

    /// Reads a part file from its bytes; `path` names it in every error.
    public static func read(_ path: String, bytes: [UInt8], studies: [any Study.Type]) throws(ConfigError) -> PartFile {
        func fail(_ key: String?, _ message: String) -> ConfigError { ConfigError(file: path, key: key, message: message) }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw fail(nil, "not a part file: \(error)") }
        guard case .object(let header) = json, header["format"] == .string(format) else {
            throw fail("format", "not a part file of this package (\(format))")
        }
        guard isSealed(bytes) else {
            throw fail("sha256", "does not match the file's content: the file was edited or cut short")
        }
        let top = header
        guard case .string(let version) = top["package_version"] else { throw fail("package_version", "missing") }
        guard case .number(let k) = top["shard"], case .number(let n) = top["shards"], k.rounded() == k, n.rounded() == n,
              k >= 0, k <= n, n <= Double(maximumShards) else {
            throw fail("shard", "missing or not k of n with n ≤ \(maximumShards)")
        }
        guard case .object(let source) = top["config"] else { throw fail("config", "missing") }
        let configFile: String = { if case .string(let f) = top["config_file"] { return f } else { return path } }()
        // The config inside a part is named by the part file in errors: the path recorded in it
        // may not exist here, and its text is not to be trusted.
        let config: Config
        do { config = try Config(file: configFile, json: .object(source), studies: studies) } catch {
            throw fail("config" + (error.key.map { "." + $0 } ?? ""), error.message)
        }
        guard top["fingerprint"] == .string(fingerprint(config)) else { throw fail("fingerprint", "does not match its own config; the file was edited") }
        guard case .array(let items) = top["records"] else { throw fail("records", "missing") }
        var records: [(Int, [Double])] = []
        records.reserveCapacity(items.count)
        for (i, record) in items.enumerated() {
            guard case .array(let fields) = record, case .number(let item) = fields.first, item.rounded() == item,
                  item >= 0, item < 1e15 else { throw fail("records[\(i)]", "not [item, statistic…]") }
            var values: [Double] = []
            values.reserveCapacity(fields.count - 1)
            for field in fields.dropFirst() {
                switch field {
                case .number(let x): values.append(x)
                case .null: values.append(.nan)
                default: throw fail("records[\(i)]", "statistics must be numbers or null")
                }
            }
            records.append((Int(item), values))
        }
        return PartFile(file: path, config: config, packageVersion: version, shard: Int(k), shards: Int(n), records: records)
    }

    /// Puts these parts' records into `statistics` (of the same run). Throws on records that
    /// do not fit or appear twice.
    public func store(into statistics: RunStatistics) throws(ConfigError) {
        for record in records {
            do { try statistics.store(item: record.item, values: record.values) } catch {
                throw ConfigError(file: file, key: "records", message: "\(error)")
            }
        }
    }

    /// Checks that `parts` are all n shards of one run, once each, from this package version;
    /// returns their run's statistics, every item present.
    public static func merge(_ parts: [PartFile], packageVersion: String, threads: Int = 1) throws -> RunStatistics {
        guard let first = parts.first else { throw ConfigError(file: "merge", key: nil, message: "no part files given") }
        let fingerprint = Self.fingerprint(first.config)
        var seen: [Int: String] = [:]
        for part in parts {
            func fail(_ key: String, _ message: String) -> ConfigError { ConfigError(file: part.file, key: key, message: message) }
            guard part.shards > 0 else { throw fail("shard", "is a checkpoint, not a shard") }
            guard part.packageVersion == packageVersion else {
                throw fail("package_version", "made by version \(part.packageVersion), this is \(packageVersion)")
            }
            guard Self.fingerprint(part.config) == fingerprint else {
                throw fail("config", "comes from another config or seed than \(first.file) (\(first.config.file))")
            }
            guard part.shards == first.shards else { throw fail("shards", "is one of \(part.shards) shards, \(first.file) one of \(first.shards)") }
            if let other = seen.updateValue(part.file, forKey: part.shard) {
                throw fail("shard", "shard \(part.shard)/\(part.shards) is given twice (also \(other))")
            }
        }
        let absent = (1...first.shards).filter { seen[$0] == nil }
        guard absent.isEmpty else {
            throw ConfigError(file: first.file, key: "shards", message: "missing shard\(absent.count > 1 ? "s" : "") \(absent.map { "\($0)/\(first.shards)" }.joined(separator: ", "))")
        }
        let statistics = try Runner(config: first.config, threads: threads).prepare()
        for part in parts.sorted(by: { $0.shard < $1.shard }) { try part.store(into: statistics) }
        if let item = statistics.missing.first {
            throw ConfigError(file: first.file, key: "records", message: "item \(item) is in no shard")
        }
        return statistics
    }
}
