//! Times `analyze_video` (decode + shot detection + sampling) against the equivalent ffmpeg
//! CLI command — decode the same file, keep one frame per sampling interval, scale it to
//! the same size as RGB — and `detect_shots` (the same decode with the sample output off,
//! the figure to set against a shot detector), and prints one JSON line with our cut list. The file comes from
//! `RUSHES_BENCH_VIDEO`; without it the bench is skipped.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use rushes_core::AssetKind;
use rushes_media::{SamplingConfig, analyze_video, detect_shots, probe};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::var_os("RUSHES_BENCH_VIDEO").map(PathBuf::from) else {
        eprintln!("sampling bench skipped: set RUSHES_BENCH_VIDEO to a video file");
        return Ok(());
    };
    let info = probe(&path, AssetKind::Video)?;
    let config = SamplingConfig::default();
    // `RUSHES_BENCH_ONLY=shots`: just `detect_shots`, for profiling the cut detection alone.
    if std::env::var("RUSHES_BENCH_ONLY").is_ok_and(|only| only == "shots") {
        let started = Instant::now();
        let shots = detect_shots(&path, &info, &config)?;
        let line = serde_json::json!({
            "bench": "shots",
            "file": path.display().to_string(),
            "shots_only_seconds": started.elapsed().as_secs_f64(),
            "cuts": shots.iter().skip(1).map(|shot| shot.start).collect::<Vec<f64>>(),
        });
        println!("{line}");
        return Ok(());
    }

    let started = Instant::now();
    let mut sampled = 0usize;
    let shots = analyze_video(&path, &info, &config, &mut |batch| {
        sampled += batch.len();
        Ok(())
    })?;
    let rushes_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let shots_only = detect_shots(&path, &info, &config)?;
    let shots_only_seconds = started.elapsed().as_secs_f64();
    if shots_only != shots {
        return Err(format!("detect_shots found {shots_only:?}, analyze_video {shots:?}").into());
    }

    let (width, height) = (info.width.unwrap_or(0), info.height.unwrap_or(0));
    let longest = width.max(height).max(1);
    let scale = f64::from(config.max_side.min(longest)) / f64::from(longest);
    let size = format!(
        "fps=1/{},scale={}:{}",
        config.interval,
        (f64::from(width) * scale).round() as u32,
        (f64::from(height) * scale).round() as u32
    );
    let started = Instant::now();
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(&path)
        .args([
            "-map",
            "0:V:0",
            "-vf",
            &format!("{size},format=rgb24"),
            "-f",
            "rawvideo",
            "pipe:1",
        ])
        .stdout(Stdio::null())
        .status()?;
    let ffmpeg_seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err("ffmpeg baseline failed".into());
    }
    let line = serde_json::json!({
        "bench": "sampling",
        "file": path.display().to_string(),
        "duration": info.duration,
        "shots": shots.len(),
        "sampled_frames": sampled,
        "rushes_seconds": rushes_seconds,
        "shots_only_seconds": shots_only_seconds,
        "cuts": shots.iter().skip(1).map(|shot| shot.start).collect::<Vec<f64>>(),
        "ffmpeg_sample_seconds": ffmpeg_seconds,
        "overhead_ratio": rushes_seconds / ffmpeg_seconds.max(1e-9),
        "realtime_factor": info.duration.unwrap_or(0.0) / rushes_seconds.max(1e-9),
    });
    println!("{line}");
    Ok(())
}
