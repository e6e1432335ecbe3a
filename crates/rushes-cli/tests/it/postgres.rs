//! `--index postgres://…`: `rushes search`, `status`, `show` and `serve` against a library
//! in PostgreSQL (rushes-testkit's server, a fresh database each), populated through
//! `PgEngine::put_assets` (the ingest path to PostgreSQL is the index workers'); a URL that
//! cannot be used is one clear line and a failing exit.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rushes_core::{
    Asset, AssetId, AssetKind, AssetRecord, FrameRecord, MediaInfo, MomentRecord, TranscriptLine,
};
use rushes_postgres::PgEngine;
use rushes_store::seams::AssetWrites;
use rushes_testkit::postgres::shared_server;

use crate::footage::{hits_of, json, rushes};

pub(crate) const CLIP: &str = "/footage/day1/crane_run.mov";

/// A clip with two moments: the crane operator speaks in the first, a slate is on screen in
/// the second.
fn crane_clip() -> AssetRecord {
    let path = PathBuf::from(CLIP);
    let asset = Asset {
        id: AssetId::from_path(&path),
        content_hash: "hash-crane-run".into(),
        kind: AssetKind::Video,
        size: 4_000_000,
        mtime: 1_700_000_000,
        media: MediaInfo {
            creation_time: Some("2025-03-01T10:00:00Z".into()),
            duration: Some(20.0),
            ..MediaInfo::default()
        },
        path,
    };
    let moment = |start: f64, said: &str, on_screen: &str| MomentRecord {
        start,
        end: start + 10.0,
        keyframe: start,
        thumbnail: None,
        tags: Vec::new(),
        ocr_text: on_screen.to_string(),
        transcript: (!said.is_empty())
            .then(|| TranscriptLine {
                start,
                end: start + 4.0,
                text: said.to_string(),
                source: "srt".into(),
            })
            .into_iter()
            .collect(),
        caption: None,
        frames: vec![FrameRecord {
            time: start,
            thumbnail: None,
            embedding: None,
        }],
    };
    let mut record = AssetRecord::with_moments(
        asset,
        vec![
            moment(0.0, "the crane operator waves", ""),
            moment(10.0, "", "SCENE 12 TAKE 2"),
        ],
    );
    record.transcript = record.moments[0].transcript.clone();
    record
}

/// A fresh database holding the crane clip; its URL.
pub(crate) fn crane_library() -> String {
    let url = shared_server()
        .and_then(|server| server.fresh_database())
        .expect("a fresh database");
    let engine = PgEngine::open(&url).expect("open the library");
    engine
        .put_assets(&[crane_clip()], None)
        .expect("write the clip");
    url
}

#[test]
fn search_status_and_show_read_a_postgres_library() {
    let url = crane_library();
    let response = json(&["search", "crane operator", "--index", &url, "--json"]);
    let hits = hits_of(&response);
    assert_eq!(hits.len(), 1, "{response}");
    assert_eq!(hits[0]["asset"]["path"], CLIP);
    assert_eq!(hits[0]["start"], 0.0);
    assert_eq!(
        hits[0]["end"], 4.0,
        "the hit plays the spoken line: {}",
        hits[0]
    );
    assert!(
        hits[0]["snippet"]
            .as_str()
            .unwrap_or("")
            .contains("<b>crane</b>"),
        "{}",
        hits[0]
    );
    let slate = hits_of(&json(&["search", "take2", "--index", &url, "--json"]));
    assert_eq!(slate.len(), 1);
    assert_eq!(slate[0]["start"], 10.0);

    let status = json(&["status", "--index", &url, "--json"]);
    assert_eq!(status["assets"], 1, "{status}");
    assert_eq!(status["moments"], 2, "{status}");
    assert_eq!(status["frames"], 2, "{status}");
    let text = rushes(&["status", "--index", &url]);
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.starts_with("index: postgres://"), "{text}");

    let id = crane_clip().asset.id.to_string();
    let detail = json(&["show", &id, "--index", &url, "--json"]);
    assert_eq!(detail["asset"]["path"], CLIP);
    assert_eq!(
        detail["moments"].as_array().map(Vec::len),
        Some(2),
        "{detail}"
    );
    let by_path = json(&["show", CLIP, "--index", &url, "--json"]);
    assert_eq!(by_path["asset"]["id"], id.as_str());
}

#[test]
fn a_url_that_cannot_be_used_is_one_clear_line_and_a_failure() {
    let free_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port");
    let down = format!("postgres://rushes@127.0.0.1:{free_port}/library");
    for (url, says) in [
        (down.as_str(), "cannot connect"),
        (
            "postgres://rushes@127.0.0.1:notaport/library",
            "not a PostgreSQL URL",
        ),
    ] {
        for command in [
            &["status", "--index", url][..],
            &["search", "crane", "--index", url],
        ] {
            let output = rushes(command);
            assert!(!output.status.success(), "{command:?}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(lines.len(), 1, "{command:?}: {stderr}");
            assert!(lines[0].starts_with("error: "), "{stderr}");
            assert!(lines[0].contains(says), "{command:?}: {stderr}");
            assert!(output.stdout.is_empty(), "{command:?}");
        }
    }
}

/// Stops the server when the test ends, however it ends.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn get(port: u16, path: &str) -> Option<String> {
    send(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
    )
}

