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
use serde::Serialize;
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
    let read = move || {
        let path = path.clone();
        async move { read_progress(&path).await }
    };
    send_changes("progress", every, sender, read).await;
}

/// Every `every`, reads a value with `read` and sends it as an `event` when it differs from
/// the last one sent, until the client goes away. Nothing read (`None`) sends nothing.
async fn send_changes<T, Read, Reading>(
    event: &'static str,
    every: Duration,
    sender: mpsc::Sender<Result<Event, Infallible>>,
    mut read: Read,
) where
    T: Serialize + PartialEq,
    Read: FnMut() -> Reading,
    Reading: Future<Output = Option<T>>,
{
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sent: Option<T> = None;
    loop {
        tokio::select! {
            _ = sender.closed() => break,
            _ = ticker.tick() => {}
        }
        let Some(value) = read().await else {
            continue;
        };
        if last_sent.as_ref() == Some(&value) {
            continue;
        }
        let encoded = match Event::default().event(event).json_data(&value) {
            Ok(encoded) => encoded,
            Err(error) => {
                tracing::warn!("cannot encode {event}: {error}");
                continue;
            }
        };
        if sender.send(Ok(encoded)).await.is_err() {
            break;
        }
        last_sent = Some(value);
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
    let read = move || read_queue(library.clone());
    send_changes("queue", every, sender, read).await;
}
