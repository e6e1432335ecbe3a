//! FCPXML 1.9: one format per frame rate and size, one asset per file (with its media-rep
//! file URL), and a library/event/project/sequence whose spine holds one asset-clip per
//! item, end to end from one hour, all times as rational seconds at the frame rate.

use std::fmt::Write;
use std::path::Path;

use rushes_core::timecode::Timecode;

use crate::{ExportError, ExportItem, FrameRate};

/// FCPXML resources: formats first, then assets, ids `r1`, `r2`...
struct Resources {
    formats: Vec<(FrameRate, Option<u32>, Option<u32>)>,
    /// (index into `formats`, the first item showing the file)
    assets: Vec<(usize, usize)>,
}

impl Resources {
    fn format_id(&self, format: usize) -> String {
        format!("r{}", format + 1)
    }

    fn asset_id(&self, asset: usize) -> String {
        format!("r{}", self.formats.len() + asset + 1)
    }
}

/// A Final Cut Pro XML 1.9 document with one project named `title`.
pub fn render_fcpxml(title: &str, items: &[ExportItem]) -> Result<String, ExportError> {
    let Some(first) = items.first() else {
        return Err(ExportError::Empty);
    };
    let mut resources = Resources {
        formats: Vec::new(),
        assets: Vec::new(),
    };
    // For each item: its asset's position in `resources.assets`.
    let mut item_assets = Vec::with_capacity(items.len());
    for (position, item) in items.iter().enumerate() {
        item.file_frames()?;
        let key = (item.frame_rate(), item.media.width, item.media.height);
        let format = match resources.formats.iter().position(|f| *f == key) {
            Some(found) => found,
            None => {
                resources.formats.push(key);
                resources.formats.len() - 1
            }
        };
        let asset = match resources
            .assets
            .iter()
            .position(|(_, shown)| items[*shown].path == item.path)
        {
            Some(found) => found,
            None => {
                resources.assets.push((format, position));
                resources.assets.len() - 1
            }
        };
        item_assets.push(asset);
    }

    let sequence_rate = first.frame_rate();
    let sequence_drop = first.start_timecode().drop_frame;
    let tc_format = |drop: bool| if drop { "DF" } else { "NDF" };

    let mut xml = String::new();
    let _ = writeln!(xml, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(xml, "<!DOCTYPE fcpxml>");
    let _ = writeln!(xml, r#"<fcpxml version="1.9">"#);
    let _ = writeln!(xml, "  <resources>");
    for (index, (rate, width, height)) in resources.formats.iter().enumerate() {
        let mut size = String::new();
        if let (Some(width), Some(height)) = (width, height) {
            let _ = write!(size, r#" width="{width}" height="{height}""#);
        }
        let _ = writeln!(
            xml,
            r#"    <format id="{}" frameDuration="{}"{size}/>"#,
            resources.format_id(index),
            rate.rational_seconds(1),
        );
    }
    for (index, (format, shown)) in resources.assets.iter().enumerate() {
        let item = &items[*shown];
        let rate = item.frame_rate();
        let start = item.start_timecode();
        let start_frames = start.to_frames(rate.fps());
        let duration_frames = item
            .media
            .duration
            .map(|d| rate.frames_in(d))
            .unwrap_or_else(|| item.file_frames().map(|(_, last)| last).unwrap_or(1))
            .max(1);
        let has_video = item.media.width.is_some();
        let has_audio = item.media.audio_codec.is_some();
        let file_name = item
            .path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            xml,
            r#"    <asset id="{}" name="{}" start="{}" duration="{}" hasVideo="{}" hasAudio="{}" format="{}">"#,
            resources.asset_id(index),
            escape(&file_name),
            rate.rational_seconds(start_frames),
            rate.rational_seconds(duration_frames),
            u8::from(has_video),
            u8::from(has_audio),
            resources.format_id(*format),
        );
        let _ = writeln!(
            xml,
            r#"      <media-rep kind="original-media" src="{}"/>"#,
            escape(&file_url(&item.path))
        );
        let _ = writeln!(xml, "    </asset>");
    }
    let _ = writeln!(xml, "  </resources>");

    let sequence_start = Timecode {
        hours: 1,
        minutes: 0,
        seconds: 0,
        frames: 0,
        drop_frame: sequence_drop,
    }
    .to_frames(sequence_rate.fps());
    let mut clips = String::new();
    let mut offset = sequence_start;
    for (item, asset) in items.iter().zip(&item_assets) {
        let (first_frame, last_frame) = item.file_frames()?;
        let rate = item.frame_rate();
        let origin = item.start_timecode().to_frames(rate.fps());
        let length = if rate == sequence_rate {
            last_frame - first_frame
        } else {
            sequence_rate
                .frames_in((last_frame - first_frame) as f64 / rate.fps())
                .max(1)
        };
        let _ = write!(
            clips,
            r#"            <asset-clip ref="{}" name="{}" offset="{}" start="{}" duration="{}" tcFormat="{}""#,
            resources.asset_id(*asset),
            escape(&item.name),
            sequence_rate.rational_seconds(offset),
            rate.rational_seconds(origin + first_frame),
            sequence_rate.rational_seconds(length),
            tc_format(item.start_timecode().drop_frame),
        );
        let slate_keywords = item.slate.as_ref().map(slate_keywords).unwrap_or_default();
        let slate_metadata = item.slate.as_ref().map(slate_metadata).unwrap_or_default();
        if item.notes.trim().is_empty() && item.tags.is_empty() && slate_metadata.is_empty() {
            let _ = writeln!(clips, "/>");
        } else {
            let _ = writeln!(clips, ">");
            if !item.notes.trim().is_empty() {
                let _ = writeln!(clips, "              <note>{}</note>", escape(&item.notes));
            }
            for tag in item.tags.iter().chain(&slate_keywords) {
                let _ = writeln!(
                    clips,
                    r#"              <keyword start="{}" duration="{}" value="{}"/>"#,
                    rate.rational_seconds(origin + first_frame),
                    rate.rational_seconds(last_frame - first_frame),
                    escape(tag)
                );
            }
            // Final Cut Pro's own Scene, Take, Reel and Camera Angle fields.
            if !slate_metadata.is_empty() {
                let _ = writeln!(clips, "              <metadata>");
                for (key, value) in &slate_metadata {
                    let _ = writeln!(
                        clips,
                        r#"                <md key="com.apple.proapps.studio.{key}" value="{}"/>"#,
                        escape(value)
                    );
                }
                let _ = writeln!(clips, "              </metadata>");
            }
            let _ = writeln!(clips, "            </asset-clip>");
        }
        offset += length;
    }

    let title = escape(title);
    let _ = writeln!(xml, "  <library>");
    let _ = writeln!(xml, r#"    <event name="{title}">"#);
    let _ = writeln!(xml, r#"      <project name="{title}">"#);
    let _ = writeln!(
        xml,
        r#"        <sequence format="{}" duration="{}" tcStart="{}" tcFormat="{}">"#,
        resources.format_id(0),
        sequence_rate.rational_seconds(offset - sequence_start),
        sequence_rate.rational_seconds(sequence_start),
        tc_format(sequence_drop),
    );
    let _ = writeln!(xml, "          <spine>");
    xml.push_str(&clips);
    let _ = writeln!(xml, "          </spine>");
    let _ = writeln!(xml, "        </sequence>");
    let _ = writeln!(xml, "      </project>");
    let _ = writeln!(xml, "    </event>");
    let _ = writeln!(xml, "  </library>");
    let _ = writeln!(xml, "</fcpxml>");
    Ok(xml)
}

/// Keywords for a slate's scene and take (`Scene 42A`, `Take 3`), so the clip is found by
/// them in the browser.
fn slate_keywords(slate: &rushes_core::Slate) -> Vec<String> {
    let scene = slate.scene.as_ref().map(|scene| format!("Scene {scene}"));
    let take = slate.take.as_ref().map(|take| format!("Take {take}"));
    scene.into_iter().chain(take).collect()
}

/// A slate's fields under Final Cut Pro's metadata keys (`scene`, `take`, `reel`, `angle`).
fn slate_metadata(slate: &rushes_core::Slate) -> Vec<(&'static str, String)> {
    [
        ("scene", &slate.scene),
        ("take", &slate.take),
        ("reel", &slate.roll),
        ("angle", &slate.camera),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.clone().map(|value| (key, value)))
    .collect()
}

/// Text safe inside an XML attribute or element.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// `file:///abs/path` with every byte outside the URL-safe set percent-encoded.
fn file_url(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let text = absolute.to_string_lossy();
    let mut url = String::from("file://");
    if !text.starts_with('/') {
        url.push('/');
    }
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                url.push(byte as char)
            }
            b'\\' => url.push('/'),
            other => {
                let _ = write!(url, "%{other:02X}");
            }
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_percent_encode_spaces_and_non_ascii() {
        assert_eq!(
            file_url(Path::new("/shoot/Day 1/café.mov")),
            "file:///shoot/Day%201/caf%C3%A9.mov"
        );
    }

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(escape(r#"a<b & "c""#), "a&lt;b &amp; &quot;c&quot;");
    }
}
