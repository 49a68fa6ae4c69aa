import Foundation

/// One insights metric for one kind of media: Meta rejects the whole request with code 100 when
/// one metric does not apply to the media (`views` for some product types, `shares` on some
/// IMAGE posts, `saved` on STORY; reference/updates-2026-12.md).
public struct InsightMetricKey: Sendable, Hashable, CustomStringConvertible {
    /// `IMAGE`, `VIDEO`, `CAROUSEL_ALBUM`, …
    public var mediaType: String
    /// `FEED`, `REELS`, `STORY`, or empty where the login does not tell it.
    public var productType: String
    /// The metric's Graph name (`shares`).
    public var metric: String

    /// Creates a key.
    public init(mediaType: String, productType: String, metric: String) {
        self.mediaType = mediaType
        self.productType = productType
        self.metric = metric
    }

    /// `shares on IMAGE/FEED`.
    public var description: String {
        "\(metric) on \(mediaType)" + (productType.isEmpty ? "" : "/\(productType)")
    }
}

/// What the platform said it does not support, and when (a pure decision type: `now` comes in).
/// A metric found unsupported is not asked for that kind of media again until `recheckAfter` has
/// passed, in case Meta adds it back.
public struct InsightSupportTable: Sendable, Equatable {
    /// When each unsupported metric was last found unsupported.
    public private(set) var unsupported: [InsightMetricKey: Date]
    /// How long a finding holds before the metric is asked again.
    public let recheckAfter: TimeInterval

    /// Creates a table from what the store remembers.
    public init(unsupported: [InsightMetricKey: Date] = [:], recheckAfter: TimeInterval = 7 * 86_400) {
        self.unsupported = unsupported
        self.recheckAfter = recheckAfter
    }

    /// The metrics to ask for a post: `wanted` without those known to be unsupported for its kind.
    public func metrics(
        _ wanted: [String], mediaType: String, productType: String, now: Date
    ) -> [String] {
        wanted.filter { metric in
            guard let since = unsupported[InsightMetricKey(mediaType: mediaType, productType: productType, metric: metric)]
            else { return true }
            return now.timeIntervalSince(since) >= recheckAfter
        }
    }

    /// Records a finding; returns whether it changed the table (then it is persisted).
    public mutating func record(_ key: InsightMetricKey, supported: Bool, now: Date) -> Bool {
        if supported { return unsupported.removeValue(forKey: key) != nil }
        unsupported[key] = now
        return true
    }
}

/// The daemon-wide insights memory shared by every Instagram account's runs, persisted through
/// `persist` (the store's `insight_support` table) so a restart does not ask again.
public actor InsightSupport {
    private var table: InsightSupportTable
    private let persist: @Sendable (InsightMetricKey, Date?) async -> Void

    /// Creates the memory.
    /// - Parameters:
    ///   - table: What the store remembers.
    ///   - persist: Stores a finding (nil: supported again).
    public init(
        table: InsightSupportTable = InsightSupportTable(),
        persist: @escaping @Sendable (InsightMetricKey, Date?) async -> Void = { _, _ in }
    ) {
        self.table = table
        self.persist = persist
    }

    /// The metrics to ask for a post of this kind.
    public func metrics(_ wanted: [String], mediaType: String, productType: String, now: Date) -> [String] {
        table.metrics(wanted, mediaType: mediaType, productType: productType, now: now)
    }

    /// Records what the platform answered for one metric of one kind of media.
    public func record(_ key: InsightMetricKey, supported: Bool, now: Date) async {
        guard table.record(key, supported: supported, now: now) else { return }
        await persist(key, supported ? nil : now)
    }

    /// The current table (tests, status).
    public var snapshot: InsightSupportTable { table }
}
