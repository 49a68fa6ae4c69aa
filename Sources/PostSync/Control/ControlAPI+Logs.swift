import Foundation

extension ControlAPI {
    /// The filters of `GET /v1/logs`.
    struct LogFilter: Sendable {
        var account: String?
        var platform: Platform?
        var status: SyncStatus?
        var afterSeq: Int64?

        func matches(_ entry: SyncLogEntry) -> Bool {
            (account == nil || entry.accountId == account) && (platform == nil || entry.platform == platform)
                && (status == nil || entry.status == status) && (afterSeq == nil || entry.seq > afterSeq!)
        }
    }

    /// How many entries a follower may fall behind before it is dropped with an error line.
    static let followerBuffer = 4096

    /// `GET /v1/logs`: NDJSON, one SyncLogEntry a line. `limit` keeps the last N matching
    /// entries (oldest first). With `follow=true` the stream stays open and carries each new entry
    /// as it is written; a follower that falls `followerBuffer` entries behind gets an
    /// `{"error":{"code":"overflow",…}}` line and the stream ends (reconnect with `afterSeq`), so
    /// a slow reader never holds the daemon back.
    func logs(_ request: ControlRequest) throws -> ControlResponse {
        var filter = LogFilter()
        if let account = request.query["account"] { filter.account = try accountID(account).description }
        if let platform = request.query["platform"] {
            guard let value = Platform(rawValue: platform) else { throw ControlError.invalidRequest("platform: \"\(platform)\" is not instagram or tiktok") }
            filter.platform = value
        }
        if let status = request.query["status"] {
            guard let value = SyncStatus(rawValue: status) else { throw ControlError.invalidRequest("status: \"\(status)\" is not success, partial or error") }
            filter.status = value
        }
        if let after = request.query["afterSeq"] {
            guard let value = Int64(after), value >= 0 else { throw ControlError.invalidRequest("afterSeq: \"\(after)\" is not a sequence number") }
            filter.afterSeq = value
        }
        let limit = try integer(request, "limit", range: 1...1_000_000)
        let follow = try flag(request, "follow")
        let syncLog = self.syncLog
        let reader = SyncLogReader(directory: syncLog.directory)
        let frozenFilter = filter
        return ControlResponse(status: 200, contentType: "application/x-ndjson", body: .stream { write in
            // Subscribe before reading the files, so an entry written in between is in one of the two.
            let subscription = follow ? await syncLog.subscribe(bufferLimit: Self.followerBuffer) : nil
            let upTo = subscription?.lastSeq ?? Int64.max
            var history = try Self.readConsistently(reader, upTo: upTo).filter(frozenFilter.matches)
            if let limit, history.count > limit { history.removeFirst(history.count - limit) }
            var chunk = Data()
            for entry in history {
                chunk.append(contentsOf: entry.jsonLine().utf8)
                chunk.append(0x0A)
                if chunk.count > 64 << 10 {
                    try await write(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            if !chunk.isEmpty || subscription != nil { try await write(chunk) }
            guard let subscription else { return }
            var last = upTo
            for await event in subscription.stream {
                switch event {
                case .entry(let entry):
                    guard entry.seq > last else { continue }
                    last = entry.seq
                    if frozenFilter.matches(entry) { try await write(Data((entry.jsonLine() + "\n").utf8)) }
                case .overflow:
                    let error = #"{"error":{"code":"overflow","message":"reader too slow: reconnect with afterSeq=\#(last)"}}"#
                    try await write(Data((error + "\n").utf8))
                    return
                }
            }
        })
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
