//! The editor and marketing API: hand tags and notes on a moment, collections edited
//! through every endpoint, and export jobs (CSV download, mp4 clip, cancel, downloads by
//! job id only).

use std::time::Duration;

use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use crate::support::{
    Backend, TestResult, body_bytes, get, get_json, library_on, on_both_backends, post_json,
    send_json, state,
};

/// Polls `GET uri` until `done` holds for the answer (at most ~60 s).
async fn wait_for(
    state: &rushes_server::AppState,
    uri: &str,
    done: impl Fn(&Value) -> bool,
) -> Result<Value, Box<dyn std::error::Error>> {
    for _ in 0..600 {
        let (_, value) = get_json(state, uri).await?;
        if done(&value) {
            return Ok(value);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{uri} never reached the wanted state").into())
}

async fn a_tagged_and_noted_moment_is_found_by_tag_and_listed_with_its_note(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let slate = library.slate.id.as_str();
    let uri = format!("/api/assets/{slate}/annotations");
    let (status, answer) = post_json(
        &state,
        &uri,
        json!({"start": 2.5, "end": 3.5, "add": ["blooper"], "note": "clapper bounced"}),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer[0]["range"], json!({"start": 2.5, "end": 3.5}));
    assert_eq!(answer[0]["tags"], json!(["blooper"]));
    assert_eq!(answer[0]["note"], "clapper bounced");
    let (_, listed) = get_json(&state, &uri).await?;
    assert_eq!(listed, answer);

    // The server's own reader sees the writer's commit shortly after.
    let page = wait_for(&state, "/api/search?q=tag:blooper", |page| {
        page["hits"].as_array().is_some_and(|hits| !hits.is_empty())
    })
    .await?;
    for hit in page["hits"].as_array().ok_or("hits")? {
        assert_eq!(hit["asset"]["id"], slate);
        assert_eq!(
            hit["start"], 2.0,
            "only the moment the range overlaps: {hit}"
        );
    }

    let (status, _) = post_json(&state, &uri, json!({"start": 3.0, "add": ["x"]})).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post_json(
        &state,
        &uri,
        json!({"start": 3.0, "end": 1.0, "add": ["x"]}),
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post_json(
        &state,
        "/api/assets/ffffffffffffffff/annotations",
        json!({"add": ["x"]}),
    )
    .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, answer) = post_json(
        &state,
        &uri,
        json!({"start": 2.5, "end": 3.5, "remove": ["blooper"], "note": ""}),
    )
    .await?;
    assert_eq!((status, answer), (StatusCode::OK, json!([])));
    Ok(())
}

async fn collections_are_created_filled_reordered_renamed_trimmed_and_deleted(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let (slate, avi) = (library.slate.id.as_str(), library.avi.id.as_str());
    let (status, created) =
        post_json(&state, "/api/collections", json!({"name": "selects"})).await?;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let items = "/api/collections/selects/items";
    let (status, first) = post_json(
        &state,
        items,
        json!({"asset": slate, "start": 0.4, "end": 1.5}),
    )
    .await?;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (_, second) = post_json(&state, items, json!({"asset": avi, "note": "corridor"})).await?;
    let (first, second) = (first["id"].clone(), second["id"].clone());

    let (_, page) = get_json(&state, "/api/collections/selects").await?;
    let ids: Vec<&Value> = page["items"]
        .as_array()
        .ok_or("items")?
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, vec![&first, &second]);
    assert_eq!(page["items"][0]["timecode"], "01:00:00:10");
    assert_eq!(page["items"][1]["whole"], true);
    assert_eq!(page["items"][1]["end"], 2.0);
    assert!(
        page["items"][0]["thumbnail"]
            .as_str()
            .is_some_and(|t| t.starts_with("/thumbs/"))
    );

    let (status, page) = send_json(
        &state,
        "PATCH",
        "/api/collections/selects",
        Some(json!({"order": [second, first], "name": "EPK"})),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["name"], "EPK");
    assert_eq!(page["items"][0]["id"], second);
    let (status, _) = send_json(
        &state,
        "PATCH",
        "/api/collections/EPK",
        Some(json!({"order": [second]})),
    )
    .await?;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an order must name every entry"
    );

    let (status, _) = send_json(
        &state,
        "DELETE",
        &format!("/api/collections/EPK/items/{second}"),
        None,
    )
    .await?;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, listed) = get_json(&state, "/api/collections").await?;
    assert_eq!(listed, json!([{"name": "EPK", "items": 1}]));
    let (status, _) = send_json(&state, "DELETE", "/api/collections/EPK", None).await?;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = get_json(&state, "/api/collections/EPK").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post_json(&state, "/api/collections", json!({"name": "  "})).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

