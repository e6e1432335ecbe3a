//! The settings of an index run: [`IngestConfig`] with the stages switched off
//! ([`Switches`]) and the settings of the stages that take any (speech, captions). It sits
//! below the pipeline and the stages: every stage is loaded from it, and it names no stage.

use std::path::PathBuf;
use std::time::Duration;

use rushes_media::SamplingConfig;

use crate::models::ModelSetConfig;

/// Frames the decoder hands the stages at once. OCR (the critical path) starts on the first
/// batch and finishes on the last, so small batches overlap it with decoding at both ends:
/// with 16, the quick bench reel's 62 OCR frames came in 4 batches, OCR waited for the first
/// 12 s of video to be decoded and had up to 48 frames left when decoding ended.
pub(crate) const FRAMES_PER_BATCH: usize = 4;

/// Seconds between the frames OCR's text gate sees at least (`SamplingConfig::text_interval`):
/// text on screen for this long is seen once or more, and its hit starts at most this late
/// (crates/rushes-ingest/README.md has the measurements behind the choice).
pub const TEXT_GATE_INTERVAL: f64 = 1.0;

/// Settings of an index run.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub roots: Vec<PathBuf>,
    pub sampling: SamplingConfig,
    /// Where the models are, their threads and the embedding model (its `visual` and `ocr`
    /// are the searcher's: a run turns stages off with `stages`).
    pub models: ModelSetConfig,
    /// Stages turned off (`rushes index --no-ocr`, ...).
    pub stages: Switches,
    /// Longest moment in seconds; longer shots are split.
    pub moment_max_len: f64,
    /// Audio files without shots are cut into moments this long.
    pub audio_moment_len: f64,
    pub thumb_width: u32,
    pub thumb_max_bytes: usize,
    /// Commit after this many changed files (and at least every `commit_interval`).
    pub commit_every: usize,
    pub commit_interval: Duration,
    /// Remove assets below the roots whose files are gone.
    pub prune: bool,
    /// The speech stage's model and language.
    pub speech: SpeechConfig,
    /// The caption stage's model.
    pub captions: CaptionConfig,
    /// The faces stage looks on the first frame of every shot and on every `face_every`th
    /// sampled frame inside it.
    pub face_every: usize,
}

impl IngestConfig {
    pub fn new(roots: Vec<PathBuf>) -> IngestConfig {
        IngestConfig {
            roots,
            sampling: SamplingConfig {
                text_interval: TEXT_GATE_INTERVAL,
                batch_size: FRAMES_PER_BATCH,
                ..SamplingConfig::default()
            },
            models: ModelSetConfig::default(),
            stages: Switches::default(),
            moment_max_len: 10.0,
            audio_moment_len: 30.0,
            thumb_width: 320,
            thumb_max_bytes: 20_000,
            commit_every: 16,
            commit_interval: Duration::from_secs(10),
            prune: true,
            speech: SpeechConfig::default(),
            captions: CaptionConfig::default(),
            face_every: 4,
        }
    }
}

/// The stages switched off for a run, by their `StageKind::name`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Switches {
    off: Vec<String>,
}

impl Switches {
    pub fn switch_off(&mut self, name: &str) {
        if !self.is_off(name) {
            self.off.push(name.to_owned());
        }
    }

    pub fn is_off(&self, name: &str) -> bool {
        self.off.iter().any(|off| off == name)
    }
}

/// Speech settings of a run (`--no-speech` turns the stage off).
#[derive(Debug, Clone, Default)]
pub struct SpeechConfig {
    /// Speech model to use; `None` picks the first installed one.
    pub model: Option<String>,
    /// Language code (`en`, `de`, ...); `None` detects it per file.
    pub language: Option<String>,
}

/// Caption settings of a run (`--no-captions` turns the stage off).
#[derive(Debug, Clone, Default)]
pub struct CaptionConfig {
    /// Caption model to use (`rushes index --caption-model`), as `check_caption_model`
    /// found it installed; `None` picks the installed one (`florence2-base` first).
    pub model: Option<InstalledCaptionModel>,
}

/// A caption model name that `check_caption_model` found installed: the only way to pick
/// one for a run, so the pipeline need not check it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledCaptionModel(pub(crate) String);

impl InstalledCaptionModel {
    pub fn name(&self) -> &str {
        &self.0
    }
}
