//! CMX3600 edit decision lists: one cut event per item (a video event, or an audio event for
//! a file with sound and no picture), source timecodes from each file, record timecodes laid
//! end to end from 01:00:00:00 at the first item's rate.

use std::fmt::Write;

use rushes_core::timecode::Timecode;

use crate::{ExportError, ExportItem};

/// Where the record side of the timeline starts, as editors expect.
const RECORD_START_HOURS: u32 = 1;

/// The most events a CMX3600 list can number (three digits).
const MAX_EVENTS: usize = 999;

/// A CMX3600 EDL of `items`, in order, titled `title`.
pub fn render_edl(title: &str, items: &[ExportItem]) -> Result<String, ExportError> {
    let Some(first) = items.first() else {
        return Err(ExportError::Empty);
    };
    if items.len() > MAX_EVENTS {
        return Err(first.invalid(format!(
            "a CMX3600 list holds at most {MAX_EVENTS} events, not {}",
            items.len()
        )));
    }
    let record_rate = first.frame_rate();
    let record_fps = record_rate.fps();
    let record_drop = first.start_timecode().drop_frame;
    let mut record_frames = Timecode {
        hours: RECORD_START_HOURS,
        minutes: 0,
        seconds: 0,
        frames: 0,
        drop_frame: record_drop,
    }
    .to_frames(record_fps);

    let mut text = String::new();
    let title: String = title.chars().filter(|c| !c.is_control()).take(70).collect();
    let _ = writeln!(text, "TITLE: {title}");
    let _ = writeln!(
        text,
        "FCM: {}",
        if record_drop {
            "DROP FRAME"
        } else {
            "NON-DROP FRAME"
        }
    );
    for (number, item) in items.iter().enumerate() {
        let (source_in, source_out) = item.source_timecodes()?;
        let (first_frame, last_frame) = item.file_frames()?;
        let length = if item.frame_rate() == record_rate {
            last_frame - first_frame
        } else {
            record_rate
                .frames_in((last_frame - first_frame) as f64 / item.frame_rate().fps())
                .max(1)
        };
        let record_in = Timecode::from_frames(record_frames, record_fps, record_drop);
        let record_out = Timecode::from_frames(record_frames + length, record_fps, record_drop);
        record_frames += length;
        let _ = writeln!(text);
        let _ = writeln!(
            text,
            "{:03}  {:<8} {:<6}C        {source_in} {source_out} {record_in} {record_out}",
            number + 1,
            item.reel_name(),
            track(item),
        );
        let _ = writeln!(text, "* FROM CLIP NAME: {}", one_line(&item.name));
        if source_in.drop_frame != record_drop {
            let _ = writeln!(
                text,
                "* SOURCE TIMECODE IS {}",
                if source_in.drop_frame {
                    "DROP FRAME"
                } else {
                    "NON-DROP FRAME"
                }
            );
        }
        if !item.notes.trim().is_empty() {
            let _ = writeln!(text, "* COMMENT: {}", one_line(&item.notes));
        }
        if let Some(slate) = item
            .slate
            .as_ref()
            .map(slate_comment)
            .filter(|c| !c.is_empty())
        {
            let _ = writeln!(text, "* {}", one_line(&slate));
        }
    }
    Ok(text)
}

/// The slate as an EDL comment's text: `SCENE: 42A TAKE: 3 ROLL: A007 CAMERA: A`, with the
/// fields that were read.
fn slate_comment(slate: &rushes_core::Slate) -> String {
    let fields = [
        ("SCENE", &slate.scene),
        ("TAKE", &slate.take),
        ("ROLL", &slate.roll),
        ("CAMERA", &slate.camera),
    ];
    let parts: Vec<String> = fields
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|value| format!("{name}: {value}")))
        .collect();
    parts.join(" ")
}

/// The event's track column: `V` for picture; for a sound-only file (an interview on a
/// separate recorder) `A` (mono, channel 1) or `AA` (channels 1 and 2).
fn track(item: &ExportItem) -> &'static str {
    let media = &item.media;
    if media.video_codec.is_some() || media.width.is_some() || media.audio_codec.is_none() {
        return "V";
    }
    if media.audio_channels == Some(1) {
        "A"
    } else {
        "AA"
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
