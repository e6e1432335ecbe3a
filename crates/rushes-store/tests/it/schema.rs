//! The catalog schema: what a new index holds, and indexes made by earlier versions of
//! rushes opening and migrating.

use rushes_store::people::{FaceRect, NewFace};
use rushes_store::{Index, OpenMode, WrittenFormat};

use crate::support::*;

/// Moved from `written_format`'s unit tests: a unit test there would import the crate's
/// facade back.
#[test]
fn current_format_is_what_a_new_index_holds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("index");
    drop(Index::open(&folder, OpenMode::ReadWrite).expect("a new index"));

    let manifest = rushes_store::manifest::read(&folder)
        .expect("readable rushes.toml")
        .expect("rushes.toml written");
    assert_eq!(manifest.format_version, WrittenFormat::CURRENT.index_format);

    let catalog = rusqlite::Connection::open(folder.join(rushes_store::catalog::CATALOG_FILE))
        .expect("catalog");
    let schema: i64 = catalog
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .expect("user_version");
    assert_eq!(schema as usize, WrittenFormat::CURRENT.catalog_schema);

    let text_meta =
        std::fs::read_to_string(folder.join("text/meta.json")).expect("text index meta");
    assert!(
        text_meta.contains(&format!("\"{}\"", WrittenFormat::CURRENT.text_analyzer)),
        "the text index's schema names another analyzer: {text_meta}"
    );
}

/// An index made before every migration lived in one list: catalog schema 4, no people
/// tables (they were created on the first face written). A reader sees no people; the
/// writer migrates it to the current schema and keeps its assets, and faces then work.
#[test]
fn an_index_from_before_the_people_migration_opens_and_migrates() -> TestResult {
    let dir = tempfile::tempdir()?;
    let location = dir.path().join("index");
    let take = record(video("/footage/a.mov", 30.0), 3, 10.0);
    let id = take.asset.id.clone();
    {
        let index = Index::open(&location, OpenMode::ReadWrite)?;
        index.put_asset(&take)?;
        index.commit()?;
    }
    let catalog_file = location.join(rushes_store::catalog::CATALOG_FILE);
    let connection = rusqlite::Connection::open(&catalog_file)?;
    connection.execute_batch("DROP TABLE faces; DROP TABLE people; PRAGMA user_version = 4;")?;
    drop(connection);

    let reader = Index::open(&location, OpenMode::ReadOnly)?;
    assert!(reader.people()?.is_empty());
    assert!(reader.people_named("Maria")?.is_empty());
    assert_eq!(reader.assets()?.len(), 1);
    drop(reader);

    let index = Index::open(&location, OpenMode::ReadWrite)?;
    let connection = rusqlite::Connection::open(&catalog_file)?;
    let schema: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    assert_eq!(schema as usize, WrittenFormat::CURRENT.catalog_schema);
    assert_eq!(index.assets()?.len(), 1);
    let face = NewFace {
        time: 12.0,
        rect: FaceRect {
            x: 10,
            y: 10,
            width: 80,
            height: 80,
        },
        sharpness: 100.0,
        embedding: vec![1.0, 0.0, 0.0],
        thumbnail: None,
    };
    let persons =
        index.replace_faces(id.as_str(), &take.asset.content_hash, &[face], &|_, _| None)?;
    index.name_person(persons[0], "Maria")?;
    assert_eq!(index.people_named("maria")?.len(), 1);
    Ok(())
}
