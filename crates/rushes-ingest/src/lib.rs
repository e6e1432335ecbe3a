//! The indexing pipeline.
//!
//! [`run`] walks the roots, skips unchanged files, probes, samples and cuts, hands the frames
//! and audio to the registered [`stages`] (each one [`stage::StageKind`]), builds moments and
//! hands them to the store, reporting [`Event`]s as it goes and isolating every per-file
//! failure. Queries are `rushes-search`'s.

mod config;
mod error;
mod events;
mod fan_out;
mod file;
mod file_indexer;
mod housekeeping;
mod models;
mod moments;
mod pipeline;
mod progress;
mod screen_text;
pub mod stage;
pub mod stage_times;
pub mod stages;
mod walk;

pub use config::{CaptionConfig, IngestConfig, InstalledCaptionModel, SpeechConfig};
pub use error::IngestError;
pub use events::{Event, Summary};
pub use file_indexer::{FileIndexer, FileResult};
pub use models::{ModelSet, ModelSetConfig};
pub use pipeline::run;
pub use stages::captions::{check_caption_model, installed_caption_models};
pub use stages::speech::{SPEECH_SOURCE, SpeechTranscriber};
pub use walk::{Candidate, walk_roots};
