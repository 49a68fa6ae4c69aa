import Foundation
import Testing

@testable import PostSync

struct DaemonMetricsTests {
    static func entry(_ account: String, _ status: SyncStatus, at seconds: TimeInterval) -> SyncLogEntry {
        let at = Date(timeIntervalSince1970: seconds)
        return SyncLogEntry(
            accountId: account, platform: account.hasPrefix("tiktok") ? .tiktok : .instagram, trigger: .schedule,
            postsFound: 1, postsSynced: 1, status: status, errorMessage: status == .error ? "boom" : nil, duration: 5,
            createdAt: at, startedAt: at, apiCalls: 1, tokenRefreshed: false, attempt: 1)
    }

    /// Should render each account's last success (not its errors) once, under one TYPE line,
    /// beside the registry's metrics.
    @Test func lastSuccessPerAccount() {
        let metrics = DaemonMetrics()
        metrics.record(Self.entry("instagram:1", .success, at: 1_795_000_000))
        metrics.record(Self.entry("instagram:1", .success, at: 1_795_000_900))
        metrics.record(Self.entry("tiktok:a", .partial, at: 1_795_000_100))
        metrics.record(Self.entry("tiktok:b", .error, at: 1_795_000_200))
        let lines = metrics.render().split(separator: "\n").map(String.init)
        let name = "postsync_account_last_success_timestamp_seconds"
        #expect(lines.filter { $0 == "# TYPE \(name) gauge" }.count == 1)
        #expect(
            lines.filter { $0.hasPrefix(name) } == [
                "\(name){account=\"instagram:1\",platform=\"instagram\"} 1795000900.0",
                "\(name){account=\"tiktok:a\",platform=\"tiktok\"} 1795000100.0",
            ])
        #expect(lines.contains { $0.hasPrefix("postsync_syncs_total{") })
    }

    /// Should make a cached recorder once per key and hand the same one back after: the daemon
    /// looks up its run recorders and webhook counters this way at every run and delivery.
    @Test func cachedMakesOncePerKey() {
        let cache = Locked([String: Int]())
        let made = Locked(0)
        func lookup(_ key: String) -> Int {
            DaemonMetrics.cached(cache, key) {
                made.withLock { count in
                    count += 1
                    return count
                }
            }
        }
        #expect(lookup("instagram/accepted") == 1)
        #expect(lookup("instagram/accepted") == 1)
        #expect(lookup("tiktok/accepted") == 2)
        #expect(lookup("instagram/accepted") == 1)
        #expect(made.withLock { $0 } == 2)
    }

    /// Should count webhook deliveries on one counter per platform and result, however often
    /// they are recorded.
    @Test func webhookCountersAccumulate() {
        let metrics = DaemonMetrics()
        for _ in 0..<3 { metrics.webhook(.instagram, result: "accepted") }
        metrics.webhook(.instagram, result: "unknown_account", count: 2)
        let lines = metrics.render().split(separator: "\n").map(String.init)
        let accepted = lines.filter { $0.hasPrefix("postsync_webhook_deliveries_total{") && $0.contains("accepted") }
        #expect(accepted.count == 1)
        #expect(accepted.first?.hasSuffix(" 3") == true)
        #expect(lines.contains { $0.contains("unknown_account") && $0.hasSuffix(" 2") })
    }

    /// Should escape a label value as the text format wants.
    @Test func labelEscaping() {
        #expect(DaemonMetrics.labelValue(#"a"b\c"#) == #"a\"b\\c"#)
        #expect(DaemonMetrics.labelValue("x\ny") == #"x\ny"#)
    }
}
