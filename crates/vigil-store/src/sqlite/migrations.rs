//! The schema of the SQLite store as an ordered list of migration steps.
//!
//! `PRAGMA user_version` holds how many steps a database has had. Opening applies the missing ones, each in
//! its own transaction together with the version bump, so a failed step leaves the database at the previous
//! version. Steps are only ever appended (later features add tables; they never rewrite a shipped step), so
//! any older database can be brought forward. A database with more steps than this binary knows was
//! written by a newer vigil and is refused.

use crate::error::StoreError;
use rusqlite::{Connection, TransactionBehavior};

/// `PRAGMA application_id` of vigil databases ("VIGL"), so that a stray SQLite file is not mistaken for one.
pub const APPLICATION_ID: i64 = 0x5649_474C;

/// Step 1: the vulnerability knowledge base.
const V1_KNOWLEDGE: &str = r#"
CREATE TABLE sources (
    key             TEXT PRIMARY KEY NOT NULL,
    origin          TEXT NOT NULL DEFAULT '',
    etag            TEXT,
    last_modified   TEXT,
    sha256          TEXT,
    -- Instants as microseconds since the Unix epoch (UTC).
    last_attempt_at INTEGER,
    last_success_at INTEGER,
    status          TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    last_error      TEXT,
    imported        INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    withdrawn       INTEGER NOT NULL DEFAULT 0,
    removed         INTEGER NOT NULL DEFAULT 0
);

-- One row per advisory id: the newest copy seen, from whichever source. `source_key` is the source that
-- wrote the row; `advisory_sources` lists every source that provides the id.
CREATE TABLE advisories (
    pk         INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    source_key TEXT NOT NULL REFERENCES sources (key),
    source     TEXT NOT NULL,
    modified   INTEGER NOT NULL,
    published  INTEGER,
    withdrawn  INTEGER,
    summary    TEXT,
    json       TEXT NOT NULL
);
CREATE INDEX advisories_source_key ON advisories (source_key);

CREATE TABLE advisory_sources (
    source_key  TEXT NOT NULL REFERENCES sources (key) ON DELETE CASCADE,
    advisory_id TEXT NOT NULL,
    PRIMARY KEY (source_key, advisory_id)
) WITHOUT ROWID;
CREATE INDEX advisory_sources_id ON advisory_sources (advisory_id);

CREATE TABLE advisory_aliases (
    advisory INTEGER NOT NULL REFERENCES advisories (pk) ON DELETE CASCADE,
    alias    TEXT NOT NULL,
    PRIMARY KEY (advisory, alias)
) WITHOUT ROWID;
CREATE INDEX advisory_aliases_alias ON advisory_aliases (alias);

-- Affected packages, clustered for the (ecosystem, name) look-up. `ecosystem` is as filed (`Debian:12`),
-- `base` without the release, `release_key` the canonical distro release (NULL for language ecosystems
-- and for a distro without release), `name` normalised for the ecosystem.
CREATE TABLE affected (
    base        TEXT NOT NULL,
    name        TEXT NOT NULL,
    ecosystem   TEXT NOT NULL,
    advisory    INTEGER NOT NULL REFERENCES advisories (pk) ON DELETE CASCADE,
    release_key TEXT,
    PRIMARY KEY (base, name, ecosystem, advisory)
) WITHOUT ROWID;
CREATE INDEX affected_advisory ON affected (advisory);

CREATE TABLE kev (
    cve              TEXT PRIMARY KEY NOT NULL,
    source_key       TEXT NOT NULL REFERENCES sources (key),
    date_added       TEXT NOT NULL,
    due_date         TEXT,
    known_ransomware INTEGER NOT NULL,
    json             TEXT NOT NULL
);
CREATE INDEX kev_source_key ON kev (source_key);

