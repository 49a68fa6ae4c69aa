import Foundation
import Testing

@testable import PostSync

/// A fixed "now": 2026-11-29T01:02:03Z.
private let now = Date(timeIntervalSince1970: 1_795_914_123)
private let utc = TimeZone(identifier: "UTC")!
/// A token that must never appear in any output.
private let secretToken = "IGQVJ-secret-token-never-shown"

/// An account view built from a record that holds a token, as the daemon builds it.
private func account(
    _ id: String, state: AccountState = .idle, autoSync: Bool = true, lastStatus: SyncStatus? = .success,
    lastSyncAgo: TimeInterval? = 240, nextSyncIn: TimeInterval? = 660, expiresIn: TimeInterval? = 58 * 86_400 + 60,
    refreshExpiresIn: TimeInterval? = nil, posts: Int = 12, lastError: String? = nil
) -> AccountView {
    let record = AccountRecord(
        id: AccountID(id)!, username: "name", autoSync: autoSync, state: state, accessToken: secretToken,
        refreshToken: secretToken + "-refresh", tokenExpiresAt: expiresIn.map { now.addingTimeInterval($0) },
        refreshExpiresAt: refreshExpiresIn.map { now.addingTimeInterval($0) },
        lastSyncAt: lastSyncAgo.map { now.addingTimeInterval(-$0) }, nextSyncAt: nextSyncIn.map { now.addingTimeInterval($0) },
        consecutiveFailures: lastError == nil ? 0 : 3, lastError: lastError, createdAt: now)
    return AccountView(record: record, state: state, lastStatus: lastStatus, posts: posts)
}

/// Four accounts: ok, ok (TikTok), needs_reauth, paused.
private func sampleAccounts() -> [AccountView] {
    [
        account("instagram:17841400000000001"),
        account("tiktok:abc", expiresIn: 3_600, refreshExpiresIn: 300 * 86_400, posts: 1_234),
        account(
            "instagram:17841400000000002", state: .needsReauth, lastStatus: .error, nextSyncIn: nil,
            expiresIn: -60, lastError: "token expired"),
        account("instagram:3", state: .paused, autoSync: false, lastStatus: nil, lastSyncAgo: nil, nextSyncIn: nil, posts: 0),
    ]
}

/// A SyncLog entry written at `now`.
private func entry(status: SyncStatus = .success, error: String? = nil, duration: Int64 = 412) -> SyncLogEntry {
    SyncLogEntry(
        seq: 1042, id: "c8a1e7", accountId: "instagram:17841400000000001", platform: .instagram, trigger: .schedule,
        postsFound: 25, postsSynced: 3, status: status, errorMessage: error, duration: duration,
        createdAt: now, startedAt: now.addingTimeInterval(-0.412), apiCalls: 2, tokenRefreshed: false, attempt: 1)
}

/// Posts as the control API sends them: one with every metric, one with null metrics.
private func samplePosts() throws -> [PostView] {
    let json = """
        [{"accountId":"instagram:1","platform":"instagram","postId":"17900001","caption":"Sunset over the bay\\nwith friends and far too many words to fit","mediaType":"IMAGE","permalink":"https://instagram.com/p/x","publishedAt":"2026-11-28T10:00:00.000Z","likeCount":120,"commentCount":4,"viewCount":null,"shareCount":null,"saveCount":null,"reach":null,"firstSeenAt":"2026-11-28T10:05:00.000Z","updatedAt":"2026-11-28T10:05:00.000Z"},
         {"accountId":"tiktok:abc","platform":"tiktok","postId":"7300","caption":null,"mediaType":"VIDEO","permalink":null,"publishedAt":null,"likeCount":null,"commentCount":0,"viewCount":123456,"shareCount":1,"saveCount":null,"reach":null,"firstSeenAt":"2026-11-28T10:05:00.000Z","updatedAt":"2026-11-28T10:05:00.000Z"}]
        """
    return try JSONCoding.decoder().decode([PostView].self, from: Data(json.utf8))
}

/// The column where `title` starts in a header line.
private func column(_ title: String, in header: String) throws -> Int {
    let range = try #require(header.range(of: title))
    return header.distance(from: header.startIndex, to: range.lowerBound)
}

