//! Speech to searchable transcript through the real CLI: audio decoded by ffmpeg, speech
//! found by the real Silero VAD, transcribed by the scripted Whisper fixture through ONNX
//! Runtime, stored as transcript lines with their times; a sidecar transcript wins, and
//! `--no-speech` turns it off.

use std::path::Path;
use std::process::Command;

use crate::footage::{assert_found_moment, file_name, hits_of, repo_root};
use crate::visual::{index_with_models, rushes_with_models};

/// A models folder with the real Silero VAD and the scripted Whisper stand-in (it always
/// hears "roll camera" 0.0–1.5 s and "scene forty two" 1.8–2.4 s into a speech window).
fn speech_models(dir: &Path) {
    let root = repo_root();
    std::fs::create_dir_all(dir).expect("models dir");
    let links = [
        (root.join("models/silero-vad.toml"), "silero-vad.toml"),
        (root.join("models/silero-vad"), "silero-vad"),
        (
            root.join("tests/fixtures/models/whisper-fixture.toml"),
            "whisper-fixture.toml",
        ),
        (
            root.join("tests/fixtures/models/whisper-fixture"),
            "whisper-fixture",
        ),
    ];
    for (target, name) in links {
        assert!(
            target.exists(),
            "{}: run scripts/setup.sh",
            target.display()
        );
        std::os::unix::fs::symlink(&target, dir.join(name)).expect("link");
    }
}

/// A 20 s grey video whose soundtrack is quiet noise with one spoken sentence at
/// `speech_at` seconds.
fn video_with_speech(dir: &Path, name: &str, speech_at: f64) -> std::path::PathBuf {
    let voice = dir.join(format!("{name}.voice.wav"));
    let status = Command::new("espeak-ng")
        .args(["-v", "en", "-w"])
        .arg(&voice)
        .arg("Quiet please, we are rolling on scene forty two.")
        .status()
        .expect("espeak-ng");
    assert!(status.success());
    let video = dir.join(name);
    let millis = (speech_at * 1000.0) as u64;
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "color=c=gray:s=160x120:r=10:d=20"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:amplitude=0.01:sample_rate=16000:duration=20:seed=3",
        ])
        .arg("-i")
        .arg(&voice)
        .args([
            "-filter_complex",
            &format!(
                "[2:a]adelay={millis}:all=1[v];[1:a][v]amix=inputs=2:duration=first:normalize=0[a]"
            ),
            "-map",
            "0:v",
            "-map",
            "[a]",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
        ])
        .arg(&video)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    std::fs::remove_file(&voice).expect("remove voice");
    video
}

#[test]
fn transcribed_speech_is_searchable_at_its_time_and_a_sidecar_wins() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(&footage).expect("footage dir");
    video_with_speech(&footage, "interview.mp4", 12.0);
    video_with_speech(&footage, "briefing.mp4", 12.0);
    std::fs::write(
        footage.join("briefing.srt"),
        "1\n00:00:12,000 --> 00:00:14,000\nThe sidecar subtitles win here\n",
    )
    .expect("sidecar");
    let models = temp.path().join("models");
    speech_models(&models);
    let index = temp.path().join("index");
    let index_arg = index.to_str().expect("utf-8");

    let summary = index_with_models(&models, &footage, &index, &["--no-visual"]);
    assert_eq!(summary["indexed"], 2, "{summary}");
    // The fixture hears two lines per speech window; the sidecar's line is not counted.
    let speech_lines = summary["speech_lines"].as_u64().unwrap_or(0);
    assert!(
        speech_lines >= 2 && speech_lines.is_multiple_of(2),
        "lines heard in speech: {summary}"
    );
    assert_eq!(
        crate::visual::run_progress(&index)["speech_lines"],
        speech_lines,
        "the progress counts them too"
    );
    assert!(
        !summary["notices"].to_string().contains("speech"),
        "speech was off: {summary}"
    );

    let found = hits_of(&rushes_with_models(
        &models,
        &["search", "scene forty two", "--index", index_arg, "--json"],
    ));
    let hit = found.first().expect("a hit for the spoken words");
    assert!(
        found.iter().all(|h| file_name(h) != "briefing.mp4"),
        "the sidecar should win over speech: {found:?}"
    );
    // The fixture hears these words 1.8-2.4 s into the speech window, and the VAD opens
    // that window where the voice starts (12 s plus espeak's lead-in): the hit is that line.
    assert_found_moment(hit, "interview.mp4", "transcript", (13.8, 14.4), 0.3);

    let sidecar = hits_of(&rushes_with_models(
        &models,
        &[
            "search",
            "sidecar subtitles",
            "--index",
            index_arg,
            "--json",
        ],
    ));
    assert_eq!(
        sidecar.first().map(file_name).as_deref(),
        Some("briefing.mp4")
    );

    let quiet_index = temp.path().join("quiet");
    let quiet_arg = quiet_index.to_str().expect("utf-8");
    index_with_models(
        &models,
        &footage,
        &quiet_index,
        &["--no-visual", "--no-speech"],
    );
    let none = hits_of(&rushes_with_models(
        &models,
        &["search", "scene forty two", "--index", quiet_arg, "--json"],
    ));
    assert!(
        none.iter().all(|h| file_name(h) != "interview.mp4"),
        "--no-speech still transcribed: {none:?}"
    );
}
