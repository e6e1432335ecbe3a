//! A second, full-rate look at the cuts the skipping decode found across a run of skipped
//! frames: when the decoded frame before a cut is more than two frame positions back (two or
//! more non-reference frames in a row were not decoded), the cut may be up to three frames
//! late. Each such cut's short window is decoded again without skipping, scored with the
//! same tiny detection frames and scorer, and the boundary moves to the frame with the cut.
//! The cost is one short decode per such cut.

use std::path::Path;
use std::time::Duration;

use crate::MediaError;
use crate::analyze::{DecodeSizes, SeekWindow, Shot, decode_command};
use crate::shots::ShotDetector;
use crate::tools::StreamingTool;

/// A hard cut whose previous decoded frame is more than two frame positions before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CoarseCut {
    /// Index of the shot the cut starts.
    pub shot: usize,
    /// Time of the decoded frame before the cut, seconds from the first frame.
    pub after: f64,
    /// Time the cut was found at.
    pub at: f64,
    /// PySceneDetect's merge rule reported it: the cut is the *last* frame above the
    /// threshold in the window, not the first.
    pub last_above: bool,
}

/// Where the decode's timeline sits and how it is cut.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowDetection {
    /// Timestamp (microseconds) of the decode's first frame: time 0.
    pub origin: i64,
    pub frame_rate: f64,
    /// Detection frame size.
    pub size: (u32, u32),
    pub threshold: f32,
}

/// Moves each coarse cut's boundary (the start of its shot and the end of the one before)
/// to the frame with the cut, found by a full-rate decode of its window. A window whose
/// decode fails or finds no frame above the threshold leaves its cut where it was.
pub(crate) fn refine_coarse_cuts(
    path: &Path,
    shots: &mut [Shot],
    cuts: &[CoarseCut],
    detection: &WindowDetection,
) {
    for cut in cuts {
        match cut_in_window(path, cut, detection) {
            Ok(Some(time)) if time < cut.at => {
                tracing::debug!(path = %path.display(), from = cut.at, to = time, "cut moved to its frame");
                if let Some(shot) = shots.get_mut(cut.shot) {
                    shot.start = time;
                }
                if let Some(previous) = cut.shot.checked_sub(1).and_then(|i| shots.get_mut(i)) {
                    previous.end = time;
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(path = %path.display(), at = cut.at, "cut left as found: {error}");
            }
        }
    }
}

/// The time of the frame with the cut between `cut.after` (exclusive) and `cut.at`.
fn cut_in_window(
    path: &Path,
    cut: &CoarseCut,
    detection: &WindowDetection,
) -> Result<Option<f64>, MediaError> {
    let frame_micros = 1_000_000.0 / detection.frame_rate;
    // From one frame before the decoded frame before the cut, so that frame is scored
    // against its own predecessor and the cut frame against it.
    let start =
        (detection.origin + ((cut.after * 1_000_000.0) - frame_micros).round() as i64).max(0);
    let end = detection.origin + (cut.at * 1_000_000.0 + frame_micros).round() as i64;
    let window = SeekWindow {
        start_micros: start,
        length_micros: (end - start).max(1),
    };
    let (width, height) = detection.size;
    let mut command = decode_command(
        path,
        DecodeSizes {
            detect: detection.size,
            sample: None,
        },
        None,
        Some(window),
        1,
    );
    let mut tool = StreamingTool::spawn("ffmpeg", &mut command)?;
    let mut buffer = vec![0u8; width as usize * height as usize * 3];
    let mut scorer = ShotDetector::new(detection.threshold);
    let half_frame = 0.5 / detection.frame_rate;
    let mut found = None;
    while tool.read_frame(&mut buffer)? {
        let score = scorer.push(&buffer, width, height);
        let Ok(stamp) = tool.frame_times.recv_timeout(Duration::from_secs(5)) else {
            continue;
        };
        let Some(pts) = stamp.pts else {
            continue;
        };
        // Input seeking starts the window's timestamps at the seek point.
        let time = (start + pts - detection.origin) as f64 / 1_000_000.0;
        let inside = time > cut.after + half_frame && time <= cut.at + half_frame;
        if inside && score >= detection.threshold && (found.is_none() || cut.last_above) {
            found = Some(time);
        }
    }
    if let Err((error, stderr)) = tool.finish() {
        return Err(error.unwrap_or(MediaError::ToolFailed {
            tool: "ffmpeg",
            reason: stderr.lines().last().unwrap_or("").to_string(),
        }));
    }
    Ok(found)
}
