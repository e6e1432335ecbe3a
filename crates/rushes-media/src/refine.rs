//! The full-rate second look at a gap the skipping decode left: when a hard cut is found on a
//! decoded frame more than two frame positions after the decoded frame before it (a run of
//! non-reference frames was not decoded), the frames in between are decoded again without
//! skipping, as tiny detection frames, while the main decode waits. The shot detectors then
//! see every frame of the gap ([`crate::shots::BoundaryFinder::push`] asks for them), so the
//! cut lands on its own frame and PySceneDetect's merge rule counts the cuts inside the gap.
//! The cost is one short decode per gap that ends on a cut. The decode that seeks back until
//! it reaches a wanted frame ([`decode_from_frame_at`]) also serves `frame_at`.

use std::path::Path;
use std::time::Duration;

use crate::MediaError;
use crate::decode::{DecodeSizes, Scaling, SeekWindow, decode_command};
use crate::tools::StreamingTool;

/// How the gaps are decoded: the detection frame size and the nominal frame rate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GapDecoding {
    pub frame_rate: f64,
    /// Detection frame size.
    pub size: (u32, u32),
    pub scaling: Scaling,
}

impl GapDecoding {
    pub(crate) fn half_frame_micros(&self) -> i64 {
        (500_000.0 / self.frame_rate).round() as i64
    }
}

/// A frame of a gap: its timestamp on the main decode's timeline (microseconds) and its
/// tiny RGB detection picture.
pub(crate) struct GapPicture {
    pub pts: i64,
    pub rgb: Vec<u8>,
}

/// How far before the gap the second decode seeks, in turn, until it starts early enough
/// (seconds). Containers with an index (MP4, MOV, Matroska, AVI) seek to the keyframe before
/// the gap at the first try. MPEG-TS (AVCHD `.mts`, broadcast) has none: ffmpeg seeks to a
/// packet by its timestamp, usually not a keyframe, and the decode starts at the next
/// keyframe, possibly inside or after the gap, so it starts again further back, up to the
/// longest GOP we expect from a camera.
const LEAD_INS: [f64; 6] = [0.0, 1.0, 2.0, 4.0, 8.0, 16.0];

/// Every frame strictly between the decoded frames at `after_pts` and `before_pts`
/// (microseconds on the main decode's timeline, which counts from the container's start
/// time as `-ss` does), in order. Empty when no decode starting at most
/// [`LEAD_INS`]' last seconds before the gap reaches the frame before it (the gap cannot be
/// shown to be complete). `alive` is called for every frame decoded (the main decode's
/// watchdog must not take the wait for a stall).
pub(crate) fn decode_gap(
    path: &Path,
    after_pts: i64,
    before_pts: i64,
    decoding: &GapDecoding,
    alive: &dyn Fn(),
) -> Result<Vec<GapPicture>, MediaError> {
    let half_frame = decoding.half_frame_micros();
    // Up to half a frame before the frame after the gap: exactly the skipped frames.
    let end = before_pts - half_frame;
    if end <= after_pts + half_frame {
        return Ok(Vec::new());
    }
    let mut pictures = Vec::new();
    let reached = decode_from_frame_at(path, after_pts, end, decoding, alive, &mut |picture| {
        if picture.pts > after_pts && picture.pts < before_pts {
            pictures.push(picture);
        }
    })?;
    if !reached {
        tracing::warn!(path = %path.display(), after_pts, before_pts, "no keyframe found within {} s before a skipped gap", LEAD_INS[LEAD_INS.len() - 1]);
    }
    Ok(pictures)
}

/// Decodes every frame from the one shown at `from_pts` up to `end_pts` (microseconds on
/// the `-ss` timeline, the container's start time at 0) and hands each to `on_picture`, in
/// order. Seeks [`LEAD_INS`] further back in turn until the decode starts at or before
/// `from_pts`; frames of an attempt that started too late are not handed on. False when no
/// attempt reached `from_pts` (nothing was handed on).
pub(crate) fn decode_from_frame_at(
    path: &Path,
    from_pts: i64,
    end_pts: i64,
    decoding: &GapDecoding,
    alive: &dyn Fn(),
    on_picture: &mut dyn FnMut(GapPicture),
) -> Result<bool, MediaError> {
    let half_frame = decoding.half_frame_micros();
    for lead_in in LEAD_INS {
        // From half a frame before the frame at `from_pts` (and the lead-in), so that the
        // decode shows it reached that frame.
        let start = (from_pts - half_frame - (lead_in * 1_000_000.0) as i64).max(0);
        let window = SeekWindow {
            start_micros: start,
            length_micros: end_pts - start,
        };
        let mut first_pts = None;
        decode_window(path, window, decoding, alive, &mut |picture| {
            let first = *first_pts.get_or_insert(picture.pts);
            if start == 0 || first <= from_pts + half_frame {
                on_picture(picture);
            }
        })?;
        if start == 0 || first_pts.is_some_and(|first| first <= from_pts + half_frame) {
            return Ok(true);
        }
        tracing::debug!(
            path = %path.display(),
            from_pts,
            first_decoded = first_pts,
            lead_in,
            "the seek started after the wanted frame; seeking further back"
        );
    }
    Ok(false)
}

/// Every frame of `window`, decoded at full rate, with its timestamp on the main decode's
/// timeline, handed to `on_picture` as it comes.
fn decode_window(
    path: &Path,
    window: SeekWindow,
    decoding: &GapDecoding,
    alive: &dyn Fn(),
    on_picture: &mut dyn FnMut(GapPicture),
) -> Result<(), MediaError> {
    let (width, height) = decoding.size;
    let mut command = decode_command(
        path,
        DecodeSizes {
            detect: decoding.size,
            detect_scaling: decoding.scaling,
            sample: None,
        },
        None,
        Some(window),
        1,
    );
    let mut tool = StreamingTool::spawn("ffmpeg", &mut command)?;
    let frame_bytes = width as usize * height as usize * 3;
    loop {
        let mut rgb = vec![0u8; frame_bytes];
        if !tool.read_frame(&mut rgb)? {
            break;
        }
        alive();
        let Ok(stamp) = tool.frame_times.recv_timeout(Duration::from_secs(5)) else {
            continue;
        };
        let Some(pts) = stamp.pts else {
            continue;
        };
        // Input seeking starts the window's timestamps at the seek point.
        on_picture(GapPicture {
            pts: window.start_micros + pts,
            rgb,
        });
    }
    if let Err((error, stderr)) = tool.finish() {
        return Err(error.unwrap_or(MediaError::ToolFailed {
            tool: "ffmpeg",
            reason: stderr.lines().last().unwrap_or("").to_string(),
        }));
    }
    Ok(())
}
