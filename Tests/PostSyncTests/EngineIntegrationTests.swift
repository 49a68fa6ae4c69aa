import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import PostSyncSimulator
import PostSyncTestSupport
import Testing

@testable import PostSync

/// The real engine (store, clients over AsyncHTTPClient, actors, supervisor, SyncLog) against the
/// simulator over real loopback sockets, once per store backend (`StoreBackend`).
@Suite struct EngineIntegrationTests {
    static func simulator(posts: Int = 130, seed: UInt64 = 7) -> SimulatorConfiguration {
        SimulatorConfiguration(seed: seed, instagramAccounts: 2, tiktokAccounts: 2, postsPerAccount: posts)
    }

    /// Runs `body` with a simulator, a daemon configuration pointed at it that selects `backend`,
    /// and a state directory that is removed afterwards.
    static func withEngine<T: Sendable>(
        _ backend: StoreBackend, posts: Int, _ body: @Sendable (SimulatorWorld, Configuration, String) async throws -> T
    ) async throws -> T {
        let simConfig = simulator(posts: posts)
        return try await SimulatorHarness.with(simConfig) { world, url in
            let config = try backend.configure(SimulatorHarness.configuration(baseURL: url, simulator: simConfig))
            return try await withTemporaryDirectory { directory in try await body(world, config, directory) }
        }
    }

    /// Builds a daemon on a fresh (removed afterwards) or given state directory, runs `body`, closes it.
    static func withDaemon<T: Sendable>(
        _ configuration: Configuration, directory: String? = nil, _ body: @Sendable (Daemon) async throws -> T
    ) async throws -> T {
        guard let directory else {
            return try await withTemporaryDirectory { try await withDaemon(configuration, directory: $0, body) }
        }
        let daemon = try await Daemon(
            configuration: configuration, stateDirectory: directory, seed: 1, fsync: .never, logger: testLogger())
        do {
            let result = try await body(daemon)
            try await expectSyncLogCopiesAgree(daemon)
            await daemon.close()
            return result
        } catch {
            await daemon.close()
            throw error
        }
    }

    /// With PostgreSQL, `sync_log` must hold exactly the entries of the JSON-lines files, with the
    /// same `seq` and `id` (CONTRACT section 9).
    static func expectSyncLogCopiesAgree(_ daemon: Daemon) async throws {
        guard let table = daemon.store.syncLogTable else { return }
        let file = try SyncLogReader(directory: daemon.stateDirectory).readAll().entries
        let rows = try await table.entries(after: 0, limit: 1_000_000)
        #expect(rows.map(\.seq) == file.map(\.seq), "sync_log and synclog.jsonl hold the same seqs")
        #expect(rows.map { $0.jsonLine() } == file.map { $0.jsonLine() }, "sync_log rows equal the JSON lines")
    }

