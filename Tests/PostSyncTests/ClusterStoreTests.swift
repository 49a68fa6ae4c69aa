import Foundation
import PostSyncTestSupport
import PostgresNIO
import Testing

@testable import PostSync

/// The lease statements of several daemons on one PostgreSQL schema (CONTRACT section 10)
/// against the real test server (`scripts/with-postgres.sh`), each test in a schema of its own
/// (`PostgresStoreTests.withStore`): claims, expiry and epochs, fenced writes, release and leave,
/// heartbeats, the token compare-and-swap, and commands between daemons. The compare-and-swap is
/// also held to the same rules on SQLite, which runs everywhere.
@Suite struct ClusterStoreTests {
    static let created = Date(timeIntervalSince1970: 1_700_000_000)
    static let later = Date(timeIntervalSince1970: 1_800_000_000)

    /// A TikTok account `tiktok:<external>` due at `due` (nil: not scheduled).
    static func record(_ external: String, due: Date? = nil) -> AccountRecord {
        var record = PostgresStoreTests.record(external)
        record.nextSyncAt = due
        return record
    }

    /// The stored row of an account that must exist.
    static func stored(_ store: any Store, _ id: AccountID) async throws -> AccountRecord {
        let found = try await store.account(id)
        return try #require(found, "\(id) is stored")
    }

    /// The database's `now()`: lease times are the database's, not this process's.
    static func databaseNow(_ store: PostgresStore) async throws -> Date {
        try await store.perform { client in
            for try await now in try await client.query("SELECT now()").decode(Date.self) { return now }
            throw StoreError.database("SELECT now() returned no row")
        }
    }

