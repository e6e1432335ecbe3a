//! Semantic search on a PostgreSQL library, end to end with the real all-MiniLM-L6-v2:
//! `rushes index` into `postgres://…` of a clip with a sidecar transcript embeds its lines as
//! text units; `rushes search` finds a line by meaning (other words) at the line's time,
//! and nothing for a query about nothing in the footage; `rushes tag --note` embeds the
//! note, so a search in other words finds its range; `rushes status` names the sentence
//! model. Footage as `search_listing.rs`'s (`footage::colour_shots_with_lines`).

use std::path::Path;

use rushes_testkit::path_str;
use rushes_testkit::postgres::shared_server;

use crate::footage::{colour_shots_with_lines, hits_of, json, ok};

/// Four 3 s shots with a line of speech in each (the sidecar `craft_run.srt`).
fn make_talking_shots(folder: &Path) {
    colour_shots_with_lines(
        folder,
        "craft_run",
        [
            "we need more coffee over here",
            "the whole rig just went dark",
            "the actor forgot his lines again",
            "okay rolling, action",
        ],
    );
}

/// The (start, unit kind, unit text) of each hit found by meaning.
fn by_meaning(response: &serde_json::Value) -> Vec<(f64, String, String)> {
    hits_of(response)
        .iter()
        .filter(|hit| !hit["semantic"].is_null())
        .map(|hit| {
            (
                hit["start"].as_f64().unwrap_or(-1.0),
                hit["semantic"]["kind"].as_str().unwrap_or("").to_string(),
                hit["semantic"]["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_postgres_library_finds_spoken_lines_and_hand_notes_by_meaning() {
    let temp = tempfile::tempdir().expect("temp dir");
    let folder = temp.path().join("shoot");
    make_talking_shots(&folder);
    let url = shared_server()
        .and_then(|server| server.fresh_database())
        .expect("a fresh database");
    ok(&[
        "index",
        path_str(&folder),
        "--index",
        &url,
        "--no-ocr",
        "--no-speech",
        "--no-faces",
        "--no-captions",
    ]);

    // Other words than the line's: found by meaning, at the line's time.
    let response = json(&["search", "lighting failure", "--index", &url, "--json"]);
    let found = by_meaning(&response);
    assert_eq!(
        found.first(),
        Some(&(
            4.0,
            "transcript".to_string(),
            "the whole rig just went dark".to_string()
        )),
        "{response}"
    );
    let nothing = json(&[
        "search",
        "underwater submarine battle",
        "--index",
        &url,
        "--json",
    ]);
    assert!(hits_of(&nothing).is_empty(), "{nothing}");

    // A note on a range, embedded as it is written: found in other words.
    let id = hits_of(&response)[0]["asset"]["id"]
        .as_str()
        .expect("an asset id")
        .to_string();
    let tagged = ok(&[
        "tag",
        &format!("{id}@0-3"),
        "--note",
        "continuity problem: the watch changes wrists",
        "--index",
        &url,
    ]);
    let stderr = String::from_utf8_lossy(&tagged.stderr);
    assert!(
        !stderr.contains("not searchable by meaning"),
        "the note was embedded: {stderr}"
    );
    let watch = json(&[
        "search",
        "actor wearing the timepiece on the wrong arm",
        "--index",
        &url,
        "--json",
    ]);
    // On the first shot, whose line (coffee) means nothing of the kind.
    let notes: Vec<_> = by_meaning(&watch)
        .into_iter()
        .filter(|(_, kind, _)| kind == "note")
        .collect();
    assert_eq!(
        notes,
        vec![(
            0.0,
            "note".to_string(),
            "continuity problem: the watch changes wrists".to_string()
        )],
        "{watch}"
    );

    let status = json(&["status", "--index", &url, "--json"]);
    assert_eq!(
        status["text_unit_models"][0]["name"], "all-minilm-l6-v2",
        "{status}"
    );
    assert_eq!(status["text_unit_models"][0]["dim"], 384, "{status}");
}
