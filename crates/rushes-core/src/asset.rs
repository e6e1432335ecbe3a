//! Assets: one media file on disk (video, still image or audio), its identity and the facts
//! probing found in it.

use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Stable identifier of an asset: 16 lowercase hex characters. Assigned when a file is
/// first indexed and kept when the file is moved or renamed (recognised by content hash).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AssetId(String);

impl AssetId {
    /// A new id derived from the path the asset was first seen at.
    pub fn from_path(path: &Path) -> AssetId {
        let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
        AssetId(hex::encode(&digest[..8]))
    }

    /// Parses an id given by a user or a request; `None` unless it is 16 hex characters.
    pub fn parse(text: &str) -> Option<AssetId> {
        let valid = text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| AssetId(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of media an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetKind {
    Video,
    Image,
    Audio,
}

impl AssetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Video => "video",
            AssetKind::Image => "image",
            AssetKind::Audio => "audio",
        }
    }

    /// Parses `video`, `image` (or `photo`, `still`) and `audio`.
    pub fn parse(text: &str) -> Option<AssetKind> {
        match text.to_ascii_lowercase().as_str() {
            "video" | "clip" => Some(AssetKind::Video),
            "image" | "photo" | "still" => Some(AssetKind::Image),
            "audio" | "sound" => Some(AssetKind::Audio),
            _ => None,
        }
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stream inside a container, as probing reported it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub index: u32,
    /// `video`, `audio`, `subtitle`, `data` or `attachment`.
    pub kind: String,
    pub codec: Option<String>,
    pub language: Option<String>,
}

/// Facts about a media file found by probing it. Every field is optional because real files
/// leave any of them out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaInfo {
    /// Container format as ffprobe names it (`mov,mp4,m4a,3gp,3g2,mj2`, `avi`) or the image
    /// format (`jpeg`, `png`).
    pub container: Option<String>,
    /// Seconds; `None` for stills and when the file does not say.
    pub duration: Option<f64>,
    /// Display width and height, after rotation.
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub pixel_format: Option<String>,
    /// Average frames per second.
    pub frame_rate: Option<f64>,
    /// True when the nominal and the average frame rate disagree.
    pub variable_frame_rate: bool,
    /// Clockwise rotation in degrees the player must apply: 0, 90, 180 or 270.
    pub rotation: i32,
    /// Source timecode of the first frame (`01:00:00:00`), from a tmcd track or a tag.
    pub start_timecode: Option<String>,
    /// Capture time, RFC 3339 when the file gives a zone, else as found.
    pub creation_time: Option<String>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub audio_channels: Option<u32>,
    pub bit_rate: Option<u64>,
    pub streams: Vec<StreamInfo>,
}

/// One indexed media file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    pub id: AssetId,
    /// Written to JSON lossily (bytes that are not UTF-8 become U+FFFD): a file name is
    /// whatever bytes the file system allows, and one odd name must not make the asset
    /// impossible to show.
    #[serde(serialize_with = "serialize_path_lossy")]
    pub path: PathBuf,
    pub kind: AssetKind,
    /// Bytes on disk when indexed.
    pub size: u64,
    /// Modification time in seconds since the Unix epoch when indexed.
    pub mtime: i64,
    /// See [`content_hash`].
    pub content_hash: String,
    pub media: MediaInfo,
}

fn serialize_path_lossy<S: serde::Serializer>(path: &Path, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(&path.to_string_lossy())
}

/// A file's modification time in whole seconds since the Unix epoch, as [`Asset::mtime`]
/// records it (0 when the file system does not say).
pub fn mtime_seconds(metadata: &std::fs::Metadata) -> i64 {
    metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|duration| duration.as_secs() as i64)
        .unwrap_or(0)
}

impl Asset {
    /// Whether the file `metadata` describes (a symbolic link followed) is still the one
    /// indexed: same size and modification time.
    pub fn matches_file(&self, metadata: &std::fs::Metadata) -> bool {
        metadata.is_file() && metadata.len() == self.size && mtime_seconds(metadata) == self.mtime
    }
}

/// Bytes read from each end of a file by [`content_hash`].
const HASH_WINDOW: u64 = 1 << 20;

/// A fingerprint of a file's content that is cheap on multi-gigabyte footage: SHA-256 of the
/// size, the first MiB and the last MiB. Used to recognise moved and renamed files.
pub fn content_hash(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut hasher = Sha256::new();
    hasher.update(size.to_le_bytes());
    let mut buffer = Vec::with_capacity(HASH_WINDOW as usize);
    (&mut file).take(HASH_WINDOW).read_to_end(&mut buffer)?;
    hasher.update(&buffer);
    if size > 2 * HASH_WINDOW {
        buffer.clear();
        file.seek(SeekFrom::Start(size - HASH_WINDOW))?;
        file.take(HASH_WINDOW).read_to_end(&mut buffer)?;
        hasher.update(&buffer);
    } else if size > HASH_WINDOW {
        buffer.clear();
        file.read_to_end(&mut buffer)?;
        hasher.update(&buffer);
    }
    Ok(hex::encode(&hasher.finalize()[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_id_parse_accepts_only_sixteen_hex_characters() {
        let id = AssetId::from_path(Path::new("/footage/a.mp4"));
        assert_eq!(AssetId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(AssetId::parse("../etc/passwd"), None);
        assert_eq!(AssetId::parse("0123456789abcdeg"), None);
    }

    #[test]
    fn content_hash_changes_with_content_not_name() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("rushes-core-hash-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let (a, b, c) = (dir.join("a.bin"), dir.join("b.bin"), dir.join("c.bin"));
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&a, &big)?;
        std::fs::write(&b, &big)?;
        let mut changed = big.clone();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        std::fs::write(&c, &changed)?;
        assert_eq!(content_hash(&a)?, content_hash(&b)?);
        assert_ne!(content_hash(&a)?, content_hash(&c)?);
        std::fs::remove_dir_all(&dir)
    }
}
