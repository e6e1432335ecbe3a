//! `frame_at` (contact sheets, stills of a moment) on a transport stream: MPEG-TS has no
//! index, so a plain `-ss` lands on a packet past the wanted frame and the decode starts at
//! the next keyframe (the next shot's), or finds none before the end. The grab seeks further
//! back as the gap decode does and returns the frame shown at the time asked.

use rushes_core::AssetKind;
use rushes_media::{frame_at, probe};

use crate::common::{TestResult, ffmpeg, is_red, path_str};

fn is_blue(pixel: &image::Rgb<u8>) -> bool {
    pixel[2] > 180 && pixel[0] < 80 && pixel[1] < 80
}

/// Regression (issue 3): at 1.5 and 2.5 s (red shot) the grab was the blue shot's keyframe
/// at 3 s; at 4.5 s and later (blue shot, no keyframe after it) it found no frame.
#[test]
fn frames_grabbed_from_a_transport_stream_are_the_ones_shown_at_that_time() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = dir.path().join("two-shots.ts");
    // Red for 3 s, then blue for 3 s; one GOP per shot (the cut is the only other keyframe).
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=red:s=320x240:r=25:d=3",
        "-f",
        "lavfi",
        "-i",
        "color=c=blue:s=320x240:r=25:d=3",
        "-filter_complex",
        "[0][1]concat=n=2:v=1:a=0[v]",
        "-map",
        "[v]",
        "-c:v",
        "libx264",
        "-g",
        "250",
        "-pix_fmt",
        "yuv420p",
        path_str(&clip),
    ])?;
    let info = probe(&clip, AssetKind::Video)?;
    for (seconds, red) in [
        (0.0, true),
        (1.5, true),
        (2.9, true),
        (3.1, false),
        (4.5, false),
        (5.9, false),
    ] {
        let frame = frame_at(&clip, &info, seconds, 160)?;
        assert_eq!((frame.width(), frame.height()), (160, 120));
        let pixel = frame.get_pixel(80, 60);
        let expected = if red { "red" } else { "blue" };
        assert!(
            if red { is_red(pixel) } else { is_blue(pixel) },
            "the frame at {seconds} s should be {expected}: {pixel:?}"
        );
    }
    Ok(())
}
