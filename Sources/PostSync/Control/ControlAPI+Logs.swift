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
