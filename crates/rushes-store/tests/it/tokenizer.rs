//! Letter/digit splitting: slate text an OCR reads without spaces (`SCENE42`, `TAKE3`)
//! is found by `scene 42` / `take 3`, as a phrase too, and `42` alone still finds it.

use crate::support::*;

/// The OCR line of a slate read without its spaces, next to a slate of another scene.
fn slates() -> Result<(tempfile::TempDir, rushes_store::Index), Box<dyn std::error::Error>> {
    let (dir, index) = fresh_index()?;
    let mut slate = record(video("/footage/day1/A001_C001.mov", 30.0), 3, 10.0);
    slate.moments[1].ocr_text = "SCENE42 TAKE3 ROLLA001".into();
    let mut other = record(video("/footage/day1/A001_C002.mov", 30.0), 3, 10.0);
    other.moments[0].ocr_text = "SCENE 4 TAKE 2".into();
    index.put_assets(&[slate, other])?;
    index.commit()?;
    Ok((dir, index))
}

#[test]
fn run_together_slate_text_is_found_by_its_words_and_numbers() -> TestResult {
    let (_dir, index) = slates()?;
    let expected = vec![("A001_C001.mov".to_string(), 10.0, 20.0)];
    for query in [
        "scene 42",
        "\"scene 42\"",
        "take 3",
        "42",
        "SCENE42",
        "take3",
    ] {
        assert_eq!(
            hit_windows(&search(&index, query)?),
            expected,
            "query {query}"
        );
    }
    let hit = search(&index, "scene 42")?;
    let snippet = &hit.hits.first().ok_or("no hit")?.snippet;
    assert!(snippet.contains("<b>SCENE</b><b>42</b>"), "{snippet}");
    Ok(())
}

#[test]
fn split_numbers_do_not_match_other_numbers() -> TestResult {
    let (_dir, index) = slates()?;
    // `4` is not `42`, and the phrase needs its words next to each other.
    assert_eq!(
        hit_files(&search(&index, "\"scene 4\"")?),
        vec!["A001_C002.mov".to_string()]
    );
    assert!(search(&index, "\"scene 3\"")?.hits.is_empty());
    assert!(search(&index, "\"take 42\"")?.hits.is_empty());
    Ok(())
}
