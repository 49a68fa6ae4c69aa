import Foundation

/// One timer for every idle account's next wake-up: a min-heap of deadlines served by a single
/// task, instead of a sleeping task per account.
///
/// An idle account used to wait in a task group of two child tasks (its mailbox and its own
/// sleep), about 6 KB per account; with this timer it waits on its mailbox alone (one
/// suspended continuation), and the timer posts the wake-up into the mailbox when the deadline
/// comes. The timer's task runs only while something is scheduled, so a timer nobody uses
/// costs nothing and tests need not start or stop it.
///
/// With `coalescing`, wake-ups are served in batches at least that far apart: a deadline that
/// comes sooner after the last batch waits for the next one (it fires at most `coalescing` late,
/// never early). At 10,000 accounts on a 15-minute interval about 11 runs fall due a second; one
/// at a time, each woke the idle machine's threads for itself, and most of a run's CPU was that
/// waking.
public final class WakeTimer: Sendable {
    /// A scheduled action, to cancel it.
    public struct Registration: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct Entry {
        var deadline: Date
        var id: UInt64
    }

    private struct State {
        /// Min-heap by deadline; cancelled entries stay until they come up (`actions` decides).
        var heap: [Entry] = []
        /// The live registrations' actions.
        var actions: [UInt64: @Sendable () -> Void] = [:]
        var nextID: UInt64 = 0
        var loopRunning = false
        /// What the loop sleeps until (nil: it is not sleeping on a deadline).
        var loopDeadline: Date?
        /// The next batch may not be served before this (the last batch plus `coalescing`).
        var notBefore: Date?
    }

    private let state = Locked(State())
    private let clock: any DaemonClock
    /// The least time between two batches of wake-ups.
    private let coalescing: TimeInterval
    /// Wakes the loop early: an earlier deadline arrived, or the last registration was cancelled.
    private let nudge = Mailbox<Bool>()

    /// Creates a timer on `clock`.
    /// - Parameter coalescing: The least time between two batches of wake-ups, which is also the
    ///   most a wake-up fires late; zero (the default): each fires at its deadline.
    public init(clock: any DaemonClock, coalescing: Duration = .zero) {
        self.clock = clock
        self.coalescing = coalescing.seconds
    }

    /// Live registrations (tests, metrics).
    public var scheduledCount: Int { state.withLock { $0.actions.count } }

    /// Runs `action` once `clock` reaches `deadline` (at once, on this thread, when it has).
    /// `action` runs on the timer's task and must not block.
    @discardableResult
    public func schedule(at deadline: Date, _ action: @escaping @Sendable () -> Void) -> Registration {
        enum Start { case none, runNow, startLoop, nudgeLoop }
        let now = clock.now
        let (registration, start) = state.withLock { state -> (Registration, Start) in
            state.nextID += 1
            let registration = Registration(id: state.nextID)
            if deadline <= now { return (registration, .runNow) }
            state.actions[registration.id] = action
            Self.push(Entry(deadline: deadline, id: registration.id), into: &state.heap)
            if !state.loopRunning {
                state.loopRunning = true
                return (registration, .startLoop)
            }
            let effective = state.notBefore.map { max(deadline, $0) } ?? deadline
            if let sleeping = state.loopDeadline, effective >= sleeping { return (registration, .none) }
            return (registration, .nudgeLoop)
        }
        switch start {
        case .none: break
        case .runNow: action()
        case .startLoop: Task { await self.loop() }
        case .nudgeLoop: nudge.post(true)
        }
        return registration
    }

    /// Cancels a registration; nothing happens if it already ran.
    public func cancel(_ registration: Registration) {
        let idle = state.withLock { state -> Bool in
            guard state.actions.removeValue(forKey: registration.id) != nil else { return false }
            // Accounts woken early (webhooks, commands) leave dead entries behind: rebuild the
            // heap from the live ones once the dead outnumber them, so it stays O(live).
            if state.heap.count > 1_024, state.heap.count > 2 * state.actions.count {
                let live = state.heap.filter { state.actions[$0.id] != nil }
                state.heap = []
                for entry in live { Self.push(entry, into: &state.heap) }
            }
            return state.actions.isEmpty && state.loopRunning
        }
        // Nothing left to wait for: let the loop end now rather than at a dead deadline.
        if idle { nudge.post(true) }
    }

    /// Serves the heap until no registration is left.
    private func loop() async {
        while true {
            let now = clock.now
            let coalescing = self.coalescing
            let (due, next, done) = state.withLock { state -> ([@Sendable () -> Void], Date?, Bool) in
                var due: [@Sendable () -> Void] = []
                if state.notBefore.map({ now >= $0 }) ?? true {
                    while let top = state.heap.first, top.deadline <= now {
                        Self.popMin(&state.heap)
                        if let action = state.actions.removeValue(forKey: top.id) { due.append(action) }
                    }
                }
                // Measured from the batch, not from any wake of the loop: nudges must not keep
                // pushing a due wake-up out.
                if !due.isEmpty, coalescing > 0 { state.notBefore = now.addingTimeInterval(coalescing) }
                if state.actions.isEmpty {
                    state.heap.removeAll()
                    state.loopRunning = false
                    state.loopDeadline = nil
                    return (due, nil, true)
                }
                state.loopDeadline = state.heap.first.map { top in state.notBefore.map { max(top.deadline, $0) } ?? top.deadline }
                return (due, state.loopDeadline, false)
            }
            for action in due { action() }
            if done { return }
            _ = await nudge.receive(until: next, clock: clock)
        }
    }

    private static func push(_ entry: Entry, into heap: inout [Entry]) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func popMin(_ heap: inout [Entry]) {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
