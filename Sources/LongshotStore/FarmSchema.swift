/// The farm's database schema, as versioned migrations.
///
/// Version 1 holds jobs, their windows, lease attempts, workers, per-job worker blocks and events;
/// version 2 adds codenoise window groups and their checkpoints; version 3 decode segments; version 4 the engines workers offer; version 5 credentials (who submitted a
/// job, each worker's session); version 6 finished videos in the database and pruned window results. All times come from the database clock (`now()`), so several coordinators agree.
public enum FarmSchema {
    /// Every migration of the farm schema, in order.
    public static let migrations: [Migration] = [v1, v2, v3, v4, v5, v6, v7, v8, v9]

    /// Brings a database up to the current schema (see ``Migrator``).
    @discardableResult
    public static func migrate(_ connection: PostgresConnection) throws -> [Int] {
        try Migrator(migrations).migrate(connection)
    }

    static let v1 = Migration(
        version: 1, name: "farm state",
        statements: [
            """
            CREATE TABLE jobs (
                id text PRIMARY KEY,
                state text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'stitching', 'encoding', 'succeeded', 'failed', 'cancelled')),
                spec jsonb NOT NULL,
                priority integer NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                error text,
                output_path text,
                output_bytes bigint CHECK (output_bytes >= 0),
                output_sha256 text,
                window_count integer NOT NULL DEFAULT 0 CHECK (window_count >= 0),
                frames integer NOT NULL DEFAULT 0 CHECK (frames >= 0))
            """,
            "CREATE INDEX jobs_schedule ON jobs (priority DESC, created_at, id) WHERE state IN ('queued', 'running')",
            "CREATE INDEX jobs_created ON jobs (created_at DESC)",
            """
            CREATE TABLE workers (
                id text PRIMARY KEY,
                name text NOT NULL UNIQUE,
                host text NOT NULL DEFAULT '',
                pid integer NOT NULL DEFAULT 0,
                engine text NOT NULL DEFAULT '',
                slots integer NOT NULL DEFAULT 1 CHECK (slots > 0),
                version text NOT NULL DEFAULT '',
                state text NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'busy', 'draining', 'offline')),
                registered_at timestamptz NOT NULL DEFAULT now(),
                last_seen_at timestamptz NOT NULL DEFAULT now(),
                drain boolean NOT NULL DEFAULT false)
            """,
            """
            CREATE TABLE windows (
                job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                index integer NOT NULL CHECK (index >= 0),
                first_frame integer NOT NULL CHECK (first_frame >= 0),
                frame_count integer NOT NULL CHECK (frame_count > 0),
                state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'leased', 'done', 'failed')),
                attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
                not_before timestamptz NOT NULL DEFAULT now(),
                lease_id text UNIQUE,
                lease_owner text REFERENCES workers (id) ON DELETE SET NULL,
                lease_expires_at timestamptz,
                result bytea,
                result_digest text,
                duration_ms bigint,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (job_id, index),
                CHECK ((state = 'leased') = (lease_id IS NOT NULL)),
                CHECK (state <> 'leased' OR lease_expires_at IS NOT NULL))
            """,
            "CREATE INDEX windows_pending ON windows (job_id, index) WHERE state = 'pending'",
            "CREATE INDEX windows_lease_expiry ON windows (lease_expires_at) WHERE state = 'leased'",
            "CREATE INDEX windows_lease_owner ON windows (lease_owner) WHERE lease_owner IS NOT NULL",
            """
            CREATE TABLE attempts (
                id bigserial PRIMARY KEY,
                job_id text NOT NULL,
                window_index integer NOT NULL,
                lease_id text NOT NULL UNIQUE,
                worker_id text NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
                started_at timestamptz NOT NULL DEFAULT now(),
                ended_at timestamptz,
                outcome text NOT NULL DEFAULT 'running'
                    CHECK (outcome IN ('running', 'done', 'failed', 'expired', 'cancelled')),
                error text,
                log_tail text,
                FOREIGN KEY (job_id, window_index) REFERENCES windows (job_id, index) ON DELETE CASCADE)
            """,
            "CREATE INDEX attempts_window ON attempts (job_id, window_index, id)",
            "CREATE INDEX attempts_worker ON attempts (worker_id, id)",
            """
            CREATE TABLE worker_blocks (
                job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                worker_id text NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
                failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
                blocked boolean NOT NULL DEFAULT false,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (job_id, worker_id))
            """,
            """
            CREATE TABLE events (
                id bigserial PRIMARY KEY,
                job_id text REFERENCES jobs (id) ON DELETE CASCADE,
                window_index integer,
                time timestamptz NOT NULL DEFAULT now(),
                kind text NOT NULL,
                message text NOT NULL)
            """,
            "CREATE INDEX events_job ON events (job_id, id)",
            """
            CREATE TABLE checkpoints (
                job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                step integer NOT NULL CHECK (step >= 0),
                data bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (job_id, step))
            """,
        ])

