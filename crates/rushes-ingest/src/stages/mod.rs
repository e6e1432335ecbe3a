//! The stages of an index run, one module each, and the one list that registers them
//! ([`REGISTERED`]). Adding a stage is a module here implementing [`StageKind`] and
//! [`Stage`](crate::stage::Stage), plus its line in the list: its `--no-…` switch, notices,
//! counts and doctor line follow from the trait.
//!
//! The list's order is the order in which the model worker hands each batch of frames to
//! its stages (on-screen text first: it sees every frame, the others the samples only), the
//! order of the counts in the run's summary (`… 2 captions, 0 speech lines, 4 faces)`) and
//! of the doctor lines.

pub mod captions;
pub mod faces;
pub mod ocr;
pub mod semantic;
pub mod speech;
pub mod thumbnails;
pub mod visual;

use crate::stage::StageKind;

/// Every stage a run can use, in the order they see frames.
pub static REGISTERED: &[&dyn StageKind] = &[
    &ocr::ScreenTextStage,
    &captions::CaptionsStage,
    &visual::VisualStage,
    &thumbnails::ThumbnailsStage,
    &speech::SpeechStage,
    &faces::FacesStage,
    // After captions: its units include the captions `finish_moments` gave the moments.
    &semantic::SemanticStage,
];
