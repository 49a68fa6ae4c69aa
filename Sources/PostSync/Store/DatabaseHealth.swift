import Foundation

/// Whether the store can be reached now (CONTRACT section 9: an unreachable database is an
/// outage, not a crash). The PostgreSQL store marks it unavailable when a statement fails for a
/// connection reason and available again when its probe gets an answer; SQLite, a file in the
/// state directory, is always available. Account workers wait on it before a run, so no platform
/// call is made for a run whose result could not be stored; `/healthz` and `status` read it
/// without waiting on anything.
public final class DatabaseHealth: Sendable {
    private struct State {
        var unavailableSince: Date?
        var reason: String?
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiter: UInt64 = 0
        var outages = 0
        var stopped = false
    }

    private let state = Locked(State())

    /// Starts available.
    public init() {}

    /// The health of a store that never loses its database (SQLite in the state directory).
    public static let alwaysAvailable = DatabaseHealth()

    /// Whether the last statement (or probe) reached the database.
    public var isAvailable: Bool { state.withLock { $0.unavailableSince == nil } }

    /// Why the database is unavailable (no secret: an error message from the driver), or nil.
    public var reason: String? { state.withLock { $0.reason } }

    /// How many outages began since start (tests and metrics).
    public var outages: Int { state.withLock { $0.outages } }

    /// Records that a statement failed for a connection reason.
    /// - Returns: true when this began an outage (the caller starts the reconnect probe).
    @discardableResult
    public func markUnavailable(_ reason: String, now: Date = Date()) -> Bool {
        state.withLock { state in
            state.reason = reason
            guard state.unavailableSince == nil else { return false }
            state.unavailableSince = now
            state.outages += 1
            return true
        }
    }

    /// Records that the database answered; wakes every waiter.
    public func markAvailable() {
        let waiters = state.withLock { state in
            state.unavailableSince = nil
            state.reason = nil
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Shutdown: every current and future wait during an outage ends with `CancellationError`,
    /// so that workers waiting for the database leave (a graceful stop must not hang on it).
    public func stopWaiting() {
        let waiters = state.withLock { state in
            state.stopped = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(throwing: CancellationError()) }
    }

    /// Returns at once while available; otherwise suspends until `markAvailable`.
    /// - Throws: `CancellationError` when the task is cancelled first.
    public func waitUntilAvailable() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: (any Error)?? = state.withLock { state in
                    if Task.isCancelled || (state.stopped && state.unavailableSince != nil) {
                        return .some(CancellationError())
                    }
                    if state.unavailableSince == nil { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                switch resumeNow {
                case .some(.some(let error)): continuation.resume(throwing: error)
                case .some(.none): continuation.resume()
                case .none: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
