#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// An output folder, held for the length of a command: the only place the command writes or
/// deletes anything.
///
/// The guarantees, for any content an attacker may have planted in the folder:
/// - Every file is written through the folder's descriptor (`openat`, `renameat`, `unlinkat`),
///   never through a path, to a temporary created exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`)
///   under an unpredictable name, then renamed into place: a symlink planted at any name is
///   replaced or refused, never followed.
/// - Subfolders (`.checkpoints/NAME`, `figures`) are opened with `O_NOFOLLOW`: a symlink there is
///   an error, and deletion removes only files of the names this package writes, one by one.
/// - A set of files (`NAME.csv`, `NAME.md`, `NAME.json`) is replaced together or not at all.
/// - An exclusive `flock` on the folder keeps two commands from writing it at once (shards, which
///   write only their own part file, share it); the loser is told which process holds it.
/// - Temporaries left by a killed process are removed by the next command that writes the same
///   names (``removeStaleTemporaries(of:)``); SIGINT and SIGTERM remove those in progress.
public final class OutputFolder: @unchecked Sendable {
    /// The folder as the user named it, for messages.
    public let path: String
    /// The folder, open for the `*at` calls; for the top folder of a command it also holds the
    /// lock, released when the folder is closed (or the process ends, however it ends).
    let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        (self.path, self.descriptor) = (path, descriptor)
    }

    deinit { close(descriptor) }

    /// How a command holds the folder.
    public enum Access: Sendable {
        /// Writes whatever it likes in the folder: `run`, `merge`, `report`.
        case exclusive
        /// Writes only files no other holder writes (a shard's part file).
        case shared
    }

    /// Opens `path` (created with its parents if missing and `create` is set), checks that files
    /// can be created in it, and locks it. Errors are ``ConfigError``s naming `option` (exit 2).
    public static func open(_ path: String, access: Access = .exclusive, create: Bool = true,
                            option: String = "--out") throws(ConfigError) -> OutputFolder {
        func fail(_ message: String) -> ConfigError { ConfigError(file: option, key: nil, message: "\(path): \(message)") }
        if create, mkdir(path, 0o755) != 0, errno == ENOENT {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw fail("cannot create the folder: \(Self.reason(of: error))")
            }
        }
        let folder = try directory(path) { fail($0) }
        // The one true writability test is to create a file: access(2) says yes for /proc.
        do {
            let probe = try folder.createTemporary(for: ".probe")
            close(probe.descriptor)
            folder.discard(probe.name)
        } catch {
            // access(2) tells a read-only or forbidden folder; one it passes (/proc) still takes no file.
            throw fail(Glibc.access(path, W_OK) != 0 ? "folder is not writable (\(error.message))" : "files cannot be created here (\(error.message))")
        }
        // The lock is on the folder itself: no lock file to plant, leave behind or race on.
        guard flock(folder.descriptor, (access == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
            let holders = Self.holders(of: folder.descriptor)
            throw fail("is in use by another hessian-study command\(holders.isEmpty ? "" : " (process \(holders.map(String.init).joined(separator: ", ")))"); wait for it to finish or choose another folder")
        }
        return folder
    }

    /// Opens `path` to read result files from it, without writing or locking it (`quote`, and
    /// reading results in-process). Errors are ``ConfigError``s naming `path` (exit 2).
    public static func reading(_ path: String) throws(ConfigError) -> OutputFolder {
        try directory(path) { ConfigError(file: path, key: nil, message: $0) }
    }

    /// The folder at `path`, opened (following a symlink the user named); `fail` words the error.
    private static func directory(_ path: String, _ fail: (String) -> ConfigError) throws(ConfigError) -> OutputFolder {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw fail(errno == ENOTDIR ? "is a file, not a folder" : errno == ENOENT ? "no such folder" : "cannot be opened: \(lastError())")
        }
        return OutputFolder(path: path, descriptor: descriptor)
    }

    /// The processes holding a flock on the folder `descriptor`, from /proc/locks (Linux):
    /// lines such as `3: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF`, matched by inode.
    private static func holders(of descriptor: Int32) -> [Int] {
        var status = stat()
        guard fstat(descriptor, &status) == 0, let text = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[1] == "FLOCK", let inode = fields[5].split(separator: ":").last,
                  UInt64(inode) == UInt64(status.st_ino) else { return nil }
            return Int(fields[4])
        }
    }

    /// The subfolder `name` (one path component), created if missing and `create` is set; nil
    /// if it is missing and `create` is not. A symlink or a file there is an error naming it.
    public func subfolder(_ name: String, create: Bool) throws(ConfigError) -> OutputFolder? {
        precondition(!name.contains("/") && name != "." && name != "..")
        let display = self.display(name)
        if create, mkdirat(descriptor, name, 0o755) != 0, errno != EEXIST {
            throw ConfigError(file: display, key: nil, message: "cannot create the folder: \(lastError())")
        }
        let sub = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sub >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            if code == ELOOP || code == ENOTDIR {
                var status = stat()
                let isLink = fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 && (status.st_mode & S_IFMT) == S_IFLNK
                throw ConfigError(file: display, key: nil, message: isLink
                    ? "is a symbolic link; hessian-study never follows links inside an output folder: remove it"
                    : "is not a folder; remove it")
            }
            throw ConfigError(file: display, key: nil, message: "cannot be opened: \(String(cString: strerror(code)))")
        }
        return OutputFolder(path: display, descriptor: sub)
    }

    /// `path/name`, for messages.
    public func display(_ name: String) -> String {
        path.hasSuffix("/") ? path + name : path + "/" + name
    }

    /// The names in the folder (not `.` and `..`, nor any that is not UTF-8), sorted.
    public func entries() -> [String] {
        let copy = dup(descriptor)
        guard copy >= 0, let directory = fdopendir(copy) else { return [] }
        defer { closedir(directory) }
        rewinddir(directory)
        var names: [String] = []
        while let entry = readdir(directory) {
            // A name that is not UTF-8 is never one this package wrote: it is left out, rather
            // than read with U+FFFD in place of its bytes (and so mistaken for another name).
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(validating: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let name, name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Reads the regular file `name` (never through a symlink), at most `limit` bytes.
    public func read(_ name: String, limit: Int) throws(ConfigError) -> [UInt8] {
        try FileInput.read(at: descriptor, name, display: display(name), limit: limit)
    }

    /// Removes the file `name` (a symlink there is removed itself, its target untouched).
    public func remove(_ name: String) {
        unlinkat(descriptor, name, 0)
    }

    /// Removes the empty subfolder `name`; does nothing if it is not empty.
    public func removeEmptySubfolder(_ name: String) {
        unlinkat(descriptor, name, AT_REMOVEDIR)
    }

    // MARK: Writing

    /// Writes each (name, bytes) to an exclusive temporary, then renames all into place, in the
    /// order given (a result set's manifest last: ``ResultSet``). If
    /// any step fails, the files that were already replaced are put back as they were, every
    /// temporary is removed, and the error names the file: the folder holds the old set or the
    /// new set, never a mixture.
    public func write(_ files: [(name: String, bytes: Data)]) throws(RunError) {
        var temporaries: [(name: String, final: String)] = []
        var backups: [(name: String, final: String)] = []
        // Whatever happens, no temporary or backup stays behind.
        defer { for t in temporaries + backups { discard(t.name) } }
        for (name, bytes) in files {
            let temporary: (name: String, descriptor: Int32)
            do { temporary = try createTemporary(for: name) } catch {
                throw RunError(description: "\(display(name)): cannot write: \(error.message)")
            }
            temporaries.append((temporary.name, name))
            defer { close(temporary.descriptor) }
            if let failure = Self.writeAll(temporary.descriptor, bytes) {
                throw RunError(description: "\(display(name)): cannot write: \(failure)")
            }
        }
        // Renames happen under the commit lock, so that SIGINT/SIGTERM (whose handler takes the
        // same lock) never stops a set half-replaced.
        try Self.commit.withLock { _ throws(RunError) in
            for t in temporaries where hasEntry(t.final) {
                let backup = ".\(t.final).\(Self.randomSuffix()).old"
                guard linkat(descriptor, t.final, descriptor, backup, 0) == 0 else {
                    throw RunError(description: "\(display(t.final)): cannot replace: \(lastError())")
                }
                backups.append((backup, t.final))
                Self.pending.withLock { $0["\(descriptor)/\(backup)"] = (descriptor, backup) }
            }
            for (k, t) in temporaries.enumerated() {
                guard t.final != Self.failingRename, renameat(descriptor, t.name, descriptor, t.final) == 0 else {
                    let reason = t.final == Self.failingRename ? "failure injected by a test" : lastError()
                    for done in temporaries[..<k] {
                        if let backup = backups.first(where: { $0.final == done.final }) {
                            renameat(descriptor, backup.name, descriptor, done.final)
                        } else {
                            unlinkat(descriptor, done.final, 0)
                        }
                    }
                    throw RunError(description: "\(display(t.final)): cannot replace: \(reason)")
                }
            }
        }
    }

    /// Removes temporaries (and backups) of `names` left here by a process that was killed.
    /// Call it only while holding the folder exclusively, or for names no other holder writes.
    public func removeStaleTemporaries(of names: [String]) {
        for entry in entries() where names.contains(where: { Self.isTemporary(entry, of: $0) }) {
            unlinkat(descriptor, entry, 0)
        }
    }

    /// Whether `entry` is a temporary or a backup this package makes for `name`:
    /// `.NAME.<16 hex>.tmp` or `.NAME.<16 hex>.old`.
    static func isTemporary(_ entry: String, of name: String) -> Bool {
        writeInProgress(entry)?.name == name
    }

    /// The file a temporary (`.NAME.<16 hex>.tmp`, a new version being written) or a backup
    /// (`.NAME.<16 hex>.old`, the version being replaced) is for; nil for any other entry.
    public static func writeInProgress(_ entry: String) -> (name: String, isBackup: Bool)? {
        let isBackup = entry.hasSuffix(".old")
        guard entry.hasPrefix("."), isBackup || entry.hasSuffix(".tmp"), entry.utf8.count > 22 else { return nil }
        let body = entry.dropFirst().dropLast(4)
        let random = body.suffix(16)
        guard random.allSatisfy(\.isHexDigit), body.dropLast(16).last == "." else { return nil }
        let name = body.dropLast(17)
        return name.isEmpty ? nil : (String(name), isBackup)
    }

    /// Renames the entry `name` to `new` (replacing it) within the folder.
    public func rename(_ name: String, to new: String) {
        renameat(descriptor, name, descriptor, new)
    }

    /// The SHA-256 (lowercase hex) of the regular file `name` (never through a symlink), read in
    /// blocks: linear in its size, constant memory.
    public func sha256(_ name: String) throws(ConfigError) -> String {
        try FileInput.sha256(at: descriptor, name, display: display(name))
    }

    /// Whether the folder has an entry `name` (of any kind; a symlink is not followed).
    public func exists(_ name: String) -> Bool { hasEntry(name) }

    private func hasEntry(_ name: String) -> Bool {
        var status = stat()
        return fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0
    }

    /// A new file `.NAME.<16 random hex>.tmp`, created exclusively, never through a symlink.
    /// Removes a temporary this folder created and forgets it.
    private func discard(_ temporary: String) {
        unlinkat(descriptor, temporary, 0)
        Self.pending.withLock { _ = $0.removeValue(forKey: "\(descriptor)/\(temporary)") }
    }

    private func createTemporary(for name: String) throws(ConfigError) -> (name: String, descriptor: Int32) {
        for _ in 0..<16 {
            let temporary = ".\(name).\(Self.randomSuffix()).tmp"
            let fd = openat(descriptor, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 {
                Self.pending.withLock { $0["\(descriptor)/\(temporary)"] = (descriptor, temporary) }
                return (temporary, fd)
            }
            guard errno == EEXIST else { throw ConfigError(file: display(name), key: nil, message: lastError()) }
        }
        throw ConfigError(file: display(name), key: nil, message: "no free temporary name")
    }

    private static func randomSuffix() -> String {
        let value = UInt64.random(in: 0...UInt64.max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Writes all of `bytes`; the reason on failure (a full disk, say).
    private static func writeAll(_ fd: Int32, _ bytes: Data) -> String? {
        bytes.withUnsafeBytes { buffer -> String? in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return lastError() }
                offset += n
            }
            // A full disk can surface only when the data is flushed.
            return fsync(fd) == 0 ? nil : lastError()
        }
    }

    /// Tests only: a file name whose rename into place fails, to exercise the rollback of a set.
    nonisolated(unsafe) static var failingRename: String?

    // MARK: Locks on one name

    /// A lock on one name in the folder, for writers that share the folder (shards): held until
    /// ``Lock/release()`` or the process ends, however it ends.
    public final class Lock: @unchecked Sendable {
        let folder: OutputFolder, file: String, descriptor: Int32
        private var released = false

        init(folder: OutputFolder, file: String, descriptor: Int32) { (self.folder, self.file, self.descriptor) = (folder, file, descriptor) }

        /// Removes the lock file and releases the lock (in that order, so that a process that
        /// opened the old file finds it gone and makes a new one).
        public func release() {
            guard !released else { return }
            released = true
            unlinkat(folder.descriptor, file, 0)
            close(descriptor)
        }

        deinit { release() }
    }

    /// Takes the exclusive lock `.NAME.lock` for `name` (a part file, say), or fails at once
    /// naming the process that holds it. The lock file is created exclusively of symlinks
    /// (`O_NOFOLLOW`); after locking, it is checked to be still the file at that name, since a
    /// holder removes it on release.
    public func lock(_ name: String, holder: String) throws(ConfigError) -> Lock {
        let file = ".\(name).lock"
        for _ in 0..<16 {
            let fd = openat(descriptor, file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw ConfigError(file: display(file), key: nil, message: errno == ELOOP
                    ? "is a symbolic link; hessian-study never follows links inside an output folder: remove it"
                    : "cannot be created: \(lastError())")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let holders = Self.holders(of: fd)
                close(fd)
                throw ConfigError(file: display(name), key: nil, message: "\(holder) is being written by another hessian-study command\(holders.isEmpty ? "" : " (process \(holders.map(String.init).joined(separator: ", ")))"); wait for it to finish")
            }
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, fstatat(descriptor, file, &named, AT_SYMLINK_NOFOLLOW) == 0,
               held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                return Lock(folder: self, file: file, descriptor: fd)
            }
            close(fd)  // released by its holder between our open and our lock: try the new file
        }
        throw ConfigError(file: display(file), key: nil, message: "cannot be locked: it keeps being replaced")
    }

    // MARK: Interruption

    /// Temporaries and backups being written now, by "descriptor/name".
    private static let pending = Mutex<[String: (Int32, String)]>([:])
    /// Held while a set of files is renamed into place.
    private static let commit = Mutex<Void>(())

    /// For a signal handler: waits for a set being renamed to finish, removes the temporaries of
    /// writes in progress, runs ``InterruptCleanup``'s actions (a child killed, a scratch folder
    /// removed), and calls `exit` while still holding the commit lock, so that no
    /// further rename can start.
    public static func removePendingAndExit(_ status: Int32) -> Never {
        commit.withLock { _ in
            for (_, (folder, name)) in pending.withLock({ $0 }) { unlinkat(folder, name, 0) }
            InterruptCleanup.runAll()
            Glibc.exit(status)
        }
    }

    /// Exits with `status`, unless an interruption is being handled (``removePendingAndExit(_:)``
    /// holds the commit lock until it exits): then that exit, 128 + the signal, is the process's,
    /// not an error that the interruption itself caused (a killed child, say).
    public static func exit(_ status: Int32, saying message: () -> Void = {}) -> Never {
        commit.withLock { _ in
            message()
            Glibc.exit(status)
        }
    }

    /// A Foundation error as one line: the POSIX reason where there is one.
    public static func reason(of error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.underlying as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        if let error = error as? POSIXError { return String(cString: strerror(error.code.rawValue)) }
        return "\(error)".split(separator: "\n").first.map(String.init) ?? "unknown error"
    }
}

/// strerror(errno).
func lastError() -> String { String(cString: strerror(errno)) }
