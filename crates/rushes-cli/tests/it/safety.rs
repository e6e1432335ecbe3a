//! What a careless user does to an index, through the binary: index the folder the index
//! lives in, change a file while it is indexed, leave failures of deleted files behind, name
//! a FIFO `*.mp4`, share one broken sidecar between two clips, type control characters into
//! tags and collection names, tag a range past the end of a file, search for a 48+ letter word,
//! split a person's only face. Each gets one clear answer and loses nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use rushes_testkit::{opencv_data, path_str, repo_root};

use crate::footage::{json, ok, rushes};
use crate::people::{encode, still_video};

/// `seconds` of ffmpeg's moving test card as a small H.264 mp4.
fn test_card(out: &Path, seconds: u32) {
    let source = format!("testsrc2=s=320x240:r=10:d={seconds}");
    encode(&["-f", "lavfi", "-i", &source], out);
}

/// Index flags that keep a run about files, not models.
const MEDIA_ONLY: [&str; 5] = [
    "--no-visual",
    "--no-ocr",
    "--no-speech",
    "--no-captions",
    "--no-faces",
];

/// `rushes <args>` run in `dir`, with the default index (`./index`).
fn rushes_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUSHES_INDEX")
        .env("RUSHES_MODELS", repo_root().join("models"))
        .output()
        .expect("run rushes")
}

fn succeeded(output: Output, what: &str) -> (String, String) {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(
        output.status.success(),
        "{what} failed\nstdout: {stdout}\nstderr: {stderr}"
    );
    (stdout, stderr)
}

/// `rushes index <root> --index <index>` with models off; its stderr.
fn index_media(root: &Path, index: &Path) -> String {
    let mut args = vec!["index", path_str(root), "--index", path_str(index)];
    args.extend(MEDIA_ONLY);
    succeeded(rushes(&args), "rushes index").1
}

fn status(index: &Path) -> Value {
    json(&["status", "--index", path_str(index), "--json"])
}

