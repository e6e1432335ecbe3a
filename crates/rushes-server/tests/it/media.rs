//! Media by asset id with Range, on-demand proxies, thumbnails, and path traversal attempts.

use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::support::{
    Backend, TestResult, body_bytes, ffmpeg, get, get_error, library_on, on_both_backends, send,
    state,
};

async fn original_media_is_served_whole_and_by_range(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let size = std::fs::metadata(&library.slate.path)?.len();
    let whole = get(&state, &format!("/media/{}", library.slate.id)).await?;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[header::ACCEPT_RANGES], "bytes");
    assert_eq!(
        body_bytes(whole).await?,
        std::fs::read(&library.slate.path)?
    );

    let request = Request::get(format!("/media/{}", library.slate.id))
        .header(header::RANGE, "bytes=100-199")
        .body(Body::empty())?;
    let part = send(&state, request).await?;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()[header::CONTENT_RANGE],
        format!("bytes 100-199/{size}").as_str()
    );
    let bytes = body_bytes(part).await?;
    assert_eq!(
        bytes.as_slice(),
        &std::fs::read(&library.slate.path)?[100..200]
    );

    let request = Request::get(format!("/media/{}", library.slate.id))
        .header(header::RANGE, format!("bytes={}-", size + 10))
        .body(Body::empty())?;
    assert_eq!(
        send(&state, request).await?.status(),
        StatusCode::RANGE_NOT_SATISFIABLE
    );
    Ok(())
}

async fn unknown_and_malformed_ids_are_404_and_400(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    get_error(
        &state,
        "/media/0123456789abcdef",
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    get_error(
        &state,
        "/media/0123456789abcdef/proxy",
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    get_error(&state, "/media/xyz", StatusCode::BAD_REQUEST, "bad_request").await?;
    Ok(())
}

async fn a_moved_away_file_is_404_not_500(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    std::fs::remove_file(&library.slate.path)?;
    let message = get_error(
        &state,
        &format!("/media/{}", library.slate.id),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    assert!(message.contains("slate_take3.mp4"), "{message}");
    Ok(())
}

async fn path_traversal_never_reaches_a_file_outside_the_index(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let secret = b"root:x:0:0";
    let attempts = [
        "/media/..%2f..%2f..%2fetc%2fpasswd",
        "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/media/%2fetc%2fpasswd",
        "/media/..",
        "/media/0123456789abcdef%00",
        "/thumbs/../../etc/passwd",
        "/thumbs/..%2f..%2f/passwd",
        "/thumbs/%2e%2e/%2e%2e%2fetc%2fpasswd",
        "/thumbs/%2fetc/passwd",
        "/thumbs/0123456789abcdef/..%2f..%2fcatalog.sqlite",
        "/thumbs/0123456789abcdef/1000.jpg%00.png",
        "/thumbs/0123456789abcdef/%2e%2e%2f1000.jpg",
        "/thumbs/..%2fthumbs/1000.jpg",
        "/thumbs/0123456789abcdef/1000.JPG",
        "/..%2f..%2fCargo.toml",
        "/js/../../Cargo.toml",
        "/%2e%2e/%2e%2e/Cargo.toml",
        "/js/..%5c..%5cCargo.toml",
    ];
    for uri in attempts {
        let response = get(&state, uri).await?;
        let status = response.status();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{uri}: {status}"
        );
        let bytes = body_bytes(response).await?;
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "{uri} leaked a file"
        );
        assert!(!bytes.starts_with(b"SQLite"), "{uri} leaked the catalog");
        assert!(
            !bytes
                .windows(9)
                .any(|w| w == b"[package]" || w == b"[workspac"),
            "{uri} leaked a source file"
        );
    }
    Ok(())
}

async fn thumbnails_are_jpegs_and_bad_names_are_refused(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let response = get(&state, &format!("/thumbs/{}/1000.jpg", library.slate.id)).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/jpeg");
    let bytes = body_bytes(response).await?;
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "not a JPEG");
    get_error(
        &state,
        &format!("/thumbs/{}/9999.jpg", library.slate.id),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    get_error(
        &state,
        &format!("/thumbs/{}/abc.jpg", library.slate.id),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await?;
    get_error(
        &state,
        "/thumbs/short/1000.jpg",
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await?;
    Ok(())
}

/// A thumbnail the browser already holds is not sent again; one it holds an older copy of
/// is, and each says when it was written and how long it may be kept.
async fn a_thumbnail_the_browser_holds_is_answered_not_modified(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let uri = format!("/thumbs/{}/1000.jpg", library.slate.id);
    let first = get(&state, &uri).await?;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        first.headers()[header::CACHE_CONTROL],
        "private, max-age=3600"
    );
    let written = first.headers()[header::LAST_MODIFIED].to_str()?.to_string();
    let jpeg = body_bytes(first).await?;

    let again = Request::get(&uri)
        .header(header::IF_MODIFIED_SINCE, &written)
        .body(Body::empty())?;
    let again = send(&state, again).await?;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(body_bytes(again).await?.is_empty());

    let stale = Request::get(&uri)
        .header(header::IF_MODIFIED_SINCE, "Mon, 01 Jan 2001 00:00:00 GMT")
        .body(Body::empty())?;
    let stale = send(&state, stale).await?;
    assert_eq!(stale.status(), StatusCode::OK);
    assert_eq!(body_bytes(stale).await?, jpeg);
    Ok(())
}

fn probe_codec(path: &std::path::Path) -> Result<String, Box<dyn std::error::Error>> {
    probe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name",
        ],
    )
}

