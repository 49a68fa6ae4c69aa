import Foundation

/// The lease decisions of one daemon (CONTRACT section 10), as pure functions of what the last
/// heartbeat read: how many accounts this daemon should hold, how many to claim and which to give
/// up. The live daemons agree on the targets without talking to each other: every one sorts the
/// same node ids and splits the accounts the same way, so the targets add up to the total and
/// differ by at most one.
public enum LeasePlanner {
    /// An account this daemon holds, as far as the plan cares.
    public struct Held: Sendable, Equatable {
        /// The account.
        public var id: AccountID
        /// When it is due (nil: not scheduled, e.g. paused or needs_reauth).
        public var nextSyncAt: Date?
        /// Whether a run is in flight (never given away in the middle of one).
        public var busy: Bool

        /// Creates an entry.
        public init(id: AccountID, nextSyncAt: Date?, busy: Bool = false) {
            self.id = id
            self.nextSyncAt = nextSyncAt
            self.busy = busy
        }
    }

    /// What to do this cycle.
    public struct Plan: Sendable, Equatable {
        /// How many accounts this daemon should hold.
        public var target: Int
        /// How many more to claim.
        public var claim: Int
        /// Which to give up.
        public var release: [AccountID]
    }

    /// This node's share of `total` accounts among the live `nodes` (it counts itself even
    /// before its first heartbeat is seen): `total ÷ n`, and one more for the first
    /// `total mod n` node ids in sorted order.
    public static func target(for node: String, nodes: [String], total: Int) -> Int {
        let all = Set(nodes).union([node]).sorted()
        let index = all.firstIndex(of: node) ?? 0
        let base = total / all.count
        return base + (index < total % all.count ? 1 : 0)
    }

    /// The plan: claim up to the target, or give up the excess. Given up first are the accounts
    /// that cost nothing to move (not scheduled), then those due last, so that a moved account
    /// waits out its schedule on the new holder (it keeps `next_sync_at`) instead of being synced
    /// at once; an account with a run in flight is never given up.
    public static func plan(node: String, nodes: [String], total: Int, held: [Held]) -> Plan {
        let target = target(for: node, nodes: nodes, total: total)
        if held.count < target { return Plan(target: target, claim: target - held.count, release: []) }
        let excess = held.count - target
        guard excess > 0 else { return Plan(target: target, claim: 0, release: []) }
        let movable = held.filter { !$0.busy }.sorted { a, b in
            switch (a.nextSyncAt, b.nextSyncAt) {
            case (nil, nil): return a.id < b.id
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?): return x != y ? x > y : a.id < b.id
            }
        }
        return Plan(target: target, claim: 0, release: movable.prefix(excess).map(\.id))
    }

    /// Whether a token refresh may start with `remaining` of the lease left: only when the
    /// refresh and the save of its result fit in the lease (`sync.deadline` bounds them), so a
    /// rotated pair is never saved after the lease passed to another daemon in the normal case.
    public static func mayRefresh(remaining: Duration?, deadline: Duration) -> Bool {
        guard let remaining else { return true }
        return remaining >= deadline
    }
}
