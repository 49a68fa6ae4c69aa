import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

@Suite struct SupervisorTests {
    /// Should sync a new account at once, store its posts, write one entry, then sync again on schedule.
    @Test func syncsOnScheduleWithManualClock() async throws {
        let clock = ManualClock()
        let fake = FakePlatformClient()
        fake.setDefault(.posts([samplePost("a", publishedAt: clock.now), samplePost("b", publishedAt: clock.now)]))
        let harness = try SupervisorHarness(clients: [.instagram: fake], clock: clock)
        let id = AccountID(platform: .instagram, externalID: "1")
        try await harness.run { h in
            _ = try await h.supervisor.addAccount(.test(.instagram, "1", at: clock.now))
            try await eventually("first run") { try h.entries(id).count == 1 }
            let first = try h.entries(id)[0]
            #expect(first.status == .success && first.postsFound == 2 && first.postsSynced == 2 && first.trigger == .schedule)
            #expect(first.seq == 1 && first.attempt == 1 && first.apiCalls == 1)
            // Nothing happens before the interval…
            try await eventually("worker asleep") { clock.sleeperCount >= 1 }
            clock.advance(by: 800)
            await Task.yield()
            #expect(try h.entries(id).count == 1)
            // …and the same posts again change nothing.
            clock.advance(by: 200)
            try await eventually("second run") { try h.entries(id).count == 2 }
            let second = try h.entries(id)[1]
            #expect(second.postsFound == 2 && second.postsSynced == 0)
            let next = try await h.store.account(id)?.nextSyncAt
            #expect(next != nil && next! > clock.now, "next_sync_at is persisted")
        }
    }

    /// Should quarantine an account whose worker crash-loops, with a SyncLog entry, while another keeps syncing.
    @Test func quarantinesCrashLoopWithoutHurtingOthers() async throws {
        let clock = ManualClock()
        let crashing = FakePlatformClient()
        crashing.setDefault(.crash("boom"))
        let healthy = FakePlatformClient()
        healthy.setDefault(.posts([samplePost("t1", publishedAt: clock.now)]))
        let harness = try SupervisorHarness(clients: [.instagram: crashing, .tiktok: healthy], clock: clock)
        let bad = AccountID(platform: .instagram, externalID: "bad")
        let good = AccountID(platform: .tiktok, externalID: "good")
        try await harness.run { h in
            _ = try await h.supervisor.addAccount(.test(.instagram, "bad", at: clock.now))
            _ = try await h.supervisor.addAccount(.test(.tiktok, "good", at: clock.now))
            try await eventually("good synced") { try h.entries(good).count == 1 }
            // restart.max = 2: crashes 1 and 2 restart after 1 s and 2 s, crash 3 quarantines.
            for _ in 0..<40 where try await h.store.account(bad)?.state != .quarantined {
                try await eventually("a crash or a restart wait") { try h.entries(bad).count >= 1 }
                clock.advance(by: 1)
                try await Task.sleep(for: .milliseconds(5))
            }
            try await eventually("quarantined") { try await h.store.account(bad)?.state == .quarantined }
            let entries = try h.entries(bad)
            #expect(entries.filter { $0.errorMessage?.hasPrefix("internal error") == true }.count == 3)
            #expect(entries.last?.errorMessage?.hasPrefix("quarantined after 3 crashes") == true)
            let view = try await h.supervisor.accountViews().first { $0.id == bad.description }
            #expect(view?.state == .quarantined)
            // The healthy account keeps its own schedule.
            clock.advance(by: 900)
            try await eventually("good synced again") { try h.entries(good).count >= 2 }
            #expect(try h.entries(good).allSatisfy { $0.status == .success })
            // An operator's manual sync gives the quarantined account another try.
            crashing.setDefault(.posts([]))
            let entry = try await h.supervisor.trigger(bad, .manual, wait: true)
            #expect(entry?.status == .success)
            #expect(try await h.store.account(bad)?.state == .idle)
        }
    }

