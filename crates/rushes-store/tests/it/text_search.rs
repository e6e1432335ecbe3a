//! Text branch: OCR, transcript lines, file and folder names, accents, stemming, snippets
//! and variety across assets.

use rushes_core::Signal;
use rushes_store::SearchRequest;

use crate::support::*;

#[test]
fn ocr_slate_text_finds_its_moment_with_the_moment_window() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let mut slate = record(video("/footage/day1/A001_C001.mov", 40.0), 4, 10.0);
    slate.moments[2].ocr_text = "SCENE 42 TAKE 3 ROLL A001".into();
    let mut other = record(video("/footage/day1/A001_C002.mov", 30.0), 3, 10.0);
    other.moments[0].ocr_text = "SCENE 41 TAKE 1".into();
    index.put_asset(&slate)?;
    index.put_asset(&other)?;
    index.commit()?;

    let response = search(&index, "SCENE 42 TAKE 3")?;
    let first = response.hits.first().ok_or("no hit")?;
    assert_eq!((first.start, first.end), (20.0, 30.0));
    assert!(first.asset.path.ends_with("A001_C001.mov"));
    assert!(first.signals.contains(&Signal::Ocr), "{:?}", first.signals);
    assert!(
        first.snippet.contains("<b>SCENE</b> <b>42</b>"),
        "{}",
        first.snippet
    );
    let thumbnail = first.thumbnail.as_deref().ok_or("no thumbnail")?;
    assert_eq!(thumbnail, format!("/thumbs/{}/25000.jpg", first.asset.id));
    Ok(())
}

#[test]
fn transcript_phrase_reports_the_line_window() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let lines = vec![
        line(1.0, 3.5, "Okay, quiet on set please."),
        line(12.2, 14.8, "Roll sound. Speed."),
        line(15.0, 17.5, "Marker. Background action!"),
    ];
    let take = with_transcript(
        record(video("/footage/day2/B004_C010.mov", 30.0), 3, 10.0),
        lines,
    );
    index.put_asset(&take)?;
    index.commit()?;

    let response = search(&index, "\"background action\"")?;
    let first = response.hits.first().ok_or("no hit")?;
    assert_eq!((first.start, first.end), (15.0, 17.5));
    assert_eq!(first.signals, vec![Signal::Transcript]);
    assert_eq!(first.snippet, "Marker. <b>Background</b> <b>action</b>!");

    // The words in the wrong order are not the phrase.
    assert!(search(&index, "\"action background\"")?.hits.is_empty());
    Ok(())
}

#[test]
fn file_and_folder_names_are_searchable_by_their_parts() -> TestResult {
    let (_dir, index) = fresh_index()?;
    index.put_asset(&record(
        video("/footage/Day1/A001_C003_take2.mov", 20.0),
        2,
        10.0,
    ))?;
    index.put_asset(&record(
        video("/footage/Day2/B002_C001_take1.mov", 20.0),
        2,
        10.0,
    ))?;
    index.commit()?;

    for query in ["take2", "A001", "C003", "a001_c003"] {
        assert_eq!(
            hit_files(&search(&index, query)?),
            vec!["A001_C003_take2.mov"],
            "{query}"
        );
    }
    assert_eq!(
        hit_files(&search(&index, "day2")?),
        vec!["B002_C001_take1.mov"]
    );
    // The name matches every moment of the file; neighbours merge into one window.
    let response = search(&index, "take2")?;
    assert_eq!(
        hit_windows(&response),
        vec![("A001_C003_take2.mov".to_string(), 0.0, 20.0)]
    );
    assert_eq!(response.hits[0].signals, vec![Signal::Metadata]);
    Ok(())
}

#[test]
fn accents_fold_and_words_stem() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let mut cafe = record(video("/footage/exteriors/street.mov", 20.0), 2, 10.0);
    cafe.moments[1].ocr_text = "Café de Flore".into();
    let mut rig = record(video("/footage/grip/crane.mov", 20.0), 2, 10.0);
    rig.moments[0].tags = vec![("camera rig".into(), 0.8)];
    rig.moments[1].caption = Some("Grips rigging the crane arm".into());
    index.put_asset(&cafe)?;
    index.put_asset(&rig)?;
    index.commit()?;

    let response = search(&index, "cafe")?;
    assert_eq!(
        hit_windows(&response),
        vec![("street.mov".to_string(), 10.0, 20.0)]
    );
    assert!(
        response.hits[0].snippet.contains("<b>Café</b>"),
        "{}",
        response.hits[0].snippet
    );

    // `rigging` and `rig` meet at the same stem: both moments of the crane shot match.
    let response = search(&index, "rigging")?;
    assert_eq!(
        hit_windows(&response),
        vec![("crane.mov".to_string(), 0.0, 20.0)]
    );
    let signals = &response.hits[0].signals;
    assert!(
        signals.contains(&Signal::Tag) && signals.contains(&Signal::Caption),
        "{signals:?}"
    );
    Ok(())
}

#[test]
fn snippets_escape_html_around_highlights() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let mut board = record(video("/footage/inserts/board.mov", 10.0), 1, 10.0);
    board.moments[0].ocr_text = "<script> & CLAPPER".into();
    index.put_asset(&board)?;
    index.commit()?;
    let response = search(&index, "clapper")?;
    assert_eq!(
        response.hits[0].snippet,
        "&lt;script&gt; &amp; <b>CLAPPER</b>"
    );
    Ok(())
}

