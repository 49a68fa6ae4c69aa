import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

/// A SyncLog entry with fixed dates; `postsSynced` tells entries apart.
private func sampleEntry(postsSynced: Int = 3) -> SyncLogEntry {
    SyncLogEntry(
        accountId: "instagram:17841400000000001", platform: .instagram, trigger: .schedule,
        postsFound: 25, postsSynced: postsSynced, status: .success, errorMessage: nil, duration: 412,
        createdAt: Date(timeIntervalSince1970: 1_795_914_123.456),
        startedAt: Date(timeIntervalSince1970: 1_795_914_123.044),
        apiCalls: 2, tokenRefreshed: false, attempt: 1)
}

/// A fresh, empty directory for one test (the test removes it; the reaper, should the test process die first).
private func makeDirectory() throws -> String {
    try temporaryDirectory("synclog-tests")
}

/// The contents of `name` inside `directory`.
private func contents(_ directory: String, _ name: String = "synclog.jsonl") throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name))
}

/// Appends raw bytes to `name` inside `directory`, as a crash or an outsider would leave them.
private func appendRaw(_ text: String, to directory: String, _ name: String = "synclog.jsonl") throws {
    let handle = try #require(FileHandle(forWritingAtPath: directory + "/" + name))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
}

@Suite struct SyncLogTests {
    /// Should assign seq 1, 2, 3 and unique lowercase ids, and write lines with exactly the CONTRACT keys.
    @Test func appendWritesContractLines() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try SyncLogWriter(directory: dir, maxBytes: 1 << 20, keep: 3)
        var written: [SyncLogEntry] = []
        for n in 0..<3 {
            let entry = try await writer.append(sampleEntry(postsSynced: n))
            written.append(entry)
        }
        await writer.close()

        #expect(written.map(\.seq) == [1, 2, 3])
        #expect(Set(written.map(\.id)).count == 3)
        for entry in written {
            #expect(entry.id == entry.id.lowercased())
            #expect(UUID(uuidString: entry.id) != nil)
        }

