import Foundation
import Testing

@testable import PostSync

@Suite struct TimestampTests {
    /// Should format UTC with milliseconds and parse it back to the same text.
    @Test(arguments: [
        "2026-11-29T01:02:03.456Z", "1999-12-31T23:59:59.999Z", "2024-02-29T00:00:00.000Z", "1969-07-20T20:17:40.001Z",
        "0999-01-02T03:04:05.060Z",
    ])
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
    @Test(arguments: [
        "", "yesterday", "2021-13-01T00:00:00Z", "2021-08-13T08:25:28", "2021-08-13T08:25:28+00", "2021-08-13T08:25:28.Z",
        "2021-08-13T08:25:28Zjunk",
    ])
    func rejects(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    /// Should refuse a day the month does not have instead of rolling it over into the next month.
    @Test(arguments: [
        "2021-02-31T00:00:00Z", "2021-02-29T12:00:00Z", "1900-02-29T00:00:00Z", "2100-02-29T00:00:00+0000",
        "2021-04-31T00:00:00Z", "2021-06-31T00:00:00Z", "2021-09-31T00:00:00.000Z", "2021-11-31T00:00:00Z",
        "2021-01-32T00:00:00Z", "2021-01-00T00:00:00Z",
    ])
    func rejectsDaysTheMonthLacks(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    /// Should accept the last day of every month, 29 February in leap years included.
    @Test(arguments: [
        ("2021-01-31", 1_612_051_200), ("2021-02-28", 1_614_470_400), ("2024-02-29", 1_709_164_800),
        ("2000-02-29", 951_782_400), ("2021-03-31", 1_617_148_800), ("2021-04-30", 1_619_740_800),
        ("2021-05-31", 1_622_419_200), ("2021-06-30", 1_625_011_200), ("2021-07-31", 1_627_689_600),
        ("2021-08-31", 1_630_368_000), ("2021-09-30", 1_632_960_000), ("2021-10-31", 1_635_638_400),
        ("2021-11-30", 1_638_230_400), ("2021-12-31", 1_640_908_800),
    ])
    func acceptsLastDays(day: String, seconds: Int) {
        #expect(Timestamp.parse("\(day)T00:00:00Z") == Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// Should write a year without four digits as its plain number.
    @Test func yearsBeyondFourDigits() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 253_402_300_800)) == "10000-01-01T00:00:00.000Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -62_198_755_200)) == "-1-01-01T00:00:00.000Z")
    }

    /// Should read the date-time separators RFC 3339 allows besides `T` (a lower-case `t`, a space).
    @Test func otherSeparators() {
        #expect(Timestamp.parse("2021-08-13t08:25:28Z") == Date(timeIntervalSince1970: 1_628_843_128))
        #expect(Timestamp.parse("2021-08-13 08:25:28Z") == Date(timeIntervalSince1970: 1_628_843_128))
        #expect(Timestamp.parse("2021-08-13_08:25:28Z") == nil)
    }
}
