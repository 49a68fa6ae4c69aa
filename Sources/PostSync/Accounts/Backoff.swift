/// Exponential backoff with full jitter, bounded by `backoff.min` and `backoff.max`
/// (reference/anchors.md B.2): the n-th failure in a row waits a uniformly random time between
/// `min` and `min(max, min × 2ⁿ⁻¹)`. Spreading retries this way keeps many failing accounts from
/// retrying in lockstep.
public struct Backoff: Sendable, Equatable {
    /// The shortest wait.
    public var min: Duration
    /// The longest wait.
    public var max: Duration

    /// Creates a policy.
    public init(min: Duration, max: Duration) {
        self.min = min
        self.max = max
    }

    /// The upper bound of the wait after `failures` failures in a row (≥ 1).
    public func ceiling(failures: Int) -> Duration {
        let exponent = Swift.min(Swift.max(failures - 1, 0), 40)
        let grown = min.seconds * Double(1 << UInt64(exponent))
        return .seconds(Swift.min(max.seconds, Swift.max(min.seconds, grown)))
    }

    /// A random wait for the given failure count.
    public func delay(failures: Int, using random: inout some RandomNumberGenerator) -> Duration {
        let low = min.seconds
        let high = ceiling(failures: failures).seconds
        guard high > low else { return .seconds(low) }
        return .seconds(Double.random(in: low...high, using: &random))
    }
}
