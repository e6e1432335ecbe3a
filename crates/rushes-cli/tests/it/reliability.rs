//! Crash safety and hostile setups of `rushes index`: SIGKILL at spread-out moments then a
//! rerun, two writers on one index, and index paths that cannot be written. What the
//! index holds afterwards is compared with an uninterrupted run into a separate index.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::footage::{copy_tree, footage, json, ok, repo_root, rushes, search};

/// Kills per crash test: 6 by default, `RUSHES_STRESS_KILLS` for `make stress`.
fn kill_count() -> usize {
    std::env::var("RUSHES_STRESS_KILLS")
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|&count: &usize| count > 0)
        .unwrap_or(6)
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// `rushes index SHOOT --index INDEX --no-ocr`: the run every test here makes.
fn index_args<'a>(shoot: &'a Path, index: &'a Path) -> [&'a str; 5] {
    ["index", utf8(shoot), "--index", utf8(index), "--no-ocr"]
}

/// Indexes the shoot into `index` without OCR; the run must succeed.
fn index_without_ocr(shoot: &Path, index: &Path) {
    ok(&index_args(shoot, index));
}

/// An uninterrupted run into `index`: how long it took and what the index holds after it.
fn uninterrupted_run(shoot: &Path, index: &Path) -> (Duration, IndexSnapshot) {
    let started = Instant::now();
    index_without_ocr(shoot, index);
    let took = started.elapsed();
    (took, snapshot(shoot, index))
}

/// A search right after a kill must answer from whatever was committed.
fn assert_search_answers(after_kill: &Output, context: &str) {
    assert!(
        after_kill.status.success(),
        "{context}: search after the kill failed: {}",
        stderr_of(after_kill)
    );
}

