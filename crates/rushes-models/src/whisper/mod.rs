//! Whisper speech recognition from its ONNX export (an encoder graph and a merged decoder
//! graph with past key/values, as published by onnx-community / Xenova): the manifest's
//! `[whisper]` section, log-mel features, greedy decoding with a KV cache, and timestamp
//! tokens turned into transcript lines.

use serde::{Deserialize, Serialize};

/// The `[whisper]` section of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhisperSpec {
    /// A `files` entry: `encoder_model.onnx`, input_features [b, mel_bins, 3000] ->
    /// last_hidden_state [b, 1500, d].
    pub encoder: String,
    /// A `files` entry: `decoder_model_merged.onnx` (input_ids, encoder_hidden_states,
    /// past_key_values.*, use_cache_branch -> logits, present.*).
    pub decoder: String,
    /// A `files` entry: the model's `tokenizer.json`.
    pub tokenizer: String,
    /// Mel bins of the input features (80; 128 for large-v3).
    #[serde(default = "default_mel_bins")]
    pub mel_bins: usize,
    /// Longest decode per 30 s window, in tokens.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    /// English-only checkpoints (`*.en`) take no language or task token.
    #[serde(default)]
    pub english_only: bool,
}

fn default_mel_bins() -> usize {
    80
}

fn default_max_tokens() -> usize {
    224
}

mod decode;
mod mel;
mod tokens;

pub use decode::{Transcription, WhisperModel};
pub use mel::{MelExtractor, SAMPLE_RATE, WINDOW_SAMPLES};
pub use tokens::{SpecialTokens, TimedText, lines_from_tokens};

/// Name of the default speech model's manifest.
pub const WHISPER_MODEL: &str = "whisper-tiny";