/// One value ffprobe prints for `selection` (e.g. `-show_entries format=start_time`).
fn probe(path: &std::path::Path, selection: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let output = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(selection)
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// A Range request for the first ten bytes of `uri` gets exactly them (206).
async fn first_ten_bytes_by_range(state: &rushes_server::AppState, uri: &str) -> TestResult {
    let request = Request::get(uri)
        .header(header::RANGE, "bytes=0-9")
        .body(Body::empty())?;
    let part = send(state, request).await?;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(body_bytes(part).await?.len(), 10);
    Ok(())
}

// Regression: Chromium played an MP4 whose timeline starts at 10 s on its raw timeline, so
// seeking to a moment's start (counted from the first frame) showed the wrong frame.
async fn an_mp4_starting_late_is_served_remuxed_to_start_at_0_with_the_same_frames(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    // The slate's file, muxed again with its timeline starting at 10 s.
    let late = library.footage.join("late.mp4");
    ffmpeg(&[
        "-i",
        &library.slate.path.to_string_lossy(),
        "-c",
        "copy",
        "-output_ts_offset",
        "10",
        &late.to_string_lossy(),
    ])?;
    let late_start: f64 = probe(&late, &["-show_entries", "format=start_time"])?.parse()?;
    assert!(late_start > 9.9, "the remade file starts at {late_start} s");
    let late_asset = crate::support::add_mp4(&library, &late, 4.0)?;

    let uri = format!("/media/{}", late_asset.id);
    let response = get(&state, &uri).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "video/mp4");
    let served = library.footage.join("served.mp4");
    std::fs::write(&served, body_bytes(response).await?)?;
    let start: f64 = probe(&served, &["-show_entries", "format=start_time"])?.parse()?;
    assert!(start.abs() < 0.05, "served file starts at {start} s");
    let duration: f64 = probe(&served, &["-show_entries", "format=duration"])?.parse()?;
    assert!(
        (duration - 4.0).abs() < 0.1,
        "served file lasts {duration} s"
    );
    let frames = |path: &std::path::Path| {
        probe(
            path,
            &[
                "-select_streams",
                "v:0",
                "-count_packets",
                "-show_entries",
                "stream=nb_read_packets",
            ],
        )
    };
    assert_eq!(
        frames(&served)?,
        frames(&late)?,
        "remuxed, not re-encoded or cut"
    );
    assert_eq!(probe_codec(&served)?, "h264");

    first_ten_bytes_by_range(&state, &uri).await
}

