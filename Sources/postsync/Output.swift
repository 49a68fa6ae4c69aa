import Foundation
import PostSync

/// Writes to standard output without stdio buffering, so that `postsync logs -f | jq` sees each
/// line at once, and decodes answers of the daemon.
enum Output {
    /// The style of standard output: colours only on a terminal without `NO_COLOR`.
    static var style: TerminalStyle {
        TerminalStyle.detect(fileDescriptor: 1, environment: ProcessInfo.processInfo.environment)
    }

    /// Writes `text` and a newline.
    static func line(_ text: String) {
        write(Data((text + "\n").utf8))
    }

    /// Writes an answer's JSON body exactly as received, plus a newline if it has none.
    static func json(_ body: Data) {
        var data = body
        if data.last != 0x0A { data.append(0x0A) }
        write(data)
    }

    /// Writes bytes to standard output. A closed pipe (`postsync logs | head`) ends the program
    /// quietly; any other write failure ends it with a message.
    static func write(_ data: Data) {
        do {
            try FileHandle.standardOutput.write(contentsOf: data)
        } catch {
            if errno != EPIPE { printError("postsync: cannot write to standard output: \(error)") }
            exit(1)
        }
    }

    /// Decodes an answer of the daemon.
    /// - Throws: `OperationFailure` when it is not the expected shape (a daemon of another version).
    static func decode<T: Decodable>(_ type: T.Type, from body: Data) throws -> T {
        do {
            return try JSONCoding.decoder().decode(type, from: body)
        } catch {
            throw OperationFailure(message: "unexpected answer from the daemon (another version?): \(error)")
        }
    }
}
