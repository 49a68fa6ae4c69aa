/// Decayed counts by hour of the week, kept sparse: an account posts in a few of the 168 hours,
/// and a dense array of 168 floats cost 0.7 KB for every account, most of it zeros.
///
/// Reads as the dense array did (an hour without an entry counts 0), and sums and walks the
/// hours in the same ascending order, so every figure computed from it is bit for bit the one
/// the dense array gave.
struct HourlyCounts: Sendable {
    private struct Entry: Sendable, Equatable {
        var hour: UInt8
        var value: Float
    }

    /// The hours with a count, ascending.
    private var entries: [Entry] = []

    /// No counts at all.
    init() {}

    /// The count of `hour` (0 when it has none).
    subscript(hour: Int) -> Float {
        get {
            guard let index = index(of: hour) else { return 0 }
            return entries[index].value
        }
        set {
            if let index = index(of: hour) {
                entries[index].value = newValue
            } else if newValue != 0 {
                let at = entries.firstIndex { Int($0.hour) > hour } ?? entries.count
                entries.insert(Entry(hour: UInt8(hour), value: newValue), at: at)
            }
        }
    }

    /// Multiplies every count by `factor` (decay).
    mutating func scale(by factor: Float) {
        for index in entries.indices { entries[index].value *= factor }
    }

    /// The sum of the counts, hour by hour.
    var total: Double {
        entries.reduce(0.0) { $0 + Double($1.value) }
    }

    /// All 168 counts.
    var dense: [Float] {
        var counts = [Float](repeating: 0, count: HourOfWeek.count)
        for entry in entries { counts[Int(entry.hour)] = entry.value }
        return counts
    }

    private func index(of hour: Int) -> Int? {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            let found = Int(entries[middle].hour)
            if found == hour { return middle }
            if found < hour { low = middle + 1 } else { high = middle }
        }
        return nil
    }
}

extension HourlyCounts: Equatable {
    /// Equal when every hour has the same count (an hour whose count decayed to zero equals one
    /// that never had one, as in the dense array).
    static func == (lhs: HourlyCounts, rhs: HourlyCounts) -> Bool {
        lhs.entries.filter { $0.value != 0 } == rhs.entries.filter { $0.value != 0 }
    }
}

extension HourlyCounts: Sequence {
    /// The hours that have a count, ascending, with their counts.
    func makeIterator() -> some IteratorProtocol<(hour: Int, value: Float)> {
        entries.lazy.map { (hour: Int($0.hour), value: $0.value) }.makeIterator()
    }
}
