//! Deciding whether a file is media and of which kind, from its first bytes and, only when
//! they are not conclusive, its extension. Decoding is not attempted here.

use std::io::Read;
use std::path::Path;

use rushes_core::AssetKind;

use crate::MediaError;

const VIDEO_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "mov", "qt", "avi", "mkv", "webm", "mts", "m2ts", "ts", "mpg", "mpeg", "mxf",
    "wmv", "flv", "3gp", "3g2", "ogv", "vob", "dv", "r3d", "braw", "insv", "lrv",
];
const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "mp3", "m4a", "aac", "flac", "ogg", "oga", "opus", "aif", "aiff", "wma", "mka", "bwf",
    "caf", "amr",
];
const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "tif", "tiff", "webp", "bmp", "gif", "heic", "heif", "avif",
];

/// The kind of media a file holds: magic bytes first, extension second.
///
/// `Ok(None)` means "not media, skip silently" (`.txt`, `.srt`, `.DS_Store`, AppleDouble
/// `._clip.mov` files). A file whose extension promises media but whose content is text or
/// empty is an error, so the user hears about it.
pub fn sniff(path: &Path) -> Result<Option<AssetKind>, MediaError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if name.starts_with('.') {
        return Ok(None); // .DS_Store, ._clip.mov (AppleDouble), editor temp files
    }
    let by_extension = kind_from_extension(path);
    let mut head = Vec::with_capacity(512);
    let file = std::fs::File::open(path).map_err(|e| MediaError::io(path, "opening", e))?;
    file.take(512)
        .read_to_end(&mut head)
        .map_err(|e| MediaError::io(path, "reading", e))?;
    if let Some(kind) = kind_from_magic(&head, by_extension) {
        return Ok(Some(kind));
    }
    let Some(kind) = by_extension else {
        return Ok(None);
    };
    if head.is_empty() {
        return Err(MediaError::EmptyFile);
    }
    if looks_like_text(&head) {
        return Err(MediaError::NotMedia(String::from("text content")));
    }
    // Unknown magic but a media extension: let ffprobe decide.
    Ok(Some(kind))
}

/// True when the file starts with plain text rather than binary media.
pub(crate) fn content_is_text(path: &Path) -> Result<bool, MediaError> {
    let mut head = Vec::with_capacity(512);
    let file = std::fs::File::open(path).map_err(|e| MediaError::io(path, "opening", e))?;
    file.take(512)
        .read_to_end(&mut head)
        .map_err(|e| MediaError::io(path, "reading", e))?;
    Ok(looks_like_text(&head))
}

/// The kind a file's extension suggests, case-insensitively.
pub fn kind_from_extension(path: &Path) -> Option<AssetKind> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    let extension = extension.as_str();
    if VIDEO_EXTENSIONS.contains(&extension) {
        Some(AssetKind::Video)
    } else if AUDIO_EXTENSIONS.contains(&extension) {
        Some(AssetKind::Audio)
    } else if IMAGE_EXTENSIONS.contains(&extension) {
        Some(AssetKind::Image)
    } else {
        None
    }
}

fn kind_from_magic(head: &[u8], by_extension: Option<AssetKind>) -> Option<AssetKind> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    // ISO BMFF / QuickTime: the brand says video, audio or image.
    if at(4, b"ftyp") {
        let brand = head.get(8..12).unwrap_or_default();
        return Some(match brand {
            b"M4A " | b"M4B " | b"M4P " | b"F4A " => AssetKind::Audio,
            b"heic" | b"heix" | b"mif1" | b"msf1" | b"avif" | b"heim" | b"heis" => AssetKind::Image,
            _ => AssetKind::Video,
        });
    }
    if at(4, b"moov") || at(4, b"mdat") || at(4, b"wide") || at(4, b"free") {
        return Some(AssetKind::Video); // old QuickTime without ftyp
    }
    if at(0, b"RIFF") {
        return match head.get(8..12)? {
            b"AVI " => Some(AssetKind::Video),
            b"WAVE" => Some(AssetKind::Audio),
            b"WEBP" => Some(AssetKind::Image),
            _ => None,
        };
    }
    if at(0, b"RF64") || at(0, b"BW64") || at(0, b"fLaC") || at(0, b"ID3") || at(0, b"#!AMR") {
        return Some(AssetKind::Audio);
    }
    if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) || at(0, b"caff") {
        return Some(AssetKind::Audio);
    }
    if at(0, b"OggS") {
        return Some(match by_extension {
            Some(AssetKind::Video) => AssetKind::Video,
            _ => AssetKind::Audio,
        });
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(match by_extension {
            Some(AssetKind::Audio) => AssetKind::Audio, // .mka
            _ => AssetKind::Video,
        });
    }
    if at(0, &[0x30, 0x26, 0xB2, 0x75]) {
        return Some(by_extension.unwrap_or(AssetKind::Video)); // ASF: .wmv or .wma
    }
    if at(0, &[0, 0, 1, 0xBA])
        || at(0, &[0, 0, 1, 0xB3])
        || at(0, b"FLV")
        || at(0, &[0x06, 0x0E, 0x2B, 0x34])
    {
        return Some(AssetKind::Video);
    }
    if head.first() == Some(&0x47) && head.get(188) == Some(&0x47) {
        return Some(AssetKind::Video); // MPEG-TS
    }
    if head.get(4) == Some(&0x47) && head.get(196) == Some(&0x47) {
        return Some(AssetKind::Video); // M2TS (192-byte packets)
    }
    if at(0, &[0xFF, 0xD8, 0xFF])
        || at(0, &[0x89, b'P', b'N', b'G'])
        || at(0, b"GIF8")
        || at(0, b"II*\0")
        || at(0, b"MM\0*")
    {
        return Some(AssetKind::Image);
    }
    if at(0, b"BM") && head.len() >= 26 && by_extension == Some(AssetKind::Image) {
        return Some(AssetKind::Image);
    }
    // MPEG audio frame sync (mp3) or ADTS (aac), only when the extension agrees: two bytes
    // are too weak a signal alone.
    if head.len() >= 2
        && head[0] == 0xFF
        && head[1] & 0xE0 == 0xE0
        && by_extension == Some(AssetKind::Audio)
    {
        return Some(AssetKind::Audio);
    }
    None
}

/// True for content that is plain UTF-8 text (a log, an EDL, a subtitle file renamed .mp4).
fn looks_like_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A multi-byte character cut at the 512-byte boundary is still text.
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&head[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty() && text.chars().all(|c| !c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_beat_the_extension() {
        let mut mp4 = vec![0, 0, 0, 0x20];
        mp4.extend_from_slice(b"ftypisom");
        assert_eq!(
            kind_from_magic(&mp4, Some(AssetKind::Image)),
            Some(AssetKind::Video)
        );
        let mut m4a = vec![0, 0, 0, 0x20];
        m4a.extend_from_slice(b"ftypM4A ");
        assert_eq!(
            kind_from_magic(&m4a, Some(AssetKind::Video)),
            Some(AssetKind::Audio)
        );
        assert_eq!(
            kind_from_magic(b"RIFF\0\0\0\0WAVEfmt ", None),
            Some(AssetKind::Audio)
        );
        assert_eq!(
            kind_from_magic(b"plain words", Some(AssetKind::Video)),
            None
        );
    }

    #[test]
    fn text_detection_accepts_utf8_and_rejects_binary() {
        assert!(looks_like_text(
            "1\r\n00:00:01,000 --> 00:00:02,000\r\nHé\n".as_bytes()
        ));
        assert!(!looks_like_text(&[0, 1, 2, 3, 0xFF]));
    }
}