async fn an_avi_gets_one_h264_proxy_even_when_asked_for_twice_at_once(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let uri = format!("/media/{}/proxy", library.avi.id);
    let (first, second) = tokio::join!(get(&state, &uri), get(&state, &uri));
    let (first, second) = (first?, second?);
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(first.headers()[header::CONTENT_TYPE], "video/mp4");
    let (a, b) = (body_bytes(first).await?, body_bytes(second).await?);
    assert_eq!(a, b);

    let proxies: Vec<_> = std::fs::read_dir(library.work.join("proxies"))?
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(proxies.len(), 1, "{proxies:?}");
    assert_eq!(proxies[0].extension().and_then(|e| e.to_str()), Some("mp4"));
    assert_eq!(probe_codec(&proxies[0])?, "h264");

    first_ten_bytes_by_range(&state, &uri).await
}

// Regression (issue 18): /media served whatever was at the indexed path now, following
// symbolic links, so a file replaced after indexing (even by a link to a system file) was
// served as the asset. Now: 409 until `rushes index` has seen the new file.
async fn a_file_changed_since_it_was_indexed_is_not_served(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let slate = format!("/media/{}", library.slate.id);
    assert_eq!(get(&state, &slate).await?.status(), StatusCode::OK);

    // The file swapped for a symbolic link to another file.
    std::fs::remove_file(&library.slate.path)?;
    std::os::unix::fs::symlink("/etc/passwd", &library.slate.path)?;
    // The file rewritten in place: same bytes plus one, then same size with a new time.
    let mut avi_bytes = std::fs::read(&library.avi.path)?;
    avi_bytes.push(0);
    std::fs::write(&library.avi.path, &avi_bytes)?;
    let avi = format!("/media/{}", library.avi.id);
    for uri in [
        slate.clone(),
        avi.clone(),
        format!("{avi}/proxy"),
        format!("/media/{}/proxy", library.slate.id),
    ] {
        let message =
            get_error(&state, &uri, StatusCode::CONFLICT, "changed_since_indexed").await?;
        assert!(message.contains("run rushes index"), "{uri}: {message}");
    }
    avi_bytes.pop();
    std::fs::write(&library.avi.path, &avi_bytes)?;
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&library.avi.path)?
        .set_modified(later)?;
    get_error(&state, &avi, StatusCode::CONFLICT, "changed_since_indexed").await?;
    // Nothing was made from a changed source.
    assert!(!library.work.join("proxies").exists());
    Ok(())
}

// Regression (issue 18): several byte ranges or an unknown unit got 416; RFC 9110 lets a
// server ignore such a Range, and every client understands the whole file (200).
async fn a_range_of_several_parts_or_another_unit_gets_the_whole_file(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let uri = format!("/media/{}", library.slate.id);
    let size = std::fs::metadata(&library.slate.path)?.len();
    for range in ["bytes=0-9,20-29", "bytes=0-0, 5-5", "items=0-5", "Bytes0-5"] {
        let request = Request::get(uri.as_str())
            .header(header::RANGE, range)
            .body(Body::empty())?;
        let response = send(&state, request).await?;
        assert_eq!(response.status(), StatusCode::OK, "{range}");
        assert!(
            response.headers().get(header::CONTENT_RANGE).is_none(),
            "{range}"
        );
        assert_eq!(body_bytes(response).await?.len() as u64, size, "{range}");
    }
    // One satisfiable byte range is still a part; one beyond the end still 416.
    for (range, status) in [
        ("bytes=10-19".to_string(), StatusCode::PARTIAL_CONTENT),
        (
            format!("bytes={}-", size + 10),
            StatusCode::RANGE_NOT_SATISFIABLE,
        ),
    ] {
        let request = Request::get(uri.as_str())
            .header(header::RANGE, range.as_str())
            .body(Body::empty())?;
        assert_eq!(send(&state, request).await?.status(), status, "{range}");
    }
    Ok(())
}

on_both_backends!(
    original_media_is_served_whole_and_by_range,
    unknown_and_malformed_ids_are_404_and_400,
    a_moved_away_file_is_404_not_500,
    path_traversal_never_reaches_a_file_outside_the_index,
    thumbnails_are_jpegs_and_bad_names_are_refused,
    a_thumbnail_the_browser_holds_is_answered_not_modified,
    an_mp4_starting_late_is_served_remuxed_to_start_at_0_with_the_same_frames,
    an_avi_gets_one_h264_proxy_even_when_asked_for_twice_at_once,
    a_file_changed_since_it_was_indexed_is_not_served,
    a_range_of_several_parts_or_another_unit_gets_the_whole_file,
);
