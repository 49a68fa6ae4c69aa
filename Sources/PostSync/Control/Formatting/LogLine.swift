import Foundation

/// The human form of a SyncLog entry, one line each, as `postsync logs` and `postsync sync --wait`
/// print them:
/// `2026-11-29 01:02:03  instagram:17841400000000001  schedule  success  found 25 synced 3  412ms`.
public enum LogLine {
    /// The entry on one line, in local time. Trigger and status are padded to their longest
    /// value so consecutive lines line up; the error message, if any, comes last.
    public static func render(_ entry: SyncLogEntry, style: TerminalStyle, timeZone: TimeZone = .current) -> String {
        var parts = [
            RelativeTime.localSecond(entry.createdAt, timeZone: timeZone),
            TerminalStyle.sanitized(entry.accountId),
            padded(entry.trigger.rawValue, to: triggerWidth),
            style.paint(entry.status.rawValue, TerminalStyle.tone(for: entry.status))
                + String(repeating: " ", count: max(0, statusWidth - entry.status.rawValue.count)),
            "found \(entry.postsFound) synced \(entry.postsSynced)",
            duration(milliseconds: entry.duration),
        ]
        if entry.tokenRefreshed { parts.append("token refreshed") }
        if entry.attempt > 1 { parts.append("attempt \(entry.attempt)") }
        if let message = entry.errorMessage, !message.isEmpty {
            parts.append(style.paint(TerminalStyle.sanitized(message), .bad))
        }
        var line = parts.joined(separator: "  ")
        while line.hasSuffix(" ") { line.removeLast() }
        return line
    }

    /// `412ms` below ten seconds, `12.3s` above.
    public static func duration(milliseconds: Int64) -> String {
        if milliseconds < 10_000 { return "\(milliseconds)ms" }
        let tenths = milliseconds / 100
        return "\(tenths / 10).\(tenths % 10)s"
    }

    /// `synced 3 of 4 accounts, 1 failed` (the answer of `POST /v1/sync?wait=true`).
    public static func summary(_ summary: SyncAllSummary) -> String {
        guard summary.total > 0 else { return "no active accounts to sync" }
        let noun = summary.total == 1 ? "account" : "accounts"
        return "synced \(summary.synced) of \(summary.total) \(noun), \(summary.failed) failed"
    }

    private static let triggerWidth = SyncTrigger.allCases.map(\.rawValue.count).max() ?? 0
    private static let statusWidth = SyncStatus.allCases.map(\.rawValue.count).max() ?? 0

    private static func padded(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