    /// Should mark dead auth as needs_reauth and make no more calls until a new token is set.
    @Test func deadAuthStopsCalls() async throws {
        let clock = ManualClock()
        let fake = FakePlatformClient()
        fake.script(.failure(.deadAuth("Instagram error 190/463: expired")))
        let harness = try SupervisorHarness(clients: [.instagram: fake], clock: clock)
        let id = AccountID(platform: .instagram, externalID: "1")
        try await harness.run { h in
            _ = try await h.supervisor.addAccount(.test(.instagram, "1", at: clock.now))
            try await eventually("run") { try h.entries(id).count == 1 }
            try await eventually("needs_reauth persisted") { try await h.store.account(id)?.state == .needsReauth }
            #expect(try h.entries(id)[0].status == .error)
            clock.advance(by: 86_400)
            let noRun = try await h.supervisor.trigger(id, .webhook, wait: true)
            #expect(noRun == nil)
            #expect(fake.fetchCount == 1)
            try await h.supervisor.worker(id)?.replaceTokens(
                TokenUpdate(
                    accessToken: "new-token", refreshToken: nil, expiresAt: clock.now.addingTimeInterval(50 * 86_400),
                    refreshExpiresAt: nil, refreshedAt: clock.now))
            try await eventually("synced with the new token") { try h.entries(id).count == 2 }
            #expect(fake.fetchTokens.last == "new-token")
            #expect(try await h.store.account(id)?.state == .idle)
        }
    }

    /// Should park an idle worker (no task, its wake-up on the shared timer) and give it a task
    /// again for its schedule and for a trigger, the same worker each time.
    @Test func idleWorkerParksAndResumes() async throws {
        let clock = ManualClock()
        let fake = FakePlatformClient()
        fake.setDefault(.posts([samplePost("a", publishedAt: clock.now)]))
        let harness = try SupervisorHarness(clients: [.instagram: fake], clock: clock)
        let id = AccountID(platform: .instagram, externalID: "1")
        try await harness.run { h in
            _ = try await h.supervisor.addAccount(.test(.instagram, "1", at: clock.now))
            try await eventually("first run") { try h.entries(id).count == 1 }
            let worker = try #require(await h.supervisor.worker(id))
            try await eventually("parked") { worker.mailbox.isParked && h.supervisor.wakeTimer.scheduledCount == 1 }
            clock.advance(by: 1_000)
            try await eventually("scheduled run") { try h.entries(id).count == 2 }
            try await eventually("parked again") { worker.mailbox.isParked }
            let promise = Promise<SyncLogEntry?>()
            worker.mailbox.post(.trigger(.manual, promise))
            #expect(await promise.value?.trigger == .manual)
            try await eventually("parked after the trigger") { worker.mailbox.isParked }
            #expect(await h.supervisor.worker(id) === worker, "one worker owns the account throughout")
            #expect(h.supervisor.wakeTimer.scheduledCount == 1, "one wake-up on the timer")
        }
    }

    /// Should store a page in which only one like count changed (the post and a metric row),
    /// while the same page again stores nothing and still persists `last_sync_at`.
    @Test func oneLikeChangedIsStored() async throws {
        let clock = ManualClock()
        let fake = FakePlatformClient()
        let published = clock.now.addingTimeInterval(-3_600)
        let before = [samplePost("a", publishedAt: published, likes: 5), samplePost("b", publishedAt: published, likes: 7)]
        let after = [samplePost("a", publishedAt: published, likes: 5), samplePost("b", publishedAt: published, likes: 8)]
        fake.script(.posts(before), .posts(before), .posts(after), .posts(after))
        let harness = try SupervisorHarness(clients: [.instagram: fake], clock: clock)
        let id = AccountID(platform: .instagram, externalID: "1")
        try await harness.run { h in
            _ = try await h.supervisor.addAccount(.test(.instagram, "1", at: clock.now))
            try await eventually("first run") { try h.entries(id).count == 1 }
            guard let mailbox = await h.supervisor.worker(id)?.mailbox else { throw TimedOut(what: "worker") }
            for run in 2...4 {
                clock.advance(by: 60)
                let promise = Promise<SyncLogEntry?>()
                mailbox.post(.trigger(.manual, promise))
                #expect(await promise.value?.status == .success, "run \(run)")
            }
            #expect(try h.entries(id).map(\.postsSynced) == [2, 0, 1, 0])
            #expect(try await h.store.metricHistory(platform: .instagram, postID: "b").map(\.likeCount) == [7, 8])
            #expect(try await h.store.metricHistory(platform: .instagram, postID: "a").map(\.likeCount) == [5])
            let stored = try await h.store.posts(account: id, since: nil, limit: 10)
            #expect(stored.first { $0.postId == "b" }?.likeCount == 8)
            let last = try #require(try h.entries(id).last)
            let account = try await h.store.account(id)
            #expect(account?.lastSyncAt.map(Timestamp.format) == Timestamp.format(last.createdAt))
        }
    }

