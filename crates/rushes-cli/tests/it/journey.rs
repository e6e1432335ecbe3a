//! One user's journey: index a shoot with some broken files, then find moments by file
//! name, slate text, transcript and filters, and look at status and one asset.

use crate::footage::{file_name, footage, json, ok, rushes, search};

#[test]
fn index_then_find_moments_by_name_slate_transcript_and_filters() {
    let footage = footage();
    let temp = tempfile::tempdir().expect("temp dir");
    let index = temp.path().join("index");
    let index_arg = index.to_str().expect("utf-8");
    let footage_arg = footage.to_str().expect("utf-8");

    let run = ok(&["index", footage_arg, "--index", index_arg]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    // Every bad file is named with a reason; the run still succeeds.
    for bad in ["empty.mp4", "notes_named_like_video.mp4", "truncated.mp4"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains("failed") && l.contains(bad)),
            "{bad} not reported:\n{stderr}"
        );
    }

    let status = json(&["status", "--index", index_arg, "--json"]);
    let text = status.to_string();
    assert!(
        text.contains("empty.mp4") && text.contains("truncated.mp4"),
        "failures missing from status: {text}"
    );
    // The text form says when each file failed, in UTC, not as a count of seconds.
    let status_text = ok(&["status", "--index", index_arg]);
    let text = String::from_utf8_lossy(&status_text.stdout);
    let failure = text
        .lines()
        .find(|line| line.contains("empty.mp4"))
        .unwrap_or_else(|| panic!("no failure line for empty.mp4:\n{text}"));
    let when = failure.trim_start_matches("  - ").split(": ").next();
    assert!(
        when.is_some_and(|when| when.len() == 20 && when.ends_with('Z') && &when[10..11] == "T"),
        "{failure}"
    );

    // File and folder names.
    let hits = search(&index, "crowd");
    assert_eq!(
        hits.first().map(file_name).as_deref(),
        Some("A001_C001_crowd.mp4"),
        "{hits:?}"
    );
    let hits = search(&index, "A001");
    let names: Vec<String> = hits.iter().map(file_name).collect();
    assert!(
        names.contains(&"A001_C001_crowd.mp4".to_string())
            && names.contains(&"A001_C003_slate.mp4".to_string())
    );
    assert!(!names.iter().any(|n| n.starts_with("B002")), "{names:?}");

    // The slate burned into the picture, read by OCR, points at the first seconds.
    let hits = search(&index, "scene 42 take 3");
    let slate = hits.first().expect("slate found");
    assert_eq!(file_name(slate), "A001_C003_slate.mp4");
    assert!(slate["start"].as_f64().unwrap_or(99.0) < 4.0, "{slate}");
    assert!(
        slate["signals"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x == "ocr")),
        "{slate}"
    );

    // A sidecar transcript line finds its own window.
    let hits = search(&index, "coffee dolly");
    let line = hits.first().expect("transcript hit");
    assert_eq!(file_name(line), "A001_C003_slate.mp4");
    assert!(
        line["start"].as_f64().unwrap_or(0.0) >= 4.0 && line["end"].as_f64().unwrap_or(0.0) <= 8.01,
        "{line}"
    );
    assert!(
        line["snippet"].as_str().unwrap_or_default().contains("<b>"),
        "{line}"
    );

    // Stemming and accent folding in an audio file's VTT transcript.
    let hits = search(&index, "rig cafe");
    assert_eq!(
        hits.first().map(file_name).as_deref(),
        Some("gaffer_interview.wav"),
        "{hits:?}"
    );
    assert_eq!(hits[0]["asset"]["kind"], "audio");

    // Filters narrow.
    for hit in search(&index, "kind:image") {
        assert_eq!(hit["asset"]["kind"], "image", "{hit}");
    }
    assert_eq!(search(&index, "kind:image").len(), 3);
    let names: Vec<String> = search(&index, "folder:day2")
        .iter()
        .map(file_name)
        .collect();
    assert!(
        !names.is_empty()
            && names
                .iter()
                .all(|n| n.starts_with("B002") || n.starts_with("gaffer")),
        "{names:?}"
    );
    assert!(
        search(&index, "camera:ARRI")
            .iter()
            .all(|h| file_name(h) == "A001_C001_crowd.mp4")
    );

    // A malformed filter is a clear error, not a crash.
    let bad = rushes(&["search", "date:2025-13-01", "--index", index_arg]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("date"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );

    // What the index knows of one file.
    let slate_path = footage.join("day1/A001_C003_slate.mp4");
    let shown = json(&[
        "show",
        slate_path.to_str().expect("utf-8"),
        "--index",
        index_arg,
        "--json",
    ]);
    assert_eq!(shown["asset"]["kind"], "video");
    assert!(
        shown["moments"].as_array().is_some_and(|m| !m.is_empty()),
        "{shown}"
    );
    let crowd = json(&[
        "show",
        footage
            .join("day1/A001_C001_crowd.mp4")
            .to_str()
            .expect("utf-8"),
        "--index",
        index_arg,
        "--json",
    ]);
    assert_eq!(
        crowd["asset"]["media"]["start_timecode"], "01:00:00:00",
        "{crowd}"
    );
    assert_eq!(crowd["asset"]["media"]["camera_make"], "ARRI", "{crowd}");

    // A rerun skips everything that did not change.
    let again = ok(&["index", footage_arg, "--index", index_arg, "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&again.stdout).expect("summary json");
    assert_eq!(summary["indexed"], 0, "{summary}");
    assert_eq!(summary["skipped"], 7, "{summary}");
}
