import CoreMetrics
import Foundation
import Prometheus

/// The daemon's Prometheus metrics, recorded through swift-metrics with an explicit factory (no
/// global bootstrap, so several daemons in one test process keep separate counts).
public final class DaemonMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    /// Creates an empty set of metrics.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
            .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        self.factory = factory
    }

    /// Records one SyncLog entry: runs by platform/status/trigger, duration, posts, API calls,
    /// token refreshes, rate-limit hits and, for a run that was not an error, the account's last
    /// success time.
    public func record(_ entry: SyncLogEntry) {
        let platform = entry.platform.rawValue
        Counter(
            label: "postsync_syncs_total",
            dimensions: [("platform", platform), ("status", entry.status.rawValue), ("trigger", entry.trigger.rawValue)],
            factory: factory
        ).increment()
        Timer(label: "postsync_sync_duration_seconds", dimensions: [("platform", platform)], factory: factory)
            .recordMilliseconds(entry.duration)
        Counter(label: "postsync_posts_synced_total", dimensions: [("platform", platform)], factory: factory)
            .increment(by: entry.postsSynced)
        Counter(label: "postsync_api_calls_total", dimensions: [("platform", platform)], factory: factory)
            .increment(by: entry.apiCalls)
        if entry.tokenRefreshed {
            Counter(label: "postsync_token_refreshes_total", dimensions: [("platform", platform)], factory: factory).increment()
        }
        if entry.errorMessage?.contains("rate limited") == true {
            Counter(label: "postsync_rate_limit_hits_total", dimensions: [("platform", platform)], factory: factory).increment()
        }
        // Written only after the SyncLog line is, so a failing SyncLog shows up as a stale time
        // (the "no success for 2 x interval" alert). A partial run counts, as for `lastSyncAt`.
        if entry.status != .error {
            Gauge(
                label: "postsync_account_last_success_timestamp_seconds",
                dimensions: [("account", entry.accountId), ("platform", platform)], factory: factory
            ).record(entry.createdAt.timeIntervalSince1970)
        }
    }

    /// Records how late a scheduled run started.
    public func lateness(_ seconds: TimeInterval) {
        Timer(label: "postsync_schedule_lateness_seconds", dimensions: [], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Counts one webhook delivery by platform and result (`accepted`, `duplicate`,
    /// `bad_signature`, `malformed`, `unknown_account`, `too_large`).
    public func webhook(_ platform: Platform, result: String, count: Int = 1) {
        Counter(
            label: "postsync_webhook_deliveries_total", dimensions: [("platform", platform.rawValue), ("result", result)],
            factory: factory
        ).increment(by: count)
    }

    /// Sets the accounts-by-state gauge (at scrape time).
    public func accounts(byState counts: [AccountState: Int]) {
        for state in AccountState.allCases {
            Gauge(label: "postsync_accounts", dimensions: [("state", state.rawValue)], factory: factory)
                .record(counts[state] ?? 0)
        }
    }

    /// Sets `postsync_refresh_tokens_expiring{platform}` (at scrape time): accounts whose refresh
    /// token expires within 14 days, which only the user can renew.
    public func refreshTokensExpiring(_ count: Int, platform: Platform = .tiktok) {
        Gauge(label: "postsync_refresh_tokens_expiring", dimensions: [("platform", platform.rawValue)], factory: factory)
            .record(count)
    }

    /// Sets `postsync_database_available` (1 or 0, at scrape time): 0 while the store's database
    /// cannot be reached (CONTRACT section 9).
    public func database(available: Bool) {
        Gauge(label: "postsync_database_available", factory: factory).record(available ? 1 : 0)
    }

    /// Sets `postsync_schedule_budget_ratio{platform}` (at scrape time): the calls the adaptive
    /// schedule's budget allows ÷ the calls `sync.interval` would need; below 1 the quiet
    /// accounts are synced less often than `interval` (CONTRACT section 12).
    public func scheduleBudgetRatio(_ ratio: Double, platform: Platform) {
        Gauge(label: "postsync_schedule_budget_ratio", dimensions: [("platform", platform.rawValue)], factory: factory)
            .record(ratio)
    }

    /// The Prometheus text exposition.
    public func render() -> String {
        registry.emitToString()
    }
}
