/// The ingest of one page as a PL/pgSQL function in the schema (migration 4). A function's
/// statement is planned once per session and then runs from the cached plan; sent as a plain
/// statement, the same upsert spent more time being planned than being executed (about 1.3 ms a
/// page, measured with `scripts/bench-sync.sh --postgres`). The rules are `SQLiteStore.ingest`'s:
/// fields a fetch did not read (its `coverage`) keep their stored value, a `post_metrics` row is
/// written for a new post and for a changed metric, and the same page stored twice changes
/// nothing. Never edit a shipped version: a change is `CREATE OR REPLACE` in a new migration.
enum PostgresIngestFunction {
    /// `CREATE FUNCTION <schema>.ingest_page(platform, account, now, page) RETURNS bigint`:
    /// the number of posts inserted or changed.
    static func create(_ s: String) -> String {
        """
        CREATE FUNCTION \(s).ingest_page(p_platform text, p_account text, p_now timestamptz, p_page jsonb)
        RETURNS bigint LANGUAGE plpgsql AS $fn$
        DECLARE
            synced bigint;
        BEGIN
        \(upsert(s))            SELECT count(*) INTO synced FROM upserted;
            RETURN synced;
        END
        $fn$
        """
    }

    /// `ingest_page(platform, account, now, page, node, epoch)` (migration 6): the same, but it
    /// first takes a share lock on the account's row while the row names this node and epoch as
    /// its lease holder, and returns -1 without writing otherwise. Until this page is committed,
    /// another daemon's claim (`SKIP LOCKED`) passes the row by.
    static func createFenced(_ s: String) -> String {
        """
        CREATE FUNCTION \(s).ingest_page(p_platform text, p_account text, p_now timestamptz, p_page jsonb,
            p_node text, p_epoch bigint)
        RETURNS bigint LANGUAGE plpgsql AS $fn$
        DECLARE
            synced bigint;
        BEGIN
            PERFORM 1 FROM \(s).accounts WHERE id = p_account AND lease_owner = p_node AND lease_epoch = p_epoch
                FOR SHARE;
            IF NOT FOUND THEN
                RETURN -1;
            END IF;
        \(upsert(s))            SELECT count(*) INTO synced FROM upserted;
            RETURN synced;
        END
        $fn$
        """
    }

    /// `store_page(platform, account, now, page, digest)` and `store_page(…, digest, node, epoch)`
    /// (migration 7): `ingest_page`, then, when the page was taken, `accounts.page_digest` set
    /// to `digest` (the fingerprint of the page now stored; NULL clears it), in the same
    /// transaction and round trip. A statement of its own after the upsert, which updates the
    /// same row (`last_sync_at`): one statement may not update a row twice.
    static func createStorePage(_ s: String) -> [String] {
        [storePage(s, fence: ""), storePage(s, fence: ", p_node, p_epoch")]
    }

    // One version of `store_page`; `fence` is "" or the fenced version's extra arguments. The
    // unfenced `ingest_page` never answers -1, so the test holds for both.
    private static func storePage(_ s: String, fence: String) -> String {
        """
        CREATE FUNCTION \(s).store_page(p_platform text, p_account text, p_now timestamptz, p_page jsonb,
            p_digest text\(fence.isEmpty ? "" : ", p_node text, p_epoch bigint"))
        RETURNS bigint LANGUAGE plpgsql AS $fn$
        DECLARE
            synced bigint;
        BEGIN
            synced := \(s).ingest_page(p_platform, p_account, p_now, p_page\(fence));
            IF synced >= 0 THEN
                UPDATE \(s).accounts SET page_digest = p_digest
                    WHERE id = p_account AND page_digest IS DISTINCT FROM p_digest;
            END IF;
            RETURN synced;
        END
        $fn$
        """
    }

