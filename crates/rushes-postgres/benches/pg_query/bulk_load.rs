//! Loading a large library into PostgreSQL fast, for the bench: each batch of assets in one
//! transaction, one multi-row `INSERT … SELECT FROM unnest(arrays)` per table with the ids
//! chosen here (`OVERRIDING SYSTEM VALUE`), the frame vectors L2-normalised by binary
//! `COPY`. It writes the rows `PgEngine::put_assets` writes, from the same `MomentDocument`
//! for the text; [`check_matches_engine`] proves it on a scratch database before the bench
//! trusts it. Assets with transcript lines, on-screen text or slates are refused (the
//! synthetic library has none; the engine's own path writes them).

use pgvector::Vector;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use rushes_core::AssetRecord;
use rushes_postgres::{Client, GenericClient, PgEngine};
use rushes_store::catalog::MomentRow;
use rushes_store::catalog::assets::captured_at;
use rushes_store::catalog::sql::{normalised, now_seconds, path_bytes};
use rushes_store::seams::AssetWrites;
use rushes_store::text::MomentDocument;

type LoadResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Chooses moment and frame ids after those already in the database and writes batches.
pub struct BulkLoader {
    next_moment: i64,
    next_frame: i64,
    vector_type: Type,
    /// Seconds spent in the vectors' `COPY` so far.
    pub copy_seconds: f64,
}

/// One table's rows of a batch, column by column.
#[derive(Default)]
struct AssetColumns {
    id: Vec<String>,
    path: Vec<Vec<u8>>,
    display_path: Vec<String>,
    kind: Vec<String>,
    size: Vec<i64>,
    mtime: Vec<i64>,
    content_hash: Vec<String>,
    media: Vec<String>,
    captured_at: Vec<i64>,
    duration: Vec<f64>,
    embedding_model: Vec<Option<String>>,
    warnings: Vec<String>,
    indexed_at: Vec<i64>,
}

#[derive(Default)]
struct MomentColumns {
    id: Vec<i64>,
    asset_id: Vec<String>,
    ordinal: Vec<i32>,
    start: Vec<f64>,
    end: Vec<f64>,
    keyframe: Vec<f64>,
    thumbnail: Vec<Option<String>>,
    ocr_text: Vec<String>,
    caption: Vec<Option<String>>,
    transcript: Vec<String>,
}

#[derive(Default)]
struct TagColumns {
    moment_id: Vec<i64>,
    tag: Vec<String>,
    score: Vec<f32>,
}

#[derive(Default)]
struct FrameColumns {
    id: Vec<i64>,
    moment_id: Vec<i64>,
    asset_id: Vec<String>,
    time: Vec<f64>,
    thumbnail: Vec<Option<String>>,
}

/// `moment_texts`, its text arrays (`folders`, `tag_values`) as JSON (no 2-d arrays in
/// `unnest`).
#[derive(Default)]
struct TextColumns {
    moment_id: Vec<i64>,
    asset_id: Vec<String>,
    fields: [Vec<String>; 6],
    notes: Vec<String>,
    kind: Vec<String>,
    folders: Vec<String>,
    folder_facet: Vec<String>,
    camera: Vec<String>,
    tag_values: Vec<String>,
    captured_at: Vec<i64>,
    duration: Vec<f64>,
    start: Vec<f64>,
    end: Vec<f64>,
    path_sort: Vec<String>,
}

impl BulkLoader {
    pub fn new(client: &mut Client) -> LoadResult<BulkLoader> {
        let next = |client: &mut Client, table: &str| -> LoadResult<i64> {
            Ok(client
                .query_one(
                    &format!("SELECT coalesce(max(id), 0) + 1 FROM {table}"),
                    &[],
                )?
                .get(0))
        };
        Ok(BulkLoader {
            next_moment: next(client, "moments")?,
            next_frame: next(client, "frames")?,
            vector_type: client.prepare("SELECT $1::vector")?.params()[0].clone(),
            copy_seconds: 0.0,
        })
    }

