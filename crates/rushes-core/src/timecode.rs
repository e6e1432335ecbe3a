//! SMPTE timecode: parsing `HH:MM:SS:FF` (`;` for drop-frame) and converting to and from
//! seconds at a frame rate, including 29.97 and 59.94 drop-frame; and a file's source
//! timecode (its start timecode plus a time into it), which search hits, the server and
//! export all read through [`file_start_timecode`] and [`source_timecode`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::MediaInfo;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("not a timecode: {0:?} (expected HH:MM:SS:FF)")]
pub struct TimecodeError(String);

/// A timecode value as frames since midnight at a nominal rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timecode {
    pub hours: u32,
    pub minutes: u32,
    pub seconds: u32,
    pub frames: u32,
    pub drop_frame: bool,
}

/// Nominal integer frame rate used for counting (30 for 29.97, 24 for 23.976).
pub fn nominal_rate(fps: f64) -> u32 {
    (fps.round() as u32).max(1)
}

/// True for the rates where drop-frame counting is customary (29.97, 59.94).
pub fn is_drop_frame_rate(fps: f64) -> bool {
    ((fps - 29.97).abs() < 0.01) || ((fps - 59.94).abs() < 0.01)
}

/// A file's own start timecode as its probe read it: `None` when it has none, an error
/// when it has one that does not parse.
pub fn file_start_timecode(media: &MediaInfo) -> Option<Result<Timecode, TimecodeError>> {
    media.start_timecode.as_deref().map(str::parse)
}

/// Source timecode of a time in a file: the file's start timecode plus `seconds`, counted at
/// the file's frame rate. `None` when the file has no (readable) start timecode or rate.
pub fn source_timecode(media: &MediaInfo, seconds: f64) -> Option<Timecode> {
    let start = file_start_timecode(media)?.ok()?;
    let fps = media
        .frame_rate
        .filter(|fps| fps.is_finite() && *fps > 0.0)?;
    Some(start.add_seconds(seconds, fps))
}

impl Timecode {
    /// Total frame count since 00:00:00:00, honouring drop-frame numbering.
    pub fn to_frames(self, fps: f64) -> u64 {
        let rate = u64::from(nominal_rate(fps));
        let total_minutes = u64::from(self.hours) * 60 + u64::from(self.minutes);
        let mut frames =
            (total_minutes * 60 + u64::from(self.seconds)) * rate + u64::from(self.frames);
        if self.drop_frame {
            let dropped_per_minute = rate / 15; // 2 at 30, 4 at 60
            frames -= dropped_per_minute * (total_minutes - total_minutes / 10);
        }
        frames
    }

    /// The timecode of a frame count at a rate; drop-frame when the rate calls for it.
    pub fn from_frames(frames: u64, fps: f64, drop_frame: bool) -> Timecode {
        let rate = u64::from(nominal_rate(fps));
        let mut count = frames;
        if drop_frame {
            let drop = rate / 15;
            let per_ten_minutes = rate * 600 - drop * 9;
            let per_minute = rate * 60 - drop;
            let tens = count / per_ten_minutes;
            let rest = count % per_ten_minutes;
            count += drop * 9 * tens;
            if rest > drop {
                count += drop * ((rest - drop) / per_minute);
            }
        }
        let frames_part = count % rate;
        let total_seconds = count / rate;
        Timecode {
            hours: ((total_seconds / 3600) % 24) as u32,
            minutes: ((total_seconds / 60) % 60) as u32,
            seconds: (total_seconds % 60) as u32,
            frames: frames_part as u32,
            drop_frame,
        }
    }

    /// Seconds since 00:00:00:00 of real time at `fps`.
    pub fn to_seconds(self, fps: f64) -> f64 {
        self.to_frames(fps) as f64 / fps
    }

    /// This timecode moved on by `seconds` of real time.
    pub fn add_seconds(self, seconds: f64, fps: f64) -> Timecode {
        let frames = self.to_frames(fps) + (seconds.max(0.0) * fps).round() as u64;
        Timecode::from_frames(frames, fps, self.drop_frame)
    }
}

impl FromStr for Timecode {
    type Err = TimecodeError;

    fn from_str(text: &str) -> Result<Timecode, TimecodeError> {
        let error = || TimecodeError(text.to_string());
        let trimmed = text.trim();
        let drop_frame = trimmed.contains(';') || trimmed.contains('.');
        let parts: Vec<&str> = trimmed.split([':', ';', '.']).collect();
        if parts.len() != 4 {
            return Err(error());
        }
        let mut numbers = [0u32; 4];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error());
            }
            *slot = part.parse().map_err(|_| error())?;
        }
        let [hours, minutes, seconds, frames] = numbers;
        if minutes > 59 || seconds > 59 {
            return Err(error());
        }
        Ok(Timecode {
            hours,
            minutes,
            seconds,
            frames,
            drop_frame,
        })
    }
}

impl fmt::Display for Timecode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let separator = if self.drop_frame { ';' } else { ':' };
        write!(
            f,
            "{:02}:{:02}:{:02}{}{:02}",
            self.hours, self.minutes, self.seconds, separator, self.frames
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_non_drop_and_drop_frame() {
        let tc: Timecode = "01:02:03:04".parse().expect("valid");
        assert_eq!(tc.to_string(), "01:02:03:04");
        let df: Timecode = "00:01:00;02".parse().expect("valid");
        assert!(df.drop_frame);
        assert_eq!(df.to_string(), "00:01:00;02");
        assert!("1:2:3".parse::<Timecode>().is_err());
        assert!("aa:bb:cc:dd".parse::<Timecode>().is_err());
    }

    #[test]
    fn drop_frame_skips_two_frame_numbers_each_minute_but_every_tenth() {
        let fps = 30000.0 / 1001.0;
        // Frame 1800 at 29.97 DF is 00:01:00;02 (;00 and ;01 do not exist).
        assert_eq!(
            Timecode::from_frames(1800, fps, true).to_string(),
            "00:01:00;02"
        );
        assert_eq!(
            Timecode::from_frames(17982, fps, true).to_string(),
            "00:10:00;00"
        );
        for frames in [0u64, 1799, 1800, 17981, 17982, 107_892, 1_000_000] {
            assert_eq!(
                Timecode::from_frames(frames, fps, true).to_frames(fps),
                frames
            );
        }
        // One hour of DF timecode is one hour of real time to within a frame.
        let hour: Timecode = "01:00:00;00".parse().expect("valid");
        assert!((hour.to_seconds(fps) - 3600.0).abs() < 1.0 / fps);
    }

    #[test]
    fn add_seconds_at_23_976() {
        let fps = 24000.0 / 1001.0;
        let start: Timecode = "01:00:00:00".parse().expect("valid");
        assert_eq!(start.add_seconds(10.0, fps).to_string(), "01:00:10:00");
    }

    #[test]
    fn source_timecode_adds_the_moment_start_to_the_file_timecode() {
        let media = MediaInfo {
            start_timecode: Some("01:00:00:00".into()),
            frame_rate: Some(25.0),
            ..MediaInfo::default()
        };
        assert_eq!(
            source_timecode(&media, 12.4)
                .map(|tc| tc.to_string())
                .as_deref(),
            Some("01:00:12:10")
        );
        let no_timecode = MediaInfo {
            frame_rate: Some(25.0),
            ..MediaInfo::default()
        };
        assert_eq!(source_timecode(&no_timecode, 1.0), None);
    }
}
