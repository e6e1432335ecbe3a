//! On-screen text runs (`AssetRecord::screen_text`): a hit on one plays from where the text
//! appears, not from its shot's start; the catalog keeps them, so `reindex` brings them back.

use std::ops::ControlFlow;

use rushes_core::ScreenText;
use rushes_store::rebuild::{self, RebuildOutcome};
use rushes_store::{Index, OpenMode};

use crate::support::*;

fn on_screen(start: f64, end: f64, text: &str) -> ScreenText {
    ScreenText {
        start,
        end,
        text: text.into(),
    }
}

/// A 30 s continuous take (one shot, cut into 10 s moments) with a slate held into it at
/// 13.4–14.6 s and a lower third at 21–23 s, read between samples: the moments' OCR text
/// has them as ingest writes it.
fn take() -> rushes_core::AssetRecord {
    let mut take = record(video("/footage/day3/A007_C004.mov", 30.0), 3, 10.0);
    take.screen_text = vec![
        on_screen(13.4, 14.6, "SCENE 42A\nTAKE 3"),
        on_screen(21.0, 23.0, "MARIA LOPEZ GAFFER"),
    ];
    take.moments[1].ocr_text = "SCENE 42A\nTAKE 3".into();
    take.moments[2].ocr_text = "MARIA LOPEZ GAFFER".into();
    take
}

#[test]
fn a_hit_on_screen_text_plays_from_where_the_text_appears() -> TestResult {
    let (_dir, index) = fresh_index()?;
    index.put_asset(&take())?;
    index.commit()?;
    let hits = search(&index, "scene 42a take 3")?;
    assert_eq!(
        hit_windows(&hits),
        vec![("A007_C004.mov".to_string(), 13.4, 14.6)],
        "the slate's interval, not the moment 10–20 s"
    );
    assert!(hits.hits[0].signals.contains(&rushes_core::Signal::Ocr));
    assert_eq!(
        hit_windows(&search(&index, "gaffer")?),
        vec![("A007_C004.mov".to_string(), 21.0, 23.0)]
    );
    let asset = &hits.hits[0].asset.id;
    let runs = index.screen_text(asset)?;
    assert_eq!(runs, take().screen_text, "stored in time order as given");
    Ok(())
}

// Regression: text read only on text-gate frames may be missing from an older moment's OCR
// text; the run itself still makes the moment findable.
#[test]
fn screen_text_missing_from_the_moment_text_is_still_found() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let mut take = take();
    take.moments[1].ocr_text.clear();
    index.put_asset(&take)?;
    index.commit()?;
    assert_eq!(
        hit_windows(&search(&index, "42a")?),
        vec![("A007_C004.mov".to_string(), 13.4, 14.6)]
    );
    Ok(())
}

#[test]
fn reindex_rebuilds_screen_text_windows_from_the_catalog() -> TestResult {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("index");
    {
        let index = Index::open(&dir, OpenMode::ReadWrite)?;
        index.put_asset(&take())?;
        index.commit()?;
    }
    std::fs::remove_dir_all(dir.join("text"))?;
    match rebuild::reindex(&dir, |_| ControlFlow::Continue(()))? {
        RebuildOutcome::Done(_) => {}
        RebuildOutcome::Cancelled => return Err("reindex cancelled".into()),
    }
    let index = Index::open(&dir, OpenMode::ReadOnly)?;
    assert_eq!(
        hit_windows(&search(&index, "\"take 3\"")?),
        vec![("A007_C004.mov".to_string(), 13.4, 14.6)]
    );
    Ok(())
}
