import Foundation

/// Paces Instagram calls from Meta's own usage reports. Meta counts calls per app and per app
/// user (`X-App-Usage`, `X-Business-Use-Case-Usage`, whole-number percentages): above 80 % the
/// governor spaces calls out, at 100 % or on a throttling error code it stops calls until the
/// stated `estimated_time_to_regain_access`.
actor MetaUsageGovernor {
    private let clock: any DaemonClock
    private var blockedUntil: [String: Date] = [:]
    private var usage: [String: Int] = [:]
    private var lastCall: [String: Date] = [:]
    /// The key for app-wide limits (`X-App-Usage`).
    static let appKey = "_app"

    init(clock: any DaemonClock) {
        self.clock = clock
    }

    /// Waits until a call for this business object (IG user id) may go out.
    /// - Throws: `PlatformError.rateLimited` when the wait is longer than `maxWait`.
    func acquire(_ key: String, maxWait: Duration) async throws {
        let now = clock.now
        var slot = now
        for k in [key, Self.appKey] {
            if let until = blockedUntil[k], until > slot { slot = until }
        }
        let percent = max(usage[key] ?? 0, usage[Self.appKey] ?? 0)
        if percent > 80, let last = lastCall[key] {
            // Up to 5 s between calls as usage climbs from 80 % to 100 %.
            let spacing = 5.0 * Double(min(percent, 100) - 80) / 20.0
            slot = max(slot, last.addingTimeInterval(spacing))
        }
        let wait = slot.timeIntervalSince(now)
        if wait > maxWait.seconds {
            throw PlatformError.rateLimited(retryAfter: .seconds(wait.rounded(.up)), "Meta usage at \(percent)%, waiting for access to return")
        }
        lastCall[key] = slot
        if wait > 0 {
            do { try await clock.sleep(until: slot) } catch { throw PlatformError.transient("cancelled while waiting for the request budget") }
        }
    }

    /// Records a usage report read from response headers.
    func record(_ report: MetaUsageReport, key: String) {
        let now = clock.now
        if let percent = report.appPercent { usage[Self.appKey] = percent }
        if let percent = report.businessPercent { usage[key] = percent }
        if let regain = report.regainAfter, regain > .zero {
            block(key, until: now.addingTimeInterval(regain.seconds))
        } else if (report.businessPercent ?? 0) >= 100 {
            block(key, until: now.addingTimeInterval(60))
        }
        if (report.appPercent ?? 0) >= 100 { block(Self.appKey, until: now.addingTimeInterval(60)) }
    }

    /// Stops calls for `key` until `until` (a throttling error code arrived).
    func block(_ key: String, until: Date) {
        if blockedUntil[key].map({ $0 < until }) ?? true { blockedUntil[key] = until }
    }
}

/// The usage figures of one Meta response.
struct MetaUsageReport: Sendable, Equatable {
    /// Highest percentage in `X-App-Usage`.
    var appPercent: Int?
    /// Highest percentage in `X-Business-Use-Case-Usage`.
    var businessPercent: Int?
    /// `estimated_time_to_regain_access` (minutes on the wire).
    var regainAfter: Duration?

    /// Parses the two headers; unreadable values are ignored (they are advice, not data).
    static func parse(appUsage: String?, businessUseCaseUsage: String?) -> MetaUsageReport {
        var report = MetaUsageReport()
        if let text = appUsage, let object = json(text) as? [String: Any] {
            report.appPercent = percentages(object).max()
        }
        if let text = businessUseCaseUsage, let object = json(text) as? [String: Any] {
            var highest: Int?
            var regain: Int?
            for case let entries as [[String: Any]] in object.values {
                for entry in entries {
                    if let p = percentages(entry).max() { highest = max(highest ?? 0, p) }
                    if let minutes = number(entry["estimated_time_to_regain_access"]) { regain = max(regain ?? 0, minutes) }
                }
            }
            report.businessPercent = highest
            report.regainAfter = regain.map { .seconds($0 * 60) }
        }
        return report
    }

    private static func json(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    private static func percentages(_ object: [String: Any]) -> [Int] {
        ["call_count", "total_cputime", "total_time"].compactMap { number(object[$0]) }
    }

    private static func number(_ value: Any?) -> Int? {
        switch value {
        case let n as Int: n
        case let d as Double: Int(d)
        case let s as String: Int(s)
        default: nil
        }
    }
}
