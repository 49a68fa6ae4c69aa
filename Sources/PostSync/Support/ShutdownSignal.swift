import Foundation

/// A one-way latch with any number of waiters: once fired, every current and future wait
/// returns. The supervisor fires it on SIGTERM so that restart delays end without cancelling runs
/// in flight.
public final class ShutdownSignal: Sendable {
    private struct State {
        var fired = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Locked(State())

    /// Creates an unfired signal.
    public init() {}

    /// Fires the signal, waking every waiter.
    public func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.fired = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether it has fired.
    public var isFired: Bool { state.withLock { $0.fired } }

    /// How many tasks wait for the signal (tests wait for waiters before firing).
    public var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Waits until the signal fires or the task is cancelled.
    public func wait() async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.fired || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Sleeps until `deadline` unless the signal fires first.
    /// - Returns: true when the signal fired.
    public func wait(until deadline: Date, clock: any DaemonClock) async -> Bool {
        if isFired { return true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
        return isFired
    }
}
