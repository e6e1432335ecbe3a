//! The write path of a PostgreSQL library (`AssetWrites`): an asset's rows, moment texts,
//! frame vectors and faces go in one transaction, so a failed write leaves no row and
//! keeps the version already there; a new version replaces every row of the old one; a
//! removed asset leaves nothing, its hand work included.

use rushes_core::FaceRect;
use rushes_postgres::{Client, PgEngine};
use rushes_store::StoreError;
use rushes_store::catalog::FrameVector;
use rushes_store::catalog::faces::{NewFace, PersonCentroid};
use rushes_store::query::parse;
use rushes_store::seams::{AssetWrites, FacesToWrite, TextIndex, TextOrder, VectorIndex};
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

use crate::corpus::{MODEL, Shot, clip, library, record};

fn fresh_engine() -> Result<(PgEngine, Client), TestError> {
    let url = shared_server()?.fresh_database()?;
    Ok((PgEngine::open(&url)?, rushes_postgres::connect(&url)?))
}

/// Rows of the asset in each table its write touches.
fn rows_of(client: &mut Client, asset_id: &str) -> Result<[i64; 7], TestError> {
    let row = client.query_one(
        "SELECT (SELECT count(*) FROM assets WHERE id = $1),
                (SELECT count(*) FROM moments WHERE asset_id = $1),
                (SELECT count(*) FROM frames WHERE asset_id = $1),
                (SELECT count(*) FROM frame_vectors v JOIN frames f ON f.id = v.frame_id
                     WHERE f.asset_id = $1),
                (SELECT count(*) FROM moment_texts WHERE asset_id = $1),
                (SELECT count(*) FROM transcript_lines WHERE asset_id = $1),
                (SELECT count(*) FROM faces WHERE asset_id = $1)",
        &[&asset_id],
    )?;
    Ok([0, 1, 2, 3, 4, 5, 6].map(|i| row.get(i)))
}

/// Moments the text index finds for `text`.
fn found(engine: &PgEngine, text: &str) -> Result<usize, TestError> {
    let query = parse(text)?;
    let index = engine.text();
    let Some(words) = index.build_query(&query.terms, &query.filters, true)? else {
        return Ok(0);
    };
    Ok(index
        .top_moments(&index.snapshot(), &words, 100, TextOrder::Score)?
        .len())
}

fn face(time: f64, x: u32, axis: usize) -> NewFace {
    let mut embedding = vec![0.0; 128];
    embedding[axis] = 1.0;
    NewFace {
        time,
        rect: FaceRect {
            x,
            y: 10,
            width: 40,
            height: 40,
        },
        sharpness: 1.0,
        embedding,
        thumbnail: Some(format!("faces/{time}.jpg")),
    }
}

/// Every face a new person.
fn nobody_known(_: &[f32], _: &[PersonCentroid]) -> Option<i64> {
    None
}

