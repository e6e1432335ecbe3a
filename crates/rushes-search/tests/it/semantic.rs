//! Semantic search with the real all-MiniLM-L6-v2 (installed by scripts/setup.sh): text
//! units written with their asset and embedded by the model, found by queries in other
//! words with the unit's window, text and similarity; a query about something absent finds
//! nothing by meaning; filters hold; hand notes and collection notes are found once
//! embedded; a slate is found as a clapperboard; deleting an asset and `rushes reindex`
//! keep the text-unit vectors in step with the catalog.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use rushes_core::{
    Asset, AssetRecord, MediaInfo, MomentRecord, ScreenText, Signal, TextUnit, TextUnitKind,
    TranscriptLine,
};
use rushes_models::{ModelStore, SentenceEncoder};
use rushes_search::{FoundHit, Searcher, SearcherConfig, SentenceModel};
use rushes_store::Library as _;
use rushes_store::{Index, OpenMode, SearchRequest, TimeRange};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// The real sentence model; its absence is a failed set-up, not a skipped test.
fn encoder() -> SentenceEncoder {
    let store = ModelStore::new(&models_dir());
    rushes_models::runtime::init().expect("ONNX Runtime: run scripts/setup.sh");
    SentenceEncoder::load(&store, 1).expect("all-minilm-l6-v2: run scripts/setup.sh")
}

fn asset(path: &str, duration: f64) -> Asset {
    crate::finished_hits::asset(
        path,
        MediaInfo {
            container: Some("mov,mp4,m4a,3gp,3g2,mj2".into()),
            duration: Some(duration),
            video_codec: Some("h264".into()),
            frame_rate: Some(25.0),
            ..MediaInfo::default()
        },
    )
}

fn line(start: f64, end: f64, text: &str) -> TranscriptLine {
    TranscriptLine {
        start,
        end,
        text: text.into(),
        source: "srt".into(),
    }
}

fn unit(kind: TextUnitKind, start: f64, end: f64, text: &str) -> TextUnit {
    TextUnit {
        kind,
        start,
        end,
        text: text.into(),
        embedding: None,
    }
}

/// A record of `asset` cut into 20 s shots, with its transcript, on-screen text and
/// captions as the ingest stage makes them (a slate's text led by its fields in words):
/// units embedded by `encoder`.
fn record(
    encoder: &mut SentenceEncoder,
    asset: Asset,
    transcript: Vec<TranscriptLine>,
    screen_text: Vec<ScreenText>,
    captions: &[(f64, f64, &str)],
) -> AssetRecord {
    let duration = asset.media.duration.unwrap_or(0.0);
    let mut moments = Vec::new();
    let mut start = 0.0;
    while start < duration {
        let end = (start + 20.0).min(duration);
        moments.push(MomentRecord {
            start,
            end,
            keyframe: start,
            transcript: transcript
                .iter()
                .filter(|l| l.start < end && l.end > start)
                .cloned()
                .collect(),
            caption: captions
                .iter()
                .find(|(s, e, _)| *s < end && *e > start)
                .map(|(_, _, text)| text.to_string()),
            ..MomentRecord::default()
        });
        start = end;
    }
    let mut units: Vec<TextUnit> = transcript
        .iter()
        .map(|l| unit(TextUnitKind::Transcript, l.start, l.end, &l.text))
        .chain(screen_text.iter().map(|r| {
            let text = rushes_slate::screen_unit_text(&r.text);
            unit(TextUnitKind::Screen, r.start, r.end, &text)
        }))
        .chain(
            captions
                .iter()
                .map(|(s, e, text)| unit(TextUnitKind::Caption, *s, *e, text)),
        )
        .collect();
    let texts: Vec<&str> = units.iter().map(|u| u.text.as_str()).collect();
    let vectors = encoder.embed(&texts).expect("embed units");
    let units_with_vectors: Vec<Vec<f32>> = vectors.outer_iter().map(|r| r.to_vec()).collect();
    for (unit, vector) in units.iter_mut().zip(units_with_vectors) {
        unit.embedding = Some(vector);
    }
    let mut record = AssetRecord::with_moments(asset, moments);
    record.transcript = transcript;
    record.screen_text = screen_text;
    record.text_model = Some(encoder.name().to_owned());
    record.text_units = units;
    record
}

struct Library {
    _temp: tempfile::TempDir,
    index: PathBuf,
    interview: Asset,
    broll: Asset,
}