    /// Polls `attempt` every 50 ms until it answers, for at most `timeout` (an effect of time
    /// passing on the server, e.g. a lease running out; never a fixed sleep).
    static func poll<T: Sendable>(
        _ what: String, timeout: Duration = .seconds(5), _ attempt: () async throws -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = try await attempt() { return value }
            guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func entry(_ id: AccountID, _ entryID: String) -> SyncLogEntry {
        SyncLogEntry(
            id: entryID, accountId: id.description, platform: id.platform, trigger: .schedule, postsFound: 1,
            postsSynced: 1, status: .success, errorMessage: nil, duration: 5, createdAt: later, startedAt: later,
            apiCalls: 1, tokenRefreshed: false, attempt: 1)
    }

    // MARK: - Claims

    /// Should claim at most `limit` free accounts, the ones due first (unscheduled last), each
    /// with epoch 1 and a lease of the database's now plus the length asked; another node then
    /// gets only the rest, and nobody gets a live lease.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func claimTakesFreeAccountsDueFirst() async throws {
        try await PostgresStoreTests.withStore { store in
            let records = [
                Self.record("a"),
                Self.record("b", due: Self.later.addingTimeInterval(300)),
                Self.record("c", due: Self.later.addingTimeInterval(100)),
                Self.record("d", due: Self.later.addingTimeInterval(200)),
                Self.record("e", due: Self.later),
            ]
            try await store.insertAccounts(records)
            let inserted = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) })

            let before = try await Self.databaseNow(store)
            let first = try await store.claim("n1", lease: .seconds(30), limit: 3, excluding: [])
            let after = try await Self.databaseNow(store)
            #expect(Set(first.map(\.id.externalID)) == ["e", "c", "d"], "the three due first")
            #expect(first.count == 3)
            for record in first {
                let lease = try #require(record.lease)
                #expect(lease.owner == "n1")
                #expect(lease.epoch == 1)
                let expires = try #require(lease.expiresAt)
                #expect(expires >= before.addingTimeInterval(30 - 0.001))
                #expect(expires <= after.addingTimeInterval(30 + 0.001))
                var expected = try #require(inserted[record.id])
                expected.lease = lease
                #expect(record == expected, "the claimed row as stored, tokens included")
                #expect(try await Self.stored(store, record.id) == record)
            }

            let second = try await store.claim("n2", lease: .seconds(30), limit: 10, excluding: [])
            #expect(Set(second.map(\.id.externalID)) == ["a", "b"])
            #expect(second.count == 2)
            #expect(second.allSatisfy { $0.lease?.owner == "n2" && $0.lease?.epoch == 1 })

            #expect(try await store.claim("n3", lease: .seconds(30), limit: 10, excluding: []).isEmpty)
            #expect(try await store.claim("n1", lease: .seconds(30), limit: 10, excluding: []).isEmpty)
            let owners = try await store.accounts().map { "\($0.id.externalID)=\($0.lease?.owner ?? "-")" }
            #expect(owners == ["a=n2", "b=n2", "c=n1", "d=n1", "e=n1"])
        }
    }

    /// Should leave the excluded accounts alone, and claim nothing for a limit of 0.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func claimHonoursExcludingAndLimit() async throws {
        try await PostgresStoreTests.withStore { store in
            let p = Self.record("p", due: Self.later)
            let q = Self.record("q", due: Self.later.addingTimeInterval(60))
            try await store.insertAccounts([p, q])

            #expect(try await store.claim("n1", lease: .seconds(30), limit: 0, excluding: []).isEmpty)
            #expect(try await store.accounts().allSatisfy { $0.lease == nil }, "a limit of 0 claims nothing")

            let claimed = try await store.claim(
                "n1", lease: .seconds(30), limit: 10, excluding: [p.id, AccountID(platform: .tiktok, externalID: "gone")])
            #expect(claimed.map(\.id) == [q.id])
            #expect(try await store.claim("n1", lease: .seconds(30), limit: 10, excluding: [p.id]).isEmpty)
            #expect(try await Self.stored(store, p.id).lease == nil)

            let other = try await store.claim("n2", lease: .seconds(30), limit: 10, excluding: [])
            #expect(other.map(\.id) == [p.id])
            #expect(other.first?.lease?.owner == "n2")
            #expect(other.first?.lease?.epoch == 1)
        }
    }

    // MARK: - Expiry, epochs and fences

    /// Should let another node claim an expired lease with the next epoch, stop renewing it for
    /// the old holder, and refuse every fenced write of the old holder (or of a wrong epoch)
    /// without writing anything, while the new holder's fenced writes go through.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func expiredLeaseMovesWithTheNextEpochAndFencesTheOldHolder() async throws {
        try await PostgresStoreTests.withStore { store in
            let original = Self.record("x", due: Self.later)
            let id = original.id
            try await store.insertAccounts([original])

            let first = try await store.claim("n1", lease: .milliseconds(300), limit: 10, excluding: [])
            #expect(first.map(\.id) == [id])
            #expect(first.first?.lease?.owner == "n1")
            #expect(first.first?.lease?.epoch == 1)

            let second = try await Self.poll("n2 claims x once n1's lease ran out") { () async throws -> [AccountRecord]? in
                let claimed = try await store.claim("n2", lease: .seconds(30), limit: 10, excluding: [])
                return claimed.isEmpty ? nil : claimed
            }
            #expect(second.map(\.id) == [id])
            #expect(second.first?.lease?.owner == "n2")
            #expect(second.first?.lease?.epoch == 2)

            #expect(try await store.renew("n1", lease: .seconds(30)) == [:], "n1 no longer renews it")
            #expect(try await store.renew("n2", lease: .seconds(30)) == [id: 2])
            #expect(try await store.extendLease(id, fence: LeaseFence(node: "n1", epoch: 1), atLeast: .seconds(60)) == false)

            let before = try await Self.stored(store, id)
            let schedule = AccountSchedule(
                state: .backoff, nextSyncAt: Self.later.addingTimeInterval(3600), consecutiveFailures: 2, lastError: "boom")
            let now = Self.later.addingTimeInterval(10)
            let post = samplePost("p1", publishedAt: Self.later.addingTimeInterval(-3600))
            let stale = [
                LeaseFence(node: "n1", epoch: 1),  // the old holder
                LeaseFence(node: "n2", epoch: 1),  // the holder's node, an old epoch
                LeaseFence(node: "n1", epoch: 2),  // the holder's epoch, another node
            ]
            for fence in stale {
                await #expect(throws: StoreError.leaseLost(id), "\(fence)") {
                    try await store.saveSchedule(id, schedule, fence: fence)
                }
                await #expect(throws: StoreError.leaseLost(id), "\(fence)") {
                    try await store.ingest([post], for: id, now: now, fence: fence)
                }
                await #expect(throws: StoreError.leaseLost(id), "\(fence)") {
                    try await store.insertEntry(Self.entry(id, "stale-\(fence)"), node: fence.node, fence: fence)
                }
            }
            #expect(try await Self.stored(store, id) == before, "schedule, last_sync_at and lease unchanged")
            #expect(try await store.postCounts()[id.description] == nil, "no post written")
            #expect(try await store.recentPosts(of: id, publishedSince: Date(timeIntervalSince1970: 0)).isEmpty)
            #expect(try await store.entries(after: 0, limit: 10).isEmpty, "no sync_log row written")
            #expect(try await store.lastSeq() == 0)

            let held = LeaseFence(node: "n2", epoch: 2)
            try await store.saveSchedule(id, schedule, fence: held)
            let ingested = try await store.ingest([post], for: id, now: now, fence: held)
            #expect(ingested.found == 1)
            #expect(ingested.synced == 1)
            let seq = try await store.insertEntry(Self.entry(id, "held"), node: "n2", fence: held)
            #expect(seq > 0)

            let after = try await Self.stored(store, id)
            #expect(after.state == .backoff)
            #expect(after.nextSyncAt == schedule.nextSyncAt)
            #expect(after.consecutiveFailures == 2)
            #expect(after.lastError == "boom")
            #expect(after.lastSyncAt == now)
            #expect(after.lease?.owner == "n2" && after.lease?.epoch == 2)
            #expect(try await store.postCounts()[id.description] == 1)
            let rows = try await store.entries(after: 0, limit: 10)
            #expect(rows.map(\.id) == ["held"])
            #expect(rows.map(\.seq) == [seq])
            #expect(try await store.entries(writtenBy: ["n2"], after: 0).map(\.id) == ["held"])
        }
    }

    /// Should extend a held lease to at least the length asked, never shorten it, and refuse
    /// a fence that does not hold it.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func extendLeaseOnlyForTheHolder() async throws {
        try await PostgresStoreTests.withStore { store in
            let id = Self.record("x").id
            try await store.insertAccounts([Self.record("x")])
            _ = try await store.claim("n1", lease: .seconds(30), limit: 1, excluding: [])
            let fence = LeaseFence(node: "n1", epoch: 1)

            let before = try await Self.databaseNow(store)
            #expect(try await store.extendLease(id, fence: fence, atLeast: .seconds(3600)))
            let extendedRow = try await Self.stored(store, id)
            let extended = try #require(extendedRow.lease?.expiresAt)
            #expect(extended >= before.addingTimeInterval(3600 - 0.001))
            #expect(extended <= before.addingTimeInterval(3600 + 60))

            #expect(try await store.extendLease(id, fence: fence, atLeast: .seconds(1)))
            #expect(try await Self.stored(store, id).lease?.expiresAt == extended, "never shortened")

            #expect(try await store.extendLease(id, fence: LeaseFence(node: "n1", epoch: 2), atLeast: .seconds(7200)) == false)
            #expect(try await store.extendLease(id, fence: LeaseFence(node: "n2", epoch: 1), atLeast: .seconds(7200)) == false)
            #expect(
                try await store.extendLease(
                    AccountID(platform: .tiktok, externalID: "gone"), fence: fence, atLeast: .seconds(7200)) == false)
            #expect(try await Self.stored(store, id).lease?.expiresAt == extended)
        }
    }

    /// Should keep an extension made before a token refresh when the regular renewal runs:
    /// `LeaseBook.renewed` keeps the later end, so a renewal that cut the database's lease back
    /// to `lease` would leave the daemon believing in more lease than the database grants.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func renewNeverShortensAnExtendedLease() async throws {
        try await PostgresStoreTests.withStore { store in
            let id = Self.record("x").id
            try await store.insertAccounts([Self.record("x")])
            _ = try await store.claim("n1", lease: .seconds(30), limit: 1, excluding: [])
            #expect(try await store.extendLease(id, fence: LeaseFence(node: "n1", epoch: 1), atLeast: .seconds(3600)))
            let extendedRow = try await Self.stored(store, id)
            let extended = try #require(extendedRow.lease?.expiresAt)

            #expect(try await store.renew("n1", lease: .seconds(30)) == [id: 1])
            let renewedRow = try await Self.stored(store, id)
            let renewed = try #require(renewedRow.lease?.expiresAt)
            #expect(renewed >= extended, "the renewal cut the extended lease back")
        }
    }

    // MARK: - Release and leave

    /// Should clear the owner of a released account and keep its schedule and epoch, only for
    /// the holder; the next claim takes it at once with the next epoch.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func releaseKeepsTheScheduleAndClearsTheOwner() async throws {
        try await PostgresStoreTests.withStore { store in
            let x = Self.record("x", due: Self.later)
            let y = Self.record("y", due: Self.later.addingTimeInterval(60))
            try await store.insertAccounts([x, y])
            #expect(try await store.claim("n1", lease: .seconds(30), limit: 10, excluding: []).count == 2)

            try await store.release("n2", [x.id])
            #expect(try await Self.stored(store, x.id).lease?.owner == "n1", "only the holder releases")
            try await store.release("n1", [])

            try await store.release("n1", [x.id])
            let released = try await Self.stored(store, x.id)
            #expect(released.lease == AccountLease(owner: nil, expiresAt: nil, epoch: 1))
            #expect(released.nextSyncAt == Self.later, "next_sync_at kept")
            var expected = x
            expected.lease = released.lease
            #expect(released == expected, "nothing else changed")
            #expect(try await Self.stored(store, y.id).lease?.owner == "n1", "the other lease is kept")
            #expect(try await store.renew("n1", lease: .seconds(30)) == [y.id: 1])

            let again = try await store.claim("n2", lease: .seconds(30), limit: 10, excluding: [])
            #expect(again.map(\.id) == [x.id])
            #expect(again.first?.lease?.owner == "n2")
            #expect(again.first?.lease?.epoch == 2)
            #expect(again.first?.nextSyncAt == Self.later)
        }
    }

    /// Should give up every lease of a leaving node and remove its row, and nothing of the
    /// other nodes.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func leaveReleasesEverythingAndRemovesTheNode() async throws {
        try await PostgresStoreTests.withStore { store in
            let records = [Self.record("a"), Self.record("b"), Self.record("c")]
            try await store.insertAccounts(records)
            _ = try await store.heartbeat("n1", version: "test", startedAt: Self.created, lease: .seconds(30))
            _ = try await store.heartbeat("n2", version: "test", startedAt: Self.created, lease: .seconds(30))
            let mine = try await store.claim("n1", lease: .seconds(30), limit: 2, excluding: [])
            let theirs = try await store.claim("n2", lease: .seconds(30), limit: 2, excluding: [])
            #expect(mine.count == 2)
            #expect(theirs.count == 1)
            let c = try #require(theirs.first)

            let live = try await store.liveNodes(lease: .seconds(30))
            #expect(live.map(\.id) == ["n1", "n2"])
            #expect(live.map(\.accounts) == [2, 1])

            try await store.leave("n1")
            let left = try await store.liveNodes(lease: .seconds(30))
            #expect(left.map(\.id) == ["n2"])
            #expect(left.map(\.accounts) == [1])
            for record in mine {
                #expect(try await Self.stored(store, record.id).lease == AccountLease(owner: nil, expiresAt: nil, epoch: 1))
            }
            #expect(try await Self.stored(store, c.id).lease?.owner == "n2")
            #expect(try await store.renew("n1", lease: .seconds(30)) == [:])
            #expect(try await store.renew("n2", lease: .seconds(30)) == [c.id: 1])

            let taken = try await store.claim("n3", lease: .seconds(30), limit: 10, excluding: [])
            #expect(Set(taken.map(\.id)) == Set(mine.map(\.id)))
            #expect(taken.allSatisfy { $0.lease?.epoch == 2 })
            try await store.leave("nobody")
        }
    }

    // MARK: - Heartbeats

    /// Should list the live nodes sorted, with their live leases counted (an expired one is
    /// not), the first heartbeat's start, and the total of accounts; drop a silent node from the
    /// live list after one lease, and its row after a hundred.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func heartbeatListsLiveNodesWithTheirLeases() async throws {
        try await PostgresStoreTests.withStore { store in
            try await store.insertAccounts(["a", "b", "c", "d"].map { Self.record($0) })
            let started1 = Self.created
            let started2 = Self.created.addingTimeInterval(60)

            let alone = try await store.heartbeat("n2", version: "1.0", startedAt: started2, lease: .seconds(30))
            #expect(alone.nodes.map(\.id) == ["n2"])
            #expect(alone.nodes.map(\.accounts) == [0])
            #expect(alone.nodes.first?.heartbeatAt == alone.now)
            #expect(alone.totalAccounts == 4)

            _ = try await store.heartbeat("n1", version: "1.0", startedAt: started1, lease: .seconds(30))
            #expect(try await store.claim("n1", lease: .seconds(30), limit: 2, excluding: []).count == 2)
            #expect(try await store.claim("n2", lease: .seconds(30), limit: 1, excluding: []).count == 1)
            #expect(try await store.claim("n2", lease: .milliseconds(1), limit: 1, excluding: []).count == 1)

            let snapshot = try await Self.poll("n2's 1 ms lease stops counting") { () async throws -> ClusterSnapshot? in
                // Another start time: only the first heartbeat writes it.
                let snapshot = try await store.heartbeat(
                    "n1", version: "1.1", startedAt: Self.later, lease: .seconds(30))
                return snapshot.nodes.map(\.accounts) == [2, 1] ? snapshot : nil
            }
            #expect(snapshot.nodes.map(\.id) == ["n1", "n2"])
            #expect(snapshot.totalAccounts == 4)
            #expect(snapshot.nodes.map(\.startedAt) == [started1, started2])
            #expect(snapshot.nodes.first?.heartbeatAt == snapshot.now, "n1's heartbeat is this statement's now()")
            #expect(snapshot.nodes[1].heartbeatAt == alone.now, "n2's is its last heartbeat")
            #expect(try await store.liveNodes(lease: .seconds(30)) == snapshot.nodes)

            // Silent for longer than a lease: not live any more.
            _ = try await Self.poll("no heartbeat within 200 ms") { () async throws -> Bool? in
                try await store.liveNodes(lease: .milliseconds(200)).isEmpty ? true : nil
            }
            let fresh = try await store.heartbeat("n1", version: "1.1", startedAt: Self.later, lease: .milliseconds(200))
            #expect(fresh.nodes.map(\.id) == ["n1"])
            #expect(fresh.nodes.map(\.startedAt) == [started1])

            // Silent for longer than a hundred leases: its row is gone, whatever lease is asked.
            _ = try await store.heartbeat("n1", version: "1.1", startedAt: Self.later, lease: .milliseconds(1))
            #expect(try await store.liveNodes(lease: .seconds(3600)).map(\.id) == ["n1"])
        }
    }

    // MARK: - Token compare-and-swap

    static func rotated(_ access: String, _ refresh: String?, expires: Date) -> TokenUpdate {
        TokenUpdate(
            accessToken: access, refreshToken: refresh, expiresAt: expires, refreshExpiresAt: nil, refreshedAt: later)
    }

    static let tiktok = AccountID(platform: .tiktok, externalID: "cas")
    static let instagram = AccountID(platform: .instagram, externalID: "cas")

    /// The compare-and-swap rules every store keeps, without a fence. Leaves `tiktok` at
    /// a2/r1 and `instagram` at i1/nil.
    static func checkRotationRules(_ store: any Store) async throws {
        try await store.insertAccounts([
            AccountRecord(id: tiktok, accessToken: "a0", refreshToken: "r0", createdAt: created),
            AccountRecord(id: instagram, login: .instagram, accessToken: "i0", createdAt: created),
        ])
        let t1 = later.addingTimeInterval(86_400)
        let t2 = later.addingTimeInterval(2 * 86_400)

        #expect(
            try await store.saveRotatedTokens(
                tiktok, rotated("a1", "r1", expires: t1), replacing: TokenPair(access: "a0", refresh: "r0"), fence: nil)
                == .saved(stillHeld: true))
        var stored = try await Self.stored(store, tiktok)
        #expect(stored.accessToken == "a1")
        #expect(stored.refreshToken == "r1")
        #expect(stored.tokenExpiresAt == t1)
        #expect(stored.tokenRefreshedAt == later)

        // The replaced pair is no longer the stored one: the stored pair wins, untouched.
        for replaced in [
            TokenPair(access: "a0", refresh: "r0"), TokenPair(access: "a1", refresh: "r0"),
            TokenPair(access: "a1", refresh: nil), TokenPair(access: "a0", refresh: "r1"),
        ] {
            #expect(
                try await store.saveRotatedTokens(tiktok, rotated("a2", "r2", expires: t2), replacing: replaced, fence: nil)
                    == .superseded, "\(replaced)")
        }
        stored = try await Self.stored(store, tiktok)
        #expect(stored.accessToken == "a1")
        #expect(stored.refreshToken == "r1")
        #expect(stored.tokenExpiresAt == t1)

        // An empty refresh token never overwrites the stored one.
        #expect(
            try await store.saveRotatedTokens(
                tiktok, rotated("a2", "", expires: t2), replacing: TokenPair(access: "a1", refresh: "r1"), fence: nil)
                == .saved(stillHeld: true))
        stored = try await Self.stored(store, tiktok)
        #expect(stored.accessToken == "a2")
        #expect(stored.refreshToken == "r1")
        #expect(stored.tokenExpiresAt == t2)

        // No refresh token: the nil half must match too.
        #expect(
            try await store.saveRotatedTokens(
                instagram, rotated("i1", nil, expires: t1), replacing: TokenPair(access: "i0", refresh: nil), fence: nil)
                == .saved(stillHeld: true))
        #expect(
            try await store.saveRotatedTokens(
                instagram, rotated("i2", nil, expires: t2), replacing: TokenPair(access: "i0", refresh: nil), fence: nil)
                == .superseded)
        #expect(
            try await store.saveRotatedTokens(
                instagram, rotated("i2", nil, expires: t2), replacing: TokenPair(access: "i1", refresh: "x"), fence: nil)
                == .superseded)
        stored = try await Self.stored(store, instagram)
        #expect(stored.accessToken == "i1")
        #expect(stored.refreshToken == nil)
        #expect(stored.tokenExpiresAt == t1)

        let nobody = AccountID(platform: .tiktok, externalID: "nobody")
        await #expect(throws: StoreError.unknownAccount(nobody)) {
            try await store.saveRotatedTokens(
                nobody, rotated("a9", "r9", expires: t2), replacing: TokenPair(access: "a0", refresh: "r0"), fence: nil)
        }
        await #expect(throws: StoreError.unknownAccount(nobody)) {
            try await store.saveRotatedTokens(
                nobody, rotated("a9", "r9", expires: t2), replacing: TokenPair(access: "a0", refresh: "r0"),
                fence: LeaseFence(node: "n1", epoch: 1))
        }
    }

    /// Should swap only the pair it replaced on PostgreSQL, and save even for a fence that lost
    /// the lease, saying so; the holder's fence says it still holds.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func rotationCompareAndSwapOnPostgres() async throws {
        try await PostgresStoreTests.withStore { store in
            try await Self.checkRotationRules(store)
            let id = Self.tiktok
            let t3 = Self.later.addingTimeInterval(3 * 86_400)

            #expect(try await store.claim("n1", lease: .seconds(30), limit: 1, excluding: [Self.instagram]).map(\.id) == [id])
            try await store.release("n1", [id])
            let moved = try await store.claim("n2", lease: .seconds(30), limit: 1, excluding: [Self.instagram])
            #expect(moved.first?.lease?.epoch == 2)

            // n1 refreshed with its old lease: the pair is saved all the same, and n1 learns it
            // no longer holds the account.
            #expect(
                try await store.saveRotatedTokens(
                    id, Self.rotated("a3", "r3", expires: t3), replacing: TokenPair(access: "a2", refresh: "r1"),
                    fence: LeaseFence(node: "n1", epoch: 1))
                    == .saved(stillHeld: false))
            var stored = try await Self.stored(store, id)
            #expect(stored.accessToken == "a3")
            #expect(stored.refreshToken == "r3")
            #expect(stored.lease?.owner == "n2" && stored.lease?.epoch == 2, "the lease is not touched")

            #expect(
                try await store.saveRotatedTokens(
                    id, Self.rotated("a4", "r4", expires: t3), replacing: TokenPair(access: "a3", refresh: "r3"),
                    fence: LeaseFence(node: "n2", epoch: 2))
                    == .saved(stillHeld: true))
            #expect(
                try await store.saveRotatedTokens(
                    id, Self.rotated("a5", "r5", expires: t3), replacing: TokenPair(access: "a3", refresh: "r3"),
                    fence: LeaseFence(node: "n2", epoch: 2))
                    == .superseded, "a held fence does not beat the compare-and-swap")
            stored = try await Self.stored(store, id)
            #expect(stored.accessToken == "a4")
            #expect(stored.refreshToken == "r4")
        }
    }

    /// Should say `stillHeld: false`, not `superseded`, when the pair was saved for a lease
    /// that was released and not claimed again (no owner): the pair is stored, so the caller
    /// must not believe it was refused.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func rotationAfterReleaseIsSavedNotSuperseded() async throws {
        try await PostgresStoreTests.withStore { store in
            let id = Self.tiktok
            try await store.insertAccounts([
                AccountRecord(id: id, accessToken: "a0", refreshToken: "r0", createdAt: Self.created)
            ])
            #expect(try await store.claim("n1", lease: .seconds(30), limit: 1, excluding: []).count == 1)
            try await store.release("n1", [id])

            let answer = try await store.saveRotatedTokens(
                id, Self.rotated("a1", "r1", expires: Self.later), replacing: TokenPair(access: "a0", refresh: "r0"),
                fence: LeaseFence(node: "n1", epoch: 1))
            let stored = try await Self.stored(store, id)
            #expect(stored.accessToken == "a1", "the pair was stored")
            #expect(answer == .saved(stillHeld: false))
        }
    }

    /// Should keep the same compare-and-swap rules on SQLite, where there are no leases: a
    /// fence never says the lease was lost.
    @Test func rotationCompareAndSwapOnSQLite() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/postsync.sqlite")
            try await Self.checkRotationRules(store)
            #expect(
                try await store.saveRotatedTokens(
                    Self.tiktok, Self.rotated("a3", "r3", expires: Self.later),
                    replacing: TokenPair(access: "a2", refresh: "r1"), fence: LeaseFence(node: "n1", epoch: 1))
                    == .saved(stillHeld: true))
            let stored = try await Self.stored(store, Self.tiktok)
            #expect(stored.accessToken == "a3")
            #expect(stored.refreshToken == "r3")
            #expect(stored.lease == nil)
        }
    }

    // MARK: - Commands

    /// Should deliver a command for an account to its holder once (waiting while nobody holds
    /// it), a command for a node to that node only, oldest first, drop commands older than
    /// `maxAge`, and hand each reply over once.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func commandsReachTheHolderOnce() async throws {
        try await PostgresStoreTests.withStore { store in
            let x = Self.record("x", due: Self.later)
            let y = Self.record("y", due: Self.later.addingTimeInterval(60))
            try await store.insertAccounts([x, y])
            let maxAge = Duration.seconds(300)

            let sync = ClusterCommand(account: x.id, action: .sync(.manual, wait: true), wantsReply: true)
            try await store.send(sync)
            #expect(try await store.takeCommands(for: "n1", maxAge: maxAge) == [], "nobody holds x yet")

            #expect(try await store.claim("n1", lease: .seconds(30), limit: 1, excluding: [y.id]).map(\.id) == [x.id])
            #expect(try await store.takeCommands(for: "n2", maxAge: maxAge) == [], "n2 does not hold x")
            #expect(try await store.takeCommands(for: "n1", maxAge: maxAge) == [sync])
            #expect(try await store.takeCommands(for: "n1", maxAge: maxAge) == [], "taken once")

            let all = ClusterCommand(node: "n2", action: .syncAll(.cron, wait: false), wantsReply: false)
            try await store.send(all)
            #expect(try await store.takeCommands(for: "n1", maxAge: maxAge) == [])
            #expect(try await store.takeCommands(for: "n2", maxAge: maxAge) == [all])
            #expect(try await store.takeCommands(for: "n2", maxAge: maxAge) == [])

            // Oldest first, whichever way they are addressed.
            let pause = ClusterCommand(account: x.id, action: .setAutoSync(false), wantsReply: false)
            let direct = ClusterCommand(node: "n1", action: .authorizationRemoved("revoked"), wantsReply: false)
            let tokens = ClusterCommand(account: x.id, action: .tokensReplaced, wantsReply: false)
            for command in [pause, direct, tokens] { try await store.send(command) }
            #expect(try await store.takeCommands(for: "n1", maxAge: maxAge) == [pause, direct, tokens])

            // A command nobody took within maxAge is dropped, not delivered late.
            let stop = ClusterCommand(account: y.id, action: .stop, wantsReply: false)
            try await store.send(stop)
            #expect(try await store.takeCommands(for: "n1", maxAge: .zero) == [])
            #expect(try await store.claim("n1", lease: .seconds(30), limit: 1, excluding: []).map(\.id) == [y.id])
            #expect(try await store.takeCommands(for: "n1", maxAge: maxAge) == [], "dropped")

            // Replies: each taken once; a second reply to the same command replaces the first.
            let reply = ClusterReply(queued: 3)
            try await store.reply(sync.id, body: try JSONCoding.encoder().encode(ClusterReply(error: "first")))
            try await store.reply(sync.id, body: try JSONCoding.encoder().encode(reply))
            let taken = try await store.takeReply(sync.id)
            let body = try #require(taken)
            #expect(try JSONCoding.decoder().decode(ClusterReply.self, from: body) == reply)
            #expect(try await store.takeReply(sync.id) == nil, "taken once")
            #expect(try await store.takeReply("no-such-command") == nil)
        }
    }
}
