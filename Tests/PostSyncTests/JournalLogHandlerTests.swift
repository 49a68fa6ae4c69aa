import Foundation
import Logging
import Testing

@testable import PostSync

#if canImport(Glibc)
// `stat`'s members are attributed to Dispatch's C module on Linux (MemberImportVisibility).
import CDispatch
import Glibc
#endif

/// The stderr log lines: journald priority prefixes under systemd, timestamps elsewhere.
@Suite struct JournalLogHandlerTests {
    /// The time printed in plain lines: a fraction that binary floating point holds exactly,
    /// so formatting cannot round it.
    static let date = Timestamp.parse("2026-11-29T01:02:03.250Z")!

    /// Should prefix the syslog priority and leave out the timestamp for journald.
    @Test func journalLine() {
        let line = JournalLogHandler.format(
            level: .warning, label: "postsync", message: "token refresh failed",
            metadata: ["attempt": "2", "account": "instagram:1784"], journal: true, date: Self.date)
        #expect(line == "<4>warning postsync: token refresh failed account=instagram:1784 attempt=2")
    }

    /// Should start with the RFC 3339 UTC timestamp (milliseconds) when not under journald.
    @Test func plainLine() {
        let line = JournalLogHandler.format(
            level: .info, label: "postsync", message: "postsync serving", metadata: ["state_dir": "/var/lib/postsync"],
            journal: false, date: Self.date)
        #expect(line == "2026-11-29T01:02:03.250Z info postsync: postsync serving state_dir=/var/lib/postsync")
    }

    /// Should map every level to the priority journald understands.
    @Test func priorities() {
        let expected: [Logger.Level: Int] = [
            .critical: 3, .error: 3, .warning: 4, .notice: 5, .info: 6, .debug: 7, .trace: 7,
        ]
        for (level, priority) in expected {
            #expect(JournalLogHandler.priority(level) == priority, "\(level)")
            let line = JournalLogHandler.format(
                level: level, label: "l", message: "m", metadata: [:], journal: true, date: Self.date)
            #expect(line == "<\(priority)>\(level.rawValue) l: m")
        }
    }

    /// Should quote values with spaces, quotes, `=` or nothing, and keep every record on one
    /// line by escaping line breaks.
    @Test func quotingAndLineBreaks() {
        let line = JournalLogHandler.format(
            level: .error, label: "postsync", message: "sync failed:\nHTTP 500\r\n",
            metadata: [
                "reason": "rate limited", "quote": "say \"hi\"", "empty": "", "pair": "a=b",
                "multi": "one\ntwo", "plain": "x",
            ],
            journal: true, date: Self.date)
        #expect(
            line == #"<3>error postsync: sync failed:\nHTTP 500\r\n empty="" multi=one\ntwo pair="a=b" plain=x "#
                + #"quote="say \"hi\"" reason="rate limited""#)
        #expect(!line.contains("\n"))
    }

    /// Should never print a secret, however it reaches the metadata.
    @Test func secretsStayRedacted() {
        let secret = Secret("hunter2")
        let line = JournalLogHandler.format(
            level: .info, label: "postsync", message: "loaded \(secret)",
            metadata: ["interpolated": "\(secret)", "convertible": .stringConvertible(secret), "nested": ["s": "\(secret)"]],
            journal: false, date: Self.date)
        #expect(!line.contains("hunter2"))
        #expect(line.contains("convertible=<redacted>"))
    }

    /// Should take stderr for the journal only when JOURNAL_STREAM names stderr's device and
    /// inode, not merely because the variable was inherited.
    @Test func journalStreamMustBeStderr() {
        var info = stat()
        #expect(fstat(STDERR_FILENO, &info) == 0)
        let matching = "\(info.st_dev):\(info.st_ino)"
        #expect(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": matching]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: [:]))
    }

    /// Should write whole lines through a Logger: handler, provider and call-site metadata
    /// merged (the call site wins), levels below `logLevel` dropped, one line per record even
    /// from concurrent tasks.
    @Test func writesWholeLinesThroughALogger() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { _ = close(readEnd) }
        let provider = Logger.MetadataProvider { ["request": "r1", "source": "provider"] }
        var logger = Logger(label: "postsync") { label in
            JournalLogHandler(
                label: label, journal: true, logLevel: .info, metadataProvider: provider, fileDescriptor: writeEnd)
        }
        logger[metadataKey: "component"] = "supervisor"
        logger.debug("not shown")
        logger.info("ready", metadata: ["source": "call"])
        let shared = logger
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for index in 0..<50 { shared.notice("tick", metadata: ["task": "\(task)", "index": "\(index)"]) }
                }
            }
        }
        _ = close(writeEnd)

        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            output += buffer[..<count]
        }
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        #expect(lines.first == "<6>info postsync: ready component=supervisor request=r1 source=call")
        let ticks = lines.dropFirst().dropLast()
        #expect(ticks.count == 200)
        #expect(
            ticks.allSatisfy { $0.hasPrefix("<5>notice postsync: tick component=supervisor index=") && $0.contains(" task=") })
    }
}