#[test]
fn a_failed_write_leaves_no_row_and_keeps_the_version_already_there() -> Result<(), TestError> {
    let (engine, mut client) = fresh_engine()?;
    let records = library();
    let first = &records[0];
    let id = first.asset.id.as_str();
    // Faces of the wrong size fail after the asset's rows are written: none stays.
    let bad_face = NewFace {
        embedding: vec![1.0; 64],
        ..face(1.0, 10, 0)
    };
    let failed = engine.put_assets(
        std::slice::from_ref(first),
        Some(FacesToWrite {
            faces: std::slice::from_ref(&bad_face),
            choose_person: &nobody_known,
        }),
    );
    assert!(matches!(failed, Err(StoreError::Database(_))), "{failed:?}");
    assert_eq!(rows_of(&mut client, id)?, [0; 7]);
    assert_eq!(found(&engine, "coffee")?, 0);

    // Written, then a failing new version: the first version is all still there.
    let faces = [face(1.0, 10, 0), face(2.0, 200, 1)];
    let written = engine.put_assets(
        std::slice::from_ref(first),
        Some(FacesToWrite {
            faces: &faces,
            choose_person: &nobody_known,
        }),
    )?;
    assert_eq!(written.persons.len(), 2);
    let before = rows_of(&mut client, id)?;
    assert_eq!(before, [1, 3, 3, 3, 3, 1, 2]);
    let failed = engine.put_assets(
        std::slice::from_ref(first),
        Some(FacesToWrite {
            faces: &[bad_face],
            choose_person: &nobody_known,
        }),
    );
    assert!(failed.is_err());
    assert_eq!(rows_of(&mut client, id)?, before);
    assert_eq!(found(&engine, "coffee")?, 1);

    // Vectors of another size than the model's: refused before anything is written.
    let mut wrong = records[1].clone();
    for frame in wrong.moments.iter_mut().flat_map(|m| &mut m.frames) {
        frame.embedding = Some(vec![0.5; 4]);
    }
    let refused = engine.put_assets(&[wrong.clone()], None);
    assert!(
        matches!(
            refused,
            Err(StoreError::DimensionMismatch {
                expected: 8,
                found: 4,
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(rows_of(&mut client, wrong.asset.id.as_str())?, [0; 7]);
    Ok(())
}

#[test]
fn a_new_version_replaces_every_row_and_its_faces_keep_their_people() -> Result<(), TestError> {
    let (engine, mut client) = fresh_engine()?;
    let records = library();
    let first = records[0].clone();
    let id = first.asset.id.to_string();
    let faces = [face(1.0, 10, 0), face(2.0, 200, 1)];
    let people = engine
        .put_assets(
            std::slice::from_ref(&first),
            Some(FacesToWrite {
                faces: &faces,
                choose_person: &nobody_known,
            }),
        )?
        .persons;
    client.execute(
        "UPDATE people SET name = 'Maria' WHERE id = $1",
        &[&people[0]],
    )?;
    assert_eq!(found(&engine, "coffee")?, 1);

    // The same file indexed again with new moments and text, the same faces.
    let newer = record(
        clip(
            &first.asset.path.to_string_lossy(),
            20.0,
            "2025-03-01",
            Some(("Sony", "FX6")),
        ),
        &[
            Shot {
                start: 0.0,
                end: 10.0,
                said: "rehearsal with the dolly",
                ..Shot::default()
            },
            Shot {
                start: 10.0,
                end: 20.0,
                on_screen: "SCENE 43",
                ..Shot::default()
            },
        ],
        20,
    );
    assert_eq!(newer.asset.id.as_str(), id);
    let again = engine.put_assets(
        std::slice::from_ref(&newer),
        Some(FacesToWrite {
            faces: &faces,
            choose_person: &nobody_known,
        }),
    )?;
    assert_eq!(
        again.persons, people,
        "the same sightings keep their people"
    );
    assert_eq!(rows_of(&mut client, &id)?, [1, 2, 2, 2, 2, 1, 2]);
    assert_eq!(found(&engine, "coffee")?, 0);
    assert_eq!(found(&engine, "rehearsal")?, 1);
    assert_eq!(engine.vectors().len(MODEL)?, 2);
    let named: i64 = client
        .query_one("SELECT count(*) FROM people WHERE name = 'Maria'", &[])?
        .get(0);
    assert_eq!(named, 1);

    // Another file at the same path (a new id) replaces it too.
    let mut renamed = newer.clone();
    renamed.asset.id = rushes_core::AssetId::from_path(std::path::Path::new("/elsewhere.mov"));
    engine.put_assets(&[renamed.clone()], None)?;
    assert_eq!(rows_of(&mut client, &id)?[..5], [0; 5]);
    assert_eq!(
        rows_of(&mut client, renamed.asset.id.as_str())?[..5],
        [1, 2, 2, 2, 2]
    );
    Ok(())
}

#[test]
fn moving_an_asset_renames_its_moments_and_removing_it_deletes_every_row() -> Result<(), TestError>
{
    let (engine, mut client) = fresh_engine()?;
    let records = library();
    engine.put_assets(&records, None)?;
    let first = &records[0];
    let id = first.asset.id.as_str();
    client.execute(
        "INSERT INTO hand_tags (asset_id, start_time, end_time, tag, added_at)
         VALUES ($1, 0, 0, 'hero shot', 0)",
        &[&id],
    )?;
    engine.move_asset(
        &first.asset.id,
        std::path::Path::new("/archive/reshoot/A001_C003.mov"),
    )?;
    assert_eq!(
        found(&engine, "reshoot")?,
        3,
        "the new folder name is searchable"
    );
    assert_eq!(
        found(&engine, "hero")?,
        3,
        "hand tags are read back with the moments"
    );
    let folder = parse("folder:reshoot")?;
    let restriction = engine
        .text()
        .restriction_query(&folder.terms, &folder.filters)?;
    let listed = engine.text().top_moments(
        &engine.text().snapshot(),
        &restriction,
        100,
        TextOrder::Path,
    )?;
    assert_eq!(listed.len(), 3);

    engine.remove_asset(&first.asset.id)?;
    assert_eq!(rows_of(&mut client, id)?, [0; 7]);
    let hand: i64 = client
        .query_one("SELECT count(*) FROM hand_tags WHERE asset_id = $1", &[&id])?
        .get(0);
    assert_eq!(hand, 0);
    assert_eq!(found(&engine, "reshoot")?, 0);
    assert_eq!(engine.text().num_docs(), 6);
    let missing = engine.remove_asset(&first.asset.id);
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
    Ok(())
}

#[test]
fn the_text_and_vector_seams_show_their_writes_after_commit_and_save_only() -> Result<(), TestError>
{
    let (engine, mut client) = fresh_engine()?;
    let records = library();
    engine.put_assets(&records, None)?;
    let (text, vectors) = (engine.text(), engine.vectors());
    let first = &records[0].asset.id;
    assert_eq!(found(&engine, "coffee")?, 2);
    text.delete_asset(first.as_str())?;
    assert_eq!(found(&engine, "coffee")?, 2, "staged, not yet visible");
    text.rollback()?;
    text.commit()?;
    assert_eq!(found(&engine, "coffee")?, 2, "rolled back");
    text.delete_asset(first.as_str())?;
    text.commit()?;
    assert_eq!(found(&engine, "coffee")?, 1);
    text.put_asset(first.as_str(), &engine.asset_moments(first)?)?;
    text.commit()?;
    assert_eq!(
        found(&engine, "coffee")?,
        2,
        "written back from the catalog rows"
    );

    let frame: i64 = client
        .query_one("SELECT min(frame_id) FROM frame_vectors", &[])?
        .get(0);
    let frame = frame as u64;
    assert!(vectors.contains(MODEL, frame)?);
    vectors.remove(&[(frame, MODEL.to_string())])?;
    assert!(vectors.contains(MODEL, frame)?, "staged, not yet saved");
    vectors.save()?;
    assert!(!vectors.contains(MODEL, frame)?);
    assert_eq!(vectors.len(MODEL)?, 8);
    let along_first = |dim: usize| {
        let mut vector = vec![0.0; dim];
        vector[0] = 3.0;
        vector
    };
    vectors.add(&[FrameVector {
        frame_id: frame,
        model: MODEL.into(),
        embedding: along_first(8),
    }])?;
    vectors.save()?;
    let nearest = vectors.search(MODEL, &along_first(8), 1)?;
    assert_eq!(nearest[0].frame_id, frame);
    assert!((nearest[0].similarity - 1.0).abs() < 1e-4, "{nearest:?}");

    // A rebuild with a model of another size: empty, then the new size only.
    vectors.reset(MODEL, 16)?;
    assert_eq!(
        (vectors.len(MODEL)?, vectors.dimensions(MODEL)?),
        (0, Some(16))
    );
    vectors.add(&[FrameVector {
        frame_id: frame,
        model: MODEL.into(),
        embedding: along_first(16),
    }])?;
    vectors.save()?;
    assert_eq!(vectors.search(MODEL, &along_first(16), 3)?.len(), 1);
    Ok(())
}

#[test]
fn a_snapshot_keeps_seeing_the_library_as_it_was_when_taken() -> Result<(), TestError> {
    let (engine, _client) = fresh_engine()?;
    let records = library();
    engine.put_assets(&records[..1], None)?;
    let query = parse("coffee")?;
    let text = engine.text();
    let Some(words) = text.build_query(&query.terms, &query.filters, true)? else {
        return Err("`coffee` has words".into());
    };
    let before = text.snapshot();
    assert_eq!(
        text.top_moments(&before, &words, 10, TextOrder::Score)?
            .len(),
        1
    );
    engine.put_assets(&records[1..2], None)?;
    assert_eq!(
        text.top_moments(&before, &words, 10, TextOrder::Score)?
            .len(),
        1,
        "a search's calls all see one state of the library"
    );
    let (total, _) = text.facet_values(&before, &words, 10)?;
    assert_eq!(total, 1);
    let after = text.snapshot();
    assert_eq!(
        text.top_moments(&after, &words, 10, TextOrder::Score)?
            .len(),
        2
    );
    Ok(())
}
