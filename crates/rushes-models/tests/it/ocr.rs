//! OCR with the real PP-OCRv4 models: a slate burned into real footage, a page of text
//! from opencv-doc, and an empty frame.

use std::collections::HashMap;

use rushes_models::ocr::TextFilter;
use rushes_models::{OcrEngine, OcrLine};

use crate::common::{drawtext_font, ffmpeg_png, opencv_data, ppocr_store};

/// The words of imageTextN.png (a page of Szeliski's Computer Vision), read off the image.
const IMAGE_TEXT_N: &str = "technical details are too complex to cover in the book itself. \
In teaching our courses, we have found it useful for the students to attempt a number of \
small implementation projects, which often build on one another, in order to get them used to \
working with real-world images and the challenges that these present. The students are then \
asked to choose an individual topic for each of their small-group, final projects. (Sometimes \
these projects even turn into conference papers!) The exercises at the end of each chapter \
contain numerous suggestions for smaller mid-term projects, as well as more open-ended \
problems whose solutions are still active research topics. Wherever possible, I encourage \
students to try their algorithms on their own personal photographs, since this better motivates \
them, often leads to creative variants on the problems, and better acquaints them with the \
variety and complexity of real-world imagery. \
In formulating and solving computer vision problems, I have often found it useful to draw \
inspiration from three high-level approaches:";

/// Lower-case words without punctuation.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '-')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The frame of opencv-doc's vtest.avi at 2 s through the ffmpeg filter chain `filter`.
fn vtest_frame(filter: &str, out: &std::path::Path) -> image::RgbImage {
    let video = opencv_data("vtest.avi");
    let video = video.to_str().expect("path");
    ffmpeg_png(
        &["-ss", "2", "-i", video, "-vf", filter, "-frames:v", "1"],
        out,
    )
}

fn joined(lines: &[OcrLine]) -> String {
    lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_slate_burned_into_real_footage_is_read_exactly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_models, store) = ppocr_store();
    let mut engine = OcrEngine::load(&store, 2).expect("PP-OCR loads");
    let filter = format!(
        "drawtext={}:text='SCENE 42 TAKE 3':fontsize=56:fontcolor=white:box=1:boxcolor=black@0.7:boxborderw=12:x=(w-text_w)/2:y=h-text_h-40",
        drawtext_font()
    );
    let frame = vtest_frame(&filter, &dir.path().join("slate.png"));
    assert!(engine.has_text(&frame).expect("detect"));
    let lines = engine.read(&frame).expect("read");
    let slate: Vec<&OcrLine> = lines
        .iter()
        .filter(|l| l.text.to_uppercase().contains("SCENE"))
        .collect();
    assert_eq!(slate.len(), 1, "one slate line in {lines:?}");
    let normalised = slate[0]
        .text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(normalised, "SCENE 42 TAKE 3", "{lines:?}");
    assert!(slate[0].score > 0.8, "{lines:?}");
    // The box is where the text was drawn: bottom of a 768x576 frame, centred.
    let [x0, y0, x1, y1] = slate[0].bbox;
    assert!(
        y0 > 576.0 / 2.0 && y1 <= 576.0 && x0 < 384.0 && x1 > 384.0,
        "{:?}",
        slate[0].bbox
    );
}

#[test]
fn a_page_of_text_is_read_with_at_least_90_percent_of_words_right() {
    let (_models, store) = ppocr_store();
    let mut engine = OcrEngine::load(&store, 2).expect("PP-OCR loads");
    let page = image::open(opencv_data("imageTextN.png"))
        .expect("opencv-doc image")
        .to_rgb8();
    let lines = engine.read(&page).expect("read");
    let mut found: HashMap<String, usize> = HashMap::new();
    for word in words(&joined(&lines)) {
        *found.entry(word).or_default() += 1;
    }
    let expected = words(IMAGE_TEXT_N);
    let mut right = 0;
    for word in &expected {
        if let Some(count) = found.get_mut(word).filter(|c| **c > 0) {
            *count -= 1;
            right += 1;
        }
    }
    let share = right as f64 / expected.len() as f64;
    assert!(
        share >= 0.9,
        "{right}/{} words right ({share:.2}); read: {lines:#?}",
        expected.len()
    );
    // Reading order: the first line comes first, the last line last.
    assert!(
        lines
            .first()
            .is_some_and(|l| l.text.starts_with("technical")),
        "{lines:#?}"
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.text.starts_with("inspiration")),
        "{lines:#?}"
    );
}

#[test]
fn a_frame_without_text_has_no_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_models, store) = ppocr_store();
    let mut engine = OcrEngine::load(&store, 2).expect("PP-OCR loads");
    let frame = ffmpeg_png(
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=0x336699:s=640x360:d=1",
            "-frames:v",
            "1",
        ],
        &dir.path().join("plain.png"),
    );
    assert!(!engine.has_text(&frame).expect("detect"));
    assert!(engine.read(&frame).expect("read").is_empty());
}

