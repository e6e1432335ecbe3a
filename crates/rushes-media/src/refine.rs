//! The full-rate second look at a gap the skipping decode left: when a hard cut is found on a
//! decoded frame more than two frame positions after the decoded frame before it (a run of
//! non-reference frames was not decoded), the frames in between are decoded again without
//! skipping, as tiny detection frames, while the main decode waits. The shot detectors then
//! see every frame of the gap ([`crate::shots::BoundaryFinder::push`] asks for them), so the
//! cut lands on its own frame and PySceneDetect's merge rule counts the cuts inside the gap.
//! The cost is one short decode per gap that ends on a cut.

use std::path::Path;
use std::time::Duration;

use crate::MediaError;
use crate::analyze::{DecodeSizes, SeekWindow, decode_command};
use crate::tools::StreamingTool;

/// How the gaps are decoded: the detection frame size and the nominal frame rate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GapDecoding {
    pub frame_rate: f64,
    /// Detection frame size.
    pub size: (u32, u32),
}

/// A frame of a gap: its timestamp on the main decode's timeline (microseconds) and its
/// tiny RGB detection picture.
pub(crate) struct GapPicture {
    pub pts: i64,
    pub rgb: Vec<u8>,
}

/// Every frame strictly between the decoded frames at `after_pts` and `before_pts`
/// (microseconds on the main decode's timeline), in order.
pub(crate) fn decode_gap(
    path: &Path,
    after_pts: i64,
    before_pts: i64,
    decoding: &GapDecoding,
) -> Result<Vec<GapPicture>, MediaError> {
    let half_frame = (500_000.0 / decoding.frame_rate).round() as i64;
    // From half a frame after the frame before the gap to half a frame before the frame
    // after it: exactly the skipped frames.
    let start = (after_pts + half_frame).max(0);
    let end = before_pts - half_frame;
    if end <= start {
        return Ok(Vec::new());
    }
    let window = SeekWindow {
        start_micros: start,
        length_micros: end - start,
    };
    let (width, height) = decoding.size;
    let mut command = decode_command(
        path,
        DecodeSizes {
            detect: decoding.size,
            sample: None,
        },
        None,
        Some(window),
        1,
    );
    let mut tool = StreamingTool::spawn("ffmpeg", &mut command)?;
    let frame_bytes = width as usize * height as usize * 3;
    let mut pictures = Vec::new();
    loop {
        let mut rgb = vec![0u8; frame_bytes];
        if !tool.read_frame(&mut rgb)? {
            break;
        }
        let Ok(stamp) = tool.frame_times.recv_timeout(Duration::from_secs(5)) else {
            continue;
        };
        let Some(pts) = stamp.pts else {
            continue;
        };
        // Input seeking starts the window's timestamps at the seek point.
        let pts = start + pts;
        if pts > after_pts && pts < before_pts {
            pictures.push(GapPicture { pts, rgb });
        }
    }
    if let Err((error, stderr)) = tool.finish() {
        return Err(error.unwrap_or(MediaError::ToolFailed {
            tool: "ffmpeg",
            reason: stderr.lines().last().unwrap_or("").to_string(),
        }));
    }
    Ok(pictures)
}