fn failures(status: &Value) -> Vec<(String, String)> {
    status["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|failure| {
            (
                failure["path"].as_str().unwrap_or_default().to_string(),
                failure["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Regression: `cd ~/footage && rushes index .` with the index at `./index` indexed its own
/// thumbnails on every rerun (5 → 19 → 38 assets).
#[test]
fn indexing_the_footage_folder_never_indexes_the_index_inside_it() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(footage.join("day1")).expect("footage dir");
    test_card(&footage.join("day1/a.mp4"), 3);
    test_card(&footage.join("day1/b.mp4"), 2);
    std::fs::copy(opencv_data("messi5.jpg"), footage.join("still.jpg")).expect("copy still");
    let mut index_here = vec!["index", "."];
    index_here.extend(MEDIA_ONLY);

    let count = |footage: &Path| -> (u64, Value) {
        let status = json(&[
            "status",
            "--index",
            path_str(&footage.join("index")),
            "--json",
        ]);
        (status["assets"].as_u64().unwrap_or(0), status)
    };
    for run in 0..3 {
        let (_, stderr) = succeeded(rushes_in(&footage, &index_here), "rushes index .");
        assert_eq!(
            stderr.matches("it is a rushes index").count(),
            1,
            "run {run}: said once\n{stderr}"
        );
        let (assets, status) = count(&footage);
        assert_eq!(assets, 3, "run {run}: {status}");
        assert_eq!(status["assets_by_kind"]["image"], 1, "run {run}: {status}");
    }
    let thumbs = footage.join("index/thumbs");
    assert!(
        std::fs::read_dir(&thumbs).is_ok_and(|mut entries| entries.next().is_some()),
        "there were thumbnails to index"
    );
    let stills = json(&[
        "search",
        "kind:image",
        "--index",
        path_str(&footage.join("index")),
        "--json",
    ]);
    let paths: Vec<&str> = stills["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|hit| hit["asset"]["path"].as_str())
        .collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(paths[0].ends_with("/footage/still.jpg"), "{paths:?}");

    // An index an older rushes already filled with its own thumbnails (made here by naming
    // the thumbnails folder itself): the next run over the footage takes them out again.
    let mut damage = vec!["index", "index/thumbs"];
    damage.extend(MEDIA_ONLY);
    succeeded(rushes_in(&footage, &damage), "rushes index index/thumbs");
    assert!(count(&footage).0 > 3, "the thumbnails became assets");
    let (_, stderr) = succeeded(rushes_in(&footage, &index_here), "rushes index .");
    assert!(
        stderr.contains("assets an earlier run took from inside a rushes index"),
        "{stderr}"
    );
    assert_eq!(count(&footage).0, 3);
}

/// Writes a stand-in for ffprobe that runs the real one and then, when it probed `target`,
/// appends a few bytes to `target`: the file changes while it is being indexed, at the same
/// point of every run. With `once`, only the first probe changes it.
fn ffprobe_that_appends(dir: &Path, target: &Path, once: bool) -> PathBuf {
    let script = dir.join(if once {
        "ffprobe-appends-once"
    } else {
        "ffprobe-appends"
    });
    let flag = dir.join(format!("{}.done", path_str(&script)));
    let condition = if once {
        format!("[ ! -e '{}' ]", path_str(&flag))
    } else {
        String::from("true")
    };
    let text = format!(
        "#!/bin/sh\nffprobe \"$@\"\nstatus=$?\ncase \"$*\" in\n  *'{target}'*)\n    if {condition}; then\n      : > '{flag}'\n      printf 'grown' >> '{target}'\n    fi;;\nesac\nexit $status\n",
        target = path_str(target),
        flag = path_str(&flag),
    );
    std::fs::write(&script, text).expect("write script");
    let chmod = Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .expect("chmod");
    assert!(chmod.success());
    script
}

/// Regression: a file that changed while it was indexed gave one record built from two
/// versions of it. It is read again; if it changed again, it fails with that reason.
#[test]
fn a_file_changing_while_it_is_indexed_is_read_again_or_failed_with_a_reason() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(&footage).expect("footage dir");
    let growing = footage.join("growing.mp4");
    let steady = footage.join("steady.mp4");
    test_card(&growing, 2);
    test_card(&steady, 2);

    // It keeps changing: failed, with the reason, and never stored.
    let index = temp.path().join("index");
    let mut args = vec!["index", path_str(&footage), "--index", path_str(&index)];
    args.extend(MEDIA_ONLY);
    let appends = ffprobe_that_appends(temp.path(), &growing, false);
    let output = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(&args)
        .env("RUSHES_FFPROBE", &appends)
        .env("RUSHES_MODELS", repo_root().join("models"))
        .output()
        .expect("run rushes");
    let (_, stderr) = succeeded(output, "rushes index");
    assert!(
        stderr.contains("growing.mp4: changed while it was being indexed"),
        "{stderr}"
    );
    let state = status(&index);
    assert_eq!(state["assets"], 1, "{state}");
    let failed = failures(&state);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].0.ends_with("growing.mp4"), "{failed:?}");
    assert!(
        failed[0]
            .1
            .starts_with("changed while it was being indexed"),
        "{failed:?}"
    );

    // It changed once: read again, and the record is of the file as it is now.
    let index = temp.path().join("index-once");
    let mut args = vec!["index", path_str(&footage), "--index", path_str(&index)];
    args.extend(MEDIA_ONLY);
    let appends_once = ffprobe_that_appends(temp.path(), &growing, true);
    let before = std::fs::metadata(&growing).expect("stat").len();
    let output = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(&args)
        .env("RUSHES_FFPROBE", &appends_once)
        .env("RUSHES_MODELS", repo_root().join("models"))
        .output()
        .expect("run rushes");
    let (_, stderr) = succeeded(output, "rushes index");
    let now = std::fs::metadata(&growing).expect("stat").len();
    assert_eq!(now, before + 5, "the stand-in appended once");
    let state = status(&index);
    assert_eq!(state["assets"], 2, "{state}\n{stderr}");
    assert!(failures(&state).is_empty(), "{state}");
    let shown = json(&[
        "show",
        path_str(&growing),
        "--index",
        path_str(&index),
        "--json",
    ]);
    assert_eq!(shown["asset"]["size"], now, "{shown}");
    // And a rerun finds it unchanged.
    let stderr = index_media(&footage, &index);
    assert!(stderr.contains("indexed 0 files"), "{stderr}");
}

/// Regression: failures of files that no longer exist stayed in `rushes status` (and
/// `/api/status`) forever. A rerun over their folder clears them; failures in folders the
/// rerun did not walk stay.
#[test]
fn failures_of_files_that_are_gone_leave_status_when_their_folder_is_indexed_again() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (day1, day2) = (temp.path().join("day1"), temp.path().join("day2"));
    for day in [&day1, &day2] {
        std::fs::create_dir_all(day).expect("day dir");
        test_card(&day.join("good.mp4"), 2);
        std::fs::write(day.join("broken.mp4"), b"this is not a video at all").expect("write");
    }
    // A clip cut short: ffmpeg fails on it while indexing.
    let clip = std::fs::read(day1.join("good.mp4")).expect("read clip");
    std::fs::write(day1.join("cut.mp4"), &clip[..clip.len() / 3]).expect("write");
    let index = temp.path().join("index");
    index_media(&day1, &index);
    index_media(&day2, &index);
    let failed = failures(&status(&index));
    assert!(failed.len() >= 2, "{failed:?}");
    let cut_failed = failed
        .iter()
        .any(|(path, _)| path.ends_with("day1/cut.mp4"));

    for day in [&day1, &day2] {
        std::fs::remove_file(day.join("broken.mp4")).expect("delete");
    }
    // The cut clip is whole again: indexed, and its failure (if it had one) is gone too.
    std::fs::write(day1.join("cut.mp4"), &clip).expect("write");
    index_media(&day1, &index);
    let left: Vec<String> = failures(&status(&index))
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert_eq!(left.len(), 1, "{left:?} (cut.mp4 failed: {cut_failed})");
    assert!(left[0].ends_with("day2/broken.mp4"), "{left:?}");
    index_media(&day2, &index);
    assert!(failures(&status(&index)).is_empty());
}

