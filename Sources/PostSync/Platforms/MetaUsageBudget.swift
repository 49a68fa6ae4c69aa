import Foundation

/// The decisions of `MetaUsageGovernor`, without the sleeping: from Meta's usage percentages and
/// `now`, how long the next call for a business object (IG user id) must wait. Time is passed in,
/// so tests drive it with plain dates.
///
/// Above 80 % calls are spaced out, up to 5 s apart at 100 %; at 100 % (or on a throttling error
/// code) calls stop until the stated `estimated_time_to_regain_access`, a minute when none is
/// stated. App-wide usage (`X-App-Usage`) counts for every key.
struct MetaUsageBudget: Sendable, Equatable {
    /// The key for app-wide limits (`X-App-Usage`).
    static let appKey = "_app"
    // Usage above which calls are spaced out, and the spacing at 100 %.
    private static let slowingAbove = 80
    private static let widestSpacing: TimeInterval = 5
    // How long calls stop at 100 % when Meta does not say.
    private static let defaultBlock: TimeInterval = 60

    private var blockedUntil: [String: Date] = [:]
    private var usage: [String: Int] = [:]
    private var lastCall: [String: Date] = [:]

    /// Creates a budget with no usage reported.
    init() {}

    /// The usage that paces `key`: the higher of its own and the app-wide percentage.
    func percent(for key: String) -> Int {
        max(usage[key] ?? 0, usage[Self.appKey] ?? 0)
    }

    /// The earliest time a call for `key` may go out, given the calls and reports so far.
    func nextSlot(for key: String, now: Date) -> Date {
        var slot = now
        for k in [key, Self.appKey] {
            if let until = blockedUntil[k], until > slot { slot = until }
        }
        let percent = percent(for: key)
        if percent > Self.slowingAbove, let last = lastCall[key] {
            // The spacing grows linearly from nothing at 80 % to 5 s at 100 %.
            let spacing = Self.widestSpacing * Double(min(percent, 100) - Self.slowingAbove) / Double(100 - Self.slowingAbove)
            slot = max(slot, last.addingTimeInterval(spacing))
        }
        return slot
    }

    /// Reserves the next slot for a call for `key` wanted at `now`, unless it is more than
    /// `maxWait` seconds away.
    mutating func reserve(_ key: String, now: Date, maxWait: TimeInterval) -> RateDecision {
        let slot = nextSlot(for: key, now: now)
        let wait = slot.timeIntervalSince(now)
        if wait > maxWait { return .refuse(after: wait) }
        lastCall[key] = slot
        return wait > 0 ? .wait(until: slot) : .go
    }

    /// Records a usage report read from the headers of a response for `key` at `now`.
    mutating func record(_ report: MetaUsageReport, key: String, now: Date) {
        if let percent = report.appPercent { usage[Self.appKey] = percent }
        if let percent = report.businessPercent { usage[key] = percent }
        if let regain = report.regainAfter, regain > .zero {
            block(key, until: now.addingTimeInterval(regain.seconds))
        } else if (report.businessPercent ?? 0) >= 100 {
            block(key, until: now.addingTimeInterval(Self.defaultBlock))
        }
        if (report.appPercent ?? 0) >= 100 { block(Self.appKey, until: now.addingTimeInterval(Self.defaultBlock)) }
    }

    /// Stops calls for `key` until `until`; a shorter block than the current one is ignored.
    mutating func block(_ key: String, until: Date) {
        if blockedUntil[key].map({ $0 < until }) ?? true { blockedUntil[key] = until }
    }
}
