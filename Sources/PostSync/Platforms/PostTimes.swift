import Foundation

/// A time for each of an account's posts (post id → time), kept compact: every idle worker holds
/// two of these (TikTok's recent posts, Instagram's insights times), and a `[String: Date]` of
/// 17 TikTok posts cost about 1.9 KB (a hash table of 32 buckets, and each 19-digit id a string
/// on the heap of its own).
///
/// Both platforms' post ids are decimal numbers, so an id that reads back exactly as a `UInt64`
/// is kept as one, with its time, in one array sorted by id: 16 bytes a post. Any other id (a
/// leading zero, letters, too long) is kept as a string, so nothing a platform may send is lost.
/// Reads and writes as the dictionary did.
public struct PostTimes: Sendable, Equatable {
    private struct Entry: Sendable, Equatable {
        var id: UInt64
        var time: Date
    }

    /// Numeric ids, ascending.
    private var entries: [Entry] = []
    /// Every other id (empty, and then no allocation, for both platforms' ids).
    private var others: [String: Date] = [:]

    /// No posts.
    public init() {}

    /// The posts of a dictionary.
    public init(_ times: [String: Date]) {
        for (id, time) in times {
            if let number = Self.number(id) {
                entries.append(Entry(id: number, time: time))
            } else {
                others[id] = time
            }
        }
        entries.sort { $0.id < $1.id }
    }

    /// The number of posts.
    public var count: Int { entries.count + others.count }

    /// The time of a post; nil removes it.
    public subscript(id: String) -> Date? {
        get {
            guard let number = Self.number(id) else { return others[id] }
            let at = insertionIndex(of: number)
            return at < entries.count && entries[at].id == number ? entries[at].time : nil
        }
        set {
            guard let number = Self.number(id) else {
                others[id] = newValue
                return
            }
            let at = insertionIndex(of: number)
            let present = at < entries.count && entries[at].id == number
            switch (present, newValue) {
            case (true, let time?): entries[at].time = time
            case (true, nil): entries.remove(at: at)
            case (false, let time?): entries.insert(Entry(id: number, time: time), at: at)
            case (false, nil): break
            }
        }
    }

    /// Keeps only the posts whose time is `start` or later.
    public mutating func removeAll(before start: Date) {
        entries.removeAll { $0.time < start }
        if !others.isEmpty { others = others.filter { $0.value >= start } }
    }

    /// The ids, newest first; posts of the same time by descending id (as strings compare).
    public func idsNewestFirst() -> [String] {
        var all = entries.map { (id: String($0.id), time: $0.time) }
        all += others.map { (id: $0.key, time: $0.value) }
        return all.sorted { ($0.time, $0.id) > ($1.time, $1.id) }.map(\.id)
    }

    /// Every post, in no particular order.
    public var dictionary: [String: Date] {
        var all = others
        for entry in entries { all[String(entry.id)] = entry.time }
        return all
    }

    /// The id as a number, when the number's decimal form is exactly the id (so that it reads
    /// back unchanged: no sign, no leading zero, no overflow).
    private static func number(_ id: String) -> UInt64? {
        let utf8 = id.utf8
        guard let first = utf8.first, first != UInt8(ascii: "0") || utf8.count == 1, utf8.count <= 20 else {
            return nil
        }
        var value: UInt64 = 0
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }

    /// Where `id` is, or would be inserted.
    private func insertionIndex(of id: UInt64) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].id < id { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

extension PostTimes: ExpressibleByDictionaryLiteral {
    /// The posts of a literal (tests).
    public init(dictionaryLiteral elements: (String, Date)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
}
