use rushes_postgres::PostgresError;
use rushes_postgres::schema::{SCHEMA_VERSION, migrate, schema_version};
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

use crate::{asset_with_moments, fresh_library};

#[test]
fn an_empty_database_is_migrated_to_the_current_schema_and_a_rerun_changes_nothing()
-> Result<(), TestError> {
    let server = shared_server()?;
    let url = server.fresh_database()?;
    let mut client = rushes_postgres::connect(&url)?;
    assert_eq!(schema_version(&mut client)?, 0);
    assert_eq!(migrate(&mut client)?, SCHEMA_VERSION);
    assert_eq!(schema_version(&mut client)?, SCHEMA_VERSION);
    for table in [
        "assets",
        "moments",
        "frames",
        "tags",
        "transcript_lines",
        "screen_texts",
        "slates",
        "hand_tags",
        "hand_notes",
        "collection_names",
        "collection_items",
        "people",
        "faces",
        "failures",
        "runs",
        "thumbnails",
        "moment_texts",
        "embedding_models",
        "frame_vectors",
        "index_jobs",
        "path_prefixes",
    ] {
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])?
            .get(0);
        assert!(exists, "table {table} missing");
    }
    let ids = asset_with_moments(&mut client, "a1", &[0.0, 5.0])?;
    // Again, and from a second connection: nothing applied twice, nothing lost.
    assert_eq!(migrate(&mut client)?, SCHEMA_VERSION);
    let mut second = rushes_postgres::open(&url)?;
    let steps: i64 = second
        .query_one("SELECT count(*) FROM schema_version", &[])?
        .get(0);
    assert_eq!(steps, i64::from(SCHEMA_VERSION));
    let moments: i64 = second
        .query_one("SELECT count(*) FROM moments", &[])?
        .get(0);
    assert_eq!(moments, ids.len() as i64);
    // Removing the asset removes its moments, as in the SQLite catalog.
    second.execute("DELETE FROM assets WHERE id = 'a1'", &[])?;
    let moments: i64 = second
        .query_one("SELECT count(*) FROM moments", &[])?
        .get(0);
    assert_eq!(moments, 0);
    Ok(())
}

#[test]
fn machines_opening_an_empty_library_at_once_migrate_it_once() -> Result<(), TestError> {
    let url = shared_server()?.fresh_database()?;
    let openers: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || rushes_postgres::open(&url).map(|_| ()))
        })
        .collect();
    for opener in openers {
        opener.join().map_err(|_| "an opener panicked")??;
    }
    let mut client = rushes_postgres::connect(&url)?;
    let steps: Vec<i32> = client
        .query("SELECT version FROM schema_version ORDER BY version", &[])?
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(steps, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn a_schema_newer_than_this_rushes_is_refused() -> Result<(), TestError> {
    let (mut client, url) = fresh_library()?;
    client.execute(
        "INSERT INTO schema_version (version) VALUES ($1)",
        &[&(SCHEMA_VERSION + 1)],
    )?;
    match rushes_postgres::open(&url) {
        Err(PostgresError::SchemaTooNew { found, known }) => {
            assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected SchemaTooNew, got {:?}", other.err()),
    }
    Ok(())
}

#[test]
fn a_user_who_may_not_create_pgvector_is_told_what_the_administrator_must_run()
-> Result<(), TestError> {
    let server = shared_server()?;
    let database = server.fresh_database_without_vector()?;
    let role = format!("{database}_owner");
    server.psql(&database, &format!("CREATE ROLE {role} LOGIN"))?;
    server.psql(
        &database,
        &format!("ALTER DATABASE {database} OWNER TO {role}"),
    )?;
    let url = format!("postgres://{role}@127.0.0.1:{}/{database}", server.port());
    let error = match rushes_postgres::open(&url) {
        Err(error) => error,
        Ok(_) => panic!("migrated without the vector extension"),
    };
    assert!(
        matches!(&error, PostgresError::ExtensionNotAllowed { extension, database: named }
            if extension == "vector" && *named == database),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("CREATE EXTENSION vector;"), "{message}");
    assert!(message.contains(&database), "{message}");
    // Nothing was created; once the administrator has run it, the owner migrates.
    let mut client = rushes_postgres::connect(&url)?;
    assert_eq!(rushes_postgres::schema::schema_version(&mut client)?, 0);
    server.psql(&database, "CREATE EXTENSION vector")?;
    assert_eq!(migrate(&mut client)?, SCHEMA_VERSION);
    Ok(())
}
