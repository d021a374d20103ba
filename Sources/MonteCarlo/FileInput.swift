#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation

/// Reading an input file (a config, a part file, a checkpoint, a result CSV or manifest) so that
/// no file, however hostile, can hang, exhaust memory or crash the reader: it must be a regular
/// file (not a FIFO, device or folder), at most `limit` bytes, and, where `followSymlinks` is
/// false (files found inside a folder rather than named by the user), not a symbolic link.
/// Every failure is a ``ConfigError`` naming the file: exit 2 with one line.
public enum FileInput {
    public static func read(_ path: String, limit: Int, followSymlinks: Bool = true) throws(ConfigError) -> [UInt8] {
        try read(at: AT_FDCWD, path, display: path, limit: limit, followSymlinks: followSymlinks)
    }

    /// Reads `name` relative to the folder descriptor `folder` (never through a symlink unless
    /// `followSymlinks`); `display` names it in errors.
    static func read(at folder: Int32, _ name: String, display path: String, limit: Int,
                     followSymlinks: Bool = false) throws(ConfigError) -> [UInt8] {
        func fail(_ message: String) -> ConfigError { ConfigError(file: path, key: nil, message: message) }
        let fd = try open(at: folder, name, display: path, followSymlinks: followSymlinks)
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw fail("cannot be read: \(String(cString: strerror(errno)))") }
        guard status.st_size <= limit else {
            throw fail("is \(describe(bytes: Int(status.st_size))), larger than the \(describe(bytes: limit)) such a file may have")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw fail("cannot be read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        // A file that shrank while being read is read as it now is; one that grew is cut at its
        // size when opened (the limit holds either way).
        return Array(bytes.prefix(count))
    }

    /// The SHA-256 (lowercase hex) of the regular file `name` in the folder `folder`, never
    /// through a symlink, read in 1 MB blocks.
    static func sha256(at folder: Int32, _ name: String, display path: String) throws(ConfigError) -> String {
        let fd = try open(at: folder, name, display: path, followSymlinks: false)
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ConfigError(file: path, key: nil, message: "cannot be read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            hasher.update(data: buffer[..<n])
        }
        return lowercaseHex(hasher.finalize())
    }

    /// Opens `name` in `folder` for reading, as a regular file (a FIFO, device or folder is
    /// refused without blocking), never through a symlink unless `followSymlinks`.
    static func open(at folder: Int32, _ name: String, display path: String, followSymlinks: Bool) throws(ConfigError) -> Int32 {
        func fail(_ message: String) -> ConfigError { ConfigError(file: path, key: nil, message: message) }
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        let fd = openat(folder, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followSymlinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw fail("no such file")
            case ELOOP: throw fail("is a symbolic link; files inside a results folder must be regular files")
            case EACCES: throw fail("cannot be read (permission denied)")
            default: throw fail("cannot be read: \(String(cString: strerror(code)))")
            }
        }
        var status = stat()
        guard fstat(fd, &status) == 0 else { close(fd); throw fail("cannot be read: \(String(cString: strerror(errno)))") }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return fd
        case S_IFDIR: close(fd); throw fail("is a folder, not a file")
        default: close(fd); throw fail("is not a regular file (a pipe, socket or device)")
        }
    }

    /// "12 MB", "3 kB", "17 bytes".
    public static func describe(bytes: Int) -> String {
        if bytes >= 1 << 30 { return "\(bytes >> 30) GB" }
        if bytes >= 1 << 20 { return "\(bytes >> 20) MB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) kB" }
        return "\(bytes) bytes"
    }
}

/// `bytes` in lowercase hexadecimal, two digits a byte: how digests and build IDs are written.
public func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// The read(2) system call, under a name `FileInput.read` does not shadow.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
