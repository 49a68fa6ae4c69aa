import Foundation
import Logging
import PostSyncTestSupport
import Testing

@testable import PostSync

/// The hand-over of a rotated TikTok pair between daemons (CONTRACT section 10), on PostgreSQL:
/// a worker that lost its lease during a refresh saves the new pair and tells the new holder,
/// also when its run's deadline passed meanwhile (its daemon was stopped, a VM paused).
@Suite struct TokenHandoffTests {
    /// Should save the pair and queue `tokensReplaced` for the new holder, although the run's
    /// deadline passed during the refresh: the command was sent from the cancelled run and lost,
    /// and the new holder, which had found the old pair dead, kept the account in needs_reauth.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func leaseLostDuringARefreshPastTheDeadlineStillTellsTheNewHolder() async throws {
        try await PostgresStoreTests.withStore { store in
            let now = Date()
            let id = AccountID(platform: .tiktok, externalID: "handoff")
            try await store.insertAccounts([
                AccountRecord(
                    id: id, autoSync: true, accessToken: "a0", refreshToken: "r0",
                    tokenExpiresAt: now.addingTimeInterval(60), tokenRefreshedAt: now, createdAt: now)
            ])
            let claimed = try await store.claim("n1", lease: .seconds(30), limit: 1, excluding: [])
            let record = try #require(claimed.first)
            let epoch = try #require(record.lease?.epoch)
            let book = LeaseBook(node: "n1", lease: .seconds(30))
            book.claimed(id, epoch: epoch, sentAt: .now)

            let recorder = KeepingRecorder()
            // The refresh answers after the lease went to n2 and after the run's deadline.
            let client = SlowRefreshClient {
                // In a task of its own: the run's 100 ms may end meanwhile on a slow machine.
                try await Task {
                    try await store.release("n1", [id])
                    _ = try await store.claim("n2", lease: .seconds(30), limit: 1, excluding: [])
                }.value
            }
            let environment = SyncEnvironment(
                store: store, clients: [.tiktok: client], clock: SystemClock(), limiter: AsyncSemaphore(permits: 1),
                recorder: recorder, logger: testLogger(),
                cluster: ClusterLink(store: store, book: book, logger: testLogger()))
            let worker = AccountActor(
                record: record,
                settings: .init(interval: .seconds(900), jitter: 0, backoff: Backoff(min: .seconds(30), max: .seconds(60))),
                runSettings: .init(
                    lookback: .seconds(86_400), deadline: .milliseconds(100),
                    tokenPolicy: TokenPolicy(instagramRefreshBefore: .seconds(86_400), tiktokRefreshBefore: .seconds(600))),
                environment: environment, seed: 1, fence: LeaseFence(node: "n1", epoch: epoch))

            // The run ends past its deadline with its lease lost (the fenced SyncLog entry and
            // schedule are refused): how it ends is not the point here.
            _ = try? await worker.syncOnce(trigger: .manual)
            let messages = recorder.entries.withLock { $0 }.map { $0.errorMessage ?? "" }
            #expect(messages.count == 1 && messages[0].contains("deadline"), "\(messages)")
            #expect(client.refreshes.withLock { $0 } == 1)
            let stored = try #require(try await store.account(id))
            #expect(stored.accessToken == "a1" && stored.refreshToken == "r1", "the only valid pair is saved")
            let commands = try await store.takeCommands(for: "n2", maxAge: .seconds(60))
            #expect(commands.map(\.action) == [.tokensReplaced], "the new holder is told to read it")
            #expect(commands.map(\.account) == [id])
        }
    }
}

/// A TikTok client whose refresh runs `meanwhile`, then answers a new pair only after 300 ms of
/// a wait that ignores cancellation (as a daemon that was stopped past its run's deadline).
private final class SlowRefreshClient: PlatformClient, Sendable {
    let refreshes = Locked(0)
    private let meanwhile: @Sendable () async throws -> Void

    init(meanwhile: @escaping @Sendable () async throws -> Void) {
        self.meanwhile = meanwhile
    }

    func fetch(_ request: FetchRequest, calls: CallCounter) async throws -> FetchResult {
        FetchResult(posts: [])
    }

    func refresh(account: AccountID, accessToken: String, refreshToken: String?, now: Date, calls: CallCounter) async throws
        -> RefreshedToken
    {
        refreshes.withLock { $0 += 1 }
        try await meanwhile()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { done.resume() }
        }
        return RefreshedToken(
            accessToken: "a1", refreshToken: "r1", expiresAt: now.addingTimeInterval(86_400), refreshExpiresAt: nil)
    }
}

/// A recorder that keeps the entries in memory.
private struct KeepingRecorder: SyncRecorder {
    let entries = Locked<[SyncLogEntry]>([])

    func record(_ entry: SyncLogEntry, fence: LeaseFence?) async throws -> SyncLogEntry {
        entries.withLock { $0.append(entry) }
        return entry
    }
}
