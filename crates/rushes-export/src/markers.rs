//! CSV marker lists (name, in, out, duration, notes, tags, file) with source timecodes, for
//! importing hits as markers in Premiere Pro or DaVinci Resolve. Text cells (names, notes,
//! tags, paths) are neutralised against spreadsheet formula injection
//! ([`spreadsheet_text_cell`]); the timecode columns are ours and written as they are.

use rushes_core::timecode::Timecode;

use crate::{ExportError, ExportItem};

/// The header row; editors map these columns on import.
/// The slate columns come last, so importers mapping the first seven by position still work.
pub const MARKER_COLUMNS: [&str; 11] = [
    "Name", "In", "Out", "Duration", "Notes", "Tags", "File", "Scene", "Take", "Roll", "Camera",
];

/// One header line and one line per item, RFC 4180 quoting, CRLF line ends.
pub fn render_markers_csv(items: &[ExportItem]) -> Result<String, ExportError> {
    if items.is_empty() {
        return Err(ExportError::Empty);
    }
    let mut text = MARKER_COLUMNS.join(",");
    text.push_str("\r\n");
    for item in items {
        let (source_in, source_out) = item.source_timecodes()?;
        let (first, last) = item.file_frames()?;
        let fps = item.frame_rate().fps();
        // Duration as a timecode-shaped frame count, never drop-frame numbered.
        let duration = Timecode::from_frames(last - first, fps, false);
        let cells = [
            spreadsheet_text_cell(&item.name),
            csv_cell(&source_in.to_string()),
            csv_cell(&source_out.to_string()),
            csv_cell(&duration.to_string()),
            spreadsheet_text_cell(&item.notes),
            spreadsheet_text_cell(&item.tags.join("; ")),
            spreadsheet_text_cell(&item.path.display().to_string()),
            slate_cell(item, |slate| &slate.scene),
            slate_cell(item, |slate| &slate.take),
            slate_cell(item, |slate| &slate.roll),
            slate_cell(item, |slate| &slate.camera),
        ];
        text.push_str(&cells.join(","));
        text.push_str("\r\n");
    }
    Ok(text)
}

/// One slate field of an item as a text cell (empty without a slate or the field).
fn slate_cell(item: &ExportItem, field: impl Fn(&rushes_core::Slate) -> &Option<String>) -> String {
    let value = item
        .slate
        .as_ref()
        .and_then(|slate| field(slate).as_deref());
    spreadsheet_text_cell(value.unwrap_or(""))
}

/// Characters that make a spreadsheet read a cell as a formula (or, for tab and carriage
/// return, hide one behind them), as OWASP's CSV-injection guidance lists them.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A CSV cell of text that came from a person or a file (a name, a note, a tag, a path),
/// safe to open in a spreadsheet: a cell starting with `=`, `+`, `-`, `@`, tab or carriage
/// return gets a leading `'` and is quoted, so Excel, LibreOffice and Google Sheets show it
/// as text instead of running it (`=HYPERLINK(…)`). A cell holding `;` or a tab is quoted
/// too: spreadsheets set to those separators would otherwise split it and start a new cell
/// mid-text (`take 3;=cmd…`). Numbers and timecodes rushes writes itself go through
/// `csv_cell`; a column another export adds for text (a slate's scene, a person's name)
/// should use this.
pub fn spreadsheet_text_cell(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) {
        quoted(&format!("'{text}"))
    } else if text.contains([';', '\t']) {
        quoted(text)
    } else {
        csv_cell(text)
    }
}

/// A CSV cell quoted as RFC 4180 needs: in double quotes (doubled inside) when it holds a
/// comma, a quote or a line break.
fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        quoted(cell)
    } else {
        cell.to_string()
    }
}

fn quoted(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}