        let data = try contents(dir)
        #expect(data.last == 0x0A)
        let lines = data.split(separator: 0x0A)
        #expect(lines.count == 3)
        let expectedKeys: Set<String> = [
            "seq", "id", "accountId", "platform", "trigger", "postsFound", "postsSynced", "status",
            "errorMessage", "duration", "createdAt", "startedAt", "apiCalls", "tokenRefreshed", "attempt",
        ]
        for (index, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(Set(object.keys) == expectedKeys)
            #expect(object["errorMessage"] is NSNull)
            #expect((object["seq"] as? NSNumber)?.int64Value == Int64(index + 1))
            #expect(object["createdAt"] as? String == "2026-11-29T01:02:03.456Z")
        }
    }

    /// Should continue seq after the writer is closed and a new one opens the same directory.
    @Test func seqContinuesAcrossWriters() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try SyncLogWriter(directory: dir, maxBytes: 1 << 20, keep: 3)
        try await first.append(sampleEntry())
        try await first.append(sampleEntry())
        await first.close()

        let second = try SyncLogWriter(directory: dir, maxBytes: 1 << 20, keep: 3)
        #expect(await second.lastSeq == 2)
        let entry = try await second.append(sampleEntry())
        await second.close()
        #expect(entry.seq == 3)
    }

    /// Should keep only synclog.jsonl, .1 and .2, with gap-free seqs, and continue seq after a
    /// restart even when the current file is empty right after a rotation.
    @Test func rotationKeepsFilesAndSeq() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try SyncLogWriter(directory: dir, maxBytes: 600, keep: 2)
        var last: Int64 = 0
        // Append until a rotation has just happened (current file empty) after plenty of rotations.
        for _ in 0..<100 {
            last = try await writer.append(sampleEntry()).seq
            if last >= 10, try contents(dir).isEmpty { break }
        }
        await writer.close()
        #expect(try contents(dir).isEmpty)

        let names = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(names == ["synclog.jsonl", "synclog.jsonl.1", "synclog.jsonl.2"])

        let reader = SyncLogReader(directory: dir)
        #expect(
            reader.files().map { URL(fileURLWithPath: $0).lastPathComponent }
                == ["synclog.jsonl.2", "synclog.jsonl.1", "synclog.jsonl"])
        let (entries, skipped) = try reader.readAll()
        #expect(skipped == 0)
        #expect(!entries.isEmpty)
        #expect(entries.last?.seq == last)
        for (previous, next) in zip(entries, entries.dropFirst()) {
            #expect(next.seq == previous.seq + 1)
        }

        let reopened = try SyncLogWriter(directory: dir, maxBytes: 600, keep: 2)
        #expect(await reopened.lastSeq == last)
        let entry = try await reopened.append(sampleEntry())
        await reopened.close()
        #expect(entry.seq == last + 1)
    }

    /// With group commit, should write every line at once (readers and a restarted writer see
    /// it before any sync), rotate and close without losing a record, and go on after reopening.
    @Test func batchedSyncWritesLinesAtOnce() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try SyncLogWriter(directory: dir, maxBytes: 600, keep: 5, fsync: .batched(window: .seconds(3_600)))
        var seqs: [Int64] = []
        for index in 0..<8 {
            seqs.append(try await writer.append(sampleEntry(postsSynced: index)).seq)
            // Visible to a reader right away, although the hour-long window has not passed.
            #expect(try SyncLogReader(directory: dir).readAll().entries.last?.seq == seqs.last)
        }
        await writer.close()
        let (entries, skipped) = try SyncLogReader(directory: dir).readAll()
        #expect(skipped == 0)
        #expect(entries.map(\.seq) == seqs)
        #expect(entries.map(\.postsSynced) == Array(0..<8))
        let reopened = try SyncLogWriter(directory: dir, maxBytes: 600, keep: 5, fsync: .batched(window: .milliseconds(10)))
        #expect(try await reopened.append(sampleEntry()).seq == 9)
        await reopened.close()
    }

    /// Should cut off a torn last line at start, so readers see only whole records and seq continues.
    @Test func tornLastLineIsRepaired() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try SyncLogWriter(directory: dir, maxBytes: 1 << 20, keep: 3)
        for _ in 0..<3 { try await writer.append(sampleEntry()) }
        await writer.close()
        try appendRaw(#"{"seq":4,"id":"x"#, to: dir)

        let restarted = try SyncLogWriter(directory: dir, maxBytes: 1 << 20, keep: 3)
        #expect(try contents(dir).last == 0x0A)
        let (entries, skipped) = try SyncLogReader(directory: dir).readAll()
        #expect(entries.map(\.seq) == [1, 2, 3])
        #expect(skipped == 0)
        let entry = try await restarted.append(sampleEntry())
        await restarted.close()
        #expect(entry.seq == 4)
    }

    /// Should skip and count a garbage line in the middle of a file.
    @Test func readerSkipsGarbageLine() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try SyncLogWriter(directory: dir, maxBytes: 1 << 20, keep: 3)
        try await first.append(sampleEntry())
        await first.close()
        try appendRaw("not json at all\n", to: dir)
        // The new writer must look past the garbage line to find seq 1.
        let second = try SyncLogWriter(directory: dir, maxBytes: 1 << 20, keep: 3)
        try await second.append(sampleEntry())
        await second.close()

        let (entries, skipped) = try SyncLogReader(directory: dir).readAll()
        #expect(entries.map(\.seq) == [1, 2])
        #expect(skipped == 1)
        #expect(try SyncLogReader(directory: dir).read(afterSeq: 1).map(\.seq) == [2])
    }

    /// Should create a new file on reopen after the old one was moved away, and continue seq.
    @Test func reopenAfterMoveCreatesNewFile() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try SyncLogWriter(directory: dir, maxBytes: 1 << 20, keep: 3)
        try await writer.append(sampleEntry())
        try await writer.append(sampleEntry())
        try FileManager.default.moveItem(atPath: dir + "/synclog.jsonl", toPath: dir + "/synclog.jsonl-20261129")

        try await writer.reopen()
        #expect(FileManager.default.fileExists(atPath: dir + "/synclog.jsonl"))
        let entry = try await writer.append(sampleEntry())
        await writer.close()
        #expect(entry.seq == 3)
        let entries = try SyncLogReader(directory: dir).readAll().entries
        #expect(entries.map(\.seq) == [3])
        #expect(try contents(dir, "synclog.jsonl-20261129").split(separator: 0x0A).count == 2)
    }

    /// Should stream records written after subscribing, in order, with seq above the returned lastSeq.
    @Test func subscribeStreamsNewRecords() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try SyncLogWriter(directory: dir, maxBytes: 1 << 20, keep: 3)
        try await writer.append(sampleEntry())
        let (stream, lastSeq) = await writer.subscribe()
        #expect(lastSeq == 1)
        for _ in 0..<3 { try await writer.append(sampleEntry()) }

        var iterator = stream.makeAsyncIterator()
        var seqs: [Int64] = []
        for _ in 0..<3 {
            guard case .entry(let entry)? = await iterator.next() else {
                Issue.record("expected an entry")
                break
            }
            seqs.append(entry.seq)
        }
        #expect(seqs == [lastSeq + 1, lastSeq + 2, lastSeq + 3])
        await writer.close()
        let end = await iterator.next()
        #expect(end == nil)
    }

    /// Should end a subscriber that falls bufferLimit records behind with .overflow, after the
    /// records it could hold.
    @Test func slowSubscriberGetsOverflow() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try SyncLogWriter(directory: dir, maxBytes: 1 << 20, keep: 3)
        let (stream, _) = await writer.subscribe(bufferLimit: 2)
        for _ in 0..<4 { try await writer.append(sampleEntry()) }
        await writer.close()

        var events: [SyncLogEvent] = []
        for await event in stream { events.append(event) }
        #expect(events.count == 3)
        #expect(events.last == .overflow)
        let seqs = events.compactMap { event -> Int64? in
            if case .entry(let entry) = event { return entry.seq }
            return nil
        }
        #expect(seqs == [1, 2])
    }
}

@Suite struct SyncLogLineTests {
    /// Should write the keys in the contract's order and escape strings so the line decodes back equal.
    @Test func lineRoundTrips() throws {
        let date = Date(timeIntervalSince1970: 1_795_000_000.25)
        let entry = SyncLogEntry(
            seq: 9, id: "abc", accountId: "tiktok:x", platform: .tiktok, trigger: .webhook, postsFound: 3, postsSynced: 1,
            status: .partial, errorMessage: "quote \" backslash \\ newline \n tab \t bell \u{07} é", duration: 12,
            createdAt: date, startedAt: date, apiCalls: 2, tokenRefreshed: true, attempt: 1)
        let line = entry.jsonLine()
        let keys = [
            "seq", "id", "accountId", "platform", "trigger", "postsFound", "postsSynced", "status", "errorMessage",
            "duration", "createdAt", "startedAt", "apiCalls", "tokenRefreshed", "attempt",
        ]
        let positions = keys.map { line.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted())
        #expect(!line.contains("\n"))
        let decoded = try JSONCoding.decoder().decode(SyncLogEntry.self, from: Data(line.utf8))
        #expect(decoded == entry)
        #expect(line.contains("\"createdAt\":\"2026-11-18T") && line.contains(".250Z\""))
    }
}
