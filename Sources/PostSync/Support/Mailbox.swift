import Foundation

/// A single-consumer inbox: many producers `post` without waiting, one consumer takes
/// everything that arrived, waiting (cancellably) when there is nothing. Account actors and the
/// supervisor receive their commands through one, so a caller never blocks on a busy account.
public final class Mailbox<Event: Sendable>: Sendable {
    private enum Waiter {
        case none
        case waiting(CheckedContinuation<Void, Never>)
        /// No task waits: the next `post` calls this instead (see `park`).
        case parked(@Sendable () -> Void)
    }

    private struct State {
        var events: [Event] = []
        var waiter: Waiter = .none
    }

    private let state = Locked(State())

    /// Creates an empty mailbox.
    public init() {}

    /// Adds an event and wakes the consumer.
    public func post(_ event: Event) {
        let waiter: Waiter = state.withLock { state in
            state.events.append(event)
            let waiter = state.waiter
            state.waiter = .none
            return waiter
        }
        switch waiter {
        case .none: break
        case .waiting(let continuation): continuation.resume()
        case .parked(let resume): resume()
        }
    }

    /// Parks the consumer: no task waits, and the next `post` calls `resume` (once, on the
    /// posting thread; it must not block) so that the owner starts a consumer again. An idle
    /// account's worker parks this way and costs no task at all until it is needed.
    /// - Returns: false, with nothing parked, when events are pending (take them instead).
    public func park(resume: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard state.events.isEmpty else { return false }
            state.waiter = .parked(resume)
            return true
        }
    }

    /// Whether the consumer is parked (tests).
    public var isParked: Bool {
        state.withLock { state in
            if case .parked = state.waiter { true } else { false }
        }
    }

    /// Takes every pending event, oldest first, without waiting. The buffer goes with them: an
    /// account's mailbox is mostly empty, and a kept capacity was a buffer per account (and,
    /// since the events returned share it, a new buffer of that capacity at every drain).
    public func drain() -> [Event] {
        state.withLock { state in
            guard !state.events.isEmpty else { return [] }
            let events = state.events
            state.events = []
            return events
        }
    }

    /// Whether events are pending.
    public var isEmpty: Bool { state.withLock { $0.events.isEmpty } }

    /// Whether the consumer waits in `waitForEvent` (tests wait for it before posting).
    public var isConsumerWaiting: Bool {
        state.withLock { state in
            if case .waiting = state.waiter { true } else { false }
        }
    }

    /// Waits until an event is pending or the task is cancelled. Returns at once if one is.
    public func waitForEvent() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.events.isEmpty || Task.isCancelled { return true }
                    state.waiter = .waiting(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
                guard case .waiting(let continuation) = state.waiter else { return nil }
                state.waiter = .none
                return continuation
            }
            waiter?.resume()
        }
    }

    /// Waits until an event is pending or `deadline` passes, whichever comes first.
    /// - Returns: The pending events (possibly none, on timeout or cancellation).
    public func receive(until deadline: Date?, clock: any DaemonClock) async -> [Event] {
        if !isEmpty { return drain() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForEvent() }
            if let deadline {
                group.addTask { try? await clock.sleep(until: deadline) }
            }
            await group.next()
            group.cancelAll()
        }
        return drain()
    }

    /// Waits until an event is pending or `deadline` passes, with the deadline kept by the shared
    /// `timer` (which posts `timeout` when it comes), so the wait is one suspended continuation
    /// and no sleeping task: what lets every idle account wait cheaply.
    /// - Returns: The pending events (`timeout` among them when the deadline passed; none on
    ///   cancellation).
    public func receive(until deadline: Date?, timer: WakeTimer, timeout: Event) async -> [Event] {
        if !isEmpty { return drain() }
        let registration = deadline.map { deadline in timer.schedule(at: deadline) { self.post(timeout) } }
        await waitForEvent()
        if let registration { timer.cancel(registration) }
        return drain()
    }
}
