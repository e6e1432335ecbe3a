//! The JSON API: search, assets, facets, status, similar and image search, and their errors.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use rushes_server::AppState;

use crate::support::{
    Backend, Library, TestResult, assert_error, get, get_error, library, library_on, ok_json,
    on_both_backends, send, state,
};

/// Asks each `(uri, status, code)` and checks the answer is that JSON error.
async fn get_errors(state: &AppState, expected: &[(&str, StatusCode, &str)]) -> TestResult {
    for &(uri, status, code) in expected {
        get_error(state, uri, status, code).await?;
    }
    Ok(())
}

/// The slate's frame thumbnail at 1 s: a real JPEG to search by.
fn slate_frame_jpeg(library: &Library) -> Result<Vec<u8>, std::io::Error> {
    std::fs::read(
        library
            .index
            .join("thumbs")
            .join(library.slate.id.as_str())
            .join("1000.jpg"),
    )
}

async fn search_finds_the_slate_by_its_on_screen_text_with_source_timecode(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let page = ok_json(&state, "/api/search?q=scene%2042").await?;
    let hits = page["hits"].as_array().ok_or("no hits array")?;
    let first = hits.first().ok_or("no hit")?;
    assert_eq!(first["asset"]["id"], library.slate.id.as_str());
    assert_eq!(first["start"], 2.0);
    assert!(
        first["snippet"]
            .as_str()
            .unwrap_or_default()
            .contains("<b>"),
        "{first}"
    );
    assert!(
        first["signals"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == "ocr")),
        "{first}"
    );
    // 01:00:00:00 + 2 s at 25 fps.
    assert_eq!(first["timecode"], "01:00:02:00");
    let asset = &page["assets"][library.slate.id.as_str()];
    assert_eq!(asset["name"], "slate_take3.mp4");
    assert_eq!(asset["playback"]["native"], true);
    assert!(
        hits.iter()
            .all(|hit| hit["asset"]["id"] != library.avi.id.as_str())
    );
    Ok(())
}

async fn search_by_file_name_word_and_kind_filter(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let page = ok_json(&state, "/api/search?q=vtest").await?;
    let first = &page["hits"][0];
    assert_eq!(first["asset"]["id"], library.avi.id.as_str());
    assert_eq!(
        page["assets"][library.avi.id.as_str()]["playback"]["native"],
        false
    );
    let filtered = ok_json(&state, "/api/search?q=vtest%20kind:image").await?;
    assert_eq!(
        filtered["hits"].as_array().map(Vec::len),
        Some(0),
        "{filtered}"
    );
    Ok(())
}

async fn bad_queries_and_parameters_answer_400_with_the_error_shape(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let message = get_error(
        &state,
        "/api/search?q=date:2025-13-01",
        StatusCode::BAD_REQUEST,
        "bad_query",
    )
    .await?;
    assert!(
        message.contains("2025-13-01") || message.to_lowercase().contains("date"),
        "{message}"
    );
    let long = format!("/api/search?q={}", "a".repeat(2000));
    get_errors(
        &state,
        &[
            (long.as_str(), StatusCode::BAD_REQUEST, "bad_query"),
            (
                "/api/search?q=x&limit=1000",
                StatusCode::BAD_REQUEST,
                "bad_request",
            ),
            (
                "/api/search?q=x&limit=lots",
                StatusCode::BAD_REQUEST,
                "bad_request",
            ),
            (
                "/api/search?q=x&sort=random",
                StatusCode::BAD_REQUEST,
                "bad_request",
            ),
            (
                "/api/facets?q=date:2025-13-01",
                StatusCode::BAD_REQUEST,
                "bad_query",
            ),
            ("/api/nothing-here", StatusCode::NOT_FOUND, "not_found"),
        ],
    )
    .await?;
    Ok(())
}