    /// Writes `records` (new assets, their model registered) in one transaction.
    pub fn load(&mut self, client: &mut Client, records: &[AssetRecord]) -> LoadResult<()> {
        let mut assets = AssetColumns::default();
        let mut moments = MomentColumns::default();
        let mut tags = TagColumns::default();
        let mut frames = FrameColumns::default();
        let mut texts = TextColumns::default();
        let mut vectors: Vec<(i64, String, Vec<f32>)> = Vec::new();
        for record in records {
            if !(record.transcript.is_empty()
                && record.screen_text.is_empty()
                && record.slates.is_empty())
            {
                return Err(format!(
                    "{}: the bulk loader writes no transcript lines, on-screen text or slates",
                    record.asset.path.display()
                )
                .into());
            }
            let asset = &record.asset;
            let id = asset.id.to_string();
            let display_path = asset.path.to_string_lossy().to_string();
            let (captured, duration) = (captured_at(asset), asset.media.duration.unwrap_or(0.0));
            assets.id.push(id.clone());
            assets.path.push(path_bytes(&asset.path));
            assets.display_path.push(display_path.clone());
            assets.kind.push(asset.kind.as_str().to_string());
            assets.size.push(asset.size as i64);
            assets.mtime.push(asset.mtime);
            assets.content_hash.push(asset.content_hash.clone());
            assets.media.push(serde_json::to_string(&asset.media)?);
            assets.captured_at.push(captured);
            assets.duration.push(duration);
            assets.embedding_model.push(record.embedding_model.clone());
            assets
                .warnings
                .push(serde_json::to_string(&record.warnings)?);
            assets.indexed_at.push(now_seconds());
            let model = record.embedding_model.as_deref().filter(|m| !m.is_empty());
            for (ordinal, written) in (0i32..).zip(&record.moments) {
                let moment_id = self.next_moment;
                self.next_moment += 1;
                moments.id.push(moment_id);
                moments.asset_id.push(id.clone());
                moments.ordinal.push(ordinal);
                moments.start.push(written.start);
                moments.end.push(written.end);
                moments.keyframe.push(written.keyframe);
                moments.thumbnail.push(written.thumbnail.clone());
                moments.ocr_text.push(written.ocr_text.clone());
                moments.caption.push(written.caption.clone());
                moments
                    .transcript
                    .push(serde_json::to_string(&written.transcript)?);
                for (tag, score) in &written.tags {
                    tags.moment_id.push(moment_id);
                    tags.tag.push(tag.clone());
                    tags.score.push(*score);
                }
                for sampled in &written.frames {
                    let frame_id = self.next_frame;
                    self.next_frame += 1;
                    frames.id.push(frame_id);
                    frames.moment_id.push(moment_id);
                    frames.asset_id.push(id.clone());
                    frames.time.push(sampled.time);
                    frames.thumbnail.push(sampled.thumbnail.clone());
                    if let (Some(model), Some(embedding)) = (model, &sampled.embedding) {
                        vectors.push((frame_id, model.to_string(), normalised(embedding)));
                    }
                }
                // As the catalog reads it back: auto tags by score, best first.
                let mut by_score: Vec<&(String, f32)> = written.tags.iter().collect();
                by_score.sort_by(|a, b| b.1.total_cmp(&a.1));
                let row = MomentRow {
                    moment_id,
                    asset: asset.clone(),
                    display_path: display_path.clone(),
                    captured_at: captured,
                    duration,
                    start: written.start,
                    end: written.end,
                    keyframe: written.keyframe,
                    thumbnail: written.thumbnail.clone(),
                    ocr_text: written.ocr_text.clone(),
                    caption: written.caption.clone(),
                    tags: by_score.into_iter().map(|(tag, _)| tag.clone()).collect(),
                    notes: Vec::new(),
                    transcript: written.transcript.clone(),
                    screen_text: Vec::new(),
                };
                let document = MomentDocument::of(&row);
                texts.moment_id.push(moment_id);
                texts.asset_id.push(document.asset_id);
                for (column, text) in texts.fields.iter_mut().zip(document.texts) {
                    column.push(text);
                }
                texts.notes.push(document.notes);
                texts.kind.push(document.kind);
                texts
                    .folders
                    .push(serde_json::to_string(&document.folders)?);
                texts.folder_facet.push(document.folder_facet);
                texts.camera.push(document.camera);
                texts
                    .tag_values
                    .push(serde_json::to_string(&document.tag_values)?);
                texts.captured_at.push(document.date);
                texts.duration.push(document.duration);
                texts.start.push(written.start);
                texts.end.push(written.end);
                texts.path_sort.push(document.path_sort);
            }
        }
        let mut transaction = client.transaction()?;
        transaction.execute(
            "INSERT INTO assets (id, path, display_path, kind, size, mtime, content_hash, media,
                 captured_at, duration, embedding_model, warnings, pending, indexed_at)
             SELECT id, path, display_path, kind, size, mtime, content_hash, media::jsonb,
                 captured_at, duration, embedding_model, warnings::jsonb, false, indexed_at
             FROM unnest($1::text[], $2::bytea[], $3::text[], $4::text[], $5::int8[],
                 $6::int8[], $7::text[], $8::text[], $9::int8[], $10::float8[], $11::text[],
                 $12::text[], $13::int8[])
                 AS u(id, path, display_path, kind, size, mtime, content_hash, media,
                      captured_at, duration, embedding_model, warnings, indexed_at)",
            &[
                &assets.id,
                &assets.path,
                &assets.display_path,
                &assets.kind,
                &assets.size,
                &assets.mtime,
                &assets.content_hash,
                &assets.media,
                &assets.captured_at,
                &assets.duration,
                &assets.embedding_model,
                &assets.warnings,
                &assets.indexed_at,
            ],
        )?;
        transaction.execute(
            "INSERT INTO moments (id, asset_id, ordinal, start_time, end_time, keyframe,
                 thumbnail, ocr_text, caption, transcript)
             OVERRIDING SYSTEM VALUE
             SELECT id, asset_id, ordinal, start_time, end_time, keyframe, thumbnail, ocr_text,
                 caption, transcript::jsonb
             FROM unnest($1::int8[], $2::text[], $3::int4[], $4::float8[], $5::float8[],
                 $6::float8[], $7::text[], $8::text[], $9::text[], $10::text[])
                 AS u(id, asset_id, ordinal, start_time, end_time, keyframe, thumbnail,
                      ocr_text, caption, transcript)",
            &[
                &moments.id,
                &moments.asset_id,
                &moments.ordinal,
                &moments.start,
                &moments.end,
                &moments.keyframe,
                &moments.thumbnail,
                &moments.ocr_text,
                &moments.caption,
                &moments.transcript,
            ],
        )?;
        transaction.execute(
            "INSERT INTO tags (moment_id, tag, score)
             SELECT * FROM unnest($1::int8[], $2::text[], $3::float4[])",
            &[&tags.moment_id, &tags.tag, &tags.score],
        )?;
        transaction.execute(
            "INSERT INTO frames (id, moment_id, asset_id, time, thumbnail)
             OVERRIDING SYSTEM VALUE
             SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::float8[], $5::text[])",
            &[
                &frames.id,
                &frames.moment_id,
                &frames.asset_id,
                &frames.time,
                &frames.thumbnail,
            ],
        )?;
        let [transcript, ocr, tag_text, caption, name, metadata] = &texts.fields;
        transaction.execute(
            "INSERT INTO moment_texts (moment_id, asset_id, transcript, ocr, tags, caption, name,
                 metadata, notes, kind, folders, folder_facet, camera, tag_values, captured_at,
                 duration, start_time, end_time, path_sort)
             SELECT moment_id, asset_id, transcript, ocr, tags, caption, name, metadata, notes,
                 kind, ARRAY(SELECT jsonb_array_elements_text(folders::jsonb)), folder_facet,
                 camera, ARRAY(SELECT jsonb_array_elements_text(tag_values::jsonb)),
                 captured_at, duration, start_time, end_time, path_sort
             FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[],
                 $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                 $12::text[], $13::text[], $14::text[], $15::int8[], $16::float8[],
                 $17::float8[], $18::float8[], $19::text[])
                 AS u(moment_id, asset_id, transcript, ocr, tags, caption, name, metadata,
                      notes, kind, folders, folder_facet, camera, tag_values, captured_at,
                      duration, start_time, end_time, path_sort)",
            &[
                &texts.moment_id,
                &texts.asset_id,
                transcript,
                ocr,
                tag_text,
                caption,
                name,
                metadata,
                &texts.notes,
                &texts.kind,
                &texts.folders,
                &texts.folder_facet,
                &texts.camera,
                &texts.tag_values,
                &texts.captured_at,
                &texts.duration,
                &texts.start,
                &texts.end,
                &texts.path_sort,
            ],
        )?;
        let copy_started = std::time::Instant::now();
        let sink = transaction
            .copy_in("COPY frame_vectors (frame_id, model, embedding) FROM STDIN BINARY")?;
        let mut writer =
            BinaryCopyInWriter::new(sink, &[Type::INT8, Type::TEXT, self.vector_type.clone()]);
        for (frame_id, model, vector) in vectors {
            writer.write(&[&frame_id, &model, &Vector::from(vector)])?;
        }
        writer.finish()?;
        self.copy_seconds += copy_started.elapsed().as_secs_f64();
        transaction.commit()?;
        Ok(())
    }

    /// Moves the identity sequences past the ids written here, so the engine's own writes
    /// after the load take new ones.
    pub fn finish(&self, client: &mut Client) -> LoadResult<()> {
        client.execute(
            "SELECT setval(pg_get_serial_sequence('moments', 'id'), $1),
                    setval(pg_get_serial_sequence('frames', 'id'), $2)",
            &[&self.next_moment, &self.next_frame],
        )?;
        Ok(())
    }
}

