//! Semantic search on both engines: the corpus's text units (fixed sentence vectors, see
//! `corpus::meaning_of`) written into a local `Index` and a `PgLibrary`; queries by meaning
//! answer the same hits — moments, windows (the unit's), the unit's kind and text — on
//! both, a query meaning nothing finds nothing; hand notes, tags and collection notes are
//! found by meaning after `refresh_hand_units` on both, a failing model changes nothing,
//! a removed collection entry's note is no longer found; re-indexing an asset replaces its
//! found units and keeps its hand units, forgetting it removes all; `migrate` copies the
//! units with their vectors and a meaning query finds the same first hit after the move.

use rushes_core::{AssetId, TextUnitKind};
use rushes_postgres::PgLibrary;
use rushes_postgres::migrate::{MigrateOptions, migrate};
use rushes_postgres::vectors::TEXT_UNIT_VECTORS;
use rushes_store::seams::AssetWrites;
use rushes_store::{Library, SearchRequest, SemanticQuery, StoreError, TimeRange};
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

use crate::corpus::{
    FixedMeanings, SENTENCE_DIM, SENTENCE_MODEL, library, meaning_axis, meaning_of,
};
use crate::library::{Both, HERO, NOTE, both};

const CUTOFF: f32 = 0.5;
const COLLECTION_NOTE: &str = "use this for the trailer";

/// A request for `words` (matching no indexed word) whose meaning is `vector`.
fn by_meaning(words: &str, vector: Vec<f32>) -> SearchRequest {
    SearchRequest {
        query: words.to_string(),
        semantic: Some(SemanticQuery {
            model: SENTENCE_MODEL.to_string(),
            vector,
            cutoff: CUTOFF,
        }),
        ..SearchRequest::default()
    }
}

/// `a` and `b` added, in the sentence space.
fn blend(a: Vec<f32>, b: Vec<f32>, weight: f32) -> Vec<f32> {
    a.iter().zip(&b).map(|(x, y)| x + weight * y).collect()
}

/// The hand notes and tags of `both()` and a collection note, each meaning its own way.
fn hand_meanings() -> FixedMeanings {
    FixedMeanings(vec![
        (NOTE, meaning_axis(14)),
        (HERO, meaning_axis(15)),
        (COLLECTION_NOTE, meaning_axis(16)),
    ])
}

/// Searches both engines by meaning; the same hits (similarities within quantisation).
fn same_by_meaning(
    both: &Both,
    words: &str,
    vector: Vec<f32>,
) -> Result<rushes_core::SearchResponse, TestError> {
    let request = by_meaning(words, vector);
    let response = both.same_search(&request)?;
    let pg = Library::search(&both.pg, &request)?;
    for (local, pg) in response.hits.iter().zip(&pg.hits) {
        let (Some(local), Some(pg)) = (&local.semantic, &pg.semantic) else {
            continue;
        };
        assert!(
            (local.similarity - pg.similarity).abs() < 0.02,
            "`{words}`: similarity {} locally, {} on PostgreSQL",
            local.similarity,
            pg.similarity
        );
    }
    Ok(response)
}

/// The (asset path, start, end, unit kind, unit text) of each hit.
fn found(response: &rushes_core::SearchResponse) -> Vec<(String, f64, f64, TextUnitKind, String)> {
    response
        .hits
        .iter()
        .filter_map(|hit| {
            let unit = hit.semantic.as_ref()?;
            Some((
                hit.asset.path.clone(),
                hit.start,
                hit.end,
                unit.kind,
                unit.text.clone(),
            ))
        })
        .collect()
}

