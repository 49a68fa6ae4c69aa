import Synchronization

/// A thread-safe list of what concurrent tasks did, in the order they did it. Tests of concurrent
/// code record outcomes in one and poll it with `eventually` instead of sleeping.
public final class Recorder<Value: Sendable>: Sendable {
    private let items = Mutex<[Value]>([])

    /// Creates an empty recorder.
    public init() {}

    /// Adds a value at the end.
    public func append(_ value: Value) {
        items.withLock { $0.append(value) }
    }

    /// Everything recorded so far, oldest first.
    public var values: [Value] { items.withLock { $0 } }

    /// How many values were recorded.
    public var count: Int { items.withLock { $0.count } }
}
