//! Transcripts from subtitles: finding `.srt`/`.vtt` sidecars beside a clip, parsing them
//! leniently (BOM, CRLF, cue settings, styling tags, broken blocks), and extracting text
//! subtitle streams from containers through ffmpeg.

use std::path::{Path, PathBuf};

use rushes_core::{MediaInfo, TranscriptLine};

use crate::MediaError;
use crate::tools::{PROBE_TIMEOUT, classify_failure, ffmpeg_command, run_with_timeout};

/// Subtitle codecs ffmpeg can turn into SRT text (bitmap subtitles such as PGS cannot).
const TEXT_SUBTITLE_CODECS: &[&str] = &[
    "subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text", "microdvd",
];

/// Sidecar subtitle files of a clip: `clip.srt`, `clip.vtt` and language-tagged ones such
/// as `clip.en.srt` or `clip.en-GB.vtt`, in name order.
pub fn find_sidecars(media: &Path) -> Vec<PathBuf> {
    let (Some(folder), Some(stem)) = (media.parent(), media.file_stem().and_then(|s| s.to_str()))
    else {
        return Vec::new();
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| is_sidecar_of(path, stem))
        .collect();
    found.sort();
    found
}

fn is_sidecar_of(candidate: &Path, stem: &str) -> bool {
    let Some(name) = candidate.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Some((base, extension)) = name.rsplit_once('.') else {
        return false;
    };
    if !extension.eq_ignore_ascii_case("srt") && !extension.eq_ignore_ascii_case("vtt") {
        return false;
    }
    if base == stem {
        return true;
    }
    // stem.<language>.srt, language like en, eng, en-GB, pt_BR, forced variants excluded.
    base.strip_prefix(stem)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|language| {
            (2..=8).contains(&language.len())
                && language
                    .chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')
        })
}

/// Parses an `.srt` or `.vtt` file (chosen by content, then extension). Blocks that do not
/// parse are skipped; if any were, the result is [`MediaError::MalformedSubtitles`] holding
/// the valid lines, for the caller to keep and record as a warning.
pub fn read_sidecar(path: &Path) -> Result<Vec<TranscriptLine>, MediaError> {
    let bytes = std::fs::read(path).map_err(|e| MediaError::io(path, "reading", e))?;
    let text = decode_text(&bytes);
    let is_vtt = text.trim_start().starts_with("WEBVTT")
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("vtt"));
    let source = if is_vtt { "vtt" } else { "srt" };
    let parsed = parse_subtitles(&text, source);
    if parsed.lines.is_empty() && !text.trim().is_empty() && parsed.problems.is_empty() {
        return Ok(Vec::new());
    }
    match parsed.problems.first() {
        None => Ok(parsed.lines),
        Some(first) => Err(MediaError::MalformedSubtitles {
            path: path.to_path_buf(),
            reason: if parsed.problems.len() > 1 {
                format!("{first} (and {} more)", parsed.problems.len() - 1)
            } else {
                first.clone()
            },
            recovered: parsed.lines,
        }),
    }
}

/// Text subtitle streams inside a container (mkv subrip/ass, mp4 mov_text), as transcript
/// lines with source `subtitle-stream`. Bitmap subtitle streams are skipped.
pub fn extract_subtitle_streams(
    path: &Path,
    info: &MediaInfo,
) -> Result<Vec<TranscriptLine>, MediaError> {
    let mut lines = Vec::new();
    for stream in info.streams.iter().filter(|s| s.kind == "subtitle") {
        let codec = stream.codec.as_deref().unwrap_or("");
        if !TEXT_SUBTITLE_CODECS.contains(&codec) {
            tracing::debug!(path = %path.display(), codec, "skipping non-text subtitle stream");
            continue;
        }
        let mut command = ffmpeg_command();
        command
            .args(["-nostdin", "-hide_banner", "-v", "error", "-i"])
            .arg(path)
            .args([
                "-map",
                &format!("0:{}", stream.index),
                "-c:s",
                "srt",
                "-f",
                "srt",
                "pipe:1",
            ]);
        let output = run_with_timeout("ffmpeg", &mut command, PROBE_TIMEOUT)?;
        if !output.success {
            return Err(classify_failure("ffmpeg", path, &output.stderr));
        }
        let parsed = parse_subtitles(&decode_text(&output.stdout), "subtitle-stream");
        lines.extend(parsed.lines);
    }
    lines.sort_by(|a, b| a.start.total_cmp(&b.start));
    Ok(lines)
}

/// Lines parsed from subtitle text and the problems met on the way.
#[derive(Debug, Default)]
pub struct ParsedSubtitles {
    pub lines: Vec<TranscriptLine>,
    pub problems: Vec<String>,
}

