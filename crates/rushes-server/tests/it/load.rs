//! The server under load on a real socket: concurrent clients mixing searches, thumbnails
//! and Range requests while an index writer commits new assets. Zero errors allowed;
//! throughput and p95 latency are printed. `make test` runs 10 clients × 3 s; `make stress`
//! sets RUSHES_LOAD_CLIENTS=50 and RUSHES_LOAD_SECONDS=30.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rushes_core::{AssetId, AssetRecord};
use rushes_store::{Index, OpenMode};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::support::{Library, TestResult, library, state};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// One keep-alive HTTP/1.1 connection; reads bodies by Content-Length.
struct Connection {
    stream: BufReader<TcpStream>,
}

struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Result<Connection, BoxError> {
        Ok(Connection {
            stream: BufReader::new(TcpStream::connect(addr).await?),
        })
    }

    async fn get(&mut self, path: &str, extra_header: &str) -> Result<Answer, BoxError> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra_header}\r\n");
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let mut length = None;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err("connection closed in the headers".into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = Some(value.trim().parse::<usize>()?);
            }
        }
        let length = length.ok_or_else(|| format!("no Content-Length for {path}"))?;
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(Answer { status, body })
    }
}

/// One request of the mix, checked as a user would notice it.
async fn one_request(
    connection: &mut Connection,
    turn: usize,
    library: &Library,
) -> Result<(), BoxError> {
    let id = &library.slate.id;
    match turn % 3 {
        0 => {
            let answer = connection.get("/api/search?q=scene%2042", "").await?;
            let value: serde_json::Value = serde_json::from_slice(&answer.body)?;
            let found = value["hits"]
                .as_array()
                .is_some_and(|hits| hits.iter().any(|hit| hit["asset"]["id"] == id.as_str()));
            if answer.status != 200 || !found {
                return Err(format!("search: {} {value}", answer.status).into());
            }
        }
        1 => {
            let answer = connection
                .get(&format!("/thumbs/{id}/1000.jpg"), "")
                .await?;
            if answer.status != 200 || !answer.body.starts_with(&[0xff, 0xd8]) {
                return Err(format!("thumbnail: {}", answer.status).into());
            }
        }
        _ => {
            let answer = connection
                .get(&format!("/media/{id}"), "Range: bytes=100-2099\r\n")
                .await?;
            if answer.status != 206 || answer.body.len() != 2000 {
                return Err(format!("range: {} {} bytes", answer.status, answer.body.len()).into());
            }
        }
    }
    Ok(())
}

/// Commits copies of the slate asset under new paths until told to stop.
fn keep_committing(library: &Library, stop: &AtomicBool) -> Result<usize, BoxError> {
    let store = Index::open(&library.index, OpenMode::ReadWrite)?;
    let mut commits = 0;
    while !stop.load(Ordering::Relaxed) {
        let mut asset = library.slate.clone();
        asset.path = library.footage.join(format!("copy_{commits}.mp4"));
        asset.id = AssetId::from_path(&asset.path);
        store.put_asset(&AssetRecord::with_moments(asset, Vec::new()))?;
        store.commit()?;
        commits += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(commits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_mixed_requests_while_the_index_commits_without_a_single_error() -> TestResult {
    let clients = setting("RUSHES_LOAD_CLIENTS", 10) as usize;
    let duration = Duration::from_secs(setting("RUSHES_LOAD_SECONDS", 3));
    let library = Arc::new(library()?);
    let state = state(&library)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server =
        tokio::spawn(async move { axum::serve(listener, rushes_server::router(state)).await });

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (library, stop) = (library.clone(), stop.clone());
        std::thread::spawn(move || keep_committing(&library, &stop).map_err(|e| e.to_string()))
    };

    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (library, errors) = (library.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut connection = match Connection::open(addr).await {
                Ok(connection) => connection,
                Err(error) => {
                    eprintln!("client {client}: cannot connect: {error}");
                    errors.fetch_add(1, Ordering::Relaxed);
                    return latencies;
                }
            };
            let mut turn = client;
            while started.elapsed() < duration {
                let sent = Instant::now();
                if let Err(error) = one_request(&mut connection, turn, &library).await {
                    eprintln!("client {client}: {error}");
                    errors.fetch_add(1, Ordering::Relaxed);
                    match Connection::open(addr).await {
                        Ok(fresh) => connection = fresh,
                        Err(_) => return latencies,
                    }
                }
                latencies.push(sent.elapsed());
                turn += 1;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await?);
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let commits = writer.join().map_err(|_| "the writer thread panicked")??;
    server.abort();

    latencies.sort();
    let p95 = latencies
        .get(latencies.len() * 95 / 100)
        .copied()
        .unwrap_or_default();
    eprintln!(
        "load: {clients} clients × {:.0} s: {} requests, {:.0} req/s, p95 {:.1} ms, {commits} commits meanwhile, {} errors",
        elapsed.as_secs_f64(),
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        p95.as_secs_f64() * 1000.0,
        errors.load(Ordering::Relaxed)
    );
    assert_eq!(
        errors.load(Ordering::Relaxed),
        0,
        "requests failed under load"
    );
    assert!(
        latencies.len() >= clients * 3,
        "only {} requests",
        latencies.len()
    );
    assert!(commits >= 1, "the index writer never committed");
    Ok(())
}
