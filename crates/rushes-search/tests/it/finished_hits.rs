//! What every caller reads off a finished hit: its asset's facts, its source timecode, how to
//! play it and the hand text on its range; and the errors a query can meet.

use std::path::{Path, PathBuf};

use rushes_core::{Asset, AssetId, AssetKind, AssetRecord, MediaInfo, MomentRecord};
use rushes_search::{Found, SearchError, Searcher, SearcherConfig};
use rushes_store::{Index, OpenMode, SearchRequest, TimeRange};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A video at `path` (nothing on disk: the store takes the probe facts as given).
pub(crate) fn asset(path: &str, media: MediaInfo) -> Asset {
    let mut asset = Asset {
        id: AssetId::from_path(Path::new(path)),
        path: PathBuf::from(path),
        kind: AssetKind::Video,
        size: 10_000_000,
        mtime: 1_740_000_000,
        content_hash: String::new(),
        media,
    };
    asset.content_hash = format!("hash-of-{}", asset.id);
    asset
}

/// One shot of a file with this on-screen text.
fn shot(start: f64, end: f64, ocr_text: &str) -> MomentRecord {
    MomentRecord {
        start,
        end,
        keyframe: start,
        ocr_text: ocr_text.to_string(),
        ..MomentRecord::default()
    }
}

/// A ProRes camera file at 25 fps starting at 10:00:00:00 (two shots, a tag on the whole
/// file and a tagged, noted range in the second shot) and an H.264 phone clip without
/// timecode.
struct Library {
    _temp: tempfile::TempDir,
    index: PathBuf,
    camera: Asset,
    phone: Asset,
}

fn library() -> Result<Library, Box<dyn std::error::Error>> {
    let temp = tempfile::tempdir()?;
    let index = temp.path().join("index");
    let camera = asset(
        "/shoot/day1/A001_C002.mov",
        MediaInfo {
            container: Some("mov,mp4,m4a,3gp,3g2,mj2".into()),
            duration: Some(8.0),
            video_codec: Some("prores".into()),
            audio_codec: Some("pcm_s24le".into()),
            frame_rate: Some(25.0),
            start_timecode: Some("10:00:00:00".into()),
            ..MediaInfo::default()
        },
    );
    let phone = asset(
        "/shoot/day1/phone.mp4",
        MediaInfo {
            container: Some("mov,mp4,m4a,3gp,3g2,mj2".into()),
            duration: Some(4.0),
            video_codec: Some("h264".into()),
            audio_codec: Some("aac".into()),
            frame_rate: Some(30.0),
            ..MediaInfo::default()
        },
    );
    let store = Index::open(&index, OpenMode::ReadWrite)?;
    store.put_asset(&AssetRecord::with_moments(
        camera.clone(),
        vec![
            shot(0.0, 4.0, "SCENE 42 TAKE 3"),
            shot(4.0, 8.0, "crane rehearsal"),
        ],
    ))?;
    store.put_asset(&AssetRecord::with_moments(
        phone.clone(),
        vec![shot(0.0, 4.0, "crane from below")],
    ))?;
    store.commit()?;
    store.annotate(&camera.id, None, &["keeper".to_string()], &[], None)?;
    store.annotate(
        &camera.id,
        Some(TimeRange {
            start: 5.0,
            end: 6.0,
        }),
        &["boom".to_string()],
        &[],
        Some("boom in shot"),
    )?;
    drop(store);
    Ok(Library {
        _temp: temp,
        index,
        camera,
        phone,
    })
}

fn text_only() -> SearcherConfig {
    SearcherConfig {
        visual: false,
        ..SearcherConfig::default()
    }
}

fn search(searcher: &Searcher, query: &str) -> Result<Found, SearchError> {
    searcher.search(&SearchRequest::new(query))
}

