//! On-screen text over time: the OCR reads of a video's gated frames (samples and
//! text-gate frames, in time order) merged into runs, each with the interval it is on
//! screen (`rushes_core::ScreenText`). Owns the merge rule only; the pipeline decides which
//! frames are read.
//!
//! A run starts at the first frame its text was read on and ends one gate step after the
//! last (never past the next frame that showed something else, nor the end of the file).
//! Consecutive reads join a run when they are the same text or OCR noise of it: the same
//! digits in the same order and at least 80% of the characters alike, a running timecode
//! aside. A changed scene, take or roll number is another run.

use rushes_core::ScreenText;

/// Share of characters (1 − edit distance ÷ longer length) two reads with the same digits
/// must share to count as one text read twice.
const NEAR_SAME: f64 = 0.8;

/// A run being built: where it starts, the last frame it was seen on, its reads.
#[derive(Debug)]
struct Run {
    start: f64,
    last_seen: f64,
    /// `None` while the run may still grow.
    end: Option<f64>,
    /// Distinct reads with how often each was read, in the order first read.
    reads: Vec<(String, usize)>,
    /// The latest read: the next frame is compared with it.
    latest: String,
}

impl Run {
    fn new(time: f64, text: String) -> Run {
        Run {
            start: time,
            last_seen: time,
            end: None,
            reads: vec![(text.clone(), 1)],
            latest: text,
        }
    }

    fn add(&mut self, time: f64, text: String) {
        self.last_seen = time;
        match self.reads.iter_mut().find(|(read, _)| *read == text) {
            Some((_, count)) => *count += 1,
            None => self.reads.push((text.clone(), 1)),
        }
        self.latest = text;
    }

    /// The read seen most often (the first of equals: a smart slate's starting timecode).
    fn text(&self) -> String {
        let mut best: Option<&(String, usize)> = None;
        for read in &self.reads {
            if best.is_none_or(|(_, count)| read.1 > *count) {
                best = Some(read);
            }
        }
        best.map(|(text, _)| text.clone()).unwrap_or_default()
    }
}

/// Builds the runs of one video from its gated frames in time order.
#[derive(Debug)]
pub struct ScreenTextRuns {
    /// Seconds between gated frames at most (the text gate's step).
    step: f64,
    runs: Vec<Run>,
}

impl ScreenTextRuns {
    /// Runs for frames gated at least every `step` seconds (0 for a still).
    pub fn new(step: f64) -> ScreenTextRuns {
        ScreenTextRuns {
            step: if step.is_finite() { step.max(0.0) } else { 0.0 },
            runs: Vec::new(),
        }
    }

    /// A gated frame at `time` and the lines read on it (none: no text there).
    pub fn push(&mut self, time: f64, lines: &[String]) {
        let text = lines
            .iter()
            .map(|line| line.trim())
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let step = self.step;
        if let Some(run) = self.runs.last_mut()
            && run.end.is_none()
        {
            if !text.is_empty() && near_same(&run.latest, &text) {
                run.add(time, text);
                return;
            }
            run.end = Some((run.last_seen + step).min(time));
        }
        if text.is_empty() {
            return;
        }
        // One frame the gate or the reader missed does not split a run: the same text
        // again within two steps of its last sighting continues it.
        if let Some(run) = self.runs.last_mut()
            && time - run.last_seen <= 2.0 * step + 1e-6
            && near_same(&run.latest, &text)
        {
            run.end = None;
            run.add(time, text);
            return;
        }
        self.runs.push(Run::new(time, text));
    }

    /// The runs in time order; the last ends one step after it was last seen, and none
    /// past `duration`.
    pub fn finish(self, duration: Option<f64>) -> Vec<ScreenText> {
        let step = self.step;
        self.runs
            .into_iter()
            .map(|run| {
                let mut end = run.end.unwrap_or(run.last_seen + step);
                if let Some(duration) = duration.filter(|d| d.is_finite() && *d >= run.start) {
                    end = end.min(duration);
                }
                ScreenText {
                    start: run.start,
                    end: end.max(run.start),
                    text: run.text(),
                }
            })
            .collect()
    }
}

