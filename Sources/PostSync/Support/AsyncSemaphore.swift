import DequeModule

/// Caps how many sync runs are in flight daemon-wide (`sync.max_concurrent`). Waiters are served
/// first come, first served; waiting is cancellable; `close()` turns every waiter away (shutdown:
/// runs that have not started do not start).
public final class AsyncSemaphore: Sendable {
    /// Thrown to waiters after `close()`.
    public struct Closed: Error {}

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var permits: Int
        var waiters: Deque<Waiter> = []
        var nextID: UInt64 = 0
        var closed = false
    }

    private let state: Locked<State>

    /// Creates a semaphore with `permits` permits (at least one).
    public init(permits: Int) {
        state = Locked(State(permits: max(1, permits)))
    }

    /// Takes a permit, waiting for one if needed.
    /// - Throws: `Closed` after `close()`, `CancellationError` when cancelled while waiting.
    public func acquire() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let result: Result<Void, any Error>? = state.withLock { state in
                    if state.closed { return .failure(Closed()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.permits > 0 {
                        state.permits -= 1
                        return .success(())
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// How many tasks wait for a permit (tests wait for a waiter to queue up before releasing).
    public var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Returns a permit, handing it straight to the oldest waiter if there is one.
    public func release() {
        let waiter: Waiter? = state.withLock { state in
            if let first = state.waiters.popFirst() { return first }
            state.permits += 1
            return nil
        }
        waiter?.continuation.resume()
    }

    /// Turns away every current and future waiter.
    public func close() {
        let waiters: Deque<Waiter> = state.withLock { state in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Closed()) }
    }
}
