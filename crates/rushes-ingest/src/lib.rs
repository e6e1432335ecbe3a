//! The indexing pipeline.
//!
//! [`run`] walks the roots, skips unchanged files, probes, samples and cuts, runs the models,
//! builds moments and hands them to the store, reporting [`Event`]s as it goes and isolating
//! every per-file failure. Queries are `rushes-search`'s.

mod captions;
mod error;
mod faces;
mod models;
mod moments;
mod pipeline;
mod progress;
mod screen_text;
mod speech;
mod stage_times;
mod walk;

pub use captions::{
    CaptionConfig, InstalledCaptionModel, check_caption_model, installed_caption_models,
};
pub use error::IngestError;
pub use models::{ModelSet, ModelSetConfig};
pub use pipeline::{Event, IngestConfig, Summary, run};
pub use speech::{SPEECH_SOURCE, SpeechConfig, SpeechTranscriber};
pub use walk::{Candidate, walk_roots};
