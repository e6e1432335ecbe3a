//! Integration tests of rushes-ingest: whole index runs over generated media, each in its
//! own temporary folder.

mod semantic_units;
mod vanished_files;

use std::path::{Path, PathBuf};
use std::process::Command;

/// `seconds` of ffmpeg's test card, 160x120, as H.264 in `dir/name`.
pub fn test_card_clip(
    dir: &Path,
    name: &str,
    seconds: u32,
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let path = dir.join(name);
    let output = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-hide_banner",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("testsrc=size=160x120:rate=25:duration={seconds}"))
        .args(["-c:v", "libx264", "-preset", "ultrafast"])
        .arg(&path)
        .output()?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    Ok(path)
}
