import Crypto
import Foundation

/// Partial results: the per-replication statistics of some items of a run, with what is needed
/// to check they belong together. Shards (`run --shard K/N`) and checkpoints (`run --resume`)
/// are part files; `merge` and `--resume` put them back into a ``RunStatistics`` in item order,
/// so the CSV comes out byte for byte as from one unbroken run.
///
/// The file is one JSON object written by JSONEncoder: a ``Header`` (format, fingerprint,
/// package version, shard k of n, the config as run; keys sorted), then `records`, each
/// `[item, statistic…]` with numbers in shortest round-trip form (exact: a double written by
/// JSONEncoder reads back with the same bits) and `null` for a slot a replication does not
/// write. Its last member, `sha256`, is the SHA-256 of every byte before it: a part or
/// checkpoint edited in any way (one statistic, the shard count, the config) or cut short is
/// refused, never merged.
///
/// Reading is strict twice over: the whole file goes through the strict parser first
/// (duplicate keys, inexact integers, NaN… are refused, with line and column), then
/// JSONDecoder reads the header and the records (``Contents``). The config is kept as its
/// compact JSON text, a string, because JSONEncoder does not keep key order (which the
/// fingerprint hashes); it is parsed strictly again and validated by
/// ``Config/init(file:json:studies:)``.
public struct PartFile: Sendable {
    public static let format = "hessian-study-part/3"
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

    /// Everything in a part file but its records and its seal.
    struct Header: Codable {
        // Read in this order, as the checks were before Codable.
        var format: String
        var packageVersion: String
        /// Numbers rather than `Int`s: JSONDecoder reports `1.5` for an `Int` as a document that
        /// is not JSON, without naming the key.
        var shard: Double, shards: Double
        var configFile: String
        /// `JSONValue.object(config.source).compactText`.
        var config: String
        var fingerprint: String

        enum CodingKeys: String, CodingKey {
            case format, packageVersion = "package_version", shard, shards, configFile = "config_file", config, fingerprint
        }
    }

    /// What is read: the header, then the records.
    struct Contents: Decodable {
        var header: Header
        var records: [Record]

        enum CodingKeys: CodingKey { case records }

        init(from decoder: any Decoder) throws {
            header = try Header(from: decoder)
            records = try decoder.container(keyedBy: CodingKeys.self).decode([Record].self, forKey: .records)
        }
    }

    /// `[item, statistic…]`, a statistic that is not finite written as `null` and read as NaN.
    struct Record: Codable {
        var item: Int
        var values: [Double]

        init(item: Int, values: [Double]) { (self.item, self.values) = (item, values) }