/// Parses SRT or WebVTT text (both share the block shape: optional id, a timing line,
/// text lines, a blank line).
pub fn parse_subtitles(text: &str, source: &str) -> ParsedSubtitles {
    let mut parsed = ParsedSubtitles::default();
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    for (block_number, block) in normalised.split("\n\n").enumerate() {
        let block_lines: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
        let Some(first) = block_lines.first() else {
            continue;
        };
        let first = first.trim();
        if first.starts_with("WEBVTT")
            || first.starts_with("NOTE")
            || first == "STYLE"
            || first == "REGION"
        {
            continue;
        }
        let Some(timing_index) = block_lines.iter().take(2).position(|l| l.contains("-->")) else {
            parsed
                .problems
                .push(format!("block {} has no timing line", block_number + 1));
            continue;
        };
        let Some((start, end)) = parse_timing(block_lines[timing_index]) else {
            parsed.problems.push(format!(
                "bad timing line {:?}",
                block_lines[timing_index].trim()
            ));
            continue;
        };
        if end < start {
            parsed.problems.push(format!(
                "cue ends before it starts: {:?}",
                block_lines[timing_index].trim()
            ));
            continue;
        }
        let text = block_lines[timing_index + 1..]
            .iter()
            .map(|l| strip_markup(l))
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() {
            parsed.lines.push(TranscriptLine {
                start,
                end,
                text,
                source: source.to_string(),
            });
        }
    }
    parsed
}

/// `00:00:01,000 --> 00:00:02,500 align:start` -> (1.0, 2.5).
fn parse_timing(line: &str) -> Option<(f64, f64)> {
    let (left, right) = line.split_once("-->")?;
    let start = parse_timestamp(left.trim())?;
    let end = parse_timestamp(right.split_whitespace().next()?)?;
    Some((start, end))
}

/// `hh:mm:ss,mmm`, `hh:mm:ss.mmm` or VTT's `mm:ss.mmm`.
fn parse_timestamp(text: &str) -> Option<f64> {
    let text = text.replace(',', ".");
    let parts: Vec<&str> = text.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [h, m, s] => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?, *s),
        [m, s] => (0, m.parse::<u32>().ok()?, *s),
        _ => return None,
    };
    let seconds: f64 = seconds.parse().ok()?;
    if minutes > 59 || !(0.0..60.0).contains(&seconds) {
        return None;
    }
    Some(f64::from(hours) * 3600.0 + f64::from(minutes) * 60.0 + seconds)
}

/// Removes `<i>`, `<v Speaker>`, `<c.yellow>`, inline `<00:01.000>` timestamps and ASS
/// `{\an8}` overrides, and decodes the common HTML entities.
fn strip_markup(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut depth_angle = false;
    let mut depth_brace = false;
    for c in line.chars() {
        match c {
            '<' => depth_angle = true,
            '>' if depth_angle => depth_angle = false,
            '{' if line.contains("{\\") => depth_brace = true,
            '}' if depth_brace => depth_brace = false,
            _ if depth_angle || depth_brace => {}
            _ => out.push(c),
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// UTF-8 (BOM stripped), UTF-16 with a BOM, or Latin-1 as a last resort.
fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    let utf16 = |little: bool, rest: &[u8]| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| {
                if little {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(true, rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(false, rest);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_srt_with_bom_crlf_and_tags() {
        let text = "\u{feff}1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Action!</i>\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nCut &amp; print\r\n";
        let parsed = parse_subtitles(&decode_text(text.as_bytes()), "srt");
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.lines.len(), 2);
        assert_eq!((parsed.lines[0].start, parsed.lines[0].end), (1.0, 2.5));
        assert_eq!(parsed.lines[0].text, "Action!");
        assert_eq!(parsed.lines[1].text, "Cut & print");
    }

    #[test]
    fn parses_vtt_with_cue_settings_ids_and_voice_tags() {
        let text = "WEBVTT - take 3\n\nNOTE from the script supervisor\n\nintro\n00:01.500 --> 00:03.000 align:start position:10%\n<v Director>Rolling</v>\n\n01:00:00.000 --> 01:00:01.000\n{\\an8}Speed\n";
        let parsed = parse_subtitles(text, "vtt");
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.lines.len(), 2);
        assert_eq!(
            (
                parsed.lines[0].start,
                parsed.lines[0].end,
                parsed.lines[0].text.as_str()
            ),
            (1.5, 3.0, "Rolling")
        );
        assert_eq!(parsed.lines[1].start, 3600.0);
        assert_eq!(parsed.lines[1].text, "Speed");
    }

    #[test]
    fn keeps_valid_blocks_around_a_broken_one() {
        let text = "1\n00:00:01,000 --> 00:00:02,000\nGood\n\n2\n00:00:xx,000 --> 00:00:03,000\nBad\n\n3\n00:00:04,000 --> 00:00:05,000\nAlso good\n";
        let parsed = parse_subtitles(text, "srt");
        assert_eq!(parsed.lines.len(), 2);
        assert_eq!(parsed.problems.len(), 1);
    }

    #[test]
    fn sidecar_names_match_stem_and_language_variants_only() {
        assert!(is_sidecar_of(Path::new("/f/A001.srt"), "A001"));
        assert!(is_sidecar_of(Path::new("/f/A001.en.SRT"), "A001"));
        assert!(is_sidecar_of(Path::new("/f/A001.en-GB.vtt"), "A001"));
        assert!(!is_sidecar_of(Path::new("/f/A0012.srt"), "A001"));
        assert!(!is_sidecar_of(Path::new("/f/A001.txt"), "A001"));
    }
}
