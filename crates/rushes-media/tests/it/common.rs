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
