//! Integration tests of rushes-models, one binary: runtime discovery, the model store
//! (fetch from a local HTTP server), CLIP-style encoders and the zero-shot tagger on the
//! colour fixture model, and OCR with the real PP-OCR models on real footage.

mod caption;
mod clip;
mod common;
mod ocr;
mod processors;
mod reference;
mod runtime;
mod sentence;
mod store;
mod tagger;
mod vad;
mod whisper;