async fn export_jobs_write_a_csv_and_a_clip_and_serve_them_by_job_id(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let slate = library.slate.id.as_str();
    let items = "/api/collections/trailer/items";
    post_json(
        &state,
        items,
        json!({"asset": slate, "start": 1.0, "end": 2.0, "note": "hero"}),
    )
    .await?;

    let (status, job) = post_json(
        &state,
        "/api/exports",
        json!({"collection": "trailer", "format": "csv"}),
    )
    .await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let uri = format!("/api/exports/{}", job["id"].as_str().ok_or("id")?);
    let done = wait_for(&state, &uri, |job| job["state"] != "running").await?;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["files"], json!(["trailer.csv"]));
    let download = get(&state, done["download"][0].as_str().ok_or("download")?).await?;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(
        download.headers()[header::CONTENT_DISPOSITION]
            .to_str()?
            .contains("trailer.csv")
    );
    let csv = String::from_utf8(body_bytes(download).await?)?;
    assert!(
        csv.contains("slate_take3.mp4") && csv.contains("hero"),
        "{csv}"
    );
    assert!(csv.contains("01:00:01:00"), "{csv}");

    let (_, job) = post_json(
        &state,
        "/api/exports",
        json!({"query": "rolling", "format": "mp4", "handles": 0.5}),
    )
    .await?;
    let uri = format!("/api/exports/{}", job["id"].as_str().ok_or("id")?);
    let done = wait_for(&state, &uri, |job| job["state"] != "running").await?;
    assert_eq!(done["state"], "done", "{done}");
    let clip = get(&state, done["download"][0].as_str().ok_or("download")?).await?;
    assert_eq!(clip.headers()[header::CONTENT_TYPE], "video/mp4");
    let bytes = body_bytes(clip).await?;
    let file = library.index.join("downloaded.mp4");
    std::fs::write(&file, &bytes)?;
    let duration = rushes_testkit::ffprobe_duration(&file).ok_or("ffprobe reads no duration")?;
    // The ROLLING moment is 0-2 s; handles add 0.5 s after it (none fit before 0).
    assert!(
        (duration - 2.5).abs() <= 0.04 + 1e-3,
        "clip lasts {duration} s"
    );

    // Downloads are by job id and number only.
    for bad in [
        "/api/exports/000000000000000000000000/files/0",
        &format!("{uri}/files/7"),
        "/api/exports/..%2F..%2Fcatalog.sqlite/files/0",
    ] {
        assert_eq!(
            get(&state, bad).await?.status(),
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
    let (status, _) = post_json(
        &state,
        "/api/exports",
        json!({"collection": "trailer", "format": "mov"}),
    )
    .await?;
    assert!(status.is_client_error());
    let (status, _) = post_json(
        &state,
        "/api/exports",
        json!({"collection": "trailer", "format": "mp4", "crop": "4:3"}),
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

async fn a_cancelled_clip_job_stops_and_leaves_no_partial_files(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let slate = library.slate.id.as_str();
    let items = "/api/collections/long/items";
    for n in 0..8 {
        let start = f64::from(n) * 0.25;
        post_json(
            &state,
            items,
            json!({"asset": slate, "start": start, "end": start + 2.0}),
        )
        .await?;
    }
    let (_, job) = post_json(
        &state,
        "/api/exports",
        json!({"collection": "long", "format": "mp4"}),
    )
    .await?;
    let id = job["id"].as_str().ok_or("id")?.to_string();
    let (status, _) = send_json(&state, "DELETE", &format!("/api/exports/{id}"), None).await?;
    assert_eq!(status, StatusCode::OK);
    let done = wait_for(&state, &format!("/api/exports/{id}"), |job| {
        job["state"] != "running"
    })
    .await?;
    assert_eq!(done["state"], "cancelled", "{done}");
    assert!(done["done"].as_u64().is_some_and(|d| d < 8), "{done}");
    assert!(!library.work.join("exports").join(&id).exists());
    Ok(())
}

on_both_backends!(
    a_tagged_and_noted_moment_is_found_by_tag_and_listed_with_its_note,
    collections_are_created_filled_reordered_renamed_trimmed_and_deleted,
    export_jobs_write_a_csv_and_a_clip_and_serve_them_by_job_id,
    a_cancelled_clip_job_stops_and_leaves_no_partial_files,
);