        init(from decoder: any Decoder) throws {
            func fail(_ message: String) -> DecodingError { .dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: message)) }
            guard var fields = try? decoder.unkeyedContainer(), let item = try? fields.decode(Int.self),
                  item >= 0, item < 1_000_000_000_000_000 else { throw fail("not [item, statistic…]") }
            values = []
            while !fields.isAtEnd {
                if (try? fields.decodeNil()) == true {
                    values.append(.nan)
                } else if let x = try? fields.decode(Double.self) {
                    values.append(x)
                } else {
                    throw fail("statistics must be numbers or null")
                }
            }
            self.item = item
        }

        func encode(to encoder: any Encoder) throws {
            var fields = encoder.unkeyedContainer()
            try fields.encode(item)
            for x in values { if x.isFinite { try fields.encode(x) } else { try fields.encodeNil() } }
        }
    }

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
                              packageVersion: String) throws -> String {
        let config = statistics.config
        let header = Header(
            format: format, packageVersion: packageVersion, shard: Double(shard), shards: Double(shards), configFile: config.file,
            config: JSONValue.object(config.source).compactText, fingerprint: fingerprint(config))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The header without its closing brace, the records, and the seal as the last member.
        // Records are encoded 1024 at a time: JSONEncoder holds a whole value as a tree many
        // times the size of its text, and a cell's checkpoint of a million replications in one
        // piece would exceed what the memory plan counts (``MemoryPlan/checkpointBytesPerStatistic``).
        var text = String(decoding: try encoder.encode(header).dropLast(), as: UTF8.self) + ",\"records\":["
        let items = Array(items)
        for start in stride(from: 0, to: items.count, by: 1024) {
            let records = items[start..<min(start + 1024, items.count)].map { Record(item: $0, values: statistics.row(item: $0)) }
            text += (start == 0 ? "" : ",") + String(decoding: try encoder.encode(records).dropFirst().dropLast(), as: UTF8.self)
        }
        return sealed(text + "],")
    }

    /// `body` followed by its digest member: ` "sha256": "<64 hex>"}` and a newline.
    public static func sealed(_ body: String) -> String {
        body + digestTail(SHA256.hash(data: Data(body.utf8)))
    }

    private static func digestTail(_ digest: SHA256.Digest) -> String {
        " \"sha256\": \"" + lowercaseHex(digest) + "\"}\n"
    }

    /// The length of ``digestTail(_:)``.
    private static let digestTailLength = digestTail(SHA256.hash(data: Data())).utf8.count

    /// Whether `bytes` end with the digest of everything before it.
    static func isSealed(_ bytes: [UInt8]) -> Bool {
        guard bytes.count > digestTailLength else { return false }
        let body = bytes[..<(bytes.count - digestTailLength)]
        return Array(bytes[body.endIndex...]) == Array(digestTail(SHA256.hash(data: body)).utf8)
    }

    private static let shardMessage = "missing or not k of n with n ≤ \(maximumShards)"

    /// The key and message for a member JSONDecoder could not read, by its name.
    private static let memberErrors: [String: (key: String, message: String)] = [
        "package_version": ("package_version", "missing"), "shard": ("shard", shardMessage), "shards": ("shard", shardMessage),
        "config_file": ("config_file", "missing"), "config": ("config", "missing"), "records": ("records", "missing"),
        "fingerprint": ("fingerprint", "does not match its own config; the file was edited"),
    ]

    /// Reads a part file; any problem is a ``ConfigError`` naming the file and the key.
    public static func read(_ path: String, studies: [any Study.Type]) throws(ConfigError) -> PartFile {
        try read(path, bytes: FileInput.read(path, limit: maximumFileBytes), studies: studies)
    }

    /// Reads a part file from its bytes; `path` names it in every error.
    public static func read(_ path: String, bytes: [UInt8], studies: [any Study.Type]) throws(ConfigError) -> PartFile {
        func fail(_ key: String?, _ message: String) -> ConfigError { ConfigError(file: path, key: key, message: message) }
        // The strict parse, in a scope of its own so that its tree is freed before JSONDecoder
        // builds its own (a part can hold millions of records).
        do {
            let json: JSONValue
            do { json = try JSONValue.parse(bytes) } catch { throw fail(nil, "not a part file: \(error)") }
            guard case .object(let top) = json, top["format"] == .string(format) else {
                throw fail("format", "not a part file of this package (\(format))")
            }
        }
        guard isSealed(bytes) else {
            throw fail("sha256", "does not match the file's content: the file was edited or cut short")
        }
        let contents: Contents
        do { contents = try JSONDecoder().decode(Contents.self, from: Data(bytes)) } catch {
            var codingPath: [any CodingKey] = []
            if let error = error as? DecodingError {
                switch error {
                case .keyNotFound(let key, let context): codingPath = context.codingPath + [key]
                case .typeMismatch(_, let context), .valueNotFound(_, let context): codingPath = context.codingPath
                case .dataCorrupted(let context) where context.codingPath.count == 2 && context.codingPath[0].stringValue == "records":
                    // from Record.init(from:)
                    throw fail("records[\(context.codingPath[1].intValue ?? 0)]", context.debugDescription)
                case .dataCorrupted(let context): codingPath = context.codingPath
                @unknown default: break
                }
            }
            let known = codingPath.first.flatMap { memberErrors[$0.stringValue] }
            throw fail(known?.key, known?.message ?? "not a part file: unreadable")
        }
        let header = contents.header, (k, n) = (header.shard, header.shards)
        guard k.rounded() == k, n.rounded() == n, k >= 0, k <= n, n <= Double(maximumShards) else {
            throw fail("shard", shardMessage)
        }
        // The config inside a part is named by the part file in errors: the path recorded in it
        // may not exist here, and its text is not to be trusted.
        let config: Config
        do throws(ConfigError) {
            let source: JSONValue
            do { source = try JSONValue.parse(header.config.utf8) } catch {
                throw ConfigError(file: header.configFile, key: nil, message: "not JSON: \(error)")
            }
            config = try Config(file: header.configFile, json: source, studies: studies)
        } catch {
            throw fail("config" + (error.key.map { "." + $0 } ?? ""), error.message)
        }
        guard header.fingerprint == fingerprint(config) else { throw fail("fingerprint", "does not match its own config; the file was edited") }
        return PartFile(file: path, config: config, packageVersion: header.packageVersion, shard: Int(k),
                        shards: Int(n), records: contents.records.map { ($0.item, $0.values) })
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

    /// The estimates of merged `parts`. Statistics that overflow when summarised were never
    /// computed by a run (a run refuses to write them): the parts are bad input, so this is a
    /// ``ConfigError`` naming the first part that holds records of the failing cell.
    public static func summarise(_ statistics: RunStatistics, of parts: [PartFile]) throws -> [CellResult] {
        do { return try statistics.summarise() } catch let error as RunError {
            let replications = statistics.config.replications
            let culprit = error.cell.flatMap { cell in
                parts.first { $0.records.contains { $0.item / replications == cell } }
            } ?? parts[0]
            throw ConfigError(file: culprit.file, key: "records", message: "\(error.description); no run writes such statistics, the file was edited")
        }
    }
}
