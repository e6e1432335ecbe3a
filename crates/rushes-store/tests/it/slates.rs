//! Slates as data in the store: `scene:`, `take:`, `roll:` and the slate side of `camera:`
//! select the stretch each slate names; hits carry the slate's fields; facets count scenes
//! and takes; slates go with their asset and come back from the screen text on reindex.

use rushes_core::{AssetRecord, ScreenText, Slate, SlateSpan};
use rushes_store::rebuild::{self, RebuildOutcome};
use rushes_store::{Index, OpenMode, SearchRequest, Sort};

use crate::support::*;

fn span(start: f64, end: f64, scene: &str, take: &str, roll: Option<&str>) -> SlateSpan {
    SlateSpan {
        start,
        end,
        seen_start: start,
        seen_end: start + 2.0,
        tail: false,
        slate: Slate {
            scene: Some(scene.into()),
            take: Some(take.into()),
            roll: roll.map(String::from),
            camera: roll.and_then(|r| r.get(0..1)).map(String::from),
            ..Slate::default()
        },
    }
}

/// A 60 s continuous take of scene 42A take 3 from 5 s, then 42B take 4 from 30 s (six
/// 10 s moments), and a 20 s clip of scene 17 take 3 on camera B with a crane in it.
fn dailies() -> Result<(tempfile::TempDir, Index), Box<dyn std::error::Error>> {
    let (dir, index) = fresh_index()?;
    let mut first = record(video("/footage/day1/A007_C001.mov", 60.0), 6, 10.0);
    first.moments[0].ocr_text = "SCENE 42A TAKE 3".into();
    first.slates = vec![
        span(5.0, 30.0, "42A", "3", Some("A007")),
        span(30.0, 60.0, "42B", "4", None),
    ];
    let mut second = record(video("/footage/day1/B002_C004.mov", 20.0), 2, 10.0);
    second.moments[1].ocr_text = "crane".into();
    second.slates = vec![span(0.0, 20.0, "17", "3", Some("B002"))];
    let other = record(video("/footage/day2/interview.mov", 30.0), 3, 10.0);
    index.put_assets(&[first, second, other])?;
    index.commit()?;
    Ok((dir, index))
}

/// A hit's file name, start and end.
type Window = (String, f64, f64);

fn windows(index: &Index, query: &str) -> Result<Vec<Window>, Box<dyn std::error::Error>> {
    let mut windows = hit_windows(&index.search(&SearchRequest {
        sort: Sort::Path,
        ..SearchRequest::new(query)
    })?);
    windows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    Ok(windows)
}

fn window(name: &str, start: f64, end: f64) -> Window {
    (name.to_string(), start, end)
}

#[test]
fn scene_filter_takes_the_number_with_any_letter_and_a_letter_exactly() -> TestResult {
    let (_dir, index) = dailies()?;
    assert_eq!(
        windows(&index, "scene:42")?,
        vec![
            window("A007_C001.mov", 5.0, 30.0),
            window("A007_C001.mov", 30.0, 60.0)
        ]
    );
    assert_eq!(
        windows(&index, "scene:42A")?,
        vec![window("A007_C001.mov", 5.0, 30.0)]
    );
    assert_eq!(
        windows(&index, "scene:42b")?,
        vec![window("A007_C001.mov", 30.0, 60.0)]
    );
    assert!(windows(&index, "scene:4")?.is_empty());
    assert!(windows(&index, "scene:42C")?.is_empty());
    Ok(())
}

#[test]
fn take_roll_and_camera_filters_select_their_spans() -> TestResult {
    let (_dir, index) = dailies()?;
    assert_eq!(
        windows(&index, "take:3")?,
        vec![
            window("A007_C001.mov", 5.0, 30.0),
            window("B002_C004.mov", 0.0, 20.0)
        ]
    );
    assert_eq!(
        windows(&index, "take:04")?,
        vec![window("A007_C001.mov", 30.0, 60.0)]
    );
    assert!(windows(&index, "take:5")?.is_empty());
    assert_eq!(
        windows(&index, "roll:a007")?,
        vec![window("A007_C001.mov", 5.0, 30.0)]
    );
    assert_eq!(
        windows(&index, "camera:B")?,
        vec![window("B002_C004.mov", 0.0, 20.0)]
    );
    Ok(())
}

