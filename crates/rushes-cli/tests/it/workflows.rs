//! Editor and marketing workflows on the real fixture footage: export a query's hits as an
//! EDL, CSV markers, FCPXML and MP4 clips; tag an asset by hand and find it by `tag:`;
//! collect ranges into a collection and export that.

use std::path::Path;

use rushes_core::timecode::Timecode;

use crate::backends::{Backend, library_at, on_both_backends};
use crate::footage::{ffprobe_duration, file_name, footage, json, ok, rushes, search};

/// Indexes the first shoot day (the crowd clip and the slate with its transcript).
pub fn index_day_one(index: &Path) {
    let day1 = footage().join("day1");
    ok(&[
        "index",
        day1.to_str().expect("utf-8"),
        "--index",
        index.to_str().expect("utf-8"),
        "--no-visual",
    ]);
}

fn export(index: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "export",
        "--index",
        index.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--no-visual",
    ];
    args.extend_from_slice(extra);
    let output = ok(&args);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn export_scene_42_as_edl_csv_fcpxml_and_mp4_with_handles(backend: Backend) {
    let temp = tempfile::tempdir().expect("temp dir");
    let index = library_at(backend, &temp.path().join("index"));
    index_day_one(&index);
    let index_arg = index.to_str().expect("utf-8");

    let hits = search(&index, "scene 42");
    let slate = hits.first().expect("the slate is found");
    assert_eq!(file_name(slate), "A001_C003_slate.mp4");
    let (start, end) = (
        slate["start"].as_f64().expect("start"),
        slate["end"].as_f64().expect("end"),
    );
    let id = slate["asset"]["id"].as_str().expect("id");
    let detail = json(&["show", id, "--index", index_arg, "--json"]);
    let media = &detail["asset"]["media"];
    let fps = media["frame_rate"].as_f64().expect("frame rate");
    let file_duration = media["duration"].as_f64().expect("duration");
    // The slate file carries no timecode: its source timecode runs from 00:00:00:00.
    let expected_in = Timecode::from_frames((start * fps).round() as u64, fps, false);
    let expected_out = Timecode::from_frames((end * fps).round() as u64, fps, false);

    // EDL: one event for the slate, reel from its name, source = its timecode.
    let out = temp.path().join("edl");
    let written = export(
        &index,
        &out,
        &["scene 42", "--format", "edl", "--limit", "1"],
    );
    assert_eq!(written.len(), 1, "{written:?}");
    let edl = std::fs::read_to_string(&written[0]).expect("read edl");
    let mut lines = edl.lines();
    assert_eq!(lines.next(), Some("TITLE: scene 42"));
    assert_eq!(lines.next(), Some("FCM: NON-DROP FRAME"));
    let event: Vec<&str> = edl
        .lines()
        .find(|l| l.starts_with("001 "))
        .expect("event 001")
        .split_whitespace()
        .collect();
    assert_eq!(
        event,
        [
            "001",
            "A001C003",
            "V",
            "C",
            &expected_in.to_string(),
            &expected_out.to_string(),
            "01:00:00:00",
            &Timecode::from_frames(
                Timecode::from_frames(86_400, fps, false).to_frames(fps)
                    + expected_out.to_frames(fps)
                    - expected_in.to_frames(fps),
                fps,
                false
            )
            .to_string(),
        ]
    );
    assert!(
        edl.contains("* FROM CLIP NAME: A001_C003_slate.mp4"),
        "{edl}"
    );

    // CSV markers: a header and the slate row with the same timecodes.
    let out = temp.path().join("csv");
    let written = export(
        &index,
        &out,
        &["scene 42", "--format", "csv", "--limit", "1"],
    );
    let csv = std::fs::read_to_string(&written[0]).expect("read csv");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "Name,In,Out,Duration,Notes,Tags,File,Scene,Take,Roll,Camera"
    );
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows[1].starts_with(&format!(
            "A001_C003_slate.mp4,{expected_in},{expected_out},"
        )),
        "{csv}"
    );

    // FCPXML: well formed enough to hold the asset, its file URL and one spine clip.
    let out = temp.path().join("fcpxml");
    let written = export(
        &index,
        &out,
        &["scene 42", "--format", "fcpxml", "--limit", "1"],
    );
    let xml = std::fs::read_to_string(&written[0]).expect("read fcpxml");
    assert!(xml.contains(r#"<fcpxml version="1.9">"#), "{xml}");
    assert!(xml.contains(r#"frameDuration="1001/24000s""#), "{xml}");
    assert!(
        xml.contains("<media-rep kind=\"original-media\" src=\"file:///"),
        "{xml}"
    );
    assert!(xml.contains("A001_C003_slate.mp4\"/>"), "{xml}");
    assert_eq!(xml.matches("<asset-clip ").count(), 1, "{xml}");
    for element in [
        "resources",
        "library",
        "event",
        "project",
        "sequence",
        "spine",
        "fcpxml",
    ] {
        assert_eq!(
            xml.matches(&format!("<{element}")).count(),
            xml.matches(&format!("</{element}>")).count(),
            "{element} not closed: {xml}"
        );
    }

    // MP4 with half-second handles (clamped to the file): duration within one frame.
    let out = temp.path().join("mp4");
    let written = export(
        &index,
        &out,
        &[
            "scene 42",
            "--format",
            "mp4",
            "--handles",
            "0.5",
            "--limit",
            "1",
        ],
    );
    assert_eq!(written.len(), 1, "{written:?}");
    let clip = Path::new(&written[0]);
    assert_eq!(
        clip.file_name().map(|n| n.to_string_lossy().into_owned()),
        Some(format!(
            "A001_C003_slate_{}.mp4",
            expected_in.to_string().replace(':', "-")
        ))
    );
    let expected = (end + 0.5).min(file_duration) - (start - 0.5).max(0.0);
    let got = ffprobe_duration(clip).expect("a duration");
    assert!(
        (got - expected).abs() <= 1.0 / fps + 1e-3,
        "clip lasts {got} s, expected {expected} s"
    );
}

fn hand_tags_are_searchable_and_collections_export_their_ranges(backend: Backend) {
    let temp = tempfile::tempdir().expect("temp dir");
    let index = library_at(backend, &temp.path().join("index"));
    index_day_one(&index);
    let index_arg = index.to_str().expect("utf-8");
    let crowd = footage().join("day1/A001_C001_crowd.mp4");
    let crowd_arg = crowd.to_str().expect("utf-8");

    assert!(search(&index, "tag:blooper").is_empty());
    let tagged = ok(&["tag", crowd_arg, "blooper", "--index", index_arg]);
    assert!(String::from_utf8_lossy(&tagged.stdout).contains("blooper"));
    let hits = search(&index, "tag:blooper");
    assert!(!hits.is_empty(), "tagged asset not found by tag:");
    assert!(
        hits.iter().all(|h| file_name(h) == "A001_C001_crowd.mp4"),
        "{hits:?}"
    );
    let id = hits[0]["asset"]["id"].as_str().expect("id").to_string();

    ok(&["tag", &id, "blooper", "--remove", "--index", index_arg]);
    assert!(search(&index, "tag:blooper").is_empty(), "tag not removed");
    let unknown = rushes(&["tag", "ffffffffffffffff", "x", "--index", index_arg]);
    assert!(!unknown.status.success());

    // A range of the crowd clip (which has source timecode 01:00:00:00) in a collection.
    let entry = format!("{id}@1-3");
    ok(&["collection", "add", "trailer", &entry, "--index", index_arg]);
    let shown = json(&[
        "collection",
        "show",
        "trailer",
        "--index",
        index_arg,
        "--json",
    ]);
    let entries = shown["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{shown}");
    assert_eq!(entries[0]["asset"]["id"], id.as_str());
    assert_eq!(
        (entries[0]["start"].as_f64(), entries[0]["end"].as_f64()),
        (Some(1.0), Some(3.0))
    );
    let bad = rushes(&[
        "collection",
        "add",
        "trailer",
        &format!("{id}@3-1"),
        "--index",
        index_arg,
    ]);
    assert!(!bad.status.success());

    let out = temp.path().join("out");
    let written = ok(&[
        "export",
        "--collection",
        "trailer",
        "--format",
        "edl",
        "--out",
        out.to_str().expect("utf-8"),
        "--index",
        index_arg,
    ]);
    let path = String::from_utf8_lossy(&written.stdout).trim().to_string();
    let edl = std::fs::read_to_string(&path).expect("read edl");
    let event = edl.lines().find(|l| l.starts_with("001 ")).expect("event");
    assert!(
        event.contains("A001C001") && event.contains("01:00:01:00 01:00:03:00"),
        "{edl}"
    );
    // The same range as a square clip for social media.
    let square = temp.path().join("square");
    let written = ok(&[
        "export",
        "--collection",
        "trailer",
        "--format",
        "mp4",
        "--crop",
        "1:1",
        "--out",
        square.to_str().expect("utf-8"),
        "--index",
        index_arg,
    ]);
    let clip = String::from_utf8_lossy(&written.stdout).trim().to_string();
    assert!(clip.ends_with("A001_C001_crowd_01-00-01-00.mp4"), "{clip}");
    let size = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=width,height", "-of", "csv=p=0"])
        .arg(&clip)
        .output()
        .expect("run ffprobe");
    let size = String::from_utf8_lossy(&size.stdout).trim().to_string();
    let (width, height) = size.split_once(',').expect("width,height");
    assert_eq!(width, height, "not square: {size}");
    assert!((ffprobe_duration(Path::new(&clip)).expect("a duration") - 2.0).abs() < 0.05);
}

/// `(x, y)` of cell `n`'s picture and the label band's height, as the default layout puts
/// them: 4 columns of 320x180 pictures, 44 px labels, 16 px gaps, a 48 px title band.
fn contact_cell(n: u32) -> (u32, u32) {
    (16 + (n % 4) * 336, 48 + 16 + (n / 4) * 240)
}

/// Share of pixels in a rectangle darker than mid-grey.
fn dark_share(image: &image::RgbImage, x: u32, y: u32, width: u32, height: u32) -> f64 {
    let mut dark = 0u32;
    for py in y..y + height {
        for px in x..x + width {
            let [r, g, b] = image.get_pixel(px, py).0;
            if u32::from(r) + u32::from(g) + u32::from(b) < 3 * 128 {
                dark += 1;
            }
        }
    }
    f64::from(dark) / f64::from(width * height)
}

fn moment_tags_notes_and_a_reordered_collection_become_a_contact_sheet(backend: Backend) {
    let temp = tempfile::tempdir().expect("temp dir");
    let index = library_at(backend, &temp.path().join("index"));
    index_day_one(&index);
    let index_arg = index.to_str().expect("utf-8");
    let crowd = footage().join("day1/A001_C001_crowd.mp4");
    let slate = footage().join("day1/A001_C003_slate.mp4");
    let (crowd_arg, slate_arg) = (
        crowd.to_str().expect("utf-8"),
        slate.to_str().expect("utf-8"),
    );

    // A moment of the crowd clip, by path and range: found by its tag and by its note.
    let moment = format!("{crowd_arg}@1-3");
    let tagged = ok(&[
        "tag",
        &moment,
        "blooper",
        "--note",
        "boom pole in shot",
        "--index",
        index_arg,
    ]);
    let printed = String::from_utf8_lossy(&tagged.stdout).to_string();
    assert!(
        printed.contains("blooper") && printed.contains("boom pole in shot"),
        "{printed}"
    );
    let hits = search(&index, "tag:blooper");
    assert!(!hits.is_empty(), "tagged moment not found by tag:");
    for hit in &hits {
        assert_eq!(file_name(hit), "A001_C001_crowd.mp4");
        let (start, end) = (hit["start"].as_f64(), hit["end"].as_f64());
        assert!(
            start < Some(3.0) && end > Some(1.0),
            "hit outside the moment: {hit}"
        );
    }
    assert!(
        search(&index, "boom pole")
            .iter()
            .any(|h| file_name(h) == "A001_C001_crowd.mp4"),
        "note not searchable"
    );

    // A collection of three entries, reordered, one removed, renamed.
    for entry in [
        format!("{slate_arg}@0-2"),
        moment.clone(),
        format!("{slate_arg}@4-6"),
    ] {
        ok(&["collection", "add", "epk", &entry, "--index", index_arg]);
    }
    ok(&["collection", "move", "epk", "3", "1", "--index", index_arg]);
    ok(&["collection", "remove", "epk", "2", "--index", index_arg]);
    ok(&[
        "collection",
        "rename",
        "epk",
        "press kit",
        "--index",
        index_arg,
    ]);
    let listed = json(&["collection", "list", "--index", index_arg, "--json"]);
    assert_eq!(listed[0]["name"], "press kit", "{listed}");
    assert_eq!(listed[0]["items"], 2, "{listed}");
    let shown = json(&[
        "collection",
        "show",
        "press kit",
        "--index",
        index_arg,
        "--json",
    ]);
    let ranges: Vec<(String, f64)> = shown["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                Path::new(e["asset"]["path"].as_str().unwrap_or_default())
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                e["start"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    assert_eq!(
        ranges,
        vec![
            ("A001_C003_slate.mp4".to_string(), 4.0),
            ("A001_C001_crowd.mp4".to_string(), 1.0)
        ]
    );

    // The contact sheet: one labelled cell per entry, in the collection's order.
    let out = temp.path().join("kit");
    let written = export(
        &index,
        &out,
        &["--collection", "press kit", "--format", "contact-sheet"],
    );
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(written[0].ends_with("press_kit.png"), "{written:?}");
    let sheet = image::open(&written[0]).expect("a PNG").to_rgb8();
    assert_eq!(sheet.dimensions(), (16 + 2 * 336, 48 + 16 + 240));
    for n in 0..2 {
        let (x, y) = contact_cell(n);
        let picture = dark_share(&sheet, x, y, 320, 180);
        assert!(picture < 0.95, "cell {n} has no picture ({picture})");
        let label = dark_share(&sheet, x, y + 184, 320, 40);
        assert!(
            (0.005..0.5).contains(&label),
            "cell {n} has no label text ({label})"
        );
    }
    // Nothing but white where a third cell would be: one cell per entry.
    assert!(sheet.width() < contact_cell(2).0 + 320);
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .expect("out dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "press_kit.png")
        .collect();
    assert!(leftovers.is_empty(), "work files left: {leftovers:?}");

    ok(&["collection", "delete", "press kit", "--index", index_arg]);
    let listed = json(&["collection", "list", "--index", index_arg, "--json"]);
    assert_eq!(listed, serde_json::json!([]));
}

on_both_backends!(
    export_scene_42_as_edl_csv_fcpxml_and_mp4_with_handles,
    hand_tags_are_searchable_and_collections_export_their_ranges,
    moment_tags_notes_and_a_reordered_collection_become_a_contact_sheet,
);
