//! On-screen text shown for one second inside continuous takes of real footage (opencv-doc's
//! vtest and Megamind, text drawn by ffmpeg at seeded random times: several fonts and sizes,
//! boxed and bare, low contrast, tilted ±10°) is read, and its hit starts within a second of
//! its appearance; `rushes show` lists it with its interval and `rushes reindex` keeps it.

use std::path::Path;

use rushes_testkit::{
    DEJAVU_MONO, DEJAVU_SANS, DEJAVU_SANS_BOLD, DEJAVU_SERIF, TextOverlay, X264_FAST, opencv_data,
    text_overlay_clip,
};

use crate::footage::{file_name, json, ok, search};

/// How late a hit may start after its text appears: the text gate sees a frame a second.
const MOST_LATE: f64 = 1.0;

/// A small seeded generator (xorshift64*), so the overlay times are random but repeatable.
struct Seeded(u64);

impl Seeded {
    fn next_unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How an overlay looks, before its time is drawn.
struct Look {
    text: &'static str,
    font: &'static str,
    size: u32,
    x: u32,
    y: u32,
    colour: &'static str,
    boxed: Option<&'static str>,
    degrees: f64,
}

/// One overlay a second long per look, each at a random time inside `[from, to)` of its own
/// slot of the clip (slots are `(to - from) / looks` long, so overlays never meet), kept
/// `margin` seconds away from the slot's ends.
fn overlays(looks: &[Look], (from, to): (f64, f64), seed: u64) -> Vec<TextOverlay> {
    let mut random = Seeded(seed);
    let slot = (to - from) / looks.len() as f64;
    let margin = 0.3;
    looks
        .iter()
        .enumerate()
        .map(|(number, look)| {
            let earliest = from + slot * number as f64 + margin;
            let room = slot - 2.0 * margin - 1.0;
            let start = ((earliest + random.next_unit() * room) * 100.0).round() / 100.0;
            TextOverlay {
                text: look.text.to_string(),
                start,
                seconds: 1.0,
                font: look.font,
                size: look.size,
                x: look.x,
                y: look.y,
                colour: look.colour.to_string(),
                boxed: look.boxed.map(str::to_string),
                degrees: look.degrees,
            }
        })
        .collect()
}

/// The vtest street (one continuous take, 768x576) with eight kinds of text over 40 s.
fn street_overlays() -> Vec<TextOverlay> {
    let looks = [
        Look {
            text: "SCENE 42A\nTAKE 3",
            font: DEJAVU_SANS_BOLD,
            size: 44,
            x: 60,
            y: 380,
            colour: "white",
            boxed: Some("black@0.8"),
            degrees: 0.0,
        },
        Look {
            text: "ROLL A007",
            font: DEJAVU_MONO,
            size: 36,
            x: 380,
            y: 420,
            colour: "white",
            boxed: None,
            degrees: 0.0,
        },
        Look {
            text: "MARIA LOPEZ GAFFER",
            font: DEJAVU_SERIF,
            size: 30,
            x: 40,
            y: 500,
            colour: "white",
            boxed: Some("0x203040@0.9"),
            degrees: 0.0,
        },
        Look {
            text: "CALL SHEET DAY 12",
            font: DEJAVU_SANS,
            size: 34,
            x: 200,
            y: 330,
            colour: "0x9a9a9a",
            boxed: Some("0x646464"),
            degrees: 0.0,
        },
        Look {
            text: "CAMERA B",
            font: DEJAVU_SANS_BOLD,
            size: 48,
            x: 240,
            y: 360,
            colour: "yellow",
            boxed: None,
            degrees: 10.0,
        },
        Look {
            text: "SOUND ROLL 14",
            font: DEJAVU_SERIF,
            size: 40,
            x: 120,
            y: 400,
            colour: "white",
            boxed: Some("black@0.7"),
            degrees: -10.0,
        },
        Look {
            text: "LUNCH AT 1PM",
            font: DEJAVU_MONO,
            size: 26,
            x: 420,
            y: 470,
            colour: "black",
            boxed: Some("white@0.85"),
            degrees: 0.0,
        },
        Look {
            text: "PRODUCTION NIGHTJAR",
            font: DEJAVU_SANS,
            size: 40,
            x: 60,
            y: 440,
            colour: "white",
            boxed: None,
            degrees: 0.0,
        },
    ];
    overlays(&looks, (1.0, 40.0), 19)
}

/// Megamind (720x528, cuts at 4.13, 6.47 and 8.38 s): text inside its first and last shots.
fn trailer_overlays() -> Vec<TextOverlay> {
    let looks = [
        Look {
            text: "SCENE 17 TAKE 2",
            font: DEJAVU_SANS_BOLD,
            size: 40,
            x: 100,
            y: 420,
            colour: "white",
            boxed: Some("black@0.75"),
            degrees: 0.0,
        },
        Look {
            text: "DIRECTOR KIM",
            font: DEJAVU_SERIF,
            size: 36,
            x: 140,
            y: 60,
            colour: "white",
            boxed: Some("black@0.6"),
            degrees: 0.0,
        },
    ];
    let mut found = overlays(&looks[..1], (0.3, 3.8), 7);
    found.extend(overlays(&looks[1..], (8.6, 11.0), 7));
    found
}

/// Makes the two clips in `folder`; returns each file name with its overlays.
fn make_clips(folder: &Path) -> Vec<(&'static str, Vec<TextOverlay>)> {
    let clips = [
        ("street_take.mp4", "vtest.avi", 40.0, street_overlays()),
        ("trailer_cut.mp4", "Megamind.avi", 11.0, trailer_overlays()),
    ];
    clips
        .into_iter()
        .map(|(name, source, seconds, overlays)| {
            text_overlay_clip(
                &opencv_data(source),
                seconds,
                &overlays,
                &folder.join(name),
                &X264_FAST,
            )
            .unwrap_or_else(|error| panic!("making {name}: {error}"));
            (name, overlays)
        })
        .collect()
}

/// Checks every overlay is found by a search for its words, on its file, through on-screen
/// text, starting no earlier than a frame before it appears and at most `MOST_LATE` after.
fn assert_every_overlay_found(index: &str, clips: &[(&str, Vec<TextOverlay>)]) {
    let mut failures = Vec::new();
    for (file, overlays) in clips {
        for overlay in overlays {
            let words = overlay.text.replace('\n', " ");
            let hits = search(Path::new(index), &format!("\"{words}\""));
            let hit = hits.iter().find(|hit| {
                file_name(hit) == *file
                    && hit["signals"]
                        .as_array()
                        .is_some_and(|signals| signals.iter().any(|s| s == "ocr"))
            });
            let Some(hit) = hit else {
                failures.push(format!(
                    "{words:?} at {} s in {file}: not read",
                    overlay.start
                ));
                continue;
            };
            let start = hit["start"].as_f64().unwrap_or(f64::NAN);
            let late = start - overlay.start;
            if !(-0.11..=MOST_LATE).contains(&late) {
                failures.push(format!(
                    "{words:?} at {} s in {file}: hit starts at {start} s ({late:+.2} s)",
                    overlay.start
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn text_shown_for_a_second_inside_a_continuous_take_is_read_and_its_hit_starts_where_it_appears() {
    let temp = tempfile::tempdir().expect("temp dir");
    let folder = temp.path().join("footage");
    std::fs::create_dir_all(&folder).expect("footage folder");
    let clips = make_clips(&folder);
    let index = temp.path().join("index");
    let index = index.to_str().expect("utf-8 temp path");
    ok(&["index", folder.to_str().expect("utf-8"), "--index", index]);
    assert_every_overlay_found(index, &clips);

    // `rushes show` lists the texts with the interval each is on screen.
    let street = folder.join("street_take.mp4");
    let shown = json(&[
        "show",
        street.to_str().expect("utf-8"),
        "--index",
        index,
        "--json",
    ]);
    let runs = shown["screen_text"].as_array().cloned().unwrap_or_default();
    let slate = runs
        .iter()
        .find(|run| {
            run["text"]
                .as_str()
                .is_some_and(|text| text.contains("SCENE 42A") && text.contains("TAKE 3"))
        })
        .unwrap_or_else(|| panic!("no slate run in {runs:?}"));
    let appears = clips[0].1[0].start;
    let (start, end) = (
        slate["start"].as_f64().unwrap_or(f64::NAN),
        slate["end"].as_f64().unwrap_or(f64::NAN),
    );
    assert!(
        start >= appears - 0.11 && start <= appears + MOST_LATE,
        "{slate}"
    );
    assert!(
        end > start && end <= appears + 1.0 + MOST_LATE + 0.01,
        "{slate}"
    );
    let text = ok(&["show", street.to_str().expect("utf-8"), "--index", index]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("on-screen text:") && text.contains("SCENE 42A / TAKE 3"),
        "{text}"
    );

    // The catalog holds the runs: a rebuilt text index finds them at the same places.
    ok(&["reindex", "--index", index]);
    assert_every_overlay_found(index, &clips);
}