#[test]
fn one_asset_gives_at_most_per_asset_hits_unless_the_query_names_it() -> TestResult {
    let (_dir, index) = fresh_index()?;
    // Ten separate slates in one long take (not neighbours: empty shots between them).
    let mut long = record(video("/footage/day3/long_take.mov", 200.0), 20, 10.0);
    for i in (0..20).step_by(2) {
        long.moments[i].ocr_text = format!("SLATE {i}");
    }
    let mut short = record(video("/footage/day3/short.mov", 10.0), 1, 10.0);
    short.moments[0].ocr_text = "SLATE 99".into();
    index.put_asset(&long)?;
    index.put_asset(&short)?;
    index.commit()?;

    let response = search(&index, "slate")?;
    let from_long = response
        .hits
        .iter()
        .filter(|h| h.asset.path.ends_with("long_take.mov"))
        .count();
    assert_eq!(from_long, 3);
    assert!(hit_files(&response).contains(&"short.mov".to_string()));

    let wide = index.search(&SearchRequest {
        per_asset: 5,
        ..SearchRequest::new("slate")
    })?;
    assert_eq!(
        wide.hits
            .iter()
            .filter(|h| h.asset.path.ends_with("long_take.mov"))
            .count(),
        5
    );

    let one_asset = search(&index, &format!("slate asset:{}", long.asset.id))?;
    assert_eq!(one_asset.hits.len(), 10);
    Ok(())
}

#[test]
fn excluded_words_remove_moments() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let mut takes = record(video("/footage/day4/takes.mov", 40.0), 4, 10.0);
    takes.moments[0].ocr_text = "SCENE 7 TAKE 1".into();
    takes.moments[2].ocr_text = "SCENE 7 TAKE 2 BLOOPER".into();
    index.put_asset(&takes)?;
    index.commit()?;
    let response = search(&index, "scene -blooper")?;
    assert_eq!(
        hit_windows(&response),
        vec![("takes.mov".to_string(), 0.0, 10.0)]
    );
    Ok(())
}

#[test]
fn paging_with_offset_continues_where_the_first_page_ended() -> TestResult {
    let (_dir, index) = fresh_index()?;
    for n in 0..6 {
        let mut clip = record(
            video(&format!("/footage/pickups/pickup_{n}.mov"), 10.0),
            1,
            10.0,
        );
        clip.moments[0].ocr_text = format!("PICKUP {n}");
        index.put_asset(&clip)?;
    }
    index.commit()?;
    let all = index.search(&SearchRequest {
        limit: 6,
        ..SearchRequest::new("pickup")
    })?;
    let page2 = index.search(&SearchRequest {
        limit: 2,
        offset: 2,
        ..SearchRequest::new("pickup")
    })?;
    assert_eq!(all.hits.len(), 6);
    assert_eq!(page2.hits, all.hits[2..4].to_vec());
    Ok(())
}

/// Regression: "scene 42 take 5" found "SCENE 42 TAKE 3" without a word saying that "5"
/// did not match (a wrong-take risk); the hit now lists the query words it lacks.
#[test]
fn a_hit_lists_the_query_words_it_does_not_contain() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let mut slate = record(video("/footage/day1/A001_C003.mov", 20.0), 2, 10.0);
    slate.moments[0].ocr_text = "SCENE 42 TAKE 3".into();
    index.put_asset(&slate)?;
    index.commit()?;

    let response = search(&index, "scene 42 take 5")?;
    let first = response.hits.first().ok_or("no hit")?;
    assert_eq!(first.missing, ["5"], "{first:?}");
    // Every word found (case and word endings aside): nothing is missing.
    let exact = search(&index, "Scenes 42 take 3")?;
    let first = exact.hits.first().ok_or("no hit")?;
    assert!(first.missing.is_empty(), "{:?}", first.missing);
    Ok(())
}

/// Issue 21: "fruit snacks for the crew" found no moment with every word, and the any-word
/// pass ranked a call sheet's scanned text first, matched only by "the". Function words
/// are left out of that pass when the query has content words.
#[test]
fn any_word_matches_leave_out_function_words_when_the_query_has_content_words() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let mut call_sheet = record(video("/footage/day1/A001_C001.mov", 20.0), 2, 10.0);
    call_sheet.moments[0].ocr_text = "THE CALL SHEET FOR THE DAY".into();
    let craft = with_transcript(
        record(video("/footage/day1/B002_C004.mov", 30.0), 3, 10.0),
        vec![line(
            13.0,
            16.0,
            "craft services put out snacks, the whole crew is eating",
        )],
    );
    index.put_asset(&call_sheet)?;
    index.put_asset(&craft)?;
    index.commit()?;

    let response = search(&index, "fruit snacks for the crew")?;
    assert_eq!(hit_files(&response), vec!["B002_C004.mov"], "{response:?}");
    let first = &response.hits[0];
    // The line the content words are in, and only the content word it lacks.
    assert_eq!((first.start, first.end), (13.0, 16.0));
    assert_eq!(first.missing, ["fruit"], "{first:?}");

    // A query of function words only still looks for them.
    let the_for = search(&index, "for the")?;
    assert_eq!(hit_files(&the_for), vec!["A001_C001.mov"], "{the_for:?}");
    let the_or_on = search(&index, "the on")?;
    assert_eq!(
        hit_files(&the_or_on).len(),
        2,
        "any function word when there is no other: {the_or_on:?}"
    );
    Ok(())
}