#[test]
fn slate_filters_combine_with_each_other_words_and_negation() -> TestResult {
    let (_dir, index) = dailies()?;
    assert_eq!(
        windows(&index, "scene:42 take:3")?,
        vec![window("A007_C001.mov", 5.0, 30.0)]
    );
    assert!(windows(&index, "scene:17 take:4")?.is_empty());
    // Words find their moment, cut to the slate's span.
    assert_eq!(
        windows(&index, "crane take:3")?,
        vec![window("B002_C004.mov", 10.0, 20.0)]
    );
    assert!(windows(&index, "crane scene:42")?.is_empty());
    let without = windows(&index, "-scene:42 kind:video")?;
    assert!(
        without.contains(&window("B002_C004.mov", 0.0, 20.0)),
        "{without:?}"
    );
    assert!(without.iter().any(|(name, _, _)| name == "interview.mov"));
    assert!(
        without
            .iter()
            .all(|(name, start, _)| name != "A007_C001.mov" || *start < 5.0),
        "{without:?}"
    );
    Ok(())
}

#[test]
fn hits_carry_the_slate_they_start_in_and_text_search_still_reads_the_ocr() -> TestResult {
    let (_dir, index) = dailies()?;
    let answer = index.search(&SearchRequest::new("take:3 roll:A007"))?;
    let slate = answer.hits.first().and_then(|hit| hit.slate.clone());
    assert_eq!(
        slate.as_ref().and_then(|s| s.label()).as_deref(),
        Some("Sc 42A · Tk 3")
    );
    assert_eq!(slate.and_then(|s| s.camera).as_deref(), Some("A"));
    let json = serde_json::to_value(&answer.hits[0])?;
    assert_eq!(json["slate"]["scene"], "42A");
    assert_eq!(json["slate"]["roll"], "A007");
    // The words on the board still find it as text, as before slates were data.
    let text = index.search(&SearchRequest::new("scene 42A take 3"))?;
    assert_eq!(hit_files(&text), vec!["A007_C001.mov"]);
    // A hit outside every slate span has no slate.
    let other = index.search(&SearchRequest::new("folder:day2"))?;
    assert!(other.hits.iter().all(|hit| hit.slate.is_none()));
    Ok(())
}

#[test]
fn facets_count_scenes_and_takes_of_the_matching_assets() -> TestResult {
    let (_dir, index) = dailies()?;
    let all = index.facets(&SearchRequest::new(""))?;
    let values = |counts: &[rushes_store::FacetCount]| -> Vec<(String, u64)> {
        let mut values: Vec<(String, u64)> =
            counts.iter().map(|c| (c.value.clone(), c.count)).collect();
        values.sort();
        values
    };
    assert_eq!(
        values(&all.scene),
        vec![("17".into(), 1), ("42A".into(), 1), ("42B".into(), 1)]
    );
    assert_eq!(values(&all.take), vec![("3".into(), 2), ("4".into(), 1)]);
    let scene_42b = index.facets(&SearchRequest::new("scene:42B"))?;
    assert_eq!(values(&scene_42b.take), vec![("4".into(), 1)]);
    Ok(())
}

#[test]
fn slates_go_with_their_asset() -> TestResult {
    let (_dir, index) = dailies()?;
    let answer = index.search(&SearchRequest::new("scene:42"))?;
    let id = answer.hits[0].asset.id.clone();
    index.remove_asset(&id)?;
    index.commit()?;
    assert!(windows(&index, "scene:42")?.is_empty());
    assert!(index.asset_slates(id.as_str())?.is_empty());
    assert_eq!(index.all_slates()?.len(), 1);
    Ok(())
}

#[test]
fn reindex_reads_slates_again_from_the_stored_screen_text() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("index");
    {
        let index = Index::open(&path, OpenMode::ReadWrite)?;
        // As an index written before slates were parsed: screen text, no slates.
        let mut clip: AssetRecord = record(video("/footage/day3/C003.mov", 40.0), 4, 10.0);
        clip.screen_text = vec![ScreenText {
            start: 12.0,
            end: 14.0,
            text: "ROLL A009\nSCENE 8\nTAKE 2".into(),
        }];
        index.put_asset(&clip)?;
        index.commit()?;
        assert!(windows(&index, "scene:8")?.is_empty());
    }
    let outcome = rebuild::reindex(&path, |_| std::ops::ControlFlow::Continue(()))?;
    assert!(matches!(outcome, RebuildOutcome::Done(_)));
    let index = Index::open(&path, OpenMode::ReadOnly)?;
    assert_eq!(
        windows(&index, "scene:8 take:2")?,
        vec![window("C003.mov", 12.0, 40.0)]
    );
    Ok(())
}

#[test]
fn slate_filters_parse_and_unknown_values_match_nothing() -> TestResult {
    let (_dir, index) = dailies()?;
    assert!(windows(&index, "roll:Z999")?.is_empty());
    let error = index.search(&SearchRequest::new("take:")).err();
    assert!(error.is_some(), "an empty take: is a user error");
    Ok(())
}
