//! The thumbnail store: the one owner of an index's thumbnails.

use std::path::Path;

use rushes_core::AssetId;

use crate::support::*;

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
    let folder = index.thumbs_dir().join(id.as_str());
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
    let thumbs = index.thumbs_dir();
    write_jpeg(&thumbs.join(held.as_str()), "1000.jpg")?;
    write_jpeg(&thumbs.join(orphan.as_str()), "1000.jpg")?;
    write_jpeg(&thumbs.join("not-an-asset"), "1000.jpg")?;

    index.remove_orphan_thumbnails()?;
    assert!(thumbs.join(held.as_str()).join("1000.jpg").exists());
    assert!(!thumbs.join(orphan.as_str()).exists());
    assert!(thumbs.join("not-an-asset").join("1000.jpg").exists());
    Ok(())
}