/// The text of `line` from character `offset` on.
private func text(_ line: String, from offset: Int) -> Substring {
    line.dropFirst(offset)
}

@Suite struct CLIFormattingTests {
    /// Should coarsen durations to at most two units: seconds, minutes, hours and minutes, days.
    @Test func durations() {
        #expect(RelativeTime.duration(0) == "0s")
        #expect(RelativeTime.duration(45.9) == "45s")
        #expect(RelativeTime.duration(4 * 60 + 59) == "4m")
        #expect(RelativeTime.duration(3 * 3_600 + 2 * 60 + 5) == "3h 2m")
        #expect(RelativeTime.duration(3 * 3_600) == "3h")
        #expect(RelativeTime.duration(2 * 86_400 + 4 * 3_600) == "2d 4h")
        #expect(RelativeTime.duration(58 * 86_400 + 5 * 3_600) == "58d")
        #expect(RelativeTime.duration(-240) == "4m")
    }

    /// Should describe past and future times as "just now", "4m ago", "now" and "in 11m".
    @Test func relativeTimes() {
        #expect(RelativeTime.describe(now.addingTimeInterval(-3), now: now) == "just now")
        #expect(RelativeTime.describe(now, now: now) == "just now")
        #expect(RelativeTime.describe(now.addingTimeInterval(-4 * 60 - 10), now: now) == "4m ago")
        #expect(RelativeTime.describe(now.addingTimeInterval(0.5), now: now) == "now")
        #expect(RelativeTime.describe(now.addingTimeInterval(11 * 60), now: now) == "in 11m")
        #expect(RelativeTime.describe(now.addingTimeInterval(58 * 86_400 + 60), now: now) == "in 58d")
    }

    /// Should print wall clock times in the given time zone, to the minute or the second.
    @Test func localTimes() {
        #expect(RelativeTime.localMinute(now, timeZone: utc) == "2026-11-29 01:02")
        #expect(RelativeTime.localSecond(now, timeZone: utc) == "2026-11-29 01:02:03")
        #expect(RelativeTime.localSecond(now, timeZone: TimeZone(secondsFromGMT: -2 * 3_600)!) == "2026-11-28 23:02:03")
    }

    /// Should read --since as an RFC 3339 timestamp or as a duration before now, and reject anything else.
    @Test func sinceArguments() {
        #expect(RelativeTime.parseSince("2h", now: now) == now.addingTimeInterval(-7_200))
        #expect(RelativeTime.parseSince("2026-11-29T01:02:03Z", now: now) == now)
        #expect(RelativeTime.parseSince("yesterday", now: now) == nil)
    }

    /// Should colour only a terminal, and never when NO_COLOR is set to something or TERM is dumb.
    @Test func colourDecision() {
        #expect(TerminalStyle.useColor(isTTY: true, environment: [:]))
        #expect(!TerminalStyle.useColor(isTTY: false, environment: [:]))
        #expect(!TerminalStyle.useColor(isTTY: true, environment: ["NO_COLOR": "1"]))
        #expect(TerminalStyle.useColor(isTTY: true, environment: ["NO_COLOR": ""]))
        #expect(!TerminalStyle.useColor(isTTY: true, environment: ["TERM": "dumb"]))
    }

    /// Should write no escape code at all in plain style, and wrap toned text in colour otherwise.
    @Test func plainStyleHasNoEscapes() {
        let accounts = sampleAccounts()
        let plain =
            StatusTable.table(accounts, now: now, style: .plain, timeZone: utc)
            + LogLine.render(entry(status: .error, error: "boom"), style: .plain, timeZone: utc)
            + (try! PostTable.render(samplePosts(), style: .plain, timeZone: utc))
        #expect(!plain.contains("\u{1B}"))
        let colored = StatusTable.table(accounts, now: now, style: TerminalStyle(colored: true), timeZone: utc)
        #expect(colored.contains("\u{1B}[31mneeds_reauth\u{1B}[0m"))
        #expect(colored.contains("\u{1B}[32msuccess\u{1B}[0m"))
        #expect(TerminalStyle(colored: true).paint("x", nil) == "x")
    }

    /// Should turn control characters (newlines, escape sequences) of outside text into spaces.
    @Test func sanitizesControlCharacters() {
        #expect(TerminalStyle.sanitized("a\nb\u{1B}[31mc") == "a b [31mc")
        #expect(TerminalStyle.sanitized("plain — text") == "plain — text")
    }

