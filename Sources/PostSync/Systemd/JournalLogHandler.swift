import Foundation
import Logging

#if canImport(Glibc)
// Under MemberImportVisibility the members of C structs such as `stat` are attributed to the
// first clang module that declares them, which on Linux is Dispatch's C module.
import CDispatch
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A swift-log handler that writes one human-readable line per message to stderr.
///
/// Under systemd (stderr connected to journald, `$JOURNAL_STREAM` set) each line starts with
/// its syslog priority, `<3>` error and critical, `<4>` warning, `<5>` notice, `<6>` info,
/// `<7>` debug and trace, which journald turns into the entry's priority (`journalctl -p`); the
/// timestamp is left out because journald records its own:
///
///     <4>warning postsync: token refresh failed account=instagram:1784 attempt=2
///
/// Elsewhere the line starts with an RFC 3339 UTC timestamp:
///
///     2026-11-29T01:02:03.456Z warning postsync: token refresh failed account=instagram:1784 attempt=2
///
/// Metadata is sorted by key; a value with white space, quotes or `=` is quoted. Line breaks
/// in messages and values are escaped, so one record is always one journal entry. A `Secret`
/// in metadata prints as `<redacted>` (its own description). Each line is one `write(2)`, so
/// lines from concurrent tasks never interleave.
public struct JournalLogHandler: LogHandler {
    /// The logger's label, printed before the message.
    public let label: String
    /// Whether lines carry syslog priority prefixes instead of timestamps.
    public let journal: Bool
    /// Messages below this level are dropped (by `Logger`, before they reach the handler).
    public var logLevel: Logger.Level
    /// Metadata attached to every message of this logger.
    public var metadata: Logger.Metadata = [:]
    /// Contributes metadata (e.g. task-local values) to every message.
    public var metadataProvider: Logger.MetadataProvider?
    /// Where lines go (stderr unless a test says otherwise).
    private let fileDescriptor: Int32

    /// Creates a handler.
    /// - Parameters:
    ///   - label: The logger's label.
    ///   - journal: True when stderr goes to journald (see `stderrIsJournal(environment:)`).
    ///   - logLevel: The lowest level written.
    ///   - metadataProvider: Extra metadata for every message.
    ///   - fileDescriptor: The descriptor to write to; stderr by default.
    public init(
        label: String, journal: Bool, logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil, fileDescriptor: Int32 = STDERR_FILENO
    ) {
        self.label = label
        self.journal = journal
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
        self.fileDescriptor = fileDescriptor
    }

    /// One metadata value of this logger.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats the event and writes it as one line. Explicit metadata wins over the provider's,
    /// which wins over the logger's own, as in swift-log's `StreamLogHandler`.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { $1 }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { $1 }
        }
        if let error = event.error {
            merged["error"] = "\(error)"
        }
        // A documented edge: a log line carries the wall-clock time it was written at, whatever
        // clock the daemon's logic runs on (swift-log hands handlers no clock).
        let text = Self.format(
            level: event.level, label: label, message: event.message.description, metadata: merged,
            journal: journal, date: Date())
        Self.writeLine(text + "\n", to: fileDescriptor)
    }

    /// Whether stderr is the journal stream systemd set up: `$JOURNAL_STREAM` (`device:inode`)
    /// names the same file as file descriptor 2. Comparing, not just checking that the variable
    /// exists, keeps priority prefixes out of a file that a wrapper redirected stderr to.
    /// - Parameter environment: The process environment.
    public static func stderrIsJournal(environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// The syslog priority journald reads from a `<N>` line prefix (`sd-daemon(3)`).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical, .error: return 3
        case .warning: return 4
        case .notice: return 5
        case .info: return 6
        case .debug, .trace: return 7
        }
    }

    /// One log line without its final newline (pure, for tests).
    /// - Parameters:
    ///   - level: The message's level.
    ///   - label: The logger's label.
    ///   - message: The message text.
    ///   - metadata: All metadata of the message, merged.
    ///   - journal: Priority prefix instead of a timestamp.
    ///   - date: The time printed when not `journal`.
    public static func format(
        level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, journal: Bool, date: Date
    ) -> String {
        var line = journal ? "<\(priority(level))>" : Timestamp.format(date) + " "
        line += "\(level.rawValue) \(label): \(escapeLineBreaks(message))"
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            line += " \(key)=\(quoted(value.description))"
        }
        return line
    }

    /// `value` as is, or in double quotes (with `\` and `"` escaped) when it is empty or
    /// contains white space, a quote or `=`, so that `key=value` pairs split unambiguously.
    static func quoted(_ value: String) -> String {
        let escaped = escapeLineBreaks(value)
        let needsQuotes = escaped.isEmpty || escaped.contains { $0.isWhitespace || $0 == "\"" || $0 == "=" }
        guard needsQuotes else { return escaped }
        var result = "\""
        for character in escaped {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result + "\""
    }

    /// `text` with CR and LF written as `\r` and `\n`: a raw line break would split the record
    /// into two journal entries, the second without a priority.
    static func escapeLineBreaks(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Writes all of `text` to `fd`: one `write(2)` unless the kernel takes less (a line up to
    /// PIPE_BUF bytes on a pipe always goes whole), retrying after EINTR. Errors are dropped;
    /// logging must never take the daemon down.
    static func writeLine(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
