//! One thing to export ([`ExportItem`]: a time range of a file with its name, notes and
//! tags) and the frame arithmetic every format shares: exact frame rates, source timecodes
//! and reel names.

use std::path::{Path, PathBuf};

use rushes_core::MediaInfo;
use rushes_core::timecode::{Timecode, file_start_timecode, is_drop_frame_rate};

use crate::ExportError;

/// Frame rate used when a file does not state one (stills, some audio-only files).
const FALLBACK_FPS: f64 = 25.0;

/// A frame rate as an exact frame duration of `numerator / denominator` seconds
/// (`1001/24000` for 23.976, `1/25` for 25), as FCPXML wants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameRate {
    pub numerator: u64,
    pub denominator: u64,
}

impl FrameRate {
    /// The exact rate nearest to a measured one: NTSC rates (23.976, 29.97, 59.94...) become
    /// `1001/N000`, whole rates `1/N`.
    pub fn from_fps(fps: f64) -> FrameRate {
        let fps = if fps.is_finite() && fps > 0.5 {
            fps
        } else {
            FALLBACK_FPS
        };
        for nominal in [24u64, 30, 48, 60, 120] {
            let ntsc = nominal as f64 * 1000.0 / 1001.0;
            if (fps - ntsc).abs() < 0.005 {
                return FrameRate {
                    numerator: 1001,
                    denominator: nominal * 1000,
                };
            }
        }
        if (fps - fps.round()).abs() < 0.005 {
            return FrameRate {
                numerator: 1,
                denominator: fps.round() as u64,
            };
        }
        FrameRate {
            numerator: 1000,
            denominator: (fps * 1000.0).round() as u64,
        }
    }

    pub fn fps(self) -> f64 {
        self.denominator as f64 / self.numerator as f64
    }

    /// True for 29.97 and 59.94, where drop-frame timecode is customary.
    pub fn is_drop_frame_rate(self) -> bool {
        is_drop_frame_rate(self.fps())
    }

    /// The frame nearest to `seconds`.
    pub fn frames_in(self, seconds: f64) -> u64 {
        (seconds.max(0.0) * self.fps()).round() as u64
    }