#[test]
fn meaning_queries_find_the_same_moments_windows_and_units_on_both_engines() -> Result<(), TestError>
{
    let both = both()?;
    assert_eq!(
        Library::text_unit_models(&both.pg)?,
        vec![(SENTENCE_MODEL.to_string(), SENTENCE_DIM)]
    );
    assert_eq!(
        both.local.text_unit_models()?,
        Library::text_unit_models(&both.pg)?
    );

    // Near the grips' line, then the coffee break's: those two lines, in that order, each
    // hit playing its line's window (a second into the shot).
    let spill = same_by_meaning(
        &both,
        "beverage mishap",
        blend(meaning_of(0), meaning_of(3), 0.7),
    )?;
    assert_eq!(
        found(&spill),
        vec![
            (
                "/footage/day1/cam-a/A001_C003.mov".to_string(),
                1.0,
                4.0,
                TextUnitKind::Transcript,
                "The grips were spilling coffee next to the crane".to_string()
            ),
            (
                "/footage/day1/cam-b/B002_C001.mov".to_string(),
                1.0,
                3.0,
                TextUnitKind::Transcript,
                "coffee break, everyone spill out".to_string()
            ),
        ],
        "{spill:?}"
    );
    // On-screen text and a caption are found by meaning too.
    let slate = same_by_meaning(&both, "clapperboard", meaning_of(1))?;
    assert_eq!(found(&slate)[0].3, TextUnitKind::Screen, "{slate:?}");
    assert_eq!(found(&slate)[0].4, "SCENE 42A TAKE 3");
    let night = same_by_meaning(&both, "evening exterior", meaning_of(2))?;
    assert_eq!(found(&night)[0].3, TextUnitKind::Caption, "{night:?}");
    // The interview's second line, 31–59 s of its 30–60 s moment.
    let paint = same_by_meaning(&both, "mess on the rails", meaning_of(7))?;
    assert_eq!((paint.hits[0].start, paint.hits[0].end), (31.0, 59.0));
    // Filters hold on the semantic branch: the still's poster, not a clip.
    let still = same_by_meaning(&both, "rental advert kind:image", meaning_of(8))?;
    assert_eq!(found(&still).len(), 1, "{still:?}");
    assert!(found(&still)[0].0.ends_with("poster.jpg"));
    let not_still = same_by_meaning(&both, "rental advert kind:video", meaning_of(8))?;
    assert!(found(&not_still).is_empty(), "{not_still:?}");
    // A meaning no unit is near (axis 19 is nobody's): nothing by meaning.
    let nothing = same_by_meaning(&both, "submarine", meaning_axis(19))?;
    assert!(nothing.hits.is_empty(), "{nothing:?}");

    // The nearest units come from the sentence model's own HNSW index (nine rows are
    // cheaper to scan; a library's millions are not).
    let mut client = both.pg.engine().pool().get()?;
    let mut transaction = client.transaction()?;
    transaction.batch_execute(
        "ANALYZE text_unit_vectors; SET LOCAL enable_seqscan = off; \
         SET LOCAL enable_bitmapscan = off",
    )?;
    let plan: Vec<String> = transaction
        .query(
            &format!(
                "EXPLAIN {}",
                TEXT_UNIT_VECTORS.nearest_sql(SENTENCE_MODEL, SENTENCE_DIM)
            ),
            &[&pgvector::Vector::from(meaning_of(0)), &3_i64],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(
        plan.iter()
            .any(|line| line.contains("Index Scan using text_unit_vectors_hnsw_")),
        "{plan:#?}"
    );
    Ok(())
}

#[test]
fn hand_notes_tags_and_collection_notes_are_found_by_meaning_on_both_engines()
-> Result<(), TestError> {
    let both = both()?;
    let records = library();
    let (a001, interview) = (&records[0].asset.id, &records[2].asset.id);
    let meanings = hand_meanings();
    // Before any refresh: a note's meaning finds nothing on either engine.
    let before = same_by_meaning(&both, "praise", meaning_axis(14))?;
    assert!(before.hits.is_empty(), "{before:?}");
    for library in [&both.local as &dyn Library, &both.pg] {
        library.add_to_collection(
            "Trailer",
            interview,
            TimeRange::new(30.0, 60.0).ok(),
            COLLECTION_NOTE,
        )?;
        assert_eq!(library.refresh_hand_units(interview, &meanings)?, 2);
        assert_eq!(library.refresh_hand_units(a001, &meanings)?, 1);
    }
    let note = same_by_meaning(&both, "praise", meaning_axis(14))?;
    assert_eq!(
        found(&note)
            .first()
            .map(|f| (f.0.as_str(), f.3, f.4.as_str())),
        Some((
            "/footage/day2/interviews/maria_interview.mov",
            TextUnitKind::Note,
            NOTE
        )),
        "{note:?}"
    );
    let tag = same_by_meaning(&both, "star moment", meaning_axis(15))?;
    assert_eq!(
        found(&tag).first().map(|f| (f.1, f.2, f.3)),
        Some((0.0, 5.0, TextUnitKind::Tag)),
        "the tag's range: {tag:?}"
    );
    let entry = same_by_meaning(&both, "promo", meaning_axis(16))?;
    assert_eq!(
        found(&entry).first().map(|f| (f.1, f.2, f.4.as_str())),
        Some((30.0, 60.0, COLLECTION_NOTE)),
        "{entry:?}"
    );

    // A model that fails says why in the same words and leaves the units as they were.
    both.pg.set_note(interview, None, "an unknown sentence")?;
    both.local
        .set_note(interview, None, "an unknown sentence")?;
    let broken = FixedMeanings(Vec::new());
    let (local, pg) = (
        both.local.refresh_hand_units(interview, &broken),
        Library::refresh_hand_units(&both.pg, interview, &broken),
    );
    match (&local, &pg) {
        (Err(StoreError::Vector(local)), Err(StoreError::Vector(pg))) => {
            assert_eq!(local, pg);
            assert!(pg.contains(SENTENCE_MODEL), "{pg}");
        }
        other => panic!("both refuse: {other:?}"),
    }
    let kept = same_by_meaning(&both, "praise", meaning_axis(14))?;
    assert_eq!(found(&kept).first().map(|f| f.4.as_str()), Some(NOTE));

    // The entry removed (and the collection deleted): its note is no longer found.
    for library in [&both.local as &dyn Library, &both.pg] {
        let item = library.collection("Trailer")?.items[0].id;
        library.remove_from_collection("Trailer", item)?;
    }
    let gone = same_by_meaning(&both, "promo", meaning_axis(16))?;
    assert!(found(&gone).is_empty(), "{gone:?}");
    Ok(())
}

/// How many text units of `asset`, by whether they are hand-made, the database holds, and
/// how many unit vectors.
fn units_in_database(pg: &PgLibrary, asset: &AssetId) -> Result<(i64, i64, i64), TestError> {
    let mut client = pg.engine().pool().get()?;
    let row = client.query_one(
        "SELECT count(*) FILTER (WHERE kind NOT IN ('note', 'tag')),
                count(*) FILTER (WHERE kind IN ('note', 'tag')),
                (SELECT count(*) FROM text_unit_vectors v JOIN text_units w ON w.id = v.unit_id
                 WHERE w.asset_id = $1)
         FROM text_units WHERE asset_id = $1",
        &[&asset.as_str()],
    )?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

#[test]
fn reindexing_replaces_found_units_keeps_hand_units_and_forgetting_removes_all()
-> Result<(), TestError> {
    let both = both()?;
    let mut records = library();
    let a001 = records[0].asset.id.clone();
    Library::refresh_hand_units(&both.pg, &a001, &hand_meanings())?;
    assert_eq!(units_in_database(&both.pg, &a001)?, (3, 1, 4));

    // A new version of the file: one line instead of three units.
    let mut changed = records.swap_remove(0);
    changed.asset.content_hash = "hash-new-cut".into();
    changed.text_units.truncate(1);
    changed.text_units[0].text = "The grips were spilling tea".into();
    both.pg.engine().put_assets(&[changed], None)?;
    assert_eq!(units_in_database(&both.pg, &a001)?, (1, 1, 2));
    let tea = Library::search(&both.pg, &by_meaning("beverage", meaning_of(0)))?;
    assert_eq!(
        found(&tea).first().map(|f| f.4.as_str()),
        Some("The grips were spilling tea")
    );
    let hero = Library::search(&both.pg, &by_meaning("star", meaning_axis(15)))?;
    assert_eq!(
        found(&hero).len(),
        1,
        "the hand tag's unit survived: {hero:?}"
    );

    // A unit vector of another size is refused, and nothing of the record is written.
    let mut wrong = library().swap_remove(1);
    wrong.text_units[0].embedding = Some(vec![1.0; SENTENCE_DIM + 1]);
    wrong.text_units.truncate(1);
    let refused = both.pg.engine().put_assets(&[wrong.clone()], None);
    assert!(
        matches!(refused, Err(StoreError::DimensionMismatch { .. })),
        "{refused:?}"
    );
    assert_eq!(units_in_database(&both.pg, &wrong.asset.id)?, (3, 0, 3));

    // Forgetting the asset takes every unit of it, found and hand-made.
    both.pg.engine().remove_asset(&a001)?;
    assert_eq!(units_in_database(&both.pg, &a001)?, (0, 0, 0));
    let after = Library::search(&both.pg, &by_meaning("star", meaning_axis(15)))?;
    assert!(after.hits.is_empty(), "{after:?}");
    Ok(())
}

#[test]
fn migrate_copies_text_units_with_their_vectors_and_meaning_finds_the_same_first_hit()
-> Result<(), TestError> {
    let both = both()?;
    let records = library();
    both.local
        .refresh_hand_units(&records[2].asset.id, &hand_meanings())?;
    let queries = [
        ("beverage mishap", blend(meaning_of(0), meaning_of(3), 0.7)),
        ("mess on the rails", meaning_of(7)),
        ("praise", meaning_axis(14)),
    ];
    let before: Vec<_> = queries
        .iter()
        .map(|(words, vector)| both.local.search(&by_meaning(words, vector.clone())))
        .collect::<Result<_, _>>()?;

    let url = shared_server()?.fresh_database()?;
    let target = PgLibrary::open(&url)?;
    let summary = migrate(
        &both.dir.path().join("index"),
        target.engine(),
        MigrateOptions::default(),
        &mut |_| {},
    )?;
    // Nine found units and the interview's note.
    assert_eq!((summary.text_units, summary.text_unit_vectors), (10, 10));
    assert_eq!(
        Library::text_unit_models(&target)?,
        both.local.text_unit_models()?
    );
    for ((words, vector), local) in queries.iter().zip(&before) {
        let moved = Library::search(&target, &by_meaning(words, vector.clone()))?;
        assert!(!local.hits.is_empty(), "`{words}` finds something locally");
        assert_eq!(
            found(&moved).first(),
            found(local).first(),
            "`{words}`: the same first hit after the move"
        );
    }
    // A second run copies nothing again.
    let again = migrate(
        &both.dir.path().join("index"),
        target.engine(),
        MigrateOptions::default(),
        &mut |_| {},
    )?;
    assert_eq!(again.text_units, 0);
    let mut client = target.engine().pool().get()?;
    let units: i64 = client
        .query_one("SELECT count(*) FROM text_units", &[])?
        .get(0);
    assert_eq!(units, 10);
    Ok(())
}
