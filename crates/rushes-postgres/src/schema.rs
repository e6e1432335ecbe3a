//! The library's schema in PostgreSQL and its migrations: one ordered list, applied in one
//! transaction each under an advisory lock (two machines starting at once migrate once), a
//! `schema_version` row per applied step. Also owns the extensions the schema needs
//! (`vector`, `unaccent`) and the clear error when the database user may not create them.
//!
//! The tables mirror the SQLite catalog of `rushes-store` (assets, moments, frames, tags,
//! transcript, screen texts, slates, hand tags and notes, collections, people and faces,
//! runs and failures), with PostgreSQL's types: JSONB for the JSON columns, BOOLEAN for
//! flags, identity columns for ids. Columns SQLite calls `start`/`end` are `start_time` /
//! `end_time` here (`END` is reserved in PostgreSQL).

use postgres::Client;
use postgres::error::SqlState;

use crate::PostgresError;

/// Every schema step, in order; `schema_version` holds the number of the last one applied.
const MIGRATIONS: &[&str] = &[
    CATALOG,
    TEXT_SEARCH,
    VECTORS,
    WORKERS,
    MOMENT_FILTERS,
    THUMBNAIL_TIMES,
    TEXT_UNITS,
    RANKING_DOCUMENTS,
    VECTORS_IN_ROWS,
    CLAIM_TIMES,
    TEXT_CHANGES,
    TEXT_CHANGES_PRUNED,
];

/// The schema version this rushes writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Key of the advisory lock held while migrating (any constant unique to rushes).
const MIGRATION_LOCK: i64 = 0x7275_7368_6573_0001;

/// The extensions the schema uses: pgvector's `vector` (not trusted: a superuser or an
/// administrator creates it) and `unaccent` (trusted: the database owner may).
const EXTENSIONS: [&str; 2] = ["vector", "unaccent"];

