//! Shared helpers: paths of the opencv-doc footage and running ffmpeg to make fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub fn opencv_data(name: &str) -> PathBuf {
    Path::new("/usr/share/doc/opencv-doc/examples/data").join(name)
}

/// Runs ffmpeg quietly with `args`, failing the test with its stderr if it fails.
pub fn ffmpeg(args: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-v", "error", "-y"])
        .args(args)
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "ffmpeg {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

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
