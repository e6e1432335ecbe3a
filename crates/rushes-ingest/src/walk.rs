//! Walking the roots a user names: every media file below them, found by content as well as
//! by extension, with unreadable folders and symlink loops reported rather than fatal.

use std::path::{Path, PathBuf};

use rushes_core::AssetKind;
use walkdir::WalkDir;

/// A media file found under a root.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: PathBuf,
    pub kind: AssetKind,
    pub size: u64,
    pub mtime: i64,
}

/// What a walk found: the media files, and the places it could not read with a reason.
#[derive(Debug, Default)]
pub struct WalkOutcome {
    pub candidates: Vec<Candidate>,
    pub problems: Vec<(PathBuf, String)>,
}

/// Names that are never footage: sidecars and the litter cameras and OSes leave.
fn is_obviously_not_media(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if name.starts_with("._") || name == ".DS_Store" || name == "Thumbs.db" {
        return true;
    }
    matches!(
        lowercase_extension(path).as_str(),
        "srt"
            | "vtt"
            | "txt"
            | "json"
            | "xml"
            | "csv"
            | "md"
            | "pdf"
            | "toml"
            | "yml"
            | "yaml"
            | "edl"
            | "fcpxml"
            | "part"
    )
}

/// A file's extension in lower case ("" without one).
fn lowercase_extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// True for the extensions footage, stills and sound usually carry.
fn has_media_extension(path: &Path) -> bool {
    matches!(
        lowercase_extension(path).as_str(),
        "mp4"
            | "mov"
            | "m4v"
            | "mkv"
            | "avi"
            | "mxf"
            | "webm"
            | "mts"
            | "m2ts"
            | "mpg"
            | "mpeg"
            | "wmv"
            | "flv"
            | "3gp"
            | "r3d"
            | "braw"
            | "jpg"
            | "jpeg"
            | "png"
            | "tif"
            | "tiff"
            | "webp"
            | "heic"
            | "heif"
            | "bmp"
            | "gif"
            | "dng"
            | "wav"
            | "mp3"
            | "m4a"
            | "aac"
            | "flac"
            | "aif"
            | "aiff"
            | "ogg"
            | "opus"
    )
}

/// Walks every root in order. A root that is a file is taken as it is. Follows symbolic
/// links (footage folders are often links to drives) and reports loops.
pub fn walk_roots(roots: &[PathBuf]) -> WalkOutcome {
    let mut outcome = WalkOutcome::default();
    let mut seen = std::collections::HashSet::new();
    for root in roots {
        for entry in WalkDir::new(root).follow_links(true).sort_by_file_name() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let path = error
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| root.clone());
                    let reason = if error.loop_ancestor().is_some() {
                        "symbolic link loop; skipped".to_string()
                    } else {
                        match error.io_error() {
                            Some(io) => format!("cannot read: {io}"),
                            None => error.to_string(),
                        }
                    };
                    outcome.problems.push((path, reason));
                    continue;
                }
            };
            if !entry.file_type().is_file() || is_obviously_not_media(entry.path()) {
                continue;
            }
            let path = entry.path().to_path_buf();
            if !seen.insert(path.clone()) {
                continue;
            }
            let metadata = match entry.metadata() {
                Ok(metadata) => metadata,
                Err(error) => {
                    outcome
                        .problems
                        .push((path, format!("cannot read: {error}")));
                    continue;
                }
            };
            let kind = match rushes_media::sniff(&path) {
                Ok(Some(kind)) => kind,
                Ok(None) if has_media_extension(&path) => {
                    let reason = "not a media file: the name says media but the content is not";
                    outcome.problems.push((path, reason.to_string()));
                    continue;
                }
                Ok(None) => continue,
                Err(error) => {
                    outcome.problems.push((path, error.to_string()));
                    continue;
                }
            };
            outcome.candidates.push(Candidate {
                path,
                kind,
                size: metadata.len(),
                mtime: mtime_seconds(&metadata),
            });
        }
    }
    outcome
}

pub(crate) fn mtime_seconds(metadata: &std::fs::Metadata) -> i64 {
    metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|duration| duration.as_secs() as i64)
        .unwrap_or(0)
}
