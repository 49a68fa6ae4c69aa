import Foundation
import Testing

@testable import PostSync

/// The compact post-time map must read and write exactly as the `[String: Date]` it replaced,
/// for numeric ids and for any other id a platform may send.
@Suite struct PostTimesTests {
    /// Ids of every kind: numeric (both platforms), and ones that must stay strings.
    static let ids = [
        "7179516503000000156", "7179496449500000157", "17841400000000025", "18000000000000001", "0", "1", "42",
        "007", "-5", "+5", "12a", "", "abc", "18446744073709551615", "18446744073709551616", "99999999999999999999",
        "٣", "１２",
    ]

    /// Should agree with a dictionary over random sets, removals and prunes.
    @Test func matchesADictionary() {
        var random = SplitMix64(seed: 7)
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        for _ in 0..<200 {
            var compact = PostTimes()
            var model: [String: Date] = [:]
            for _ in 0..<Int.random(in: 1...60, using: &random) {
                let id = Self.ids[Int.random(in: 0..<Self.ids.count, using: &random)]
                switch Int.random(in: 0..<6, using: &random) {
                case 0:
                    compact[id] = nil
                    model[id] = nil
                case 1:
                    let start = base.addingTimeInterval(Double(Int.random(in: 0...50, using: &random)))
                    compact.removeAll(before: start)
                    model = model.filter { $0.value >= start }
                default:
                    // Few distinct times, so that ties in the newest-first order are common.
                    let time = base.addingTimeInterval(Double(Int.random(in: 0...50, using: &random)))
                    compact[id] = time
                    model[id] = time
                }
                for id in Self.ids { #expect(compact[id] == model[id], "\(id)") }
            }
            #expect(compact.count == model.count)
            #expect(compact.dictionary == model)
            #expect(compact == PostTimes(model))
            #expect(compact.idsNewestFirst() == model.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.map(\.key))
        }
    }

    /// An id that does not read back as the same number is kept as it came.
    @Test func keepsIdsThatAreNotPlainNumbersAsStrings() {
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        let times: PostTimes = ["007": time, "7": time.addingTimeInterval(1), "18446744073709551616": time]
        #expect(times["007"] == time)
        #expect(times["7"] == time.addingTimeInterval(1))
        #expect(times["18446744073709551616"] == time)
        #expect(times.count == 3)
        #expect(times.idsNewestFirst() == ["7", "18446744073709551616", "007"])
        #expect(PostTimes(["7": time]) != PostTimes(["07": time]))
        #expect(PostTimes(["7": time]) != PostTimes(["7": time.addingTimeInterval(1)]))
        #expect(PostTimes(["x": time]) != PostTimes(["x": time, "8": time]))
    }
}
