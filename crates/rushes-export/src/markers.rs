//! CSV marker lists (name, in, out, duration, notes, tags, file) with source timecodes, for
//! importing hits as markers in Premiere Pro or DaVinci Resolve.

use rushes_core::timecode::Timecode;

use crate::{ExportError, ExportItem};

/// The header row; editors map these columns on import.
pub const MARKER_COLUMNS: [&str; 7] = ["Name", "In", "Out", "Duration", "Notes", "Tags", "File"];

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
        let row = [
            item.name.clone(),
            source_in.to_string(),
            source_out.to_string(),
            duration.to_string(),
            item.notes.clone(),
            item.tags.join("; "),
            item.path.display().to_string(),
        ];
        let cells: Vec<String> = row.iter().map(|cell| csv_cell(cell)).collect();
        text.push_str(&cells.join(","));
        text.push_str("\r\n");
    }
    Ok(text)
}

fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}
