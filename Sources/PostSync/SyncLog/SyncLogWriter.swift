import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How often the SyncLog writer forces records to stable storage.
public enum SyncLogFsyncPolicy: Sendable, Hashable {
    /// `fdatasync` after every record: no record whose `append` returned is lost on power failure.
    case everyRecord
    /// One `fdatasync` at most `window` after a record was written, for every record written
    /// meanwhile (group commit): a power failure may lose the records of the last `window`, as
    /// the SQLite store in WAL mode may lose its last commits. The daemon's policy: at 100,000
    /// accounts the SyncLog takes about 110 records a second, and a sync each cost more CPU
    /// than the rest of writing the record.
    case batched(window: Duration)
    /// Leave write-back to the kernel (benchmarks); a power failure may lose the latest records.
    case never
}

/// What a SyncLog subscriber receives.
public enum SyncLogEvent: Sendable, Hashable {
    /// A record that was just written; records arrive in `seq` order without gaps.
    case entry(SyncLogEntry)
    /// The subscriber fell `bufferLimit` records behind. This is its last event and the stream ends
    /// after it; resume by reading the files after the last `seq` received, then subscribe again.
    case overflow
}

/// A failed system call on a SyncLog file.
public struct SyncLogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The operation that failed, e.g. `open` or `write`.
    public let operation: String
    /// The file it was applied to.
    public let path: String
    /// The `errno` value.
    public let code: Int32

    /// `operation path: message (errno n)`.
    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// The one writer of the append-only JSON-lines SyncLog (CONTRACT section 6) in a state directory.
