import Foundation

/// A config file that cannot be used: unreadable, not YAML, an unknown key or a bad value.
///
/// The description names the offending key so the user can fix the file without guessing:
/// `config: sync.interval: "15x" is not a duration (use 30s, 15m, 6h or 7d)`. Messages never
/// contain the contents of a secret or of a secret file.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, LocalizedError {
    /// The dotted path of the key (`sync.backoff.min`, `instagram.app_secret_file`); empty when the
    /// problem is the file as a whole (unreadable, YAML syntax, top level not a mapping).
    public var key: String
    /// What is wrong, for a human.
    public var message: String

    /// Creates an error about `key` (dotted path, or empty for the whole file).
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    /// `config: <key>: <message>`, or `config: <message>` when no key is involved.
    public var description: String {
        key.isEmpty ? "config: \(message)" : "config: \(key): \(message)"
    }

    /// The same text as `description`, so `localizedDescription` is useful too.
    public var errorDescription: String? { description }
}
