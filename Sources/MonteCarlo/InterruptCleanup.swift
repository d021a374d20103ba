import Foundation
import Synchronization

/// What must be undone if the process is interrupted (SIGINT, SIGTERM) besides the output
/// folder's temporaries: a scratch folder, a child process. Whoever makes such a thing registers
/// its undoing here and removes the registration once it has undone it itself;
/// ``OutputFolder/removePendingAndExit(_:)`` runs whatever is registered before the process exits.
public enum InterruptCleanup {
    private static let actions = Mutex<(next: Int, pending: [Int: @Sendable () -> Void])>((0, [:]))

    /// Registers `action`; returns the token that ``remove(_:)`` takes.
    public static func register(_ action: @escaping @Sendable () -> Void) -> Int {
        actions.withLock { state in
            state.next += 1
            state.pending[state.next] = action
            return state.next
        }
    }

    /// Forgets the action registered under `token` (its work is done).
    public static func remove(_ token: Int) {
        actions.withLock { _ = $0.pending.removeValue(forKey: token) }
    }

    /// Runs every registered action, newest first (a child is killed before its folder is removed).
    static func runAll() {
        let pending = actions.withLock { state in
            defer { state.pending = [:] }
            return state.pending.sorted { $0.key > $1.key }.map(\.value)
        }
        for action in pending { action() }
    }
}
