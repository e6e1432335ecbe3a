//! Shared helpers: paths of the opencv-doc footage and running ffmpeg to make fixtures.

use std::path::{Path, PathBuf};

use rushes_core::AssetKind;
use rushes_media::{SampledFrame, SamplingConfig, analyze_video, probe};
pub use rushes_testkit::{ffmpeg, opencv_data, path_str};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// An upright test card `width`x`height`: blue, with a red block in the top-left corner.
pub fn corner_card_filter(width: u32, height: u32) -> String {
    format!(
        "color=blue:size={width}x{height}:rate=25:duration=1,drawbox=x=0:y=0:w={}:h={}:color=red:t=fill",
        width / 4,
        height / 4
    )
}

/// True when the pixel is clearly red.
pub fn is_red(pixel: &image::Rgb<u8>) -> bool {
    pixel[0] > 180 && pixel[1] < 80 && pixel[2] < 80
}

/// Encodes `graph` over inputs vtest.avi (`[0:v]`) and Megamind.avi (`[1:v]`), output
/// `[out]`, to `name` in `dir`, with extra output options `options`.
pub fn vtest_megamind_clip(
    dir: &Path,
    name: &str,
    graph: &str,
    options: &[&str],
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let out = dir.join(name);
    let (vtest, megamind) = (opencv_data("vtest.avi"), opencv_data("Megamind.avi"));
    let mut args = vec![
        "-i",
        path_str(&vtest),
        "-i",
        path_str(&megamind),
        "-filter_complex",
        graph,
        "-map",
        "[out]",
    ];
    args.extend_from_slice(options);
    args.extend_from_slice(&["-c:v", "libx264", "-preset", "ultrafast", path_str(&out)]);
    ffmpeg(&args)?;
    Ok(out)
}

/// What one default analysis of a file gives: its probe, shots and sampled frames.
pub type Analysis = (
    rushes_core::MediaInfo,
    Vec<rushes_media::Shot>,
    Vec<SampledFrame>,
);

/// Every shot and sampled frame of `path` with the default plan.
pub fn analyse_all(path: &Path) -> Result<Analysis, Box<dyn std::error::Error>> {
    let info = probe(path, AssetKind::Video)?;
    let mut frames: Vec<SampledFrame> = Vec::new();
    let shots = analyze_video(path, &info, &SamplingConfig::default(), &mut |batch| {
        frames.extend(batch);
        Ok(())
    })?;
    Ok((info, shots, frames))
}

/// 512x288 at 25 fps, filling the frame, like the bench reel (at a fifth of its size).
const FILL: &str =
    "fps=25,scale=512:288:force_original_aspect_ratio=increase,crop=512:288,setsar=1";

/// The cuts PySceneDetect 0.7.2 reports on [`merged_cut_clip`] (frames 25, 66, 124, 176),
/// in seconds.
pub const MERGED_CUT_CLIP_PYSCENEDETECT_CUTS: [f64; 4] = [1.0, 2.64, 4.96, 7.04];

/// The bench reel's frames 3065-3384 (Megamind from 2.5 s and 6.0 s, vtest from 8 s,
/// mirrored) behind one second of vtest, 8.2 s at 25 fps, encoded to `name` in `dir` with
/// extra output options `encoder_options`. Megamind's own cut falls on the last frame of a
/// segment, so two frames in a row score above the threshold (4.96 s, 5.0 s); the cut into
/// Megamind at 6.6 s and Megamind's cut 11 frames later (7.04 s) are a cluster
/// PySceneDetect's merge rule reports by its last cut.
pub fn merged_cut_clip(
    dir: &Path,
    name: &str,
    encoder_options: &[&str],
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let graph = format!(
        "[0:v]split=2[v0][v1];[1:v]split=2[m0][m1];\
         [v0]{FILL},trim=end_frame=25[a];\
         [m0]trim=start=2.5,setpts=PTS-STARTPTS,{FILL},trim=end_frame=100[b];\
         [v1]trim=start=8,setpts=PTS-STARTPTS,{FILL},hflip,trim=end_frame=40[c];\
         [m1]trim=start=6,setpts=PTS-STARTPTS,{FILL},hflip,trim=end_frame=40[d];\
         [a][b][c][d]concat=n=4:v=1:a=0,format=yuv420p[out]"
    );
    vtest_megamind_clip(dir, name, &graph, encoder_options)
}