/// An interview of 60 s (coffee talk, the rig going dark at 24 s, a sign on screen at 41 s,
/// a caption over 10–20 s) in day1, and a b-roll file in day2 where the lights die too.
fn library() -> Result<Library, Box<dyn std::error::Error>> {
    let mut encoder = encoder();
    let temp = tempfile::tempdir()?;
    let index = temp.path().join("index");
    let interview = asset("/shoot/day1/interview.mov", 60.0);
    let broll = asset("/shoot/day2/broll.mov", 20.0);
    let store = Index::open(&index, OpenMode::ReadWrite)?;
    store.put_asset(&record(
        &mut encoder,
        interview.clone(),
        vec![
            line(3.0, 5.5, "we need more coffee over here"),
            line(24.0, 26.5, "the whole rig just went dark"),
            line(45.0, 47.0, "the actor forgot his lines again"),
        ],
        vec![ScreenText {
            start: 41.0,
            end: 44.0,
            text: "NO FOOD OR DRINK ON SET".into(),
        }],
        &[(10.0, 20.0, "a man pours juice onto a table")],
    ))?;
    store.put_asset(&record(
        &mut encoder,
        broll.clone(),
        vec![line(8.0, 9.5, "the generator cut out and every lamp died")],
        Vec::new(),
        &[],
    ))?;
    store.commit()?;
    drop(store);
    Ok(Library {
        _temp: temp,
        index,
        interview,
        broll,
    })
}

/// The interview indexed again, as a changed file is: one line left, no screen text.
fn index_interview_again(index: &Index, library: &Library) -> TestResult {
    index.put_asset(&record(
        &mut encoder(),
        library.interview.clone(),
        vec![line(24.0, 26.5, "the whole rig just went dark")],
        Vec::new(),
        &[],
    ))?;
    index.commit()?;
    Ok(())
}

fn searcher(index: &Path) -> Searcher {
    let config = SearcherConfig {
        models_dir: models_dir(),
        threads: 1,
        visual: false,
        semantic: true,
    };
    Searcher::open(index, &config).expect("open the index")
}

fn semantic_hits(searcher: &Searcher, query: &str) -> Vec<FoundHit> {
    let found = searcher.search(&SearchRequest::new(query)).expect("search");
    found
        .hits
        .into_iter()
        .filter(|hit| hit.hit.signals.contains(&Signal::Semantic))
        .collect()
}

/// The semantic hit of `asset` whose matched text is `text`.
fn hit_on<'a>(hits: &'a [FoundHit], asset: &Asset, text: &str) -> &'a FoundHit {
    hits.iter()
        .find(|hit| {
            hit.hit.asset.id == asset.id
                && hit
                    .hit
                    .semantic
                    .as_ref()
                    .is_some_and(|unit| unit.text == text)
        })
        .unwrap_or_else(|| {
            let seen: Vec<_> = hits
                .iter()
                .map(|hit| (&hit.hit.asset.path, hit.hit.semantic.as_ref()))
                .collect();
            panic!(
                "no semantic hit on {text:?} of {}: {seen:?}",
                asset.path.display()
            )
        })
}

#[test]
fn a_paraphrase_finds_the_transcript_line_and_plays_its_window() -> TestResult {
    let library = library()?;
    let searcher = searcher(&library.index);
    assert_eq!(searcher.semantic_notice(), None);
    let hits = semantic_hits(&searcher, "lighting failure");
    let hit = hit_on(&hits, &library.interview, "the whole rig just went dark");
    // The line's window, not its 20–40 s shot: the hit plays from the line's start.
    assert_eq!((hit.hit.start, hit.hit.end), (24.0, 26.5));
    let unit = hit.hit.semantic.as_ref().expect("matched unit");
    assert_eq!(unit.kind, TextUnitKind::Transcript);
    assert!(unit.similarity >= 0.24, "similarity {}", unit.similarity);
    assert!(hit.hit.snippet.contains("went dark"), "{}", hit.hit.snippet);
    // No word of the query is in the line: BM25 alone would not have found it.
    assert_eq!(hit.hit.signals, vec![Signal::Semantic]);
    // The b-roll line means the same and is found too.
    hit_on(
        &hits,
        &library.broll,
        "the generator cut out and every lamp died",
    );
    Ok(())
}

#[test]
fn on_screen_text_and_captions_are_found_in_other_words() -> TestResult {
    let library = library()?;
    let searcher = searcher(&library.index);
    let sign = semantic_hits(&searcher, "eating is not allowed here");
    let hit = hit_on(&sign, &library.interview, "NO FOOD OR DRINK ON SET");
    assert_eq!((hit.hit.start, hit.hit.end), (41.0, 44.0));
    assert_eq!(
        hit.hit.semantic.as_ref().map(|unit| unit.kind),
        Some(TextUnitKind::Screen)
    );
    let caption = semantic_hits(&searcher, "spilled drink");
    let hit = hit_on(
        &caption,
        &library.interview,
        "a man pours juice onto a table",
    );
    assert_eq!((hit.hit.start, hit.hit.end), (10.0, 20.0));
    Ok(())
}

