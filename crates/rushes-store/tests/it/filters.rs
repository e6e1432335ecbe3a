//! Filters narrow results; malformed filters are user errors with an offset; a query of
//! only filters lists what matches, newest first.

use rushes_core::MediaInfo;
use rushes_store::{SearchRequest, Sort, StoreError};

use crate::support::*;

fn library() -> Result<(tempfile::TempDir, rushes_store::Index), Box<dyn std::error::Error>> {
    let (dir, index) = fresh_index()?;
    let mut arri = video("/footage/Day1/cam-a/A001_C001.mov", 65.0);
    arri.media.camera_make = Some("ARRI".into());
    arri.media.camera_model = Some("ALEXA Mini".into());
    arri.media.creation_time = Some("2025-03-01T09:30:00Z".into());
    let mut arri = record(arri, 2, 32.5);
    arri.moments[0].ocr_text = "SCENE 12".into();
    arri.moments[1].tags = vec![("stunt".into(), 0.9)];

    let mut phone = video("/footage/Day2/phone/IMG_0042.mov", 8.0);
    phone.media.camera_make = Some("Apple".into());
    phone.media.camera_model = Some("iPhone 15 Pro".into());
    phone.media.creation_time = Some("2025-03-04T18:00:00Z".into());
    let mut phone = record(phone, 1, 8.0);
    phone.moments[0].ocr_text = "SCENE 12 BTS".into();
    phone.moments[0].tags = vec![("crew".into(), 0.7)];

    let mut photo = still("/footage/Day2/stills/DSC_0001.jpg");
    photo.media = MediaInfo {
        creation_time: Some("2025:03:06 12:00:00".into()),
        ..photo.media
    };
    let mut photo = record(photo, 1, 0.0);
    photo.moments[0].ocr_text = "SCENE 12 CALL SHEET".into();
    photo.moments[0].tags = vec![("stunt".into(), 1.0)];

    for item in [&arri, &phone, &photo] {
        index.put_asset(item)?;
    }
    index.commit()?;
    Ok((dir, index))
}

fn files(
    index: &rushes_store::Index,
    query: &str,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut files = hit_files(&index.search(&SearchRequest {
        sort: Sort::Path,
        ..SearchRequest::new(query)
    })?);
    files.sort();
    Ok(files)
}

#[test]
fn filters_narrow_text_matches() -> TestResult {
    let (_dir, index) = library()?;
    assert_eq!(
        files(&index, "scene")?,
        vec!["A001_C001.mov", "DSC_0001.jpg", "IMG_0042.mov"]
    );
    assert_eq!(files(&index, "scene kind:photo")?, vec!["DSC_0001.jpg"]);
    assert_eq!(
        files(&index, "scene kind:video")?,
        vec!["A001_C001.mov", "IMG_0042.mov"]
    );
    assert_eq!(files(&index, "scene kind:video kind:image")?.len(), 3);
    assert_eq!(
        files(&index, "scene folder:day2")?,
        vec!["DSC_0001.jpg", "IMG_0042.mov"]
    );
    assert_eq!(
        files(&index, "scene folder:day1/cam-a")?,
        vec!["A001_C001.mov"]
    );
    assert_eq!(
        files(&index, "scene folder:/footage/Day2/phone/")?,
        vec!["IMG_0042.mov"]
    );
    assert_eq!(files(&index, "scene camera:arri")?, vec!["A001_C001.mov"]);
    assert_eq!(
        files(&index, "scene camera:\"iphone 15\"")?,
        vec!["IMG_0042.mov"]
    );
    assert_eq!(
        files(&index, "tag:stunt")?,
        vec!["A001_C001.mov", "DSC_0001.jpg"]
    );
    assert_eq!(
        files(&index, "scene -tag:stunt")?,
        vec!["A001_C001.mov", "IMG_0042.mov"]
    );
    assert_eq!(
        files(&index, "scene date:2025-03-01")?,
        vec!["A001_C001.mov"]
    );
    assert_eq!(
        files(&index, "scene date:2025-03-02..2025-03-06")?,
        vec!["DSC_0001.jpg", "IMG_0042.mov"]
    );
    assert_eq!(
        files(&index, "scene date:2025-03-05..")?,
        vec!["DSC_0001.jpg"]
    );
    assert_eq!(files(&index, "scene duration:>10s")?, vec!["A001_C001.mov"]);
    assert_eq!(
        files(&index, "scene duration:<1m kind:video")?,
        vec!["IMG_0042.mov"]
    );
    assert_eq!(files(&index, "scene duration:>=1h")?, Vec::<String>::new());
    Ok(())
}

#[test]
fn only_filters_lists_matches_newest_first() -> TestResult {
    let (_dir, index) = library()?;
    let listed = index.search(&SearchRequest::new("folder:day2"))?;
    assert_eq!(hit_files(&listed), vec!["DSC_0001.jpg", "IMG_0042.mov"]);
    let everything = index.search(&SearchRequest::new(""))?;
    assert_eq!(
        hit_files(&everything),
        vec!["DSC_0001.jpg", "IMG_0042.mov", "A001_C001.mov"]
    );
    let by_path = index.search(&SearchRequest {
        sort: Sort::Path,
        ..SearchRequest::new("")
    })?;
    assert_eq!(
        hit_files(&by_path),
        vec!["A001_C001.mov", "IMG_0042.mov", "DSC_0001.jpg"]
    );
    Ok(())
}

#[test]
fn malformed_filters_are_user_errors_with_offsets() -> TestResult {
    let (_dir, index) = library()?;
    for (query, offset, start) in [
        (
            "scene foo:bar",
            6,
            "unknown filter \"foo:\"; known: kind, folder",
        ),
        (
            "scene date:2025-13-01",
            11,
            "bad date \"2025-13-01\" in date:2025-13-01",
        ),
        ("duration:>ten", 9, "bad duration \">ten\""),
        ("kind:banana", 5, "bad kind \"banana\""),
    ] {
        match index.search(&SearchRequest::new(query)) {
            Err(error @ StoreError::Query(_)) => {
                assert!(error.is_user_error());
                let StoreError::Query(inner) = error else {
                    unreachable!()
                };
                assert_eq!(inner.offset, offset, "{query}");
                assert!(
                    inner.message.starts_with(start),
                    "{query}: {}",
                    inner.message
                );
            }
            other => return Err(format!("{query}: expected a query error, got {other:?}").into()),
        }
    }
    Ok(())
}

#[test]
fn facets_count_assets_by_kind_folder_camera_and_tag() -> TestResult {
    let (_dir, index) = library()?;
    let facets = index.facets(&SearchRequest::new("scene"))?;
    let count = |list: &[rushes_store::FacetCount], value: &str| {
        list.iter().find(|f| f.value == value).map(|f| f.count)
    };
    assert_eq!(count(&facets.kind, "video"), Some(2));
    assert_eq!(count(&facets.kind, "image"), Some(1));
    assert_eq!(count(&facets.tag, "stunt"), Some(1));
    let all = index.facets(&SearchRequest::new(""))?;
    assert_eq!(count(&all.tag, "stunt"), Some(2));
    assert_eq!(all.moments, 4);
    assert_eq!(count(&facets.camera, "ARRI ALEXA Mini"), Some(1));
    assert_eq!(count(&facets.folder, "phone"), Some(1));
    let narrowed = index.facets(&SearchRequest::new("scene kind:video"))?;
    assert_eq!(count(&narrowed.kind, "image"), None);
    Ok(())
}
