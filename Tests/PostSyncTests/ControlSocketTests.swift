import Foundation
import PostSyncSimulator
import PostSyncTestSupport
import Testing

@testable import PostSync

/// The real daemon binary driven through the real control socket, by the CLI and by curl.
@Suite(.serialized) struct ControlSocketTests {
    static let sim = SimulatorConfiguration(seed: 11, instagramAccounts: 2, tiktokAccounts: 1, postsPerAccount: 8)

    /// Decodes JSON with the daemon's date format.
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONCoding.decoder().decode(T.self, from: Data(text.utf8))
    }

    /// Should add accounts with the CLI (tokens from stdin and files), sync them, show them, keep
    /// autoSync off across a restart, and never show a token anywhere.
    @Test func cliLifecycleAndPersistence() async throws {
        try await withDaemonProcess(simulator: Self.sim) { world, daemon in
            let accounts = await world.accounts()
            let ig = accounts.first { $0.platform == "instagram" }!
            let tt = accounts.first { $0.platform == "tiktok" }!
            let tokens = accounts.flatMap { [$0.accessToken, $0.refreshToken ?? $0.accessToken] }
            var transcript = ""

            let add = try await daemon.cli(
                [
                    "accounts", "add", "instagram", "--user-id", ig.externalId, "--access-token-file", "-", "--username",
                    ig.username,
                ],
                stdin: ig.accessToken + "\n")
            #expect(add.status == 0, "\(add.stderr)")
            transcript += add.stdout + add.stderr
            let refreshFile = daemon.stateDirectory + ".refresh"
            try (tt.refreshToken! + "\n").write(toFile: refreshFile, atomically: true, encoding: .utf8)
            let addTikTok = try await daemon.cli(
                [
                    "accounts", "add", "tiktok", "--open-id", tt.externalId, "--access-token-file", "-",
                    "--refresh-token-file", refreshFile, "--expires-at", Timestamp.format(tt.expiresAt),
                ],
                stdin: tt.accessToken)
            #expect(addTikTok.status == 0, "\(addTikTok.stderr)")
            let again = try await daemon.cli(
                ["accounts", "add", "instagram", "--user-id", ig.externalId, "--access-token-file", "-"], stdin: "x")
            #expect(again.status == 1)
            #expect(again.stderr.contains("account_exists"))
            transcript += again.stdout + again.stderr

            let igID = "instagram:\(ig.externalId)"
            let sync = try await daemon.cli(["sync", igID, "--wait", "--json"])
            #expect(sync.status == 0, "\(sync.stderr)")
            let entry = try Self.decode(SyncLogEntry.self, sync.stdout)
            #expect(entry.trigger == .manual && entry.status == .success)
            transcript += sync.stdout

            let status = try await daemon.cli(["status"])
            #expect(status.status == 0)
            #expect(status.stdout.contains(igID) && status.stdout.contains("tiktok:\(tt.externalId)"))
            transcript += status.stdout
            let statusJSON = try await daemon.cli(["status", "--json"])
            transcript += statusJSON.stdout

            let off = try await daemon.cli(["autosync", "off", igID])
            #expect(off.status == 0)
            #expect(off.stdout.contains("auto-sync off"))
            let logs = try await daemon.cli(["logs", "--json"])
            transcript += logs.stdout
            let posts = try await daemon.cli(["posts", "--json", "--limit", "5"])
            #expect(try Self.decode([PostView].self, posts.stdout).count == 5)
            transcript += posts.stdout

            let stopped = try await daemon.stop()
            #expect(stopped.status == 0, "graceful stop exits 0")
            #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "socket removed at exit")
            transcript += stopped.stdout + stopped.stderr

            // Restart on the same state: autoSync stays off.
            try await withDaemonProcess(simulatorURL: daemon.simulatorURL, stateDirectory: daemon.stateDirectory) { restarted in
                let list = try await restarted.cli(["accounts", "list", "--json"])
                let views = try Self.decode([AccountView].self, list.stdout)
                #expect(views.first { $0.id == igID }?.autoSync == false)
                #expect(views.first { $0.id == igID }?.state == .paused)
                transcript += list.stdout
                let end = try await restarted.stop()
                transcript += end.stdout + end.stderr
            }
            transcript += try String(contentsOfFile: daemon.stateDirectory + "/synclog.jsonl", encoding: .utf8)

            for token in tokens { #expect(!transcript.contains(token), "a token leaked into output") }
        }
    }

    /// Should answer every route over the socket with the contract's statuses and error codes.
    @Test func everyRouteWithCurl() async throws {
        try await withDaemonProcess(simulator: Self.sim) { world, daemon in
            let ig = await world.accounts().first { $0.platform == "instagram" }!
            let id = "instagram:\(ig.externalId)"
            let encoded = "instagram%3A\(ig.externalId)"

            var r = try await daemon.curl("GET", "/v1/status")
            #expect(r.status == 200 && r.body.contains("\"version\""))
            r = try await daemon.curl(
                "POST", "/v1/accounts", body: #"{"platform":"instagram","externalId":"1","accessToken":"t","extra":true}"#)
            #expect(r.status == 400 && r.body.contains("invalid_request") && r.body.contains("extra"))
            r = try await daemon.curl("POST", "/v1/accounts", body: #"{"platform":"instagram","externalId":"1","accessToken":5}"#)
            #expect(r.status == 400 && r.body.contains("accessToken"))
            r = try await daemon.curl("POST", "/v1/accounts", body: "{not json")
            #expect(r.status == 400)
            r = try await daemon.curl("POST", "/v1/accounts", body: #"{"platform":"tiktok","externalId":"x","accessToken":"t"}"#)
            #expect(r.status == 400 && r.body.contains("refreshToken"))
            #expect(
                try await daemon.curl("GET", "/v1/accounts").body.trimmingCharacters(in: .whitespacesAndNewlines) == "[]",
                "nothing changed")

            r = try await daemon.curl(
                "POST", "/v1/accounts",
                body:
                    #"{"platform":"instagram","externalId":"\#(ig.externalId)","accessToken":"\#(ig.accessToken)","autoSync":false}"#
            )
            #expect(r.status == 201)
            #expect(!r.body.contains(ig.accessToken))
            r = try await daemon.curl(
                "POST", "/v1/accounts", body: #"{"platform":"instagram","externalId":"\#(ig.externalId)","accessToken":"x"}"#)
            #expect(r.status == 409 && r.body.contains("account_exists"))
            r = try await daemon.curl("GET", "/v1/accounts/\(id)")
            #expect(r.status == 200)
            #expect(try Self.decode(AccountView.self, r.body).state == .paused)
            r = try await daemon.curl("GET", "/v1/accounts/\(encoded)")
            #expect(r.status == 200)
            r = try await daemon.curl("GET", "/v1/accounts/instagram:404")
            #expect(r.status == 404 && r.body.contains("unknown_account"))
            r = try await daemon.curl("GET", "/v1/accounts/nonsense")
            #expect(r.status == 400)
            r = try await daemon.curl("PUT", "/v1/accounts/\(encoded)/auto-sync", body: #"{"enabled":"yes"}"#)
            #expect(r.status == 400 && r.body.contains("enabled"))
            r = try await daemon.curl("PUT", "/v1/accounts/\(encoded)/auto-sync", body: #"{"enabled":true}"#)
            #expect(r.status == 200)
            #expect(try Self.decode(AccountView.self, r.body).autoSync)
            r = try await daemon.curl("POST", "/v1/accounts/\(encoded)/sync?wait=true")
            #expect(r.status == 200)
            #expect(try Self.decode(SyncLogEntry.self, r.body).trigger == .manual)
            r = try await daemon.curl("POST", "/v1/accounts/\(encoded)/sync")
            #expect(r.status == 202 && r.body.contains("\"queued\":true"))
            r = try await daemon.curl("POST", "/v1/sync?wait=true")
            let summary = try Self.decode(SyncAllSummary.self, r.body)
            #expect(r.status == 200 && summary.total == 1 && summary.synced == 1 && summary.failed == 0)
            r = try await daemon.curl(
                "PUT", "/v1/accounts/\(encoded)/token", body: #"{"accessToken":"\#(ig.accessToken)","refreshToken":"nope"}"#)
            #expect(r.status == 400)
            r = try await daemon.curl("PUT", "/v1/accounts/\(encoded)/token", body: #"{"accessToken":"\#(ig.accessToken)"}"#)
            #expect(r.status == 200 && !r.body.contains(ig.accessToken))
            r = try await daemon.curl("GET", "/v1/posts?account=\(encoded)&limit=3")
            #expect(r.status == 200)
            #expect(try Self.decode([PostView].self, r.body).count == 3)
            r = try await daemon.curl("GET", "/v1/posts?limit=0")
            #expect(r.status == 400)
            r = try await daemon.curl("GET", "/v1/logs?account=\(encoded)&limit=1")
            #expect(r.status == 200 && r.body.split(separator: "\n").count == 1)
            r = try await daemon.curl("GET", "/v1/logs?status=bogus")
            #expect(r.status == 400)
            r = try await daemon.curl("PATCH", "/v1/status")
            #expect(r.status == 405)
            r = try await daemon.curl("GET", "/v2/nothing")
            #expect(r.status == 404)
            r = try await daemon.curl("DELETE", "/v1/accounts/\(encoded)?keepPosts=true")
            #expect(r.status == 204)
            r = try await daemon.curl("DELETE", "/v1/accounts/\(encoded)")
            #expect(r.status == 404)
            let kept = try await SQLiteStore(path: daemon.stateDirectory + "/postsync.sqlite").postCounts()[id]
            #expect(kept == 8, "keepPosts keeps the posts")
        }
    }

    /// Should exit 3 naming the socket when no daemon runs, and read the SyncLog files directly for `logs`.
    @Test func daemonDown() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let status = try await ProcessRunner.run(ProcessRunner.postsync, ["status", "--state-dir", directory])
        #expect(status.status == 3)
        #expect(status.stderr.contains(directory + "/control.sock"))
        let writer = try SyncLogWriter(directory: directory, maxBytes: 1 << 20, keep: 2)
        for n in 0..<3 {
            _ = try await writer.append(
                SyncLogEntry(
                    accountId: "tiktok:x\(n)", platform: .tiktok, trigger: .schedule, postsFound: n, postsSynced: n,
                    status: .success,
                    errorMessage: nil, duration: 5, createdAt: Date(), startedAt: Date(), apiCalls: 1, tokenRefreshed: false,
                    attempt: 1))
        }
        await writer.close()
        let logs = try await ProcessRunner.run(ProcessRunner.postsync, ["logs", "--json", "-n", "2", "--state-dir", directory])
        #expect(logs.status == 0)
        let seqs = try logs.stdout.split(separator: "\n").map { try Self.decode(SyncLogEntry.self, String($0)).seq }
        #expect(seqs == [2, 3])
        let filtered = try await ProcessRunner.run(
            ProcessRunner.postsync, ["logs", "--json", "--account", "tiktok:x0", "--state-dir", directory])
        #expect(filtered.stdout.split(separator: "\n").count == 1)
    }

    /// Should deliver every entry exactly once to `logs -f` across forced rotations.
    @Test func followAcrossRotation() async throws {
        try await withDaemonProcess(simulator: Self.sim, extraYAML: "synclog: { max_bytes: 2KiB, keep: 50 }") { world, daemon in
            for account in await world.accounts() {
                let r = try await daemon.curl(
                    "POST", "/v1/accounts",
                    body: try String(
                        data: JSONCoding.encoder().encode(account.newAccount), encoding: .utf8)!)
                #expect(r.status == 201)
            }
            let follower = try daemon.scope.start(
                ProcessRunner.postsync, ["logs", "-f", "--json", "--state-dir", daemon.stateDirectory])
            for _ in 0..<12 {
                let r = try await daemon.curl("POST", "/v1/sync?wait=true")
                #expect(r.status == 200)
            }
            let files = SyncLogReader(directory: daemon.stateDirectory).files()
            #expect(files.count > 3, "the log rotated")
            let written = try SyncLogReader(directory: daemon.stateDirectory).readAll().entries.map(\.seq)
            #expect(written == Array(1...Int64(written.count)))
            // Caught up when the follower printed the last entry written. (Counting its lines was
            // wrong: when more than 10 entries were written before `logs -f` connected, it starts
            // with the last 10 only, and the count it waited for never came.)
            let newest = try #require(written.last)
            try await eventually("follower caught up") {
                let last = follower.output().stdout.split(separator: "\n").last.map(String.init) ?? ""
                return (try? Self.decode(SyncLogEntry.self, last).seq) == newest
            }
            let seen = try follower.output().stdout.split(separator: "\n").map {
                try Self.decode(SyncLogEntry.self, String($0)).seq
            }
            // The follower starts with the last 10 entries written before it, then every new one.
            let first = try #require(seen.first)
            #expect(seen == Array(first...newest), "no entry lost or repeated")
            #expect(seen.count >= min(10, written.count), "at least the backlog of 10")
        }
    }
}
