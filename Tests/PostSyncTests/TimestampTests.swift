import Foundation
import Testing

@testable import PostSync

@Suite struct TimestampTests {
    /// Should format UTC with milliseconds and parse it back to the same text.
    @Test(arguments: ["2026-11-29T01:02:03.456Z", "1999-12-31T23:59:59.999Z", "2024-02-29T00:00:00.000Z", "1969-07-20T20:17:40.001Z"])
    func roundTrips(text: String) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(Timestamp.format(date) == text)
    }

    /// Should read the forms the platforms send: Instagram's +0000, offsets with a colon, no fraction.
    @Test func platformForms() {
        #expect(Timestamp.parse("2021-08-13T08:25:28+0000") == Date(timeIntervalSince1970: 1_628_843_128))
        #expect(Timestamp.parse("2021-08-13T10:25:28+02:00") == Date(timeIntervalSince1970: 1_628_843_128))
        #expect(Timestamp.parse("2021-08-13T03:25:28-0500") == Date(timeIntervalSince1970: 1_628_843_128))
        #expect(Timestamp.parse("2021-08-13T08:25:28Z") == Date(timeIntervalSince1970: 1_628_843_128))
    }

    /// Should reject what is not a timestamp.
    @Test(arguments: ["", "yesterday", "2021-13-01T00:00:00Z", "2021-08-13T08:25:28", "2021-08-13T08:25:28+00", "2021-08-13T08:25:28.Z", "2021-08-13T08:25:28Zjunk"])
    func rejects(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}
