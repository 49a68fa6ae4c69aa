import CoreMetrics
import Foundation
import Prometheus

/// The daemon's Prometheus metrics, recorded through swift-metrics with an explicit factory (no
/// global bootstrap, so several daemons in one test process keep separate counts).
public final class DaemonMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// The per-run recorders, made once per label set: making one looks it up in the registry
    /// (labels built and hashed, the family's dictionary copied on insert), which was a few
    /// percent of the daemon's steady CPU when done for every run.
    private let recordersByLabels = Locked([String: RunRecorders]())
    /// `postsync_account_last_success_timestamp_seconds` by account: kept and rendered here, not
    /// in the registry, whose metric family copies its whole dictionary of label sets whenever
    /// one is added (with 100,000 accounts, a cold sync spent most of its CPU copying it).
    private let lastSuccess = Locked([String: LastSuccess]())
    /// `postsync_schedule_lateness_seconds`, made once (one per scheduled run looked it up in the
    /// registry, name checks included).
    private let latenessTimer: CoreMetrics.Timer
    /// `postsync_webhook_deliveries_total` by platform and result, made on first use (a webhook
    /// benchmark delivers thousands a second).
    private let webhookCounters = Locked([String: CoreMetrics.Counter]())

    private struct LastSuccess: Sendable {
        var platform: Platform
        var timestamp: Double
    }

    /// The metrics one run's entry feeds, for one platform, status and trigger.
    private struct RunRecorders: Sendable {
        var syncs: CoreMetrics.Counter
        var duration: CoreMetrics.Timer
        var postsSynced: CoreMetrics.Counter
        var apiCalls: CoreMetrics.Counter
        var tokenRefreshes: CoreMetrics.Counter
        var rateLimitHits: CoreMetrics.Counter
    }

    /// Creates an empty set of metrics.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
            .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        self.factory = factory
        latenessTimer = Timer(label: "postsync_schedule_lateness_seconds", dimensions: [], factory: factory)
    }

    /// Records one SyncLog entry: runs by platform/status/trigger, duration, posts, API calls,
    /// token refreshes, rate-limit hits and, for a run that was not an error, the account's last
    /// success time.
    public func record(_ entry: SyncLogEntry) {
        let recorders = runRecorders(entry.platform, status: entry.status, trigger: entry.trigger)
        recorders.syncs.increment()
        recorders.duration.recordMilliseconds(entry.duration)
        recorders.postsSynced.increment(by: entry.postsSynced)
        recorders.apiCalls.increment(by: entry.apiCalls)
        if entry.tokenRefreshed { recorders.tokenRefreshes.increment() }
        if entry.errorMessage?.contains("rate limited") == true { recorders.rateLimitHits.increment() }
        // Written only after the SyncLog line is, so a failing SyncLog shows up as a stale time
        // (the "no success for 2 x interval" alert). A partial run counts, as for `lastSyncAt`.
        if entry.status != .error {
            let success = LastSuccess(platform: entry.platform, timestamp: entry.createdAt.timeIntervalSince1970)
            lastSuccess.withLock { $0[entry.accountId] = success }
        }
    }

    /// The recorders of one platform, status and trigger, made on first use.
    private func runRecorders(_ platform: Platform, status: SyncStatus, trigger: SyncTrigger) -> RunRecorders {
        Self.cached(recordersByLabels, "\(platform.rawValue)/\(status.rawValue)/\(trigger.rawValue)") {
            Self.makeRunRecorders(platform, status: status, trigger: trigger, factory: factory)
        }
    }

    private static func makeRunRecorders(
        _ platform: Platform, status: SyncStatus, trigger: SyncTrigger, factory: PrometheusMetricsFactory
    ) -> RunRecorders {
        let platformLabel = [("platform", platform.rawValue)]
        return RunRecorders(
            syncs: Counter(
                label: "postsync_syncs_total",
                dimensions: platformLabel + [("status", status.rawValue), ("trigger", trigger.rawValue)], factory: factory),
            duration: Timer(label: "postsync_sync_duration_seconds", dimensions: platformLabel, factory: factory),
            postsSynced: Counter(label: "postsync_posts_synced_total", dimensions: platformLabel, factory: factory),
            apiCalls: Counter(label: "postsync_api_calls_total", dimensions: platformLabel, factory: factory),
            tokenRefreshes: Counter(label: "postsync_token_refreshes_total", dimensions: platformLabel, factory: factory),
            rateLimitHits: Counter(label: "postsync_rate_limit_hits_total", dimensions: platformLabel, factory: factory))
    }

    /// The value kept under `key`, made when missing (the first one made wins a race).
    static func cached<Value: Sendable>(_ cache: Locked<[String: Value]>, _ key: String, make: () -> Value) -> Value {
        if let made = cache.withLock({ $0[key] }) { return made }
        let made = make()
        // Stored here (a `[key, default:]` read would return `made` without keeping it, and
        // every call would make another).
        return cache.withLock { cache in
            if let first = cache[key] { return first }
            cache[key] = made
            return made
        }
    }

    /// Records how late a scheduled run started.
    public func lateness(_ seconds: TimeInterval) {
        latenessTimer.recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Counts one webhook delivery by platform and result (`accepted`, `duplicate`,
    /// `bad_signature`, `malformed`, `unknown_account`, `too_large`).
    public func webhook(_ platform: Platform, result: String, count: Int = 1) {
        Self.cached(webhookCounters, "\(platform.rawValue)/\(result)") {
            Counter(
                label: "postsync_webhook_deliveries_total", dimensions: [("platform", platform.rawValue), ("result", result)],
                factory: factory)
        }.increment(by: count)
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
        var text = registry.emitToString()
        let successes = lastSuccess.withLock { $0 }
        guard !successes.isEmpty else { return text }
        let name = "postsync_account_last_success_timestamp_seconds"
        text += "# TYPE \(name) gauge\n"
        for (account, success) in successes.sorted(by: { $0.key < $1.key }) {
            text +=
                "\(name){account=\"\(Self.labelValue(account))\",platform=\"\(success.platform.rawValue)\"} \(success.timestamp)\n"
        }
        return text
    }

    /// A label value escaped as the text exposition format wants (backslash, quote, line feed).
    static func labelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
