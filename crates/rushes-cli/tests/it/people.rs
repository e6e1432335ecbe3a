//! People end to end: short videos ffmpeg makes from real face photos (scikit-image's
//! astronaut portrait panned, zoomed and brightened after a cut from a test pattern,
//! opencv-doc's Messi photo), mixed with footage without close faces (opencv-doc's vtest),
//! indexed with the dlib models; then naming, merging, splitting, searching by person,
//! `rushes reindex`, re-indexing touched files and forgetting, all through the CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use rushes_testkit::{X264_FAST, astronaut_path, ffmpeg, opencv_data, path_str};

use crate::footage::{file_name, json, ok, rushes};

/// Encodes `inputs_and_filters` as a small H.264 mp4 at `out`.
pub(crate) fn encode(inputs_and_filters: &[&str], out: &Path) {
    let mut args = inputs_and_filters.to_vec();
    args.extend(X264_FAST);
    args.push(path_str(out));
    if let Err(error) = ffmpeg(&args) {
        panic!("making {}: {error}", out.display());
    }
}

/// `seconds` of a still through a filter that may move with `t`, as an mp4.
pub(crate) fn still_video(image: &Path, filter: &str, seconds: u32, out: &Path) {
    let seconds = seconds.to_string();
    encode(
        &[
            "-loop",
            "1",
            "-framerate",
            "10",
            "-t",
            &seconds,
            "-i",
            path_str(image),
            "-vf",
            filter,
        ],
        out,
    );
}

/// 3 s of a test pattern, then a cut to 3 s of the astronaut, brighter.
fn pattern_then_astronaut(out: &Path) {
    let astronaut = astronaut_path();
    encode(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=640x480:r=10:d=3",
            "-loop",
            "1",
            "-framerate",
            "10",
            "-t",
            "3",
            "-i",
            path_str(&astronaut),
            "-filter_complex",
            "[1:v]scale=640:480,eq=brightness=0.12,setsar=1[face];[0:v]setsar=1[pattern];\
             [pattern][face]concat=n=2:v=1:a=0[v]",
            "-map",
            "[v]",
        ],
        out,
    );
}

/// The shoot: four clips with faces and one (vtest's street) without a face big enough.
fn make_shoot(shoot: &Path) {
    std::fs::create_dir_all(shoot).expect("shoot dir");
    let astronaut = astronaut_path();
    // A slow pan across the portrait, and a zoom into it.
    still_video(
        &astronaut,
        "scale=800:800,crop=640:480:'min(t*40,160)':100",
        4,
        &shoot.join("pan.mp4"),
    );
    still_video(
        &astronaut,
        "scale=1024:1024,crop=640:480:190:60,eq=brightness=-0.08",
        3,
        &shoot.join("zoom.mp4"),
    );
    pattern_then_astronaut(&shoot.join("cut.mp4"));
    still_video(
        &opencv_data("messi5.jpg"),
        "scale=1096:684,crop=640:480:250:0",
        3,
        &shoot.join("messi.mp4"),
    );
    let street = opencv_data("vtest.avi");
    encode(
        &["-t", "3", "-i", path_str(&street), "-an"],
        &shoot.join("street.mp4"),
    );
}

