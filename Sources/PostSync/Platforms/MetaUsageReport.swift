import Foundation

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
