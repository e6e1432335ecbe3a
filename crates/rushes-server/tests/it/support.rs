//! Builds a small real index for a test: media made with ffmpeg lavfi, thumbnails cut from
//! it, records written through the store's public write path. A test that makes sense on
//! both engines runs once per [`Backend`] ([`on_both_backends!`]): on PostgreSQL the local
//! index is built the same way, then copied into a fresh database of rushes-testkit's
//! server with `rushes migrate`'s engine, and the server reads a `PgLibrary`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use rushes_core::{
    Asset, AssetId, AssetKind, AssetRecord, FrameRecord, MediaInfo, MomentRecord, content_hash,
};
use rushes_postgres::PgLibrary;
use rushes_postgres::migrate::{MigrateOptions, migrate};
use rushes_server::{AppState, ServerConfig, router};
use rushes_store::seams::AssetWrites;
use rushes_store::{Index, OpenMode};
pub use rushes_testkit::ffmpeg;
use tower::ServiceExt;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub use rushes_testkit::Backend;

/// Runs each named `async fn name(backend: Backend) -> TestResult` as two tests,
/// `name::local` and `name::postgres`, so a failure says which engine it was on.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn local() -> $crate::support::TestResult {
                super::$name($crate::support::Backend::Local).await
            }
            #[tokio::test]
            async fn postgres() -> $crate::support::TestResult {
                super::$name($crate::support::Backend::Postgres).await
            }
        }
    )*};
}
pub(crate) use on_both_backends;

/// One test's world: footage folder, index folder and the ids of what is in it.
pub struct Library {
    pub _temp: tempfile::TempDir,
    pub footage: PathBuf,
    /// The local index, built first on either backend.
    pub index: PathBuf,
    /// The folder of the server's own files (proxies, export jobs): the index folder of a
    /// local library, a folder of its own for a database (as `rushes serve` makes one).
    pub work: PathBuf,
    /// The database the index was copied into, when the test runs on PostgreSQL.
    pub database: Option<String>,
    /// That database open, shared by the test's servers (see the `Drop` impl).
    opened: Option<Arc<PgLibrary>>,
    /// An H.264 mp4 with a start timecode and `SCENE 42 TAKE 3` as its OCR text.
    pub slate: Asset,
    /// An MPEG-4 part 2 AVI (browsers cannot play it).
    pub avi: Asset,
}

fn asset(
    path: &Path,
    kind: AssetKind,
    media: MediaInfo,
) -> Result<Asset, Box<dyn std::error::Error>> {
    let metadata = std::fs::metadata(path)?;
    Ok(Asset {
        id: AssetId::from_path(path),
        path: path.to_path_buf(),
        kind,
        size: metadata.len(),
        mtime: rushes_core::mtime_seconds(&metadata),
        content_hash: content_hash(path)?,
        media,
    })
}

/// Cuts `thumbs/<id>/<millis>.jpg` at each time and returns the frames.
fn frames(
    index: &Path,
    source: &Path,
    id: &AssetId,
    times: &[f64],
) -> Result<Vec<FrameRecord>, Box<dyn std::error::Error>> {
    let dir = index.join("thumbs").join(id.as_str());
    std::fs::create_dir_all(&dir)?;
    let mut frames = Vec::new();
    for &time in times {
        let name = format!("{}.jpg", (time * 1000.0).round() as u64);
        let target = dir.join(&name);
        let source = source.to_string_lossy();
        let target_text = target.to_string_lossy();
        ffmpeg(&[
            "-ss",
            &time.to_string(),
            "-i",
            &source,
            "-frames:v",
            "1",
            "-vf",
            "scale=160:-2",
            &target_text,
        ])?;
        frames.push(FrameRecord {
            time,
            thumbnail: Some(format!("{id}/{name}")),
            embedding: None,
        });
    }
    Ok(frames)
}

