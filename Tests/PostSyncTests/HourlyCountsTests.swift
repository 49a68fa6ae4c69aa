import Testing

@testable import PostSync

/// The sparse hourly counts of the posting rhythm must read, sum and walk exactly as the dense
/// array of 168 floats they replaced (the schedule's figures are deterministic for a seed).
@Suite struct HourlyCountsTests {
    /// Should agree with a dense model, bit for bit, over random adds, decays and overwrites.
    @Test func matchesADenseArray() {
        var random = SplitMix64(seed: 42)
        for _ in 0..<50 {
            var sparse = HourlyCounts()
            var dense = [Float](repeating: 0, count: HourOfWeek.count)
            for _ in 0..<Int.random(in: 1...120, using: &random) {
                let hour = Int.random(in: 0..<HourOfWeek.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0:
                    let factor = Float.random(in: 0.5...1, using: &random)
                    sparse.scale(by: factor)
                    for index in dense.indices { dense[index] *= factor }
                case 1:
                    let value = Float.random(in: 0...3, using: &random)
                    sparse[hour] = value
                    dense[hour] = value
                default:
                    let value = Float.random(in: 0...1, using: &random)
                    sparse[hour] += value
                    dense[hour] += value
                }
            }
            #expect(sparse.dense == dense)
            #expect(sparse.total == dense.reduce(0.0) { $0 + Double($1) })
            for hour in 0..<HourOfWeek.count { #expect(sparse[hour] == dense[hour]) }
            var walked: [Int] = []
            for (hour, value) in sparse {
                walked.append(hour)
                #expect(value == dense[hour])
            }
            #expect(walked == walked.sorted())
            #expect(Set(walked).isSuperset(of: dense.indices.filter { dense[$0] != 0 }))
        }
    }

    /// Should hold only the hours that have a count: an hour set to zero is no entry, and an
    /// hour whose count decayed to zero equals one that never had a count.
    @Test func zerosAreNoEntries() {
        var counts = HourlyCounts()
        counts[5] = 0
        #expect(counts == HourlyCounts())
        counts[5] = 1
        counts[160] = 2
        #expect(counts != HourlyCounts())
        counts.scale(by: 0)
        #expect(counts == HourlyCounts())
        #expect(counts.total == 0)
    }
}
