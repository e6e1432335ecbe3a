//! What the indexer hands to the store for one asset: its moments, their frames and the
//! text found in them. The store owns ids and persistence; these are plain values.

use serde::{Deserialize, Serialize};

use crate::Asset;

/// One timed line of speech or subtitle text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptLine {
    /// Seconds from the start of the file.
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// Where the line came from: `srt`, `vtt`, `subtitle-stream`, `speech`.
    #[serde(default)]
    pub source: String,
}

/// One run of on-screen text (a slate, a lower third, a sign) with the interval it is on
/// screen: from the first sampled frame it was read on to the last, so a hit on it plays
/// from where the text appears, not from the start of its shot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenText {
    /// Seconds from the start of the file.
    pub start: f64,
    pub end: f64,
    /// The text as read, one line per text box, top to bottom.
    pub text: String,
}

/// One sampled frame of a moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRecord {
    /// Seconds from the start of the file.
    pub time: f64,
    /// Path of the frame's JPEG relative to the index's `thumbs/` folder.
    pub thumbnail: Option<String>,
    /// L2-normalised image embedding, when a visual model ran.
    pub embedding: Option<Vec<f32>>,
}

/// A time range of one asset: usually a shot, or part of a long one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MomentRecord {
    pub start: f64,
    pub end: f64,
    /// Time of the representative frame.
    pub keyframe: f64,
    /// Path of the keyframe JPEG relative to `thumbs/`.
    pub thumbnail: Option<String>,
    /// Zero-shot or hand tags with their score (hand tags score 1.0).
    pub tags: Vec<(String, f32)>,
    /// On-screen text read by OCR on this moment's frames.
    pub ocr_text: String,
    /// Transcript lines overlapping the moment.
    pub transcript: Vec<TranscriptLine>,
    pub caption: Option<String>,
    pub frames: Vec<FrameRecord>,
}

/// Everything the indexer learnt about one asset in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetRecord {
    pub asset: Asset,
    pub moments: Vec<MomentRecord>,
    /// The full transcript of the asset, each line once.
    pub transcript: Vec<TranscriptLine>,
    /// On-screen text with the interval each is on screen, in time order.
    #[serde(default)]
    pub screen_text: Vec<ScreenText>,
    /// Slates read in the screen text, each with the stretch of the file it applies to.
    #[serde(default)]
    pub slates: Vec<crate::SlateSpan>,
    /// Name of the embedding model the frame vectors come from, if any.
    pub embedding_model: Option<String>,
    /// Non-fatal problems met while indexing (a malformed sidecar, a model that failed).
    pub warnings: Vec<String>,
}

impl AssetRecord {
    /// `asset` with these moments and nothing else (no transcript, screen text, slates,
    /// vectors or warnings).
    pub fn with_moments(asset: Asset, moments: Vec<MomentRecord>) -> AssetRecord {
        AssetRecord {
            asset,
            moments,
            transcript: Vec::new(),
            screen_text: Vec::new(),
            slates: Vec::new(),
            embedding_model: None,
            warnings: Vec::new(),
        }
    }
}