fn moment(start: f64, end: f64, frames: Vec<FrameRecord>, ocr_text: &str) -> MomentRecord {
    MomentRecord {
        start,
        end,
        keyframe: start,
        thumbnail: frames.first().and_then(|f| f.thumbnail.clone()),
        ocr_text: ocr_text.to_string(),
        frames,
        ..MomentRecord::default()
    }
}

/// What `rushes index` hands the store for `asset` with these moments and nothing else.
fn record(asset: &Asset, moments: Vec<MomentRecord>) -> AssetRecord {
    AssetRecord::with_moments(asset.clone(), moments)
}

/// Indexes one more H.264/AAC mp4 of `library` as the file is now: one moment over its
/// `duration` seconds, no frames.
pub fn add_mp4(
    library: &Library,
    path: &Path,
    duration: f64,
) -> Result<Asset, Box<dyn std::error::Error>> {
    let added = asset(
        path,
        AssetKind::Video,
        MediaInfo {
            container: Some("mov,mp4,m4a,3gp,3g2,mj2".into()),
            duration: Some(duration),
            video_codec: Some("h264".into()),
            audio_codec: Some("aac".into()),
            ..MediaInfo::default()
        },
    )?;
    put_record(
        library,
        &record(&added, vec![moment(0.0, duration, Vec::new(), "")]),
    )?;
    Ok(added)
}

/// Writes `record` as `rushes index` would into the test's library: the local index, and
/// the database too when the test runs on PostgreSQL.
pub fn put_record(library: &Library, record: &AssetRecord) -> TestResult {
    let store = Index::open(&library.index, OpenMode::ReadWrite)?;
    store.put_asset(record)?;
    store.commit()?;
    drop(store);
    if let Some(url) = &library.database {
        off_runtime(|| {
            let engine = rushes_postgres::PgEngine::open(url)?;
            engine.put_assets(std::slice::from_ref(record), None)?;
            Ok(())
        })?;
    }
    Ok(())
}

/// Runs `work` on a thread of its own: the `postgres` client blocks on a runtime of its
/// own, which it may not start, nor drop, inside a test's async runtime.
pub fn off_runtime<T: Send>(
    work: impl FnOnce() -> Result<T, Box<dyn std::error::Error>> + Send,
) -> Result<T, Box<dyn std::error::Error>> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| work().map_err(|error| error.to_string()))
            .join()
            .map_err(|_| "the PostgreSQL work panicked".to_string())?
    })
    .map_err(Into::into)
}

/// The local test library (see [`library_on`]).
pub fn library() -> Result<Library, Box<dyn std::error::Error>> {
    library_on(Backend::Local)
}

/// The test library on `backend`: the slate and the AVI with their moments, frames and
/// thumbnails.
pub fn library_on(backend: Backend) -> Result<Library, Box<dyn std::error::Error>> {
    library_with(backend, |_| Ok(()))
}

/// [`library_on`] with more written into the local index by `extra` before it is copied
/// into a database: hand work and faces go in as `rushes migrate` carries them.
pub fn library_with(
    backend: Backend,
    extra: impl FnOnce(&Library) -> TestResult,
) -> Result<Library, Box<dyn std::error::Error>> {
    let mut library = local_library()?;
    extra(&library)?;
    if backend == Backend::Postgres {
        let url = rushes_testkit::postgres::shared_server()?.fresh_database()?;
        let index = library.index.clone();
        off_runtime(|| {
            let engine = rushes_postgres::PgEngine::open(&url)?;
            migrate(&index, &engine, MigrateOptions::default(), &mut |_| {})?;
            Ok(())
        })?;
        library.work = library._temp.path().join("server");
        std::fs::create_dir_all(&library.work)?;
        // With a copy of the text index in the server's folder, as `rushes serve` opens it.
        let copy = library.work.join("text");
        library.opened = Some(Arc::new(off_runtime(|| {
            Ok(PgLibrary::open_with_text_mirror(&url, &copy)?)
        })?));
        library.database = Some(url);
    }
    Ok(library)
}

