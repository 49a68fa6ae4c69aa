import Foundation
import PostgresNIO

extension PostgresStore: SyncLogTable {
    /// The columns of `sync_log` in the order `entry(_:)` reads them.
    private static let columns = """
        seq, id, account_id, platform, trigger, posts_found, posts_synced, status, error_message, duration_ms,
        created_at, started_at, api_calls, token_refreshed, attempt
        """

    /// Inserts an entry with the next `seq` of the table in one round trip; with a fence, only
    /// while the fence still holds the account's lease (the check and the insert are one
    /// statement).
    public func insertEntry(_ entry: SyncLogEntry, node: String, fence: LeaseFence?) async throws -> Int64 {
        let s = self.s
        let account = AccountID(entry.accountId)
        return try await perform { client in
            let rows = try await client.query(
                """
                INSERT INTO \(unescaped: s).sync_log (seq, id, account_id, platform, trigger, posts_found, posts_synced,
                    status, error_message, duration_ms, created_at, started_at, api_calls, token_refreshed, attempt, node)
                SELECT nextval('\(unescaped: s).sync_log_seq'), \(entry.id), \(entry.accountId),
                    \(entry.platform.rawValue), \(entry.trigger.rawValue), \(entry.postsFound), \(entry.postsSynced),
                    \(entry.status.rawValue), \(entry.errorMessage.map(PostgresStore.withoutNUL)), \(entry.duration),
                    \(Timestamp.format(entry.createdAt))::timestamptz, \(Timestamp.format(entry.startedAt))::timestamptz,
                    \(entry.apiCalls), \(entry.tokenRefreshed), \(entry.attempt), \(node)
                WHERE \(fence?.node)::text IS NULL OR EXISTS (
                    SELECT 1 FROM \(unescaped: s).accounts WHERE id = \(entry.accountId)
                        AND lease_owner = \(fence?.node)::text AND lease_epoch = \(fence?.epoch)::bigint
                    -- Held until the insert commits: a claim skips the row meanwhile.
                    FOR SHARE)
                -- A retry after a lost answer finds its own row (same id) instead of failing.
                ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
                RETURNING seq
                """)
            for try await seq in rows.decode(Int64.self) { return seq }
            if fence != nil, let account { throw StoreError.leaseLost(account) }
            throw StoreError.database("INSERT INTO sync_log returned no seq")
        }
    }

    /// Entries that pass `filter` with `seq <= upTo`, oldest first; the last `limit` with a limit.
    public func entries(matching filter: SyncLogFilter, upTo: Int64, limit: Int?) async throws -> [SyncLogEntry] {
        let s = self.s
        let columns = Self.columns
        return try await perform { client in
            let rows = try await client.query(
                """
                SELECT * FROM (
                    SELECT \(unescaped: columns) FROM \(unescaped: s).sync_log
                    WHERE seq <= \(upTo) AND seq > \(filter.afterSeq ?? 0)
                        AND (\(filter.account)::text IS NULL OR account_id = \(filter.account)::text)
                        AND (\(filter.platform?.rawValue)::text IS NULL OR platform = \(filter.platform?.rawValue)::text)
                        AND (\(filter.status?.rawValue)::text IS NULL OR status = \(filter.status?.rawValue)::text)
                        AND (\(filter.since.map(Timestamp.format))::timestamptz IS NULL
                            OR created_at >= \(filter.since.map(Timestamp.format))::timestamptz)
                    ORDER BY seq DESC
                    LIMIT \(limit ?? Int(Int32.max))
                ) AS newest ORDER BY seq
                """)
            return try await Self.entries(rows)
        }
    }

    /// Every entry with `seq > after`, oldest first, at most `limit`.
    public func entries(after seq: Int64, limit: Int) async throws -> [SyncLogEntry] {
        let s = self.s
        let columns = Self.columns
        return try await perform { client in
            let rows = try await client.query(
                """
                SELECT \(unescaped: columns) FROM \(unescaped: s).sync_log WHERE seq > \(seq) ORDER BY seq LIMIT \(limit)
                """)
            return try await Self.entries(rows)
        }
    }

    /// The greatest `seq` written so far.
    public func lastSeq() async throws -> Int64 {
        let s = self.s
        return try await perform { client in
            let rows = try await client.query("SELECT COALESCE(max(seq), 0)::bigint FROM \(unescaped: s).sync_log")
            for try await seq in rows.decode(Int64.self) { return seq }
            return 0
        }
    }

    /// Entries these nodes wrote with `seq > after`, oldest first.
    public func entries(writtenBy nodes: [String], after seq: Int64) async throws -> [SyncLogEntry] {
        let s = self.s
        let columns = Self.columns
        return try await perform { client in
            let rows = try await client.query(
                """
                SELECT \(unescaped: columns) FROM \(unescaped: s).sync_log
                WHERE node = ANY(\(nodes)) AND seq > \(seq) ORDER BY seq
                """)
            return try await Self.entries(rows)
        }
    }

    /// Makes the next `seq` greater than `seq`.
    public func advanceSequence(past seq: Int64) async throws {
        let s = self.s
        _ = try await perform { client in
            try await client.query(
                """
                SELECT setval('\(unescaped: s).sync_log_seq', \(seq))
                WHERE (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END
                    FROM \(unescaped: s).sync_log_seq) < \(seq)
                """)
        }
    }

    private static func entries(_ rows: PostgresRowSequence) async throws -> [SyncLogEntry] {
        var entries: [SyncLogEntry] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let seq = try r[0].decode(Int64.self)
            guard let platform = Platform(rawValue: try r[3].decode(String.self)),
                let trigger = SyncTrigger(rawValue: try r[4].decode(String.self)),
                let status = SyncStatus(rawValue: try r[7].decode(String.self))
            else { throw StoreError.corrupt("sync_log row \(seq) has an unknown platform, trigger or status") }
            entries.append(
                SyncLogEntry(
                    seq: seq, id: try r[1].decode(String.self), accountId: try r[2].decode(String.self),
                    platform: platform, trigger: trigger, postsFound: try r[5].decode(Int.self),
                    postsSynced: try r[6].decode(Int.self), status: status, errorMessage: try r[8].decode(String?.self),
                    duration: try r[9].decode(Int64.self), createdAt: try r[10].decode(Date.self),
                    startedAt: try r[11].decode(Date.self), apiCalls: try r[12].decode(Int.self),
                    tokenRefreshed: try r[13].decode(Bool.self), attempt: try r[14].decode(Int.self)))
        }
        return entries
    }
}
