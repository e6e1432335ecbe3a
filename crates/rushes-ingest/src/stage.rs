//! The seam for an indexing stage: one model or job that looks at a file's sampled frames or
//! audio and adds to the asset being built (visual embeddings, on-screen text, captions,
//! speech, faces, thumbnails). A stage is registered once in the `stages` module's `REGISTERED` list
//! and the run, the command line and `rushes doctor` take everything else from it: its
//! `--no-<name>` switch, the notice saying why it is off, its counts in the run's summary and
//! progress, and its doctor line.
//!
//! [`StageKind`] is the registered description and loader; [`Stage`] is a loaded stage for one
//! run, which sees each file in turn: [`Stage::start_file`], then frames in time order
//! ([`Stage::take_frames`], on a worker thread), then [`Stage::contribute`] to the
//! [`AssetDraft`] before moments are built, then [`Stage::finish_moments`] with the moments
//! in the draft.

use std::path::Path;
use std::sync::Arc;

use rushes_core::{AssetKind, MediaInfo, MomentRecord, ScreenText, TextUnit, TranscriptLine};
use rushes_media::SampledFrame;
use rushes_store::people::NewFace;
use rushes_store::thumbnails::ThumbnailStore;

pub use crate::config::Switches;

use crate::IngestError;
use crate::config::IngestConfig;
use crate::moments::FrameFacts;
use crate::stage_times::StageTimes;

/// A kind of stage: what it is called, how it is switched off, what it counts, how it loads
/// and what `rushes doctor` says of it.
pub trait StageKind: Sync {
    /// Its name: the key of its doctor line, and how [`Switches`] name it.
    fn name(&self) -> &'static str;
    /// The `rushes index` flag that turns it off; `None` when it cannot be turned off.
    fn switch(&self) -> Option<Switch>;
    /// What it counts in a run's summary (and progress), if anything.
    fn count(&self) -> Option<StageCount> {
        None
    }
    /// Loads the stage for a run. A missing model is not an error: the stage is off with a
    /// notice saying why. An installed but broken model is an error, since indexing silently
    /// without it would lose data.
    fn load(&self, config: &IngestConfig) -> Result<Loaded, IngestError>;
    /// Its line in `rushes doctor`, if it has one.
    fn doctor(&self, _models_dir: &Path) -> Option<DoctorLine> {
        None
    }
}

/// A stage as loaded for a run: on or off, and the notices for the user (why it is off, or
/// which model it uses).
pub struct Loaded {
    pub stage: Option<Box<dyn Stage>>,
    pub notices: Vec<String>,
}

impl Loaded {
    pub fn on(stage: impl Stage + 'static) -> Loaded {
        Loaded {
            stage: Some(Box::new(stage)),
            notices: Vec::new(),
        }
    }

    pub fn off(notice: impl Into<String>) -> Loaded {
        Loaded {
            stage: None,
            notices: vec![notice.into()],
        }
    }

    /// Off without a word (nothing installed that needs saying).
    pub fn silent_off() -> Loaded {
        Loaded {
            stage: None,
            notices: Vec::new(),
        }
    }

    pub fn with_notice(mut self, notice: impl Into<String>) -> Loaded {
        self.notices.push(notice.into());
        self
    }
}

/// The flag that turns a stage off (`rushes index --no-ocr`) and its help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch {
    /// Without the leading dashes: `no-ocr`.
    pub flag: &'static str,
    pub help: &'static str,
}

/// A count a stage reports: its key in `rushes index --json` (and in `progress.json` when
/// `in_progress`), and its words in the one-line summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageCount {
    pub key: &'static str,
    pub label: &'static str,
    pub in_progress: bool,
}

/// A stage's line in `rushes doctor`: its JSON under the stage's name, and the text line.
/// Stages are optional, so a stage never makes doctor unhealthy.
#[derive(Debug, Clone)]
pub struct DoctorLine {
    pub json: serde_json::Value,
    pub text: String,
}

/// Which frames a stage takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameDiet {
    /// None: the stage works on the whole file or on what the others built.
    None,
    /// Sampled frames (a shot's first, then one every interval).
    Samples,
    /// Every decoded frame, the text gate's frames between samples too.
    Every,
}