#[test]
fn a_missing_recogniser_is_a_user_error_naming_it() {
    let (dir, store) = ppocr_store();
    std::fs::remove_file(dir.path().join("ppocr/ch_PP-OCRv4_rec_infer.onnx")).expect("remove link");
    let err = OcrEngine::load(&store, 1).expect_err("missing file");
    assert!(err.is_user_error());
    let message = err.to_string();
    assert!(
        message.contains("ch_PP-OCRv4_rec_infer.onnx") && message.contains("make setup"),
        "{message}"
    );
}

/// Regression: the slate of our footage (Megamind.avi, drawtext as tests/fixtures/
/// make-footage.sh burns it) was read "SCENE42TAKE 3": the recogniser's space class lost to
/// blank in the word gaps. Both the still frame and the H.264 clip's first frame (the shot
/// start the indexer samples) must read with their spaces, in RapidOCR's box.
#[test]
fn slate_text_keeps_the_spaces_between_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_models, store) = ppocr_store();
    let mut engine = OcrEngine::load(&store, 2).expect("PP-OCR loads");
    let video = opencv_data("Megamind.avi");
    let video = video.to_str().expect("path");
    let filter = format!(
        "drawtext={}:text='SCENE 42 TAKE 3':fontsize=44:fontcolor=white:box=1:boxcolor=black@0.85:boxborderw=14:x=(w-text_w)/2:y=(h-text_h)/2",
        drawtext_font()
    );
    let still = ffmpeg_png(
        &[
            "-ss",
            "1",
            "-i",
            video,
            "-t",
            "1",
            "-vf",
            &filter,
            "-frames:v",
            "1",
        ],
        &dir.path().join("slate.png"),
    );
    let clip = dir.path().join("slate.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i", video])
        .args(["-t", "1", "-an", "-vf", &filter, "-c:v", "libx264"])
        .args(["-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p"])
        .arg(&clip)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg could not encode the slate clip");
    let shot_start = ffmpeg_png(
        &["-i", clip.to_str().expect("path"), "-frames:v", "1"],
        &dir.path().join("shot_start.png"),
    );
    for (name, frame) in [("still", still), ("clip's first frame", shot_start)] {
        let lines = engine.read(&frame).expect("read");
        assert_eq!(lines.len(), 1, "{name}: {lines:?}");
        assert_eq!(lines[0].text, "SCENE 42 TAKE 3", "{name}: {lines:?}");
        assert!(lines[0].score > 0.8, "{name}: {lines:?}");
        // RapidOCR 1.4.4 boxes this slate at [150, 247, 571, 283] (±1 px between frames).
        let expected = [150.0, 247.0, 571.0, 283.0];
        for (got, want) in lines[0].bbox.iter().zip(expected) {
            assert!((got - want).abs() <= 1.0, "{name}: {:?}", lines[0].bbox);
        }
    }
}

/// The gate `read` passes first looks at a small copy of the frame: it must still see the
/// smaller text of real sampled frames (960 px wide, as the indexer samples them) — a
/// caption-sized line and a sign-sized word — or those frames would never be read.
#[test]
fn the_text_gate_passes_small_text_on_sampled_frames() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_models, store) = ppocr_store();
    let mut engine = OcrEngine::load(&store, 2).expect("PP-OCR loads");
    for (name, text, size) in [
        ("caption", "interview with the gaffer", 26),
        ("sign", "EXIT", 22),
    ] {
        let filter = format!(
            "scale=960:-2,drawtext={}:text='{text}':fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.8:boxborderw=6:x=40:y=h-80",
            drawtext_font()
        );
        let frame = vtest_frame(&filter, &dir.path().join(format!("{name}.png")));
        assert!(
            engine.has_text(&frame).expect("gate"),
            "{name}: gate saw no text"
        );
        let read = joined(&engine.read(&frame).expect("read")).to_lowercase();
        assert!(read.contains(&text.to_lowercase()), "{name}: read {read:?}");
    }
}

