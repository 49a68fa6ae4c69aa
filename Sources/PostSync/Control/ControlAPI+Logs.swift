import Foundation
import Hummingbird
import NIOCore

extension ControlAPI {
    /// How many entries a follower may fall behind before it is dropped with an error line.
    static let followerBuffer = 4096

    /// `GET /v1/logs`: NDJSON, one SyncLogEntry a line. `limit` keeps the last N matching
    /// entries (oldest first). With `follow=true` the stream stays open and carries each new entry
    /// as it is written; a follower that falls `followerBuffer` entries behind gets an
    /// `{"error":{"code":"overflow",…}}` line and the stream ends (reconnect with `afterSeq`), so
    /// a slow reader never holds the daemon back.
    func logs(_ request: Request, context: APIRequestContext) async throws -> Response {
        let query = ControlQuery(request)
        let filter = try Self.logFilter(query)
        let limit = try query.integer("limit", range: 1...1_000_000)
        let follow = try query.flag("follow")
        if let table = store.syncLogTable {
            return try await tableLogs(table, filter: filter, limit: limit, follow: follow)
        }
        let syncLog = self.syncLog
        let reader = SyncLogReader(directory: syncLog.directory)
        let body = ResponseBody { writer in
            // Subscribe before reading the files, so an entry written in between is in one of the two.
            let subscription = follow ? await syncLog.subscribe(bufferLimit: Self.followerBuffer) : nil
            let upTo = subscription?.lastSeq ?? Int64.max
            var history = try Self.readConsistently(reader, upTo: upTo).filter(filter.matches)
            if let limit, history.count > limit { history.removeFirst(history.count - limit) }
            var chunk = ByteBuffer()
            for entry in history {
                chunk.writeString(entry.jsonLine())
                chunk.writeInteger(UInt8(ascii: "\n"))
                if chunk.readableBytes > 64 << 10 {
                    try await writer.write(chunk)
                    chunk.clear()
                }
            }
            // A follower gets the (possibly empty) backlog at once, before the first new entry.
            if chunk.readableBytes > 0 || subscription != nil { try await writer.write(chunk) }
            if let subscription {
                var last = upTo
                stream: for await event in subscription.stream {
                    switch event {
                    case .entry(let entry):
                        guard entry.seq > last else { continue }
                        last = entry.seq
                        if filter.matches(entry) { try await writer.write(ByteBuffer(string: entry.jsonLine() + "\n")) }
                    case .overflow:
                        try await writer.write(ByteBuffer(bytes: ControlError.overflow(afterSeq: last).jsonLine))
                        break stream
                    }
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    /// How often a follower of `sync_log` polls (CONTRACT section 9: a new entry within 1 s).
    static let tablePollInterval: Duration = .milliseconds(200)

    /// `GET /v1/logs` with PostgreSQL: the history and the followed entries come from `sync_log`,
    /// so a follower sees the entries of every daemon sharing the database. A follower polls the
    /// table (see `SyncLogTableCursor` for the order), rides out a database outage, and ends
    /// when this daemon's SyncLog closes (shutdown).
    func tableLogs(_ table: any SyncLogTable, filter: SyncLogFilter, limit: Int?, follow: Bool) async throws -> Response {
        let syncLog = self.syncLog
        // Read before answering, so that a database outage is a 503, not a cut-off 200.
        let upTo = try await table.lastSeq()
        let history = try await table.entries(matching: filter, upTo: upTo, limit: limit)
        let body = ResponseBody { writer in
            // The local writer's stream ends when the SyncLog closes: the follower ends with it.
            let subscription = follow ? await syncLog.subscribe(bufferLimit: Self.followerBuffer) : nil
            let closed = ClosedFlag()
            let watcher = subscription.map { subscription in
                Task {
                    for await _ in subscription.stream {}
                    closed.set()
                }
            }
            defer { watcher?.cancel() }
            var chunk = ByteBuffer()
            for entry in history {
                chunk.writeString(entry.jsonLine() + "\n")
            }
            if chunk.readableBytes > 0 || follow { try await writer.write(chunk) }
            var cursor = SyncLogTableCursor(after: upTo)
            while follow, !closed.isSet, !Task.isCancelled {
                do {
                    let before = cursor.last
                    let rows = try await table.entries(after: cursor.last, limit: 1000)
                    var lines = ByteBuffer()
                    for entry in cursor.accept(rows, now: Date()) where filter.matches(entry) {
                        lines.writeString(entry.jsonLine() + "\n")
                    }
                    if lines.readableBytes > 0 { try await writer.write(lines) }
                    // A full page that moved the cursor: more may be waiting. (Held at a gap, wait.)
                    if rows.count == 1000, cursor.last != before { continue }
                } catch StoreError.unavailable {
                    // The store reconnects by itself; the follower keeps its place.
                }
                try? await Task.sleep(for: Self.tablePollInterval)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    /// The filters of `GET /v1/logs`: `account`, `platform`, `status` and `afterSeq`.
    /// - Throws: `ControlError.invalidRequest` naming the parameter.
    static func logFilter(_ query: ControlQuery) throws(ControlError) -> SyncLogFilter {
        var filter = SyncLogFilter()
        filter.account = try query.account("account")?.description
        filter.platform = try query.value("platform", as: Platform.self, expected: "instagram or tiktok")
        filter.status = try query.value("status", as: SyncStatus.self, expected: "success, partial or error")
        if let after = query["afterSeq"] {
            guard let value = Int64(after), value >= 0 else {
                throw .invalidRequest("afterSeq: \"\(after)\" is not a sequence number")
            }
            filter.afterSeq = value
        }
        return filter
    }

    /// Every entry up to `upTo`. A rotation that renames files while they are being read can make
    /// one read miss or repeat a file; such a read shows as a gap in `seq`, and is done again.
    static func readConsistently(_ reader: SyncLogReader, upTo: Int64) throws -> [SyncLogEntry] {
        var entries: [SyncLogEntry] = []
        for _ in 0..<5 {
            entries = try reader.readAll().entries.filter { $0.seq <= upTo }
            let consecutive = zip(entries, entries.dropFirst()).allSatisfy { $1.seq == $0.seq + 1 }
            if consecutive { return entries }
        }
        return entries
    }
}

/// Set once, read from another task: whether the SyncLog a follower rides on has closed.
final class ClosedFlag: Sendable {
    private let value = Locked(false)

    /// Marks it closed.
    func set() { value.withLock { $0 = true } }

    /// Whether it closed.
    var isSet: Bool { value.withLock { $0 } }
}
