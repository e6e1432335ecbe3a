use rushes_postgres::PostgresError;
use rushes_postgres::vectors::{nearest_frames, nearest_sql, put_frame_vectors, register_model};
use rushes_testkit::TestError;

use crate::{asset_with_moments, fresh_library};

/// A unit vector of `dim` dimensions pointing mostly along `axis`, tilted by `tilt`.
fn unit(dim: usize, axis: usize, tilt: f32) -> Vec<f32> {
    let mut vector = vec![0.0; dim];
    vector[axis % dim] = 1.0;
    vector[(axis + 1) % dim] = tilt;
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    vector.iter().map(|x| x / norm).collect()
}

/// An asset `a1` with one moment of `count` frames, a second apart; the frames' ids.
fn frames_of_one_moment(
    client: &mut rushes_postgres::Client,
    count: i32,
) -> Result<Vec<i64>, TestError> {
    let moments = asset_with_moments(client, "a1", &[0.0])?;
    let mut frames = Vec::new();
    for second in 0..count {
        let row = client.query_one(
            "INSERT INTO frames (moment_id, asset_id, time) VALUES ($1, 'a1', $2) RETURNING id",
            &[&moments[0], &f64::from(second)],
        )?;
        frames.push(row.get::<_, i64>(0));
    }
    Ok(frames)
}

#[test]
fn nearest_frames_come_from_the_models_hnsw_index_nearest_first() -> Result<(), TestError> {
    let (mut client, _url) = fresh_library()?;
    let frames = frames_of_one_moment(&mut client, 40)?;
    register_model(&mut client, "clip-vit-b32", 16)?;
    register_model(&mut client, "minilm", 8)?;
    // Again, as every run does: no error, no second index.
    register_model(&mut client, "clip-vit-b32", 16)?;
    let clip: Vec<(i64, Vec<f32>)> = frames
        .iter()
        .enumerate()
        .map(|(n, id)| (*id, unit(16, n % 16, (n / 16) as f32 * 0.3)))
        .collect();
    let clip_refs: Vec<(i64, &[f32])> = clip.iter().map(|(id, v)| (*id, v.as_slice())).collect();
    put_frame_vectors(&mut client, "clip-vit-b32", &clip_refs)?;
    // Another model's vectors on the same frames do not answer for CLIP.
    let other: Vec<(i64, Vec<f32>)> = frames.iter().map(|id| (*id, unit(8, 3, 0.0))).collect();
    let other_refs: Vec<(i64, &[f32])> = other.iter().map(|(id, v)| (*id, v.as_slice())).collect();
    put_frame_vectors(&mut client, "minilm", &other_refs)?;

    let near = nearest_frames(&mut client, "clip-vit-b32", &unit(16, 5, 0.0), 3)?;
    // Frames 5, 21 and 37 point along axis 5, tilted 0, 0.3 and 0.6.
    let ids: Vec<i64> = near.iter().map(|hit| hit.frame_id).collect();
    assert_eq!(ids, [frames[5], frames[21], frames[37]]);
    assert!(near[0].distance < 1e-5, "{near:?}");
    assert!(near[0].distance < near[1].distance && near[1].distance < near[2].distance);

    let indexes: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'frame_vectors'
             AND indexdef LIKE '%USING hnsw%'",
            &[],
        )?
        .get(0);
    assert_eq!(indexes, 2, "one HNSW index per model");
    // The query is the one the planner answers from the index.
    // (Forty rows are cheaper to scan; a library's millions are not.)
    let mut transaction = client.transaction()?;
    transaction.batch_execute(
        "ANALYZE frame_vectors; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off",
    )?;
    let plan: Vec<String> = transaction
        .query(
            &format!("EXPLAIN {}", nearest_sql("clip-vit-b32", 16)),
            &[&pgvector::Vector::from(unit(16, 5, 0.0)), &3_i64],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(
        plan.iter()
            .any(|line| line.contains("Index Scan using frame_vectors_hnsw_")),
        "{plan:#?}"
    );
    Ok(())
}