/// Every row of the tables the loader writes, without ids or write times, as text.
fn rows_without_ids(client: &mut impl GenericClient) -> LoadResult<Vec<(&'static str, String)>> {
    let mut tables = Vec::new();
    for table in [
        "assets",
        "moments",
        "tags",
        "frames",
        "moment_texts",
        "frame_vectors",
    ] {
        let rows: String = client
            .query_one(
                &format!(
                    "SELECT coalesce(jsonb_agg(r ORDER BY r::text), '[]')::text FROM
                     (SELECT to_jsonb(t) - ARRAY['id', 'moment_id', 'frame_id', 'indexed_at']
                      AS r FROM {table} t) s"
                ),
                &[],
            )?
            .get(0);
        tables.push((table, rows));
    }
    Ok(tables)
}

/// Writes `record` with the loader, then again through `PgEngine::put_assets` (which
/// replaces it), in a scratch database at `url`: every table must hold the same rows, ids
/// and write times aside. `model`/`dim` name its vectors.
pub fn check_matches_engine(
    url: &str,
    record: &AssetRecord,
    model: &str,
    dim: usize,
) -> LoadResult<()> {
    let engine = PgEngine::open(url)?;
    let mut client = rushes_postgres::connect(url)?;
    rushes_postgres::vectors::register_model(&mut client, model, dim)?;
    let mut loader = BulkLoader::new(&mut client)?;
    loader.load(&mut client, std::slice::from_ref(record))?;
    let loaded = rows_without_ids(&mut client)?;
    engine.put_assets(std::slice::from_ref(record), None)?;
    engine.commit()?;
    let written = rows_without_ids(&mut client)?;
    for ((table, ours), (_, engine)) in loaded.iter().zip(&written) {
        if ours != engine {
            return Err(format!(
                "the bulk loader's {table} differ from put_assets':\n{ours}\nvs\n{engine}"
            )
            .into());
        }
    }
    Ok(())
}
