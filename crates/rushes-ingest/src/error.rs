//! Errors that stop an index run (per-file problems are events, not errors).

use std::path::PathBuf;

use rushes_media::MediaError;
use rushes_models::ModelError;
use rushes_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("no such file or folder: {}", .0.display())]
    MissingRoot(PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the run was cancelled")]
    Cancelled,
    /// `--caption-model` named a model that is not an installed caption model.
    #[error("{0}")]
    CaptionModelNotInstalled(String),
}

impl IngestError {
    /// True when the user can fix it (a wrong path, a missing caption model), false when something broke.
    pub fn is_user_error(&self) -> bool {
        match self {
            IngestError::MissingRoot(_)
            | IngestError::Cancelled
            | IngestError::CaptionModelNotInstalled(_) => true,
            IngestError::Io { .. } => false,
            IngestError::Store(error) => error.is_user_error(),
            IngestError::Model(error) => error.is_user_error(),
            IngestError::Media(error) => error.is_user_error(),
        }
    }
}
