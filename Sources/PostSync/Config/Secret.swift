/// A secret from the config (an app secret, a verify token, the cron secret). Printing it in any
/// way (`print`, string interpolation, `dump`, a logger's metadata, a struct that contains it) gives
/// `<redacted>`; only `value` reveals it, so every use of the real text is explicit in the code.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The secret text itself. Never log it.
    public let value: String

    /// Wraps a secret text.
    public init(_ value: String) {
        self.value = value
    }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }

    /// Always `<redacted>`, so `debugPrint` and the default description of containing structs
    /// (which prints children with their debug description) hide it too.
    public var debugDescription: String { "<redacted>" }

    /// No children: `dump()` and other mirror-based printers would otherwise show `value`.
    public var customMirror: Mirror {
        Mirror(self, children: EmptyCollection<Mirror.Child>())
    }
}
