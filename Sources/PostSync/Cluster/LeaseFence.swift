/// What a fenced write carries (CONTRACT section 10): the writing daemon and the lease epoch it
/// claimed the account with. The database refuses the write once the account's row names another
/// owner or a newer epoch, so a daemon that was paused past its lease cannot write when it wakes.
public struct LeaseFence: Sendable, Hashable, CustomStringConvertible {
    /// The daemon's node id.
    public var node: String
    /// `accounts.lease_epoch` when this daemon claimed the account.
    public var epoch: Int64

    /// Creates a fence.
    public init(node: String, epoch: Int64) {
        self.node = node
        self.epoch = epoch
    }

    /// `node@epoch`.
    public var description: String { "\(node)@\(epoch)" }
}

/// How saving a refreshed token pair by compare-and-swap ended (`Store.saveRotatedTokens`).
public enum RotationSave: Sendable, Equatable {
    /// Saved. `stillHeld` is false when the fence no longer matched: the pair is stored all the
    /// same (the platform made it the only valid one), and the holder must be told to use it.
    case saved(stillHeld: Bool)
    /// Not saved: the stored pair is no longer the one the refresh replaced (an operator or
    /// another daemon stored a newer one, which wins).
    case superseded
}