    /// Should backfill every post across pages on the first sync, stop at the lookback window
    /// after that, store nothing twice, and write a metrics row only when a metric changes.
    @Test(arguments: StoreBackend.all) func paginationIdempotenceAndMetricHistory(backend: StoreBackend) async throws {
        try await Self.withEngine(backend, posts: 130) { world, config, directory in
            try await Self.withDaemon(config, directory: directory) { daemon in
                let ids = try await SimulatorHarness.importAccounts(from: world, into: daemon.store)
                #expect(ids.count == 4)
                let first = try await daemon.supervisor.syncOnce()
                #expect(first.total == 4 && first.synced == 4 && first.failed == 0, "\(first.errors)")
                let counts = try await daemon.store.postCounts()
                for id in ids { #expect(counts[id.description] == 130, "\(id) backfilled") }
                // 130 posts: two /media pages of 100 per Instagram account, seven list pages of 20 per TikTok one.
                #expect(await world.requestCount(endpoint: "instagram.media") == 4)
                #expect(await world.requestCount(endpoint: "tiktok.video.list") == 14)

                await world.clearRequestLog()
                let second = try await daemon.supervisor.syncOnce()
                #expect(second.synced == 4)
                let entries = try SyncLogReader(directory: daemon.stateDirectory).readAll().entries
                #expect(entries.count == 8)
                for entry in entries.suffix(4) {
                    #expect(entry.postsSynced == 0, "a repeat sync changes nothing: \(entry.accountId)")
                    #expect(entry.status == .success)
                }
                // The lookback window (30 days of 90) ends the paging long before the 130 posts end.
                let mediaPages = await world.requestCount(endpoint: "instagram.media")
                let listPages = await world.requestCount(endpoint: "tiktok.video.list")
                #expect(mediaPages >= 2 && mediaPages <= 4, "\(mediaPages) pages of 25")
                #expect(listPages >= 2 && listPages <= 6, "\(listPages) pages of 20")
                #expect(try await daemon.store.postCounts().values.allSatisfy { $0 == 130 })

                // One like on one TikTok post: one changed row, one more metrics row.
                let tiktok = ids.first { $0.platform == .tiktok }!
                let newest = await world.posts(platform: "tiktok", externalId: tiktok.externalID)[0]
                await world.setMetrics(
                    platform: "tiktok", postId: newest.id, likes: newest.likes + 5, comments: nil, views: nil, shares: nil)
                _ = try await daemon.supervisor.syncOnce()
                let last = try SyncLogReader(directory: daemon.stateDirectory).readAll().entries.suffix(4)
                #expect(last.first { $0.accountId == tiktok.description }?.postsSynced == 1)
                #expect(last.filter { $0.accountId != tiktok.description }.allSatisfy { $0.postsSynced == 0 })
                let history = try await daemon.store.metricHistory(platform: .tiktok, postID: newest.id)
                #expect(history.count == 2)
                #expect(history.last?.likeCount == Int64(newest.likes + 5))
                let stored = try await daemon.store.posts(account: tiktok, since: nil, limit: 1)[0]
                #expect(stored.postId == newest.id && stored.likeCount == Int64(newest.likes + 5))
                #expect(stored.saveCount == nil && stored.reach == nil, "TikTok gives no saves or reach: NULL, never 0")
            }
        }
    }

    /// Should commit a rotated TikTok refresh token before using it, and refresh again with it
    /// after a restart (the simulator rejects a stale one, as TikTok does).
    @Test(arguments: StoreBackend.all) func tiktokRotationSurvivesRestart(backend: StoreBackend) async throws {
        try await Self.withEngine(backend, posts: 5) { world, config, directory in
            let tiktok = await world.accounts().first { $0.platform == "tiktok" }!
            let id = AccountID(platform: .tiktok, externalID: tiktok.externalId)
            let original = tiktok.refreshToken
            try await Self.withDaemon(config, directory: directory) { daemon in
                try await SimulatorHarness.importAccounts(from: world, into: daemon.store)
                // Due for refresh: expires within tiktok.refresh_before (10 min).
                try await daemon.store.saveTokens(
                    id,
                    TokenUpdate(
                        accessToken: tiktok.accessToken, refreshToken: nil, expiresAt: Date().addingTimeInterval(60),
                        refreshExpiresAt: nil, refreshedAt: Date()))
                _ = try await daemon.supervisor.syncOnce()
                let entry = try SyncLogReader(directory: directory).readAll().entries.first { $0.accountId == id.description }
                #expect(entry?.tokenRefreshed == true && entry?.status == .success, "\(entry?.errorMessage ?? "")")
                let stored = try await daemon.store.account(id)
                let current = await world.account(platform: "tiktok", externalId: tiktok.externalId)
                #expect(stored?.refreshToken == current?.refreshToken)
                #expect(stored?.refreshToken != original)
                #expect(stored?.accessToken == current?.accessToken)
            }
            // A new daemon on the same state refreshes again with the stored (rotated) token.
            try await Self.withDaemon(config, directory: directory) { daemon in
                try await daemon.store.saveTokens(
                    id,
                    TokenUpdate(
                        accessToken: try await daemon.store.account(id)!.accessToken, refreshToken: nil,
                        expiresAt: Date().addingTimeInterval(60), refreshExpiresAt: nil, refreshedAt: Date()))
                _ = try await daemon.supervisor.syncOnce()
                let entries = try SyncLogReader(directory: directory).readAll().entries.filter { $0.accountId == id.description }
                #expect(entries.count == 2)
                #expect(
                    entries.last?.tokenRefreshed == true && entries.last?.status == .success,
                    "\(entries.last?.errorMessage ?? "")")
                #expect(try await daemon.store.account(id)?.state != .needsReauth)
            }
        }
    }