impl Drop for Library {
    /// The test's servers are gone by now (made after the library, dropped before it), so
    /// this is the database's last handle: its connections close by blocking on runtimes of
    /// their own, which a test's async runtime forbids, so they close on a thread of their
    /// own.
    fn drop(&mut self) {
        if let Some(opened) = self.opened.take() {
            let _ = std::thread::spawn(move || drop(opened)).join();
        }
    }
}

fn local_library() -> Result<Library, Box<dyn std::error::Error>> {
    let temp = tempfile::tempdir()?;
    let footage = temp.path().join("footage").join("day1");
    let index = temp.path().join("index");
    std::fs::create_dir_all(&footage)?;

    let slate_path = footage.join("slate_take3.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x180:rate=25:duration=4",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=4",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        "-timecode",
        "01:00:00:00",
        &slate_path.to_string_lossy(),
    ])?;
    let avi_path = footage.join("vtest_cut.avi");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=10:duration=2",
        "-c:v",
        "mpeg4",
        &avi_path.to_string_lossy(),
    ])?;

    let slate = asset(
        &slate_path,
        AssetKind::Video,
        MediaInfo {
            container: Some("mov,mp4,m4a,3gp,3g2,mj2".into()),
            duration: Some(4.0),
            width: Some(320),
            height: Some(180),
            video_codec: Some("h264".into()),
            audio_codec: Some("aac".into()),
            frame_rate: Some(25.0),
            start_timecode: Some("01:00:00:00".into()),
            creation_time: Some("2024-05-01T10:00:00Z".into()),
            ..MediaInfo::default()
        },
    )?;
    let avi = asset(
        &avi_path,
        AssetKind::Video,
        MediaInfo {
            container: Some("avi".into()),
            duration: Some(2.0),
            width: Some(320),
            height: Some(240),
            video_codec: Some("mpeg4".into()),
            frame_rate: Some(10.0),
            ..MediaInfo::default()
        },
    )?;

    let store = Index::open(&index, OpenMode::ReadWrite)?;
    let slate_frames_a = frames(&index, &slate_path, &slate.id, &[0.0, 1.0])?;
    let slate_frames_b = frames(&index, &slate_path, &slate.id, &[2.0, 3.0])?;
    store.put_asset(&record(
        &slate,
        vec![
            moment(0.0, 2.0, slate_frames_a, "ROLLING"),
            moment(2.0, 4.0, slate_frames_b, "SCENE 42 TAKE 3"),
        ],
    ))?;
    let avi_frames = frames(&index, &avi_path, &avi.id, &[0.5])?;
    store.put_asset(&record(
        &avi,
        vec![moment(0.0, 2.0, avi_frames, "corridor")],
    ))?;
    store.commit()?;
    drop(store);
    Ok(Library {
        _temp: temp,
        footage,
        work: index.clone(),
        index,
        database: None,
        opened: None,
        slate,
        avi,
    })
}

pub fn state(library: &Library) -> Result<AppState, Box<dyn std::error::Error>> {
    let config = ServerConfig {
        progress_poll_interval: std::time::Duration::from_millis(50),
        ..ServerConfig::default()
    };
    state_with(library, config)
}

/// A server of `library` with these settings, reading the engine the test runs on.
pub fn state_with(
    library: &Library,
    config: ServerConfig,
) -> Result<AppState, Box<dyn std::error::Error>> {
    match &library.opened {
        None => Ok(AppState::new(library.index.clone(), config)?),
        // Opening reads the library (its models) through the blocking client.
        Some(database) => off_runtime(|| {
            let database: Arc<dyn rushes_store::Library> = database.clone();
            Ok(AppState::with_library(
                database,
                library.work.clone(),
                config,
            )?)
        }),
    }
}