/// Step 1: the catalog, as the SQLite catalog holds it after its four migrations plus the
/// people tables.
const CATALOG: &str = r#"
CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    -- The path in library form (see path_prefixes): the same file has the same path from
    -- every machine.
    path BYTEA NOT NULL UNIQUE,
    display_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    size BIGINT NOT NULL,
    mtime BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    media JSONB NOT NULL,
    captured_at BIGINT NOT NULL,
    duration DOUBLE PRECISION NOT NULL,
    embedding_model TEXT,
    warnings JSONB NOT NULL DEFAULT '[]',
    pending BOOLEAN NOT NULL DEFAULT true,
    indexed_at BIGINT NOT NULL
);
CREATE INDEX assets_by_hash ON assets (content_hash);
CREATE INDEX assets_pending ON assets (pending) WHERE pending;
CREATE TABLE moments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start_time DOUBLE PRECISION NOT NULL,
    end_time DOUBLE PRECISION NOT NULL,
    keyframe DOUBLE PRECISION NOT NULL,
    thumbnail TEXT,
    ocr_text TEXT NOT NULL,
    caption TEXT,
    transcript JSONB NOT NULL
);
CREATE INDEX moments_by_asset ON moments (asset_id, ordinal);
CREATE TABLE frames (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    moment_id BIGINT NOT NULL REFERENCES moments (id) ON DELETE CASCADE,
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    time DOUBLE PRECISION NOT NULL,
    thumbnail TEXT
);
CREATE INDEX frames_by_moment ON frames (moment_id);
CREATE INDEX frames_by_asset ON frames (asset_id, time);
CREATE TABLE tags (
    moment_id BIGINT NOT NULL REFERENCES moments (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    score REAL NOT NULL
);
CREATE INDEX tags_by_moment ON tags (moment_id);
CREATE TABLE transcript_lines (
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    start_time DOUBLE PRECISION NOT NULL,
    end_time DOUBLE PRECISION NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX transcript_by_asset ON transcript_lines (asset_id, start_time);
CREATE TABLE screen_texts (
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    start_time DOUBLE PRECISION NOT NULL,
    end_time DOUBLE PRECISION NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX screen_texts_by_asset ON screen_texts (asset_id, start_time);
CREATE TABLE slates (
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    start_time DOUBLE PRECISION NOT NULL,
    end_time DOUBLE PRECISION NOT NULL,
    seen_start DOUBLE PRECISION NOT NULL,
    seen_end DOUBLE PRECISION NOT NULL,
    tail BOOLEAN NOT NULL DEFAULT false,
    scene TEXT,
    take TEXT,
    roll TEXT,
    camera TEXT,
    slate JSONB NOT NULL
);
CREATE INDEX slates_by_asset ON slates (asset_id, start_time);
-- Hand annotations survive a re-index of their asset (no foreign key, as in SQLite).
-- Whole-asset annotations and items have start_time = end_time = 0.
CREATE TABLE hand_tags (
    asset_id TEXT NOT NULL,
    start_time DOUBLE PRECISION NOT NULL,
    end_time DOUBLE PRECISION NOT NULL,
    tag TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (asset_id, start_time, end_time, tag)
);
CREATE TABLE hand_notes (
    asset_id TEXT NOT NULL,
    start_time DOUBLE PRECISION NOT NULL,
    end_time DOUBLE PRECISION NOT NULL,
    note TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (asset_id, start_time, end_time)
);
CREATE TABLE collection_names (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE TABLE collection_items (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id BIGINT NOT NULL REFERENCES collection_names (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    asset_id TEXT NOT NULL,
    start_time DOUBLE PRECISION NOT NULL,
    end_time DOUBLE PRECISION NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    added_at BIGINT NOT NULL
);
CREATE INDEX collection_items_in_order ON collection_items (collection_id, position);
CREATE TABLE people (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT,
    centroid_faces INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE faces (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    time DOUBLE PRECISION NOT NULL,
    x INTEGER NOT NULL,
    y INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    sharpness REAL NOT NULL,
    person_id BIGINT NOT NULL REFERENCES people (id),
    thumbnail TEXT
);
CREATE INDEX faces_by_asset ON faces (asset_id, time);
CREATE INDEX faces_by_person ON faces (person_id);
CREATE INDEX faces_by_content ON faces (content_hash, time);
CREATE TABLE failures (
    path BYTEA PRIMARY KEY,
    display_path TEXT NOT NULL,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE TABLE runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    files_done INTEGER NOT NULL DEFAULT 0,
    files_failed INTEGER NOT NULL DEFAULT 0
);
-- Thumbnails live in the database, so every machine serving the library reaches them.
CREATE TABLE thumbnails (
    name TEXT PRIMARY KEY,
    asset_id TEXT NOT NULL,
    jpeg BYTEA NOT NULL
);
CREATE INDEX thumbnails_by_asset ON thumbnails (asset_id);
"#;

/// Step 2: full-text search as close to the Tantivy analyzer (`rushes_text_v2`) as
/// PostgreSQL allows. Tantivy splits on non-alphanumerics and between letters and digits,
/// drops words over 48 bytes, lowercases, folds accents and stems (Snowball English).
/// Here: `rushes_words` puts a space between letters and digits (`TAKE3` → `TAKE 3`; a
/// letter is anything not a digit, space or ASCII punctuation, so `été2024` splits under
/// any collation, where `[[:alpha:]]` is ASCII-only in the C locale),
/// the `rushes_text` configuration maps every word through `unaccent` then a Snowball
/// English stemmer *without* stop words (Tantivy keeps `the`, so does this). Differences
/// that remain: PostgreSQL's parser keeps some tokens whole that Tantivy splits (e-mail
/// addresses, URLs, file paths, `1.5` as one number) and drops words over 2047 bytes
/// rather than 48.
///
/// Each moment has one row of text per field; `document` weighs the fields as the text
/// index boosts them: transcript, OCR and caption A (1.0), tags B (0.9), name C (0.8),
/// metadata D (0.5) — `ts_rank` with `{0.5, 0.8, 0.9, 1.0}`.
const TEXT_SEARCH: &str = r#"
CREATE TEXT SEARCH DICTIONARY rushes_english_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION rushes_text (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION rushes_text
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part,
        numword, numhword, hword_numpart
    WITH unaccent, rushes_english_stem;
CREATE FUNCTION rushes_words(input TEXT) RETURNS TEXT
    LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(
        regexp_replace(input, '([^0-9[:space:][:punct:]])([0-9])', '\1 \2', 'g'),
        '([0-9])([^0-9[:space:][:punct:]])', '\1 \2', 'g');
CREATE FUNCTION rushes_tsvector(input TEXT) RETURNS tsvector
    LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_tsvector('rushes_text'::regconfig, rushes_words(input));
CREATE FUNCTION rushes_tsquery(input TEXT) RETURNS tsquery
    LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE
    RETURN websearch_to_tsquery('rushes_text'::regconfig, rushes_words(input));
CREATE TABLE moment_texts (
    moment_id BIGINT PRIMARY KEY REFERENCES moments (id) ON DELETE CASCADE,
    transcript TEXT NOT NULL DEFAULT '',
    ocr TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '',
    document tsvector GENERATED ALWAYS AS (
        setweight(rushes_tsvector(transcript || ' ' || ocr || ' ' || caption), 'A')
        || setweight(rushes_tsvector(tags), 'B')
        || setweight(rushes_tsvector(name), 'C')
        || setweight(rushes_tsvector(metadata), 'D')
    ) STORED
);
CREATE INDEX moment_texts_document ON moment_texts USING gin (document);
"#;

/// Step 3: vectors in pgvector, keyed by model. One `vector` column of any dimension per
/// table; each model gets a partial HNSW index over its rows cast to its dimension
/// (`crate::vectors::register_model`), the way pgvector indexes mixed dimensions. Cosine
/// distance on L2-normalised vectors, as the usearch indexes.
const VECTORS: &str = r#"
CREATE TABLE embedding_models (
    name TEXT PRIMARY KEY,
    dim INTEGER NOT NULL CHECK (dim BETWEEN 1 AND 2000),
    last_used BIGINT NOT NULL
);
CREATE TABLE frame_vectors (
    frame_id BIGINT NOT NULL REFERENCES frames (id) ON DELETE CASCADE,
    model TEXT NOT NULL REFERENCES embedding_models (name),
    embedding vector NOT NULL,
    -- Not (model, frame_id): a b-tree led by the model would compete with the model's
    -- HNSW index for nearest-neighbour queries.
    PRIMARY KEY (frame_id, model)
);
-- dlib's face embeddings are 128-d, always.
ALTER TABLE people ADD COLUMN centroid vector(128) NOT NULL;
ALTER TABLE faces ADD COLUMN embedding vector(128) NOT NULL;
CREATE INDEX faces_embedding ON faces USING hnsw (embedding vector_l2_ops);
"#;

/// Step 4: the index workers' job queue and the path-prefix map (`crate::jobs`,
/// `crate::paths`).
const WORKERS: &str = r#"
CREATE TABLE index_jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The root the walk started from and the file, both in library form.
    root TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    size BIGINT NOT NULL,
    mtime BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'claimed', 'done', 'failed')),
    worker TEXT,
    lease_until TIMESTAMPTZ,
    attempts INTEGER NOT NULL DEFAULT 0,
    message TEXT,
    enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    CHECK ((state = 'claimed') = (worker IS NOT NULL AND lease_until IS NOT NULL))
);
-- What a claim scans: queued jobs and claims whose lease may have run out, in order.
CREATE INDEX index_jobs_open ON index_jobs (id) WHERE state IN ('queued', 'claimed');
CREATE TABLE path_prefixes (
    machine TEXT NOT NULL,
    library_prefix TEXT NOT NULL,
    local_prefix TEXT NOT NULL,
    PRIMARY KEY (machine, library_prefix)
);
"#;

/// Step 5: what the text index's filters, facets and orders read, beside each moment's text
/// (`rushes_store::text::MomentDocument`, the values the Tantivy document holds): its asset,
/// kind, folder terms, folder name, camera, tags as `tag:` matches them, capture date,
/// duration, time range and path in lower case. `camera_words` is the camera analysed as
/// Tantivy's plain analyzer does (words, lower case, accents folded, no stemming).
const MOMENT_FILTERS: &str = r#"
CREATE TEXT SEARCH CONFIGURATION rushes_plain (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION rushes_plain
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part,
        numword, numhword, hword_numpart
    WITH unaccent, simple;
ALTER TABLE moment_texts
    ADD COLUMN asset_id TEXT,
    ADD COLUMN notes TEXT NOT NULL DEFAULT '',
    ADD COLUMN kind TEXT NOT NULL DEFAULT '',
    ADD COLUMN folders TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN folder_facet TEXT NOT NULL DEFAULT '',
    ADD COLUMN camera TEXT NOT NULL DEFAULT '',
    ADD COLUMN tag_values TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN captured_at BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN duration DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN start_time DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN end_time DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN path_sort TEXT NOT NULL DEFAULT '',
    ADD COLUMN camera_words tsvector
        GENERATED ALWAYS AS (to_tsvector('rushes_plain'::regconfig, camera)) STORED;
UPDATE moment_texts t SET asset_id = m.asset_id FROM moments m WHERE m.id = t.moment_id;
ALTER TABLE moment_texts ALTER COLUMN asset_id SET NOT NULL;
ALTER TABLE moment_texts DROP COLUMN document;
ALTER TABLE moment_texts ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(rushes_tsvector(transcript || ' ' || ocr || ' ' || caption), 'A')
        || setweight(rushes_tsvector(tags || ' ' || notes), 'B')
        || setweight(rushes_tsvector(name), 'C')
        || setweight(rushes_tsvector(metadata), 'D')
    ) STORED;
CREATE INDEX moment_texts_document ON moment_texts USING gin (document);
CREATE INDEX moment_texts_by_asset ON moment_texts (asset_id);
CREATE INDEX moment_texts_by_date ON moment_texts (captured_at DESC, moment_id);
CREATE INDEX moment_texts_by_path ON moment_texts (path_sort, moment_id);
CREATE INDEX moment_texts_tags ON moment_texts USING gin (tag_values);
CREATE INDEX moment_texts_folders ON moment_texts USING gin (folders);
-- Written with their asset in one transaction: nothing is ever pending here.
ALTER TABLE assets ALTER COLUMN pending SET DEFAULT false;
"#;

/// Step 6: when each thumbnail was written, for the server's `Last-Modified`
/// (`crate::thumbnails`).
const THUMBNAIL_TIMES: &str = r#"
ALTER TABLE thumbnails ADD COLUMN written_at TIMESTAMPTZ NOT NULL DEFAULT now();
"#;

/// Step 7: text units for semantic search (`AssetRecord::text_units`, as the SQLite
/// catalog's `text_units`): each transcript line, on-screen text run, caption, hand note and
/// hand tag of an asset with its kind, window and text, and its sentence embedding in
/// `text_unit_vectors` — a vector space of its own, laid out as the frames' (`frame_vectors`
/// keyed by model, the models and their sizes in `text_unit_models`, a partial HNSW index
/// per model made by `crate::vectors::register_model` with `TEXT_UNIT_VECTORS`). No foreign
/// key to the asset, as in SQLite: hand notes' and tags' units outlive a re-index of their
/// asset like `hand_tags` do; what indexing found is deleted with the asset's rows
/// (`crate::asset_rows::delete_asset_rows`). A unit's vectors go with the unit.
const TEXT_UNITS: &str = r#"
CREATE TABLE text_unit_models (LIKE embedding_models INCLUDING ALL);
CREATE TABLE text_units (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('transcript', 'screen', 'caption', 'note', 'tag')),
    start_time DOUBLE PRECISION NOT NULL,
    end_time DOUBLE PRECISION NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX text_units_by_asset ON text_units (asset_id, start_time);
CREATE TABLE text_unit_vectors (
    unit_id BIGINT NOT NULL REFERENCES text_units (id) ON DELETE CASCADE,
    model TEXT NOT NULL REFERENCES text_unit_models (name),
    embedding vector NOT NULL,
    PRIMARY KEY (unit_id, model)
);
"#;

/// Step 8: a narrow copy of each moment's weighted document for ranking (`moment_ranks`:
/// the moment id and its `tsvector`, a few hundred bytes a row where `moment_texts` rows
/// are wide). PostgreSQL ranks every match of a query before it keeps the best, so a query
/// of common words reads tens of thousands of rows; reading them narrow roughly halves the
/// time (`crate::text_index`: a query of words alone ranks here; one with filters still
/// ranks in `moment_texts`, whose filter indexes narrow it first). A trigger keeps the copy
/// whatever writes `moment_texts` (indexing, hand tags and notes, migrate, rebuild); a
/// moment's copy goes with its text row.
const RANKING_DOCUMENTS: &str = r#"
CREATE TABLE moment_ranks (
    moment_id BIGINT PRIMARY KEY REFERENCES moment_texts (moment_id) ON DELETE CASCADE,
    document tsvector NOT NULL
);
INSERT INTO moment_ranks (moment_id, document)
    SELECT moment_id, document FROM moment_texts;
CREATE INDEX moment_ranks_document ON moment_ranks USING gin (document);
CREATE FUNCTION rushes_copy_ranking_document() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO moment_ranks (moment_id, document) VALUES (NEW.moment_id, NEW.document)
        ON CONFLICT (moment_id) DO UPDATE SET document = excluded.document;
    RETURN NULL;
END
$$;
CREATE TRIGGER moment_texts_ranking_document AFTER INSERT OR UPDATE ON moment_texts
    FOR EACH ROW EXECUTE FUNCTION rushes_copy_ranking_document();
ANALYZE moment_ranks;
"#;

/// Step 9: vectors stored in their rows (`STORAGE PLAIN`), as pgvector advises. A 512-d
/// vector is 2,052 bytes, over PostgreSQL's 2 KB threshold, so it went out of line to the
/// TOAST table: every frame a nearest-neighbour search returned cost a TOAST index lookup
/// and two chunk reads to compute its distance (at 1 M moments the frame vectors were a
/// 131 MB heap beside 5.2 GB of TOAST). The HNSW index keeps its own copy, so only the
/// rows a search returns are read. The largest vector allowed (2,000 dims, 8,008 bytes)
/// still fits a page. Rows written before this step stay where they are until their asset
/// is indexed again.
const VECTORS_IN_ROWS: &str = r#"
ALTER TABLE frame_vectors ALTER COLUMN embedding SET STORAGE PLAIN;
ALTER TABLE text_unit_vectors ALTER COLUMN embedding SET STORAGE PLAIN;
"#;

/// Step 10: when a worker took each job (`crate::jobs::claim`), so the queue shows since
/// when a file has been in progress (`rushes status --json`, the web UI's progress).
const CLAIM_TIMES: &str = r#"
ALTER TABLE index_jobs ADD COLUMN IF NOT EXISTS claimed_at TIMESTAMPTZ;
"#;

/// Step 11: what a server's copy of the documents needs to follow them (`crate::text_mirror`).
/// `library_identity` names this library, so a copy made of one library is never taken for
/// another's. `text_changes` notes the assets whose `moment_texts` rows a transaction
/// wrote, with the transaction's id: a copy that last read the library at snapshot S
/// reads the assets of transactions visible now and not in S, which no transaction still
/// running at S can slip past (a sequence number could: numbers are taken before commits,
/// which land in any order). One row per asset and statement, by statement-level triggers.
/// Safe to apply again (a test re-applies the steps after 7).
const TEXT_CHANGES: &str = r#"
CREATE TABLE IF NOT EXISTS library_identity (
    only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
    id TEXT NOT NULL DEFAULT gen_random_uuid()::text
);
INSERT INTO library_identity DEFAULT VALUES ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS text_changes (
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    asset_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS text_changes_by_transaction ON text_changes (txid);
CREATE OR REPLACE FUNCTION rushes_note_text_changes() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO text_changes (asset_id) SELECT DISTINCT asset_id FROM old_rows;
    ELSE
        INSERT INTO text_changes (asset_id) SELECT DISTINCT asset_id FROM new_rows;
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER moment_texts_inserted AFTER INSERT ON moment_texts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rushes_note_text_changes();
CREATE OR REPLACE TRIGGER moment_texts_updated AFTER UPDATE ON moment_texts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rushes_note_text_changes();
CREATE OR REPLACE TRIGGER moment_texts_deleted AFTER DELETE ON moment_texts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rushes_note_text_changes();
"#;

/// Step 12: `text_changes` kept a week, not for ever (`crate::text_mirror::prune_changes`):
/// each row says when it was written, and `library_identity.changes_pruned_before` is a
/// transaction id below which rows may be gone. A copy whose snapshot is older than that
/// may have missed a change, so it is built again.
const TEXT_CHANGES_PRUNED: &str = r#"
ALTER TABLE text_changes ADD COLUMN IF NOT EXISTS written_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE library_identity
    ADD COLUMN IF NOT EXISTS changes_pruned_before xid8 NOT NULL DEFAULT '0';
"#;

/// Creates the extensions when missing, then applies every migration not yet applied.
/// Returns the schema version. Safe to run again and from several machines at once.
pub fn migrate(client: &mut Client) -> Result<i32, PostgresError> {
    let mut transaction = client.transaction()?;
    // Under the lock: two machines creating an extension at once would collide.
    transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    for extension in EXTENSIONS {
        ensure_extension(&mut transaction, extension)?;
    }
    transaction.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )?;
    let found = current_version(&mut transaction)?;
    if found > SCHEMA_VERSION {
        return Err(PostgresError::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    transaction.commit()?;
    for (number, step) in (1..).zip(MIGRATIONS) {
        if number <= found {
            continue;
        }
        let mut transaction = client.transaction()?;
        transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        // Another machine may have applied it while we waited for the lock.
        if current_version(&mut transaction)? >= number {
            continue;
        }
        transaction
            .batch_execute(step)
            .map_err(|source| PostgresError::Migration { number, source })?;
        transaction.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&number],
        )?;
        transaction.commit()?;
    }
    Ok(SCHEMA_VERSION)
}

/// The last migration applied, 0 for an empty database.
pub fn schema_version(client: &mut Client) -> Result<i32, PostgresError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    current_version(client)
}

fn current_version(client: &mut impl postgres::GenericClient) -> Result<i32, PostgresError> {
    Ok(client
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])?
        .get(0))
}

/// Creates `extension` unless the database has it; the errors say what an administrator
/// must do when the server lacks it or the user may not create it.
fn ensure_extension(
    client: &mut impl postgres::GenericClient,
    extension: &str,
) -> Result<(), PostgresError> {
    let row = client.query_one(
        "SELECT current_database(),
                EXISTS (SELECT 1 FROM pg_extension WHERE extname = $1),
                EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = $1)",
        &[&extension],
    )?;
    let (database, installed, available): (String, bool, bool) =
        (row.get(0), row.get(1), row.get(2));
    if installed {
        return Ok(());
    }
    if !available {
        return Err(PostgresError::ExtensionNotInstalled {
            extension: extension.to_string(),
        });
    }
    // The name comes from EXTENSIONS, never from input.
    match client.batch_execute(&format!("CREATE EXTENSION IF NOT EXISTS {extension}")) {
        Ok(()) => Ok(()),
        Err(error) if error.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
            Err(PostgresError::ExtensionNotAllowed {
                extension: extension.to_string(),
                database,
            })
        }
        Err(error) => Err(error.into()),
    }
}