/// Sends one raw HTTP/1.1 request and reads the whole response.
pub(crate) fn send(port: u16, request: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

/// `rushes serve` on the library at `url` on a free port, once it answers; the server (stopped
/// when dropped), its port and its cache folder.
pub(crate) fn serve(url: &str) -> (Server, u16, tempfile::TempDir) {
    let cache = tempfile::tempdir().expect("temp dir");
    let (server, port) = serve_with_cache(url, cache.path());
    (server, port, cache)
}

/// `rushes serve` on the library at `url` with `cache` as its cache folder, once it answers.
pub(crate) fn serve_with_cache(url: &str, cache: &Path) -> (Server, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port");
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(["serve", "--index", url, "--addr", &addr])
        .env_remove("RUSHES_INDEX")
        .env("XDG_CACHE_HOME", cache)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rushes serve");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(port, "/api/status").is_none() {
        assert!(Instant::now() < deadline, "rushes serve did not answer");
        std::thread::sleep(Duration::from_millis(200));
    }
    (server, port)
}

/// The state files of the copies of the text index under a server's cache folder.
fn text_copies(cache: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for serve in std::fs::read_dir(cache.join("rushes"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for copy in std::fs::read_dir(serve.path().join("text"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let state = copy.path().join("mirror.json");
            if state.is_file() {
                found.push(state);
            }
        }
    }
    found
}

#[test]
fn serve_keeps_a_copy_of_the_text_index_and_a_second_server_on_the_machine_reads_postgres() {
    let url = crane_library();
    let cache = tempfile::tempdir().expect("temp dir");
    let (_first, first_port) = serve_with_cache(&url, cache.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    while text_copies(cache.path()).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no copy of the text index was made"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A second server with the same cache folder cannot take the first one's copy: it
    // serves all the same, ranking words in PostgreSQL.
    let (_second, second_port) = serve_with_cache(&url, cache.path());
    for port in [first_port, second_port] {
        let response = get(port, "/api/search?q=crane").expect("an answer");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains(CLIP), "{response}");
    }
    assert_eq!(
        text_copies(cache.path()).len(),
        1,
        "one copy for one library"
    );
}

#[test]
fn serve_answers_api_search_from_a_postgres_library() {
    let url = crane_library();
    let (_server, port, _cache) = serve(&url);
    let response = get(port, "/api/search?q=crane").expect("an answer");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    assert!(body.contains(CLIP), "{body}");
    assert!(body.contains("<b>crane</b>"), "{body}");

    // A page from another web site cannot read or change the shared library either.
    let rebound = send(
        port,
        "GET /api/search?q=crane HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )
    .expect("an answer");
    assert!(rebound.starts_with("HTTP/1.1 421"), "{rebound}");
    let payload = r#"{"name":"stolen"}"#;
    let cross_site = send(
        port,
        &format!(
            "POST /api/collections HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: https://evil.example\r\nSec-Fetch-Site: cross-site\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
            payload.len()
        ),
    )
    .expect("an answer");
    assert!(cross_site.starts_with("HTTP/1.1 403"), "{cross_site}");
    let collections = get(port, "/api/collections").expect("collections");
    assert!(!collections.contains("stolen"), "{collections}");
}

/// Queues three files of the crane library: one claimed by `studio-a:812` (under a long
/// lease), one failed with a message, one waiting.
fn queue_three_files(url: &str) {
    use rushes_postgres::jobs::{FoundFile, Outcome, claim, enqueue, finish};
    let mut client = rushes_postgres::connect(url).expect("connect");
    let file = |name: &str| FoundFile {
        root: "/footage".to_string(),
        path: format!("/footage/day2/{name}"),
        size: 1000,
        mtime: 1,
    };
    let files = [file("a_take.mov"), file("broken.mov"), file("c_wide.mov")];
    assert_eq!(enqueue(&mut client, &files).expect("enqueue"), 3);
    let lease = Duration::from_secs(3600);
    let held = claim(&mut client, "studio-a:812", lease).expect("claim");
    assert_eq!(
        held.map(|claim| claim.file.path),
        Some(files[0].path.clone())
    );
    let failing = claim(&mut client, "render-2:77", lease)
        .expect("claim")
        .expect("a second job");
    let message = "not a video: moov atom not found".to_string();
    finish(&mut client, &failing, &Outcome::Failed { message }).expect("finish");
}

/// Reads `/api/events` until its first event has arrived; the event's name and data.
fn first_event(port: u16) -> (String, serde_json::Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let request =
        format!("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut received = String::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = stream.read(&mut buffer).expect("an event within 30 s");
        assert!(read > 0, "the stream ended before an event: {received}");
        received.push_str(&String::from_utf8_lossy(&buffer[..read]));
        let name = received
            .lines()
            .find_map(|line| line.strip_prefix("event: ").or(line.strip_prefix("event:")));
        let data = received
            .lines()
            .find_map(|line| line.strip_prefix("data: ").or(line.strip_prefix("data:")));
        if let (Some(name), Some(data)) = (name, data)
            && let Ok(value) = serde_json::from_str(data)
        {
            return (name.trim().to_string(), value);
        }
    }
}

#[test]
fn serve_streams_the_whole_job_queue_of_a_postgres_library() {
    let url = crane_library();
    queue_three_files(&url);
    let (_server, port, _cache) = serve(&url);
    let response = get(port, "/api/status").expect("an answer");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    let status: serde_json::Value = serde_json::from_str(body).expect("status JSON");
    let expected = serde_json::json!({
        "done": 0,
        "waiting": 1,
        "in_progress": [{"path": "/footage/day2/a_take.mov", "worker": "studio-a:812"}],
        "failed": 1,
        "failures": [{"path": "/footage/day2/broken.mov", "reason": "not a video: moov atom not found"}],
    });
    let since = held_since(&status["queue"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    assert!(
        (now - 600..=now).contains(&since),
        "the claim's time, in Unix seconds: {since} (now {now})"
    );
    assert_eq!(without_since(&status["queue"]), expected, "{status}");

    // The web UI's progress: the same queue as a `queue` event.
    let (name, queue) = first_event(port);
    assert_eq!(name, "queue");
    assert_eq!(held_since(&queue), since);
    assert_eq!(without_since(&queue), expected);
}

/// When the worker took the queue's first file in progress (`since`, Unix seconds).
fn held_since(queue: &serde_json::Value) -> i64 {
    queue["in_progress"][0]["since"].as_i64().unwrap_or(-1)
}

/// The queue without the files' `since` times.
fn without_since(queue: &serde_json::Value) -> serde_json::Value {
    let mut queue = queue.clone();
    if let Some(files) = queue["in_progress"].as_array_mut() {
        for file in files {
            if let Some(fields) = file.as_object_mut() {
                fields.remove("since");
            }
        }
    }
    queue
}

#[test]
fn status_of_a_postgres_library_prints_its_queue_over_one_connection() {
    let url = crane_library();
    queue_three_files(&url);
    // A role that may hold one connection at a time: status needs no second one.
    let server = shared_server().expect("server");
    let database = url.rsplit('/').next().expect("a database name").to_string();
    let role = format!("{database}_one");
    server
        .psql(
            &database,
            &format!(
                "CREATE ROLE {role} LOGIN CONNECTION LIMIT 1;
                 GRANT pg_read_all_data, pg_write_all_data TO {role};
                 GRANT CREATE ON SCHEMA public TO {role};"
            ),
        )
        .expect("make the role");
    let one = format!("postgres://{role}@127.0.0.1:{}/{database}", server.port());
    let output = rushes(&["status", "--index", &one]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("assets: 1"), "{text}");
    assert!(
        text.contains("queue: 1 queued, 0 done, 1 failed; in progress: studio-a:812 (1)"),
        "{text}"
    );
    let status = json(&["status", "--index", &one, "--json"]);
    assert_eq!(status["assets"], 1, "{status}");
    assert_eq!(status["queue"]["waiting"], 1, "{status}");
    assert_eq!(status["queue"]["failed"], 1, "{status}");
    assert_eq!(
        status["queue"]["in_progress"][0]["worker"], "studio-a:812",
        "{status}"
    );
}

#[test]
fn reindex_makes_the_stale_text_of_a_postgres_library_searchable_again() {
    let url = crane_library();
    let waves = |url: &str| hits_of(&json(&["search", "waves", "--index", url, "--json"])).len();
    assert_eq!(waves(&url), 1);
    let mut client = rushes_postgres::connect(&url).expect("connect");
    client
        .execute("UPDATE moment_texts SET transcript = '', ocr = ''", &[])
        .expect("empty the documents");
    assert_eq!(waves(&url), 0, "the documents are stale");

    let summary = json(&["reindex", "--index", &url, "--json"]);
    assert_eq!(summary["assets"], 1, "{summary}");
    assert_eq!(summary["moments"], 2, "{summary}");
    assert_eq!(summary["dropped_pending"], 0, "{summary}");
    assert!(
        summary["index"]
            .as_str()
            .is_some_and(|index| index.starts_with("postgres://")),
        "{summary}"
    );
    assert_eq!(waves(&url), 1, "found again");
    let slate = hits_of(&json(&["search", "take2", "--index", &url, "--json"]));
    assert_eq!(slate.len(), 1, "the on-screen text too");

    let output = rushes(&["reindex", "--index", &url]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("reindexed 1 assets, 2 moments"), "{text}");
}
