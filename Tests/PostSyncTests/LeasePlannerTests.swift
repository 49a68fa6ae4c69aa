import Foundation
import Testing

@testable import PostSync

/// The lease decisions of one daemon (`LeasePlanner`) and its local view of the leases it holds
/// (`LeaseBook`), as pure functions: no database, no clock but the instants handed in.
@Suite struct LeasePlannerTests {
    static func id(_ external: String) -> AccountID { AccountID(platform: .tiktok, externalID: external) }

    static let base = Date(timeIntervalSince1970: 1_800_000_000)

    // MARK: - Targets

    /// Should split the accounts so that the targets add up to the total, differ by at most one,
    /// and give the extra ones to the first node ids in sorted order, whatever order the nodes
    /// are listed in.
    @Test(arguments: [300, 301, 302])
    func targetsAddUpAndDifferByAtMostOne(total: Int) {
        let nodes = ["c", "a", "b"]
        let targets = ["a", "b", "c"].map { LeasePlanner.target(for: $0, nodes: nodes, total: total) }
        #expect(targets.reduce(0, +) == total)
        #expect(targets.max()! - targets.min()! <= 1)
        let extra = total % 3
        #expect(targets == (0..<3).map { total / 3 + ($0 < extra ? 1 : 0) }, "sorted ids get the extra accounts")
        // The same answer from any listing of the same nodes.
        for order in [["a", "b", "c"], ["b", "c", "a"], ["c", "b", "a"], ["a", "a", "c", "b"]] {
            #expect(["a", "b", "c"].map { LeasePlanner.target(for: $0, nodes: order, total: total) } == targets)
        }
    }

    /// Should be exact for the three sizes the contract names.
    @Test func targetsOfThreeNodes() {
        func targets(_ total: Int) -> [Int] {
            ["a", "b", "c"].map { LeasePlanner.target(for: $0, nodes: ["b", "c", "a"], total: total) }
        }
        #expect(targets(300) == [100, 100, 100])
        #expect(targets(301) == [101, 100, 100])
        #expect(targets(302) == [101, 101, 100])
        #expect(targets(2) == [1, 1, 0], "fewer accounts than nodes")
        #expect(targets(0) == [0, 0, 0])
    }

    /// Should count this node even when the heartbeat read does not list it yet.
    @Test func aNodeNotListedCountsItself() {
        #expect(LeasePlanner.target(for: "d", nodes: ["a", "b", "c"], total: 300) == 75)
        #expect(LeasePlanner.target(for: "d", nodes: ["a", "b", "c"], total: 303) == 75, "d sorts last")
        #expect(LeasePlanner.target(for: "0", nodes: ["a", "b", "c"], total: 301) == 76, "0 sorts first")
        #expect(LeasePlanner.target(for: "solo", nodes: [], total: 7) == 7)
        #expect(LeasePlanner.target(for: "solo", nodes: [], total: 0) == 0)
        // The four targets as every node computes them once all four are listed.
        let all = ["a", "b", "c", "d"]
        #expect(all.map { LeasePlanner.target(for: $0, nodes: all, total: 303) } == [76, 76, 76, 75])
    }

    // MARK: - Plans

    /// Ten accounts: 2, 5 and 7 unscheduled, the others due `n` minutes after `base`.
    static func tenHeld(busy: Set<Int> = []) -> [LeasePlanner.Held] {
        (0..<10).map { n in
            LeasePlanner.Held(
                id: id("acct\(n)"),
                nextSyncAt: [2, 5, 7].contains(n) ? nil : base.addingTimeInterval(Double(n) * 60),
                busy: busy.contains(n))
        }
    }

    /// Should give up the excess when a second node joins: the unscheduled accounts first (by
    /// id), then those due last.
    @Test func joinReleasesUnscheduledThenLatest() {
        let alone = LeasePlanner.plan(node: "a", nodes: ["a"], total: 10, held: Self.tenHeld())
        #expect(alone == LeasePlanner.Plan(target: 10, claim: 0, release: []))

        let plan = LeasePlanner.plan(node: "a", nodes: ["a", "b"], total: 10, held: Self.tenHeld())
        #expect(plan.target == 5)
        #expect(plan.claim == 0)
        #expect(plan.release == ["acct2", "acct5", "acct7", "acct9", "acct8"].map(Self.id))

        // The joining node asks for its half.
        let joiner = LeasePlanner.plan(node: "b", nodes: ["a", "b"], total: 10, held: [])
        #expect(joiner == LeasePlanner.Plan(target: 5, claim: 5, release: []))
    }

