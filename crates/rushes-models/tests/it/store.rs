//! The model store against a real HTTP server on 127.0.0.1 started by each test: good,
//! truncated and wrong-hash downloads, resume after a partial file, offline, list states.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rushes_models::{ModelError, ModelState, ModelStore};
use sha2::{Digest, Sha256};

/// How the test server answers.
#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    /// The whole file, honouring `Range: bytes=N-` with 206.
    Good,
    /// Announces the full length but closes after half the bytes.
    DropHalfway,
    /// Ignores Range, always 200 with the whole file.
    NoRanges,
}

struct Server {
    url: String,
    /// The Range header of every request, "" when absent.
    ranges: Arc<Mutex<Vec<String>>>,
}

fn serve(body: Vec<u8>, behaviour: Behaviour) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/model.bin", listener.local_addr().expect("addr"));
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ranges);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            answer(stream, &body, behaviour, &seen);
        }
    });
    Server { url, ranges }
}

fn answer(mut stream: TcpStream, body: &[u8], behaviour: Behaviour, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut range_start = None;
    let mut range_header = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("range: bytes=") {
            range_header = lower.trim().to_string();
            range_start = value.trim().trim_end_matches('-').parse::<usize>().ok();
        }
    }
    seen.lock().expect("lock").push(range_header);
    let (status, start) = match (behaviour, range_start) {
        (Behaviour::NoRanges, _) | (_, None) => ("200 OK", 0),
        (_, Some(start)) if start >= body.len() => {
            let _ = write!(
                stream,
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            return;
        }
        (_, Some(start)) => ("206 Partial Content", start),
    };
    let rest = &body[start..];
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        rest.len()
    );
    let sent = if behaviour == Behaviour::DropHalfway {
        &rest[..rest.len() / 2]
    } else {
        rest
    };
    let _ = stream.write_all(sent);
    let _ = stream.flush();
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn write_manifest(dir: &Path, url: &str, sha: &str, size: usize) -> ModelStore {
    let manifest = format!(
        r#"name = "tiny"
task = "ocr"
[[files]]
name = "model.bin"
url = "{url}"
sha256 = "{sha}"
size = {size}
[ocr]
det = {{ file = "model.bin", input = "x", output = "y" }}
rec = {{ file = "model.bin", input = "x", output = "y" }}
"#
    );
    std::fs::write(dir.join("tiny.toml"), manifest).expect("manifest");
    ModelStore::new(dir)
}

fn state(store: &ModelStore) -> ModelState {
    store
        .list()
        .expect("list")
        .into_iter()
        .find(|s| s.name == "tiny")
        .expect("tiny listed")
        .state
}

#[test]
fn a_good_download_lands_atomically_and_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body = payload(300_000);
    let server = serve(body.clone(), Behaviour::Good);
    let store = write_manifest(dir.path(), &server.url, &sha256(&body), body.len());
    assert_eq!(state(&store), ModelState::Missing);
    let mut last = (0, 0);
    store
        .fetch("tiny", &mut |done, total| last = (done, total))
        .expect("fetch");
    assert_eq!(last, (300_000, 300_000));
    assert_eq!(
        std::fs::read(dir.path().join("tiny/model.bin")).expect("file"),
        body
    );
    assert!(!dir.path().join("tiny/model.bin.part").exists());
    assert_eq!(state(&store), ModelState::Installed);
    store.verify("tiny").expect("verify");
    // A second fetch downloads nothing.
    store.fetch("tiny", &mut |_, _| {}).expect("fetch again");
    assert_eq!(server.ranges.lock().expect("lock").len(), 1);
}

#[test]
fn a_wrong_hash_is_refused_and_nothing_is_installed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body = payload(50_000);
    let server = serve(body.clone(), Behaviour::Good);
    let store = write_manifest(
        dir.path(),
        &server.url,
        &sha256(b"something else"),
        body.len(),
    );
    let err = store
        .fetch("tiny", &mut |_, _| {})
        .expect_err("hash mismatch");
    assert!(err.to_string().contains("sha256"), "{err}");
    assert!(err.is_user_error());
    assert!(!dir.path().join("tiny/model.bin").exists());
    assert_eq!(state(&store), ModelState::Missing);
}