#[test]
fn a_query_about_something_absent_finds_nothing_by_meaning() -> TestResult {
    let library = library()?;
    let searcher = searcher(&library.index);
    assert!(semantic_hits(&searcher, "underwater submarine battle").is_empty());
    // The same index answers a query it holds, so the branch is on.
    assert!(!semantic_hits(&searcher, "lighting failure").is_empty());
    Ok(())
}

#[test]
fn filters_and_exclusions_hold_for_semantic_hits() -> TestResult {
    let library = library()?;
    let searcher = searcher(&library.index);
    let day1 = semantic_hits(&searcher, "lighting failure folder:day1");
    assert!(!day1.is_empty());
    assert!(
        day1.iter()
            .all(|hit| hit.hit.asset.id == library.interview.id)
    );
    let not_generator = semantic_hits(&searcher, "lighting failure -generator");
    assert!(
        not_generator
            .iter()
            .all(|hit| hit.hit.asset.id != library.broll.id),
        "an excluded word's moment came back by meaning"
    );
    Ok(())
}

#[test]
fn a_hand_note_is_found_by_meaning_once_embedded() -> TestResult {
    let library = library()?;
    {
        let index = Index::open(&library.index, OpenMode::ReadWrite)?;
        let range = TimeRange::new(30.0, 33.0)?;
        index.set_note(
            &library.interview.id,
            Some(range),
            "continuity problem: the watch changes wrists",
        )?;
        let loaded = SentenceModel::for_writing(&index, &models_dir(), 1);
        let model = loaded.model.expect("the sentence model");
        assert_eq!(index.refresh_hand_units(&library.interview.id, &model)?, 1);
    }
    let hits = semantic_hits(
        &searcher(&library.index),
        "actor wearing the timepiece on the wrong arm",
    );
    let hit = hit_on(
        &hits,
        &library.interview,
        "continuity problem: the watch changes wrists",
    );
    assert_eq!((hit.hit.start, hit.hit.end), (30.0, 33.0));
    assert_eq!(
        hit.hit.semantic.as_ref().map(|unit| unit.kind),
        Some(TextUnitKind::Note)
    );
    // Re-indexing the file keeps its note's unit; a changed note replaces it.
    let index = Index::open(&library.index, OpenMode::ReadWrite)?;
    index_interview_again(&index, &library)?;
    let model = SentenceModel::for_writing(&index, &models_dir(), 1)
        .model
        .expect("the sentence model");
    assert_eq!(index.text_unit_vector_count(model.name())?, 3);
    index.set_note(
        &library.interview.id,
        Some(TimeRange::new(30.0, 33.0)?),
        "the director wants another take",
    )?;
    index.refresh_hand_units(&library.interview.id, &model)?;
    assert_eq!(index.text_unit_vector_count(model.name())?, 3);
    drop(index);
    // The old note is gone from the vector index too: nothing matches it any more.
    let after = semantic_hits(
        &searcher(&library.index),
        "actor wearing the timepiece on the wrong arm",
    );
    assert!(
        after
            .iter()
            .all(|hit| hit.hit.semantic.as_ref().map(|u| u.text.as_str())
                != Some("continuity problem: the watch changes wrists")),
        "the replaced note still matched"
    );
    Ok(())
}

#[test]
fn deleting_an_asset_and_reindexing_keep_the_unit_vectors_in_step() -> TestResult {
    let library = library()?;
    let model = encoder().name().to_owned();
    {
        let index = Index::open(&library.index, OpenMode::ReadWrite)?;
        assert_eq!(index.text_unit_vector_count(&model)?, 6);
        index.remove_asset(&library.broll.id)?;
        assert_eq!(index.text_unit_vector_count(&model)?, 5);
    }
    let hits = semantic_hits(&searcher(&library.index), "lighting failure");
    assert!(hits.iter().all(|hit| hit.hit.asset.id != library.broll.id));

    // Rebuilt from the catalog: the same units, found the same way.
    std::fs::remove_dir_all(library.index.join("vectors"))?;
    let outcome = rushes_store::rebuild::reindex(&library.index, |_| ControlFlow::Continue(()))?;
    let rushes_store::rebuild::RebuildOutcome::Done(summary) = outcome else {
        panic!("reindex was not cancelled");
    };
    assert_eq!(summary.text_unit_vectors, vec![(model.clone(), 5)]);
    let index = Index::open(&library.index, OpenMode::ReadOnly)?;
    assert_eq!(index.text_unit_vector_count(&model)?, 5);
    drop(index);
    let hits = semantic_hits(&searcher(&library.index), "lighting failure");
    let hit = hit_on(&hits, &library.interview, "the whole rig just went dark");
    assert_eq!((hit.hit.start, hit.hit.end), (24.0, 26.5));
    Ok(())
}

