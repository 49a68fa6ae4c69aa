import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import PostSyncTestSupport
import Testing

@testable import PostSync

extension ControlRouterTests {
    /// Writes six entries: instagram:1 success, tiktok:a error, instagram:1 partial,
    /// instagram:2 success, tiktok:a success, instagram:1 error (seq 1…6).
    static func writeSixEntries(_ writer: SyncLogWriter, at now: Date) async throws {
        let rows: [(String, SyncStatus)] = [
            ("instagram:1", .success), ("tiktok:a", .error), ("instagram:1", .partial), ("instagram:2", .success),
            ("tiktok:a", .success), ("instagram:1", .error),
        ]
        for (account, status) in rows {
            _ = try await writer.append(Self.entry(account, status, at: now))
        }
    }

    /// One SyncLog entry of `account`.
    static func entry(_ account: String, _ status: SyncStatus, at now: Date) -> SyncLogEntry {
        SyncLogEntry(
            accountId: account, platform: AccountID(account)!.platform, trigger: .schedule, postsFound: 1, postsSynced: 1,
            status: status, errorMessage: status == .error ? "failed" : nil, duration: 5, createdAt: now, startedAt: now,
            apiCalls: 1, tokenRefreshed: false, attempt: 1)
    }

    /// Should answer NDJSON, one entry a line, filtered by account (raw or encoded), platform,
    /// status and `afterSeq`, the last `limit` of them; and 400 naming a bad parameter.
    @Test func logsRoute() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try SyncLogWriter(directory: directory, maxBytes: 1 << 20, keep: 2, fsync: .never)
        try await Self.writeSixEntries(writer, at: Date(timeIntervalSince1970: 1_795_000_000))
        try await Self.withRouter(syncLog: writer) { f in
            func seqs(_ query: String) async throws -> [Int64] {
                let answer = try await f.client.send(.get, "/v1/logs" + query)
                #expect(answer.status == .ok, "\(query): \(answer.text)")
                #expect(answer.contentType == "application/x-ndjson")
                return try answer.lines.map { try JSONCoding.decoder().decode(SyncLogEntry.self, from: Data($0.utf8)).seq }
            }
            #expect(try await seqs("") == [1, 2, 3, 4, 5, 6])
            #expect(try await seqs("?account=instagram%3A1") == [1, 3, 6])
            #expect(try await seqs("?account=instagram:1&limit=2") == [3, 6])
            #expect(try await seqs("?platform=tiktok") == [2, 5])
            #expect(try await seqs("?status=error") == [2, 6])
            #expect(try await seqs("?afterSeq=4") == [5, 6])
            #expect(try await seqs("?platform=instagram&status=success") == [1, 4])
            #expect(try await seqs("?account=tiktok:nobody") == [])
            let bad: [(String, String)] = [
                ("status=bogus", "status"), ("platform=myspace", "platform"), ("afterSeq=-1", "afterSeq"),
                ("afterSeq=x", "afterSeq"),
                ("limit=0", "limit"), ("follow=maybe", "follow"), ("account=nonsense", "account id"),
            ]
            for (query, name) in bad {
                expectError(try await f.client.send(.get, "/v1/logs?" + query), .badRequest, "invalid_request", naming: name)
            }
        }
        await writer.close()
    }

    /// Should keep a `follow=true` answer open over a real connection: the matching backlog at
    /// once, then each matching new entry as it is written, each once, until the log closes.
    @Test func logsFollowStreamsNewEntries() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try SyncLogWriter(directory: directory, maxBytes: 1 << 20, keep: 2, fsync: .never)
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        try await Self.writeSixEntries(writer, at: now)
        let clock = ManualClock()
        let harness = try SupervisorHarness(clients: [.instagram: FakePlatformClient()], clock: clock)
        try await harness.run { h in
            let api = ControlAPI(
                supervisor: h.supervisor, store: h.store, syncLog: writer, clock: clock, startedAt: clock.now,
                logger: testLogger())
            let app = Application(router: api.router(), logger: testLogger())
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let request = HTTPClientRequest(url: "http://localhost:\(port)/v1/logs?follow=true&account=instagram:1&limit=2")
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                #expect(response.status.code == 200)
                #expect(response.headers.first(name: "content-type") == "application/x-ndjson")
                var lines: [SyncLogEntry] = []
                var pending = ""
                var wroteMore = false
                for try await chunk in response.body {
                    pending += String(buffer: chunk)
                    while let newline = pending.firstIndex(of: "\n") {
                        lines.append(try JSONCoding.decoder().decode(SyncLogEntry.self, from: Data(pending[..<newline].utf8)))
                        pending.removeSubrange(...newline)
                    }
                    // The backlog arrived, so the answer is subscribed: write while it is open.
                    if lines.count >= 2, !wroteMore {
                        wroteMore = true
                        for (account, status) in [
                            ("instagram:1", SyncStatus.success), ("tiktok:a", .error), ("instagram:1", .partial),
                        ] {
                            _ = try await writer.append(Self.entry(account, status, at: now))
                        }
                        await writer.close()
                    }
                }
                #expect(pending.isEmpty)
                #expect(lines.map(\.seq) == [3, 6, 7, 9], "the last 2 of the backlog, then every new match once")
                #expect(lines.allSatisfy { $0.accountId == "instagram:1" })
            }
        }
    }
}
