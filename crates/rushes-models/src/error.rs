//! The one error type of this crate. User errors (something the person can fix: a missing
//! or corrupt model file, a wrong runtime, a bad manifest, being offline) are split from
//! internal ones (ONNX Runtime failing on a graph we accepted, I/O while writing).

use std::path::PathBuf;

/// Everything that can go wrong while finding, fetching, loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// No ONNX Runtime library was found anywhere we look.
    #[error(
        "ONNX Runtime library not found (looked at ORT_DYLIB_PATH, beside the executable and for runtime/onnxruntime/libonnxruntime.so* above the executable and the current directory); run `make setup` or set ORT_DYLIB_PATH to libonnxruntime.so"
    )]
    RuntimeMissing,
    /// The runtime library exists but cannot be loaded or is the wrong version.
    #[error(
        "cannot use ONNX Runtime at {path}: {reason}; install ONNX Runtime {expected} with `make setup` or point ORT_DYLIB_PATH at a libonnxruntime.so.{expected}"
    )]
    RuntimeUnusable {
        path: PathBuf,
        reason: String,
        expected: &'static str,
    },
    /// No manifest `models/<name>.toml` exists.
    #[error("no model named {name:?}: {path} does not exist (known models: {known})")]
    UnknownModel {
        name: String,
        path: PathBuf,
        known: String,
    },
    /// A manifest file cannot be read or parsed, or says something impossible.
    #[error("bad model manifest {path}: {reason}")]
    BadManifest { path: PathBuf, reason: String },
    /// A model file is not on disk.
    #[error("model file {path} is missing; run `rushes models fetch {model}`{hint}")]
    MissingFile {
        model: String,
        path: PathBuf,
        hint: String,
    },
    /// A model file is on disk but is not the file the manifest describes.
    #[error(
        "model file {path} is corrupt ({reason}); delete it and run `rushes models fetch {model}`{hint}"
    )]
    CorruptFile {
        model: String,
        path: PathBuf,
        reason: String,
        hint: String,
    },
    /// A model graph does not have the inputs/outputs/shapes the manifest promises.
    #[error(
        "model file {path} does not fit its manifest: {reason}; fix models/{model}.toml or fetch the right file"
    )]
    IncompatibleModel {
        model: String,
        path: PathBuf,
        reason: String,
    },
    /// A download could not reach its server.
    #[error(
        "cannot download {url} (offline?): {reason}; fetch it when online, or copy the file by hand to {dest}"
    )]
    Offline {
        url: String,
        dest: PathBuf,
        reason: String,
    },
    /// The server answered, but not with the file.
    #[error("download of {url} failed: {reason}")]
    Download { url: String, reason: String },
    /// A vocabulary file for the zero-shot tagger is unusable.
    #[error("bad tag vocabulary {path}: {reason}")]
    BadVocabulary { path: PathBuf, reason: String },
    /// The caller passed something unusable (an empty image, mismatched embedding sizes).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// ONNX Runtime failed while running a model we had accepted.
    #[error("ONNX Runtime failed in {context}: {source}")]
    Inference {
        context: String,
        #[source]
        source: ort::Error,
    },
    /// The tokenizer failed on text.
    #[error("tokenizer {path} failed: {reason}")]
    Tokenizer { path: PathBuf, reason: String },
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ModelError {
    /// True when the person running rushes can fix this (install, fetch, edit a file, pass
    /// other input); false when something broke inside.
    pub fn is_user_error(&self) -> bool {
        match self {
            ModelError::RuntimeMissing
            | ModelError::RuntimeUnusable { .. }
            | ModelError::UnknownModel { .. }
            | ModelError::BadManifest { .. }
            | ModelError::MissingFile { .. }
            | ModelError::CorruptFile { .. }
            | ModelError::IncompatibleModel { .. }
            | ModelError::Offline { .. }
            | ModelError::Download { .. }
            | ModelError::BadVocabulary { .. }
            | ModelError::InvalidInput(_) => true,
            ModelError::Inference { .. } | ModelError::Tokenizer { .. } | ModelError::Io { .. } => {
                false
            }
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn inference<R>(context: impl Into<String>, source: ort::Error<R>) -> Self {
        ModelError::Inference {
            context: context.into(),
            source: ort::Error::new(source.message().to_string()),
        }
    }
}
