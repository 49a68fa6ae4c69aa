import Foundation

/// A condition that did not become true in time.
public struct TimedOut: Error, CustomStringConvertible {
    /// What was awaited.
    public var what: String
    /// Creates the error.
    public init(what: String) { self.what = what }
    /// A message.
    public var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds or `timeout` (real time) passes: for effects of other tasks,
/// never a fixed sleep.
/// - Throws: `TimedOut`.
public func eventually(
    _ what: String, timeout: Duration = .seconds(15), _ condition: () async throws -> Bool
) async throws {
    let limit = ContinuousClock.now + timeout
    while ContinuousClock.now < limit {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    if try await condition() { return }
    throw TimedOut(what: what)
}