/// Regression: a FIFO named `*.mp4` was skipped without a word.
#[test]
fn a_fifo_named_like_media_fails_with_a_reason_and_the_run_goes_on() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(&footage).expect("footage dir");
    test_card(&footage.join("good.mp4"), 2);
    let fifo = footage.join("live.mp4");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let index = temp.path().join("index");
    let stderr = index_media(&footage, &index);
    assert!(
        stderr.contains("live.mp4: not a regular file (FIFO)"),
        "{stderr}"
    );
    let status = status(&index);
    assert_eq!(status["assets"], 1, "{status}");
    let failed = failures(&status);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].0.ends_with("live.mp4") && failed[0].1.contains("not a regular file (FIFO)"),
        "{failed:?}"
    );
}

/// Regression: a malformed sidecar was warned about once per media file sharing its stem.
#[test]
fn a_broken_sidecar_two_clips_share_is_warned_about_once() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(&footage).expect("footage dir");
    test_card(&footage.join("take.mp4"), 2);
    test_card(&footage.join("take.mov"), 3);
    std::fs::write(
        footage.join("take.srt"),
        "1\n00:00:00,500 --> 00:00:01,500\nrolling\n\n2\nnot a timing line\nlost\n",
    )
    .expect("write sidecar");
    let stderr = index_media(&footage, &temp.path().join("index"));
    assert!(stderr.contains("indexed 2 files"), "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("warning:") && line.contains("take.srt"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("no timing line"), "{warnings:?}");
}