    /// Should size columns to their content, align numbers right, and leave no trailing spaces.
    @Test func tableAlignment() throws {
        let table = TextTable(
            columns: [TextTable.Column("NAME"), TextTable.Column("COUNT", alignment: .right), TextTable.Column("NOTE")],
            rows: [["a", "1", "x"], ["longer-name", "12345", ""], [TextTable.Cell("red", tone: .bad), "7", "last"]])
        let plain = table.render(style: .plain).split(separator: "\n").map(String.init)
        #expect(
            plain == [
                "NAME         COUNT  NOTE",
                "a                1  x",
                "longer-name  12345",
                "red              7  last",
            ])
        // Colour is added after padding: stripping it gives the plain table back.
        let colored = table.render(style: TerminalStyle(colored: true))
        #expect(
            colored.replacingOccurrences(of: "\u{1B}[31m", with: "").replacingOccurrences(of: "\u{1B}[0m", with: "")
                == plain.joined(separator: "\n"))
    }

    /// Should start every account row's cells under their headers, with POSTS right-aligned.
    @Test func statusTableColumns() throws {
        let lines = StatusTable.table(sampleAccounts(), now: now, style: .plain, timeZone: utc)
            .split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        let header = lines[0]
        #expect(header.hasPrefix("ACCOUNT"))
        let platform = try column("PLATFORM", in: header)
        let state = try column("STATE", in: header)
        let postsEnd = try column("POSTS", in: header) + "POSTS".count
        for (line, expected) in zip(lines.dropFirst(), ["instagram", "tiktok", "instagram", "instagram"]) {
            #expect(text(line, from: platform).hasPrefix(expected))
            #expect(line.dropFirst(postsEnd - 1).first?.isNumber == true)
            #expect(line.dropFirst(postsEnd).first == " ")
        }
        #expect(text(lines[3], from: state).hasPrefix("needs_reauth"))
        #expect(lines[1].contains("4m ago (2026-11-29 00:58)"))
        #expect(lines[1].contains("in 11m"))
        #expect(lines[1].hasSuffix("in 58d"))
        // TikTok's limit is the refresh token; the day-long access token is refreshed by the daemon.
        #expect(lines[2].hasSuffix("in 300d"))
        #expect(lines[3].hasSuffix("expired"))
        #expect(lines[4].contains("never"))
        #expect(lines[4].contains(" off "))
    }

    /// Should summarise the daemon on one line with uptime and account health counts.
    @Test func header() {
        let status = DaemonStatus(
            version: "0.1.0", startedAt: now.addingTimeInterval(-(3 * 3_600 + 2 * 60)), accounts: sampleAccounts())
        #expect(StatusTable.header(status, now: now) == "postsync 0.1.0, up 3h 2m, 4 accounts: 2 ok, 1 failing, 1 paused")
        #expect(StatusTable.accountSummary([account("tiktok:a")]) == "1 account: 1 ok, 0 failing")
        let clustered = DaemonStatus(
            version: "0.1.0", startedAt: now.addingTimeInterval(-60),
            nodes: [
                NodeView(id: "sync-a", startedAt: now, heartbeatAt: now, accounts: 3),
                NodeView(id: "sync-b", startedAt: now, heartbeatAt: now, accounts: 1),
            ], accounts: sampleAccounts())
        #expect(StatusTable.header(clustered, now: now).hasSuffix("; 2 daemons: sync-a 3, sync-b 1"))
        var held = sampleAccounts()
        held[0].node = "sync-b"
        let table = StatusTable.table(held, now: now, style: .plain, timeZone: utc, nodes: true).split(separator: "\n")
        #expect(table[0].hasSuffix("NODE"))
        #expect(table[1].hasSuffix("sync-b") && table[2].hasSuffix("—"))
        #expect(StatusTable.accountSummary([]) == "no accounts")
    }

    /// Should explain a failing account and say how to fix a dead token.
    @Test func problems() {
        let problems = StatusTable.problems(sampleAccounts(), now: now)
        #expect(
            problems == [
                "instagram:17841400000000002: needs a new token (token expired); "
                    + "set it with `postsync accounts set-token instagram:17841400000000002 --access-token-file FILE`"
            ])
    }

    /// Should warn when a TikTok refresh token expires within 14 days (only the user can renew
    /// it), and not before.
    @Test func refreshTokenExpiringSoon() {
        let soon = account("tiktok:soon", expiresIn: 3_600, refreshExpiresIn: 9 * 86_400)
        let later = account("tiktok:later", expiresIn: 3_600, refreshExpiresIn: 15 * 86_400)
        let problems = StatusTable.problems([soon, later], now: now)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("tiktok:soon: refresh token expires in 9d; only the user can renew it") == true)
        #expect(TokenPolicy.refreshTokenExpiresSoon(soon, now: now) && !TokenPolicy.refreshTokenExpiresSoon(later, now: now))
    }

    /// Should never show a token, whatever the account holds.
    @Test func noTokenInOutput() {
        let accounts = sampleAccounts()
        let status = DaemonStatus(version: "0.1.0", startedAt: now, accounts: accounts)
        let output = [
            StatusTable.header(status, now: now),
            StatusTable.table(accounts, now: now, style: TerminalStyle(colored: true), timeZone: utc),
            StatusTable.problems(accounts, now: now).joined(separator: "\n"),
        ].joined(separator: "\n")
        #expect(!output.contains("secret"))
        let json = String(decoding: try! JSONCoding.encoder().encode(status), as: UTF8.self)
        #expect(!json.contains("secret"))
    }

    /// Should render a SyncLog entry on one line in local time, with padded trigger and status.
    @Test func logLines() {
        #expect(
            LogLine.render(entry(), style: .plain, timeZone: utc)
                == "2026-11-29 01:02:03  instagram:17841400000000001  schedule  success  found 25 synced 3  412ms")
        #expect(
            LogLine.render(entry(status: .error, error: "rate\nlimited", duration: 12_345), style: .plain, timeZone: utc)
                == "2026-11-29 01:02:03  instagram:17841400000000001  schedule  error    found 25 synced 3  12.3s  rate limited")
        var refreshed = entry()
        refreshed.trigger = .cron
        refreshed.tokenRefreshed = true
        refreshed.attempt = 3
        #expect(
            LogLine.render(refreshed, style: .plain, timeZone: utc)
                == "2026-11-29 01:02:03  instagram:17841400000000001  cron      success  found 25 synced 3  412ms  token refreshed  attempt 3"
        )
        let colored = LogLine.render(entry(status: .partial), style: TerminalStyle(colored: true), timeZone: utc)
        #expect(colored.contains("\u{1B}[33mpartial\u{1B}[0m  found"))
    }

    /// Should summarise a sync of all accounts.
    @Test func syncSummary() {
        let summary = SyncAllSummary(total: 4, synced: 3, failed: 1, errors: [.init(accountId: "instagram:2", message: "x")])
        #expect(LogLine.summary(summary) == "synced 3 of 4 accounts, 1 failed")
        #expect(LogLine.summary(SyncAllSummary(total: 0, synced: 0, failed: 0, errors: [])) == "no active accounts to sync")
    }

    /// Should show a metric the platform did not give as "—", never 0, and cut captions to 40 characters.
    @Test func postTable() throws {
        let lines = try PostTable.render(samplePosts(), style: .plain, timeZone: utc).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        let header = lines[0]
        // Right-aligned: every VIEWS cell ends where the header does.
        let viewsEnd = try column("VIEWS", in: header) + "VIEWS".count
        #expect(lines[1].prefix(viewsEnd).hasSuffix(" —"))
        #expect(lines[2].prefix(viewsEnd).hasSuffix(" 123456"))
        #expect(lines[1].hasPrefix("2026-11-28 10:00  instagram:1"))
        #expect(lines[1].hasSuffix("  Sunset over the bay with friends and fa…"))
        #expect(lines[2].hasPrefix("—"))
        #expect(PostTable.caption(String(repeating: "x", count: 40)).count == 40)
        #expect(PostTable.caption(String(repeating: "x", count: 41)) == String(repeating: "x", count: 39) + "…")
        #expect(PostTable.caption(nil) == "—")
        #expect(PostTable.metric(nil) == "—")
        #expect(PostTable.metric(0) == "0")
    }
}