#[test]
fn vectors_of_the_wrong_size_or_an_unknown_model_are_refused() -> Result<(), TestError> {
    let (mut client, _url) = fresh_library()?;
    register_model(&mut client, "clip", 4)?;
    assert!(matches!(
        register_model(&mut client, "clip", 8),
        Err(PostgresError::Dimensions {
            expected: 4,
            got: 8,
            ..
        })
    ));
    assert!(matches!(
        nearest_frames(&mut client, "clip", &[1.0, 0.0], 1),
        Err(PostgresError::Dimensions {
            expected: 4,
            got: 2,
            ..
        })
    ));
    assert!(matches!(
        nearest_frames(&mut client, "siglip", &[1.0], 1),
        Err(PostgresError::UnknownModel { .. })
    ));
    assert!(matches!(
        register_model(&mut client, "huge", 4096),
        Err(PostgresError::BadDimension { dim: 4096 })
    ));
    Ok(())
}

#[test]
fn the_one_statement_search_gives_each_frame_the_moment_the_catalog_gives_it_in_the_same_order()
-> Result<(), TestError> {
    use rushes_store::seams::{AssetWrites, RankingCatalog, VectorIndex};

    let url = rushes_testkit::postgres::shared_server()?.fresh_database()?;
    let library = rushes_postgres::PgLibrary::open(&url)?;
    let records = crate::corpus::library();
    library.engine().put_assets(&records, None)?;
    let vectors = library.engine().vectors();
    let query = crate::corpus::vector_of(2);

    let with_moments = vectors.search_moments(crate::corpus::MODEL, &query, 6, &library)?;
    let frames = vectors.search(crate::corpus::MODEL, &query, 6)?;
    let ids: Vec<u64> = frames.iter().map(|frame| frame.frame_id).collect();
    let moments = library.frame_moments(&ids)?;
    assert_eq!(with_moments.len(), 6);
    assert_eq!(
        with_moments,
        frames
            .iter()
            .map(|frame| (*frame, moments.get(&frame.frame_id).copied()))
            .collect::<Vec<_>>(),
    );
    assert!(with_moments.iter().all(|(_, moment)| moment.is_some()));

    // A frame of an asset still being written has no moment yet, as the catalog says.
    let (nearest, _) = &with_moments[0];
    let mut client = rushes_postgres::connect(&url)?;
    client.execute(
        "UPDATE assets SET pending = true
         WHERE id = (SELECT asset_id FROM frames WHERE id = $1)",
        &[&(nearest.frame_id as i64)],
    )?;
    let again = vectors.search_moments(crate::corpus::MODEL, &query, 6, &library)?;
    assert_eq!(again[0].0, *nearest);
    assert_eq!(again[0].1, None);
    assert_eq!(library.frame_moments(&[nearest.frame_id])?.len(), 0);
    Ok(())
}

/// Bytes the TOAST table of `table` holds.
fn toast_bytes(client: &mut rushes_postgres::Client, table: &str) -> Result<i64, TestError> {
    Ok(client
        .query_one(
            "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = $1",
            &[&table],
        )?
        .get(0))
}

#[test]
fn frame_vectors_of_any_allowed_size_are_kept_in_their_rows_and_found() -> Result<(), TestError> {
    let (mut client, _url) = fresh_library()?;
    let frames = frames_of_one_moment(&mut client, 4)?;
    // CLIP ViT-B/32's 512 dims (2,052 bytes, over the 2 KB line where PostgreSQL moves a
    // value out of its row) and the largest size a model may have.
    for (model, dim) in [("clip-vit-b32", 512), ("widest", 2000)] {
        register_model(&mut client, model, dim)?;
        let vectors: Vec<(i64, Vec<f32>)> = frames
            .iter()
            .enumerate()
            .map(|(n, id)| (*id, unit(dim, n * 7, 0.2)))
            .collect();
        let refs: Vec<(i64, &[f32])> = vectors.iter().map(|(id, v)| (*id, v.as_slice())).collect();
        put_frame_vectors(&mut client, model, &refs)?;
        let nearest = nearest_frames(&mut client, model, &vectors[2].1, 1)?;
        assert_eq!(nearest.first().map(|frame| frame.frame_id), Some(frames[2]));
    }
    // A search reads the rows it returns: nothing is stored out of line to fetch.
    assert_eq!(toast_bytes(&mut client, "frame_vectors")?, 0);
    Ok(())
}