CREATE TABLE epss (
    cve        TEXT PRIMARY KEY NOT NULL,
    source_key TEXT NOT NULL REFERENCES sources (key),
    epss       REAL NOT NULL,
    percentile REAL NOT NULL,
    date       TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE microsoft_fixes (
    pk         INTEGER PRIMARY KEY,
    cve        TEXT NOT NULL,
    product    TEXT NOT NULL,
    product_id TEXT NOT NULL,
    kb         TEXT NOT NULL,
    source_key TEXT NOT NULL REFERENCES sources (key),
    json       TEXT NOT NULL,
    UNIQUE (cve, product_id, kb)
);
CREATE INDEX microsoft_fixes_kb ON microsoft_fixes (kb);
CREATE INDEX microsoft_fixes_product ON microsoft_fixes (product COLLATE NOCASE);
CREATE INDEX microsoft_fixes_source_key ON microsoft_fixes (source_key);
"#;

/// Step 2: assets and their scan snapshots, and the findings tracked across snapshots (first seen, last
/// seen, resolved), which patch deadlines and remediation times are computed from.
const V2_SNAPSHOTS: &str = r#"
CREATE TABLE assets (
    name       TEXT PRIMARY KEY NOT NULL,
    -- JSON array of policy tags.
    tags       TEXT NOT NULL DEFAULT '[]',
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);

CREATE TABLE snapshots (
    pk          INTEGER PRIMARY KEY,
    asset       TEXT NOT NULL REFERENCES assets (name) ON DELETE CASCADE,
    taken_at    INTEGER NOT NULL,
    -- JSON array of the inputs scanned (files, directories, roots).
    inputs      TEXT NOT NULL,
    packages    INTEGER NOT NULL,
    findings    INTEGER NOT NULL,
    -- The newest update installation the inputs evidence (Get-HotFix InstalledOn), as YYYY-MM-DD.
    last_update TEXT
);
CREATE INDEX snapshots_asset ON snapshots (asset, taken_at);

CREATE TABLE snapshot_packages (
    snapshot    INTEGER NOT NULL REFERENCES snapshots (pk) ON DELETE CASCADE,
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    source_name TEXT,
    file        TEXT NOT NULL,
    line        INTEGER
);
CREATE INDEX snapshot_packages_snapshot ON snapshot_packages (snapshot);

-- One row per occurrence of a finding on an asset: open while `resolved_at` is NULL. A finding that comes
-- back after being resolved is a new occurrence (a new row).
CREATE TABLE findings (
    pk                INTEGER PRIMARY KEY,
    asset             TEXT NOT NULL REFERENCES assets (name) ON DELETE CASCADE,
    key               TEXT NOT NULL,
    first_seen        INTEGER NOT NULL,
    last_seen         INTEGER NOT NULL,
    first_snapshot    INTEGER NOT NULL REFERENCES snapshots (pk) ON DELETE CASCADE,
    last_snapshot     INTEGER NOT NULL REFERENCES snapshots (pk) ON DELETE CASCADE,
    resolved_at       INTEGER,
    resolved_snapshot INTEGER REFERENCES snapshots (pk) ON DELETE CASCADE,
    severity          TEXT NOT NULL,
    fix_released      TEXT,
    due               TEXT,
    json              TEXT NOT NULL
);
CREATE UNIQUE INDEX findings_open ON findings (asset, key) WHERE resolved_at IS NULL;
CREATE INDEX findings_asset ON findings (asset, resolved_at);
"#;

/// Step 3: the investigation: detections kept from hunts and audits (with the triage decision that
/// dismissed one as a false positive), the incidents opened from them, and the remedial action plan.
const V3_INVESTIGATION: &str = r#"
-- One row per detection, identified by its rule and first record: hunting the same logs again does not
-- duplicate it. `record` is the record reference as JSON ({"line": 12}, {"evtx_record": 8815}).
CREATE TABLE detections (
    pk        INTEGER PRIMARY KEY,
    rule_id   TEXT NOT NULL,
    file      TEXT NOT NULL,
    record    TEXT NOT NULL,
    host      TEXT,
    timestamp INTEGER,
    level     TEXT NOT NULL,
    stored_at INTEGER NOT NULL,
    -- Why a person dismissed it as a false positive; NULL while it stands.
    dismissed TEXT,
    json      TEXT NOT NULL,
    UNIQUE (rule_id, file, record)
);
CREATE INDEX detections_time ON detections (timestamp);

CREATE TABLE incidents (
    id          TEXT PRIMARY KEY NOT NULL,
    asset       TEXT,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    level       TEXT NOT NULL,
    detections  INTEGER NOT NULL,
    entry_point TEXT,
    status      TEXT NOT NULL DEFAULT 'open',
    opened_at   INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- The investigation's own summary (root cause, measures) as JSON, as last computed.
    json        TEXT NOT NULL
);

CREATE TABLE remedial_actions (
    id         INTEGER PRIMARY KEY,
    incident   TEXT,
    asset      TEXT,
    action     TEXT NOT NULL,
    owner      TEXT,
    -- YYYY-MM-DD.
    due        TEXT,
    status     TEXT NOT NULL CHECK (status IN ('open', 'done')),
    created_at INTEGER NOT NULL,
    done_at    INTEGER,
    note       TEXT
);
CREATE INDEX remedial_actions_status ON remedial_actions (status, due);
"#;

/// The migration steps, in order; step `i` (0-based) brings a database to version `i + 1`.
/// Version 4: each affected row keeps the JSON of its package's entries, and each advisory its JSON without
/// the `affected` list, so a package look-up decodes only what concerns that package (distro advisories
/// list dozens of packages). Rows written before it have NULLs and are decoded from the full JSON.
const V4_AFFECTED_JSON: &str = r#"
ALTER TABLE affected ADD COLUMN json TEXT;
ALTER TABLE advisories ADD COLUMN core TEXT;
"#;

/// Version 5: the findings of each snapshot, so that the findings' history (first seen, last seen,
/// resolved) is derived from the snapshots in the order they were *taken*, not stored: an audit of last
/// year's inventory stored after this week's scan is a normal workflow. Snapshots stored before it were
/// stored in order, so their finding sets are exactly the occurrences that spanned them.
const V5_SNAPSHOT_FINDINGS: &str = r#"
CREATE TABLE snapshot_findings (
    snapshot     INTEGER NOT NULL REFERENCES snapshots (pk) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    severity     TEXT NOT NULL,
    fix_released TEXT,
    due          TEXT,
    json         TEXT NOT NULL,
    PRIMARY KEY (snapshot, key)
);
INSERT OR IGNORE INTO snapshot_findings (snapshot, key, severity, fix_released, due, json)
    SELECT s.pk, f.key, f.severity, f.fix_released, f.due, f.json
    FROM findings f JOIN snapshots s ON s.asset = f.asset
    WHERE s.taken_at >= f.first_seen AND s.taken_at <= f.last_seen;
"#;

/// Alerts that demand acknowledgement: the alert (one live alert per dedup key), its history of
/// transitions and deliveries, the signed links already used, and the secret that signs them.
const ALERTS: &str = r#"
CREATE TABLE alerts (
    id                 INTEGER PRIMARY KEY,
    dedup_key          TEXT NOT NULL,
    subject            TEXT NOT NULL
                       CHECK (subject IN ('finding', 'incident', 'source_health', 'self_test')),
    reference          TEXT NOT NULL,
    severity           TEXT NOT NULL,
    title              TEXT NOT NULL,
    asset              TEXT,
    -- JSON array of {"label", "value"}.
    evidence           TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    updates            INTEGER NOT NULL DEFAULT 0,
    acknowledged_by    TEXT,
    acknowledged_at    INTEGER,
    acknowledged_note  TEXT,
    resolved_by        TEXT,
    resolved_at        INTEGER,
    resolved_note      TEXT,
    escalation_level   INTEGER NOT NULL DEFAULT 0,
    next_escalation_at INTEGER
);
-- One live alert per key: a later raise of the key updates it until it is resolved.
CREATE UNIQUE INDEX alerts_live_key ON alerts (dedup_key) WHERE state <> 'resolved';
CREATE INDEX alerts_state ON alerts (state, id);
CREATE INDEX alerts_escalation ON alerts (next_escalation_at) WHERE next_escalation_at IS NOT NULL;

-- Append-only history; the columns a kind does not use are NULL.
CREATE TABLE alert_events (
    pk        INTEGER PRIMARY KEY,
    alert     INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('raised', 'updated', 'acknowledged', 'resolved',
                                            'escalated', 'delivered', 'delivery_failed')),
    severity  TEXT,
    actor     TEXT,
    via_link  INTEGER,
    channel   TEXT,
    recipient TEXT,
    attempt   INTEGER,
    level     INTEGER,
    -- The note of a person, the contact escalated to, or the error of a failed delivery.
    detail    TEXT
);
CREATE INDEX alert_events_alert ON alert_events (alert, pk);

