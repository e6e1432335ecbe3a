//! rushes-models: ONNX Runtime through `ort` (load-dynamic). Finding the runtime library,
//! model manifests and the models folder (list, fetch, verify), CLIP-style image and text
//! encoders, the zero-shot tagger, PP-OCR detection and recognition, Silero VAD,
//! Whisper speech recognition, Florence-2 image captions and sentence embeddings.

pub mod caption;
pub mod clip;
pub mod defaults;
mod error;
mod kv_cache;
pub mod manifest;
mod model_files;
pub mod ocr;
pub mod runtime;
pub mod sentence;
mod session;
pub mod store;
pub mod tagger;
pub mod vad;
pub mod whisper;

pub use caption::Captioner;
pub use clip::{
    ClipImageEncoder, ClipModel, ClipTextEncoder, ClipTokenizer, ImageEmbedder, TextEmbedder,
};
pub use error::ModelError;
pub use manifest::Manifest;
pub use ocr::{OcrEngine, OcrLine};
pub use sentence::SentenceEncoder;
pub use store::{FileStatus, ModelState, ModelStatus, ModelStore, default_models_dir};
pub use tagger::{Vocabulary, ZeroShotTagger};
pub use vad::{SileroVad, SpeechSegment, VadParams};