fn spawn_index(shoot: &Path, index: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(index_args(shoot, index))
        .env_remove("RUSHES_INDEX")
        .env("RUSHES_MODELS", repo_root().join("models"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rushes index")
}

/// When kill `attempt` of `kills` lands: spread evenly over an uninterrupted run's length.
fn kill_time(uninterrupted: Duration, attempt: usize, kills: usize) -> Duration {
    uninterrupted.mul_f64((attempt as f64 + 0.5) / kills as f64)
}

/// Runs `rushes index` and SIGKILLs it after `at` (no destructor, no flush, no lock release
/// by the process); it must not have panicked. Returns whether it had finished first.
fn index_killed_after(shoot: &Path, index: &Path, at: Duration) -> bool {
    let mut child = spawn_index(shoot, index);
    std::thread::sleep(at);
    let finished_first = child.try_wait().expect("poll child").is_some();
    child.kill().expect("kill rushes index");
    let output = child.wait_with_output().expect("reap rushes index");
    let stderr = stderr_of(&output);
    assert!(!stderr.contains("panicked"), "{stderr}");
    finished_first
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Media files of the shoot (sidecar transcripts belong to their media file).
fn media_files(shoot: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![shoot.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read shoot") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("srt" | "vtt")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// What a user can observe of an index: counts, failures, people, and per media file its
/// moments and the thumbnail and face thumbnail files of its asset.
#[derive(Debug, PartialEq)]
struct IndexSnapshot {
    assets_by_kind: serde_json::Value,
    assets: u64,
    moments: u64,
    failed_paths: BTreeSet<String>,
    /// (faces, files) of each person `people list` shows, sorted (ids may differ).
    people: Vec<(u64, u64)>,
    /// Relative path -> (moments as `show --json` prints them, thumbnail file names, face
    /// thumbnail file names).
    files: BTreeMap<String, Option<AssetFiles>>,
}

type AssetFiles = (serde_json::Value, BTreeSet<String>, BTreeSet<String>);

/// The names of the files in a folder (none when it does not exist).
fn file_names(folder: &Path) -> BTreeSet<String> {
    std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .map(|entry| {
            entry
                .expect("thumb entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn snapshot(shoot: &Path, index: &Path) -> IndexSnapshot {
    let status = json(&["status", "--index", utf8(index), "--json"]);
    let failed_paths = status["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|failure| failure["path"].as_str().map(str::to_owned))
        .collect();

    let thumbs = index.join("thumbs");
    let mut ids = BTreeSet::new();
    let mut files = BTreeMap::new();
    for file in media_files(shoot) {
        let relative = file
            .strip_prefix(shoot)
            .expect("inside shoot")
            .display()
            .to_string();
        let shown = rushes(&["show", utf8(&file), "--index", utf8(index), "--json"]);
        if !shown.status.success() {
            files.insert(relative, None);
            continue;
        }
        let detail: serde_json::Value =
            serde_json::from_slice(&shown.stdout).expect("show --json prints JSON");
        let id = detail["asset"]["id"].as_str().expect("asset id").to_owned();
        let moments: Vec<serde_json::Value> = detail["moments"]
            .as_array()
            .expect("moments array")
            .iter()
            .map(|m| {
                serde_json::json!({
                    "start": m["start"], "end": m["end"], "signals": m["signals"],
                    "tags": m["tags"], "text": m["text"],
                })
            })
            .collect();
        let thumb_files = file_names(&thumbs.join(&id));
        let face_files = file_names(&thumbs.join("faces").join(&id));
        assert!(ids.insert(id.clone()), "two media files share asset {id}");
        files.insert(
            relative,
            Some((serde_json::Value::from(moments), thumb_files, face_files)),
        );
    }

    // No orphan thumbnails: every folder under thumbs/ and thumbs/faces/ is an asset of the
    // index.
    for folder in [thumbs.clone(), thumbs.join("faces")] {
        for entry in std::fs::read_dir(&folder).into_iter().flatten() {
            let name = entry.expect("thumbs entry").file_name();
            let name = name.to_string_lossy();
            if folder == thumbs && name == "faces" {
                continue;
            }
            assert!(
                ids.contains(name.as_ref()),
                "orphan thumbnails: {} belongs to no asset in the index (assets: {ids:?})",
                folder.join(name.as_ref()).display()
            );
        }
    }
    let mut people: Vec<(u64, u64)> = json(&["people", "list", "--index", utf8(index), "--json"])
        .as_array()
        .expect("people array")
        .iter()
        .map(|person| {
            let count = |field: &str| person[field].as_u64().expect("people counts");
            (count("faces"), count("assets"))
        })
        .collect();
    people.sort_unstable();

    IndexSnapshot {
        assets_by_kind: status["assets_by_kind"].clone(),
        assets: status["assets"].as_u64().expect("asset count"),
        moments: status["moments"].as_u64().expect("moment count"),
        failed_paths,
        people,
        files,
    }
}

#[test]
fn index_killed_at_any_moment_then_rerun_matches_an_uninterrupted_run() {
    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    copy_tree(&footage(), &shoot);

    let reference_index = temp.path().join("reference");
    let (uninterrupted, reference) = uninterrupted_run(&shoot, &reference_index);
    assert!(
        reference.moments > 0 && reference.assets > 0,
        "{reference:?}"
    );

    let kills = kill_count();
    let mut killed_part_way = 0;
    for attempt in 0..kills {
        let at = kill_time(uninterrupted, attempt, kills);
        let index = temp.path().join(format!("killed-{attempt}"));
        let finished_first = index_killed_after(&shoot, &index, at);
        let context = format!("kill {attempt} at {at:?} (finished first: {finished_first})");

        // A search right after the kill: works on whatever was committed, or says there
        // is no index yet when the kill came before the catalog existed.
        let after_kill = rushes(&["search", "crowd", "--index", utf8(&index), "--json"]);
        if index.join("catalog.sqlite").exists() && index.join("rushes.toml").exists() {
            assert_search_answers(&after_kill, &context);
            let status = json(&["status", "--index", utf8(&index), "--json"]);
            if status["assets"]
                .as_u64()
                .is_some_and(|n| n < reference.assets)
            {
                killed_part_way += 1;
            }
        } else {
            assert!(
                stderr_of(&after_kill).contains("no index"),
                "{context}: {}",
                stderr_of(&after_kill)
            );
        }

        index_without_ocr(&shoot, &index);
        let resumed = snapshot(&shoot, &index);
        assert_eq!(
            resumed, reference,
            "{context}: rerun differs from uninterrupted"
        );
        assert!(
            !search(&index, "crowd").is_empty(),
            "{context}: search finds nothing after the rerun"
        );
    }
    // The kills must land inside the work, not only before or after it.
    assert!(
        kills < 3 || killed_part_way > 0,
        "no kill left a partly built index ({kills} kills over {uninterrupted:?})"
    );
}

#[test]
fn incremental_run_killed_at_any_moment_then_rerun_matches_an_uninterrupted_one() {
    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    copy_tree(&footage(), &shoot);
    let base = temp.path().join("base");
    index_without_ocr(&shoot, &base);

    // Between runs: a clip renamed, one deleted, a still moved to a new folder, a new clip.
    std::fs::rename(
        shoot.join("day1/A001_C001_crowd.mp4"),
        shoot.join("day1/A001_C001_crowd_selects.mp4"),
    )
    .expect("rename");
    std::fs::remove_file(shoot.join("day1/A001_C003_slate.mp4")).expect("delete");
    std::fs::create_dir_all(shoot.join("day3")).expect("new folder");
    std::fs::rename(
        shoot.join("stills/football_break.jpg"),
        shoot.join("day3/football_break.jpg"),
    )
    .expect("move");
    let made = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=320x240:rate=10:duration=3")
        .args(["-pix_fmt", "yuv420p"])
        .arg(shoot.join("day3/C003_C001_pickup.mp4"))
        .status()
        .expect("run ffmpeg");
    assert!(made.success(), "ffmpeg could not make the new clip");

    let reference_index = temp.path().join("reference");
    copy_tree(&base, &reference_index);
    let (uninterrupted, reference) = uninterrupted_run(&shoot, &reference_index);

    let kills = kill_count();
    for attempt in 0..kills {
        let at = kill_time(uninterrupted, attempt, kills);
        let index = temp.path().join(format!("killed-{attempt}"));
        copy_tree(&base, &index);
        index_killed_after(&shoot, &index, at);
        let context = format!("incremental kill {attempt} at {at:?}");
        let after_kill = rushes(&["search", "crowd", "--index", utf8(&index), "--json"]);
        assert_search_answers(&after_kill, &context);

        index_without_ocr(&shoot, &index);
        assert_eq!(
            snapshot(&shoot, &index),
            reference,
            "{context}: rerun differs from uninterrupted"
        );
    }
}

#[test]
fn second_writer_fails_at_once_naming_the_locked_index_and_the_first_completes() {
    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    copy_tree(&footage(), &shoot);
    let index = temp.path().join("index");

    let mut first = spawn_index(&shoot, &index);
    // The writer lock is taken before the catalog is created.
    let waiting = Instant::now();
    while !index.join("catalog.sqlite").exists() {
        assert!(
            first.try_wait().expect("poll first").is_none(),
            "first run ended before creating its catalog"
        );
        assert!(waiting.elapsed() < Duration::from_secs(60), "no catalog");
        std::thread::sleep(Duration::from_millis(10));
    }
    let second = rushes(&index_args(&shoot, &index));
    let first_still_running = first.try_wait().expect("poll first").is_none();
    let first = first.wait_with_output().expect("first run");
    assert!(
        first.status.success(),
        "the first writer failed: {}",
        stderr_of(&first)
    );
    if first_still_running {
        let message = stderr_of(&second);
        assert!(!second.status.success(), "second writer succeeded");
        // "... is being written by another rushes process (lock: <index>/index.lock)".
        assert!(message.to_lowercase().contains("lock"), "{message}");
        assert!(message.contains(utf8(&index)), "index not named: {message}");
        assert!(!message.contains("panicked"), "{message}");
    }

    // Consistent: a rerun finds everything done and changes nothing.
    let before = snapshot(&shoot, &index);
    let rerun = json(&[
        "index",
        utf8(&shoot),
        "--index",
        utf8(&index),
        "--no-ocr",
        "--json",
    ]);
    assert_eq!(rerun["indexed"], 0, "{rerun}");
    assert_eq!(rerun["skipped"].as_u64(), Some(before.assets), "{rerun}");
    assert_eq!(snapshot(&shoot, &index), before);
}

fn assert_clear_failure(output: &Output, names: &Path) {
    let message = stderr_of(output);
    assert!(!output.status.success(), "succeeded: {message}");
    assert!(!message.contains("panicked"), "{message}");
    assert!(
        message.starts_with("error:") && message.contains(utf8(names)),
        "error does not name {}: {message}",
        names.display()
    );
}

#[test]
fn index_path_that_is_a_file_or_cannot_be_created_fails_clearly() {
    let temp = tempfile::tempdir().expect("temp dir");
    let stills = footage().join("stills");
    let file = temp.path().join("notes.txt");
    std::fs::write(&file, "not an index").expect("write file");

    for command in [
        &["index", utf8(&stills), "--no-ocr"][..],
        &["search", "crowd"],
        &["status", "--json"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--index", utf8(&file)]);
        let output = rushes(&args);
        assert_clear_failure(&output, &file);
        // Regression: `index` used to say "I/O error on <path>: File exists (os error 17)".
        assert!(
            stderr_of(&output).contains("is a file, not an index folder"),
            "{args:?}: {}",
            stderr_of(&output)
        );
    }
    assert_eq!(
        std::fs::read_to_string(&file).expect("file kept"),
        "not an index",
        "the file was overwritten"
    );

    // A folder under a file cannot be created.
    let below_file = file.join("index");
    assert_clear_failure(&rushes(&index_args(&stills, &below_file)), &below_file);
}

#[test]
fn read_only_index_folder_fails_clearly_and_stays_searchable() {
    use std::os::unix::fs::PermissionsExt;

    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    copy_tree(&footage().join("day1"), &shoot);
    let index = temp.path().join("index");
    index_without_ocr(&shoot, &index);

    let set_mode = |mode: u32| {
        let mut stack = vec![index.clone()];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).expect("read index") {
                    stack.push(entry.expect("entry").path());
                }
            }
            let mode = if path.is_dir() { mode | 0o111 } else { mode };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
    };
    set_mode(0o444);
    // root ignores file modes: then the folder is writable after all and there is
    // nothing to refuse; the rest of the test still checks the index survives.
    let probe = index.join(".write-probe");
    let writable = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);

    std::fs::write(
        shoot.join("new_take.srt"),
        "1\n00:00:00,000 --> 00:00:01,000\nhi\n",
    )
    .expect("write sidecar");
    let output = rushes(&index_args(&shoot, &index));
    if !writable {
        assert_clear_failure(&output, &index);
    } else {
        assert!(output.status.success(), "{}", stderr_of(&output));
    }
    assert!(!stderr_of(&output).contains("panicked"));
    assert!(
        !search(&index, "crowd").is_empty(),
        "read-only index unsearchable"
    );
    set_mode(0o644);
}

/// Runs `rushes index` and SIGKILLs it as soon as `clip` is pending (written again by the
/// run, not yet committed: `rushes show` no longer finds it). Returns whether it caught that
/// moment before the run ended.
fn index_killed_while_pending(shoot: &Path, index: &Path, clip: &Path) -> bool {
    let mut child = spawn_index(shoot, index);
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut caught = false;
    while Instant::now() < deadline && child.try_wait().expect("poll child").is_none() {
        let shown = rushes(&["show", utf8(clip), "--index", utf8(index), "--json"]);
        if stderr_of(&shown).contains("is not in the index") {
            caught = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    child.kill().expect("kill rushes index");
    let output = child.wait_with_output().expect("reap rushes index");
    let stderr = stderr_of(&output);
    assert!(!stderr.contains("panicked"), "{stderr}");
    caught
}

/// Regression: a run killed while re-indexing the only clip of a named person lost the name
/// (the repair deleted the pending clip's faces and the people left without one). The clip
/// of the astronaut's face is re-indexed first, then two street clips, and the run is killed
/// while her clip waits, pending, for the run's commit.
#[test]
fn a_named_person_keeps_the_name_when_the_re_index_of_their_only_clip_is_killed() {
    use crate::people::{encode, still_video};
    use rushes_testkit::{astronaut_path, opencv_data, path_str};

    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    std::fs::create_dir_all(&shoot).expect("shoot dir");
    let zoom = "scale=1024:1024,crop=640:480:190:60";
    still_video(&astronaut_path(), zoom, 3, &shoot.join("a_eileen.mp4"));
    let street = opencv_data("vtest.avi");
    let street = path_str(&street);
    encode(
        &["-t", "4", "-i", street, "-an"],
        &shoot.join("b_street.mp4"),
    );
    encode(
        &["-ss", "4", "-t", "4", "-i", street, "-an"],
        &shoot.join("c_street.mp4"),
    );
    let base = temp.path().join("base");
    index_without_ocr(&shoot, &base);
    let everyone = json(&["people", "list", "--index", utf8(&base), "--json"]);
    assert_eq!(everyone.as_array().map(Vec::len), Some(1), "{everyone}");
    let eileen = everyone[0]["id"].to_string();
    let faces = everyone[0]["faces"].as_u64();
    ok(&[
        "people",
        "name",
        &eileen,
        "Eileen (astronaut)",
        "--index",
        utf8(&base),
    ]);

    // Every clip changes on disk (same bytes, new modification time): all are indexed again.
    std::thread::sleep(Duration::from_millis(20));
    for name in ["a_eileen.mp4", "b_street.mp4", "c_street.mp4"] {
        let path = shoot.join(name);
        let bytes = std::fs::read(&path).expect("read clip");
        std::fs::write(&path, bytes).expect("rewrite clip");
    }

    for attempt in 0..2 {
        let index = temp.path().join(format!("killed-{attempt}"));
        copy_tree(&base, &index);
        let caught = index_killed_while_pending(&shoot, &index, &shoot.join("a_eileen.mp4"));
        assert!(
            caught,
            "attempt {attempt}: the run ended before her clip was pending"
        );
        index_without_ocr(&shoot, &index);
        let people = json(&["people", "list", "--index", utf8(&index), "--json"]);
        assert_eq!(
            people.as_array().map(Vec::len),
            Some(1),
            "attempt {attempt}: {people}"
        );
        assert_eq!(
            people[0]["name"], "Eileen (astronaut)",
            "attempt {attempt}: {people}"
        );
        assert_eq!(
            people[0]["faces"].as_u64(),
            faces,
            "attempt {attempt}: {people}"
        );
        let found = json(&["search", "person:Eileen", "--index", utf8(&index), "--json"]);
        let files: Vec<String> = found["hits"]
            .as_array()
            .map(|hits| hits.iter().map(crate::footage::file_name).collect())
            .unwrap_or_default();
        assert!(
            !files.is_empty() && files.iter().all(|f| f == "a_eileen.mp4"),
            "attempt {attempt}: {found}"
        );
    }
}
