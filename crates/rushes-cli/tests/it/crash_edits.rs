//! Crash safety beyond indexing: SIGKILL during collection edits and during an MP4 export
//! (a killed export never leaves a broken file under a finished name, and finished clips
//! survive), and a full disk under the index (a clear error; the index stays readable and
//! searchable).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::footage::{ffprobe_duration, footage, json, ok, repo_root, rushes, search};
use crate::workflows::index_day_one;

/// Starts `rushes <args>` and SIGKILLs it after `delay` (if it is still running).
fn run_and_kill(args: &[&str], delay: Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(args)
        .env_remove("RUSHES_INDEX")
        .env("RUSHES_MODELS", repo_root().join("models"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rushes");
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether ffprobe reads `path` as media with a video stream of positive duration.
fn is_complete_clip(path: &Path) -> bool {
    ffprobe_duration(path).is_some_and(|duration| duration > 0.5)
}

fn finished_clips(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut clips: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "mp4"))
                .collect()
        })
        .unwrap_or_default();
    clips.sort();
    clips
}

#[test]
fn killed_collection_edits_and_exports_leave_collections_and_finished_clips_intact() {
    let temp = tempfile::tempdir().expect("temp dir");
    let index = temp.path().join("index");
    index_day_one(&index);
    let index_arg = index.to_str().expect("utf-8");
    let crowd = footage().join("day1/A001_C001_crowd.mp4");
    let shown = json(&[
        "show",
        crowd.to_str().expect("utf-8"),
        "--index",
        index_arg,
        "--json",
    ]);
    let id = shown["asset"]["id"].as_str().expect("id").to_string();

    // Collection edits killed at spread-out moments: each either happened whole or not at all.
    ok(&[
        "collection",
        "add",
        "selects",
        &format!("{id}@0-1"),
        "--index",
        index_arg,
    ]);
    for (kill, start) in (1..=8).zip(1u32..) {
        let start = start % 5;
        let entry = format!("{id}@{start}-{}", start + 1);
        run_and_kill(
            &["collection", "add", "selects", &entry, "--index", index_arg],
            Duration::from_millis(15 * kill),
        );
        let listed = json(&[
            "collection",
            "show",
            "selects",
            "--index",
            index_arg,
            "--json",
        ]);
        let entries = listed["entries"].as_array().expect("entries");
        assert!(
            !entries.is_empty(),
            "the collection lost its first entry: {listed}"
        );
        for entry in entries {
            let (start, end) = (entry["start"].as_f64(), entry["end"].as_f64());
            assert!(
                matches!((start, end), (Some(s), Some(e)) if e > s),
                "a torn entry after kill {kill}: {listed}"
            );
        }
    }
    // The index still answers and still takes edits.
    assert!(!search(&index, "crowd").is_empty());
    ok(&[
        "collection",
        "add",
        "selects",
        &format!("{id}@4-5"),
        "--index",
        index_arg,
    ]);

    // A finished export, then the same export killed part-way at several moments.
    let out = temp.path().join("clips");
    let out_arg = out.to_str().expect("utf-8");
    let export = [
        "export",
        "--collection",
        "selects",
        "--format",
        "mp4",
        "--out",
        out_arg,
        "--index",
        index_arg,
    ];
    ok(&export);
    let finished = finished_clips(&out);
    assert!(!finished.is_empty(), "the export wrote no clip");
    for kill in 1..=6u64 {
        run_and_kill(&export, Duration::from_millis(150 * kill));
        for clip in finished_clips(&out) {
            assert!(
                is_complete_clip(&clip),
                "{} is broken after a kill at {} ms",
                clip.display(),
                150 * kill
            );
        }
        assert_eq!(finished_clips(&out), finished, "finished clips vanished");
    }
    // A rerun completes the same set.
    ok(&export);
    assert_eq!(finished_clips(&out), finished);
}

/// A tmpfs of `size` mounted at `dir`, unmounted on drop.
struct SmallDisk {
    dir: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Result<SmallDisk, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        Ok(SmallDisk {
            dir: dir.to_path_buf(),
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

#[test]
fn a_full_disk_fails_the_run_clearly_and_the_index_stays_searchable() {
    let temp = tempfile::tempdir().expect("temp dir");
    let disk = match SmallDisk::mount(&temp.path().join("disk"), "6m") {
        Ok(disk) => disk,
        Err(reason) => {
            eprintln!("skipped: cannot mount a small tmpfs (needs root): {reason}");
            return;
        }
    };
    let index = disk.dir.join("index");
    let index_arg = index.to_str().expect("utf-8");
    // First a small index that fits: the crowd clip.
    let first = temp.path().join("first");
    std::fs::create_dir_all(&first).expect("create first");
    std::fs::copy(
        footage().join("day1/A001_C001_crowd.mp4"),
        first.join("A001_C001_crowd.mp4"),
    )
    .expect("copy crowd");
    ok(&[
        "index",
        first.to_str().expect("utf-8"),
        "--index",
        index_arg,
        "--no-visual",
    ]);
    assert!(!search(&index, "crowd").is_empty());

    // Then fill the disk and index everything else.
    let filler = disk.dir.join("filler");
    let free = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(&disk.dir)
        .output()
        .expect("df");
    let avail: u64 = String::from_utf8_lossy(&free.stdout)
        .lines()
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
        .expect("available bytes");
    std::fs::write(&filler, vec![0u8; avail.saturating_sub(64 * 1024) as usize])
        .expect("fill the disk");
    let full = rushes(&[
        "index",
        footage().to_str().expect("utf-8"),
        "--index",
        index_arg,
        "--no-visual",
    ]);
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !full.status.success() || stderr.to_lowercase().contains("space"),
        "a run on a full disk claimed success silently: {stderr}"
    );
    assert!(
        stderr.contains("No space left") || stderr.to_lowercase().contains("disk"),
        "the error does not say the disk is full: {stderr}"
    );

    // What was committed before stays readable and searchable.
    let hits = search(&index, "crowd");
    assert!(!hits.is_empty(), "the index lost its committed content");
    let status = json(&["status", "--index", index_arg, "--json"]);
    assert!(status.is_object(), "{status}");
    // Free the space: a rerun finishes the job.
    std::fs::remove_file(&filler).expect("free the disk");
    ok(&[
        "index",
        footage().to_str().expect("utf-8"),
        "--index",
        index_arg,
        "--no-visual",
    ]);
    let after = json(&["status", "--index", index_arg, "--json"]);
    assert!(
        !after.to_string().contains("No space left"),
        "the rerun kept disk-full failures: {after}"
    );
    assert!(!search(&index, "crowd").is_empty());
    // Known gap (reported to the store): text the full-disk run lost is not re-added by the
    // rerun (e.g. "scene 42" on the slate), until `rushes reindex`.
}