/// Whether two reads are one text read twice (see the module comment).
pub(crate) fn near_same(a: &str, b: &str) -> bool {
    let (a, b) = (normalised(a), normalised(b));
    if a == b {
        return true;
    }
    let (a, b) = (without_timecodes(&a), without_timecodes(&b));
    let digits = |text: &str| {
        text.chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
    };
    if digits(&a) != digits(&b) {
        return false;
    }
    similarity(&a, &b) >= NEAR_SAME
}

/// Upper case, one space between words.
fn normalised(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// The words that are not a running timecode (`01:02:03:04`, `10:00:12;05`): digits with at
/// least two `:`, `;` or `.` between them, which change every frame on a smart slate.
fn without_timecodes(text: &str) -> String {
    text.split(' ')
        .filter(|word| {
            let separators = word
                .chars()
                .filter(|c| matches!(c, ':' | ';' | '.'))
                .count();
            let timecode = separators >= 2
                && word
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ':' | ';' | '.'));
            !timecode
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// 1 − Levenshtein distance ÷ the longer length (1 for two empty texts).
fn similarity(a: &str, b: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    1.0 - previous[b.len()] as f64 / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    fn runs(step: f64, frames: &[(f64, &str)], duration: f64) -> Vec<ScreenText> {
        let mut runs = ScreenTextRuns::new(step);
        for (time, text) in frames {
            runs.push(*time, &lines(text));
        }
        runs.finish(Some(duration))
    }

    #[test]
    fn a_text_held_over_frames_is_one_run_from_its_first_frame_to_a_step_after_its_last() {
        let found = runs(
            1.0,
            &[
                (0.0, ""),
                (1.0, "SCENE 12\nTAKE 3"),
                (2.0, "SCENE 12\nTAKE 3"),
                (3.0, ""),
            ],
            10.0,
        );
        assert_eq!(
            found,
            vec![ScreenText {
                start: 1.0,
                end: 3.0,
                text: "SCENE 12\nTAKE 3".into()
            }]
        );
    }

    #[test]
    fn a_changed_take_is_a_new_run_and_ocr_noise_is_not() {
        let found = runs(
            1.0,
            &[
                (1.0, "SCENE 12 TAKE 3"),
                (2.0, "SCENE 12 TAKF 3"),
                (3.0, "SCENE 12 TAKE 3"),
                (4.0, "SCENE 12 TAKE 4"),
            ],
            4.5,
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].start, found[0].end), (1.0, 4.0));
        assert_eq!(found[0].text, "SCENE 12 TAKE 3", "the read seen most often");
        assert_eq!(
            (found[1].start, found[1].end),
            (4.0, 4.5),
            "capped to the file"
        );
    }

    #[test]
    fn a_running_timecode_stays_one_run_with_its_first_reading() {
        let found = runs(
            0.5,
            &[
                (5.0, "ROLL A007\n01:02:03:04"),
                (5.5, "ROLL A007\n01:02:03:16"),
                (6.0, "ROLL A007\n01:02:04:03"),
            ],
            60.0,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].text, "ROLL A007\n01:02:03:04");
        assert_eq!((found[0].start, found[0].end), (5.0, 6.5));
    }

    #[test]
    fn one_missed_frame_does_not_split_a_run_but_another_text_between_does() {
        let found = runs(
            1.0,
            &[(1.0, "CALL SHEET"), (2.0, ""), (3.0, "CALL SHEET")],
            9.0,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].start, found[0].end), (1.0, 4.0));
        let found = runs(
            1.0,
            &[(1.0, "CALL SHEET"), (2.0, "EXIT"), (3.0, "CALL SHEET")],
            9.0,
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].end, 2.0, "ends where another text shows");
    }

    #[test]
    fn a_still_is_one_instant() {
        let mut runs = ScreenTextRuns::new(0.0);
        runs.push(0.0, &lines("CALL SHEET\nDAY 3"));
        let found = runs.finish(None);
        assert_eq!((found[0].start, found[0].end), (0.0, 0.0));
    }
}