// Bench row 4 compared rushes with RapidOCR unfiltered and counted a lone glyph RapidOCR keeps
// as a text difference: the glyph is read, and only rushes' length floor drops it.
#[test]
fn a_lone_burned_in_glyph_is_read_but_kept_only_by_rapidocrs_filter() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_models, store) = ppocr_store();
    let mut engine = OcrEngine::load(&store, 2).expect("PP-OCR loads");
    let frame = burned_in_frame("2", "R", &dir.path().join("glyph.png"));
    let default_lines = engine.read(&frame).expect("read");
    assert!(
        default_lines.iter().all(|l| l.text.trim() != "R"),
        "rushes' filter keeps no one-character line: {default_lines:?}"
    );
    *engine.text_filter_mut() = TextFilter::RAPIDOCR;
    let rapidocr_lines = engine.read(&frame).expect("read");
    let glyph: Vec<&OcrLine> = rapidocr_lines
        .iter()
        .filter(|l| l.text.trim() == "R")
        .collect();
    assert_eq!(glyph.len(), 1, "the glyph is read: {rapidocr_lines:?}");
    assert!(
        glyph[0].score >= TextFilter::default().min_score,
        "{glyph:?}"
    );
    // Everything else is the same either way: only the one-character line differs.
    let others: Vec<&OcrLine> = rapidocr_lines
        .iter()
        .filter(|l| l.text.trim() != "R" && TextFilter::default().keeps(&l.text, l.score))
        .collect();
    assert_eq!(
        others.len(),
        default_lines.len(),
        "{rapidocr_lines:?} vs {default_lines:?}"
    );
}

/// A vtest frame at `seconds` with `text` burned in on an opaque box.
fn burned_in_frame(seconds: &str, text: &str, out: &std::path::Path) -> image::RgbImage {
    let video = opencv_data("vtest.avi");
    let video = video.to_str().expect("path");
    let filter = format!(
        "drawtext={}:text='{text}':fontsize=56:fontcolor=white:box=1:boxcolor=black:boxborderw=12:x=(w-text_w)/2:y=h-text_h-40",
        drawtext_font()
    );
    ffmpeg_png(
        &[
            "-ss",
            seconds,
            "-i",
            video,
            "-vf",
            &filter,
            "-frames:v",
            "1",
        ],
        out,
    )
}

fn slate_text(lines: &[OcrLine]) -> String {
    lines
        .iter()
        .find(|l| l.text.to_uppercase().contains("SCENE"))
        .map(|l| l.text.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[test]
fn a_slate_held_over_frames_is_read_once_and_a_changed_take_is_read_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_models, store) = ppocr_store();
    let mut engine = OcrEngine::load(&store, 2).expect("PP-OCR loads");
    let first = burned_in_frame("2", "SCENE 42 TAKE 3", &dir.path().join("a.png"));
    let later = burned_in_frame("4", "SCENE 42 TAKE 3", &dir.path().join("b.png"));
    let next_take = burned_in_frame("4", "SCENE 42 TAKE 8", &dir.path().join("c.png"));

    let read_first = engine.read_in_sequence(&first).expect("read");
    assert_eq!(slate_text(&read_first), "SCENE 42 TAKE 3", "{read_first:?}");
    // People walk on through the street; the slate's pixels stay: the lines come back as read.
    let read_later = engine.read_in_sequence(&later).expect("read");
    assert_eq!(read_later, read_first);
    assert_eq!(engine.reused_reads(), 1);
    // One digit of the slate changes: read in full, never the stale take.
    let read_next = engine.read_in_sequence(&next_take).expect("read");
    assert_eq!(slate_text(&read_next), "SCENE 42 TAKE 8", "{read_next:?}");
    assert_eq!(engine.reused_reads(), 1);
    // What is returned is what `read` gives each frame on its own.
    assert_eq!(
        slate_text(&engine.read(&later).expect("read")),
        "SCENE 42 TAKE 3"
    );
}

#[test]
fn a_still_shot_skips_the_gate_and_faint_text_appearing_into_it_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_models, store) = ppocr_store();
    let mut engine = OcrEngine::load(&store, 2).expect("PP-OCR loads");
    let still = vtest_frame("null", &dir.path().join("still.png"));
    // The faintest look of the screen-text tests: grey 0x9a on a 0x64 box, in a lower corner.
    let filter = format!(
        "drawtext={}:text='GAFFER':fontsize=32:fontcolor=0x9a9a9a:box=1:boxcolor=0x646464:boxborderw=6:x=40:y=h-text_h-30",
        drawtext_font()
    );
    let with_text = vtest_frame(&filter, &dir.path().join("text.png"));

    let read_still = engine.read_in_sequence(&still).expect("read");
    assert!(!joined(&read_still).contains("GAFFER"), "{read_still:?}");
    assert_eq!(engine.skipped_gates(), 0);
    // The same picture a second later: the gate is not run, the answer is the same.
    assert_eq!(engine.read_in_sequence(&still).expect("read"), read_still);
    assert_eq!(engine.skipped_gates(), 1);
    // Text appears into the still shot: the gate runs and the text is read.
    let read_text = engine.read_in_sequence(&with_text).expect("read");
    assert!(joined(&read_text).contains("GAFFER"), "{read_text:?}");
    assert_eq!(engine.skipped_gates(), 1);
    assert_eq!(
        engine.read_in_sequence(&with_text).expect("read"),
        read_text
    );
    assert_eq!(engine.skipped_gates(), 2);
}
