import Logging
import PostgresNIO

/// The numbered migrations of the PostgreSQL schema (CONTRACT section 9). Never edit a shipped
/// migration: add the next number. Each runs in its own transaction, and all of them under an
/// advisory lock, so daemons starting together migrate exactly once.
enum PostgresMigrations {
    /// One migration: its number, name and statements for a schema (a quoted identifier).
    struct Migration: Sendable {
        var version: Int
        var name: String
        var statements: @Sendable (_ schema: String) -> [String]
    }

    /// Every migration, in order.
    static let all: [Migration] = [
        Migration(version: 1, name: "initial-schema", statements: initialSchema),
        Migration(version: 2, name: "views-for-applications", statements: views),
        Migration(version: 3, name: "insight-support", statements: insightSupport),
        Migration(version: 4, name: "ingest-function", statements: { [PostgresIngestFunction.create($0)] }),
        // What the adaptive schedule learned about each account (PostingRhythm.text).
        Migration(
            version: 5, name: "schedule-model",
            statements: { ["ALTER TABLE \($0).accounts ADD COLUMN schedule_model text"] }),
        Migration(version: 6, name: "cluster-leases", statements: clusterLeases),
        // The fingerprint of the page stored last (PageDigest.text), written with the page.
        Migration(
            version: 7, name: "page-digest",
            statements: {
                ["ALTER TABLE \($0).accounts ADD COLUMN page_digest text"] + PostgresIngestFunction.createStorePage($0)
            }
        ),
    ]

    /// The newest version this binary knows.
    static var latest: Int { all.last?.version ?? 0 }

    /// Advisory lock key space of postsync ("ps" in ASCII); the second key is the schema's hash.
    private static let lockClass: Int32 = 0x7073

    /// Creates the schema if missing and applies the migrations it lacks.
    /// - Returns: The schema version after migrating.
    /// - Throws: `StoreError.schemaTooNew` when the schema is newer than this binary (nothing
    ///   is changed then), or the driver's error.
    static func migrate(_ connection: PostgresConnection, schema: String, logger: Logger) async throws -> Int {
        let quoted = PostgresStore.quote(schema)
        try await connection.query(
            "SELECT pg_advisory_lock(\(lockClass), hashtext(\(schema)))", logger: logger)
        do {
            let version = try await migrateLocked(connection, schema: schema, quoted: quoted, logger: logger)
            try await connection.query(
                "SELECT pg_advisory_unlock(\(lockClass), hashtext(\(schema)))", logger: logger)
            return version
        } catch {
            // The lock belongs to the session; a connection that stays open must not keep it.
            _ = try? await connection.query(
                "SELECT pg_advisory_unlock(\(lockClass), hashtext(\(schema)))", logger: logger)
            throw error
        }
    }

