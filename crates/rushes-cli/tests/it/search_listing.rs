//! `rushes search` options and listings a user notices: `--per-asset 0` means no limit per
//! file (not 1), and a filter-only listing says which filter each hit matched.
//! Footage: four hard-cut colour shots (ffmpeg lavfi) with a sidecar transcript that says
//! "coffee" once in each shot.

use std::path::Path;

use rushes_testkit::path_str;

use crate::footage::{colour_shots_with_lines, file_name, hits_of, json, ok};

/// Four 3 s shots (red, green, blue, white) cut hard, as `craft_run.mp4`, with a transcript
/// line naming coffee inside each shot.
fn make_four_coffee_shots(folder: &Path) {
    colour_shots_with_lines(
        folder,
        "craft_run",
        [
            "More coffee for shot 1.",
            "More coffee for shot 2.",
            "More coffee for shot 3.",
            "More coffee for shot 4.",
        ],
    );
}

fn index_folder(folder: &Path, index: &Path) {
    ok(&[
        "index",
        path_str(folder),
        "--index",
        path_str(index),
        "--no-ocr",
        "--no-speech",
        "--no-faces",
        "--no-captions",
    ]);
}

fn starts(response: &serde_json::Value) -> Vec<f64> {
    let mut starts: Vec<f64> = hits_of(response)
        .iter()
        .map(|hit| hit["start"].as_f64().unwrap_or(-1.0))
        .collect();
    starts.sort_by(f64::total_cmp);
    starts
}

#[test]
fn per_asset_zero_means_no_limit_and_a_filter_only_listing_names_its_filter() {
    let temp = tempfile::tempdir().expect("temp dir");
    let folder = temp.path().join("shoot");
    make_four_coffee_shots(&folder);
    let index_dir = temp.path().join("index");
    index_folder(&folder, &index_dir);
    let index = path_str(&index_dir);

    let search = |per_asset: &str| {
        json(&[
            "search",
            "coffee",
            "--index",
            index,
            "--json",
            "--per-asset",
            per_asset,
        ])
    };
    // Each shot's line is its own hit, at the line's time.
    let unlimited = starts(&search("0"));
    assert_eq!(unlimited.len(), 4, "{unlimited:?}");
    for (found, line_start) in unlimited.iter().zip([1.0, 4.0, 7.0, 10.0]) {
        assert!((found - line_start).abs() < 0.05, "{unlimited:?}");
    }
    assert_eq!(starts(&search("1")).len(), 1);
    assert_eq!(starts(&search("2")).len(), 2);
    let default = json(&["search", "coffee", "--index", index, "--json"]);
    assert_eq!(hits_of(&default).len(), 3, "the default is 3 per file");

    // The help says what 0 does.
    let help = ok(&["search", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("0: no limit"), "{help}");

    // A listing by filter alone: the filter is the hit's reason, in JSON and on the terminal.
    let listing = json(&["search", "kind:video", "--index", index, "--json"]);
    let hits = hits_of(&listing);
    assert!(!hits.is_empty());
    for hit in &hits {
        assert_eq!(file_name(hit), "craft_run.mp4");
        assert_eq!(hit["filters"], serde_json::json!(["kind:video"]), "{hit}");
        assert_eq!(hit["signals"], serde_json::json!([]), "{hit}");
    }
    let printed = ok(&["search", "kind:video", "--index", index]);
    let printed = String::from_utf8_lossy(&printed.stdout);
    assert!(printed.contains("[kind:video]"), "{printed}");
    // Words give signals, and no filter reasons.
    let worded = json(&["search", "coffee kind:video", "--index", index, "--json"]);
    for hit in hits_of(&worded) {
        assert_eq!(hit["signals"], serde_json::json!(["transcript"]), "{hit}");
        assert!(hit.get("filters").is_none(), "{hit}");
    }
}
