#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether and how the CLI colours its output: ANSI colours only on a terminal, and never when
/// `NO_COLOR` is set (https://no-color.org) or `TERM=dumb`.
public struct TerminalStyle: Sendable, Equatable {
    /// What a piece of text means, which decides its colour.
    public enum Tone: Sendable, Equatable {
        /// Healthy: success, idle, auto-sync on (green).
        case good
        /// Needs a look but not broken: partial, backoff, paused (yellow).
        case warning
        /// Broken: error, needs_reauth, quarantined, expired (red).
        case bad
        /// In progress: syncing (cyan).
        case active
        /// Secondary detail (dim).
        case muted
    }

    /// Whether escape codes are written at all.
    public var colored: Bool

    /// Creates a style.
    public init(colored: Bool) {
        self.colored = colored
    }

    /// No escape codes ever (pipes, files, tests).
    public static let plain = TerminalStyle(colored: false)

    /// Whether to colour: only on a terminal, not when `NO_COLOR` is set to anything non-empty,
    /// and not on a `dumb` terminal.
    public static func useColor(isTTY: Bool, environment: [String: String]) -> Bool {
        guard isTTY else { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return true
    }

    /// The style for a file descriptor (standard output by default) in the given environment.
    public static func detect(fileDescriptor: Int32 = 1, environment: [String: String]) -> TerminalStyle {
        TerminalStyle(colored: useColor(isTTY: isatty(fileDescriptor) == 1, environment: environment))
    }

    /// `text` wrapped in the tone's colour, or unchanged when not coloured or `tone` is nil.
    public func paint(_ text: String, _ tone: Tone?) -> String {
        guard colored, let tone, !text.isEmpty else { return text }
        let code: String
        switch tone {
        case .good: code = "32"
        case .warning: code = "33"
        case .bad: code = "31"
        case .active: code = "36"
        case .muted: code = "2"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// The tone of a sync run's status.
    public static func tone(for status: SyncStatus) -> Tone {
        switch status {
        case .success: return .good
        case .partial: return .warning
        case .error: return .bad
        }
    }

    /// The tone of an account's state.
    public static func tone(for state: AccountState) -> Tone {
        switch state {
        case .idle: return .good
        case .syncing: return .active
        case .backoff, .paused: return .warning
        case .needsReauth, .quarantined: return .bad
        }
    }

    /// `text` with control characters (newlines, tabs, escape sequences) replaced by spaces, so
    /// that a caption or an error message can neither break a table row nor drive the terminal.
    public static func sanitized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(isControl(scalar) ? " " : scalar)
        }
        return String(out)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
