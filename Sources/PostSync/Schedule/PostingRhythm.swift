import Foundation

/// What the adaptive schedule has learned about one account (CONTRACT section 12): when it posts
/// (a decaying count of publications by hour of the week, against the hours it was watched), how
/// excited it is right now (a burst or a webhook hint), and its young posts, whose metrics move.
///
/// Pure and small (a few hundred bytes): it only changes through `observe` and `hint`, which
/// take `now`, so a simulated week runs in seconds. Persisted as `text` (both stores), so a
/// restart keeps what was learned.
public struct PostingRhythm: Sendable, Equatable {
    /// How fast old evidence fades: a post three weeks ago counts half as much as one today.
    static let halfLife: TimeInterval = 21 * 86_400
    /// The prior of an account with no history: one post a day, worth one day of watching.
    static let priorPosts = 1.0
    static let priorHours = 24.0
    /// Pseudo-hours of the shrinkage: an hour of the day leans on the account's daily rate, an
    /// hour of the week on its hour of the day, until enough of that hour was watched.
    static let dayPseudoHours = 6.0
    static let weekPseudoHours = 3.0
    /// The first sync's history is read back at most this far.
    static let historyLimit: TimeInterval = 8 * 7 * 86_400
    /// A new post raises the rate by this much (posts per hour), fading with `excitationTime`:
    /// posts come in bursts, and a fresh post's metrics move fastest.
    static let postExcitation = 0.3
    /// A webhook hint (a comment, a mention: someone is active there now).
    static let hintExcitation = 0.3
    static let excitationTime: TimeInterval = 5_400
    static let maxExcitation = 2.0
    /// Each young post counts as this many posts per hour while its metrics move (fading over
    /// `youngTime`), so accounts with fresh posts are synced a little more often.
    static let youngWeight = 0.02
    static let youngTime: TimeInterval = 12 * 3_600
    /// Posts younger than this are young (their metrics are what users watch).
    public static let youngAge: TimeInterval = 48 * 3_600
    static let maxYoung = 8

    /// Decayed publications per hour of the week (UTC).
    var counts: HourlyCounts
    /// Decayed hours this account was watched.
    var exposure: Double
    /// When `counts` and `exposure` were last brought up to date; nil: never synced.
    var updatedAt: Date?
    /// The newest publication seen: only later ones are new evidence.
    var newest: Date?
    /// Extra posts per hour at `excitedAt`, fading.
    var excitation: Double
    var excitedAt: Date?
    /// How often a sync with young posts found their metrics changed (0…1, moving average).
    var motion: Double
    /// Publication times of the posts younger than `youngAge` (at most `maxYoung`).
    var young: [Date]

    /// An account nothing is known about yet: the prior.
    public init() {
        counts = HourlyCounts()
        exposure = 0
        excitation = 0
        motion = 1
        young = []
    }

    /// The learned posting rate, in posts per day (CONTRACT `postsPerDay`, rounded to 0.01).
    public var postsPerDay: Double {
        let total = counts.total
        let perHour = (total + Self.priorPosts) / (exposure + Self.priorHours)
        return (perHour * 24 * 100).rounded() / 100
    }

    /// Whether anything was learned yet.
    public var isPrior: Bool { updatedAt == nil }

    // MARK: - Learning

