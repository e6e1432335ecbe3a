//! The semantic stage in a whole index run with the real all-MiniLM-L6-v2: a clip's sidecar
//! transcript lines become text units with their windows and sentence vectors, counted in
//! the run's summary; `--no-semantic` (the stage switched off) writes none; `rushes doctor`'s
//! line says which model embeds, or why semantic search is off.

use std::path::{Path, PathBuf};

use rushes_core::TextUnitKind;
use rushes_ingest::stage::StageKind;
use rushes_ingest::stages::semantic::SemanticStage;
use rushes_ingest::{IngestConfig, run};
use rushes_store::{Index, OpenMode};

use crate::test_card_clip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// Four seconds of ffmpeg's test card with a sidecar transcript of two lines.
fn clip_with_transcript(dir: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let path = test_card_clip(dir, "gaffer.mp4", 4)?;
    std::fs::write(
        dir.join("gaffer.srt"),
        "1\n00:00:00,500 --> 00:00:01,500\nrolling\n\n\
         2\n00:00:02,000 --> 00:00:03,250\nthe whole rig just went dark\n",
    )?;
    Ok(path)
}

/// Only the semantic stage (and the sidecar transcript it reads) on.
fn semantic_only(root: PathBuf) -> IngestConfig {
    let mut config = IngestConfig::new(vec![root]);
    config.models.models_dir = models_dir();
    config.models.threads = 1;
    for stage in ["visual", "ocr", "speech", "captions", "faces"] {
        config.stages.switch_off(stage);
    }
    config
}

#[test]
fn transcript_lines_become_embedded_text_units_with_their_windows() -> TestResult {
    let footage = tempfile::tempdir()?;
    let index_dir = tempfile::tempdir()?;
    let clip = clip_with_transcript(footage.path())?;
    let index = Index::open(index_dir.path(), OpenMode::ReadWrite)?;
    let summary = run(
        &index,
        &semantic_only(footage.path().to_path_buf()),
        &mut |_| {},
    )?;
    assert_eq!(summary.indexed, 1, "{summary:?}");
    assert_eq!(summary.counts.get("text_units"), 2, "{summary:?}");
    assert!(
        summary
            .notices
            .iter()
            .any(|n| n.contains("semantic search on")),
        "{:?}",
        summary.notices
    );
    let asset = index.asset_by_path(&clip)?.ok_or("clip not indexed")?;
    let units: Vec<(TextUnitKind, f64, f64, String)> = index
        .text_units(&asset.id)?
        .into_iter()
        .map(|unit| (unit.kind, unit.start, unit.end, unit.text))
        .collect();
    assert_eq!(
        units,
        vec![
            (TextUnitKind::Transcript, 0.5, 1.5, "rolling".to_string()),
            (
                TextUnitKind::Transcript,
                2.0,
                3.25,
                "the whole rig just went dark".to_string()
            ),
        ]
    );
    let models = index.text_unit_models()?;
    assert_eq!(models, vec![("all-minilm-l6-v2".to_string(), 384)]);
    assert_eq!(index.text_unit_vector_count("all-minilm-l6-v2")?, 2);
    Ok(())
}

#[test]
fn switched_off_the_stage_writes_no_units() -> TestResult {
    let footage = tempfile::tempdir()?;
    let index_dir = tempfile::tempdir()?;
    let clip = clip_with_transcript(footage.path())?;
    let index = Index::open(index_dir.path(), OpenMode::ReadWrite)?;
    let mut config = semantic_only(footage.path().to_path_buf());
    config.stages.switch_off("semantic");
    let summary = run(&index, &config, &mut |_| {})?;
    assert_eq!(summary.indexed, 1, "{summary:?}");
    assert_eq!(summary.counts.get("text_units"), 0);
    let asset = index.asset_by_path(&clip)?.ok_or("clip not indexed")?;
    assert!(index.text_units(&asset.id)?.is_empty());
    assert!(index.text_unit_models()?.is_empty());
    Ok(())
}

#[test]
fn doctor_names_the_sentence_model_or_says_why_semantic_search_is_off() -> TestResult {
    let installed = SemanticStage
        .doctor(&models_dir())
        .ok_or("no doctor line")?;
    assert_eq!(installed.json["ok"], true, "{}", installed.text);
    assert!(
        installed.text.contains("all-minilm-l6-v2"),
        "{}",
        installed.text
    );

    let empty = tempfile::tempdir()?;
    let missing = SemanticStage.doctor(empty.path()).ok_or("no doctor line")?;
    assert_eq!(missing.json["ok"], false);
    assert!(
        missing.text.contains("semantic search is off") && missing.text.contains("make setup"),
        "{}",
        missing.text
    );
    let mut config = semantic_only(empty.path().to_path_buf());
    config.models.models_dir = empty.path().to_path_buf();
    let loaded = SemanticStage.load(&config)?;
    assert!(loaded.stage.is_none());
    assert!(
        loaded
            .notices
            .iter()
            .any(|n| n.contains("semantic search is off")),
        "{:?}",
        loaded.notices
    );
    Ok(())
}
