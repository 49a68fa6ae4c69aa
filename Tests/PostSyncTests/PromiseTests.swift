import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

@Suite(.timeLimit(.minutes(1))) struct PromiseTests {
    /// Should wake every waiter with the value.
    @Test func wakesEveryWaiter() async throws {
        let promise = Promise<Int>()
        let received = Recorder<Int>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { received.append(await promise.value) } }
            try await eventually("three waiters") { promise.waiterCount == 3 }
            #expect(received.count == 0)
            promise.fulfill(7)
            try await eventually("every waiter has the value") { received.count == 3 }
        }
        #expect(received.values == [7, 7, 7])
        #expect(promise.waiterCount == 0)
    }

    /// Should keep the first value: a second `fulfill` changes nothing for waiters or later readers.
    @Test func firstValueWins() async throws {
        let promise = Promise<String>()
        let received = Recorder<String>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { received.append(await promise.value) }
            try await eventually("a waiter") { promise.waiterCount == 1 }
            promise.fulfill("first")
            promise.fulfill("second")
            try await eventually("the waiter has the value") { received.count == 1 }
        }
        #expect(received.values == ["first"])
        #expect(await promise.value == "first")
    }

    /// Should answer at once when already fulfilled.
    @Test func valueAfterFulfil() async {
        let promise = Promise<Int>()
        promise.fulfill(1)
        promise.fulfill(2)
        #expect(await promise.value == 1)
        #expect(await promise.value == 1)
        #expect(promise.waiterCount == 0)
    }
}
