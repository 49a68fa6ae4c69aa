import Foundation
import Testing

@testable import PostSync

@Suite struct SlidingWindowTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)

    /// `seconds` after `start`.
    func at(_ seconds: TimeInterval) -> Date { start.addingTimeInterval(seconds) }

    /// Should let `limit` calls through at once and make the next one wait for the oldest to leave.
    @Test func exactlyAtTheLimit() {
        var window = SlidingWindow(limit: 3, window: 60)
        #expect(window.reserve(now: at(0), maxWait: 60) == .go)
        #expect(window.reserve(now: at(10), maxWait: 60) == .go)
        #expect(window.reserve(now: at(20), maxWait: 60) == .go)
        #expect(window.reserve(now: at(30), maxWait: 60) == .wait(until: at(60)))
    }

    /// Should free a slot exactly `window` after its grant, not a moment earlier.
    @Test func windowEdge() {
        var full = SlidingWindow(limit: 1, window: 60)
        #expect(full.reserve(now: at(0), maxWait: 0) == .go)
        var justBefore = full
        #expect(justBefore.reserve(now: at(59.5), maxWait: 60) == .wait(until: at(60)))
        var onTheEdge = full
        #expect(onTheEdge.reserve(now: at(60), maxWait: 0) == .go)
    }

    /// Should queue callers behind the slots reserved by earlier waiters instead of handing out one
    /// slot twice.
    @Test func waitersQueueUp() {
        var window = SlidingWindow(limit: 2, window: 60)
        #expect(window.reserve(now: at(0), maxWait: 300) == .go)
        #expect(window.reserve(now: at(0), maxWait: 300) == .go)
        #expect(window.reserve(now: at(1), maxWait: 300) == .wait(until: at(60)))
        #expect(window.reserve(now: at(1), maxWait: 300) == .wait(until: at(60)))
        #expect(window.reserve(now: at(1), maxWait: 300) == .wait(until: at(120)))
    }

    /// Should sleep for a wait of exactly `maxWait` and refuse a longer one, recording nothing.
    @Test func maxWaitBoundary() {
        var window = SlidingWindow(limit: 1, window: 60)
        #expect(window.reserve(now: at(0), maxWait: 0) == .go)
        let before = window
        #expect(window.reserve(now: at(50), maxWait: 9.5) == .refuse(after: 10))
        #expect(window == before, "a refusal reserves no slot")
        #expect(window.reserve(now: at(50), maxWait: 10) == .wait(until: at(60)))
        #expect(window.reserve(now: at(50), maxWait: 10) == .refuse(after: 70))
    }

    /// Should be back to full capacity once a whole window has passed after the last grant.
    @Test func recoversAfterTheWindow() {
        var window = SlidingWindow(limit: 3, window: 60)
        for _ in 0..<3 { #expect(window.reserve(now: at(0), maxWait: 0) == .go) }
        #expect(window.reserve(now: at(0), maxWait: 0) == .refuse(after: 60))
        for _ in 0..<3 { #expect(window.reserve(now: at(61), maxWait: 0) == .go) }
        #expect(window.reserve(now: at(61), maxWait: 0) == .refuse(after: 60))
    }

    /// Should hold every call until a pause ends, and keep the longer of two pauses.
    @Test func pause() {
        var window = SlidingWindow(limit: 600, window: 60)
        window.pause(until: at(60))
        window.pause(until: at(30))
        #expect(window.reserve(now: at(0), maxWait: 0) == .refuse(after: 60))
        #expect(window.reserve(now: at(10), maxWait: 60) == .wait(until: at(60)))
        #expect(window.reserve(now: at(60), maxWait: 0) == .go)
    }

    /// Should treat a limit below one as one call per window.
    @Test func limitOfAtLeastOne() {
        var window = SlidingWindow(limit: 0, window: 60)
        #expect(window.limit == 1)
        #expect(window.reserve(now: at(0), maxWait: 0) == .go)
        #expect(window.reserve(now: at(0), maxWait: 0) == .refuse(after: 60))
    }
}