    /// Codenoise window groups: a group lease holds a contiguous run of windows for a whole job, advanced
    /// step by step; its checkpoints are the group's fused latents after a step.
    static let v2 = Migration(
        version: 2, name: "codenoise groups",
        statements: [
            """
            CREATE TABLE groups (
                job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                index integer NOT NULL CHECK (index >= 0),
                first_window integer NOT NULL CHECK (first_window >= 0),
                window_count integer NOT NULL CHECK (window_count > 0),
                state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'leased', 'done', 'failed')),
                attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
                not_before timestamptz NOT NULL DEFAULT now(),
                lease_id text UNIQUE,
                lease_owner text REFERENCES workers (id) ON DELETE SET NULL,
                lease_expires_at timestamptz,
                step integer NOT NULL DEFAULT 0 CHECK (step >= 0),
                checkpoint_step integer NOT NULL DEFAULT 0 CHECK (checkpoint_step >= 0),
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (job_id, index),
                CHECK ((state = 'leased') = (lease_id IS NOT NULL)),
                CHECK (state <> 'leased' OR lease_expires_at IS NOT NULL))
            """,
            "CREATE INDEX groups_pending ON groups (job_id, index) WHERE state = 'pending'",
            "CREATE INDEX groups_lease_owner ON groups (lease_owner) WHERE lease_owner IS NOT NULL",
            """
            CREATE TABLE group_checkpoints (
                job_id text NOT NULL,
                group_index integer NOT NULL,
                step integer NOT NULL CHECK (step > 0),
                data bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (job_id, group_index, step),
                FOREIGN KEY (job_id, group_index) REFERENCES groups (job_id, index) ON DELETE CASCADE)
            """,
            "ALTER TABLE attempts ADD COLUMN group_index integer",
            // Latents are incompressible floats: storing them uncompressed saves PostgreSQL's pglz pass.
            "ALTER TABLE group_checkpoints ALTER COLUMN data SET STORAGE EXTERNAL",
            "ALTER TABLE windows ALTER COLUMN result SET STORAGE EXTERNAL",
            // Version 1's job-wide checkpoints were never written: groups checkpoint on their own.
            "DROP TABLE checkpoints",
        ])

    static let v3 = Migration(
        version: 3, name: "decode segments",
        statements: [
            """
            CREATE TABLE segments (
                job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                index integer NOT NULL CHECK (index >= 0),
                first_frame integer NOT NULL CHECK (first_frame >= 0),
                frame_count integer NOT NULL CHECK (frame_count > 0),
                latent_first integer NOT NULL CHECK (latent_first >= 0),
                latent_count integer NOT NULL CHECK (latent_count > 0),
                latents bytea NOT NULL,
                state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'leased', 'done', 'failed')),
                attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
                not_before timestamptz NOT NULL DEFAULT now(),
                lease_id text UNIQUE,
                lease_owner text REFERENCES workers (id) ON DELETE SET NULL,
                lease_expires_at timestamptz,
                video bytea,
                video_digest text,
                model text,
                error text,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (job_id, index),
                CHECK ((state = 'leased') = (lease_id IS NOT NULL)),
                CHECK (state <> 'leased' OR lease_expires_at IS NOT NULL))
            """,
            "CREATE INDEX segments_pending ON segments (job_id, index) WHERE state = 'pending'",
            "CREATE INDEX segments_lease_owner ON segments (lease_owner) WHERE lease_owner IS NOT NULL",
            "ALTER TABLE segments ALTER COLUMN latents SET STORAGE EXTERNAL",
            "ALTER TABLE segments ALTER COLUMN video SET STORAGE EXTERNAL",
            // A segment's attempt names no window.
            "ALTER TABLE attempts ADD COLUMN segment_index integer",
            "ALTER TABLE attempts ALTER COLUMN window_index DROP NOT NULL",
            "ALTER TABLE attempts ADD CHECK ((window_index IS NULL) = (segment_index IS NOT NULL))",
        ])