#[test]
fn a_truncated_download_fails_then_resumes_with_a_range_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body = payload(200_000);
    let broken = serve(body.clone(), Behaviour::DropHalfway);
    let store = write_manifest(dir.path(), &broken.url, &sha256(&body), body.len());
    let err = store.fetch("tiny", &mut |_, _| {}).expect_err("truncated");
    assert!(matches!(err, ModelError::Download { .. }), "{err}");
    let partial = std::fs::metadata(dir.path().join("tiny/model.bin.part"))
        .expect("partial kept")
        .len();
    assert!(partial > 0 && partial < 200_000, "{partial}");
    assert!(!dir.path().join("tiny/model.bin").exists());

    let good = serve(body.clone(), Behaviour::Good);
    let store = write_manifest(dir.path(), &good.url, &sha256(&body), body.len());
    store.fetch("tiny", &mut |_, _| {}).expect("resume");
    assert_eq!(
        good.ranges.lock().expect("lock").as_slice(),
        [format!("range: bytes={partial}-")]
    );
    assert_eq!(
        std::fs::read(dir.path().join("tiny/model.bin")).expect("file"),
        body
    );
}

#[test]
fn a_server_without_ranges_restarts_the_file_from_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body = payload(80_000);
    std::fs::create_dir(dir.path().join("tiny")).expect("folder");
    std::fs::write(dir.path().join("tiny/model.bin.part"), &body[..1000]).expect("partial");
    let server = serve(body.clone(), Behaviour::NoRanges);
    let store = write_manifest(dir.path(), &server.url, &sha256(&body), body.len());
    store.fetch("tiny", &mut |_, _| {}).expect("fetch");
    assert_eq!(
        std::fs::read(dir.path().join("tiny/model.bin")).expect("file"),
        body
    );
}

#[test]
fn an_unknown_hash_is_recorded_on_first_download_and_verified_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body = payload(10_000);
    let server = serve(body.clone(), Behaviour::Good);
    let store = write_manifest(dir.path(), &server.url, "", 0);
    store.fetch("tiny", &mut |_, _| {}).expect("fetch");
    let recorded = std::fs::read_to_string(dir.path().join("tiny/SHA256SUMS")).expect("recorded");
    assert!(recorded.contains(&sha256(&body)), "{recorded}");
    store.verify("tiny").expect("verify");
    // Damage the file: size is unknown so list() cannot tell, verify() must.
    let mut damaged = body.clone();
    damaged[5] ^= 0xff;
    std::fs::write(dir.path().join("tiny/model.bin"), damaged).expect("damage");
    let err = store.verify("tiny").expect_err("damaged");
    assert!(matches!(err, ModelError::CorruptFile { .. }), "{err}");
    assert!(err.to_string().contains("model.bin"), "{err}");
}

#[test]
fn a_wrong_size_file_is_listed_as_corrupt() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = write_manifest(dir.path(), "http://127.0.0.1:9/none", "", 100);
    std::fs::create_dir(dir.path().join("tiny")).expect("folder");
    std::fs::write(dir.path().join("tiny/model.bin"), b"short").expect("file");
    assert!(matches!(state(&store), ModelState::Corrupt(reason) if reason.contains("model.bin")));
}

#[test]
fn offline_fails_at_once_saying_what_to_fetch_and_from_where() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Bind then drop a listener: nothing listens on that port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("http://127.0.0.1:{port}/model.bin");
    let store = write_manifest(dir.path(), &url, "", 0);
    let err = store.fetch("tiny", &mut |_, _| {}).expect_err("offline");
    assert!(matches!(err, ModelError::Offline { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&url) && message.contains("tiny/model.bin"),
        "{message}"
    );
    assert!(err.is_user_error());
}

#[test]
fn unknown_models_name_the_known_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = write_manifest(dir.path(), "http://127.0.0.1:9/x", "", 0);
    let err = store.fetch("nope", &mut |_, _| {}).expect_err("unknown");
    assert!(err.to_string().contains("tiny"), "{err}");
}

#[test]
fn the_repos_manifests_parse_and_ppocr_is_installed() {
    let store = ModelStore::new(&crate::common::repo_root().join("models"));
    let statuses = store.list().expect("repo manifests parse");
    let ppocr = statuses
        .iter()
        .find(|s| s.name == "ppocr")
        .expect("ppocr manifest");
    assert_eq!(
        ppocr.state,
        ModelState::Installed,
        "run scripts/setup.sh: {ppocr:?}"
    );
    assert_eq!(ppocr.task, "ocr");
    store
        .verify("ppocr")
        .expect("PP-OCR sha256 match the manifest");
    let clip = statuses
        .iter()
        .find(|s| s.name == "clip-vit-b32")
        .expect("clip manifest");
    assert_eq!(clip.task, "image-text-embedding");
    assert!(clip.files.iter().all(|f| {
        f.url
            .starts_with("https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/main/")
    }));
}
