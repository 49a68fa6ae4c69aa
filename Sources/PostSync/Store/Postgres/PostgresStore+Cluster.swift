import Foundation
import PostgresNIO

// Every lease time is the database's now(): the daemons may run on machines whose clocks differ.
extension PostgresStore: ClusterStore {
    /// The LISTEN/NOTIFY channel of the schema.
    var channel: String { "postsync_" + schema }

    public func heartbeat(_ node: String, version: String, startedAt: Date, lease: Duration) async throws
        -> ClusterSnapshot
    {
        let s = self.s
        let ms = lease.milliseconds
        let logger = self.logger
        return try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO \(unescaped: s).nodes (id, started_at, heartbeat_at, version)
                VALUES (\(node), \(Timestamp.format(startedAt))::timestamptz, now(), \(version))
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), version = EXCLUDED.version
                """, logger: logger)
            // A node silent for a hundred leases is gone for good; its row only clutters status.
            try await connection.query(
                """
                DELETE FROM \(unescaped: s).nodes WHERE heartbeat_at < now() - 100 * \(ms) * interval '1 millisecond'
                """, logger: logger)
            try await connection.query(
                "DELETE FROM \(unescaped: s).cluster_replies WHERE created_at < now() - interval '1 hour'", logger: logger)
            let nodes = try await Self.liveNodes(connection, schema: s, lease: lease, logger: logger)
            let rows = try await connection.query(
                "SELECT count(*), now() FROM \(unescaped: s).accounts", logger: logger)
            for try await (total, now) in rows.decode((Int, Date).self) {
                return ClusterSnapshot(nodes: nodes, totalAccounts: total, now: now)
            }
            throw StoreError.database("count(*) returned no row")
        }
    }

    public func liveNodes(lease: Duration) async throws -> [NodeView] {
        let s = self.s
        let logger = self.logger
        return try await perform { client in
            try await client.withConnection { connection in
                try await Self.liveNodes(connection, schema: s, lease: lease, logger: logger)
            }
        }
    }

    private static func liveNodes(_ connection: PostgresConnection, schema s: String, lease: Duration, logger: Logger)
        async throws -> [NodeView]
    {
        let rows = try await connection.query(
            """
            SELECT n.id, n.started_at, n.heartbeat_at,
                (SELECT count(*) FROM \(unescaped: s).accounts a WHERE a.lease_owner = n.id AND a.lease_expires_at > now())
            FROM \(unescaped: s).nodes n
            WHERE n.heartbeat_at > now() - \(lease.milliseconds) * interval '1 millisecond'
            ORDER BY n.id
            """, logger: logger)
        var nodes: [NodeView] = []
        for try await (id, started, beat, count) in rows.decode((String, Date, Date, Int).self) {
            nodes.append(NodeView(id: id, startedAt: started, heartbeatAt: beat, accounts: count))
        }
        return nodes
    }

    public func claim(_ node: String, lease: Duration, limit: Int, excluding: [AccountID], takeExpired: Bool = true)
        async throws -> [AccountRecord]
    {
        guard limit > 0 else { return [] }
        let s = self.s
        let excluded = excluding.map(\.description)
        return try await perform { client in
            let rows = try await client.query(
                """
                WITH candidates AS (
                    SELECT id FROM \(unescaped: s).accounts
                    WHERE (lease_owner IS NULL OR lease_expires_at IS NULL
                            OR (\(takeExpired) AND lease_expires_at <= now()))
                        AND NOT (id = ANY(\(excluded)::text[]))
                    ORDER BY next_sync_at ASC NULLS LAST, id
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE \(unescaped: s).accounts AS a SET lease_owner = \(node),
                    lease_expires_at = now() + \(lease.milliseconds) * interval '1 millisecond',
                    lease_epoch = a.lease_epoch + 1
                FROM candidates c WHERE a.id = c.id
                RETURNING a.*
                """)
            var records: [AccountRecord] = []
            for try await row in rows { records.append(try AccountRecord(postgres: row)) }
            return records
        }
    }

    public func renew(_ node: String, lease: Duration) async throws -> [AccountID: Int64] {
        let s = self.s
        return try await perform { client in
            let rows = try await client.query(
                """
                UPDATE \(unescaped: s).accounts
                -- Never shorter: a lease extended for a token refresh keeps its end.
                SET lease_expires_at = GREATEST(lease_expires_at, now() + \(lease.milliseconds) * interval '1 millisecond')
                WHERE lease_owner = \(node)
                RETURNING id, lease_epoch
                """)
            var renewed: [AccountID: Int64] = [:]
            for try await (key, epoch) in rows.decode((String, Int64).self) {
                if let id = AccountID(key) { renewed[id] = epoch }
            }
            return renewed
        }
    }

    public func extendLease(_ id: AccountID, fence: LeaseFence, atLeast: Duration) async throws -> Bool {
        let s = self.s
        return try await perform { client in
            try await client.query(
                """
                UPDATE \(unescaped: s).accounts
                SET lease_expires_at = GREATEST(lease_expires_at, now() + \(atLeast.milliseconds) * interval '1 millisecond')
                WHERE id = \(id.description) AND lease_owner = \(fence.node) AND lease_epoch = \(fence.epoch)
                RETURNING 1
                """
            ).collect().count > 0
        }
    }

    public func release(_ node: String, _ ids: [AccountID]) async throws {
        guard !ids.isEmpty else { return }
        let s = self.s
        let keys = ids.map(\.description)
        let channel = self.channel
        _ = try await perform { client in
            try await client.query(
                """
                WITH released AS (
                    UPDATE \(unescaped: s).accounts SET lease_owner = NULL, lease_expires_at = NULL
                    WHERE lease_owner = \(node) AND id = ANY(\(keys)::text[])
                    RETURNING 1
                )
                SELECT pg_notify(\(channel), 'released') FROM (SELECT count(*) AS n FROM released) AS r WHERE r.n > 0
                """
            ).collect()
        }
    }

    public func leave(_ node: String) async throws {
        let s = self.s
        let channel = self.channel
        let logger = self.logger
        try await transaction { connection in
            try await connection.query(
                """
                UPDATE \(unescaped: s).accounts SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = \(node)
                """, logger: logger)
            try await connection.query("DELETE FROM \(unescaped: s).nodes WHERE id = \(node)", logger: logger)
            try await connection.query("SELECT pg_notify(\(channel), 'released')", logger: logger)
        }
    }

    public func send(_ command: ClusterCommand) async throws {
        let s = self.s
        let channel = self.channel
        let body = String(decoding: try JSONCoding.encoder().encode(command), as: UTF8.self)
        let logger = self.logger
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO \(unescaped: s).cluster_commands (id, account_id, node, body)
                VALUES (\(command.id), \(command.account?.description), \(command.node), \(body)::jsonb)
                """, logger: logger)
            // Delivered at commit, so the receiver always finds the row.
            try await connection.query("SELECT pg_notify(\(channel), 'command')", logger: logger)
        }
    }

    public func takeCommands(for node: String, maxAge: Duration) async throws -> [ClusterCommand] {
        let s = self.s
        let logger = self.logger
        return try await transaction { connection in
            try await connection.query(
                """
                DELETE FROM \(unescaped: s).cluster_commands
                WHERE created_at < now() - \(maxAge.milliseconds) * interval '1 millisecond'
                """, logger: logger)
            let rows = try await connection.query(
                """
                DELETE FROM \(unescaped: s).cluster_commands c
                WHERE c.node = \(node) OR EXISTS (
                    SELECT 1 FROM \(unescaped: s).accounts a WHERE a.id = c.account_id AND a.lease_owner = \(node))
                RETURNING c.body::text, c.created_at
                """, logger: logger)
            var commands: [(ClusterCommand, Date)] = []
            let decoder = JSONCoding.decoder()
            for try await (body, created) in rows.decode((String, Date).self) {
                // A command this version cannot read is dropped rather than retried forever.
                if let command = try? decoder.decode(ClusterCommand.self, from: Data(body.utf8)) {
                    commands.append((command, created))
                }
            }
            return commands.sorted { $0.1 < $1.1 }.map(\.0)
        }
    }

    public func reply(_ id: String, body: Data) async throws {
        let s = self.s
        let channel = self.channel
        let text = String(decoding: body, as: UTF8.self)
        let logger = self.logger
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO \(unescaped: s).cluster_replies (id, body) VALUES (\(id), \(text)::jsonb)
                ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body
                """, logger: logger)
            try await connection.query("SELECT pg_notify(\(channel), 'reply')", logger: logger)
        }
    }

    public func takeReply(_ id: String) async throws -> Data? {
        let s = self.s
        return try await perform { client in
            let rows = try await client.query(
                "DELETE FROM \(unescaped: s).cluster_replies WHERE id = \(id) RETURNING body::text")
            for try await body in rows.decode(String.self) { return Data(body.utf8) }
            return nil
        }
    }

    public func announce() async throws {
        let channel = self.channel
        _ = try await perform { client in try await client.query("SELECT pg_notify(\(channel), 'released')").collect() }
    }

    public func listen(_ onMessage: @escaping @Sendable (String) -> Void) async throws {
        let channel = self.channel
        try await client.withConnection { connection in
            try await connection.listen(on: channel) { notifications in
                for try await notification in notifications { onMessage(notification.payload) }
            }
        }
    }
}

extension PostgresStore: SharedCallBudget {
    func reserve(_ endpoint: String, limit: Int, window: TimeInterval, maxWait: TimeInterval, now: Date) async throws
        -> RateDecision
    {
        let s = self.s
        let (granted, wait) = try await perform { client -> (Bool, Double) in
            let rows = try await client.query(
                "SELECT granted, wait FROM \(unescaped: s).reserve_call(\(endpoint), \(limit)::integer, \(window), \(maxWait))")
            for try await answer in rows.decode((Bool, Double).self) { return answer }
            throw StoreError.database("reserve_call returned no row")
        }
        guard granted else { return .refuse(after: wait) }
        return wait > 0 ? .wait(until: now.addingTimeInterval(wait)) : .go
    }
}