    /// `frames` as FCPXML rational seconds: `0s`, `1001/24000s`, `3/25s`.
    pub fn rational_seconds(self, frames: u64) -> String {
        if frames == 0 {
            return "0s".to_string();
        }
        let mut numerator = frames * self.numerator;
        let mut denominator = self.denominator;
        let divisor = gcd(numerator, denominator);
        numerator /= divisor;
        denominator /= divisor;
        if denominator == 1 {
            format!("{numerator}s")
        } else {
            format!("{numerator}/{denominator}s")
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// A time range of one media file to hand to an editor, with what to call it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportItem {
    pub path: PathBuf,
    /// Probe facts: frame rate, start timecode, duration, size (from the index).
    pub media: MediaInfo,
    /// Seconds from the start of the file.
    pub start: f64,
    pub end: f64,
    /// Marker or clip name; the file name by default.
    pub name: String,
    pub notes: String,
    pub tags: Vec<String>,
    /// The slate the range starts in (scene, take, roll, camera), when one was read.
    pub slate: Option<rushes_core::Slate>,
}

impl ExportItem {
    /// `[start, end]` of `path`, named after the file.
    pub fn new(path: &Path, media: MediaInfo, start: f64, end: f64) -> ExportItem {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        ExportItem {
            path: path.to_path_buf(),
            media,
            start,
            end,
            name,
            notes: String::new(),
            tags: Vec::new(),
            slate: None,
        }
    }

    pub fn frame_rate(&self) -> FrameRate {
        FrameRate::from_fps(self.media.frame_rate.unwrap_or(FALLBACK_FPS))
    }

    /// The file's own start timecode, or `00:00:00:00` (drop-frame at 29.97/59.94) when the
    /// file has none or an unreadable one.
    pub fn start_timecode(&self) -> Timecode {
        let rate = self.frame_rate();
        match file_start_timecode(&self.media) {
            Some(Ok(timecode)) => timecode,
            Some(Err(error)) => {
                tracing::warn!(path = %self.path.display(), "{error}; using 00:00:00:00");
                Timecode::from_frames(0, rate.fps(), rate.is_drop_frame_rate())
            }
            None => Timecode::from_frames(0, rate.fps(), rate.is_drop_frame_rate()),
        }
    }

    /// Frames of the range from the start of the file: `[in, out)`, at least one frame long.
    pub fn file_frames(&self) -> Result<(u64, u64), ExportError> {
        if !(self.start.is_finite() && self.end.is_finite()) || self.start < 0.0 {
            return Err(self.invalid(format!("bad range {}..{} s", self.start, self.end)));
        }
        if self.end <= self.start {
            return Err(self.invalid(format!(
                "the range ends ({:.3} s) before it starts ({:.3} s)",
                self.end, self.start
            )));
        }
        let rate = self.frame_rate();
        let first = rate.frames_in(self.start);
        let last = rate.frames_in(self.end).max(first + 1);
        Ok((first, last))
    }

    /// Source in and out timecodes: the file's start timecode plus the range, at its rate.
    pub fn source_timecodes(&self) -> Result<(Timecode, Timecode), ExportError> {
        let (first, last) = self.file_frames()?;
        let fps = self.frame_rate().fps();
        let start = self.start_timecode();
        let origin = start.to_frames(fps);
        Ok((
            Timecode::from_frames(origin + first, fps, start.drop_frame),
            Timecode::from_frames(origin + last, fps, start.drop_frame),
        ))
    }

    /// A CMX3600 reel name: the file name's letters and digits, upper case, at most 8.
    pub fn reel_name(&self) -> String {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let reel: String = stem
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .take(8)
            .collect();
        if reel.is_empty() {
            "AX".to_string()
        } else {
            reel
        }
    }

    pub(crate) fn invalid(&self, reason: String) -> ExportError {
        ExportError::InvalidItem {
            name: self.name.clone(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_rates_snap_to_exact_frame_durations() {
        let ntsc_film = FrameRate::from_fps(2997.0 / 125.0);
        assert_eq!((ntsc_film.numerator, ntsc_film.denominator), (1001, 24000));
        assert_eq!(FrameRate::from_fps(25.0).rational_seconds(50), "2s");
        assert_eq!(FrameRate::from_fps(25.0).rational_seconds(3), "3/25s");
        assert_eq!(
            FrameRate::from_fps(30000.0 / 1001.0).rational_seconds(2),
            "1001/15000s"
        );
        assert!(FrameRate::from_fps(29.97).is_drop_frame_rate());
        assert!(!FrameRate::from_fps(23.976).is_drop_frame_rate());
    }

    #[test]
    fn reel_names_are_eight_upper_case_alphanumerics() {
        let item = ExportItem::new(
            Path::new("/shoot/day1/A001_C003_slate.mp4"),
            MediaInfo::default(),
            0.0,
            1.0,
        );
        assert_eq!(item.reel_name(), "A001C003");
        let odd = ExportItem::new(Path::new("/x/__.mov"), MediaInfo::default(), 0.0, 1.0);
        assert_eq!(odd.reel_name(), "AX");
    }

    #[test]
    fn source_timecode_adds_the_range_to_the_file_start_timecode() {
        let media = MediaInfo {
            frame_rate: Some(25.0),
            start_timecode: Some("10:00:00:00".into()),
            ..MediaInfo::default()
        };
        let item = ExportItem::new(Path::new("a.mov"), media, 2.0, 3.5);
        let (source_in, source_out) = item.source_timecodes().expect("valid range");
        assert_eq!(source_in.to_string(), "10:00:02:00");
        assert_eq!(source_out.to_string(), "10:00:03:13");
        let backwards = ExportItem::new(Path::new("a.mov"), MediaInfo::default(), 3.0, 2.0);
        assert!(backwards.source_timecodes().is_err());
    }
}
