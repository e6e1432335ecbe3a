//! The one error type of rushes-media: every way a media file or the environment can fail,
//! each with a one-line reason a user understands, split into the user's fault (a bad file)
//! and ours (a broken environment or an internal failure).

use std::path::PathBuf;

use rushes_core::TranscriptLine;

/// Why a media operation failed. `Display` is one line, fit for a CLI message or a
/// per-file failure reason.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    // ---- the file's fault (see `is_user_error`) ----
    /// The file does not exist (any more): moved or deleted, possibly mid-run.
    #[error("file not found (moved or deleted?): {0}")]
    NotFound(PathBuf),
    #[error("empty file (0 bytes)")]
    EmptyFile,
    /// The content is not media at all (text, an AppleDouble file, random bytes).
    #[error("not a media file: {0}")]
    NotMedia(String),
    /// Media, but damaged: truncated, missing index, undecodable.
    #[error("truncated or corrupt: {0}")]
    Corrupt(String),
    /// A format or codec this build of ffmpeg or the image crate cannot decode.
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("no video stream")]
    NoVideoStream,
    /// Metadata that cannot be true (duration NaN or years long, thousands of streams).
    #[error("implausible metadata: {0}")]
    ImplausibleMetadata(String),
    /// A subtitle sidecar with blocks that do not parse; `recovered` holds the valid lines,
    /// so the caller can keep them and record this as a warning.
    #[error("malformed subtitles in {path}: {reason}")]
    MalformedSubtitles {
        path: PathBuf,
        reason: String,
        recovered: Vec<TranscriptLine>,
    },
    /// ffmpeg or ffprobe rejected the file for a reason not classified above.
    #[error("ffmpeg cannot read it: {0}")]
    Unreadable(String),
    /// ffmpeg or ffprobe made no progress for too long on this file.
    #[error("{tool} gave up after {seconds} s without progress (file may be damaged)")]
    Timeout { tool: &'static str, seconds: u64 },
    /// The caller asked for something impossible (a range outside the file, zero width).
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    // ---- our fault or the environment's ----
    #[error("{tool} not found: install ffmpeg")]
    ToolMissing { tool: &'static str },
    #[error("{tool} failed: {reason}")]
    ToolFailed { tool: &'static str, reason: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not encode image: {0}")]
    Encode(String),
    /// The frame callback asked to stop; its reason is kept.
    #[error("stopped by caller: {0}")]
    Stopped(String),
}

impl MediaError {
    /// True when the file is to blame (skip it and tell the user), false when the
    /// environment or rushes itself is (log it; other files will fail the same way).
    pub fn is_user_error(&self) -> bool {
        match self {
            MediaError::NotFound(_)
            | MediaError::EmptyFile
            | MediaError::NotMedia(_)
            | MediaError::Corrupt(_)
            | MediaError::Unsupported(_)
            | MediaError::NoVideoStream
            | MediaError::ImplausibleMetadata(_)
            | MediaError::MalformedSubtitles { .. }
            | MediaError::Unreadable(_)
            | MediaError::Timeout { .. }
            | MediaError::InvalidRequest(_) => true,
            MediaError::ToolMissing { .. }
            | MediaError::ToolFailed { .. }
            | MediaError::Io { .. }
            | MediaError::Encode(_)
            | MediaError::Stopped(_) => false,
        }
    }

    /// The valid lines of a malformed subtitle file, if this is that error.
    pub fn recovered_lines(&self) -> Option<&[TranscriptLine]> {
        match self {
            MediaError::MalformedSubtitles { recovered, .. } => Some(recovered),
            _ => None,
        }
    }

    /// An I/O error on `path`, with a vanished file reported as [`MediaError::NotFound`].
    pub(crate) fn io(path: &std::path::Path, context: &str, source: std::io::Error) -> MediaError {
        if source.kind() == std::io::ErrorKind::NotFound {
            MediaError::NotFound(path.to_path_buf())
        } else {
            MediaError::Io {
                context: format!("{context} {}", path.display()),
                source,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_split_user_from_internal() {
        let text = MediaError::NotMedia("text content".into());
        assert_eq!(text.to_string(), "not a media file: text content");
        assert!(text.is_user_error());
        let missing = MediaError::ToolMissing { tool: "ffprobe" };
        assert_eq!(missing.to_string(), "ffprobe not found: install ffmpeg");
        assert!(!missing.is_user_error());
        let vanished = MediaError::io(
            std::path::Path::new("/nope/clip.mov"),
            "reading",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert!(matches!(vanished, MediaError::NotFound(_)));
    }
}