    /// Should send Instagram's token as `Authorization: Bearer` on media and insights calls (never
    /// in a URL, where proxies and access logs keep it), and keep it out of every SyncLog entry,
    /// also when a call fails.
    @Test(arguments: StoreBackend.all) func instagramTokensStayOutOfURLs(backend: StoreBackend) async throws {
        try await Self.withEngine(backend, posts: 30) { world, config, directory in
            try await Self.withDaemon(config, directory: directory) { daemon in
                let ids = try await SimulatorHarness.importAccounts(from: world, into: daemon.store)
                let revoked = ids.first { $0.platform == .instagram }!
                await world.revokeToken(platform: "instagram", externalId: revoked.externalID)
                _ = try await daemon.supervisor.syncOnce()
                let graph = await world.requestLog().filter { ["instagram.media", "instagram.insights"].contains($0.endpoint) }
                #expect(graph.contains { $0.endpoint == "instagram.insights" }, "insights were read")
                #expect(graph.count > 2 && graph.allSatisfy { !$0.tokenInQuery }, "no token in a Graph URL")
                let tokens = await world.accounts().map(\.accessToken)
                let log = try String(contentsOfFile: directory + "/synclog.jsonl", encoding: .utf8)
                #expect(log.contains("190"), "the revoked account's error is logged")
                for token in tokens { #expect(!log.contains(token)) }
            }
        }
    }

    /// Should put a revoked account in needs_reauth while the others sync, and make no more calls for it.
    @Test(arguments: StoreBackend.all) func deadAuthIsolated(backend: StoreBackend) async throws {
        try await Self.withEngine(backend, posts: 5) { world, config, directory in
            try await Self.withDaemon(config, directory: directory) { daemon in
                let ids = try await SimulatorHarness.importAccounts(from: world, into: daemon.store)
                let victim = ids.first { $0.platform == .instagram }!
                await world.revokeToken(platform: "instagram", externalId: victim.externalID)
                let summary = try await daemon.supervisor.syncOnce()
                #expect(summary.synced == 3 && summary.failed == 1)
                #expect(summary.errors.first?.accountId == victim.description)
                #expect(summary.errors.first?.message.contains("190") == true)
                #expect(try await daemon.store.account(victim)?.state == .needsReauth)
                await world.clearRequestLog()
                let again = try await daemon.supervisor.syncOnce()
                #expect(again.total == 3, "needs_reauth accounts are not active")
                let calls = await world.requestLog().filter { $0.accountId == victim.description }
                #expect(calls.isEmpty)
            }
        }
    }

    /// Should run the live supervisor against the simulator and pick up a new post on a manual trigger.
    @Test(arguments: StoreBackend.all) func liveSupervisorPicksUpNewPost(backend: StoreBackend) async throws {
        try await Self.withEngine(backend, posts: 3) { world, config, directory in
            try await Self.withDaemon(config, directory: directory) { daemon in
                let ids = try await SimulatorHarness.importAccounts(from: world, into: daemon.store)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await daemon.runEngine() }
                    try await eventually("first syncs") {
                        try SyncLogReader(directory: daemon.stateDirectory).readAll().entries.count == 4
                    }
                    let account = ids[0]
                    let post = await world.publishPost(platform: account.platform.rawValue, externalId: account.externalID)
                    let entry = try await daemon.supervisor.trigger(account, .manual, wait: true)
                    #expect(entry?.trigger == .manual && entry?.postsSynced ?? 0 >= 1)
                    #expect(try await daemon.store.posts(account: account, since: nil, limit: 1).first?.postId == post?.id)
                    daemon.supervisor.beginShutdown()
                    try await group.waitForAll()
                }
            }
        }
    }

    /// Should repair a torn last SyncLog line at start-up and continue the seq after it.
    @Test(arguments: StoreBackend.all) func tornSyncLogLineRepaired(backend: StoreBackend) async throws {
        try await Self.withEngine(backend, posts: 2) { world, config, directory in
            try await Self.withDaemon(config, directory: directory) { daemon in
                try await SimulatorHarness.importAccounts(from: world, into: daemon.store)
                _ = try await daemon.supervisor.syncOnce()
            }
            let path = directory + "/synclog.jsonl"
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            handle.write(Data(#"{"seq":5,"id":"torn","accountId":"instag"#.utf8))
            try handle.close()
            try await Self.withDaemon(config, directory: directory) { daemon in
                let text = try String(contentsOfFile: path, encoding: .utf8)
                #expect(text.hasSuffix("\n") && !text.contains("torn"))
                _ = try await daemon.supervisor.syncOnce()
            }
            let (entries, skipped) = try SyncLogReader(directory: directory).readAll()
            #expect(skipped == 0)
            #expect(entries.map(\.seq) == Array(1...8))
        }
    }

    /// Should answer `GET /v1/logs` from the store's SyncLog (`sync_log` with PostgreSQL) and, with
    /// `follow`, deliver an entry within 1 s of its run, then end when the SyncLog closes.
    @Test(arguments: StoreBackend.all) func logsFollowDeliversWithinASecond(backend: StoreBackend) async throws {
        try await Self.withEngine(backend, posts: 3) { world, config, directory in
            try await Self.withDaemon(config, directory: directory) { daemon in
                let ids = try await SimulatorHarness.importAccounts(from: world, into: daemon.store)
                _ = try await daemon.supervisor.syncOnce()
                let api = ControlAPI(
                    supervisor: daemon.supervisor, store: daemon.store, syncLog: daemon.syncLog, clock: SystemClock(),
                    startedAt: Date(), logger: testLogger())
                let app = Application(router: api.router(), logger: testLogger())
                let account = ids[0].description
                try await app.test(.live) { client in
                    let port = try #require(client.port)
                    let request = HTTPClientRequest(url: "http://localhost:\(port)/v1/logs?follow=true&account=\(account)")
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                    #expect(response.status.code == 200)
                    var lines: [SyncLogEntry] = []
                    var pending = ""
                    var written: ContinuousClock.Instant?
                    for try await chunk in response.body {
                        pending += String(buffer: chunk)
                        while let newline = pending.firstIndex(of: "\n") {
                            lines.append(try JSONCoding.decoder().decode(SyncLogEntry.self, from: Data(pending[..<newline].utf8)))
                            pending.removeSubrange(...newline)
                        }
                        if lines.count == 1, written == nil {
                            // The backlog (this account's first run) arrived: sync again while following.
                            _ = try await daemon.supervisor.syncOnce()
                            written = .now
                        } else if lines.count == 2 {
                            #expect(ContinuousClock.now - written! < .seconds(1), "a new entry within 1 s")
                            await daemon.syncLog.close()
                        }
                    }
                    #expect(lines.allSatisfy { $0.accountId == account })
                    #expect(lines.map(\.seq) == lines.map(\.seq).sorted())
                }
            }
        }
    }

    /// Should ask each kind of media only for the insights it supports: after Meta's code 100 for
    /// `shares` on IMAGE posts, the metrics are asked one by one, shares stay NULL there without
    /// making the run partial, and the finding is remembered across a restart.
    @Test(arguments: StoreBackend.all) func insightsPerMediaType(backend: StoreBackend) async throws {
        let simConfig = {
            var simConfig = Self.simulator(posts: 40)
            simConfig.instagramUnsupportedInsights = ["IMAGE": ["shares"]]
            return simConfig
        }()
        try await SimulatorHarness.with(simConfig) { world, url in
            let config = try backend.configure(SimulatorHarness.configuration(baseURL: url, simulator: simConfig))
            try await withTemporaryDirectory { directory in
                let instagram = await world.accounts().filter { $0.platform == "instagram" }
                var posts: [SimulatedPost] = []
                for account in instagram {
                    posts += await world.posts(platform: "instagram", externalId: account.externalId)
                }
                let horizon = Date().addingTimeInterval(-config.instagram.insightsLookback.seconds + 60)
                let recent = posts.filter { $0.publishedAt >= horizon }
                let images = recent.filter { $0.mediaType == "IMAGE" }
                try #require(!images.isEmpty && images.count < recent.count, "the fixture has recent IMAGE and other posts")
                try await Self.withDaemon(config, directory: directory) { daemon in
                    try await SimulatorHarness.importAccounts(from: world, into: daemon.store)
                    let summary = try await daemon.supervisor.syncOnce()
                    #expect(summary.failed == 0)
                    let entries = try SyncLogReader(directory: directory).readAll().entries
                    #expect(entries.allSatisfy { $0.status == .success }, "\(entries.map(\.errorMessage))")
                    // One request per post, plus one per metric for an IMAGE post asked before its kind
                    // was known (the memory is daemon-wide, so later IMAGE posts skip the retry).
                    let insightCalls = await world.requestCount(endpoint: "instagram.insights")
                    #expect(insightCalls > recent.count && insightCalls <= recent.count + images.count * 4)
                    let stored = try await daemon.store.posts(account: nil, since: nil, limit: 10_000)
                    for post in images {
                        let row = stored.first { $0.postId == post.id }
                        #expect(row?.shareCount == nil && row?.viewCount == Int64(post.views), "\(post.id)")
                    }
                    for post in recent where post.mediaType != "IMAGE" {
                        #expect(stored.first { $0.postId == post.id }?.shareCount == Int64(post.shares))
                    }
                    let remembered = try await daemon.store.unsupportedInsights()
                    // Instagram Login does not tell the product type; Facebook Login does (IMAGE/FEED).
                    #expect(
                        !remembered.isEmpty && remembered.keys.allSatisfy { $0.mediaType == "IMAGE" && $0.metric == "shares" })
                }
                await world.clearRequestLog()
                try await Self.withDaemon(config, directory: directory) { daemon in
                    _ = try await daemon.supervisor.syncOnce()
                    #expect(
                        await world.requestCount(endpoint: "instagram.insights") == recent.count,
                        "after a restart, IMAGE posts are not asked for shares again")
                }
            }
        }
    }
}