/// The slate's unit as ingest writes it: its fields in words, then the raw OCR text.
const SLATE_UNIT: &str =
    "Clapperboard slate: scene 42, take 3, roll A007, camera A. SCENE 42 TAKE 3 ROLL A007";

#[test]
fn a_slate_is_found_by_meaning_as_a_clapperboard() -> TestResult {
    let library = library()?;
    let slated = asset("/shoot/day3/A007_C002.mov", 30.0);
    {
        let index = Index::open(&library.index, OpenMode::ReadWrite)?;
        index.put_asset(&record(
            &mut encoder(),
            slated.clone(),
            vec![line(12.0, 14.0, "okay rolling, action")],
            vec![ScreenText {
                start: 2.0,
                end: 4.5,
                text: "SCENE 42 TAKE 3 ROLL A007".into(),
            }],
            &[],
        ))?;
        index.commit()?;
    }
    let searcher = searcher(&library.index);
    let hits = semantic_hits(&searcher, "clapperboard numbers");
    let hit = hit_on(&hits, &slated, SLATE_UNIT);
    // Plays from where the slate is on screen, not from the shot's start.
    assert_eq!((hit.hit.start, hit.hit.end), (2.0, 4.5));
    let unit = hit.hit.semantic.as_ref().expect("matched unit");
    assert_eq!(unit.kind, TextUnitKind::Screen);
    assert!(unit.similarity >= 0.24, "similarity {}", unit.similarity);
    // The lead does not make the slate an answer to everything.
    assert!(semantic_hits(&searcher, "underwater submarine battle").is_empty());
    Ok(())
}

#[test]
fn a_collection_note_is_found_by_meaning_with_its_window_until_its_entry_goes() -> TestResult {
    let library = library()?;
    let note = "continuity problem: the watch changes wrists";
    let query = "actor wearing the timepiece on the wrong arm";
    let found = |index: &Path| {
        semantic_hits(&searcher(index), query)
            .into_iter()
            .find(|hit| hit.hit.semantic.as_ref().is_some_and(|u| u.text == note))
    };
    let model = encoder().name().to_owned();
    {
        let index = Index::open(&library.index, OpenMode::ReadWrite)?;
        let range = TimeRange::new(30.0, 33.0)?;
        index.add_to_collection("continuity", &library.interview.id, Some(range), note)?;
        let loaded = SentenceModel::for_writing(&index, &models_dir(), 1);
        let sentence_model = loaded.model.expect("the sentence model");
        assert_eq!(
            index.refresh_hand_units(&library.interview.id, &sentence_model)?,
            1
        );
    }
    let hit = found(&library.index).expect("the collection note found by meaning");
    assert_eq!(hit.hit.asset.id, library.interview.id);
    assert_eq!((hit.hit.start, hit.hit.end), (30.0, 33.0));
    assert_eq!(
        hit.hit.semantic.as_ref().map(|unit| unit.kind),
        Some(TextUnitKind::Note)
    );

    // Re-indexing the file keeps the note's unit.
    {
        let index = Index::open(&library.index, OpenMode::ReadWrite)?;
        index_interview_again(&index, &library)?;
    }
    let hit = found(&library.index).expect("the note found after re-indexing");
    assert_eq!((hit.hit.start, hit.hit.end), (30.0, 33.0));

    // Removing the entry removes its note's unit, no model needed.
    {
        let index = Index::open(&library.index, OpenMode::ReadWrite)?;
        let before = index.text_unit_vector_count(&model)?;
        let item = index.collection("continuity")?.items[0].id;
        index.remove_from_collection("continuity", item)?;
        assert_eq!(index.text_unit_vector_count(&model)?, before - 1);
    }
    assert!(
        found(&library.index).is_none(),
        "a removed entry's note still matched"
    );

    // So does deleting its collection.
    {
        let index = Index::open(&library.index, OpenMode::ReadWrite)?;
        index.add_to_collection("continuity", &library.interview.id, None, note)?;
        let sentence_model = SentenceModel::for_writing(&index, &models_dir(), 1)
            .model
            .expect("the sentence model");
        index.refresh_hand_units(&library.interview.id, &sentence_model)?;
    }
    assert!(
        found(&library.index).is_some(),
        "the whole-file entry's note"
    );
    {
        let index = Index::open(&library.index, OpenMode::ReadWrite)?;
        let before = index.text_unit_vector_count(&model)?;
        index.delete_collection("continuity")?;
        assert_eq!(index.text_unit_vector_count(&model)?, before - 1);
    }
    assert!(
        found(&library.index).is_none(),
        "a deleted collection's note still matched"
    );
    Ok(())
}
