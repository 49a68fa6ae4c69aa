import Foundation

/// The daemon-wide side of the adaptive schedule: one `ScheduleBudget` per platform, fed by the
/// account actors as they learn, and the prices they plan with. Thread-safe and synchronous (an
/// actor's decision reads it without a suspension); prices are recomputed at most every
/// `refreshEvery`, since one account's change moves them by a hair.
public final class ScheduleBoard: Sendable {
    /// What the prices are computed from.
    public struct Plan: Sendable, Equatable {
        /// `sync.interval`.
        public var interval: Duration
        /// `sync.min_interval`, `sync.max_interval`, `sync.budget`.
        public var limits: ScheduleMode.AdaptiveLimits
        /// `tiktok.requests_per_minute`: TikTok's limit per endpoint (one list call per sync).
        public var tiktokCallsPerMinute: Int

        /// Creates a plan.
        public init(interval: Duration, limits: ScheduleMode.AdaptiveLimits, tiktokCallsPerMinute: Int) {
            self.interval = interval
            self.limits = limits
            self.tiktokCallsPerMinute = tiktokCallsPerMinute
        }
    }

    private struct State {
        var plan: Plan
        var budgets: [Platform: ScheduleBudget] = [:]
        /// The unscaled prices, as computed from the budgets.
        var prices: [Platform: (prices: SchedulePrices, at: Date)] = [:]
        var spend: [Platform: ScheduleSpend] = [:]
    }

    /// How long computed prices are used.
    public static let refreshEvery: TimeInterval = 300
    private let state: Locked<State>

    /// Creates an empty board.
    public init(plan: Plan) {
        state = Locked(State(plan: plan))
    }

    /// Puts an account in (or updates what it has learned) at `now`; nil takes it out.
    public func update(_ id: AccountID, rhythm: PostingRhythm?, now: Date) {
        state.withLock { state in
            if let rhythm {
                state.budgets[id.platform, default: ScheduleBudget()].update(id, rhythm: rhythm, now: now)
            } else {
                state.budgets[id.platform]?.remove(id)
            }
        }
    }

    /// The prices for `platform`'s accounts at `now`, corrected by what the syncs cost.
    /// - Parameter recordingSync: Counts a sync at `now` first, whatever asked for it (the
    ///   schedule, a webhook, an operator): they all spend the same calls.
    public func prices(for platform: Platform, now: Date, recordingSync: Bool = false) -> SchedulePrices {
        state.withLock { state in
            let base = Self.basePrices(&state, platform, now: now)
            if recordingSync {
                state.spend[platform, default: ScheduleSpend()].record(at: now, expectedCalls: base.expectedCalls)
            } else {
                state.spend[platform, default: ScheduleSpend()].roll(to: now, expectedCalls: base.expectedCalls)
            }
            return base.scaled(by: state.spend[platform]?.factor ?? 1)
        }
    }

    private static func basePrices(_ state: inout State, _ platform: Platform, now: Date) -> SchedulePrices {
        if let cached = state.prices[platform], abs(now.timeIntervalSince(cached.at)) < refreshEvery {
            return cached.prices
        }
        let plan = state.plan
        let prices = (state.budgets[platform] ?? ScheduleBudget()).prices(
            interval: plan.interval, limits: plan.limits,
            callsPerMinute: platform == .tiktok ? plan.tiktokCallsPerMinute : nil)
        state.prices[platform] = (prices, now)
        return prices
    }

    /// New settings (SIGHUP): prices are recomputed on the next ask.
    public func reconfigure(_ plan: Plan) {
        state.withLock { state in
            guard state.plan != plan else { return }
            state.plan = plan
            state.prices = [:]
        }
    }

    /// Each platform's last budget ratio (`postsync_schedule_budget_ratio`).
    public func budgetRatios(now: Date) -> [Platform: Double] {
        state.withLock { state in
            var ratios: [Platform: Double] = [:]
            for platform in Platform.allCases { ratios[platform] = Self.basePrices(&state, platform, now: now).budgetRatio }
            return ratios
        }
    }
}
