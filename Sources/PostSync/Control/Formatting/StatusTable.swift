import Foundation

/// The human form of `postsync status` and `postsync accounts list`: a one-line daemon summary
/// and one table row per account. Pure: everything it shows comes from the arguments.
public enum StatusTable {
    /// How close to expiry a token's date is painted as a warning.
    public static let expiryWarning: TimeInterval = 7 * 86_400

    /// How an account is doing, for the header's counts.
    public enum Health: Sendable, Equatable {
        /// Syncing as it should.
        case ok
        /// Auto-sync is off.
        case paused
        /// Failing runs, dead token or crash loop.
        case failing
    }

    /// `postsync 0.1.0, up 3h 2m, 4 accounts: 3 ok, 1 failing`, with several daemons followed by
    /// `; 2 daemons: sync-a 2, sync-b 2` (each with the accounts it holds).
    public static func header(_ status: DaemonStatus, now: Date) -> String {
        let uptime = RelativeTime.duration(now.timeIntervalSince(status.startedAt))
        let database = status.database == "available" ? "" : ", DATABASE \(status.database.uppercased())"
        var text = "postsync \(status.version), up \(uptime)\(database), \(accountSummary(status.accounts))"
        if status.nodes.count > 1 {
            let nodes = status.nodes.map { "\(TerminalStyle.sanitized($0.id)) \($0.accounts)" }.joined(separator: ", ")
            text += "; \(status.nodes.count) daemons: \(nodes)"
        }
        return text
    }

    /// `4 accounts: 3 ok, 1 failing` (plus `, 1 paused` when some are), or `no accounts`.
    public static func accountSummary(_ accounts: [AccountView]) -> String {
        guard !accounts.isEmpty else { return "no accounts" }
        let health = accounts.map(health(of:))
        let noun = accounts.count == 1 ? "account" : "accounts"
        var text =
            "\(accounts.count) \(noun): \(health.filter { $0 == .ok }.count) ok, \(health.filter { $0 == .failing }.count) failing"
        let paused = health.filter { $0 == .paused }.count
        if paused > 0 { text += ", \(paused) paused" }
        return text
    }

    /// Whether the account is fine, paused or failing.
    public static func health(of account: AccountView) -> Health {
        switch account.state {
        case .backoff, .needsReauth, .quarantined: return .failing
        case .paused: return .paused
        case .idle, .syncing: return account.lastStatus == .error ? .failing : .ok
        }
    }

    /// The account table: ACCOUNT, PLATFORM, AUTO, STATE, LAST SYNC, RESULT, NEXT SYNC, EVERY (the
    /// interval the schedule plans), PER DAY (the learned posts a day), POSTS, TOKEN EXPIRES, and
    /// NODE (the daemon holding it) when `nodes`. Times are relative to `now`; the last sync also
    /// shows its local time.
    public static func table(
        _ accounts: [AccountView], now: Date, style: TerminalStyle, timeZone: TimeZone = .current, nodes: Bool = false
    ) -> String {
        var columns = [
            TextTable.Column("ACCOUNT"), TextTable.Column("PLATFORM"), TextTable.Column("AUTO"),
            TextTable.Column("STATE"), TextTable.Column("LAST SYNC"), TextTable.Column("RESULT"),
            TextTable.Column("NEXT SYNC"), TextTable.Column("EVERY", alignment: .right),
            TextTable.Column("PER DAY", alignment: .right), TextTable.Column("POSTS", alignment: .right),
            TextTable.Column("TOKEN EXPIRES"),
        ]
        var rows = accounts.map { row($0, now: now, timeZone: timeZone) }
        if nodes {
            columns.append(TextTable.Column("NODE"))
            for (index, account) in accounts.enumerated() {
                rows[index].append(TextTable.Cell(account.node.map(TerminalStyle.sanitized) ?? "—"))
            }
        }
        return TextTable(columns: columns, rows: rows).render(style: style)
    }

