import Foundation

/// Paces Instagram calls from Meta's own usage reports. Meta counts calls per app and per app
/// user (`X-App-Usage`, `X-Business-Use-Case-Usage`, whole-number percentages): above 80 % the
/// governor spaces calls out, at 100 % or on a throttling error code it stops calls until the
/// stated `estimated_time_to_regain_access`. The decisions are `MetaUsageBudget`'s; this actor
/// only serialises them and sleeps on the clock.
actor MetaUsageGovernor {
    private let clock: any DaemonClock
    private var budget = MetaUsageBudget()

    /// Creates a governor with no usage reported.
    init(clock: any DaemonClock) {
        self.clock = clock
    }

    /// Waits until a call for this business object (IG user id) may go out.
    /// - Throws: `PlatformError.rateLimited` when the wait is longer than `maxWait`;
    ///   `PlatformError.transient` when cancelled while waiting.
    func acquire(_ key: String, maxWait: Duration) async throws {
        let percent = budget.percent(for: key)
        try await budget.reserve(key, now: clock.now, maxWait: maxWait.seconds)
            .carryOut(on: clock, refusal: "Meta usage at \(percent)%, waiting for access to return")
    }

    /// Records a usage report read from response headers.
    func record(_ report: MetaUsageReport, key: String) {
        budget.record(report, key: key, now: clock.now)
    }

    /// Stops calls for `key` until `until` (a throttling error code arrived).
    func block(_ key: String, until: Date) {
        budget.block(key, until: until)
    }
}
