//! The export error type: what the caller asked wrongly versus what broke while writing.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    // ---- the caller's fault (see `is_user_error`) ----
    #[error("nothing to export")]
    Empty,
    #[error("cannot export {name}: {reason}")]
    InvalidItem { name: String, reason: String },
    #[error("export cancelled after {done} of {total} clips")]
    Cancelled { done: usize, total: usize },
    // ---- what broke inside ----
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is unreadable: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error(transparent)]
    Store(#[from] rushes_store::StoreError),
    #[error("while exporting {name}: {source}")]
    Media {
        name: String,
        source: rushes_media::MediaError,
    },
}

impl ExportError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> ExportError {
        ExportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// True when the request was at fault (empty list, bad range, cancelled), not the machine.
    pub fn is_user_error(&self) -> bool {
        match self {
            ExportError::Empty
            | ExportError::InvalidItem { .. }
            | ExportError::Cancelled { .. } => true,
            ExportError::Io { .. } | ExportError::Corrupt { .. } => false,
            ExportError::Media { source, .. } => source.is_user_error(),
            ExportError::Store(source) => source.is_user_error(),
        }
    }
}
