import Foundation

/// The commit of the checkout the running executable was built in, "-dirty" if its code
/// (Sources/, Package.swift) has uncommitted changes; nil outside a git checkout. Result files
/// being rewritten by the run itself do not make it dirty.
///
/// It stays in the command, not in MonteCarlo: it asks where *this executable* was built
/// (`CommandLine.arguments[0]`). An in-process caller of ``RunSession`` knows its own build
/// and passes its own `gitCommit`.
enum GitCommit {
    /// ``current``, asked for now on a thread of its own; the closure waits for the answer. The
    /// three git calls (about 50 ms) then overlap a run's design, which keeps one core busy.
    static func inBackground() -> @Sendable () -> String? {
        let answer = Background { current }
        return { answer.value }
    }

    static var current: String? {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        guard let head = git(["-C", folder, "rev-parse", "HEAD"]), !head.isEmpty else { return nil }
        let top = git(["-C", folder, "rev-parse", "--show-toplevel"]) ?? folder
        let dirty = git(["-C", top, "status", "--porcelain", "--untracked-files=no", "--", "Sources", "Package.swift"]).map { !$0.isEmpty } ?? false
        return head + (dirty ? "-dirty" : "")
    }

    /// Runs `git ARGUMENTS` (found on PATH) and returns its trimmed stdout, nil unless it exits 0.
    ///
    /// posix_spawnp and waitpid directly: Foundation's `Process.waitUntilExit` polls its run loop
    /// and added about 50 ms per call, 0.15 s to every run for the three calls (most of a small
    /// run's wall time; `make bench` times runs whole).
    private static func git(_ arguments: [String]) -> String? {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { return nil }
        defer { close(pipe[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], STDOUT_FILENO)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        let argv = (["git"] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "git", &actions, nil, argv, environ)
        close(pipe[1])
        guard spawned == 0 else { return nil }
        var output = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipe[0], &buffer, buffer.count)
            if count > 0 { output += buffer[0..<count]; continue }
            if count < 0 && errno == EINTR { continue }
            break
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Exited normally (low 7 bits zero) with status 0.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { return nil }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `body`'s value, computed on a thread of its own from creation on; ``value`` waits for it.
private final class Background<Value: Sendable>: @unchecked Sendable {
    private var result: Value?
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Value) {
        Thread.detachNewThread { [self] in
            result = body()
            finished.signal()
        }
    }

    /// The value; `result` is written once, before `finished` is signalled, and read only after.
    var value: Value {
        finished.wait()
        defer { finished.signal() }
        return result!
    }
}