    /// Should coalesce triggers that arrive during a run into one next run, answering every waiter.
    @Test func coalescesTriggers() async throws {
        let clock = ManualClock()
        let fake = FakePlatformClient()
        let harness = try SupervisorHarness(clients: [.instagram: fake], clock: clock)
        let id = AccountID(platform: .instagram, externalID: "1")
        try await harness.run { h in
            _ = try await h.supervisor.addAccount(.test(.instagram, "1", at: clock.now))
            try await eventually("first run") { try h.entries(id).count == 1 }
            try await eventually("worker asleep") { clock.sleeperCount >= 1 }
            guard let mailbox = await h.supervisor.worker(id)?.mailbox else { throw TimedOut(what: "worker") }
            // Ten webhook hints land before the worker wakes: one run, a webhook spacing after
            // the first run ended (each waiter gets that run's entry).
            let promises = (0..<10).map { _ in Promise<SyncLogEntry?>() }
            for promise in promises { mailbox.post(.trigger(.webhook, promise)) }
            try await eventually("the webhooks wait for the spacing") { clock.sleeperCount >= 1 && mailbox.isParked }
            #expect(try h.entries(id).count == 1)
            clock.advance(by: AccountStateMachine.webhookSpacing)
            var seqs = Set<Int64>()
            for promise in promises { seqs.insert(await promise.value?.seq ?? -1) }
            #expect(seqs.count == 1)
            #expect(try h.entries(id).count == 2)
            #expect(try h.entries(id)[1].trigger == .webhook)
        }
    }

    /// Should refresh a TikTok token that is about to expire as the first step, and commit the
    /// rotated pair before it is used.
    @Test func refreshesAndCommitsBeforeUse() async throws {
        let clock = ManualClock()
        let fake = FakePlatformClient()
        fake.scriptRefresh(
            .success(
                RefreshedToken(
                    accessToken: "act.new", refreshToken: "rft.new", expiresAt: clock.now.addingTimeInterval(7200),
                    refreshExpiresAt: clock.now.addingTimeInterval(180 * 86_400))))
        let harness = try SupervisorHarness(clients: [.tiktok: fake], clock: clock)
        let id = AccountID(platform: .tiktok, externalID: "open")
        let record = {
            var record = AccountRecord.test(.tiktok, "open", at: clock.now)
            record.tokenExpiresAt = clock.now.addingTimeInterval(60)
            return record
        }()
        try await harness.run { h in
            _ = try await h.supervisor.addAccount(record)
            try await eventually("run") { try h.entries(id).count == 1 }
            let entry = try h.entries(id)[0]
            #expect(entry.tokenRefreshed && entry.status == .success && entry.apiCalls == 2)
            #expect(fake.fetchTokens == ["act.new"])
            let stored = try await h.store.account(id)
            #expect(stored?.accessToken == "act.new" && stored?.refreshToken == "rft.new")
        }
    }

    /// Should keep the stored refresh token when a refresh answer carries an empty one.
    @Test func emptyRefreshTokenNeverOverwrites() async throws {
        let store = try SQLiteStore.inMemory()
        let now = Date()
        try await store.insertAccount(.test(.tiktok, "x", at: now))
        let id = AccountID(platform: .tiktok, externalID: "x")
        try await store.saveTokens(
            id, TokenUpdate(accessToken: "a2", refreshToken: "", expiresAt: nil, refreshExpiresAt: nil, refreshedAt: now))
        #expect(try await store.account(id)?.refreshToken == "refresh-x")
        #expect(try await store.account(id)?.accessToken == "a2")
    }

    /// Should end a run that outlives sync.deadline as an error and keep the worker alive.
    @Test func deadlineEndsARun() async throws {
        let fake = HangingClient()
        let harness = try SupervisorHarness(
            clients: [.instagram: fake], clock: SystemClock(), settings: SupervisorHarness.settings(deadline: .milliseconds(200)))
        let id = AccountID(platform: .instagram, externalID: "1")
        try await harness.run { h in
            _ = try await h.supervisor.addAccount(.test(.instagram, "1", at: Date()))
            try await eventually("deadline entry") { try h.entries(id).count == 1 }
            let entry = try h.entries(id)[0]
            #expect(entry.status == .error)
            #expect(entry.errorMessage?.contains("deadline") == true)
            let state = await h.supervisor.worker(id)?.state
            #expect(state == .backoff)
        }
    }
}

/// A client whose fetch never answers (until cancelled).
struct HangingClient: PlatformClient {
    func fetch(_ request: FetchRequest, calls: CallCounter) async throws -> FetchResult {
        calls.increment()
        try await Task.sleep(for: .seconds(3600))
        return FetchResult(posts: [])
    }

    func refresh(account: AccountID, accessToken: String, refreshToken: String?, now: Date, calls: CallCounter) async throws
        -> RefreshedToken
    {
        throw PlatformError.transient("no")
    }
}