///
/// Every record is one `\n`-terminated line written with a single `write(2)` on an `O_APPEND`
/// descriptor, so followers never see interleaved records; a torn last line left by a crash is
/// truncated away at the next start. `seq` strictly increases across restarts and rotations.
///
/// Live tailing: `subscribe` returns a stream of the records written from then on together with
/// the `lastSeq` at that moment, so a reader first reads the files up to `lastSeq` and then takes
/// stream records (all have `seq > lastSeq`), without losing or repeating one.
public actor SyncLogWriter {
    // One live tail. `free` is the free buffer space reported by the last yield: a lower bound of
    // the real space, since the consumer only ever removes elements.
    private struct Subscriber {
        let continuation: AsyncStream<SyncLogEvent>.Continuation
        var free: Int
    }

    /// The state directory holding the SyncLog files.
    public nonisolated let directory: String
    private let path: String
    private let maxBytes: Int64
    private let keep: Int
    private let fsyncPolicy: SyncLogFsyncPolicy
    // -1 while closed, or after a failed rotation (then the next append opens the file again).
    private var fd: Int32
    /// `.batched`: the pending `fdatasync`, while records wait for one.
    private var pendingSync: Task<Void, Never>?
    /// `.batched`: a failed `fdatasync`, thrown by the next append.
    private var deferredSyncError: SyncLogError?
    private var isClosed = false
    private var subscribers: [UInt64: Subscriber] = [:]
    private var nextSubscriberID: UInt64 = 0

    /// The `seq` of the last record written; 0 before the first record ever.
    public private(set) var lastSeq: Int64

    /// Opens (or creates, mode 0600) `<directory>/synclog.jsonl`, truncates a torn last line and
    /// finds the last `seq` in it or, when it holds no record, in the newest rotated file that does.
    /// - Parameters:
    ///   - maxBytes: rotate once the file reaches this size; 0 or less never rotates.
    ///   - keep: rotated files kept (`.1` … `.keep`); at least 1, because the newest rotated file
    ///     carries the last `seq` across a restart right after a rotation.
    /// - Throws: `SyncLogError` when the file cannot be opened, read or repaired.
    public init(directory: String, maxBytes: Int64, keep: Int, fsync: SyncLogFsyncPolicy = .everyRecord) throws {
        let path = SyncLogFiles.path(directory, SyncLogFiles.current)
        let decoder = JSONCoding.decoder()
        let opened = try Self.openCurrent(path: path, decoder: decoder)
        var last = opened.lastSeq
        if last == nil {
            do {
                last = try SyncLogFileIO.lastSeqInRotatedFiles(directory: directory, decoder: decoder)
            } catch {
                SyncLogFileIO.closeFD(opened.fd)
                throw error
            }
        }
        self.directory = directory
        self.path = path
        self.maxBytes = maxBytes
        self.keep = max(1, keep)
        self.fsyncPolicy = fsync
        self.fd = opened.fd
        self.lastSeq = last ?? 0
    }

    deinit {
        if fd >= 0 { SyncLogFileIO.closeFD(fd) }
        for subscriber in subscribers.values { subscriber.continuation.finish() }
    }

    /// Writes `entry` as the next record: assigns `seq` and a lowercase UUID `id`, appends the line
    /// with one `write(2)`, syncs per policy, tells subscribers, and rotates when the file has
    /// reached `maxBytes`.
    /// - Returns: the entry as written.
    /// - Throws: `SyncLogError` (an `EncodingError` is impossible for these types). A failed or
    ///   short write leaves nothing (a partial line is cut off again) and consumes no `seq`. A failed `fdatasync` or rotation is thrown after the record
    ///   was written and published; a failed rotation is retried by the next append.
    /// - Parameter assigned: With the PostgreSQL store, the `seq` that `sync_log` gave the entry
    ///   (the entry's `id` is kept then); it must be greater than `lastSeq`.
    @discardableResult
    public func append(_ entry: SyncLogEntry, assignedSeq assigned: Int64? = nil) throws -> SyncLogEntry {
        if isClosed { throw SyncLogError(operation: "append", path: path, code: EBADF) }
        if let assigned, assigned <= lastSeq {
            // The file's seq must never go back; `sync_log` is advanced past the file at start.
            throw SyncLogError(operation: "append seq \(assigned) after \(lastSeq)", path: path, code: EINVAL)
        }
        if fd < 0 { fd = try Self.openCurrent(path: path, decoder: JSONCoding.decoder()).fd }
        var record = entry
        record.seq = assigned ?? lastSeq + 1
        if assigned == nil || record.id.isEmpty { record.id = UUID().uuidString.lowercased() }
        var line = Data(record.jsonLine().utf8)
        line.append(0x0A)
        let size = try writeRecord(line)
        lastSeq = record.seq

        var syncError: SyncLogError?
        switch fsyncPolicy {
        case .everyRecord:
            if SyncLogFileIO.dataSync(fd) != 0 { syncError = SyncLogError(operation: "fdatasync", path: path, code: errno) }
        case .batched(let window):
            syncError = deferredSyncError.take()
            scheduleSync(after: window)
        case .never:
            break
        }
        // Published even when fdatasync failed: the line is in the file, and subscribers must see
        // exactly what a file reader sees.
        broadcast(record)
        if let syncError { throw syncError }
        if maxBytes > 0, size >= maxBytes { try rotate() }
        return record
    }

    /// `.batched`: syncs the records written so far once `window` has passed (one sync for all
    /// records written until then).
    private func scheduleSync(after window: Duration) {
        guard pendingSync == nil else { return }
        pendingSync = Task {
            // Cancelled: the file was synced or closed by whoever cancelled it, and a newer
            // pending sync may stand in `pendingSync` already.
            do { try await Task.sleep(for: window) } catch { return }
            self.syncPending()
        }
    }

    /// The pending group commit.
    private func syncPending() {
        pendingSync = nil
        guard fd >= 0, SyncLogFileIO.dataSync(fd) != 0 else { return }
        deferredSyncError = SyncLogError(operation: "fdatasync", path: path, code: errno)
    }

    /// Syncs the records still waiting for a group commit now (before the file is closed).
    private func syncPendingNow() {
        guard let pending = pendingSync.take() else { return }
        pending.cancel()
        if fd >= 0 { _ = SyncLogFileIO.dataSync(fd) }
    }

    /// Closes and reopens `synclog.jsonl` by name, for SIGHUP after an external logrotate; creates
    /// a new file when the old one was moved away. `seq` continues.
    /// - Throws: `SyncLogError` when the file cannot be opened.
    public func reopen() throws {
        pendingSync.take()?.cancel()
        if fd >= 0 {
            _ = SyncLogFileIO.dataSync(fd)
            SyncLogFileIO.closeFD(fd)
            fd = -1
        }
        let opened = try Self.openCurrent(path: path, decoder: JSONCoding.decoder())
        fd = opened.fd
        isClosed = false
        // Normally the reopened file is new or ours; never let seq go backwards either way.
        if let seq = opened.lastSeq, seq > lastSeq { lastSeq = seq }
    }

    /// Flushes (`fsync`) and closes the file, and ends every subscriber's stream (without `.overflow`).
    /// Appends fail afterwards until `reopen`.
    public func close() {
        pendingSync.take()?.cancel()
        if fd >= 0 {
            _ = SyncLogFileIO.fullSync(fd)
            SyncLogFileIO.closeFD(fd)
            fd = -1
        }
        isClosed = true
        for subscriber in subscribers.values { subscriber.continuation.finish() }
        subscribers.removeAll()
    }

    /// Subscribes to records written from now on.
    ///
    /// The stream holds at most `bufferLimit` unread records. The buffer has one extra slot kept
    /// for `.overflow`, and an entry is only yielded while the free space reported by the previous
    /// yield shows room beyond that slot. So a subscriber whose backlog reached `bufferLimit` at the
    /// previous delivery gets `.overflow` instead of the next record, and its stream ends; it never
    /// misses a record silently. A stream that ends without `.overflow` was ended by `close()`.
    /// Subscribers whose streams were dropped or cancelled are removed at the next record.
    /// - Returns: the stream and the `seq` of the last record written before it; every streamed
    ///   record has a greater `seq`.
    public func subscribe(bufferLimit: Int = 1024) -> (stream: AsyncStream<SyncLogEvent>, lastSeq: Int64) {
        let capacity = max(1, bufferLimit) + 1
        let (stream, continuation) = AsyncStream.makeStream(
            of: SyncLogEvent.self, bufferingPolicy: .bufferingOldest(capacity))
        if isClosed {
            continuation.finish()
        } else {
            subscribers[nextSubscriberID] = Subscriber(continuation: continuation, free: capacity)
            nextSubscriberID += 1
        }
        return (stream, lastSeq)
    }

    // MARK: - Writing

    // Appends one line with a single write(2) and returns the file size after it. A short write
    // (only ENOSPC-like conditions on regular files) is cut off again, so no partial line stays in
    // the middle of the file to swallow the next record.
    private func writeRecord(_ line: Data) throws -> Int64 {
        let fd = self.fd
        let before = lseek(fd, 0, SEEK_END)
        guard before >= 0 else { throw SyncLogError(operation: "lseek", path: path, code: errno) }
        var written = 0
        var code: Int32 = 0
        line.withUnsafeBytes { raw in
            repeat {
                written = write(fd, raw.baseAddress, raw.count)
                code = written < 0 ? errno : 0
            } while written < 0 && code == EINTR
        }
        if written == line.count { return Int64(before) + Int64(written) }
        if written > 0 { _ = ftruncate(fd, before) }
        throw SyncLogError(operation: "write", path: path, code: written < 0 ? code : ENOSPC)
    }

    // Yields to every live subscriber; see `subscribe` for the overflow rule.
    private func broadcast(_ entry: SyncLogEntry) {
        for (id, subscriber) in subscribers {
            guard subscriber.free >= 2 else {
                subscriber.continuation.yield(.overflow)
                subscriber.continuation.finish()
                subscribers[id] = nil
                continue
            }
            let result = subscriber.continuation.yield(.entry(entry))
            if case .enqueued(let remaining) = result {
                subscribers[id]?.free = remaining
            } else {
                // .terminated: the consumer went away. .dropped cannot happen with free >= 2, but
                // if it did the stream could no longer be trusted, so end it.
                subscriber.continuation.finish()
                subscribers[id] = nil
            }
        }
    }

    // Shifts .{keep-1} → .{keep} … .1 → .2, synclog.jsonl → .1 and opens a fresh synclog.jsonl.
    private func rotate() throws {
        syncPendingNow()
        SyncLogFileIO.closeFD(fd)
        fd = -1
        // Files beyond `keep` (left over from a larger `keep`) would otherwise stay forever.
        var extra = keep + 1
        while unlink(SyncLogFiles.path(directory, SyncLogFiles.rotated(extra))) == 0 { extra += 1 }
        for n in stride(from: keep - 1, through: 1, by: -1) {
            try renameIfExists(SyncLogFiles.rotated(n), SyncLogFiles.rotated(n + 1))
        }
        try renameIfExists(SyncLogFiles.current, SyncLogFiles.rotated(1))
        fd = try Self.openCurrent(path: path, decoder: JSONCoding.decoder()).fd
    }

    private func renameIfExists(_ from: String, _ to: String) throws {
        let source = SyncLogFiles.path(directory, from)
        if rename(source, SyncLogFiles.path(directory, to)) != 0, errno != ENOENT {
            throw SyncLogError(operation: "rename", path: source, code: errno)
        }
    }

    // MARK: - Opening and scanning

    // Opens the current file for appending, cuts off a torn last line, and returns the seq of its
    // last record that decodes (nil when it has none).
    private static func openCurrent(path: String, decoder: JSONDecoder) throws -> (fd: Int32, lastSeq: Int64?) {
        let fd = SyncLogFileIO.openFile(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC)
        guard fd >= 0 else { throw SyncLogError(operation: "open", path: path, code: errno) }
        do {
            let size = lseek(fd, 0, SEEK_END)
            guard size >= 0 else { throw SyncLogError(operation: "lseek", path: path, code: errno) }
            let tail = try SyncLogFileIO.scanTail(path: path, decoder: decoder) ?? (end: 0, lastSeq: nil)
            // The bytes after the last "\n" are a record that was never completed.
            if tail.end < size, ftruncate(fd, tail.end) != 0 {
                throw SyncLogError(operation: "ftruncate", path: path, code: errno)
            }
            return (fd, tail.lastSeq)
        } catch {
            SyncLogFileIO.closeFD(fd)
            throw error
        }
    }
}
