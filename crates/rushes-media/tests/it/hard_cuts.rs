//! Hard cuts as PySceneDetect's ContentDetector reports them, on clips cut from the bench
//! reel's sources: every cut it finds must be among ours, within one frame.

use rushes_media::{SamplingConfig, detect_shots};

use crate::common::{MERGED_CUT_CLIP_PYSCENEDETECT_CUTS, TestResult, analyse_all, merged_cut_clip};

/// Regression: PySceneDetect's cut at 132.64 s of the bench reel was missed. Megamind's own
/// cut falls on the last frame of a segment, so two frames in a row score above the
/// threshold (4.96 s, 5.0 s); PySceneDetect's merge rule then reports the *last* of the next
/// cluster of cuts closer than 15 frames (vtest → Megamind at 6.6 s, Megamind's cut 11
/// frames later at 7.04 s), where a "first cut wins" minimum shot length keeps only 6.6 s.
/// The segments are the reel's frames 3065-3384 (Megamind from 2.5 s and 6.0 s, vtest from
/// 8 s, mirrored), behind one second of vtest. PySceneDetect 0.7.2 finds frames 25, 66,
/// 124 and 176 here.
#[test]
fn missed_cut_where_pyscenedetect_merges_a_cluster_to_its_last_cut() -> TestResult {
    finds_pyscenedetect_cuts_of_the_merged_cut_clip(&[])
}

/// The same clip with B-frames as the bench reel has them (x264 `bframes=3`, pyramid): the
/// decoder skips every non-reference frame (about half of them here) and every
/// PySceneDetect cut (the same four frames) is still found within one frame.
#[test]
fn cuts_are_found_within_a_frame_when_non_reference_frames_are_skipped() -> TestResult {
    finds_pyscenedetect_cuts_of_the_merged_cut_clip(&["-x264-params", "bframes=3:b-pyramid=normal"])
}

/// The same clip with runs of non-reference frames (x264 `bframes=3`, no pyramid: three
/// B-frames in a row, none of them decoded), so the decoded frames are four apart: every
/// PySceneDetect cut is still found within one frame.
#[test]
fn cuts_are_found_within_a_frame_when_runs_of_non_reference_frames_are_skipped() -> TestResult {
    finds_pyscenedetect_cuts_of_the_merged_cut_clip(&["-x264-params", "bframes=3:b-pyramid=none"])
}

/// Regression (issue 3): IBBP runs (x264 `bframes=2`, no pyramid) skip both frames of the
/// two-cuts-in-a-row at 4.96/5.0 s that start PySceneDetect's merge; its cut at 7.04 s was lost.
#[test]
fn merged_cut_is_found_when_ibbp_runs_skip_the_frames_that_start_the_merge() -> TestResult {
    finds_pyscenedetect_cuts_of_the_merged_cut_clip(&["-x264-params", "bframes=2:b-pyramid=none"])
}

fn finds_pyscenedetect_cuts_of_the_merged_cut_clip(encoder_options: &[&str]) -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = merged_cut_clip(dir.path(), "merged-cuts.mp4", encoder_options)?;
    let (info, shots, _) = analyse_all(&clip)?;
    let cuts: Vec<f64> = shots.iter().skip(1).map(|shot| shot.start).collect();
    let frame = 1.0 / 25.0;
    let found = |at: f64| cuts.iter().any(|cut| (cut - at).abs() <= frame + 1e-6);
    for pyscenedetect_cut in MERGED_CUT_CLIP_PYSCENEDETECT_CUTS {
        assert!(
            found(pyscenedetect_cut),
            "PySceneDetect's cut at {pyscenedetect_cut} s is missing from {cuts:?}"
        );
    }
    // The segment boundary PySceneDetect merges away is a real cut: kept.
    assert!(found(6.6), "the cut into Megamind at 6.6 s: {cuts:?}");
    // 4.96 s and 5.0 s, one frame apart, are one cut.
    assert_eq!(cuts.len(), 5, "cuts found: {cuts:?}");
    // The shots-only decode finds the same boundaries.
    assert_eq!(
        detect_shots(&clip, &info, &SamplingConfig::default())?,
        shots
    );
    Ok(())
}
