//! What a careless or hostile user can type into the store: hand text with control
//! characters, time ranges outside the file, and queries none of whose words can be searched
//! for. Each gets a clear user error or answer and changes nothing.

use rushes_store::{Library, StoreError, TimeRange};

use crate::support::{
    TestResult, fresh_index, hit_windows, line, record, search, still, video, with_transcript,
};

fn tags(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn is_invalid(result: Result<impl std::fmt::Debug, StoreError>, says: &str) -> bool {
    match result {
        Err(error @ StoreError::Invalid(_)) => {
            assert!(error.is_user_error());
            assert!(error.to_string().contains(says), "{error} lacks {says:?}");
            true
        }
        other => panic!("expected a refusal saying {says:?}, got {other:?}"),
    }
}

/// Regression: tags, notes and collection names took NUL, escapes and newlines; a tag with a
/// newline could never be found with `tag:` and `collection list` printed them raw.
#[test]
fn control_characters_are_refused_in_tags_and_collection_names_and_notes_keep_line_breaks()
-> TestResult {
    let (_dir, index) = fresh_index()?;
    let take = record(video("/footage/day1/A001_C001.mov", 30.0), 3, 10.0);
    let id = take.asset.id.clone();
    index.put_asset(&take)?;
    index.commit()?;

    for bad in ["blooper\nreel", "nul\0tag", "tab\there", "esc\u{1b}[2J"] {
        assert!(is_invalid(
            index.add_hand_tags(&id, None, &tags(&["fine", bad])),
            "a tag cannot hold control characters"
        ));
        assert!(is_invalid(
            index.add_to_collection(bad, &id, None, ""),
            "a collection name cannot hold control characters"
        ));
        assert!(is_invalid(
            index.create_collection(bad),
            "a collection name cannot hold control characters"
        ));
    }
    // Nothing of a refused request was written: not the good tag beside the bad one, not the
    // collection.
    assert!(index.annotations(&id)?.is_empty());
    assert!(index.collections()?.is_empty());

    index.create_collection("selects")?;
    assert!(is_invalid(
        index.rename_collection("selects", "sel\nects"),
        "control characters"
    ));
    assert_eq!(index.collections()?[0].name, "selects");

    for bad in ["bell\u{7}", "nul\0", "lone\rreturn", "esc\u{1b}[31mred"] {
        assert!(is_invalid(
            index.set_note(&id, None, bad),
            "a note cannot hold control characters"
        ));
        assert!(is_invalid(
            index.add_to_collection("selects", &id, None, bad),
            "a note cannot hold control characters"
        ));
    }
    assert_eq!(index.collection("selects")?.items.len(), 0);
    // Tags and a note in one edit: a bad note leaves the good tags unwritten too.
    assert!(is_invalid(
        index.annotate(&id, None, &tags(&["good"]), &[], Some("nul\0")),
        "a note cannot hold control characters"
    ));
    assert!(index.annotations(&id)?.is_empty());

    // A note may hold line breaks (Windows ones become `\n`) and tabs, and is found by its
    // words on either line.
    index.set_note(&id, None, "boom in shot\r\nsecond line:\tcheck focus")?;
    assert_eq!(
        index.annotations(&id)?[0].note,
        "boom in shot\nsecond line:\tcheck focus"
    );
    assert!(!search(&index, "focus")?.hits.is_empty());
    index.add_hand_tags(&id, None, &tags(&["blooper"]))?;
    assert!(!search(&index, "tag:blooper")?.hits.is_empty());
    Ok(())
}

/// Regression: a tag range ending at 1e300 s was accepted and printed as garbage.
#[test]
fn a_range_must_lie_within_its_file_and_a_still_has_none() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let take = record(video("/footage/day1/A001_C001.mov", 30.0), 3, 10.0);
    let id = take.asset.id.clone();
    let photo = record(still("/footage/stills/IMG_0001.jpg"), 1, 0.0);
    let photo_id = photo.asset.id.clone();
    index.put_asset(&take)?;
    index.put_asset(&photo)?;
    index.commit()?;

    let past_the_end = TimeRange::new(0.0, 1e300)?;
    assert!(is_invalid(
        index.add_hand_tags(&id, Some(past_the_end), &tags(&["x"])),
        "ends after the file does (30.000 s long)"
    ));
    let message = index
        .add_hand_tags(&id, Some(past_the_end), &tags(&["x"]))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.starts_with("0.0-1e300 ends"), "{message}");
    let just_past = Some(TimeRange::new(29.0, 31.0)?);
    assert!(is_invalid(
        index.set_note(&id, just_past, "late"),
        "ends after the file does"
    ));
    assert!(is_invalid(
        index.add_to_collection("selects", &id, just_past, ""),
        "ends after the file does"
    ));
    // A refused entry does not create its collection either.
    assert!(index.collections()?.is_empty());
    assert!(index.annotations(&id)?.is_empty());

    // Within the file, and a frame or two past its probed end, is fine.
    index.add_hand_tags(&id, Some(TimeRange::new(25.0, 30.2)?), &tags(&["end"]))?;
    index.add_to_collection("selects", &id, Some(TimeRange::new(0.0, 30.0)?), "")?;

    // A still is tagged and collected whole; a time range on it is refused.
    assert!(is_invalid(
        index.add_hand_tags(&photo_id, Some(TimeRange::new(0.0, 1.0)?), &tags(&["x"])),
        "is a still"
    ));
    index.add_hand_tags(&photo_id, None, &tags(&["poster"]))?;
    assert_eq!(index.annotations(&photo_id)?[0].tags, vec!["poster"]);
    Ok(())
}

