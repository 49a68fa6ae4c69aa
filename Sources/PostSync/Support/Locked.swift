import NIOConcurrencyHelpers

/// A value behind a lock, for state that non-isolated code shares (a `pthread_mutex_t` through
/// NIO's `NIOLock`, the lock every library this daemon runs on uses).
///
/// Not the standard library's `Synchronization.Mutex`: on Linux that one is a
/// priority-inheritance futex that checks the owner's thread id when it is unlocked. Once, in a
/// release build under load (the cluster test, three daemons giving up and claiming leases), a
/// daemon died on that check ("Call to unlock Mutex on a thread which hasn't acquired the
/// lock"). No code here can hold a lock across a suspension (the bodies are synchronous), and
/// the cause was not found; a daemon must not die of it.
///
/// A struct around one reference (`NIOLockedValueBox` keeps the mutex and the value in one
/// allocation): every account has a few of these (its mailbox, its slot's promise), and a class
/// holding an `NIOLock` took two allocations each.
struct Locked<Value: Sendable>: Sendable {
    private let box: NIOLockedValueBox<Value>

    /// Creates the lock around `value`.
    init(_ value: Value) {
        box = NIOLockedValueBox(value)
    }

    /// Runs `body` with the value, under the lock; `body` must not block.
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try box.withLockedValue(body)
    }
}