fn index_shoot(shoot: &Path, index: &Path) -> String {
    let output = ok(&[
        "index",
        shoot.to_str().expect("utf-8 path"),
        "--index",
        index.to_str().expect("utf-8 path"),
        "--no-ocr",
        "--no-speech",
    ]);
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn people(index: &str) -> Vec<Value> {
    json(&["people", "list", "--index", index, "--json"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn faces_of(index: &str, person: &Value) -> Vec<Value> {
    let id = person["id"].to_string();
    json(&["people", "show", &id, "--index", index, "--json"])["faces"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The people whose faces are in the file named `file`.
fn people_in(index: &str, file: &str) -> Vec<Value> {
    people(index)
        .into_iter()
        .filter(|person| {
            faces_of(index, person).iter().any(|face| {
                face["path"]
                    .as_str()
                    .is_some_and(|path| path.ends_with(file))
            })
        })
        .collect()
}

/// The one person found in `file`.
fn person_in(index: &str, file: &str) -> Value {
    let found = people_in(index, file);
    assert_eq!(found.len(), 1, "people in {file}: {found:?}");
    found.into_iter().next().unwrap_or_default()
}

/// File names and start times of every hit of a query.
fn hits(index: &str, query: &str) -> Vec<(String, f64)> {
    let response = json(&[
        "search",
        query,
        "--index",
        index,
        "--json",
        "--per-asset",
        "0",
        "-n",
        "100",
    ]);
    response["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .map(|hit| (file_name(hit), hit["start"].as_f64().unwrap_or(-1.0)))
                .collect()
        })
        .unwrap_or_default()
}

fn files_of(hits: &[(String, f64)]) -> Vec<&str> {
    let mut files: Vec<&str> = hits.iter().map(|(name, _)| name.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    files
}

/// The first line of `text` that is `wanted`, or "".
fn first_line(text: &str, wanted: impl Fn(&str) -> bool) -> &str {
    text.lines().find(|line| wanted(line)).unwrap_or_default()
}

fn file_contains(path: &Path, needle: &[u8]) -> bool {
    std::fs::read(path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
}

#[test]
fn people_are_found_grouped_named_merged_searched_and_forgotten() {
    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    make_shoot(&shoot);
    let index_dir = temp.path().join("index");
    let index = index_dir.to_str().expect("utf-8 path");
    let progress = index_shoot(&shoot, &index_dir);
    // The summary counts faces (the semantic stage's text units may follow them).
    assert!(
        progress.contains(" faces)") || progress.contains(" faces, "),
        "{progress}"
    );
    assert!(!progress.contains("faces are off"), "{progress}");

    // Two people: the astronaut across three clips, Messi in his; nobody in the street.
    let everyone = people(index);
    assert_eq!(everyone.len(), 2, "{everyone:#?}");
    let astronaut = person_in(index, "pan.mp4");
    assert_eq!(astronaut["assets"], 3, "{astronaut:?}");
    assert_eq!(person_in(index, "zoom.mp4")["id"], astronaut["id"]);
    assert_eq!(person_in(index, "cut.mp4")["id"], astronaut["id"]);
    let messi = person_in(index, "messi.mp4");
    assert_ne!(messi["id"], astronaut["id"]);
    assert!(people_in(index, "street.mp4").is_empty());
    let thumbnail = astronaut["thumbnail"].as_str().unwrap_or_default();
    assert!(thumbnail.starts_with("/thumbs/faces/"), "{astronaut:?}");
    assert!(index_dir.join(thumbnail.trim_start_matches('/')).is_file());

    // Named, she is searchable: every clip of her, and in the cut only after the cut.
    let astronaut_id = astronaut["id"].to_string();
    ok(&[
        "people",
        "name",
        &astronaut_id,
        "Eileen (astronaut)",
        "--index",
        index,
    ]);
    let found = hits(index, "person:\"Eileen\"");
    assert_eq!(
        files_of(&found),
        ["cut.mp4", "pan.mp4", "zoom.mp4"],
        "{found:?}"
    );
    for (file, start) in &found {
        let expected = if file == "cut.mp4" { 3.0 } else { 0.0 };
        assert!(
            (start - expected).abs() < 0.5,
            "{file} at {start}: {found:?}"
        );
    }
    assert_eq!(files_of(&hits(index, "person:eileen")), files_of(&found));
    // Regression: `people list` counted her moments one by one; it counts what this search
    // lists (adjacent moments of a file joined), in JSON and on her line.
    let listed = person_in(index, "pan.mp4");
    assert_eq!(
        listed["moments"].as_u64(),
        Some(found.len() as u64),
        "{listed:?} {found:?}"
    );
    let printed = ok(&["people", "list", "--index", index]);
    let printed = String::from_utf8_lossy(&printed.stdout);
    let her_line = first_line(&printed, |line| line.contains("Eileen (astronaut)"));
    assert!(
        her_line.contains(&format!(" faces, {} moments in 3 files", found.len())),
        "{printed}"
    );
    let by_id = hits(index, &format!("person:{astronaut_id}"));
    assert_eq!(files_of(&by_id), files_of(&found));
    let messi_id = messi["id"].to_string();
    assert_eq!(
        files_of(&hits(index, &format!("person:{messi_id}"))),
        ["messi.mp4"]
    );
    assert!(hits(index, "person:\"Nobody Here\"").is_empty());

    // Her faces a page at a time, with the total.
    let her_faces = faces_of(index, &astronaut);
    assert!(her_faces.len() >= 2, "{her_faces:?}");
    let second = json(&[
        "people",
        "show",
        &astronaut_id,
        "-n",
        "1",
        "--offset",
        "1",
        "--index",
        index,
        "--json",
    ]);
    assert_eq!(second["total"].as_u64(), Some(her_faces.len() as u64));
    assert_eq!(second["faces"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["faces"][0]["id"], her_faces[1]["id"]);
    let printed = ok(&["people", "show", &astronaut_id, "-n", "1", "--index", index]);
    let printed = String::from_utf8_lossy(&printed.stdout);
    assert!(
        printed.contains(&format!("faces 1–1 of {}", her_faces.len())),
        "{printed}"
    );

    // Split one of her faces out and name it, then merge it back choosing that name: the
    // counts return and the chosen name wins over the one she had.
    let face_id = her_faces[0]["id"].to_string();
    let split = json(&["people", "split", &face_id, "--index", index, "--json"]);
    let new_id = split["person"].to_string();
    assert_eq!(people(index).len(), 3);
    ok(&[
        "people",
        "name",
        &new_id,
        "Eileen Collins",
        "--index",
        index,
    ]);
    let said = ok(&[
        "people",
        "merge",
        &astronaut_id,
        &new_id,
        "--name",
        "Eileen Collins",
        "--index",
        index,
    ]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(said.contains("now Eileen Collins"), "{said}");
    let merged = person_in(index, "pan.mp4");
    assert_eq!(merged["faces"].as_u64(), Some(her_faces.len() as u64));
    assert_eq!(merged["name"], "Eileen Collins");
    assert_eq!(people(index).len(), 2);

    // Rebuilding the search indexes keeps people and names.
    ok(&["reindex", "--index", index]);
    assert_eq!(person_in(index, "zoom.mp4")["name"], "Eileen Collins");
    assert_eq!(files_of(&hits(index, "person:Eileen")), files_of(&found));

    // Every file touched (same bytes, new modification time) is indexed again: its faces
    // are replaced, the people and their names stay.
    for name in ["pan.mp4", "zoom.mp4", "cut.mp4", "messi.mp4"] {
        let path = shoot.join(name);
        let bytes = std::fs::read(&path).expect("read clip");
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, bytes).expect("rewrite clip");
    }
    let again = index_shoot(&shoot, &index_dir);
    assert!(again.contains("indexed 4 files"), "{again}");
    let after = person_in(index, "zoom.mp4");
    assert_eq!(after["name"], "Eileen Collins");
    assert_eq!(after["id"], astronaut["id"]);
    assert_eq!(after["faces"].as_u64(), Some(her_faces.len() as u64));
    assert_eq!(people(index).len(), 2);
    assert_eq!(
        files_of(&hits(index, "person:\"eileen\"")),
        files_of(&found)
    );

    // Forget Messi after naming him: no faces, no thumbnails, no name left on disk.
    ok(&[
        "people",
        "name",
        &messi_id,
        "Lionel Zzqxname",
        "--index",
        index,
    ]);
    let thumbs: Vec<PathBuf> = faces_of(index, &messi)
        .iter()
        .filter_map(|face| face["thumbnail"].as_str())
        .map(|url| index_dir.join(url.trim_start_matches('/')))
        .collect();
    assert!(
        !thumbs.is_empty() && thumbs.iter().all(|t| t.is_file()),
        "{thumbs:?}"
    );
    let by_name = hits(index, "person:\"Lionel Zzqxname\"");
    assert_eq!(files_of(&by_name), ["messi.mp4"]);
    // His first name alone finds him; once she is a Lionel too, it finds both and says so.
    assert_eq!(files_of(&hits(index, "person:Lionel")), ["messi.mp4"]);
    ok(&[
        "people",
        "name",
        &astronaut_id,
        "Lionel Collins",
        "--index",
        index,
    ]);
    let both = json(&[
        "search",
        "person:lionel",
        "--index",
        index,
        "--json",
        "-n",
        "100",
    ]);
    let matched: Vec<String> = both["people_matched"][0]["people"]
        .as_array()
        .map(|people| people.iter().map(|p| p["id"].to_string()).collect())
        .unwrap_or_default();
    let mut expected = vec![astronaut_id.clone(), messi_id.clone()];
    expected.sort_by_key(|id| id.parse::<i64>().unwrap_or_default());
    assert_eq!(matched, expected, "{both}");
    for hit in both["hits"].as_array().cloned().unwrap_or_default() {
        let who = if file_name(&hit) == "messi.mp4" {
            "person:Lionel Zzqxname"
        } else {
            "person:Lionel Collins"
        };
        assert_eq!(hit["filters"], serde_json::json!([who]), "{hit}");
    }
    let printed = ok(&["search", "person:lionel", "--index", index]);
    let printed = String::from_utf8_lossy(&printed.stdout);
    assert!(
        printed.contains("person:lionel matches 2 people")
            && printed.contains("[person:Lionel Zzqxname]")
            && printed.contains("[person:Lionel Collins]"),
        "{printed}"
    );
    ok(&["people", "forget", &messi_id, "--index", index]);
    assert_eq!(people(index).len(), 1);
    assert!(people_in(index, "messi.mp4").is_empty());
    assert!(
        thumbs.iter().all(|t| !t.exists()),
        "thumbnails left: {thumbs:?}"
    );
    assert!(hits(index, "person:\"Lionel Zzqxname\"").is_empty());
    assert!(hits(index, &format!("person:{messi_id}")).is_empty());
    let gone = rushes(&["people", "show", &messi_id, "--index", index]);
    assert!(!gone.status.success());
    let message = String::from_utf8_lossy(&gone.stderr);
    assert!(
        message.contains(&format!("no person {messi_id}")),
        "{message}"
    );
    for entry in std::fs::read_dir(&index_dir).expect("index dir").flatten() {
        let path = entry.path();
        if path.is_file() {
            assert!(
                !file_contains(&path, b"Zzqxname"),
                "the forgotten name is still in {}",
                path.display()
            );
        }
    }
}

#[test]
fn without_face_models_indexing_works_and_says_faces_are_off_once() {
    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    std::fs::create_dir_all(&shoot).expect("shoot dir");
    for name in ["a.mp4", "b.mp4"] {
        still_video(&astronaut_path(), "scale=320:320", 1, &shoot.join(name));
    }
    let models = temp.path().join("no-models");
    std::fs::create_dir_all(&models).expect("models dir");
    let index = temp.path().join("index");
    let output = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(["index", "--no-ocr", "--no-speech", "--index"])
        .arg(&index)
        .arg(&shoot)
        .env("RUSHES_MODELS", &models)
        .output()
        .expect("run rushes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stderr.matches("faces are off").count(), 1, "{stderr}");
    assert!(stderr.contains("indexed 2 files"), "{stderr}");
    let index = index.to_str().expect("utf-8 path");
    assert!(people(index).is_empty());

    let doctor = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(["doctor", "--index", index])
        .env("RUSHES_MODELS", &models)
        .output()
        .expect("run rushes doctor");
    let report = String::from_utf8_lossy(&doctor.stdout);
    let line = first_line(&report, |line| line.starts_with("faces"));
    assert!(
        line.contains("shape_predictor_68_face_landmarks.dat") && line.contains("make setup"),
        "{report}"
    );

    // Unknown ids are the user's mistake, said plainly.
    for args in [
        vec!["people", "name", "42", "Maria", "--index", index],
        vec!["people", "merge", "1", "42", "--index", index],
        vec!["people", "split", "7", "--index", index],
        vec!["people", "forget", "42", "--index", index],
    ] {
        let output = rushes(&args);
        assert!(!output.status.success(), "{args:?}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(
            message.contains("no person ") || message.contains("no face 7"),
            "{args:?}: {message}"
        );
    }
}
