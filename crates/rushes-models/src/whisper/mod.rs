//! Whisper speech recognition from its ONNX export (an encoder graph and a merged decoder
//! graph with past key/values, as published by onnx-community / Xenova): the manifest's
//! `[whisper]` section, log-mel features, greedy decoding with a KV cache, and timestamp
//! tokens turned into transcript lines.

pub use crate::manifest::WhisperSpec;

mod decode;
mod mel;
mod tokens;

pub use decode::{Transcription, WHISPER_MODEL, WhisperModel};
pub use mel::{MelExtractor, SAMPLE_RATE, WINDOW_SAMPLES};
pub use tokens::{SpecialTokens, TimedText, lines_from_tokens};
