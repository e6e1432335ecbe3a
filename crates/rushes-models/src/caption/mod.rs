//! Image captions from a Florence-2 ONNX export (onnx-community/Florence-2-base-ft: a vision
//! encoder, a token embedding graph, a text encoder and a merged decoder with past
//! key/values): the manifest's `[caption]` section and the `Captioner` that turns pictures
//! into one sentence each. Which frames get captioned is the pipeline's business.

mod florence2;

pub use florence2::{CAPTION_MODEL, Captioner};

pub use crate::manifest::CaptionSpec;
