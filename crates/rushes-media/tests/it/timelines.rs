//! Files whose container timeline does not start at 0 (MPEG-TS starts at about 1.4 s; MP4
//! and Matroska muxed with an offset, as camera files with an edit list or a recorder's
//! clock): shots and sampled frames are seconds from the file's first frame, where a player
//! starts and where `ffmpeg -ss` (export, stills, thumbnails) counts from, the same as for
//! the same pictures in a file starting at 0 — including the cuts found by decoding a
//! skipped gap again (IBBP: every third frame decoded).

use crate::common::{
    MERGED_CUT_CLIP_PYSCENEDETECT_CUTS, TestResult, analyse_all, ffmpeg, merged_cut_clip, path_str,
};

/// x264 `bframes=2`, no pyramid: the decoded frames are three positions apart, so the cut
/// at 4.96 s and its neighbour are skipped frames found by decoding their gap again.
const IBBP: [&str; 2] = ["-x264-params", "bframes=2:b-pyramid=none"];

/// Regression (issue 3): the skipped gap's second decode seeks with `-ss`, which counts
/// from the container's start time.
#[test]
fn cuts_in_a_transport_stream_are_seconds_from_its_first_frame() -> TestResult {
    same_timeline_as_the_file_starting_at_zero("clip.ts", &[], &[], 8.2)
}

/// Regression (issue 3): the last shot ended at the MP4 header's duration, which counts the
/// 10 s before the first frame (18.2 s for this 8.2 s clip).
#[test]
fn cuts_in_an_mp4_whose_timeline_starts_at_10_s_are_seconds_from_its_first_frame() -> TestResult {
    same_timeline_as_the_file_starting_at_zero("clip.mp4", &[], &["-output_ts_offset", "10"], 8.2)
}

/// A transport stream whose audio starts half a second before its video: the times count
/// from the video's first frame (ffmpeg's decode of the video alone starts there), the gap's
/// second decode included; the file, its audio, ends half a second after the last picture.
#[test]
fn cuts_in_a_transport_stream_whose_audio_starts_first_are_seconds_from_its_first_frame()
-> TestResult {
    same_timeline_as_the_file_starting_at_zero(
        "audio-first.ts",
        &["-itsoffset", "0.5"],
        &["-f", "lavfi", "-i", "sine=duration=8.7", "-c:a", "mp2"],
        8.7,
    )
}

/// The IBBP merged-cut clip remuxed (video copied) to `name` with `clip_options` before it
/// as an input and `mux_options` after it, against the clip itself: the same cuts, shot
/// bounds and sample times within a frame, the last shot ending at `file_end`.
fn same_timeline_as_the_file_starting_at_zero(
    name: &str,
    clip_options: &[&str],
    mux_options: &[&str],
    file_end: f64,
) -> TestResult {
    let dir = tempfile::tempdir()?;
    let at_zero = merged_cut_clip(dir.path(), "at-zero.mp4", &IBBP)?;
    let shifted = dir.path().join(name);
    let mut args = clip_options.to_vec();
    args.extend_from_slice(&["-i", path_str(&at_zero)]);
    args.extend_from_slice(mux_options);
    args.extend_from_slice(&["-c:v", "copy"]);
    args.push(path_str(&shifted));
    ffmpeg(&args)?;
    let start_time = rushes_media::container_start_seconds(&shifted)?;
    assert!(
        start_time > 1.0,
        "the fixture's timeline starts late: {start_time} s"
    );

    let (_, expected_shots, expected_frames) = analyse_all(&at_zero)?;
    let (_, shots, frames) = analyse_all(&shifted)?;
    let frame = 1.0 / 25.0;
    let close = |a: f64, b: f64| (a - b).abs() <= frame + 1e-6;
    let cuts: Vec<f64> = shots.iter().skip(1).map(|shot| shot.start).collect();
    for pyscenedetect_cut in MERGED_CUT_CLIP_PYSCENEDETECT_CUTS {
        assert!(
            cuts.iter().any(|&cut| close(cut, pyscenedetect_cut)),
            "PySceneDetect's cut at {pyscenedetect_cut} s (from the first frame) is missing \
             from {cuts:?} (container starts at {start_time} s)"
        );
    }
    // Every start and end but the last shot's end (the file's, below).
    let bounds = |shots: &[rushes_media::Shot]| -> Vec<f64> {
        let mut bounds: Vec<f64> = shots
            .iter()
            .flat_map(|shot| [shot.start, shot.end])
            .collect();
        bounds.pop();
        bounds
    };
    assert_all_within_a_frame(
        "shot starts and ends",
        &bounds(&shots),
        &bounds(&expected_shots),
    );
    assert!(
        shots
            .last()
            .is_some_and(|last| (last.end - file_end).abs() <= 0.02),
        "the last shot ends with the file at {file_end} s: {shots:?}"
    );
    let times = |frames: &[rushes_media::SampledFrame]| -> Vec<f64> {
        frames.iter().map(|frame| frame.time).collect()
    };
    assert_all_within_a_frame(
        "sampled frame times",
        &times(&frames),
        &times(&expected_frames),
    );
    Ok(())
}

/// Asserts that `times` are `expected` (of the file starting at 0), one by one, within a
/// frame at 25 fps.
fn assert_all_within_a_frame(what: &str, times: &[f64], expected: &[f64]) {
    let within_a_frame = times.len() == expected.len()
        && times
            .iter()
            .zip(expected)
            .all(|(time, expected)| (time - expected).abs() <= 1.0 / 25.0 + 1e-6);
    assert!(
        within_a_frame,
        "{what}: {times:?}, starting at 0: {expected:?}"
    );
}
