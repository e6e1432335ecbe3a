//! Walking the roots a user names: every media file below them, found by content as well as
//! by extension, with unreadable folders, symlink loops and media-named FIFOs or devices
//! reported rather than fatal. Never walks into a rushes index folder (its own thumbnails).

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

/// What a walk found: the media files, the places it could not read with a reason, and the
/// rushes index folders it left alone.
#[derive(Debug, Default)]
pub struct WalkOutcome {
    pub candidates: Vec<Candidate>,
    pub problems: Vec<(PathBuf, String)>,
    pub index_folders: Vec<PathBuf>,
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
    let mut index_folders = Vec::new();
    for root in roots {
        let walk = WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                let is_index =
                    entry.file_type().is_dir() && rushes_store::is_index_dir(entry.path());
                if is_index && !index_folders.iter().any(|found| found == entry.path()) {
                    index_folders.push(entry.path().to_path_buf());
                }
                !is_index
            });
        for entry in walk {
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
            if is_obviously_not_media(entry.path()) {
                continue;
            }
            if !entry.file_type().is_file() {
                // Opening a FIFO named like media would block the run; say what it is.
                if let Some(what) = special_file_kind(entry.file_type())
                    && has_media_extension(entry.path())
                {
                    let reason = format!("not a regular file ({what}); skipped");
                    outcome.problems.push((entry.path().to_path_buf(), reason));
                }
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
    outcome.index_folders = index_folders;
    outcome
}

/// What a file that is neither a regular file nor a folder is (FIFO, socket, device).
#[cfg(unix)]
fn special_file_kind(file_type: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_file() || file_type.is_dir() {
        None
    } else if file_type.is_fifo() {
        Some("FIFO")
    } else if file_type.is_socket() {
        Some("socket")
    } else if file_type.is_char_device() {
        Some("character device")
    } else if file_type.is_block_device() {
        Some("block device")
    } else {
        Some("special file")
    }
}

#[cfg(not(unix))]
fn special_file_kind(file_type: std::fs::FileType) -> Option<&'static str> {
    (!file_type.is_file() && !file_type.is_dir()).then_some("special file")
}

pub(crate) use rushes_core::mtime_seconds;