async fn asset_detail_has_moments_frames_and_how_to_play(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let detail = ok_json(&state, &format!("/api/assets/{}", library.slate.id)).await?;
    assert_eq!(detail["asset"]["id"], library.slate.id.as_str());
    let moments = detail["moments"].as_array().ok_or("no moments")?;
    assert_eq!(moments.len(), 2);
    assert_eq!(moments[1]["timecode"], "01:00:02:00");
    let frames = detail["frames"].as_array().ok_or("no frames")?;
    let times: Vec<f64> = frames.iter().filter_map(|f| f["time"].as_f64()).collect();
    assert_eq!(times, vec![0.0, 1.0, 2.0, 3.0]);
    // Every frame thumbnail the API names can be fetched.
    for frame in frames {
        let url = frame["thumbnail"].as_str().ok_or("no thumbnail")?;
        assert_eq!(get(&state, url).await?.status(), StatusCode::OK, "{url}");
    }
    assert_eq!(
        detail["playback"]["url"],
        format!("/media/{}", library.slate.id)
    );

    let avi = ok_json(&state, &format!("/api/assets/{}", library.avi.id)).await?;
    assert_eq!(
        avi["playback"]["url"],
        format!("/media/{}/proxy", library.avi.id)
    );

    get_errors(
        &state,
        &[
            (
                "/api/assets/0123456789abcdef",
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                "/api/assets/not-an-id",
                StatusCode::BAD_REQUEST,
                "bad_request",
            ),
        ],
    )
    .await?;
    Ok(())
}

async fn asset_list_pages_and_counts_folders(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let list = ok_json(&state, "/api/assets?limit=1").await?;
    assert_eq!(list["total"], 2);
    assert_eq!(list["assets"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        list["folders"][0]["path"],
        library.footage.display().to_string()
    );
    assert_eq!(list["folders"][0]["count"], 2);
    let second = ok_json(&state, "/api/assets?limit=1&offset=1").await?;
    assert_ne!(second["assets"][0]["id"], list["assets"][0]["id"]);
    let elsewhere = ok_json(&state, "/api/assets?folder=/nowhere").await?;
    assert_eq!(elsewhere["total"], 0);
    Ok(())
}

async fn facets_count_matching_assets_by_kind_and_folder(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let facets = ok_json(&state, "/api/facets?q=").await?;
    let kinds = facets["kind"].as_array().ok_or("no kind facet")?;
    assert!(
        kinds
            .iter()
            .any(|k| k["value"] == "video" && k["count"] == 2),
        "{facets}"
    );
    assert!(
        facets["folder"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["value"] == "day1")),
        "{facets}"
    );
    let narrowed = ok_json(&state, "/api/facets?q=scene%2042").await?;
    assert!(
        narrowed["kind"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k["count"] == 1)),
        "{narrowed}"
    );
    Ok(())
}

#[tokio::test]
async fn status_reports_the_index_and_the_last_run() -> TestResult {
    let library = library()?;
    let state = state(&library)?;
    let status = ok_json(&state, "/api/status").await?;
    assert_eq!(status["index"]["assets"], 2);
    assert!(status["progress"].is_null());
    std::fs::write(
        library.index.join("progress.json"),
        r#"{"state":"running","started_at":1,"updated_at":2,"files_total":5,"files_done":2,"files_skipped":0,"files_failed":1,"current":"/f/c.mov","failures":[{"path":"/f/b.mov","reason":"not a media file"}]}"#,
    )?;
    let status = ok_json(&state, "/api/status").await?;
    assert_eq!(status["progress"]["files_done"], 2);
    assert_eq!(
        status["progress"]["failures"][0]["reason"],
        "not a media file"
    );
    Ok(())
}

#[tokio::test]
async fn events_stream_progress_when_the_file_changes() -> TestResult {
    use tokio_stream::StreamExt;
    let library = library()?;
    let state = state(&library)?;
    let response = get(&state, "/api/events").await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()?
            .starts_with("text/event-stream")
    );
    let mut stream = response.into_body().into_data_stream();
    std::fs::write(
        library.index.join("progress.json"),
        r#"{"state":"running","started_at":1,"updated_at":2,"files_total":3,"files_done":1,"files_skipped":0,"files_failed":0,"current":"/f/a.mov","failures":[]}"#,
    )?;
    let mut seen = String::new();
    while !seen.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
            .await?
            .ok_or("stream ended")??;
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: progress"), "{seen}");
    assert!(
        seen.contains("\"files_done\":1") && seen.contains("/f/a.mov"),
        "{seen}"
    );
    Ok(())
}