    static let v4 = Migration(
        version: 4, name: "engine offers",
        statements: [
            // What each engine a worker offers reports (name, model, weights hash, layout, defaults), as JSON
            // objects; `engine` holds the names, comma-separated.
            "ALTER TABLE workers ADD COLUMN offers jsonb NOT NULL DEFAULT '[]'",
        ])

    static let v5 = Migration(
        version: 5, name: "credentials",
        statements: [
            // The name of the client or admin credential that submitted the job (NULL before version 5).
            "ALTER TABLE jobs ADD COLUMN owner text",
            // SHA-256 of the session secret the worker got at registration, and the worker credential's name.
            "ALTER TABLE workers ADD COLUMN session_sha256 text",
            "ALTER TABLE workers ADD COLUMN credential text",
            "CREATE UNIQUE INDEX workers_session ON workers (session_sha256)",
        ])

    static let v6 = Migration(
        version: 6, name: "stored videos",
        statements: [
            // A finished job's MP4, in chunks of `FarmStore.videoChunkBytes`: every coordinator on the
            // database (a standby that took over) can serve it; the file in the data directory is a cache.
            """
            CREATE TABLE job_videos (
                job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                chunk integer NOT NULL CHECK (chunk >= 0),
                data bytea NOT NULL,
                PRIMARY KEY (job_id, chunk))
            """,
            "ALTER TABLE job_videos ALTER COLUMN data SET STORAGE EXTERNAL",
            // The window results (and checkpoints) were deleted once the video was stored: a rerun of
            // some windows renders them all.
            "ALTER TABLE jobs ADD COLUMN results_pruned boolean NOT NULL DEFAULT false",
        ])

    static let v7 = Migration(
        version: 7, name: "deletable jobs",
        statements: [
            // Segment attempts have no window, so the (job, window) key did not cascade: deleting a job
            // (`longshot delete`, `--job-retention`) takes all its attempts.
            "ALTER TABLE attempts ADD FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE",
        ])

    static let v8 = Migration(
        version: 8, name: "blocked workers",
        statements: [
            // An operator's block (its leases taken away, none given until unblocked) is its own state,
            // not a drain; a blocked worker is also drained, so everything that skips drained workers skips it.
            "ALTER TABLE workers ADD COLUMN blocked boolean NOT NULL DEFAULT false",
            "ALTER TABLE workers DROP CONSTRAINT workers_state_check",
            "ALTER TABLE workers ADD CONSTRAINT workers_state_check CHECK (state IN ('idle', 'busy', 'draining', 'blocked', 'offline'))",
        ])

    static let v9 = Migration(
        version: 9, name: "webhooks",
        statements: [
            // A job's own webhook (SubmitJob.notify_url), called with its end state.
            "ALTER TABLE jobs ADD COLUMN notify_url text",
            // Calls to make, kept until delivered or given up, so a coordinator restart loses none.
            """
            CREATE TABLE notifications (
                id bigserial PRIMARY KEY,
                job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                url text NOT NULL,
                payload text NOT NULL,
                attempts int NOT NULL DEFAULT 0,
                next_at timestamptz NOT NULL DEFAULT now(),
                delivered_at timestamptz,
                gave_up boolean NOT NULL DEFAULT false,
                last_error text,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX notifications_due ON notifications (next_at) WHERE delivered_at IS NULL AND NOT gave_up",
            // Every change of a job to an end state, whichever code path made it, in the same transaction:
            // the coordinator turns each into its calls (and deletes it), so none is missed.
            """
            CREATE TABLE job_endings (
                id bigserial PRIMARY KEY,
                job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                state text NOT NULL,
                ended_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE FUNCTION longshot_job_ended() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO job_endings (job_id, state) VALUES (NEW.id, NEW.state);
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER jobs_ended AFTER UPDATE OF state ON jobs FOR EACH ROW
            WHEN (NEW.state IN ('succeeded', 'failed', 'cancelled') AND OLD.state IS DISTINCT FROM NEW.state)
            EXECUTE FUNCTION longshot_job_ended()
            """,
        ])
}