    /// The upsert both versions run, as shipped in migration 4 (ending in a newline).
    private static func upsert(_ s: String) -> String {
        """
            WITH input AS (
                SELECT * FROM jsonb_to_recordset(p_page) AS t(post_id text, caption text, media_type text,
                    permalink text, published_at timestamptz, like_count bigint, comment_count bigint,
                    view_count bigint, share_count bigint, save_count bigint, reach bigint, coverage integer)
            ),
            old AS (
                -- One primary-key lookup per post of the page. A plain join (or = ANY(ids)) lets the
                -- planner, whose statistics lag behind a table that a cold sync is filling, scan
                -- every post of the platform instead (measured: 7,500 rows read for 50). LIMIT 1
                -- keeps the subquery a per-row index lookup (it cannot be flattened into a join).
                SELECT p.* FROM input i
                CROSS JOIN LATERAL (
                    SELECT * FROM \(s).posts q WHERE q.platform = p_platform AND q.post_id = i.post_id LIMIT 1
                ) AS p
            ),
            merged AS (
                SELECT i.post_id, o.post_id IS NULL AS is_new,
                    COALESCE(i.caption, o.caption) AS caption, COALESCE(i.media_type, o.media_type) AS media_type,
                    COALESCE(i.permalink, o.permalink) AS permalink,
                    COALESCE(i.published_at, o.published_at) AS published_at,
                    CASE WHEN i.coverage & 1 <> 0 THEN i.like_count ELSE o.like_count END AS like_count,
                    CASE WHEN i.coverage & 2 <> 0 THEN i.comment_count ELSE o.comment_count END AS comment_count,
                    CASE WHEN i.coverage & 4 <> 0 THEN i.view_count ELSE o.view_count END AS view_count,
                    CASE WHEN i.coverage & 8 <> 0 THEN i.share_count ELSE o.share_count END AS share_count,
                    CASE WHEN i.coverage & 16 <> 0 THEN i.save_count ELSE o.save_count END AS save_count,
                    CASE WHEN i.coverage & 32 <> 0 THEN i.reach ELSE o.reach END AS reach
                FROM input i LEFT JOIN old o ON o.post_id = i.post_id
            ),
            changed AS (
                SELECT m.*, m.is_new OR (m.like_count, m.comment_count, m.view_count, m.share_count, m.save_count,
                        m.reach) IS DISTINCT FROM (o.like_count, o.comment_count, o.view_count, o.share_count,
                        o.save_count, o.reach) AS metrics_changed
                FROM merged m LEFT JOIN old o ON o.post_id = m.post_id
                WHERE m.is_new OR (m.caption, m.media_type, m.permalink, m.published_at, m.like_count,
                        m.comment_count, m.view_count, m.share_count, m.save_count, m.reach)
                    IS DISTINCT FROM (o.caption, o.media_type, o.permalink, o.published_at, o.like_count,
                        o.comment_count, o.view_count, o.share_count, o.save_count, o.reach)
            ),
            upserted AS (
                INSERT INTO \(s).posts AS p (platform, post_id, account_id, caption, media_type, permalink,
                    published_at, like_count, comment_count, view_count, share_count, save_count, reach,
                    first_seen_at, updated_at)
                SELECT p_platform, post_id, p_account, caption, media_type, permalink, published_at,
                    like_count, comment_count, view_count, share_count, save_count, reach, p_now, p_now
                FROM changed
                ON CONFLICT (platform, post_id) DO UPDATE SET caption = EXCLUDED.caption,
                    media_type = EXCLUDED.media_type, permalink = EXCLUDED.permalink,
                    published_at = EXCLUDED.published_at, like_count = EXCLUDED.like_count,
                    comment_count = EXCLUDED.comment_count, view_count = EXCLUDED.view_count,
                    share_count = EXCLUDED.share_count, save_count = EXCLUDED.save_count, reach = EXCLUDED.reach,
                    updated_at = EXCLUDED.updated_at
                RETURNING 1
            ),
            history AS (
                INSERT INTO \(s).post_metrics (platform, post_id, observed_at, like_count, comment_count,
                    view_count, share_count, save_count, reach)
                SELECT p_platform, post_id, p_now, like_count, comment_count, view_count, share_count, save_count, reach
                FROM changed WHERE metrics_changed
                RETURNING 1
            ),
            -- Data-modifying CTEs run to completion whether or not the main query reads them.
            touched AS (
                UPDATE \(s).accounts SET last_sync_at = p_now WHERE id = p_account RETURNING 1
            )

        """
    }
}
