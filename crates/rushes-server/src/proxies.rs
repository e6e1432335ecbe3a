//! Browser-playable files made from a source on demand under `<index>/proxies/`: an
//! H.264/AAC transcode of a file browsers cannot play, or a copy remuxed to start at 0 of a
//! file whose timeline starts late ([`ProxyRecipe`]), each made once ([`ProxyCache`]).
//! Serving them is `media`'s.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

use rushes_core::Asset;

use crate::error::ApiError;

/// Container start times above this many seconds are rebased for the browser: Chromium
/// shows such an MP4 on its raw timeline (a seek to a moment's start lands before the
/// first frame). The B-frame delay and audio priming of ordinary camera and phone files
/// (two or three frames, under 0.15 s) stay below it: a copy of a multi-GB file is not worth
/// a seek a few frames early.
const LATE_START_SECONDS: f64 = 0.25;

/// The two kinds of file made from a source for the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyRecipe {
    /// H.264/AAC transcode of a file browsers cannot play.
    Transcode,
    /// The same streams remuxed (`-c copy`) so the timeline starts at 0.
    RebasedCopy,
}

impl ProxyRecipe {
    fn file_suffix(self) -> &'static str {
        match self {
            ProxyRecipe::Transcode => "",
            ProxyRecipe::RebasedCopy => "-rebased",
        }
    }

    fn codec_args(self) -> &'static [&'static str] {
        match self {
            ProxyRecipe::Transcode => &[
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-pix_fmt",
                "yuv420p",
                "-vf",
                "scale='trunc(min(1920,iw)/2)*2':-2",
                "-c:a",
                "aac",
                "-b:a",
                "160k",
                "-ac",
                "2",
            ],
            ProxyRecipe::RebasedCopy => &["-c", "copy"],
        }
    }
}

/// Browser-playable proxies made on demand under `<index>/proxies/`, each made once even
/// when requested concurrently (one lock per proxy file), written to `.part` then renamed.
/// Also remembers which sources start late (one ffprobe per source and server run).
#[derive(Debug)]
pub struct ProxyCache {
    dir: PathBuf,
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    late_starts: Mutex<HashMap<PathBuf, bool>>,
}

impl ProxyCache {
    /// ffmpeg and ffprobe run through `rushes-media` (`RUSHES_FFMPEG`, `RUSHES_FFPROBE`,
    /// timeouts, a missing tool named as such).
    pub fn new(dir: PathBuf) -> ProxyCache {
        ProxyCache {
            dir,
            in_flight: Mutex::new(HashMap::new()),
            late_starts: Mutex::new(HashMap::new()),
        }
    }

    /// A made file's name changes with the source's content, so a re-shot file under the
    /// same name never gets a stale proxy.
    fn made_path(&self, asset: &Asset, recipe: ProxyRecipe) -> PathBuf {
        let hash: String = asset
            .content_hash
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect();
        self.dir
            .join(format!("{}-{hash}{}.mp4", asset.id, recipe.file_suffix()))
    }

    /// True when the container's timeline starts more than [`LATE_START_SECONDS`] after 0.
    /// A source ffprobe cannot read counts as starting at 0 (it is served as it is, and the
    /// failure is logged), and is asked again next time.
    pub async fn starts_late(&self, asset: &Asset) -> bool {
        let key = self.made_path(asset, ProxyRecipe::RebasedCopy);
        if let Ok(known) = self.late_starts.lock()
            && let Some(late) = known.get(&key)
        {
            return *late;
        }
        let late = match self.container_start_seconds(&asset.path).await {
            Ok(start) => start > LATE_START_SECONDS,
            Err(error) => {
                tracing::warn!(path = %asset.path.display(), %error, "could not read the start time; serving the file as it is");
                return false;
            }
        };
        if let Ok(mut known) = self.late_starts.lock() {
            known.insert(key, late);
        }
        late
    }

    async fn container_start_seconds(&self, source: &FsPath) -> Result<f64, ProxyError> {
        let source = source.to_path_buf();
        let start =
            tokio::task::spawn_blocking(move || rushes_media::container_start_seconds(&source))
                .await??;
        Ok(start)
    }

    /// Returns the file `recipe` makes from `asset`, making it first when it does not exist
    /// yet.
    pub async fn ensure_made(
        &self,
        asset: &Asset,
        recipe: ProxyRecipe,
    ) -> Result<PathBuf, ApiError> {
        let target = self.made_path(asset, recipe);
        if target.is_file() {
            return Ok(target);
        }
        let lock = {
            let mut in_flight = self
                .in_flight
                .lock()
                .map_err(|_| ApiError::internal("proxy cache", "lock poisoned"))?;
            in_flight
                .entry(target.to_string_lossy().into_owned())
                .or_default()
                .clone()
        };
        let guard = lock.lock_owned().await;
        if target.is_file() {
            return Ok(target);
        }
        // The ffmpeg runs in its own task holding the lock, so a client that goes away
        // neither kills it half-way nor lets a second ffmpeg start on the same file.
        let job = tokio::spawn(make_proxy(
            asset.path.clone(),
            asset.media.duration,
            target.clone(),
            recipe,
            guard,
        ));
        match job.await {
            Ok(Ok(())) => Ok(target),
            Ok(Err(error)) => Err(ApiError::internal(
                &format!("making proxy of {}", asset.path.display()),
                error,
            )),
            Err(error) => Err(ApiError::internal("proxy task", error)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum ProxyError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Media(#[from] rushes_media::MediaError),
    #[error("the ffmpeg task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

async fn make_proxy(
    source: PathBuf,
    duration: Option<f64>,
    target: PathBuf,
    recipe: ProxyRecipe,
    _guard: tokio::sync::OwnedMutexGuard<()>,
) -> Result<(), ProxyError> {
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let part = target.with_extension("mp4.part");
    tracing::info!(source = %source.display(), ?recipe, "making a browser-playable proxy");
    let written = {
        let part = part.clone();
        tokio::task::spawn_blocking(move || {
            rushes_media::write_playable_mp4(&source, &part, recipe.codec_args(), duration)
        })
        .await?
    };
    if let Err(error) = written {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(error.into());
    }
    tokio::fs::rename(&part, &target).await?;
    Ok(())
}
