//! The ffmpeg command line of a video decode, shared by the streaming decode (`analyze`) and
//! its full-rate second look at gaps (`refine`): the scaler, the two output sizes, the
//! optional seek window, and the command that ties them together.

use std::path::Path;
use std::process::Command;

use crate::tools::{SAMPLE_SHOWINFO, ffmpeg_command};

/// The scaler of the decode's first output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scaling {
    /// Two-tap, as PySceneDetect's resize: fast, for detection frames.
    TwoTap,
    /// A proper bilinear: for pictures shown to people.
    Bilinear,
}

impl Scaling {
    fn ffmpeg_flags(self) -> &'static str {
        match self {
            Scaling::TwoTap => "fast_bilinear",
            Scaling::Bilinear => "bilinear",
        }
    }
}

/// Frame sizes of the two outputs of the decode.
pub(crate) struct DecodeSizes {
    pub detect: (u32, u32),
    /// How the first output is scaled.
    pub detect_scaling: Scaling,
    /// `None`: no sample output.
    pub sample: Option<(u32, u32)>,
}

/// A stretch of the file decoded alone, every frame (no frame skipping): input-seeked to
/// `start_micros`, `length_micros` long. Output timestamps start at the seek point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SeekWindow {
    pub start_micros: i64,
    pub length_micros: i64,
}

/// One ffmpeg, one decode, two raw RGB outputs: every frame, tiny, for shot detection on
/// stdout; the frames `sample_select` (an ffmpeg `select` filter) lets through, at model size, on fd 0
/// (unless `sizes.sample` or `sample_select` is `None`). Timestamps are rebased
/// to microseconds (`settb=AVTB`) so both outputs and the plan share exact integers. Each
/// output has a showinfo for its stamps.
///
/// The sample output goes to fd 0 because a child only has three standard descriptors and
/// std cannot hand it a fourth without `unsafe`: ffmpeg runs with `-nostdin` and fd 0 is
/// the write end of our pipe.
/// With a `window`, only that stretch is decoded, and every frame of it.
pub(crate) fn decode_command(
    path: &Path,
    sizes: DecodeSizes,
    sample_select: Option<&str>,
    window: Option<SeekWindow>,
    threads: usize,
) -> Command {
    let DecodeSizes {
        detect: (detect_width, detect_height),
        detect_scaling,
        sample,
    } = sizes;
    let mut command = ffmpeg_command();
    command.args(["-nostdin", "-hide_banner", "-nostats", "-loglevel", "info"]);
    let threads = if threads > 0 {
        threads
    } else {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    };
    command.args(["-threads", &threads.to_string()]);
    // Skipping the in-loop deblocking filter saves about a fifth of H.264 decoding. The
    // pictures drift a little from the encoder's until the next keyframe (50 dB PSNR against
    // a full decode at 960 px on the bench reel, 44 dB at worst): invisible to the detector,
    // which works on 256-px averages, and to the models. Decoders without one ignore it.
    command.args(["-skip_loop_filter", "all"]);
    // Frames no other frame refers to (H.264/HEVC non-reference B-frames, about every other
    // frame of a long-GOP camera or x264 file) are not decoded at all: 40% less decoding on
    // the bench reel. Where the frames left are more than two apart (runs of B-frames), the
    // cuts found are decoded again at full rate (`refine`), so every cut lands on the frame
    // it happened on or the one after, within the ±1 frame we promise. Intra-only and
    // B-frame-less files lose nothing. A window is that second look: every frame.
    match window {
        None => {
            command.args(["-skip_frame", "noref"]);
        }
        Some(window) => {
            command.args([
                "-ss",
                &micros_to_seconds_arg(window.start_micros),
                "-t",
                &micros_to_seconds_arg(window.length_micros),
            ]);
        }
    }
    // ffmpeg rotates by the display matrix first (autorotate is on by default), so the
    // sizes are display sizes. Detection frames use a two-tap filter, as PySceneDetect's
    // bilinear resize does; sampled frames a proper bilinear.
    let detect = format!(
        "scale={detect_width}:{detect_height}:flags={},format=rgb24,showinfo=checksum=0",
        detect_scaling.ffmpeg_flags()
    );
    let (graph, outputs) = match sample.zip(sample_select) {
        Some(((width, height), select)) => (
            format!(
                "[0:V:0]settb=AVTB,split=2[detect][sample];[detect]{detect}[detect_out];\
                 [sample]{select},{SAMPLE_SHOWINFO}=checksum=0,\
                 scale={width}:{height}:flags=bilinear,format=rgb24[sample_out]",
            ),
            &[("[detect_out]", "pipe:1"), ("[sample_out]", "pipe:0")][..],
        ),
        None => (
            format!("[0:V:0]settb=AVTB,{detect}[detect_out]"),
            &[("[detect_out]", "pipe:1")][..],
        ),
    };
    command
        .arg("-i")
        .arg(path)
        .args(["-filter_complex", &graph]);
    for (label, target) in outputs {
        command.args([
            "-map",
            label,
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            target,
        ]);
    }
    command
}

/// Exact microseconds as an ffmpeg duration argument ("1.040000").
fn micros_to_seconds_arg(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let micros = micros.unsigned_abs();
    format!("{sign}{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}