    private static func migrateLocked(
        _ connection: PostgresConnection, schema: String, quoted: String, logger: Logger
    ) async throws -> Int {
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(quoted)"), logger: logger)
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(quoted).schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """), logger: logger)
        var current = try await version(connection, quoted: quoted, logger: logger)
        guard current <= latest else { throw StoreError.schemaTooNew(found: current, known: latest) }
        for migration in all where migration.version > current {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in migration.statements(quoted) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "INSERT INTO \(quoted).schema_migrations (version, name) VALUES ($1, $2)",
                        binds: bindings(migration.version, migration.name)), logger: logger)
            }
            logger.info(
                "database migrated",
                metadata: ["db.schema": "\(schema)", "db.migration": "\(migration.version)-\(migration.name)"])
            current = migration.version
        }
        return current
    }

    /// The schema's version: the highest migration applied (0 for a new schema).
    static func version(_ connection: PostgresConnection, quoted: String, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT COALESCE(max(version), 0) FROM \(quoted).schema_migrations"), logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }

    private static func bindings(_ version: Int, _ name: String) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(version)
        binds.append(name)
        return binds
    }

    // MARK: - 1: the section 7 tables with PostgreSQL types, and sync_log

    private static func initialSchema(_ s: String) -> [String] {
        [
            """
            CREATE TABLE \(s).accounts (
                id text PRIMARY KEY,
                platform text NOT NULL CHECK (platform IN ('instagram', 'tiktok')),
                external_id text NOT NULL,
                username text,
                login text CHECK (login IS NULL OR login IN ('instagram', 'facebook')),
                auto_sync boolean NOT NULL DEFAULT true,
                state text NOT NULL DEFAULT 'idle',
                access_token text NOT NULL,
                refresh_token text,
                token_expires_at timestamptz,
                refresh_expires_at timestamptz,
                token_refreshed_at timestamptz,
                last_sync_at timestamptz,
                next_sync_at timestamptz,
                consecutive_failures bigint NOT NULL DEFAULT 0,
                last_error text,
                created_at timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE \(s).posts (
                platform text NOT NULL,
                post_id text NOT NULL,
                account_id text NOT NULL,
                caption text,
                media_type text,
                permalink text,
                published_at timestamptz,
                like_count bigint,
                comment_count bigint,
                view_count bigint,
                share_count bigint,
                save_count bigint,
                reach bigint,
                first_seen_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (platform, post_id)
            )
            """,
            "CREATE INDEX posts_by_account ON \(s).posts (account_id, published_at)",
            "CREATE INDEX posts_by_published ON \(s).posts (published_at DESC, post_id DESC)",
            """
            CREATE TABLE \(s).post_metrics (
                platform text NOT NULL,
                post_id text NOT NULL,
                observed_at timestamptz NOT NULL,
                like_count bigint,
                comment_count bigint,
                view_count bigint,
                share_count bigint,
                save_count bigint,
                reach bigint
            )
            """,
            "CREATE INDEX post_metrics_by_post ON \(s).post_metrics (platform, post_id, observed_at)",
            "CREATE SEQUENCE \(s).sync_log_seq AS bigint",
            """
            CREATE TABLE \(s).sync_log (
                seq bigint PRIMARY KEY,
                id text NOT NULL UNIQUE,
                account_id text NOT NULL,
                platform text NOT NULL,
                trigger text NOT NULL,
                posts_found bigint NOT NULL,
                posts_synced bigint NOT NULL,
                status text NOT NULL,
                error_message text,
                duration_ms bigint NOT NULL,
                created_at timestamptz NOT NULL,
                started_at timestamptz NOT NULL,
                api_calls bigint NOT NULL,
                token_refreshed boolean NOT NULL,
                attempt bigint NOT NULL,
                node text NOT NULL
            )
            """,
            "ALTER SEQUENCE \(s).sync_log_seq OWNED BY \(s).sync_log.seq",
            "CREATE INDEX sync_log_by_account ON \(s).sync_log (account_id, seq)",
            "CREATE INDEX sync_log_by_node ON \(s).sync_log (node, seq)",
        ]
    }

    // MARK: - 6: several daemons (CONTRACT section 10)

    private static func clusterLeases(_ s: String) -> [String] {
        [
            """
            ALTER TABLE \(s).accounts ADD COLUMN lease_owner text, ADD COLUMN lease_expires_at timestamptz,
                ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0
            """,
            "CREATE INDEX accounts_by_lease_owner ON \(s).accounts (lease_owner)",
            """
            CREATE TABLE \(s).nodes (
                id text PRIMARY KEY,
                started_at timestamptz NOT NULL,
                heartbeat_at timestamptz NOT NULL,
                version text NOT NULL
            )
            """,
            // Commands for the daemon that holds an account (account_id) or for one daemon (node):
            // durable, so that a command sent while no daemon holds the account waits for the next.
            """
            CREATE TABLE \(s).cluster_commands (
                id text PRIMARY KEY,
                account_id text,
                node text,
                body jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX cluster_commands_by_account ON \(s).cluster_commands (account_id)",
            "CREATE INDEX cluster_commands_by_node ON \(s).cluster_commands (node)",
            """
            CREATE TABLE \(s).cluster_replies (
                id text PRIMARY KEY,
                body jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            PostgresIngestFunction.createFenced(s),
            // The cluster's request budgets (SharedCallBudget): the calls granted per endpoint,
            // future reservations included.
            "CREATE TABLE \(s).budget_grants (endpoint text NOT NULL, at timestamptz NOT NULL)",
            "CREATE INDEX budget_grants_by_endpoint ON \(s).budget_grants (endpoint, at)",
            // SlidingWindow.reserve in SQL, under a transaction-scoped lock per endpoint: the
            // next free slot, or a refusal with the wait when it is more than p_max_wait away.
            """
            CREATE FUNCTION \(s).reserve_call(p_endpoint text, p_limit integer, p_window double precision,
                p_max_wait double precision, OUT granted boolean, OUT wait double precision)
            LANGUAGE plpgsql AS $fn$
            DECLARE
                n bigint;
                slot timestamptz;
                oldest timestamptz;
            BEGIN
                PERFORM pg_advisory_xact_lock(29812, hashtext(p_endpoint));
                -- Read after the lock: a grant dated by the wait would leave the window early.
                slot := clock_timestamp();
                DELETE FROM \(s).budget_grants
                WHERE endpoint = p_endpoint AND at <= slot - p_window * interval '1 second';
                SELECT count(*) INTO n FROM \(s).budget_grants WHERE endpoint = p_endpoint;
                IF n >= p_limit THEN
                    SELECT at INTO oldest FROM \(s).budget_grants WHERE endpoint = p_endpoint
                    ORDER BY at OFFSET n - p_limit LIMIT 1;
                    slot := greatest(slot, oldest + p_window * interval '1 second');
                END IF;
                wait := extract(epoch FROM slot - clock_timestamp());
                IF wait > p_max_wait THEN
                    granted := false;
                    RETURN;
                END IF;
                INSERT INTO \(s).budget_grants (endpoint, at) VALUES (p_endpoint, slot);
                granted := true;
            END
            $fn$
            """,
        ]
    }

    // MARK: - 3: Instagram insights metrics a kind of media does not support

    private static func insightSupport(_ s: String) -> [String] {
        [
            """
            CREATE TABLE \(s).insight_support (
                media_type text NOT NULL,
                product_type text NOT NULL,
                metric text NOT NULL,
                unsupported_since timestamptz NOT NULL,
                PRIMARY KEY (media_type, product_type, metric)
            )
            """
        ]
    }

    // MARK: - 2: the camelCase views applications read (never a token)

    private static func views(_ s: String) -> [String] {
        [
            """
            CREATE VIEW \(s)."SocialAccount" AS
            SELECT id, platform, external_id AS "externalId", username,
                state NOT IN ('needs_reauth', 'quarantined') AS "isActive", auto_sync AS "autoSync", state,
                last_sync_at AS "lastSyncAt", next_sync_at AS "nextSyncAt", last_error AS "lastError",
                created_at AS "createdAt"
            FROM \(s).accounts
            """,
            """
            CREATE VIEW \(s)."PostMetrics" AS
            SELECT account_id AS "accountId", platform, post_id AS "postId", caption, media_type AS "mediaType",
                permalink, published_at AS "publishedAt", like_count AS "likeCount", comment_count AS "commentCount",
                view_count AS "viewCount", share_count AS "shareCount", save_count AS "saveCount", reach,
                first_seen_at AS "firstSeenAt", updated_at AS "updatedAt"
            FROM \(s).posts
            """,
            """
            CREATE VIEW \(s)."PostMetricsHistory" AS
            SELECT platform, post_id AS "postId", observed_at AS "observedAt", like_count AS "likeCount",
                comment_count AS "commentCount", view_count AS "viewCount", share_count AS "shareCount",
                save_count AS "saveCount", reach
            FROM \(s).post_metrics
            """,
            // The original application's SyncLog model, field for field (its counts are Int).
            """
            CREATE VIEW \(s)."SyncLog" AS
            SELECT id, account_id AS "accountId", platform, trigger, posts_found::integer AS "postsFound",
                posts_synced::integer AS "postsSynced", status, error_message AS "errorMessage",
                duration_ms::integer AS "duration", created_at AS "createdAt"
            FROM \(s).sync_log
            """,
        ]
    }
}
