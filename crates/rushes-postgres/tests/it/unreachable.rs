//! A library whose database server went away answers every call with
//! `StoreError::Unavailable` (the server's 503), not an internal failure, and changes nothing.

use std::os::unix::fs::PermissionsExt;

use rushes_postgres::PgLibrary;
use rushes_store::seams::AssetWrites;
use rushes_store::{Library, SearchRequest, StoreError};
use rushes_testkit::TestError;
use rushes_testkit::postgres::PgServer;

use crate::corpus::library;

#[test]
fn a_library_whose_server_stopped_says_the_database_cannot_be_reached() -> Result<(), TestError> {
    let folder = tempfile::tempdir()?;
    // The server runs as another user when the tests run as root: it must get through.
    std::fs::set_permissions(folder.path(), std::fs::Permissions::from_mode(0o755))?;
    let server = PgServer::start_in_folder(&folder.path().join("pg"), &[])?;
    let url = server.fresh_database()?;
    let pg = PgLibrary::open(&url)?;
    let records = library();
    pg.engine().put_assets(&records, None)?;
    let request = SearchRequest {
        query: "crane".to_string(),
        ..SearchRequest::default()
    };
    assert!(!pg.search(&request)?.hits.is_empty());

    drop(server);
    let searched = pg.search(&request);
    assert!(
        matches!(searched, Err(StoreError::Unavailable(_))),
        "{searched:?}"
    );
    let tagged = pg.add_hand_tags(&records[0].asset.id, None, &["late".to_string()]);
    assert!(
        matches!(tagged, Err(StoreError::Unavailable(_))),
        "{tagged:?}"
    );
    let message = pg
        .status()
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("cannot be reached") && !message.contains("password"),
        "{message}"
    );
    Ok(())
}
