//! Hand tags and notes on moments, ordered collections, and the move of schema-1 collections
//! (asset ids in the catalog, ranges in `collection-ranges.json`) into the catalog.

use std::path::Path;

use rushes_store::{Index, Library, OpenMode, TimeRange};

use crate::support::{TestResult, fresh_index, hit_windows, record, search, video};

fn tags(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn a_tagged_range_finds_the_moments_it_overlaps_and_survives_reindexing() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let take = record(video("/footage/day2/A002_C007.mov", 30.0), 3, 10.0);
    let id = take.asset.id.clone();
    index.put_asset(&take)?;
    index.commit()?;

    index.add_hand_tags(&id, Some(TimeRange::new(12.0, 18.0)?), &tags(&["Blooper"]))?;
    index.set_note(
        &id,
        Some(TimeRange::new(22.0, 25.0)?),
        "wardrobe malfunction on the left",
    )?;
    let found = hit_windows(&search(&index, "tag:blooper")?);
    assert_eq!(found, vec![("A002_C007.mov".to_string(), 10.0, 20.0)]);
    let noted = hit_windows(&search(&index, "wardrobe")?);
    assert_eq!(noted, vec![("A002_C007.mov".to_string(), 20.0, 30.0)]);

    // Re-indexing rebuilds the moments (new row ids, here new cuts): the tag follows time.
    let mut recut = record(video("/footage/day2/A002_C007.mov", 30.0), 5, 6.0);
    recut.asset.id = id.clone();
    index.put_asset(&recut)?;
    index.commit()?;
    let found = hit_windows(&search(&index, "tag:blooper")?);
    assert_eq!(found, vec![("A002_C007.mov".to_string(), 12.0, 18.0)]);

    let annotations = index.annotations(&id)?;
    assert_eq!(annotations.len(), 2);
    assert_eq!(annotations[0].tags, vec!["Blooper"]);
    assert_eq!(annotations[1].note, "wardrobe malfunction on the left");

    index.remove_hand_tags(&id, Some(TimeRange::new(12.0, 18.0)?), &tags(&["Blooper"]))?;
    index.set_note(&id, Some(TimeRange::new(22.0, 25.0)?), "")?;
    assert!(search(&index, "tag:blooper")?.hits.is_empty());
    assert!(search(&index, "wardrobe")?.hits.is_empty());
    assert!(index.annotations(&id)?.is_empty());
    assert!(
        index
            .add_hand_tags(&id, None, &tags(&["  "]))
            .is_err_and(|e| e.is_user_error())
    );
    assert!(TimeRange::new(5.0, 5.0).is_err());
    Ok(())
}

#[test]
fn collections_keep_their_order_through_add_move_remove_rename_and_delete() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let first = record(video("/footage/a.mov", 20.0), 2, 10.0);
    let second = record(video("/footage/b.mov", 20.0), 2, 10.0);
    let (a, b) = (first.asset.id.clone(), second.asset.id.clone());
    index.put_asset(&first)?;
    index.put_asset(&second)?;
    index.commit()?;

    let one = index.add_to_collection("selects", &a, Some(TimeRange::new(1.0, 2.0)?), "")?;
    let two = index.add_to_collection("selects", &b, None, "wide")?;
    let three = index.add_to_collection("selects", &a, Some(TimeRange::new(5.0, 9.0)?), "")?;
    let again = index.add_to_collection("selects", &a, Some(TimeRange::new(1.0, 2.0)?), "")?;
    assert_eq!(again.id, one.id, "the same range is kept once");
    let order = |index: &Index, name: &str| -> Result<Vec<i64>, rushes_store::StoreError> {
        Ok(index.collection(name)?.items.iter().map(|i| i.id).collect())
    };
    assert_eq!(order(&index, "selects")?, vec![one.id, two.id, three.id]);

    index.move_in_collection("selects", three.id, 0)?;
    assert_eq!(order(&index, "selects")?, vec![three.id, one.id, two.id]);
    index.reorder_collection("selects", &[two.id, three.id, one.id])?;
    assert_eq!(order(&index, "selects")?, vec![two.id, three.id, one.id]);
    assert!(
        index
            .reorder_collection("selects", &[two.id])
            .is_err_and(|e| e.is_user_error())
    );
    index.remove_from_collection("selects", three.id)?;
    assert_eq!(order(&index, "selects")?, vec![two.id, one.id]);
    assert_eq!(index.collection("selects")?.items[0].note, "wide");

    index.add_to_collection("EPK", &b, None, "")?;
    assert!(
        index
            .rename_collection("selects", "EPK")
            .is_err_and(|e| e.is_user_error())
    );
    index.rename_collection("selects", "trailer")?;
    let names: Vec<(String, u64)> = index
        .collections()?
        .into_iter()
        .map(|c| (c.name, c.items))
        .collect();
    assert_eq!(
        names,
        vec![("EPK".to_string(), 1), ("trailer".to_string(), 2)]
    );
    assert!(
        index
            .collection("selects")
            .is_err_and(|e| e.is_user_error())
    );

    index.delete_collection("trailer")?;
    assert_eq!(index.collections()?.len(), 1);
    // Removing an asset from the index takes its entries with it.
    index.remove_asset(&b)?;
    assert!(index.collection("EPK")?.items.is_empty());
    Ok(())
}

