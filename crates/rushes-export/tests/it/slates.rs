//! A slate's fields travel with the range: EDL comments, FCPXML keywords and Final Cut
//! metadata, CSV columns.

use std::path::Path;

use rushes_core::{MediaInfo, Slate};
use rushes_export::{ExportItem, render_edl, render_fcpxml, render_markers_csv};

fn slated(scene: &str) -> ExportItem {
    let media = MediaInfo {
        frame_rate: Some(25.0),
        start_timecode: Some("10:00:00:00".into()),
        duration: Some(60.0),
        width: Some(1920),
        height: Some(1080),
        ..MediaInfo::default()
    };
    let mut item = ExportItem::new(Path::new("/day1/A007_C001.mov"), media, 5.0, 30.0);
    item.slate = Some(Slate {
        scene: Some(scene.into()),
        take: Some("3".into()),
        roll: Some("A007".into()),
        camera: Some("A".into()),
        ..Slate::default()
    });
    item
}

#[test]
fn edl_events_say_scene_and_take_in_a_comment() {
    let edl = render_edl("Dailies", &[slated("42A")]).unwrap_or_default();
    assert!(
        edl.lines()
            .any(|line| line == "* SCENE: 42A TAKE: 3 ROLL: A007 CAMERA: A"),
        "{edl}"
    );
}

#[test]
fn csv_rows_fill_the_slate_columns_as_text_cells() {
    let csv = render_markers_csv(&[slated("42A"), slated("=1+1")]).unwrap_or_default();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].ends_with(",Scene,Take,Roll,Camera"), "{csv}");
    assert!(rows[1].ends_with(",42A,3,A007,A"), "{csv}");
    // A scene read off the screen is text from outside: never a formula in a spreadsheet.
    assert!(rows[2].contains(",\"'=1+1\",3,"), "{csv}");
}

#[test]
fn fcpxml_clips_carry_scene_and_take_keywords_and_final_cut_metadata() {
    let xml = render_fcpxml("Dailies", &[slated("42A")]).unwrap_or_default();
    assert!(xml.contains(r#"value="Scene 42A"/>"#), "{xml}");
    assert!(xml.contains(r#"value="Take 3"/>"#), "{xml}");
    assert!(
        xml.contains(r#"<md key="com.apple.proapps.studio.scene" value="42A"/>"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<md key="com.apple.proapps.studio.reel" value="A007"/>"#),
        "{xml}"
    );
    let metadata = xml.find("<metadata>").unwrap_or(0);
    let last_keyword = xml.rfind("<keyword").unwrap_or(usize::MAX);
    assert!(
        last_keyword < metadata,
        "metadata comes after the keywords: {xml}"
    );
}
