//! The thumbnail store: the one owner of an index's thumbnails.

use std::path::{Path, PathBuf};

use rushes_core::AssetId;
use rushes_store::{Index, StoreError};

use crate::support::*;

/// The local engine's folder (`<index>/thumbs`), for the tests that look at its files.
fn thumbs_folder(index: &Index) -> PathBuf {
    index.dir().join(rushes_store::thumbnails::THUMBS_DIR)
}

fn write_jpeg(folder: &Path, name: &str) -> TestResult {
    std::fs::create_dir_all(folder)?;
    std::fs::write(folder.join(name), b"jpeg")?;
    Ok(())
}

#[test]
fn an_assets_frame_thumbnails_are_listed_by_time_and_other_files_are_not() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let take = record(video("/footage/a.mov", 30.0), 3, 10.0);
    let id = take.asset.id.clone();
    index.put_asset(&take)?;
    index.commit()?;
    let folder = thumbs_folder(&index).join(id.as_str());
    for name in ["12500.jpg", "500.jpg", "notes.txt", "1.jpeg"] {
        write_jpeg(&folder, name)?;
    }

    let frames = index.thumbnails().frames_of(&id)?;
    let listed: Vec<(f64, String)> = frames.into_iter().map(|f| (f.time, f.relative)).collect();
    assert_eq!(
        listed,
        vec![
            (0.5, format!("{id}/500.jpg")),
            (12.5, format!("{id}/12500.jpg"))
        ]
    );

    index.thumbnails().remove_frames_of(&id)?;
    assert!(index.thumbnails().frames_of(&id)?.is_empty());
    assert!(!folder.exists());
    Ok(())
}

#[test]
fn orphan_thumbnails_go_and_those_of_held_assets_stay() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let take = record(video("/footage/a.mov", 30.0), 3, 10.0);
    let held = take.asset.id.clone();
    index.put_asset(&take)?;
    index.commit()?;
    let orphan = AssetId::from_path(Path::new("/footage/never-committed.mov"));
    let thumbs = thumbs_folder(&index);
    write_jpeg(&thumbs.join(held.as_str()), "1000.jpg")?;
    write_jpeg(&thumbs.join(orphan.as_str()), "1000.jpg")?;
    write_jpeg(&thumbs.join("not-an-asset"), "1000.jpg")?;

    index.remove_orphan_thumbnails()?;
    assert!(thumbs.join(held.as_str()).join("1000.jpg").exists());
    assert!(!thumbs.join(orphan.as_str()).exists());
    assert!(thumbs.join("not-an-asset").join("1000.jpg").exists());
    Ok(())
}

#[test]
fn a_thumbnail_put_is_read_back_replaced_and_removed() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let take = record(video("/footage/a.mov", 30.0), 3, 10.0);
    let id = take.asset.id.clone();
    let store = index.thumbnails();
    let frame = format!("{id}/2000.jpg");
    let face = format!("faces/{id}/2000-0.jpg");
    assert_eq!(store.read(&frame)?, None, "nothing before the put");

    store.put(&frame, b"first")?;
    store.put(&face, b"face")?;
    store.put(&frame, b"second")?;
    let read = store.read(&frame)?.ok_or("put thumbnail not read")?;
    assert_eq!(read.jpeg, b"second");
    assert!(
        read.modified.is_some(),
        "the folder knows when it was written"
    );
    assert_eq!(store.read(&face)?.ok_or("face not read")?.jpeg, b"face");
    let listed: Vec<String> = store
        .frames_of(&id)?
        .into_iter()
        .map(|f| f.relative)
        .collect();
    assert_eq!(listed, std::slice::from_ref(&frame));
    let files: Vec<_> = std::fs::read_dir(thumbs_folder(&index).join(id.as_str()))?
        .map(|entry| entry.map(|entry| entry.file_name()))
        .collect::<Result<_, _>>()?;
    assert_eq!(files, ["2000.jpg"], "no temp files left");

    // A re-index empties the frames and keeps the faces; removing the asset takes both.
    store.remove_frames_of(&id)?;
    assert_eq!(store.read(&frame)?, None);
    assert!(store.read(&face)?.is_some());
    store.remove(std::slice::from_ref(&face));
    assert_eq!(store.read(&face)?, None);
    store.put(&face, b"face")?;
    store.remove_asset(&id)?;
    assert_eq!(store.read(&face)?, None);
    Ok(())
}

#[test]
fn hostile_thumbnail_paths_are_refused_and_touch_nothing() -> TestResult {
    let (dir, index) = fresh_index()?;
    let outside = dir.path().join("secret.jpg");
    std::fs::write(&outside, b"secret")?;
    let store = index.thumbnails();
    for hostile in [
        "../secret.jpg",
        "../../secret.jpg",
        "faces/../../secret.jpg",
        "/etc/passwd",
        outside.to_str().ok_or("path not UTF-8")?,
        "0123456789abcdef\\..\\..\\secret.jpg",
        "0123456789abcdef/./1000.jpg",
        "0123456789abcdef//1000.jpg",
        "0123456789abcdef/1000.jpg\0",
        "",
        "C:\\secret.jpg",
    ] {
        assert!(
            matches!(store.read(hostile), Err(StoreError::Invalid(_))),
            "read {hostile:?}"
        );
        assert!(
            matches!(store.put(hostile, b"evil"), Err(StoreError::Invalid(_))),
            "put {hostile:?}"
        );
        store.remove(&[hostile.to_string()]);
    }
    assert_eq!(std::fs::read(&outside)?, b"secret");
    assert!(!thumbs_folder(&index).exists(), "nothing written");
    Ok(())
}