CREATE TABLE alert_links_used (
    nonce   TEXT PRIMARY KEY NOT NULL,
    alert   INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    used_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE alert_secrets (
    name   TEXT PRIMARY KEY NOT NULL,
    secret BLOB NOT NULL
) WITHOUT ROWID;
"#;

/// Live log reading: where each watched file's reader stands (see `vigil_model::Checkpoint`), and
/// the named state of the live detection committed with it.
const INGEST_CHECKPOINTS: &str = r#"
CREATE TABLE ingest_checkpoints (
    watch           TEXT NOT NULL,
    key             TEXT NOT NULL,
    path            TEXT NOT NULL,
    device          INTEGER NOT NULL,
    inode           INTEGER NOT NULL,
    fingerprint     TEXT NOT NULL,
    fingerprint_len INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('text', 'evtx')),
    -- Text logs: byte offset after the last whole line passed on, and its line number.
    offset          INTEGER NOT NULL DEFAULT 0,
    line            INTEGER NOT NULL DEFAULT 0,
    -- EVTX: the highest record number of the file's record headers, and EventRecordID, read.
    file_record     INTEGER NOT NULL DEFAULT 0,
    event_record    INTEGER NOT NULL DEFAULT 0,
    gzip            INTEGER NOT NULL DEFAULT 0,
    done            INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (watch, key)
) WITHOUT ROWID;

