import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostSyncTestSupport
import Testing

@testable import PostSync

/// The control API's routes in process (`app.test(.router)`, no socket): every route's answer
/// and error codes, over a running supervisor with a fake platform and a manual clock.
@Suite struct ControlRouterTests {
    /// The router's client and the daemon parts behind it.
    struct Fixture: Sendable {
        let client: any TestClientProtocol
        let harness: SupervisorHarness
        let clock: ManualClock
        let platform: FakePlatformClient

        /// Adds an Instagram account through the API; with autoSync, waits for its first run.
        func addInstagram(_ external: String, autoSync: Bool = true) async throws -> AccountID {
            let body =
                #"{"platform":"instagram","externalId":"\#(external)","accessToken":"token-\#(external)","autoSync":\#(autoSync)}"#
            let answer = try await client.send(.post, "/v1/accounts", body: body)
            #expect(answer.status == .created, "\(answer.text)")
            let id = AccountID(platform: .instagram, externalID: external)
            if autoSync { try await eventually("the first run of \(id)") { try harness.entries(id).count == 1 } }
            return id
        }
    }

    /// Five posts, an hour apart, the newest an hour before `now`.
    static func posts(before now: Date) -> [FetchedPost] {
        (1...5).map { samplePost("p\($0)", publishedAt: now.addingTimeInterval(-3_600 * Double($0))) }
    }

    /// Runs `body` against the control router of a running supervisor (its SyncLog, or `syncLog`).
    static func withRouter(
        syncLog: SyncLogWriter? = nil, _ body: @escaping @Sendable (Fixture) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        let platform = FakePlatformClient()
        platform.setDefault(.posts(posts(before: clock.now)))
        let harness = try SupervisorHarness(clients: [.instagram: platform, .tiktok: platform], clock: clock)
        try await harness.run { h in
            let api = ControlAPI(
                supervisor: h.supervisor, store: h.store, syncLog: syncLog ?? h.syncLog, clock: clock, startedAt: clock.now,
                logger: testLogger())
            let app = Application(router: api.router(), logger: testLogger())
            try await app.test(.router) { client in
                try await body(Fixture(client: client, harness: h, clock: clock, platform: platform))
            }
        }
    }

    // MARK: Status and routing

    /// Should answer `GET /v1/status` with the version, the injected start time and the accounts;
    /// 405 `method_not_allowed` for a known path with another method, 404 `not_found` otherwise.
    @Test func statusAndUnknownRoutes() async throws {
        try await Self.withRouter { f in
            let answer = try await f.client.send(.get, "/v1/status")
            #expect(answer.status == .ok)
            #expect(answer.contentType == "application/json")
            #expect(answer.text.hasSuffix("}\n"))
            let status = try answer.decode(DaemonStatus.self)
            #expect(status.version == PostSyncVersion.string)
            #expect(status.startedAt == f.clock.now)
            #expect(status.accounts.isEmpty)

            let wrongMethods: [(HTTPRequest.Method, String)] = [
                (.patch, "/v1/status"), (.post, "/v1/status"), (.delete, "/v1/accounts"), (.get, "/v1/sync"),
                (.post, "/v1/logs"), (.put, "/v1/posts"), (.get, "/v1/accounts/instagram:1/token"),
                (.get, "/v1/accounts/instagram%3A1/sync"), (.delete, "/v1/accounts/instagram:1/auto-sync"),
                (.post, "/v1/accounts/nonsense"),
            ]
            for (method, path) in wrongMethods {
                expectError(try await f.client.send(method, path), .methodNotAllowed, "method_not_allowed", naming: path)
            }
            for path in [
                "/v2/nothing", "/v1", "/", "/v1/statuses", "/v1/accounts/instagram:1/nothing",
                "/v1/accounts/instagram:1/sync/now",
            ] {
                expectError(try await f.client.send(.get, path), .notFound, "not_found", naming: path)
            }
        }
    }

    // MARK: Accounts

