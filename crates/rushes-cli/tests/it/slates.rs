//! Slates as data end to end: a real clip (opencv-doc's vtest.avi) with a clapperboard drawn
//! by ffmpeg is indexed; `scene:`, `take:` and `roll:` find it, a wrong take does not, and
//! `show` and plain search lines say "Sc 42A · Tk 3".

use std::path::Path;

use rushes_testkit::{X264_FAST, ffmpeg, opencv_data, path_str};

use crate::footage::{file_name, ok, search};

/// A 12 s clip of vtest.avi with a boxed board reading ROLL A007 / SCENE 42A / TAKE 3 held
/// into the shot from 2 s to 5 s.
fn slated_clip(folder: &Path) -> std::path::PathBuf {
    let board = folder.join("board.txt");
    std::fs::write(&board, "ROLL A007\nSCENE 42A\nTAKE 3").expect("write board text");
    let clip = folder.join("footage").join("A007_C001.mp4");
    std::fs::create_dir_all(clip.parent().expect("folder")).expect("footage folder");
    let filter = format!(
        "scale=1280:720,drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:\
         textfile={}:fontsize=64:fontcolor=white:line_spacing=24:x=(w-text_w)/2:y=(h-text_h)/2:\
         box=1:boxcolor=black:boxborderw=28:enable='between(t,2,5)'",
        path_str(&board)
    );
    let source = opencv_data("vtest.avi");
    let mut args = vec!["-t", "12", "-i", path_str(&source), "-vf", &filter, "-an"];
    args.extend(X264_FAST);
    args.push(path_str(&clip));
    ffmpeg(&args).expect("make slated clip");
    clip
}

#[test]
fn a_drawn_slate_is_found_by_scene_take_and_roll_and_shown_as_sc_tk() {
    let temp = tempfile::tempdir().expect("temp dir");
    let clip = slated_clip(temp.path());
    let index = temp.path().join("index");
    let index_arg = path_str(&index);
    ok(&[
        "index",
        path_str(clip.parent().expect("folder")),
        "--index",
        index_arg,
    ]);

    let hits = search(&index, "scene:42");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(file_name(&hits[0]), "A007_C001.mp4");
    let slate = &hits[0]["slate"];
    assert_eq!(slate["scene"], "42A", "{slate}");
    assert_eq!(slate["take"], "3", "{slate}");
    assert_eq!(slate["roll"], "A007", "{slate}");
    assert_eq!(slate["camera"], "A", "{slate}");
    // The take runs from its slate (shown at 2 s) to the end of the file.
    let start = hits[0]["start"].as_f64().unwrap_or(f64::NAN);
    assert!((1.0..=2.5).contains(&start), "slate span starts at {start}");
    assert!(
        hits[0]["end"].as_f64().unwrap_or(0.0) >= 11.0,
        "{}",
        hits[0]
    );

    assert_eq!(search(&index, "take:3").len(), 1);
    assert_eq!(search(&index, "roll:A007 scene:42A").len(), 1);
    assert_eq!(search(&index, "camera:A").len(), 1);
    assert!(search(&index, "take:4").is_empty());
    assert!(search(&index, "scene:42B").is_empty());
    // The board's words are still found as on-screen text.
    assert_eq!(search(&index, "scene 42A").len(), 1);

    let plain = ok(&["search", "scene:42", "--index", index_arg]);
    let plain = String::from_utf8_lossy(&plain.stdout);
    assert!(plain.contains("Sc 42A · Tk 3"), "{plain}");
    let show = ok(&["show", path_str(&clip), "--index", index_arg]);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(show.contains("Sc 42A · Tk 3"), "{show}");
    assert!(show.contains("roll A007"), "{show}");
}
