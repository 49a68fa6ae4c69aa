import GRDB

/// The numbered schema migrations of the store (CONTRACT section 7). Never edit a shipped
/// migration: add the next number.
enum Migrations {
    /// The migrator with every migration registered in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001-initial-schema") { db in
            try db.execute(
                sql: """
                    CREATE TABLE accounts (
                        id TEXT PRIMARY KEY NOT NULL,
                        platform TEXT NOT NULL CHECK (platform IN ('instagram', 'tiktok')),
                        external_id TEXT NOT NULL,
                        username TEXT,
                        login TEXT CHECK (login IS NULL OR login IN ('instagram', 'facebook')),
                        auto_sync INTEGER NOT NULL DEFAULT 1,
                        state TEXT NOT NULL DEFAULT 'idle',
                        access_token TEXT NOT NULL,
                        refresh_token TEXT,
                        token_expires_at TEXT,
                        refresh_expires_at TEXT,
                        token_refreshed_at TEXT,
                        last_sync_at TEXT,
                        next_sync_at TEXT,
                        consecutive_failures INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        created_at TEXT NOT NULL
                    );
                    CREATE TABLE posts (
                        platform TEXT NOT NULL,
                        post_id TEXT NOT NULL,
                        account_id TEXT NOT NULL,
                        caption TEXT,
                        media_type TEXT,
                        permalink TEXT,
                        published_at TEXT,
                        like_count INTEGER,
                        comment_count INTEGER,
                        view_count INTEGER,
                        share_count INTEGER,
                        save_count INTEGER,
                        reach INTEGER,
                        first_seen_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        PRIMARY KEY (platform, post_id)
                    );
                    CREATE INDEX posts_by_account ON posts(account_id, published_at);
                    CREATE TABLE post_metrics (
                        platform TEXT NOT NULL,
                        post_id TEXT NOT NULL,
                        observed_at TEXT NOT NULL,
                        like_count INTEGER,
                        comment_count INTEGER,
                        view_count INTEGER,
                        share_count INTEGER,
                        save_count INTEGER,
                        reach INTEGER
                    );
                    CREATE INDEX post_metrics_by_post ON post_metrics(platform, post_id, observed_at);
                    """)
        }
        migrator.registerMigration("002-insight-support") { db in
            // Which Instagram insights metrics a kind of media does not support (code 100), so
            // that a restart does not ask again; re-checked weekly.
            try db.execute(
                sql: """
                    CREATE TABLE insight_support (
                        media_type TEXT NOT NULL,
                        product_type TEXT NOT NULL,
                        metric TEXT NOT NULL,
                        unsupported_since TEXT NOT NULL,
                        PRIMARY KEY (media_type, product_type, metric)
                    )
                    """)
        }
        migrator.registerMigration("003-schedule-model") { db in
            // What the adaptive schedule learned about each account (PostingRhythm.text), so a
            // restart keeps it.
            try db.execute(sql: "ALTER TABLE accounts ADD COLUMN schedule_model TEXT")
        }
        migrator.registerMigration("004-page-digest") { db in
            // The fingerprint of the page stored last (PageDigest.text), written with the page.
            try db.execute(sql: "ALTER TABLE accounts ADD COLUMN page_digest TEXT")
        }
        return migrator
    }
}