    /// Should refuse malformed, mistyped, unknown and missing fields with 400 `invalid_request`
    /// naming the field, change nothing then; add with 201 (created at the injected clock's time,
    /// no token in the answer), and answer 409 `account_exists` to the same id again.
    @Test func addAccountStrictBodies() async throws {
        try await Self.withRouter { f in
            let refused: [(String, String)] = [
                (#"{"platform":"instagram","externalId":"1","accessToken":"t","extra":true}"#, "extra"),
                (#"{"platform":"instagram","externalId":"1","accessToken":5}"#, "accessToken"),
                (#"{"platform":"instagram","externalId":"1","accessToken":"t","autoSync":"yes"}"#, "autoSync"),
                (#"{"platform":"instagram","externalId":"1","accessToken":"t","expiresAt":"tomorrow"}"#, "expiresAt"),
                (#"{"platform":"myspace","externalId":"1","accessToken":"t"}"#, "platform"),
                (#"{"platform":"tiktok","externalId":"x","accessToken":"t"}"#, "refreshToken"),
                (#"{"externalId":"1","accessToken":"t"}"#, "platform"),
                (#"{"platform":"instagram","accessToken":"t"}"#, "externalId"),
                (#"{"platform":"instagram","externalId":"1/2","accessToken":"t"}"#, "externalId"),
                ("", "accessToken"),
                ("{not json", "body"),
                ("[]", "body"),
            ]
            for (body, field) in refused {
                expectError(
                    try await f.client.send(.post, "/v1/accounts", body: body), .badRequest, "invalid_request", naming: field)
            }
            #expect(try await f.client.send(.get, "/v1/accounts").text == "[]\n", "nothing changed")

            let body =
                #"{"platform":"instagram","externalId":"17841400000000001","accessToken":"secret-token","username":"cafe"}"#
            let added = try await f.client.send(.post, "/v1/accounts", body: body)
            #expect(added.status == .created)
            #expect(added.contentType == "application/json")
            #expect(!added.text.contains("secret-token"), "no token in the answer")
            let view = try added.decode(AccountView.self)
            #expect(view.id == "instagram:17841400000000001" && view.username == "cafe" && view.autoSync)
            let id = AccountID(platform: .instagram, externalID: "17841400000000001")
            #expect(try await f.harness.store.account(id)?.createdAt == f.clock.now, "created at the injected clock's time")

            let again = try await f.client.send(.post, "/v1/accounts", body: body)
            expectError(again, .conflict, "account_exists", naming: id.description)
            #expect(try await f.client.send(.get, "/v1/accounts").decode([AccountView].self).map(\.id) == [id.description])
        }
    }

    /// Should take account ids with a raw `:` and with `%3A` on every account route, answer
    /// 404 `unknown_account` for an id nobody has and 400 `invalid_request` for a malformed one.
    @Test func accountRoutesTakeRawAndEncodedIDs() async throws {
        try await Self.withRouter { f in
            let id = try await f.addInstagram("17841400000000002", autoSync: false)
            for path in [
                "/v1/accounts/instagram:17841400000000002", "/v1/accounts/instagram%3A17841400000000002",
                "/v1/accounts/instagram%3a17841400000000002",
            ] {
                let answer = try await f.client.send(.get, path)
                #expect(answer.status == .ok, "\(path)")
                let view = try answer.decode(AccountView.self)
                #expect(view.id == id.description && view.state == .paused)
            }
            expectError(
                try await f.client.send(.get, "/v1/accounts/instagram:404"), .notFound, "unknown_account", naming: "instagram:404"
            )
            for bad in ["nonsense", "myspace:1", "tiktok:", "tiktok%3A"] {
                expectError(
                    try await f.client.send(.get, "/v1/accounts/\(bad)"), .badRequest, "invalid_request", naming: "account id")
            }
            let unknown = "/v1/accounts/tiktok%3Anobody"
            expectError(
                try await f.client.send(.put, unknown + "/auto-sync", body: #"{"enabled":true}"#), .notFound, "unknown_account")
            expectError(
                try await f.client.send(.put, unknown + "/token", body: #"{"accessToken":"t"}"#), .notFound, "unknown_account")
            expectError(try await f.client.send(.post, unknown + "/sync"), .notFound, "unknown_account")
            expectError(try await f.client.send(.delete, unknown), .notFound, "unknown_account")
            expectError(try await f.client.send(.post, "/v1/accounts/nonsense/sync"), .badRequest, "invalid_request")
        }
    }

    /// Should switch auto-sync with a strict `{"enabled":bool}` body and answer the account.
    @Test func autoSyncRoute() async throws {
        try await Self.withRouter { f in
            let id = try await f.addInstagram("17841400000000003", autoSync: false)
            let path = "/v1/accounts/instagram%3A17841400000000003/auto-sync"
            for (body, field) in [
                (#"{"enabled":"yes"}"#, "enabled"), ("{}", "enabled"), (#"{"enabled":true,"x":1}"#, "x"), ("nope", "body"),
            ] {
                expectError(try await f.client.send(.put, path, body: body), .badRequest, "invalid_request", naming: field)
            }
            let on = try await f.client.send(.put, path, body: #"{"enabled":true}"#)
            #expect(on.status == .ok)
            #expect(try on.decode(AccountView.self).autoSync)
            try await eventually("the run auto-sync on starts") { try f.harness.entries(id).count == 1 }
            let off = try await f.client.send(.put, path, body: #"{"enabled":false}"#)
            #expect(off.status == .ok)
            let view = try off.decode(AccountView.self)
            #expect(!view.autoSync && view.state == .paused)
        }
    }

    /// Should refuse a sync of an account whose token is dead with 409 `needs_reauth`, refuse
    /// token bodies that do not fit the account with 400 naming the field, and clear
    /// `needs_reauth` with a good token (never echoed).
    @Test func tokenRouteClearsNeedsReauth() async throws {
        try await Self.withRouter { f in
            f.platform.script(.failure(.deadAuth("Instagram error 190/463: expired")))
            let id = try await f.addInstagram("17841400000000004")
            let account = "/v1/accounts/instagram:17841400000000004"
            try await eventually("needs_reauth") {
                try await f.client.send(.get, account).decode(AccountView.self).state == .needsReauth
            }
            expectError(try await f.client.send(.post, account + "/sync"), .conflict, "needs_reauth", naming: id.description)
            expectError(try await f.client.send(.post, account + "/sync?wait=true"), .conflict, "needs_reauth")

            let refused: [(String, String)] = [
                (#"{"accessToken":"new","refreshToken":"nope"}"#, "refreshToken"),
                (#"{"accessToken":"new","platform":"tiktok"}"#, "platform"),
                (#"{"accessToken":"new","externalId":"999"}"#, "externalId"),
                (#"{"accessToken":"new","username":"x"}"#, "username"),
                (#"{"accessToken":"new token"}"#, "accessToken"),
                (#"{"accessToken":"new","expiresAt":5}"#, "expiresAt"),
                ("{}", "accessToken"),
            ]
            for (body, field) in refused {
                expectError(
                    try await f.client.send(.put, account + "/token", body: body), .badRequest, "invalid_request", naming: field)
            }
            let replaced = try await f.client.send(
                .put, account + "/token",
                body: #"{"accessToken":"fresh-token","platform":"instagram","externalId":"17841400000000004"}"#)
            #expect(replaced.status == .ok, "\(replaced.text)")
            #expect(!replaced.text.contains("fresh-token"))
            #expect(try replaced.decode(AccountView.self).state != .needsReauth)
            let synced = try await f.client.send(.post, account + "/sync?wait=true")
            #expect(synced.status == .ok, "\(synced.text)")
            #expect(f.platform.fetchTokens.last == "fresh-token")
        }
    }

    // MARK: Syncs

    /// Should queue a sync with 202 `{"queued":true}`, run one with `wait=true` and answer its
    /// SyncLog entry; and do the same for every active account on `POST /v1/sync`.
    @Test func syncRoutes() async throws {
        try await Self.withRouter { f in
            _ = try await f.addInstagram("17841400000000005")
            let path = "/v1/accounts/instagram%3A17841400000000005/sync"
            let waited = try await f.client.send(.post, path + "?wait=true")
            #expect(waited.status == .ok)
            let entry = try waited.decode(SyncLogEntry.self)
            #expect(entry.trigger == .manual && entry.status == .success && entry.accountId == "instagram:17841400000000005")
            expectError(try await f.client.send(.post, path + "?wait=maybe"), .badRequest, "invalid_request", naming: "wait")
            let queued = try await f.client.send(.post, path)
            #expect(queued.status == .accepted)
            #expect(queued.text == #"{"queued":true}"# + "\n")

            let all = try await f.client.send(.post, "/v1/sync?wait=true")
            #expect(all.status == .ok)
            let summary = try all.decode(SyncAllSummary.self)
            #expect(summary.total == 1 && summary.synced == 1 && summary.failed == 0 && summary.errors.isEmpty)
            let queuedAll = try await f.client.send(.post, "/v1/sync")
            #expect(queuedAll.status == .accepted)
            #expect(queuedAll.text == #"{"queued":true,"total":1}"# + "\n")
            expectError(try await f.client.send(.post, "/v1/sync?wait=2"), .badRequest, "invalid_request", naming: "wait")
        }
    }

    // MARK: Posts

    /// Should list stored posts newest first, filtered by account and time, at most `limit`, and
    /// refuse bad parameters with 400 naming them.
    @Test func postsRoute() async throws {
        try await Self.withRouter { f in
            _ = try await f.addInstagram("17841400000000006")
            let all = try await f.client.send(.get, "/v1/posts")
            #expect(all.status == .ok)
            let posts = try all.decode([PostView].self)
            #expect(posts.map(\.postId) == ["p1", "p2", "p3", "p4", "p5"], "newest first")
            let some = try await f.client.send(.get, "/v1/posts?account=instagram%3A17841400000000006&limit=3").decode(
                [PostView].self)
            #expect(some.map(\.postId) == ["p1", "p2", "p3"])
            let since = Timestamp.format(f.clock.now.addingTimeInterval(-2.5 * 3_600))
            #expect(
                try await f.client.send(.get, "/v1/posts?since=\(since)").decode([PostView].self).map(\.postId) == ["p1", "p2"])
            #expect(try await f.client.send(.get, "/v1/posts?account=tiktok:nobody").text == "[]\n")
            for (query, name) in [
                ("limit=0", "limit"), ("limit=10001", "limit"), ("limit=x", "limit"), ("since=yesterday", "since"),
                ("account=nonsense", "account id"),
            ] {
                expectError(try await f.client.send(.get, "/v1/posts?" + query), .badRequest, "invalid_request", naming: name)
            }
        }
    }

    // MARK: Removal

    /// Should remove an account with 204 (keeping its posts with `keepPosts=true`), answer 404
    /// afterwards, and refuse a bad flag with 400.
    @Test func removeAccountRoute() async throws {
        try await Self.withRouter { f in
            let kept = try await f.addInstagram("17841400000000007")
            let dropped = try await f.addInstagram("17841400000000008")
            let path = "/v1/accounts/instagram%3A17841400000000007"
            expectError(
                try await f.client.send(.delete, path + "?keepPosts=maybe"), .badRequest, "invalid_request", naming: "keepPosts")
            let removed = try await f.client.send(.delete, path + "?keepPosts=true")
            #expect(removed.status == .noContent)
            #expect(removed.body.readableBytes == 0)
            expectError(try await f.client.send(.get, path), .notFound, "unknown_account")
            expectError(try await f.client.send(.delete, path), .notFound, "unknown_account")
            #expect(try await f.client.send(.delete, "/v1/accounts/\(dropped)").status == .noContent)
            let counts = try await f.harness.store.postCounts()
            #expect(counts[kept.description] == 5, "keepPosts keeps the posts")
            #expect(counts[dropped.description] == nil, "without keepPosts the posts go")
            #expect(try await f.client.send(.get, "/v1/accounts").text == "[]\n")
        }
    }

    // MARK: Limits

    /// Should answer a body over 1 MiB with 413 `too_large` (and close the connection) on any
    /// route, known or not, and read a body of exactly 1 MiB.
    @Test func oversizedBodyIsTooLarge() async throws {
        try await Self.withRouter { f in
            let big = String(repeating: " ", count: 1 << 20) + "{}"
            for (method, path) in [
                (HTTPRequest.Method.post, "/v1/accounts"), (.put, "/v1/accounts/instagram:1/token"), (.post, "/v2/nothing"),
            ] {
                let answer = try await f.client.send(method, path, body: big)
                expectError(answer, .contentTooLarge, "too_large", naming: "1 MiB")
                #expect(answer.headers[.connection] == "close")
            }
            let limit = String(repeating: " ", count: (1 << 20) - 2) + "{}"
            expectError(
                try await f.client.send(.post, "/v1/accounts", body: limit), .badRequest, "invalid_request", naming: "accessToken"
            )
        }
    }
}
