use std::path::Path;

use rushes_postgres::PostgresError;
use rushes_postgres::paths::{load, remove_prefix, set_prefix};
use rushes_testkit::TestError;

use crate::fresh_library;

#[test]
fn each_machine_maps_the_library_paths_to_where_it_mounts_the_footage() -> Result<(), TestError> {
    let (mut client, url) = fresh_library()?;
    set_prefix(&mut client, "edit-mac", "/footage", "/Volumes/Footage/")?;
    set_prefix(&mut client, "worker-1", "/footage", "/mnt/nas/footage")?;
    // Read back over another connection, as another machine would.
    let mut other = rushes_postgres::connect(&url)?;
    let mac = load(&mut other, "edit-mac")?;
    let worker = load(&mut other, "worker-1")?;
    let library = mac.to_library(Path::new("/Volumes/Footage/day1/A001.mov"))?;
    assert_eq!(library, "/footage/day1/A001.mov");
    assert_eq!(
        worker.to_local(&library),
        Path::new("/mnt/nas/footage/day1/A001.mov")
    );
    // A machine without a mapping sees library paths as they are.
    assert_eq!(
        load(&mut other, "laptop")?.to_local(&library),
        Path::new("/footage/day1/A001.mov")
    );
    // Remapping replaces; removing falls back to the library path.
    set_prefix(&mut client, "worker-1", "/footage/", "/srv/footage")?;
    assert_eq!(
        load(&mut other, "worker-1")?.to_local(&library),
        Path::new("/srv/footage/day1/A001.mov")
    );
    assert!(remove_prefix(&mut client, "worker-1", "/footage")?);
    assert!(!remove_prefix(&mut client, "worker-1", "/footage")?);
    assert_eq!(
        load(&mut other, "worker-1")?.to_local(&library),
        Path::new(&library)
    );
    assert!(matches!(
        set_prefix(&mut client, "worker-1", "footage", "/srv"),
        Err(PostgresError::BadPrefix { .. })
    ));
    Ok(())
}
