//! Gradual transitions on real footage: a cross-dissolve and a fade to black are shot
//! boundaries near their middle; people walking and an action trailer's motion add none.

use rushes_core::AssetKind;
use rushes_media::{SamplingConfig, detect_shots, probe};

use crate::common::{TestResult, analyse_all, opencv_data, vtest_megamind_clip};

/// The same 320x240, 25 fps, for both sources.
const NORMALISE: &str = "scale=320:240,setsar=1,fps=25,format=yuv420p";

fn cut_times(shots: &[rushes_media::Shot]) -> Vec<f64> {
    shots.iter().skip(1).map(|shot| shot.start).collect()
}

/// vtest dissolving over one second (2 s to 3 s) into 2.5 s of Megamind (a stretch
/// without cuts): one boundary, within half the dissolve of its middle (2.5 s). No frame
/// pair here reaches the hard-cut threshold (PySceneDetect's ContentDetector finds no cut
/// in this clip): the boundary is the dissolve detector's.
#[test]
fn a_cross_dissolve_is_one_boundary_at_its_middle() -> TestResult {
    cross_dissolve_is_one_boundary_at_its_middle(&[])
}

/// Regression (issue 3): with x264's B-pyramid the decode skips every other frame and the
/// dissolve detector, counting decoded frames, gave two boundaries (2.24 s and 2.96 s).
#[test]
fn a_cross_dissolve_is_one_boundary_when_every_other_frame_is_skipped() -> TestResult {
    cross_dissolve_is_one_boundary_at_its_middle(&["-x264-params", "bframes=3:b-pyramid=normal"])
}

/// Runs of non-reference frames (x264 `bframes=2`, no pyramid, as IBBP camera files): only
/// every third frame is decoded, so the detector's window and middle frame fall on frames
/// three positions apart.
#[test]
fn a_cross_dissolve_is_one_boundary_when_two_frames_in_three_are_skipped() -> TestResult {
    cross_dissolve_is_one_boundary_at_its_middle(&["-x264-params", "bframes=2:b-pyramid=none"])
}

/// Runs of three non-reference frames (x264 `bframes=3`, no pyramid): every fourth frame.
#[test]
fn a_cross_dissolve_is_one_boundary_when_three_frames_in_four_are_skipped() -> TestResult {
    cross_dissolve_is_one_boundary_at_its_middle(&["-x264-params", "bframes=3:b-pyramid=none"])
}

fn cross_dissolve_is_one_boundary_at_its_middle(encoder_options: &[&str]) -> TestResult {
    let dir = tempfile::tempdir()?;
    let graph = format!(
        "[0:v]trim=0:4,setpts=PTS-STARTPTS,{NORMALISE}[a];\
         [1:v]trim=1:3.5,setpts=PTS-STARTPTS,{NORMALISE}[b];\
         [a][b]xfade=transition=dissolve:duration=1:offset=2[out]"
    );
    let clip = vtest_megamind_clip(dir.path(), "dissolve.mp4", &graph, encoder_options)?;
    let (info, shots, frames) = analyse_all(&clip)?;
    let cuts = cut_times(&shots);
    assert_eq!(cuts.len(), 1, "one boundary in the dissolve: {cuts:?}");
    assert!(
        (cuts[0] - 2.5).abs() <= 0.5,
        "the boundary sits inside the dissolve, near 2.5 s: {cuts:?}"
    );
    assert!(
        frames.iter().any(|frame| frame.shot == 1),
        "the shot after the dissolve has frames"
    );
    // The shots-only decode finds the same boundaries.
    let shots_only = detect_shots(&clip, &info, &SamplingConfig::default())?;
    assert_eq!(shots_only, shots);
    Ok(())
}

/// vtest fades to black over one second (2 s to 3 s), then Megamind cuts in: one boundary,
/// in the fade's dark second half or at its end.
#[test]
fn a_fade_to_black_then_a_cut_is_one_boundary_in_the_dark_frames() -> TestResult {
    let dir = tempfile::tempdir()?;
    let graph = format!(
        "[0:v]trim=0:3,setpts=PTS-STARTPTS,{NORMALISE},fade=t=out:st=2:d=1[a];\
         [1:v]trim=1:3,setpts=PTS-STARTPTS,{NORMALISE}[b];\
         [a][b]concat=n=2:v=1:a=0[out]"
    );
    let clip = vtest_megamind_clip(dir.path(), "fade-out.mp4", &graph, &[])?;
    let (_, shots, _) = analyse_all(&clip)?;
    let cuts = cut_times(&shots);
    assert_eq!(cuts.len(), 1, "one boundary: {cuts:?}");
    assert!(
        (2.5..=3.0 + 0.04 + 1e-6).contains(&cuts[0]),
        "the boundary is in the fade's dark frames: {cuts:?}"
    );
    Ok(())
}

/// Eight minutes of a static street camera with people walking through: one shot.
#[test]
fn people_walking_past_a_static_camera_are_one_shot() -> TestResult {
    let path = opencv_data("vtest.avi");
    let info = probe(&path, AssetKind::Video)?;
    let shots = detect_shots(&path, &info, &SamplingConfig::default())?;
    assert_eq!(shots.len(), 1, "cuts found: {:?}", cut_times(&shots));
    Ok(())
}

/// The Megamind trailer's fast action: its three hard cuts (where ffmpeg's own scene score
/// puts them: 4.129, 6.465 and 8.383 s) and no other boundary.
#[test]
fn an_action_trailer_has_only_its_hard_cuts() -> TestResult {
    let path = opencv_data("Megamind.avi");
    let info = probe(&path, AssetKind::Video)?;
    let shots = detect_shots(&path, &info, &SamplingConfig::default())?;
    let cuts = cut_times(&shots);
    let frame = 1.0 / info.frame_rate.unwrap_or(24.0);
    let expected = [4.129, 6.465, 8.383];
    assert_eq!(cuts.len(), expected.len(), "cuts found: {cuts:?}");
    for (cut, want) in cuts.iter().zip(expected) {
        assert!(
            (cut - want).abs() <= frame + 1e-3,
            "{cuts:?}, want {expected:?}"
        );
    }
    Ok(())
}