    /// Takes in what one successful sync saw at `now`: the publication times of the posts it
    /// returned (only those newer than any seen before are new evidence; the first sync's are
    /// the account's history) and how many already stored posts changed.
    public mutating func observe(_ observation: SyncObservation, now: Date) {
        let tau = Self.halfLife / log(2)
        if let updatedAt {
            let elapsed = max(0, now.timeIntervalSince(updatedAt))
            let decay = exp(-elapsed / tau)
            if decay < 1 {
                let factor = Float(decay)
                counts.scale(by: factor)
            }
            exposure = exposure * decay + tau * (1 - decay) / 3_600
        } else {
            // The first sync: the posts it returned are the history, watched since the oldest.
            let oldest = observation.publications.filter { now.timeIntervalSince($0) <= Self.historyLimit }.min()
            let span = oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0
            exposure = tau * (1 - exp(-span / tau)) / 3_600
        }
        if !young.isEmpty {
            let moved = observation.changedPosts > 0 ? 1.0 : 0.0
            motion = 0.8 * motion + 0.2 * moved
        }
        let first = updatedAt == nil
        updatedAt = now
        young.removeAll { now.timeIntervalSince($0) >= Self.youngAge }
        for published in observation.publications.sorted() {
            let at = min(published, now)
            let age = now.timeIntervalSince(at)
            guard age <= Self.historyLimit else { continue }
            if let newest, at <= newest { continue }
            newest = at
            counts[HourOfWeek.of(at)] += Float(exp(-age / tau))
            if age < Self.youngAge { young.append(at) }
            // History read by the first sync says when the account posts, not that it is in a
            // burst now; a post found later is fresh news.
            if !first || age < Self.excitationTime { excite(by: Self.postExcitation * exp(-age / Self.excitationTime), now: now) }
        }
        if young.count > Self.maxYoung { young.removeFirst(young.count - Self.maxYoung) }
    }

    /// A webhook said something happened on the account at `now`.
    public mutating func hint(now: Date) {
        excite(by: Self.hintExcitation, now: now)
    }

    private mutating func excite(by amount: Double, now: Date) {
        excitation = min(Self.maxExcitation, excitation(at: now) + amount)
        excitedAt = now
    }

    // MARK: - Reading

    /// The learned rate of each hour of the week (posts per hour), shrunk towards the account's
    /// hour of the day, and that towards its overall rate, where the evidence is thin.
    public func weeklyRates() -> [Double] {
        let total = counts.total
        let mean = (total + Self.priorPosts) / (exposure + Self.priorHours)
        var byHourOfDay = [Double](repeating: 0, count: 24)
        for (hour, value) in counts { byHourOfDay[hour % 24] += Double(value) }
        let counts = self.counts.dense
        var daily = [Double](repeating: 0, count: 24)
        for hour in 0..<24 {
            // People keep a habit give or take an hour: the neighbours count a quarter each.
            let smoothed =
                0.5 * byHourOfDay[hour] + 0.25 * byHourOfDay[(hour + 23) % 24] + 0.25 * byHourOfDay[(hour + 1) % 24]
            daily[hour] = (smoothed + Self.dayPseudoHours * mean) / (exposure / 24 + Self.dayPseudoHours)
        }
        var rates = [Double](repeating: 0, count: HourOfWeek.count)
        let n = HourOfWeek.count
        for hour in 0..<n {
            let smoothed =
                0.5 * Double(counts[hour]) + 0.25 * Double(counts[(hour + n - 1) % n]) + 0.25
                * Double(counts[(hour + 1) % n])
            rates[hour] = (smoothed + Self.weekPseudoHours * daily[hour % 24]) / (exposure / 168 + Self.weekPseudoHours)
        }
        return rates
    }

    /// The value of a sync at `date`, in posts per hour: the learned rate of that hour plus the
    /// excitation and the young posts still moving then.
    /// - Parameter weekly: `weeklyRates()`, computed once per decision.
    public func rate(at date: Date, weekly: [Double]) -> Double {
        var value = weekly[HourOfWeek.of(date)] + excitation(at: date)
        for published in young {
            let age = date.timeIntervalSince(published)
            if age >= 0, age < Self.youngAge { value += Self.youngWeight * motion * exp(-age / Self.youngTime) }
        }
        return value
    }

    func excitation(at date: Date) -> Double {
        guard let excitedAt, excitation > 0 else { return 0 }
        return excitation * exp(-max(0, date.timeIntervalSince(excitedAt)) / Self.excitationTime)
    }
}

/// What one successful sync saw, as far as the schedule learns from it.
public struct SyncObservation: Sendable, Equatable {
    /// Publication times of the posts the run returned.
    public var publications: [Date]
    /// Stored posts whose metrics or fields changed.
    public var changedPosts: Int

    /// Creates an observation.
    public init(publications: [Date] = [], changedPosts: Int = 0) {
        self.publications = publications
        self.changedPosts = changedPosts
    }

    /// A run that saw nothing.
    public static let none = SyncObservation()
}
