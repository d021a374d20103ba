#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import StrictJSON

/// A result set (docs/RESULTS.md, "Result files"): `NAME.json`, the manifest, names every other
/// file of the set with its SHA-256 in `files` (`NAME.csv`, `NAME.md`, and `NAME.replications.csv`
/// when written), and is renamed into place after them (``OutputFolder/write(_:)`` keeps the
/// order). So a CSV beside the manifest of another run, or a set a killed write left
/// half-replaced (a new `NAME.csv` under the old manifest), is told from a whole one by its
/// digests, and never reported.
///
/// ``recover(in:)``, for a folder held exclusively, puts back a set a killed write left
/// half-replaced: forward, when the new manifest and every file it names are there (as files or
/// as the write's temporaries), else back, when the old manifest's files are there (as files or
/// as the write's backups); then the write's temporaries and backups are removed.
public enum ResultSet {
    /// The manifest member that names and digests the set's other files.
    public static let filesKey = "files"

    /// The SHA-256 of `bytes` in lowercase hex.
    public static func sha256(_ bytes: some DataProtocol) -> String {
        lowercaseHex(SHA256.hash(data: bytes))
    }

    /// The manifest's `files`: each file of the set with its SHA-256.
    public static func digests(_ files: [(name: String, bytes: Data)]) -> JSONValue {
        .object(JSONObject(files.map { ($0.name, JSONValue.string(sha256($0.bytes))) }))
    }

    /// The files `manifest` names for the set `name`, by file name (each `NAME.EXT` or
    /// `NAME.ROLE.EXT`, with a 64-hex-digit digest); `NAME.csv` must be among them. A manifest
    /// without `files` was written before sets named their files: refused, since nothing then
    /// binds its CSV to it.
    public static func files(of name: String, manifest: JSONObject, file: String) throws(ConfigError) -> [String: String] {
        func fail(_ message: String) -> ConfigError { ConfigError(file: file, key: filesKey, message: message) }
        guard let value = manifest[filesKey] else {
            throw fail("missing: the manifest names no files, so nothing binds \(name).csv to it (written by hessian-study before 0.2?); run the config again")
        }
        guard case .object(let members) = value else { throw fail("must be an object of file name → SHA-256, got \(value.typeDescription)") }
        var files: [String: String] = [:]
        for (member, digest) in members.members {
            guard isFile(member, of: name) else {
                throw fail("names \(JSONValue.string(member).compactTextPreview), which is no file of the set \(name) (\(name).EXT or \(name).ROLE.EXT)")
            }
            guard case .string(let hex) = digest, hex.utf8.count == 64, hex.utf8.allSatisfy({ isHexDigit($0) }) else {
                throw fail("\(member) must have a SHA-256 (64 lowercase hex digits), got \(digest.compactTextPreview)")
            }
            files[member] = hex
        }
        guard files["\(name).csv"] != nil else { throw fail("does not name \(name).csv") }
        return files
    }

    /// Whether `file` is a file of the set `name` other than its manifest: `NAME.EXT` or
    /// `NAME.ROLE.EXT`, with ROLE and EXT lowercase letters, digits and '-'.
    static func isFile(_ file: String, of name: String) -> Bool {
        guard file.hasPrefix(name + "."), file != "\(name).json" else { return false }
        let parts = file.dropFirst(name.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
        }
    }

    private static func isHexDigit(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x61...0x66).contains(b) }

    /// Checks that `bytes`, read from `file` (the set's `display` path), are the ones the manifest names.
    public static func verify(_ bytes: [UInt8], of file: String, display: String, against files: [String: String]) throws(ConfigError) {
        guard let expected = files[file] else { return }
        let actual = sha256(bytes)
        guard actual == expected else {
            throw ConfigError(file: display, key: nil, message: "is not the file its manifest names (SHA-256 \(actual.prefix(12))…, the manifest's \(expected.prefix(12))…): it comes from another run, or was changed or half-replaced since; run the config again")
        }
    }

    /// Whether a write of the set `name` was interrupted in `folder`: a temporary or backup of one
    /// of its files (or of its manifest) is there.
    public static func interruptedWrite(of name: String, in folder: OutputFolder) -> Bool {
        folder.entries().contains { entry in
            OutputFolder.writeInProgress(entry).map { $0.name == "\(name).json" || isFile($0.name, of: name) } ?? false
        }
    }

    /// Puts back every result set in `folder` (held exclusively) that a killed write left
    /// half-replaced, and removes the write's temporaries and backups; returns the names of the
    /// sets it restored. A set it cannot make whole is left for ``verify`` to refuse.
    public static func recover(in folder: OutputFolder) -> [String] {
        var pending: [String: [(entry: String, name: String, isBackup: Bool)]] = [:]
        for entry in folder.entries() {
            guard let write = OutputFolder.writeInProgress(entry) else { continue }
            let stem = String(write.name.prefix { $0 != "." })
            guard Config.isResultName(stem), write.name == "\(stem).json" || isFile(write.name, of: stem) else { continue }
            pending[stem, default: []].append((entry, write.name, write.isBackup))
        }
        var restored: [String] = []
        for (name, leftovers) in pending.sorted(by: { $0.key < $1.key }) {
            if makeWhole(name, leftovers, in: folder) { restored.append(name) }
            for leftover in leftovers { folder.remove(leftover.entry) }
        }
        return restored
    }

    /// Makes the set whole from its files and `leftovers`: the newest manifest whose files can
    /// all be found first. Returns whether anything was renamed.
    private static func makeWhole(_ name: String, _ leftovers: [(entry: String, name: String, isBackup: Bool)],
                                  in folder: OutputFolder) -> Bool {
        let manifest = "\(name).json"
        // Candidates: the new manifest (a temporary), then the one in place.
        var candidates: [(entry: String?, files: [String: String])] = []
        for leftover in leftovers where leftover.name == manifest && !leftover.isBackup {
            if let files = readFiles(leftover.entry, name, folder) { candidates.append((leftover.entry, files)) }
        }
        if let files = readFiles(manifest, name, folder) { candidates.append((nil, files)) }
        for candidate in candidates {
            // Where each named file is: in place, or among the leftovers.
            var sources: [String: String] = [:]
            var whole = true
            for (file, digest) in candidate.files {
                if digestOf(file, folder) == digest { continue }
                let match = leftovers.first { $0.name == file && digestOf($0.entry, folder) == digest }
                guard let match else { whole = false; break }
                sources[file] = match.entry
            }
            guard whole else { continue }
            if sources.isEmpty && candidate.entry == nil { return false }
            for (file, source) in sources { folder.rename(source, to: file) }
            if let entry = candidate.entry { folder.rename(entry, to: manifest) }
            return true
        }
        return false
    }

    private static func readFiles(_ entry: String, _ name: String, _ folder: OutputFolder) -> [String: String]? {
        guard let bytes = try? folder.read(entry, limit: Config.maximumFileBytes),
              case .object(let object)? = try? JSONValue.parse(bytes) else { return nil }
        return try? files(of: name, manifest: object, file: entry)
    }

    private static func digestOf(_ entry: String, _ folder: OutputFolder) -> String? {
        try? folder.sha256(entry)
    }
}
