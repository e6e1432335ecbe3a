//! What can go wrong loading or running the face models.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum FacesError {
    /// A model file is not installed (the user's environment, fixed by `make setup`).
    #[error("face model {file} is missing in {dir}; run `make setup` (scripts/setup.sh) to install it", file = .path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), dir = .path.parent().map(|p| p.display().to_string()).unwrap_or_default())]
    ModelMissing { path: PathBuf },
    /// dlib could not read an installed model file (corrupt or truncated download).
    #[error("cannot load face model {path}: {reason}")]
    ModelLoad { path: PathBuf, reason: String },
    /// The embedding network returned something other than one 128-d vector per face.
    #[error("face embedding failed: {0}")]
    Embedding(String),
}
