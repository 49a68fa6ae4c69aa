import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

/// A fresh, empty directory for one test (the test removes it; the reaper, should the test process die first).
private func makeDirectory() throws -> String {
    try temporaryDirectory("synclog-follower")
}

/// The SyncLog line of the entry with `seq`, newline included.
private func line(_ seq: Int64) -> String {
    SyncLogEntry(
        seq: seq, id: "id\(seq)", accountId: "tiktok:abc", platform: .tiktok, trigger: .webhook, postsFound: 1,
        postsSynced: 0, status: .success, errorMessage: nil, duration: 5,
        createdAt: Date(timeIntervalSince1970: 1_795_914_123 + Double(seq)),
        startedAt: Date(timeIntervalSince1970: 1_795_914_123), apiCalls: 1, tokenRefreshed: false, attempt: 1
    ).jsonLine() + "\n"
}

/// Appends text to `name` in `directory`, creating the file.
private func append(_ text: String, to directory: String, _ name: String = "synclog.jsonl") throws {
    let path = directory + "/" + name
    if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
    let handle = try #require(FileHandle(forWritingAtPath: path))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
}

/// The seqs of records.
private func seqs(_ records: [SyncLogFollower.Record]) -> [Int64] {
    records.map(\.entry.seq)
}

@Suite struct SyncLogFollowerTests {
    /// Should return every record first, then only appended ones, with their lines exactly as written.
    @Test func returnsAppendedRecords() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var follower = SyncLogFollower(directory: dir)
        #expect(try follower.poll().isEmpty)
        try append(line(1) + line(2), to: dir)
        let first = try follower.poll()
        #expect(seqs(first) == [1, 2])
        #expect(String(decoding: first[0].line, as: UTF8.self) + "\n" == line(1))
        #expect(try follower.poll().isEmpty)
        try append(line(3), to: dir)
        #expect(seqs(try follower.poll()) == [3])
        #expect(follower.lastSeq == 3)
    }

    /// Should leave a torn last line until it is complete.
    @Test func waitsForTornLine() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var follower = SyncLogFollower(directory: dir)
        let text = line(1)
        let cut = text.index(text.startIndex, offsetBy: 20)
        try append(String(text[..<cut]), to: dir)
        #expect(try follower.poll().isEmpty)
        try append(String(text[cut...]), to: dir)
        #expect(seqs(try follower.poll()) == [1])
        #expect(follower.skippedLines == 0)
    }

    /// Should follow a rotation without losing the records written just before it or repeating any.
    @Test func followsRotation() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try append(line(1), to: dir, "synclog.jsonl.1")
        try append(line(2) + line(3), to: dir)
        var follower = SyncLogFollower(directory: dir)
        #expect(seqs(try follower.poll()) == [1, 2, 3])
        // Written, then rotated away before the next poll.
        try append(line(4), to: dir)
        try FileManager.default.moveItem(atPath: dir + "/synclog.jsonl.1", toPath: dir + "/synclog.jsonl.2")
        try FileManager.default.moveItem(atPath: dir + "/synclog.jsonl", toPath: dir + "/synclog.jsonl.1")
        #expect(seqs(try follower.poll()) == [4])
        #expect(try follower.poll().isEmpty)
        try append(line(5), to: dir)
        #expect(seqs(try follower.poll()) == [5])
        try append(line(6), to: dir)
        #expect(seqs(try follower.poll()) == [6])
    }

    /// Should skip records up to `afterSeq` and lines that are not records.
    @Test func resumesAfterSeq() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try append(line(1) + "not json\n" + line(2) + line(3), to: dir)
        var follower = SyncLogFollower(directory: dir, afterSeq: 2)
        #expect(seqs(try follower.poll()) == [3])
        #expect(follower.skippedLines == 1)
    }
}
