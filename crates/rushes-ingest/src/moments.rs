//! Turning shots, sampled frames, on-screen text runs and transcript lines into moments: the
//! time ranges a search returns. A long shot is split so that a hit plays near the right
//! second.

use rushes_core::{FrameRecord, MomentRecord, ScreenText, TranscriptLine};

/// What the pipeline learnt about one sampled frame.
#[derive(Debug, Clone, Default)]
pub struct FrameFacts {
    pub time: f64,
    pub thumbnail: Option<String>,
    pub embedding: Option<Vec<f32>>,
    pub tags: Vec<(String, f32)>,
}

/// Splits `[start, end]` into equal parts no longer than `max_len` seconds.
fn split_range(start: f64, end: f64, max_len: f64) -> Vec<(f64, f64)> {
    let length = (end - start).max(0.0);
    let parts = if max_len > 0.0 {
        (length / max_len).ceil().max(1.0) as usize
    } else {
        1
    };
    let step = length / parts as f64;
    (0..parts)
        .map(|i| {
            let part_start = start + step * i as f64;
            let part_end = if i + 1 == parts {
                end
            } else {
                start + step * (i + 1) as f64
            };
            (part_start, part_end)
        })
        .collect()
}

/// Builds moments from shot ranges. Frames are assigned to the range they fall in (the last
/// range takes its end point too); a range with no frame borrows the nearest frame's
/// thumbnail so every moment has a picture. A moment's OCR text is the lines of the
/// on-screen text runs overlapping it, each once.
pub fn build_moments(
    shots: &[(f64, f64)],
    frames: &[FrameFacts],
    screen_text: &[ScreenText],
    transcript: &[TranscriptLine],
    max_len: f64,
) -> Vec<MomentRecord> {
    let mut ranges = Vec::new();
    for &(start, end) in shots {
        ranges.extend(split_range(start, end, max_len));
    }
    let last = ranges.len().saturating_sub(1);
    ranges
        .iter()
        .enumerate()
        .map(|(index, &(start, end))| {
            let inside: Vec<&FrameFacts> = frames
                .iter()
                .filter(|f| f.time >= start && (f.time < end || (index == last && f.time <= end)))
                .collect();
            let keyframe = inside
                .first()
                .copied()
                .or_else(|| nearest_frame(frames, start));
            let mut tags: Vec<(String, f32)> = Vec::new();
            let mut ocr_lines: Vec<&str> = Vec::new();
            for frame in &inside {
                for (tag, score) in &frame.tags {
                    match tags.iter_mut().find(|(name, _)| name == tag) {
                        Some((_, best)) => *best = best.max(*score),
                        None => tags.push((tag.clone(), *score)),
                    }
                }
            }
            // A still's moment and its text are both the instant 0–0.
            for run in screen_text.iter().filter(|run| {
                run.start < end.max(start + 0.001) && run.end.max(run.start + 0.001) > start
            }) {
                for line in run.text.lines() {
                    if !ocr_lines.contains(&line) {
                        ocr_lines.push(line);
                    }
                }
            }
            tags.sort_by(|a, b| b.1.total_cmp(&a.1));
            let overlapping = transcript
                .iter()
                .filter(|line| line.start < end.max(start + 0.001) && line.end > start)
                .cloned()
                .collect();
            MomentRecord {
                start,
                end,
                keyframe: keyframe.map(|f| f.time).unwrap_or(start),
                thumbnail: keyframe.and_then(|f| f.thumbnail.clone()),
                tags,
                ocr_text: ocr_lines.join("\n"),
                transcript: overlapping,
                caption: None,
                frames: inside
                    .iter()
                    .map(|f| FrameRecord {
                        time: f.time,
                        thumbnail: f.thumbnail.clone(),
                        embedding: f.embedding.clone(),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn nearest_frame(frames: &[FrameFacts], time: f64) -> Option<&FrameFacts> {
    frames
        .iter()
        .min_by(|a, b| (a.time - time).abs().total_cmp(&(b.time - time).abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(time: f64) -> FrameFacts {
        FrameFacts {
            time,
            thumbnail: Some(format!("t/{}.jpg", (time * 1000.0) as u64)),
            ..FrameFacts::default()
        }
    }

    fn on_screen(start: f64, end: f64, text: &str) -> ScreenText {
        ScreenText {
            start,
            end,
            text: text.to_string(),
        }
    }

    #[test]
    fn long_shots_are_split_and_frames_land_in_their_part() {
        let frames = [frame(0.0), frame(2.0), frame(12.0), frame(20.0)];
        let slate = [on_screen(12.0, 13.0, "SCENE 42")];
        let moments = build_moments(&[(0.0, 24.0)], &frames, &slate, &[], 10.0);
        assert_eq!(moments.len(), 3);
        assert_eq!((moments[1].start, moments[1].end), (8.0, 16.0));
        assert_eq!(moments[1].ocr_text, "SCENE 42");
        assert_eq!(moments[1].keyframe, 12.0);
        assert_eq!(moments[2].frames.len(), 1);
    }

    #[test]
    fn transcript_lines_attach_to_the_moments_they_overlap() {
        let line = TranscriptLine {
            start: 4.5,
            end: 6.0,
            text: "coffee spill".into(),
            source: "srt".into(),
        };
        let moments = build_moments(&[(0.0, 5.0), (5.0, 9.0)], &[frame(0.0)], &[], &[line], 10.0);
        assert_eq!(moments[0].transcript.len(), 1);
        assert_eq!(moments[1].transcript.len(), 1);
        // The second moment has no frame of its own and borrows the nearest thumbnail.
        assert_eq!(moments[1].thumbnail.as_deref(), Some("t/0.jpg"));
    }

    #[test]
    fn a_still_is_one_moment_with_its_frame() {
        let sheet = [on_screen(0.0, 0.0, "CALL SHEET")];
        let moments = build_moments(&[(0.0, 0.0)], &[frame(0.0)], &sheet, &[], 10.0);
        assert_eq!(moments.len(), 1);
        assert_eq!(moments[0].frames.len(), 1);
        assert_eq!(moments[0].ocr_text, "CALL SHEET");
    }

    #[test]
    fn text_between_samples_is_the_moment_text_of_every_moment_it_overlaps() {
        // A lower third from 9.5 to 10.5 s across the split of a 20 s shot, read only on
        // text-gate frames (no sampled frame carries it).
        let third = [on_screen(9.5, 10.5, "MARIA LOPEZ\nGAFFER")];
        let moments = build_moments(&[(0.0, 20.0)], &[frame(0.0)], &third, &[], 10.0);
        assert_eq!(moments[0].ocr_text, "MARIA LOPEZ\nGAFFER");
        assert_eq!(moments[1].ocr_text, "MARIA LOPEZ\nGAFFER");
        let far = [on_screen(15.0, 16.0, "EXIT")];
        let moments = build_moments(&[(0.0, 20.0)], &[frame(0.0)], &far, &[], 10.0);
        assert_eq!(moments[0].ocr_text, "");
    }
}