/// Regression: a query whose words all vanish in tokenizing (a 48+ character word, `((((`,
/// `""""`)
/// listed the whole library as if it were empty.
#[test]
fn a_query_none_of_whose_words_can_be_searched_matches_nothing_and_says_why() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let take = with_transcript(
        record(video("/footage/day1/A001_C003.mov", 20.0), 2, 10.0),
        vec![line(2.0, 4.0, "somebody knocked the coffee over")],
    );
    index.put_asset(&take)?;
    index.put_asset(&record(video("/footage/day1/A001_C004.mov", 20.0), 2, 10.0))?;
    index.commit()?;
    let everything = search(&index, "")?;
    assert!(!everything.hits.is_empty(), "a blank query lists");
    assert!(everything.notice.is_none());

    // Runs of 48 or more letters or digits are not indexed (words are runs of letters or of
    // digits, so a hex hash is a phrase of short words, found nowhere, and lists nothing).
    let long_word = "pneumonoultramicroscopicsilicovolcanoconiosis".repeat(2);
    let long_number = "1234567890".repeat(5);
    let hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert!(search(&index, hash)?.hits.is_empty());
    for (query, reason) in [
        ("((((", "has no letters or digits"),
        (long_word.as_str(), "90 characters"),
        (long_number.as_str(), "50 characters"),
        (&format!("{long_word} (((("), "has no letters or digits"),
        ("\"\"\"\"", "only quotes or dashes"),
        ("-", "only quotes or dashes"),
        ("-((((", "has no letters or digits"),
        ("kind:video ((((", "has no letters or digits"),
    ] {
        let response = search(&index, query)?;
        assert!(response.hits.is_empty(), "{query:?}: {:?}", response.hits);
        let notice = response.notice.unwrap_or_default();
        assert!(
            notice.starts_with("nothing matches: no word of the query can be searched for")
                && notice.contains(reason),
            "{query:?}: {notice:?}"
        );
        let facets = index.facets(&rushes_store::SearchRequest::new(query))?;
        assert_eq!(facets.moments, 0, "{query:?}");
    }

    // One searchable word is enough; an exclusion or a filter alone is a listing.
    let found = search(&index, "coffee ((((")?;
    assert_eq!(hit_windows(&found).len(), 1);
    assert!(found.notice.is_none());
    assert!(!search(&index, "-coffee")?.hits.is_empty());
    let videos = search(&index, "kind:video")?;
    assert_eq!(videos.hits.len(), everything.hits.len());
    assert!(videos.notice.is_none());
    Ok(())
}
