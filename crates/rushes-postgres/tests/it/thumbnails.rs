//! Thumbnails in PostgreSQL (`PgThumbnails`) keep the folder engine's names and rules: a
//! thumbnail written is read back whole with when it was written, a new one replaces it, an
//! asset's frames are listed by time and removed apart from its faces, orphans go, and a
//! name reaching outside the store is refused without touching the table.

use std::collections::HashSet;

use rushes_core::AssetId;
use rushes_postgres::PgThumbnails;
use rushes_postgres::pool::Pool;
use rushes_store::StoreError;
use rushes_store::thumbnails::ThumbnailStore;
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

const ASSET: &str = "0123456789abcdef";
const OTHER: &str = "fedcba9876543210";

fn fresh_thumbnails() -> Result<(PgThumbnails, rushes_postgres::Client), TestError> {
    let url = shared_server()?.fresh_database()?;
    let pool = Pool::open(&url)?;
    Ok((PgThumbnails::new(pool), rushes_postgres::connect(&url)?))
}

fn asset(id: &str) -> Result<AssetId, TestError> {
    Ok(AssetId::parse(id).ok_or("a valid asset id")?)
}

fn names(client: &mut rushes_postgres::Client) -> Result<Vec<String>, TestError> {
    Ok(client
        .query("SELECT name FROM thumbnails ORDER BY name", &[])?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

#[test]
fn a_thumbnail_put_is_read_back_replaced_and_removed() -> Result<(), TestError> {
    let (thumbs, _client) = fresh_thumbnails()?;
    let name = format!("{ASSET}/1500.jpg");
    assert_eq!(thumbs.read(&name)?, None, "nothing before the first put");
    thumbs.put(&name, b"first jpeg")?;
    let first = thumbs.read(&name)?.ok_or("the thumbnail just written")?;
    assert_eq!(first.jpeg, b"first jpeg");
    let first_time = first.modified.ok_or("a write time for Last-Modified")?;
    thumbs.put(&name, b"second")?;
    let second = thumbs.read(&name)?.ok_or("the replaced thumbnail")?;
    assert_eq!(second.jpeg, b"second");
    assert!(second.modified.ok_or("a write time")? >= first_time);
    thumbs.remove(&[name.clone(), format!("{ASSET}/missing.jpg")]);
    assert_eq!(
        thumbs.read(&name)?,
        None,
        "removed; a missing one is no error"
    );
    Ok(())
}

#[test]
fn frames_are_listed_by_time_and_removed_apart_from_faces() -> Result<(), TestError> {
    let (thumbs, mut client) = fresh_thumbnails()?;
    let id = asset(ASSET)?;
    for name in [
        format!("{ASSET}/12000.jpg"),
        format!("{ASSET}/500.jpg"),
        format!("{ASSET}/notes.txt"),
        format!("faces/{ASSET}/500-0.jpg"),
        format!("{OTHER}/100.jpg"),
    ] {
        thumbs.put(&name, b"jpeg")?;
    }
    let frames = thumbs.frames_of(&id)?;
    let listed: Vec<(f64, &str)> = frames
        .iter()
        .map(|frame| (frame.time, frame.relative.as_str()))
        .collect();
    let (early, late) = (format!("{ASSET}/500.jpg"), format!("{ASSET}/12000.jpg"));
    assert_eq!(listed, vec![(0.5, early.as_str()), (12.0, late.as_str())]);

    thumbs.remove_frames_of(&id)?;
    assert_eq!(
        names(&mut client)?,
        vec![
            format!("faces/{ASSET}/500-0.jpg"),
            format!("{OTHER}/100.jpg")
        ],
        "the asset's frame thumbnails go, its faces and other assets stay"
    );
    thumbs.put(&format!("{ASSET}/500.jpg"), b"jpeg")?;
    thumbs.remove_asset(&id)?;
    assert_eq!(names(&mut client)?, vec![format!("{OTHER}/100.jpg")]);
    Ok(())
}

#[test]
fn orphans_go_and_kept_faces_and_stray_names_stay() -> Result<(), TestError> {
    let (thumbs, mut client) = fresh_thumbnails()?;
    for name in [
        format!("{ASSET}/500.jpg"),
        format!("faces/{ASSET}/500-0.jpg"),
        format!("faces/{ASSET}/500-1.jpg"),
        format!("{OTHER}/100.jpg"),
        format!("faces/{OTHER}/100-0.jpg"),
        "stray/1.jpg".to_string(),
    ] {
        thumbs.put(&name, b"jpeg")?;
    }
    let kept: HashSet<String> = [format!("faces/{ASSET}/500-0.jpg")].into();
    thumbs.remove_orphans(&kept, &|id| Ok(id.as_str() == ASSET))?;
    assert_eq!(
        names(&mut client)?,
        vec![
            format!("{ASSET}/500.jpg"),
            format!("faces/{ASSET}/500-0.jpg"),
            "stray/1.jpg".to_string(),
        ]
    );
    Ok(())
}

#[test]
fn a_name_reaching_outside_the_store_is_refused_and_changes_nothing() -> Result<(), TestError> {
    let (thumbs, mut client) = fresh_thumbnails()?;
    thumbs.put(&format!("{ASSET}/500.jpg"), b"jpeg")?;
    for hostile in [
        "../etc/passwd",
        &format!("{ASSET}/../../secret.jpg"),
        "/absolute.jpg",
        "back\\slash.jpg",
        "",
    ] {
        assert!(
            matches!(thumbs.put(hostile, b"x"), Err(StoreError::Invalid(_))),
            "put {hostile:?}"
        );
        assert!(
            matches!(thumbs.read(hostile), Err(StoreError::Invalid(_))),
            "read {hostile:?}"
        );
    }
    thumbs.remove(&["../x.jpg".to_string()]);
    assert_eq!(names(&mut client)?, vec![format!("{ASSET}/500.jpg")]);
    Ok(())
}
