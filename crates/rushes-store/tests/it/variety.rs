//! Variety: one file full of matches does not crowd out the others (at most `per_asset`
//! hits a file by default), asking for more works (`per_asset: 0`, or a query naming the
//! file), and facets count files, not the moments they hold.

use rushes_core::AssetRecord;
use rushes_store::SearchRequest;

use crate::support::*;

/// `shots` crane shots of 2 s, 5 s apart (never touching, so never merged into one hit).
fn crane_takes(path: &str, shots: usize) -> AssetRecord {
    let mut take = record(video(path, shots as f64 * 5.0), shots, 5.0);
    for (i, moment) in take.moments.iter_mut().enumerate() {
        moment.end = moment.start + 2.0;
        moment.ocr_text = format!("CRANE SHOT {}", i + 1);
    }
    take
}

fn files_of(response: &rushes_core::SearchResponse) -> Vec<String> {
    hit_windows(response)
        .into_iter()
        .map(|(name, _, _)| name)
        .collect()
}

fn count(files: &[String], name: &str) -> usize {
    files.iter().filter(|file| *file == name).count()
}

#[test]
fn one_file_with_twenty_five_matches_yields_three_hits_and_leaves_room_for_others() -> TestResult {
    let (_dir, index) = fresh_index()?;
    index.put_asset(&crane_takes("/footage/day1/A001_C001.mov", 25))?;
    index.put_asset(&crane_takes("/footage/day1/A001_C002.mov", 2))?;
    index.put_asset(&crane_takes("/footage/day2/B001_C001.mov", 1))?;
    index.commit()?;

    let files = files_of(&search(&index, "crane")?);
    assert_eq!(count(&files, "A001_C001.mov"), 3, "{files:?}");
    assert_eq!(count(&files, "A001_C002.mov"), 2, "{files:?}");
    assert_eq!(count(&files, "B001_C001.mov"), 1, "{files:?}");

    // Asked for: no cap, the 20 best of one file fill the page.
    let uncapped = index.search(&SearchRequest {
        per_asset: 0,
        ..SearchRequest::new("crane")
    })?;
    let files = files_of(&uncapped);
    assert_eq!(files.len(), 20);
    assert!(count(&files, "A001_C001.mov") >= 17, "{files:?}");

    // A larger cap is honoured exactly.
    let ten = index.search(&SearchRequest {
        per_asset: 10,
        limit: 50,
        ..SearchRequest::new("crane")
    })?;
    assert_eq!(count(&files_of(&ten), "A001_C001.mov"), 10);

    // A query naming the file lists every matching moment of it.
    let id = crate::support::video("/footage/day1/A001_C001.mov", 0.0).id;
    let named = index.search(&SearchRequest {
        limit: 50,
        ..SearchRequest::new(format!("crane asset:{id}"))
    })?;
    let windows = hit_windows(&named);
    assert_eq!(windows.len(), 25);
    assert!(windows.iter().all(|(name, _, _)| name == "A001_C001.mov"));
    Ok(())
}

#[test]
fn facets_count_each_file_once_however_many_moments_match() -> TestResult {
    let (_dir, index) = fresh_index()?;
    index.put_asset(&crane_takes("/footage/day1/A001_C001.mov", 25))?;
    index.put_asset(&crane_takes("/footage/day2/B001_C001.mov", 2))?;
    index.commit()?;
    let facets = index.facets(&SearchRequest::new("crane"))?;
    assert_eq!(facets.moments, 27);
    let folder = |name: &str| {
        facets
            .folder
            .iter()
            .find(|f| f.value == name)
            .map(|f| f.count)
    };
    assert_eq!(folder("day1"), Some(1));
    assert_eq!(folder("day2"), Some(1));
    let video = facets
        .kind
        .iter()
        .find(|f| f.value == "video")
        .map(|f| f.count);
    assert_eq!(video, Some(2));
    Ok(())
}