CREATE TABLE ingest_state (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Step 8: the heartbeat of `vigil serve`, one service row and one row per watched source,
/// replaced together every few seconds (see [`crate::health`]).
const SERVE_HEALTH: &str = r#"
CREATE TABLE serve_heartbeat (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    -- Instants as microseconds since the Unix epoch (UTC).
    started_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_poll         INTEGER,
    stopped_at        INTEGER,
    heartbeat_secs    INTEGER NOT NULL,
    pid               INTEGER NOT NULL,
    events            INTEGER NOT NULL DEFAULT 0,
    detections_stored INTEGER NOT NULL DEFAULT 0,
    detections_known  INTEGER NOT NULL DEFAULT 0,
    alerts_raised     INTEGER NOT NULL DEFAULT 0,
    alerts_undelivered INTEGER NOT NULL DEFAULT 0,
    late_events       INTEGER NOT NULL DEFAULT 0,
    heartbeat_errors  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE serve_source_health (
    name           TEXT PRIMARY KEY NOT NULL,
    -- Order of the sources in the configuration.
    position       INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    files          INTEGER NOT NULL DEFAULT 0,
    last_event     INTEGER,
    last_arrival   INTEGER,
    events         INTEGER NOT NULL DEFAULT 0,
    events_per_min INTEGER NOT NULL DEFAULT 0,
    bytes_read     INTEGER NOT NULL DEFAULT 0,
    bytes_behind   INTEGER NOT NULL DEFAULT 0,
    lag_seconds    INTEGER,
    errors         INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    rotations      INTEGER NOT NULL DEFAULT 0,
    truncations    INTEGER NOT NULL DEFAULT 0,
    late_events    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
"#;

/// Step 9: the console: user accounts, API tokens and sessions (hashes only), and the append-only,
/// hash-chained audit trail with its head (see [`crate::trail`]).
const CONSOLE: &str = r#"
CREATE TABLE users (
    name          TEXT PRIMARY KEY NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    -- PHC string of the Argon2id hash.
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    -- Instants as microseconds since the Unix epoch (UTC).
    created_at    INTEGER NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    last_login    INTEGER
) WITHOUT ROWID;

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    -- SHA-256 of the secret; the secret itself is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    last_used  INTEGER
);

CREATE TABLE console_sessions (
    -- SHA-256 of the session id in the cookie.
    id_hash    TEXT PRIMARY KEY NOT NULL,
    user       TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX console_sessions_user ON console_sessions (user);

CREATE TABLE trail (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- The count and last hash, written with every append, so that a cut tail shows.
CREATE TABLE trail_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL,
    hash  TEXT NOT NULL
);

-- Append-only for vigil itself; a person editing the file can drop these, which verification catches.
CREATE TRIGGER trail_no_update BEFORE UPDATE ON trail
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER trail_no_delete BEFORE DELETE ON trail
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"#;

/// Step 10: the incident record the organisation keeps for each incident (controller, DPO, awareness
/// time, people affected, measures: what only a person can know), edited in the console or through the
/// API, as the JSON of `vigil_investigate::IncidentRecord` so that a field added to the record needs no
/// new step; who saved it last and when beside it. `incident` compares without case, as incident ids
/// are looked up.
const INCIDENT_RECORDS: &str = r#"
CREATE TABLE incident_records (
    incident TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    json     TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    -- Microseconds since the Unix epoch (UTC).
    saved_at INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Step 11: exceptions to findings made in the console (an asset's finding ignored with a reason until
/// an expiry date, by whom and when), applied by scans, the service and `vigil status` beside the
/// ignore file's. Rows are kept after they expire: an expired exception is history, and the finding
/// counts again.
const FINDING_EXCEPTIONS: &str = r#"
CREATE TABLE finding_exceptions (
    id         INTEGER PRIMARY KEY,
    asset      TEXT NOT NULL,
    -- An advisory id, alias or KB, as an ignore file's `id`.
    advisory   TEXT NOT NULL,
    package    TEXT,
    reason     TEXT NOT NULL,
    -- YYYY-MM-DD: the first day the exception no longer applies.
    expires    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    -- Microseconds since the Unix epoch (UTC).
    created_at INTEGER NOT NULL
);
CREATE INDEX finding_exceptions_asset ON finding_exceptions (asset, expires);
"#;

/// Step 12: invitations to the console. An invited user has no password until they choose one on the
/// invitation's page; only the SHA-256 of the invitation's secret is kept, and an invitation works once,
/// until it expires.
const USER_INVITES: &str = r#"
CREATE TABLE user_invites (
    -- SHA-256 of the secret in the link; the secret itself is shown once and never stored.
    token_hash TEXT PRIMARY KEY NOT NULL,
    user       TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    -- Microseconds since the Unix epoch (UTC).
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;
"#;

/// Step 13: the TOTP second factor of console accounts (RFC 6238): the shared secret in hex, kept as
/// it is because verifying needs it (see `second_factor`), and the last time step a code was accepted
/// for, so that a code opens one session only.
const TOTP: &str = r#"
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
"#;

pub const MIGRATIONS: &[&str] = &[
    V1_KNOWLEDGE,
    V2_SNAPSHOTS,
    V3_INVESTIGATION,
    V4_AFFECTED_JSON,
    V5_SNAPSHOT_FINDINGS,
    ALERTS,
    INGEST_CHECKPOINTS,
    SERVE_HEALTH,
    CONSOLE,
    INCIDENT_RECORDS,
    FINDING_EXCEPTIONS,
    USER_INVITES,
    TOTP,
];

/// The schema version this binary writes.
pub fn latest_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

fn application_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA application_id", [], |row| row.get(0))
}

/// Refuses databases of other applications and of newer vigil versions.
pub fn check(conn: &Connection, path: &str) -> Result<i64, StoreError> {
    let sqlite = |source| StoreError::Open {
        path: path.into(),
        source,
    };
    let app = application_id(conn).map_err(sqlite)?;
    let version = user_version(conn).map_err(sqlite)?;
    if app != APPLICATION_ID {
        let objects: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
            .map_err(sqlite)?;
        if app != 0 || version != 0 || objects != 0 {
            return Err(StoreError::NotVigilDatabase {
                path: path.to_string(),
                found: app,
                expected: APPLICATION_ID,
            });
        }
    }
    if version > latest_version() {
        return Err(StoreError::SchemaTooNew {
            path: path.to_string(),
            found: version,
            supported: latest_version(),
        });
    }
    Ok(version)
}

/// Applies every missing step of [`MIGRATIONS`].
pub fn migrate(conn: &mut Connection, path: &str) -> Result<(), StoreError> {
    apply(conn, path, MIGRATIONS)
}

/// Applies the missing steps of `steps`. Each runs in an immediate transaction that re-reads the version
/// first, so two processes opening a new database at once do not both migrate it.
pub fn apply(conn: &mut Connection, path: &str, steps: &[&str]) -> Result<(), StoreError> {
    for (index, sql) in steps.iter().enumerate() {
        let target = i64::try_from(index + 1).unwrap_or(i64::MAX);
        let failed = |source| StoreError::Migration {
            path: path.to_string(),
            version: target,
            source,
        };
        if user_version(conn).map_err(failed)? >= target {
            continue;
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let current = user_version(&tx).map_err(failed)?;
        if current >= target {
            continue;
        }
        tx.execute_batch(sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", target)
            .map_err(failed)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
    }
    Ok(())
}
