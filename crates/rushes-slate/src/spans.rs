//! Which stretch of a file each slate applies to. A slate names the take that follows it:
//! its fields apply from where it appears to the next slate or the end of the file.
//! Several reads of one slate (it is held for a second or two, OCR reads it on several
//! frames, some fields on some frames only) are one sighting with the fields of all. A tail
//! slate — read upside down, or near the end of the file with no slate before it — closes
//! its take instead, so its fields apply back to the start of the file.

use rushes_core::{ScreenText, Slate, SlateSpan};

use crate::parse::parse_slate;

/// A first slate ending this close to the end of the file (seconds) and in its last quarter
/// is a tail slate.
pub const TAIL_WINDOW: f64 = 10.0;
/// Share of the file after which a first slate may be a tail slate.
const TAIL_SHARE: f64 = 0.75;

struct Sighting {
    start: f64,
    end: f64,
    slate: Slate,
    upside_down: bool,
}

/// The slates in `screen_text` (on-screen text with its interval, in any order) with the
/// stretch of the file each applies to, in time order. `duration` is the file's length;
/// without it the last screen text's end stands for the end of the file.
pub fn slate_spans(screen_text: &[ScreenText], duration: Option<f64>) -> Vec<SlateSpan> {
    let mut texts: Vec<&ScreenText> = screen_text
        .iter()
        .filter(|text| text.start.is_finite() && text.end.is_finite())
        .collect();
    texts.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut sightings: Vec<Sighting> = Vec::new();
    for text in texts {
        let Some(read) = parse_slate(&text.text) else {
            continue;
        };
        let sighting = Sighting {
            start: text.start,
            end: text.end.max(text.start),
            slate: read.slate,
            upside_down: read.upside_down,
        };
        match sightings.last_mut() {
            Some(last) if same_take(&last.slate, &sighting.slate) => {
                fill_missing(&mut last.slate, &sighting.slate);
                last.end = last.end.max(sighting.end);
                last.upside_down &= sighting.upside_down;
            }
            _ => sightings.push(sighting),
        }
    }
    let last_text_end = screen_text
        .iter()
        .map(|text| text.end)
        .filter(|end| end.is_finite())
        .fold(0.0, f64::max);
    let file_end = duration
        .filter(|length| length.is_finite() && *length > 0.0)
        .unwrap_or(last_text_end);
    let mut spans = Vec::with_capacity(sightings.len());
    for (index, sighting) in sightings.iter().enumerate() {
        let next_start = sightings.get(index + 1).map(|next| next.start);
        // Overlapping reads of two slates: the later one starts the next span.
        let end = next_start.unwrap_or_else(|| file_end.max(sighting.end));
        let near_end =
            sighting.start >= file_end * TAIL_SHARE && file_end - sighting.end <= TAIL_WINDOW;
        let tail = index == 0 && sighting.start > 0.0 && (sighting.upside_down || near_end);
        spans.push(SlateSpan {
            start: if tail { 0.0 } else { sighting.start },
            end,
            seen_start: sighting.start,
            seen_end: sighting.end.min(end),
            tail,
            slate: sighting.slate.clone(),
        });
    }
    spans
}

/// True when two reads can be the same slate: no field both hold differs, and they share a
/// scene, take or roll.
fn same_take(a: &Slate, b: &Slate) -> bool {
    let pairs = [
        (&a.scene, &b.scene),
        (&a.take, &b.take),
        (&a.roll, &b.roll),
        (&a.camera, &b.camera),
    ];
    let conflict = pairs
        .iter()
        .any(|(x, y)| matches!((x, y), (Some(x), Some(y)) if x != y));
    let shared = pairs[..3]
        .iter()
        .any(|(x, y)| matches!((x, y), (Some(x), Some(y)) if x == y));
    !conflict && shared
}

/// Fields `from` read that `into` did not.
fn fill_missing(into: &mut Slate, from: &Slate) {
    let fields = [
        (&mut into.production, &from.production),
        (&mut into.roll, &from.roll),
        (&mut into.scene, &from.scene),
        (&mut into.take, &from.take),
        (&mut into.camera, &from.camera),
        (&mut into.date, &from.date),
        (&mut into.director, &from.director),
        (&mut into.dop, &from.dop),
        (&mut into.sound_roll, &from.sound_roll),
        (&mut into.timecode, &from.timecode),
    ];
    for (slot, value) in fields {
        if slot.is_none() {
            slot.clone_from(value);
        }
    }
    if into.sound.is_none() {
        into.sound = from.sound;
    }
}