/// The file a stage is about to see.
pub struct FileStart<'a> {
    pub path: &'a Path,
    pub kind: AssetKind,
    pub media: &'a MediaInfo,
    pub asset_id: &'a str,
    /// The index's thumbnail store, where stages put the file's thumbnails as they make them.
    pub thumbnails: &'a Arc<dyn ThumbnailStore>,
    /// Seconds between the frames OCR's text gate sees at most (0 for stills and audio).
    pub text_step: f64,
}

/// The asset being built from one file, which stages add to.
#[derive(Debug, Default)]
pub struct AssetDraft {
    /// Sidecar or subtitle transcript lines when the file has them; the speech stage fills
    /// an empty one.
    pub transcript: Vec<TranscriptLine>,
    /// One per sampled frame, in time order: the thumbnail and visual stages fill them in.
    pub frames: Vec<FrameFacts>,
    pub screen_text: Vec<ScreenText>,
    /// The moments, once built from the above (empty before [`Stage::finish_moments`]).
    pub moments: Vec<MomentRecord>,
    /// The embedding model of the frame vectors, when any frame got one.
    pub embedding_model: Option<String>,
    /// Transcript lines, on-screen text and captions as text units (the semantic stage).
    pub text_units: Vec<TextUnit>,
    /// The sentence model of the text units' embeddings, when they have them.
    pub text_model: Option<String>,
    /// The file's faces; `None` when faces were not looked for (the earlier ones stay).
    pub faces: Option<Vec<NewFace>>,
    pub warnings: Vec<String>,
}

/// A loaded stage for one run.
pub trait Stage: Send {
    /// Which frames it takes.
    fn frames(&self) -> FrameDiet {
        FrameDiet::None
    }
    /// True when it takes frames on a thread of its own rather than on the model worker
    /// (faces: dlib is single-threaded, and on the model worker it was the critical path).
    fn own_thread(&self) -> bool {
        false
    }
    /// A new file: forget the last one. Whole-file work (speech decodes the audio) is done
    /// here, with the draft holding the transcript read from sidecars.
    fn start_file(&mut self, file: &FileStart<'_>, draft: &mut AssetDraft);
    /// A batch of the frames it takes, in time order (video) or the one frame of a still.
    fn take_frames(&mut self, _batch: &[SampledFrame], _times: &mut StageTimes) {}
    /// Adds what it found to the draft (and its warnings) before moments are built.
    fn contribute(&mut self, _draft: &mut AssetDraft) {}
    /// Adds to the built moments (captions), or reads them with the rest of the draft (a
    /// stage after captions sees them).
    fn finish_moments(&mut self, _draft: &mut AssetDraft) {}
    /// What it counted in this file, for its [`StageCount`].
    fn file_count(&self) -> usize {
        0
    }
}

/// The counts of the registered stages, in registration order; serialised as their keys
/// (`"faces": 3, "captions": 2, ...`) inside the run's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageCounts(Vec<(StageCount, usize)>);

impl StageCounts {
    /// The count of each of `kinds` that counts something, at zero (a run passes the
    /// registered stages).
    pub fn zero_for(kinds: &[&dyn StageKind]) -> StageCounts {
        StageCounts(
            kinds
                .iter()
                .filter_map(|kind| kind.count())
                .map(|count| (count, 0))
                .collect(),
        )
    }

    pub fn add(&mut self, key: &str, amount: usize) {
        if let Some((_, total)) = self.0.iter_mut().find(|(count, _)| count.key == key) {
            *total += amount;
        }
    }

    /// The count under `key` (0 when no stage counts it).
    pub fn get(&self, key: &str) -> usize {
        self.0
            .iter()
            .find(|(count, _)| count.key == key)
            .map_or(0, |(_, total)| *total)
    }

    /// Each count with its description, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = (StageCount, usize)> + '_ {
        self.0.iter().copied()
    }
}

impl serde::Serialize for StageCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (count, total) in &self.0 {
            map.serialize_entry(count.key, total)?;
        }
        map.end()
    }
}

/// A stage loaded for this run, with the kind it was registered as.
pub(crate) struct RunStage {
    pub kind: &'static dyn StageKind,
    pub stage: Box<dyn Stage>,
}