    /// Should never give up an account with a run in flight, even when that leaves it above
    /// its target.
    @Test func busyAccountsAreNeverReleased() {
        let busy = Set(0..<10).subtracting([3, 4])
        let plan = LeasePlanner.plan(node: "a", nodes: ["a", "b"], total: 10, held: Self.tenHeld(busy: busy))
        #expect(plan.target == 5)
        #expect(plan.claim == 0)
        #expect(plan.release == [Self.id("acct4"), Self.id("acct3")], "only the two movable, the later due first")

        let allBusy = LeasePlanner.plan(node: "a", nodes: ["a", "b"], total: 10, held: Self.tenHeld(busy: Set(0..<10)))
        #expect(allBusy == LeasePlanner.Plan(target: 5, claim: 0, release: []))

        // An unscheduled busy account stays too; the movable unscheduled one goes first.
        let mixed = LeasePlanner.plan(node: "a", nodes: ["a", "b"], total: 10, held: Self.tenHeld(busy: [2, 9]))
        #expect(mixed.release == ["acct5", "acct7", "acct8", "acct6", "acct4"].map(Self.id))
    }

    /// Should break a tie of equal due times by id.
    @Test func equalDueTimesReleaseByID() {
        let held = [
            LeasePlanner.Held(id: Self.id("y"), nextSyncAt: Self.base),
            LeasePlanner.Held(id: Self.id("z"), nextSyncAt: Self.base.addingTimeInterval(-60)),
            LeasePlanner.Held(id: Self.id("x"), nextSyncAt: Self.base),
        ]
        let plan = LeasePlanner.plan(node: "a", nodes: ["a", "b"], total: 2, held: held)
        #expect(plan == LeasePlanner.Plan(target: 1, claim: 0, release: [Self.id("x"), Self.id("y")]))
    }