/// A server of `library` with visual search on: the AVI's frame gets a vector of the
/// colour-only CLIP stand-in (`tests/fixtures/models/clip-fixture`), which the server loads.
pub fn visual_state(library: &Library) -> Result<AppState, Box<dyn std::error::Error>> {
    let mut unit = vec![0.0f32; 512];
    unit[0] = 1.0;
    let frame = FrameRecord {
        time: 0.5,
        thumbnail: None,
        embedding: Some(unit),
    };
    let mut with_vector = record(
        &library.avi,
        vec![moment(0.0, 2.0, vec![frame], "corridor")],
    );
    with_vector.embedding_model = Some("clip-fixture".to_string());
    put_record(library, &with_vector)?;
    let config = ServerConfig {
        search: rushes_server::SearcherConfig {
            models_dir: rushes_testkit::repo_root().join("tests/fixtures/models"),
            ..rushes_server::SearcherConfig::default()
        },
        ..ServerConfig::default()
    };
    state_with(library, config)
}

pub async fn get(
    state: &AppState,
    uri: &str,
) -> Result<Response<Body>, Box<dyn std::error::Error>> {
    send(state, Request::get(uri).body(Body::empty())?).await
}

/// Sends `request` as a browser or curl on the same machine would: with `Host: localhost`
/// unless the request names a host itself.
pub async fn send(
    state: &AppState,
    mut request: Request<Body>,
) -> Result<Response<Body>, Box<dyn std::error::Error>> {
    if !request.headers().contains_key(header::HOST) {
        request
            .headers_mut()
            .insert(header::HOST, HeaderValue::from_static("localhost:7878"));
    }
    send_as_is(state, request).await
}

/// Sends `request` without adding anything (no `Host` unless it has one).
pub async fn send_as_is(
    state: &AppState,
    request: Request<Body>,
) -> Result<Response<Body>, Box<dyn std::error::Error>> {
    Ok(router(state.clone()).oneshot(request).await?)
}

pub async fn body_bytes(response: Response<Body>) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    Ok(axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
        .await?
        .to_vec())
}

pub async fn json(
    response: Response<Body>,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_slice(&body_bytes(response).await?)?)
}

/// Asserts an error answer: the status and the `{"error": {"code", "message"}}` shape.
pub async fn assert_error(
    response: Response<Body>,
    status: StatusCode,
    code: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    assert_eq!(response.status(), status);
    let value = json(response).await?;
    assert_eq!(value["error"]["code"], code, "{value}");
    let message = value["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!message.is_empty(), "{value}");
    Ok(message)
}

/// `GET uri` answers the error `code` with `status` (see [`assert_error`]); returns the
/// message.
pub async fn get_error(
    state: &AppState,
    uri: &str,
    status: StatusCode,
    code: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    assert_error(get(state, uri).await?, status, code).await
}

/// `GET uri`: the status and the body as JSON (`null` when the body is not JSON).
pub async fn get_json(
    state: &AppState,
    uri: &str,
) -> Result<(StatusCode, serde_json::Value), Box<dyn std::error::Error>> {
    send_json(state, "GET", uri, None).await
}

/// `POST uri` with a JSON body: the status and the answer as JSON.
pub async fn post_json(
    state: &AppState,
    uri: &str,
    body: serde_json::Value,
) -> Result<(StatusCode, serde_json::Value), Box<dyn std::error::Error>> {
    send_json(state, "POST", uri, Some(body)).await
}

/// Any method, with an optional JSON body: the status and the answer as JSON (`null` for
/// an empty or non-JSON body).
pub async fn send_json(
    state: &AppState,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> Result<(StatusCode, serde_json::Value), Box<dyn std::error::Error>> {
    let builder = Request::builder().method(method).uri(uri);
    let request = match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(serde_json::to_vec(&body)?))?,
        None => builder.body(Body::empty())?,
    };
    let response = send(state, request).await?;
    let status = response.status();
    let bytes = body_bytes(response).await?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    ))
}

/// `GET uri`, asserting a 200, and the body as JSON.
pub async fn ok_json(
    state: &AppState,
    uri: &str,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let (status, value) = get_json(state, uri).await?;
    assert_eq!(status, StatusCode::OK, "GET {uri}: {value}");
    Ok(value)
}