/// An index written by schema 1: collections of asset ids, ranges in a JSON file beside.
#[test]
fn schema_one_collections_and_json_ranges_move_into_the_catalog() -> TestResult {
    let dir = tempfile::tempdir()?;
    let location = dir.path().join("index");
    let take = record(video("/footage/c.mov", 40.0), 4, 10.0);
    let other = record(video("/footage/d.mov", 40.0), 4, 10.0);
    let (c, d) = (take.asset.id.clone(), other.asset.id.clone());
    {
        let index = Index::open(&location, OpenMode::ReadWrite)?;
        index.put_asset(&take)?;
        index.put_asset(&other)?;
        index.commit()?;
    }
    let connection = rusqlite::Connection::open(location.join("catalog.sqlite"))?;
    connection.execute_batch(&format!(
        "DROP TABLE hand_tags; DROP TABLE hand_notes; DROP TABLE collection_items;
         DROP TABLE collection_names;
         CREATE TABLE user_tags (asset_id TEXT NOT NULL, tag TEXT NOT NULL,
             added_at INTEGER NOT NULL, PRIMARY KEY (asset_id, tag));
         CREATE TABLE collections (name TEXT NOT NULL, asset_id TEXT NOT NULL,
             added_at INTEGER NOT NULL, PRIMARY KEY (name, asset_id));
         INSERT INTO user_tags VALUES ('{c}', 'hero', 1);
         INSERT INTO collections VALUES ('selects', '{c}', 1), ('selects', '{d}', 2);
         PRAGMA user_version = 1;"
    ))?;
    drop(connection);
    std::fs::write(
        location.join("collection-ranges.json"),
        format!(
            r#"{{"collections": {{"selects": [
            {{"asset": "{c}", "start": 3.0, "end": 4.5}},
            {{"asset": "{c}", "start": 20.0, "end": 22.0}}]}}}}"#
        ),
    )?;

    let index = Index::open(&location, OpenMode::ReadWrite)?;
    let items: Vec<(String, Option<(f64, f64)>)> = index
        .collection("selects")?
        .items
        .into_iter()
        .map(|i| (i.asset.to_string(), i.range.map(|r| (r.start, r.end))))
        .collect();
    assert_eq!(
        items,
        vec![
            (c.to_string(), Some((3.0, 4.5))),
            (c.to_string(), Some((20.0, 22.0))),
            (d.to_string(), None),
        ]
    );
    assert_eq!(index.user_tags(&c)?, vec!["hero"]);
    assert!(!location.join("collection-ranges.json").exists());
    assert!(Path::new(&location.join("collection-ranges.json.imported")).exists());
    Ok(())
}

// Regression: a hit found only by a hand note listed no signal and showed the OCR snippet.
#[test]
fn a_hit_found_by_a_hand_note_or_tag_says_so_and_highlights_its_words() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let mut take = record(video("/footage/day2/A002_C007.mov", 30.0), 3, 10.0);
    for moment in &mut take.moments {
        moment.ocr_text = "SCENE 12 TAKE 4".into();
    }
    let id = take.asset.id.clone();
    index.put_asset(&take)?;
    index.commit()?;
    index.set_note(
        &id,
        Some(TimeRange::new(22.0, 25.0)?),
        "wardrobe malfunction on the left",
    )?;
    index.add_hand_tags(&id, Some(TimeRange::new(2.0, 5.0)?), &tags(&["blooper"]))?;

    let noted = search(&index, "wardrobe")?;
    assert_eq!(noted.hits.len(), 1);
    assert_eq!(noted.hits[0].signals, vec![rushes_core::Signal::Tag]);
    assert_eq!(
        noted.hits[0].snippet,
        "<b>wardrobe</b> malfunction on the left"
    );

    let tagged = search(&index, "blooper")?;
    assert_eq!(tagged.hits.len(), 1);
    assert_eq!(tagged.hits[0].signals, vec![rushes_core::Signal::Tag]);
    assert!(
        tagged.hits[0].snippet.contains("<b>blooper</b>"),
        "{}",
        tagged.hits[0].snippet
    );
    Ok(())
}