async fn similar_and_image_search_without_frame_vectors_explain_why(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    assert_error(
        get(
            &state,
            &format!("/api/similar?asset={}&t=1", library.slate.id),
        )
        .await?,
        StatusCode::CONFLICT,
        "visual_search_off",
    )
    .await?;
    get_errors(
        &state,
        &[
            (
                "/api/similar?asset=0123456789abcdef&t=1",
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                "/api/similar?asset=../../etc&t=1",
                StatusCode::BAD_REQUEST,
                "bad_request",
            ),
        ],
    )
    .await?;

    // Regression (issue 18): with visual search off, every upload is answered so before
    // its body is read — a body that fails when read proves it was not.
    let jpeg = slate_frame_jpeg(&library)?;
    let unreadable = || {
        Body::from_stream(tokio_stream::iter([Err::<Vec<u8>, std::io::Error>(
            std::io::Error::other("the body was read"),
        )]))
    };
    for (content_type, body) in [
        ("image/jpeg", Body::from(jpeg)),
        ("image/png", unreadable()),
        ("text/plain", unreadable()),
    ] {
        let request = Request::post("/api/search/image")
            .header(header::CONTENT_TYPE, content_type)
            .body(body)?;
        assert_error(
            send(&state, request).await?,
            StatusCode::CONFLICT,
            "visual_search_off",
        )
        .await?;
    }
    Ok(())
}

// Regression (issue 18): image search took any content type (text/plain too, which needs
// no preflight) and decoded whatever it got: a 353 KB PNG declaring 11000×11000 pixels took
// the server from 44 MB to 750 MB. Only multipart or image/* is read, and the declared size
// is checked against indexing's cap (rushes_media::MAX_STILL_PIXELS) before decoding.
async fn image_search_reads_only_images_and_refuses_a_declared_size_over_the_cap(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = crate::support::visual_state(&library)?;
    let upload = |content_type: &str, body: Vec<u8>| {
        Request::post("/api/search/image")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
    };
    // A real frame searches.
    let jpeg = slate_frame_jpeg(&library)?;
    let response = send(&state, upload("image/jpeg", jpeg.clone())?).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(crate::support::json(response).await?["hits"].is_array());

    for content_type in [
        "text/plain",
        "application/octet-stream",
        "application/x-www-form-urlencoded",
        "imagex/png",
    ] {
        let message = assert_error(
            send(&state, upload(content_type, jpeg.clone())?).await?,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media",
        )
        .await?;
        assert!(message.contains("image/*"), "{content_type}: {message}");
    }
    let missing = Request::post("/api/search/image").body(Body::from(jpeg))?;
    assert_eq!(
        send(&state, missing).await?.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_error(
        send(
            &state,
            upload("image/png", b"hello, not a picture".to_vec())?,
        )
        .await?,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media",
    )
    .await?;

    // A PNG of a few dozen bytes declaring 11000×11000 pixels: refused by its header. Had
    // it been decoded, the short image data would have failed as corrupt (415) after
    // allocating 363 MB; 413 with the declared size says it never got that far.
    let bomb = rushes_testkit::png_declaring(11_000, 11_000);
    assert!(bomb.len() < 100);
    let message = assert_error(
        send(&state, upload("image/png", bomb)?).await?,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
    )
    .await?;
    assert!(message.contains("11000×11000"), "{message}");

    let huge = vec![0u8; rushes_server::MAX_UPLOAD_BYTES + 1024];
    assert_error(
        send(&state, upload("image/jpeg", huge)?).await?,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
    )
    .await?;
    Ok(())
}

async fn image_search_accepts_a_multipart_form(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = crate::support::visual_state(&library)?;
    let jpeg = slate_frame_jpeg(&library)?;
    let boundary = "rushes-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"frame.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&jpeg);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post("/api/search/image")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))?;
    // The form is read, the image decoded and searched with.
    let response = send(&state, request).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(crate::support::json(response).await?["hits"].is_array());
    Ok(())
}

on_both_backends!(
    search_finds_the_slate_by_its_on_screen_text_with_source_timecode,
    search_by_file_name_word_and_kind_filter,
    bad_queries_and_parameters_answer_400_with_the_error_shape,
    asset_detail_has_moments_frames_and_how_to_play,
    asset_list_pages_and_counts_folders,
    facets_count_matching_assets_by_kind_and_folder,
    similar_and_image_search_without_frame_vectors_explain_why,
    image_search_reads_only_images_and_refuses_a_declared_size_over_the_cap,
    image_search_accepts_a_multipart_form,
);