    /// One line per failing account with its last error and what to do about it.
    public static func problems(_ accounts: [AccountView], now: Date) -> [String] {
        accounts.compactMap { account in
            let error = account.lastError.map(TerminalStyle.sanitized)
            switch account.state {
            case .needsReauth:
                return "\(account.id): needs a new token\(error.map { " (\($0))" } ?? ""); "
                    + "set it with `postsync accounts set-token \(account.id) --access-token-file FILE`"
            case .quarantined:
                return "\(account.id): quarantined after repeated crashes\(error.map { " (\($0))" } ?? ""); "
                    + "see `postsync logs --account \(account.id)`"
            case .backoff:
                let retry = account.nextSyncAt.map { ", next try \(nextSync($0, now: now))" } ?? ""
                let runs =
                    account.consecutiveFailures == 1 ? "1 failed run" : "\(account.consecutiveFailures) failed runs in a row"
                return "\(account.id): \(runs)\(retry)\(error.map { ": \($0)" } ?? "")"
            case .idle, .syncing, .paused:
                if account.lastStatus == .error, account.state != .paused {
                    return "\(account.id): last run failed\(error.map { ": \($0)" } ?? "")"
                }
                guard TokenPolicy.refreshTokenExpiresSoon(account, now: now), let expiry = account.refreshExpiresAt else {
                    return nil
                }
                return "\(account.id): refresh token expires \(RelativeTime.describe(expiry, now: now)); only the user can "
                    + "renew it: have them authorize again, then `postsync accounts set-token \(account.id)`"
            }
        }
    }

    /// The expiry that limits an account: TikTok access tokens last a day and are refreshed by
    /// the daemon, so the refresh token's expiry is the one that matters there.
    public static func effectiveExpiry(of account: AccountView) -> Date? {
        account.platform == .tiktok ? (account.refreshExpiresAt ?? account.tokenExpiresAt) : account.tokenExpiresAt
    }

    private static func row(_ account: AccountView, now: Date, timeZone: TimeZone) -> [TextTable.Cell] {
        let lastSync =
            account.lastSyncAt.map {
                "\(RelativeTime.describe($0, now: now)) (\(RelativeTime.localMinute($0, timeZone: timeZone)))"
            } ?? "never"
        let result =
            account.lastStatus.map { TextTable.Cell($0.rawValue, tone: TerminalStyle.tone(for: $0)) } ?? TextTable.Cell("—")
        let scheduled: Bool
        switch account.state {
        case .paused, .needsReauth, .quarantined: scheduled = false
        case .idle, .syncing, .backoff: scheduled = true
        }
        let next = scheduled ? account.nextSyncAt.map { nextSync($0, now: now) } ?? "—" : "—"
        return [
            TextTable.Cell(account.id),
            TextTable.Cell(account.platform.rawValue),
            account.autoSync ? TextTable.Cell("on", tone: .good) : TextTable.Cell("off", tone: .warning),
            TextTable.Cell(account.state.rawValue, tone: TerminalStyle.tone(for: account.state)),
            TextTable.Cell(lastSync),
            result,
            TextTable.Cell(next),
            TextTable.Cell(account.syncInterval.map(every) ?? "—"),
            TextTable.Cell(String(format: "%.2f", account.postsPerDay)),
            TextTable.Cell(String(account.posts)),
            expiryCell(
                effectiveExpiry(of: account), now: now,
                warnWithin: account.platform == .tiktok ? TokenPolicy.refreshTokenWarning : expiryWarning),
        ]
    }

    /// A planned interval, short: `45s`, `12m`, `1h30m`.
    static func every(_ seconds: Int) -> String {
        if seconds < 90 { return "\(seconds)s" }
        let minutes = Int((Double(seconds) / 60).rounded())
        if minutes < 90 { return "\(minutes)m" }
        return minutes % 60 == 0 ? "\(minutes / 60)h" : "\(minutes / 60)h\(minutes % 60)m"
    }

    private static func nextSync(_ date: Date, now: Date) -> String {
        date <= now ? "due" : RelativeTime.describe(date, now: now)
    }

    private static func expiryCell(_ expiry: Date?, now: Date, warnWithin: TimeInterval) -> TextTable.Cell {
        guard let expiry else { return TextTable.Cell("—") }
        if expiry <= now { return TextTable.Cell("expired", tone: .bad) }
        let text = RelativeTime.describe(expiry, now: now)
        return TextTable.Cell(text, tone: expiry.timeIntervalSince(now) < warnWithin ? .warning : nil)
    }
}
