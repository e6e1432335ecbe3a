//! `GET /api/events`: indexing progress as server-sent events. For a local index, polls
//! `<index>/progress.json` (a [`RunProgress`] the indexer writes atomically) about once a
//! second and sends a `progress` event whenever it changes. A library with no folder (a
//! database indexed by workers) has its whole queue read as often ([`Library::queue`]) and
//! sent as a `queue` event ([`QueueSummary`]) whenever it changes. Owns nothing else.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use rushes_core::{PROGRESS_FILE, RunProgress};
use rushes_store::{Library, QueueSummary};
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;

use crate::state::AppState;

pub async fn get_events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (sender, receiver) = mpsc::channel(4);
    let library = state.library();
    if library.dir().is_some() {
        let path = state.index_dir().join(PROGRESS_FILE);
        tokio::spawn(watch_progress(path, state.progress_poll_interval(), sender));
    } else {
        tokio::spawn(watch_queue(library, state.progress_poll_interval(), sender));
    }
    Sse::new(ReceiverStream::new(receiver)).keep_alive(KeepAlive::default())
}

/// Reads the progress file now, `None` when there is none or it does not parse.
pub async fn read_progress(path: &std::path::Path) -> Option<RunProgress> {
    let bytes = tokio::fs::read(path).await.ok()?;
    parse_progress(&bytes)
}

fn parse_progress(bytes: &[u8]) -> Option<RunProgress> {
    match serde_json::from_slice(bytes) {
        Ok(progress) => Some(progress),
        Err(error) => {
            tracing::debug!("ignoring unreadable progress file: {error}");
            None
        }
    }
}

/// Sends the progress whenever the file changes, until the client goes away.
async fn watch_progress(
    path: PathBuf,
    every: Duration,
    sender: mpsc::Sender<Result<Event, Infallible>>,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sent: Option<Vec<u8>> = None;
    loop {
        tokio::select! {
            _ = sender.closed() => break,
            _ = ticker.tick() => {}
        }
        let Ok(bytes) = tokio::fs::read(&path).await else {
            continue;
        };
        if last_sent.as_deref() == Some(bytes.as_slice()) {
            continue;
        }
        let Some(progress) = parse_progress(&bytes) else {
            continue;
        };
        let event = match Event::default().event("progress").json_data(&progress) {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!("cannot encode progress: {error}");
                continue;
            }
        };
        if sender.send(Ok(event)).await.is_err() {
            break;
        }
        last_sent = Some(bytes);
    }
}

/// Reads the library's queue now: `None` when it has none or it cannot be read (logged).
pub async fn read_queue(library: Arc<dyn Library>) -> Option<QueueSummary> {
    match tokio::task::spawn_blocking(move || library.queue()).await {
        Ok(Ok(queue)) => queue,
        Ok(Err(error)) => {
            tracing::warn!("cannot read the indexing queue: {error}");
            None
        }
        Err(error) => {
            tracing::warn!("queue reading task: {error}");
            None
        }
    }
}

/// Sends the library's queue whenever it changes, until the client goes away.
async fn watch_queue(
    library: Arc<dyn Library>,
    every: Duration,
    sender: mpsc::Sender<Result<Event, Infallible>>,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sent: Option<QueueSummary> = None;
    loop {
        tokio::select! {
            _ = sender.closed() => break,
            _ = ticker.tick() => {}
        }
        let Some(queue) = read_queue(library.clone()).await else {
            continue;
        };
        if last_sent.as_ref() == Some(&queue) {
            continue;
        }
        let event = match Event::default().event("queue").json_data(&queue) {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!("cannot encode the queue: {error}");
                continue;
            }
        };
        if sender.send(Ok(event)).await.is_err() {
            break;
        }
        last_sent = Some(queue);
    }
}