#[test]
fn hits_carry_source_timecode_playback_and_the_hand_text_on_their_range() -> TestResult {
    let library = library()?;
    let searcher = Searcher::open(&library.index, &text_only())?;
    let found = search(&searcher, "crane")?;
    assert_eq!(found.hits.len(), 2, "{found:?}");

    let camera = found
        .hits
        .iter()
        .find(|found| found.hit.asset.id == library.camera.id)
        .ok_or("no hit in the camera file")?;
    assert_eq!(camera.hit.start, 4.0);
    assert_eq!(camera.timecode.as_deref(), Some("10:00:04:00"));
    assert_eq!(camera.frame_rate, Some(25.0));
    assert_eq!(camera.start_timecode.as_deref(), Some("10:00:00:00"));
    let playback = camera.playback.as_ref().ok_or("no playback")?;
    assert!(!playback.native, "ProRes does not play in a browser");
    assert_eq!(playback.url, format!("/media/{}/proxy", library.camera.id));
    assert!(
        playback
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("prores"))
    );
    assert_eq!(camera.hand_tags, ["keeper", "boom"]);
    assert_eq!(camera.notes, ["boom in shot"]);

    let phone = found
        .hits
        .iter()
        .find(|found| found.hit.asset.id == library.phone.id)
        .ok_or("no hit in the phone clip")?;
    assert_eq!(
        phone.timecode, None,
        "no start timecode, no source timecode"
    );
    let playback = phone.playback.as_ref().ok_or("no playback")?;
    assert!(playback.native);
    assert_eq!(playback.url, format!("/media/{}", library.phone.id));
    assert!(phone.hand_tags.is_empty() && phone.notes.is_empty());

    // The assets beside the hits: the summary the UI shows and the record export reads.
    let summary = &found.assets[library.camera.id.as_str()];
    assert_eq!(summary.name, "A001_C002.mov");
    assert_eq!(summary.start_timecode.as_deref(), Some("10:00:00:00"));
    assert_eq!(&summary.playback, playback_of(camera)?);
    assert_eq!(found.asset(&library.camera.id), Some(&library.camera));
    Ok(())
}

fn playback_of(hit: &rushes_search::FoundHit) -> Result<&rushes_search::Playback, &'static str> {
    hit.playback.as_ref().ok_or("no playback")
}

#[test]
fn hand_text_is_only_what_touches_the_hit() -> TestResult {
    let library = library()?;
    let searcher = Searcher::open(&library.index, &text_only())?;
    let found = search(&searcher, "scene 42")?;
    let slate = found.hits.first().ok_or("no hit for the slate")?;
    assert_eq!(slate.hit.asset.id, library.camera.id);
    assert_eq!(slate.timecode.as_deref(), Some("10:00:00:00"));
    assert_eq!(
        slate.hand_tags,
        ["keeper"],
        "the boom range lies after the slate shot"
    );
    assert!(slate.notes.is_empty());
    Ok(())
}

#[test]
fn found_serialises_as_the_cli_prints_it_and_the_api_answers_it() -> TestResult {
    let library = library()?;
    let searcher = Searcher::open(&library.index, &text_only())?;
    let value = serde_json::to_value(search(&searcher, "rehearsal")?)?;
    assert_eq!(value["query"], "rehearsal");
    let hit = &value["hits"][0];
    assert_eq!(hit["asset"]["id"], library.camera.id.as_str());
    assert_eq!(hit["timecode"], "10:00:04:00");
    assert_eq!(hit["frame_rate"], 25.0);
    assert_eq!(hit["start_timecode"], "10:00:00:00");
    assert_eq!(hit["playback"]["native"], false);
    assert_eq!(hit["hand_tags"], serde_json::json!(["keeper", "boom"]));
    let asset = &value["assets"][library.camera.id.as_str()];
    assert_eq!(asset["path"], "/shoot/day1/A001_C002.mov");
    assert_eq!(asset["playback"], hit["playback"]);
    Ok(())
}

#[test]
fn a_bad_query_is_a_user_error_and_visual_queries_say_why_visual_search_is_off() -> TestResult {
    let library = library()?;
    let searcher = Searcher::open(&library.index, &text_only())?;
    let notice = searcher
        .visual_notice()
        .ok_or("visual search should be off")?;
    assert!(notice.contains("--no-visual"), "{notice}");

    let bad = search(&searcher, "date:2025-13-01").expect_err("a month 13 is refused");
    assert!(matches!(bad, SearchError::Store(_)), "{bad:?}");
    assert!(bad.is_user_error());
    assert!(bad.to_string().contains("2025-13-01"), "{bad}");

    let image = image::RgbImage::new(8, 8);
    let off = searcher
        .search_image(&image, &SearchRequest::default())
        .expect_err("no model, no image search");
    assert!(matches!(&off, SearchError::VisualOff(message) if message == notice));
    assert!(off.is_user_error());

    let similar = searcher
        .similar(&library.camera.id, 1.0, &SearchRequest::default())
        .expect_err("no frame vectors, nothing looks similar");
    assert!(matches!(similar, SearchError::VisualOff(_)), "{similar:?}");
    Ok(())
}