    /// Should claim the difference below the target, and do nothing at it.
    @Test func belowTargetClaimsTheDifference() {
        let three = Array(Self.tenHeld().prefix(3))
        #expect(
            LeasePlanner.plan(node: "a", nodes: ["a", "b"], total: 10, held: three)
                == LeasePlanner.Plan(target: 5, claim: 2, release: []))
        let five = Array(Self.tenHeld().prefix(5))
        #expect(
            LeasePlanner.plan(node: "a", nodes: ["a", "b"], total: 10, held: five)
                == LeasePlanner.Plan(target: 5, claim: 0, release: []))
        #expect(
            LeasePlanner.plan(node: "a", nodes: ["a", "b", "c"], total: 0, held: [])
                == LeasePlanner.Plan(target: 0, claim: 0, release: []))
    }

    // MARK: - A simulated cluster

    /// Several nodes planning in turn over one pool of unowned accounts, as the claim and
    /// release statements would move them.
    struct Simulation {
        let total: Int
        var nodes: [String]
        var held: [String: [AccountID]] = [:]
        var pool: [AccountID]
        let due: [AccountID: Date]

        init(total: Int, nodes: [String]) {
            self.total = total
            self.nodes = nodes
            let ids = (0..<total).map { LeasePlannerTests.id("acct\(10_000 + $0)") }
            pool = ids
            // Every seventh unscheduled, the others spread over a day.
            var due: [AccountID: Date] = [:]
            for (n, id) in ids.enumerated() where n % 7 != 0 {
                due[id] = LeasePlannerTests.base.addingTimeInterval(Double((n * 7919) % 86_400))
            }
            self.due = due
        }

        /// One cycle of every node, in `nodes` order: release what the plan gives up, then claim
        /// what it asks for from the pool (at most what the pool has).
        /// - Returns: How many accounts moved.
        mutating func cycle() -> Int {
            var moved = 0
            for node in nodes {
                let mine = held[node, default: []]
                let plan = LeasePlanner.plan(
                    node: node, nodes: nodes, total: total,
                    held: mine.map { LeasePlanner.Held(id: $0, nextSyncAt: due[$0]) })
                #expect(Set(plan.release).isSubset(of: Set(mine)), "\(node) releases only what it holds")
                #expect(Set(plan.release).count == plan.release.count, "\(node) releases each account once")
                #expect(plan.claim == 0 || plan.release.isEmpty, "\(node) never claims and releases at once")
                #expect(plan.claim >= 0)
                let released = Set(plan.release)
                var kept = mine.filter { !released.contains($0) }
                pool.append(contentsOf: plan.release)
                let taken = min(plan.claim, pool.count)
                kept.append(contentsOf: pool.prefix(taken))
                pool.removeFirst(taken)
                held[node] = kept
                moved += plan.release.count + taken
            }
            return moved
        }

        /// A node stops without giving anything up: its leases expire and its accounts are free.
        mutating func die(_ node: String) {
            nodes.removeAll { $0 == node }
            pool.append(contentsOf: held.removeValue(forKey: node) ?? [])
        }

        var counts: [Int] { nodes.map { held[$0, default: []].count } }

        /// Every account is held by exactly one live node or is in the pool.
        func checkConservation() {
            let owned = nodes.flatMap { held[$0, default: []] }
            #expect(owned.count + pool.count == total)
            #expect(Set(owned + pool).count == total, "no account held twice or lost")
            #expect(held.keys.allSatisfy { nodes.contains($0) }, "only live nodes hold accounts")
        }

        /// Whether every node holds exactly its target and the pool is empty.
        var balanced: Bool {
            pool.isEmpty
                && nodes.allSatisfy { held[$0, default: []].count == LeasePlanner.target(for: $0, nodes: nodes, total: total) }
        }

        /// Runs cycles until balanced, at most `limit`.
        /// - Returns: The cycles it took, or nil.
        mutating func settle(within limit: Int) -> Int? {
            for n in 1...limit {
                _ = cycle()
                checkConservation()
                if balanced { return n }
            }
            return nil
        }
    }

    /// Should balance three nodes, rebalance when one dies and when another joins, stay
    /// balanced without churn in between, and never lose or duplicate an account.
    @Test(arguments: [300, 301, 302])
    func simulatedClusterConverges(total: Int) throws {
        var sim = Simulation(total: total, nodes: ["a", "b", "c"])

        let started = sim.settle(within: 1)
        #expect(started == 1, "three fresh nodes split an unowned pool in one cycle")
        var counts = sim.counts
        #expect(counts.reduce(0, +) == total)
        #expect(counts.max()! - counts.min()! <= 1)
        var moved = sim.cycle()
        #expect(moved == 0, "a balanced cluster moves nothing")
        moved = sim.cycle()
        #expect(moved == 0)

        sim.die("b")
        sim.checkConservation()
        #expect(sim.pool.count == total / 3 + (1 < total % 3 ? 1 : 0), "b's accounts are free")
        let survived = sim.settle(within: 2)
        #expect(survived != nil, "the survivors take b's accounts")
        counts = sim.counts
        #expect(counts.count == 2)
        #expect(counts.reduce(0, +) == total)
        #expect(counts.max()! - counts.min()! <= 1)
        moved = sim.cycle()
        #expect(moved == 0)

        // The newcomer plans first, before the others gave anything up: it finds the pool empty
        // on its first cycle and takes its share on the next.
        sim.nodes.insert("d", at: 0)
        let joined = sim.settle(within: 3)
        let cycles = try #require(joined, "the newcomer gets its share within three cycles")
        #expect(cycles <= 2)
        counts = sim.counts
        #expect(counts.count == 3)
        #expect(counts.reduce(0, +) == total)
        #expect(counts.max()! - counts.min()! <= 1)
        #expect(sim.held["d", default: []].count == LeasePlanner.target(for: "d", nodes: sim.nodes, total: total))
        moved = sim.cycle()
        #expect(moved == 0, "balanced again: no churn")
        sim.checkConservation()
    }

    // MARK: - Refresh

    /// Should let a refresh start only when the lease left covers the deadline (or there is
    /// no lease at all).
    @Test func mayRefresh() {
        #expect(LeasePlanner.mayRefresh(remaining: nil, deadline: .seconds(55)))
        #expect(LeasePlanner.mayRefresh(remaining: .seconds(60), deadline: .seconds(55)))
        #expect(LeasePlanner.mayRefresh(remaining: .seconds(55), deadline: .seconds(55)), "exactly the deadline")
        #expect(!LeasePlanner.mayRefresh(remaining: .seconds(54), deadline: .seconds(55)))
        #expect(!LeasePlanner.mayRefresh(remaining: .milliseconds(54_999), deadline: .seconds(55)))
        #expect(!LeasePlanner.mayRefresh(remaining: .zero, deadline: .seconds(1)))
    }

    // MARK: - LeaseBook

    /// Should count a claim from when its statement was sent, per epoch, never below zero.
    @Test func bookCountsFromTheClaim() {
        let book = LeaseBook(node: "n1", lease: .seconds(6))
        let x = Self.id("x")
        let t0 = ContinuousClock.now
        #expect(book.count == 0)
        #expect(book.fence(for: x) == nil)
        #expect(book.remaining(x, epoch: 1, now: t0) == nil)

        book.claimed(x, epoch: 3, sentAt: t0)
        #expect(book.remaining(x, epoch: 3, now: t0 + .seconds(2)) == .seconds(4))
        #expect(book.remaining(x, epoch: 3, now: t0 + .seconds(6)) == .zero)
        #expect(book.remaining(x, epoch: 3, now: t0 + .seconds(60)) == .zero, "never negative")
        #expect(book.remaining(x, epoch: 2, now: t0 + .seconds(2)) == nil, "another epoch is not held")
        #expect(book.remaining(x, epoch: 4, now: t0 + .seconds(2)) == nil)
        #expect(book.fence(for: x) == LeaseFence(node: "n1", epoch: 3))
        #expect(book.held == [x: 3])
        #expect(book.count == 1)
    }

    /// Should extend a lease on renewal from the renewal's send time, never shorten it, and
    /// ignore a renewal of another epoch or of an account not held.
    @Test func bookRenewals() {
        let book = LeaseBook(node: "n1", lease: .seconds(6))
        let x = Self.id("x")
        let y = Self.id("y")
        let t0 = ContinuousClock.now
        book.claimed(x, epoch: 3, sentAt: t0)

        book.renewed([x: 3], sentAt: t0 + .seconds(3))
        #expect(book.remaining(x, epoch: 3, now: t0 + .seconds(2)) == .seconds(7))

        book.renewed([x: 3], sentAt: t0 + .seconds(1))
        #expect(book.remaining(x, epoch: 3, now: t0 + .seconds(2)) == .seconds(7), "an older renewal never shortens")

        book.renewed([x: 2], sentAt: t0 + .seconds(30))
        #expect(book.remaining(x, epoch: 3, now: t0 + .seconds(2)) == .seconds(7), "another epoch's renewal does nothing")
        #expect(book.remaining(x, epoch: 2, now: t0 + .seconds(2)) == nil)

        book.renewed([y: 1], sentAt: t0 + .seconds(30))
        #expect(book.fence(for: y) == nil, "a renewal never adds a lease")
        #expect(book.count == 1)

        // An extension to a longer length (before a token refresh).
        book.renewed([x: 3], sentAt: t0 + .seconds(3), length: .seconds(20))
        #expect(book.remaining(x, epoch: 3, now: t0 + .seconds(2)) == .seconds(21))
        // A regular renewal after it does not cut it back.
        book.renewed([x: 3], sentAt: t0 + .seconds(4))
        #expect(book.remaining(x, epoch: 3, now: t0 + .seconds(2)) == .seconds(21))
    }

    /// Should replace a lease claimed again with a new epoch, and forget a removed one.
    @Test func bookReclaimAndRemove() {
        let book = LeaseBook(node: "n1", lease: .seconds(6))
        let x = Self.id("x")
        let y = Self.id("y")
        let t0 = ContinuousClock.now
        book.claimed(x, epoch: 3, sentAt: t0)
        book.claimed(y, epoch: 1, sentAt: t0)
        #expect(book.held == [x: 3, y: 1])

        book.claimed(x, epoch: 4, sentAt: t0 + .seconds(1))
        #expect(book.remaining(x, epoch: 3, now: t0 + .seconds(2)) == nil)
        #expect(book.remaining(x, epoch: 4, now: t0 + .seconds(2)) == .seconds(5))
        #expect(book.fence(for: x) == LeaseFence(node: "n1", epoch: 4))

        book.remove(x)
        #expect(book.fence(for: x) == nil)
        #expect(book.remaining(x, epoch: 4, now: t0) == nil)
        #expect(book.held == [y: 1])
        #expect(book.count == 1)
        book.renewed([x: 4], sentAt: t0 + .seconds(2))
        #expect(book.fence(for: x) == nil, "a removed lease is not renewed back")
        book.remove(x)
        #expect(book.count == 1, "removing twice is harmless")
    }
}
