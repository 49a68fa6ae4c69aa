import Foundation
import PostSync

/// Prints SyncLog entries for `postsync logs`: the raw JSON line with `--json` (exactly what the
/// daemon or the file gave), else the human line. Buffers when not following, so that printing a
/// large log does not make one system call per line.
final class LogPrinter {
    private let json: Bool
    private let buffered: Bool
    private let style: TerminalStyle
    private let timeZone = TimeZone.current
    private var buffer = Data()

    /// Creates a printer; `buffered: false` writes every line at once (for `-f`).
    init(json: Bool, buffered: Bool, style: TerminalStyle) {
        self.json = json
        self.buffered = buffered
        self.style = style
    }

    /// Prints one entry; `line` is its JSON text as received.
    func print(_ entry: SyncLogEntry, line: Data) {
        if json {
            buffer.append(line)
            buffer.append(0x0A)
        } else {
            buffer.append(contentsOf: (LogLine.render(entry, style: style, timeZone: timeZone) + "\n").utf8)
        }
        if !buffered || buffer.count >= 1 << 16 { flush() }
    }

    /// Writes what is buffered.
    func flush() {
        guard !buffer.isEmpty else { return }
        Output.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
