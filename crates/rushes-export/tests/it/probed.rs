//! Documents from files ffmpeg generated at 29.97 drop-frame and 23.976 with source
//! timecodes, as the probe reads them: the timecode arithmetic on real probe facts.

use std::path::{Path, PathBuf};
use std::process::Command;

use rushes_core::AssetKind;
use rushes_export::{ExportItem, render_edl, render_fcpxml};

fn generated(dir: &Path, name: &str, rate: &str, timecode: &str) -> PathBuf {
    let path = dir.join(name);
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size=320x240:rate={rate}:duration=3"))
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-timecode",
            timecode,
        ])
        .arg(&path)
        .status()
        .expect("run ffmpeg");
    assert!(status.success());
    path
}

fn probed(path: &Path, start: f64, end: f64) -> ExportItem {
    let media = rushes_media::probe(path, AssetKind::Video).expect("probe");
    ExportItem::new(path, media, start, end)
}

#[test]
fn drop_frame_file_keeps_drop_frame_source_and_record_timecodes() {
    let temp = tempfile::tempdir().expect("temp dir");
    let path = generated(temp.path(), "C004_df.mp4", "30000/1001", "00:00:59;00");
    // Two seconds of real time cross the source minute, where ;00 and ;01 drop; the record
    // side starts at the tenth minute (01:00), where nothing drops.
    let item = probed(&path, 0.0, 2.0);
    assert!(
        item.start_timecode().drop_frame,
        "{:?}",
        item.media.start_timecode
    );
    let edl = render_edl("df", std::slice::from_ref(&item)).expect("edl");
    assert!(edl.contains("FCM: DROP FRAME"), "{edl}");
    let event = edl.lines().find(|l| l.starts_with("001 ")).expect("event");
    assert!(
        event.ends_with("00:00:59;00 00:01:01;02 01:00:00;00 01:00:02;00"),
        "{event}"
    );
    let xml = render_fcpxml("df", &[item]).expect("fcpxml");
    assert!(xml.contains(r#"frameDuration="1001/30000s""#), "{xml}");
    assert!(xml.contains(r#"tcFormat="DF""#), "{xml}");
}

#[test]
fn mixed_rates_keep_each_source_rate_and_the_first_as_record_rate() {
    let temp = tempfile::tempdir().expect("temp dir");
    let film = generated(temp.path(), "A001_film.mov", "24000/1001", "05:00:00:00");
    let pal = generated(temp.path(), "B001_pal.mov", "25", "12:00:00:00");
    let items = [probed(&film, 1.0, 2.0), probed(&pal, 0.0, 1.0)];
    let edl = render_edl("mixed", &items).expect("edl");
    let events: Vec<Vec<&str>> = edl
        .lines()
        .filter(|l| l.starts_with("00"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        events[0][1..],
        [
            "A001FILM",
            "V",
            "C",
            "05:00:01:00",
            "05:00:02:00",
            "01:00:00:00",
            "01:00:01:00"
        ]
    );
    // 1 s at 25 (25 frames) becomes 24 record frames at 23.976: one timecode second.
    assert_eq!(
        events[1][1..],
        [
            "B001PAL",
            "V",
            "C",
            "12:00:00:00",
            "12:00:01:00",
            "01:00:01:00",
            "01:00:02:00"
        ]
    );
}
