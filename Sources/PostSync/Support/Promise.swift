/// A value that arrives later, awaited by any number of tasks (a caller of `sync?wait=true`
/// waits for the SyncLog entry of the run its trigger joined).
public final class Promise<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [CheckedContinuation<Value, Never>] = []
    }

    private let state = Locked(State())

    /// Creates an unfulfilled promise.
    public init() {}

    /// Sets the value (the first call wins) and wakes the waiters.
    public func fulfill(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// How many tasks wait for the value (tests wait for waiters before fulfilling).
    public var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Waits for the value.
    public var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Value? in
                    if let value = state.value { return value }
                    state.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