/// Regression: tags and collection names took control characters (printed raw, a tag with a
/// newline never found by `tag:`); a tag range ending at 1e300 s was accepted; a query of
/// only unsearchable words (a 48+ character word, `((((`) listed the whole library.
#[test]
fn hand_input_is_checked_and_unsearchable_queries_say_so() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(&footage).expect("footage dir");
    let clip = footage.join("A001_C001.mp4");
    test_card(&clip, 4);
    let index = temp.path().join("index");
    index_media(&footage, &index);
    let index = path_str(&index);
    let id = json(&["show", path_str(&clip), "--index", index, "--json"])["asset"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let refused = |args: &[&str], says: &str| {
        let output = rushes(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    };
    refused(
        &["tag", &id, "blooper\nreel", "--index", index],
        "a tag cannot hold control characters",
    );
    refused(
        &[
            "collection",
            "add",
            "sel\u{1b}[2Jects",
            &id,
            "--index",
            index,
        ],
        "a collection name cannot hold control characters",
    );
    refused(
        &["tag", &id, "fine", "--note", "bell\u{7}", "--index", index],
        "a note cannot hold control characters",
    );
    refused(
        &["tag", &format!("{id}@0-1e300"), "blooper", "--index", index],
        "0.0-1e300 ends after the file does (",
    );
    let collections = json(&["collection", "list", "--index", index, "--json"]);
    assert_eq!(collections, serde_json::json!([]), "nothing was created");
    let fine = json(&["search", "tag:fine", "--index", index, "--json"]);
    assert_eq!(
        fine["hits"],
        serde_json::json!([]),
        "the tag beside the bad note: {fine}"
    );

    // A note keeps its line break, and prints on one line, escaped.
    let tagged = ok(&[
        "tag",
        &format!("{id}@1-3"),
        "blooper",
        "--note",
        "boom in shot\nsecond take better",
        "--index",
        index,
    ]);
    let printed = String::from_utf8_lossy(&tagged.stdout);
    assert_eq!(printed.lines().count(), 1, "{printed}");
    assert!(
        printed.contains("blooper — boom in shot\\nsecond take better"),
        "{printed}"
    );
    let found = json(&["search", "tag:blooper", "--index", index, "--json"]);
    assert!(
        !found["hits"].as_array().is_none_or(Vec::is_empty),
        "{found}"
    );

    // Words that vanish in tokenizing: nothing matches, and why.
    let long_word = "pneumonoultramicroscopicsilicovolcanoconiosis".repeat(2);
    for query in [long_word.as_str(), "((((", "\"\"\"\""] {
        let response = json(&["search", query, "--index", index, "--json"]);
        assert_eq!(
            response["hits"],
            serde_json::json!([]),
            "{query}: {response}"
        );
        let notice = response["notice"].as_str().unwrap_or_default();
        assert!(
            notice.starts_with("nothing matches: no word of the query can be searched for"),
            "{query}: {response}"
        );
        let printed = ok(&["search", query, "--index", index]);
        let printed = String::from_utf8_lossy(&printed.stdout);
        assert_eq!(printed.trim(), notice, "{query}");
    }
}

/// Regression: splitting a person's only face made them a new, unnamed person, and the
/// name was gone. It changes nothing and says so (exit 0: there was nothing to split).
#[test]
fn splitting_a_persons_only_face_changes_nothing_and_says_so() {
    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    std::fs::create_dir_all(&shoot).expect("shoot dir");
    // As the people test makes him: big enough for the face detector.
    still_video(
        &opencv_data("messi5.jpg"),
        "scale=1096:684,crop=640:480:250:0",
        3,
        &shoot.join("messi.mp4"),
    );
    let index = temp.path().join("index");
    let indexed = rushes(&[
        "index",
        path_str(&shoot),
        "--index",
        path_str(&index),
        "--no-visual",
        "--no-ocr",
        "--no-speech",
        "--no-captions",
    ]);
    succeeded(indexed, "rushes index");
    let index = path_str(&index);
    let people = |index: &str| -> Vec<Value> {
        json(&["people", "list", "--index", index, "--json"])
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let found = people(index);
    assert_eq!(found.len(), 1, "{found:?}");
    let mut person = found[0]["id"].to_string();
    // Several faces of him: split one out, and that one is alone.
    let faces = json(&["people", "show", &person, "--index", index, "--json"]);
    let face_ids: Vec<String> = faces["faces"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|face| face["id"].to_string())
        .collect();
    assert!(!face_ids.is_empty(), "{faces}");
    if face_ids.len() > 1 {
        let split = json(&["people", "split", &face_ids[0], "--index", index, "--json"]);
        assert_eq!(split["split"], true, "{split}");
        person = split["person"].to_string();
    }
    ok(&["people", "name", &person, "Lionel", "--index", index]);
    let before = people(index);

    let said = ok(&["people", "split", &face_ids[0], "--index", index]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains(&format!(
            "face {} is the only face of person {person}",
            face_ids[0]
        )) && said.contains("nothing was done"),
        "{said}"
    );
    let answer = json(&["people", "split", &face_ids[0], "--index", index, "--json"]);
    assert_eq!(answer["split"], false, "{answer}");
    assert_eq!(answer["person"].to_string(), person, "{answer}");
    assert_eq!(people(index), before, "nothing changed");
    assert!(
        people(index)
            .iter()
            .any(|p| p["id"].to_string().as_str() == person.as_str() && p["name"] == "Lionel"),
        "the name stays"
    );
}
