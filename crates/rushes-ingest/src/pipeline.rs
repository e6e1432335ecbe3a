//! One index run: walk -> skip unchanged -> probe -> sample and cut -> models -> moments ->
//! store, committing every few files so an interrupted run loses at most the files since the
//! last commit, and reporting every per-file problem as an event instead of stopping.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use image::RgbImage;
use rushes_core::{
    Asset, AssetId, AssetKind, AssetRecord, MediaInfo, RunState, TranscriptLine, content_hash,
};
use rushes_media::{FrameUse, SampledFrame, SamplingConfig};
use rushes_store::Index;
use tracing::{debug, info, warn};

use crate::IngestError;
use crate::captions::{CaptionConfig, KeyframeCaptions};
use crate::faces::FaceCollector;
use crate::models::{ModelSet, ModelSetConfig};
use crate::moments::{FrameFacts, build_moments};
use crate::progress::ProgressFile;
use crate::screen_text::ScreenTextRuns;
use crate::speech::{SpeechConfig, SpeechTranscriber, add_speech};
use crate::stage_times::{Stage, StageTimes};
use crate::walk::{Candidate, walk_roots};

/// OCR lines the recogniser is less sure of than this are noise (texture read as glyphs).
const MIN_OCR_SCORE: f32 = 0.6;
/// Seconds between the frames OCR's text gate sees at least (`SamplingConfig::text_interval`):
/// text on screen for this long is seen once or more, and its hit starts at most this late
/// (crates/rushes-ingest/README.md has the measurements behind the choice).
pub const TEXT_GATE_INTERVAL: f64 = 1.0;

/// Settings of an index run.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub roots: Vec<PathBuf>,
    pub sampling: SamplingConfig,
    pub models: ModelSetConfig,
    /// Longest moment in seconds; longer shots are split.
    pub moment_max_len: f64,
    /// Audio files without shots are cut into moments this long.
    pub audio_moment_len: f64,
    pub thumb_width: u32,
    pub thumb_max_bytes: usize,
    /// Commit after this many changed files (and at least every `commit_interval`).
    pub commit_every: usize,
    pub commit_interval: Duration,
    /// Remove assets below the roots whose files are gone.
    pub prune: bool,
    /// Transcribe speech in files without a sidecar transcript.
    pub speech: SpeechConfig,
    /// Caption moment keyframes when a caption model is installed.
    pub captions: CaptionConfig,
    /// Look for faces (when the dlib models are installed) on the first frame of every shot
    /// and on every `face_every`th sampled frame inside it.
    pub faces: bool,
    pub face_every: usize,
}

impl IngestConfig {
    pub fn new(roots: Vec<PathBuf>) -> IngestConfig {
        IngestConfig {
            roots,
            sampling: SamplingConfig {
                text_interval: TEXT_GATE_INTERVAL,
                ..SamplingConfig::default()
            },
            models: ModelSetConfig::default(),
            moment_max_len: 10.0,
            audio_moment_len: 30.0,
            thumb_width: 320,
            thumb_max_bytes: 20_000,
            commit_every: 16,
            commit_interval: Duration::from_secs(10),
            prune: true,
            speech: SpeechConfig::default(),
            captions: CaptionConfig::default(),
            faces: true,
            face_every: 4,
        }
    }
}

/// What happened during a run, as it happens.
#[derive(Debug, Clone)]
pub enum Event {
    /// The walk is over: this many media files will be looked at.
    Walked {
        total: usize,
    },
    /// A model or feature is off, or another run-wide remark.
    Notice(String),
    FileStarted {
        position: usize,
        path: PathBuf,
    },
    FileIndexed {
        path: PathBuf,
        moments: usize,
        warnings: Vec<String>,
    },
    FileSkipped {
        path: PathBuf,
    },
    FileMoved {
        from: PathBuf,
        to: PathBuf,
    },
    FileFailed {
        path: PathBuf,
        reason: String,
    },
    Removed {
        path: PathBuf,
    },
    Finished(Summary),
}

/// Totals of a finished run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub indexed: usize,
    pub skipped: usize,
    pub moved: usize,
    pub failed: usize,
    pub removed: usize,
    pub moments: usize,
    /// Faces found in the files indexed by this run.
    pub faces: usize,
    /// Moments the caption model described in this run.
    pub captions: usize,
    /// Transcript lines recognised in speech (sidecar subtitles not counted) in this run.
    pub speech_lines: usize,
    pub seconds: f64,
    pub notices: Vec<String>,
}

/// A file-level outcome that is not a success.
enum FileError {
    /// This file could not be indexed; the run goes on.
    Failed(String),
    /// Something that will fail for every file (the store broke): stop the run.
    Fatal(IngestError),
    /// The file's size, modification time or inode moved while it was read: what was built
    /// may mix two versions of it, so it is not stored (the run tries it once more).
    Changed,
}

impl FileError {
    /// Why the file is not indexed, or the error that stops the run.
    fn into_reason(self) -> Result<String, IngestError> {
        match self {
            FileError::Failed(reason) => Ok(reason),
            FileError::Changed => Ok(CHANGED_WHILE_INDEXING.to_string()),
            FileError::Fatal(error) => Err(error),
        }
    }
}

/// Why a file that kept changing while it was read was not indexed.
const CHANGED_WHILE_INDEXING: &str = "changed while it was being indexed (twice); run `rushes index` again once it is finished (still being copied or recorded?)";

impl From<rushes_store::StoreError> for FileError {
    fn from(error: rushes_store::StoreError) -> FileError {
        FileError::Fatal(error.into())
    }
}

impl From<rushes_media::MediaError> for FileError {
    /// Only a missing ffmpeg stops the run: it would fail every file the same way. Anything
    /// else ffmpeg says about one file is that file's problem.
    fn from(error: rushes_media::MediaError) -> FileError {
        match error {
            rushes_media::MediaError::ToolMissing { .. } => FileError::Fatal(error.into()),
            other => FileError::Failed(other.to_string()),
        }
    }
}

enum FileOutcome {
    Indexed {
        moments: usize,
        faces: usize,
        /// Moments given a caption, and transcript lines recognised in speech.
        captions: usize,
        speech_lines: usize,
        warnings: Vec<String>,
        /// Problems with sidecar transcripts, by sidecar: one sidecar may serve several
        /// media files (`clip.mov` and `clip.wav`), and the run says so once.
        sidecar_warnings: Vec<(PathBuf, String)>,
    },
    Unchanged,
    Moved {
        from: PathBuf,
    },
}

/// Indexes the roots into `index`. Returns the totals; per-file problems are in them and in
/// the events, and only a broken index or environment is an `Err`.
pub fn run(
    index: &Index,
    config: &IngestConfig,
    on_event: &mut dyn FnMut(&Event),
) -> Result<Summary, IngestError> {
    let started = Instant::now();
    for root in &config.roots {
        if std::fs::symlink_metadata(root).is_err() {
            return Err(IngestError::MissingRoot(root.clone()));
        }
    }
    let mut progress = ProgressFile::new(index.dir());
    progress.publish(true);
    let mut summary = Summary::default();

    let walked = walk_roots(&config.roots);
    let total = walked.candidates.len();
    progress.snapshot_mut().files_total = (total + walked.problems.len()) as u64;
    on_event(&Event::Walked { total });
    for (path, reason) in &walked.problems {
        index.record_failure(path, reason)?;
        progress.push_failure(path, reason);
        summary.failed += 1;
        on_event(&Event::FileFailed {
            path: path.clone(),
            reason: reason.clone(),
        });
    }
    for folder in &walked.index_folders {
        let notice = format!(
            "skipped {}: it is a rushes index (its thumbnails are not footage)",
            folder.display()
        );
        on_event(&Event::Notice(notice.clone()));
        summary.notices.push(notice);
    }
    let mut earlier_failures = clear_failures_of_vanished_files(index, &config.roots, &walked)?;

    let mut models = ModelSet::load(&config.models)?;
    for notice in &models.notices {
        on_event(&Event::Notice(notice.clone()));
    }
    summary.notices.extend(models.notices.iter().cloned());
    let (mut speech, speech_notices) = SpeechTranscriber::load(&config.speech, &config.models)?;
    for notice in speech_notices {
        on_event(&Event::Notice(notice.clone()));
        summary.notices.push(notice);
    }
    let (mut captioner, caption_notices) =
        crate::captions::load_captioner(&config.captions, &config.models)?;
    for notice in caption_notices {
        on_event(&Event::Notice(notice.clone()));
        summary.notices.push(notice);
    }
    let (mut face_engine, face_notice) =
        crate::faces::load_face_engine(&config.models.models_dir, config.faces);
    if let Some(notice) = face_notice {
        on_event(&Event::Notice(notice.clone()));
        summary.notices.push(notice);
    }

    let mut pending = 0usize;
    let mut last_commit = Instant::now();
    let mut warned_sidecars: HashSet<PathBuf> = HashSet::new();
    for (position, candidate) in walked.candidates.iter().enumerate() {
        progress.snapshot_mut().current = Some(candidate.path.display().to_string());
        progress.publish(false);
        on_event(&Event::FileStarted {
            position,
            path: candidate.path.clone(),
        });
        // A file that changes while it is read is read once more, then failed.
        let mut outcome = Err(FileError::Changed);
        for _attempt in 0..2 {
            let faces = face_engine.as_mut();
            let captions = KeyframeCaptions::new(captioner.as_mut(), config.moment_max_len);
            outcome = index_file(
                index,
                &mut models,
                speech.as_mut(),
                faces,
                captions,
                config,
                candidate,
            );
            if !matches!(outcome, Err(FileError::Changed)) {
                break;
            }
            debug!(path = %candidate.path.display(), "changed while it was being indexed");
        }
        // Indexed, unchanged or moved: a failure recorded for it earlier is over.
        if outcome.is_ok() && earlier_failures.remove(&candidate.path) {
            index.clear_failure(&candidate.path)?;
        }
        match outcome {
            Ok(FileOutcome::Indexed {
                moments,
                faces,
                captions,
                speech_lines,
                mut warnings,
                sidecar_warnings,
            }) => {
                for (sidecar, warning) in sidecar_warnings {
                    if warned_sidecars.insert(sidecar) {
                        warnings.push(warning);
                    }
                }
                summary.indexed += 1;
                summary.moments += moments;
                summary.faces += faces;
                summary.captions += captions;
                summary.speech_lines += speech_lines;
                pending += 1;
                let snapshot = progress.snapshot_mut();
                snapshot.files_done += 1;
                snapshot.captions += captions as u64;
                snapshot.speech_lines += speech_lines as u64;
                on_event(&Event::FileIndexed {
                    path: candidate.path.clone(),
                    moments,
                    warnings,
                });
            }
            Ok(FileOutcome::Unchanged) => {
                summary.skipped += 1;
                progress.snapshot_mut().files_skipped += 1;
                on_event(&Event::FileSkipped {
                    path: candidate.path.clone(),
                });
            }
            Ok(FileOutcome::Moved { from }) => {
                summary.moved += 1;
                pending += 1;
                progress.snapshot_mut().files_done += 1;
                on_event(&Event::FileMoved {
                    from,
                    to: candidate.path.clone(),
                });
            }
            Err(error) => match error.into_reason() {
                Ok(reason) => {
                    warn!(path = %candidate.path.display(), %reason, "not indexed");
                    index.record_failure(&candidate.path, &reason)?;
                    pending += 1;
                    summary.failed += 1;
                    progress.push_failure(&candidate.path, &reason);
                    on_event(&Event::FileFailed {
                        path: candidate.path.clone(),
                        reason,
                    });
                }
                Err(error) => {
                    progress.snapshot_mut().state = RunState::Failed;
                    progress.publish(true);
                    return Err(error);
                }
            },
        }
        if pending >= config.commit_every
            || (pending > 0 && last_commit.elapsed() >= config.commit_interval)
        {
            index.commit()?;
            pending = 0;
            last_commit = Instant::now();
        }
    }

    if config.prune {
        summary.removed = prune_missing(index, &config.roots, on_event)?;
        let inside = remove_assets_inside_indexes(index, &walked.index_folders)?;
        if inside > 0 {
            let notice = format!(
                "removed {inside} assets an earlier run took from inside a rushes index (its own thumbnails)"
            );
            on_event(&Event::Notice(notice.clone()));
            summary.notices.push(notice);
        }
    }
    index.commit()?;
    remove_orphan_thumbnails(index)?;
    summary.seconds = started.elapsed().as_secs_f64();
    let snapshot = progress.snapshot_mut();
    snapshot.state = RunState::Done;
    snapshot.current = None;
    progress.publish(true);
    info!(
        indexed = summary.indexed,
        skipped = summary.skipped,
        failed = summary.failed,
        removed = summary.removed,
        "index run finished"
    );
    on_event(&Event::Finished(summary.clone()));
    Ok(summary)
}

/// Removes assets below the roots whose files no longer exist.
fn prune_missing(
    index: &Index,
    roots: &[PathBuf],
    on_event: &mut dyn FnMut(&Event),
) -> Result<usize, IngestError> {
    let mut removed = 0;
    for asset in index.assets()? {
        let below_a_root = roots.iter().any(|root| asset.path.starts_with(root));
        if below_a_root && std::fs::symlink_metadata(&asset.path).is_err() {
            index.remove_asset(&asset.id)?;
            removed += 1;
            on_event(&Event::Removed {
                path: asset.path.clone(),
            });
        }
    }
    Ok(removed)
}

/// Removes assets that are an index's own thumbnails or proxies: an earlier rushes indexed
/// them when the index was below a root (`rushes index .` with `./index`).
fn remove_assets_inside_indexes(
    index: &Index,
    index_folders: &[PathBuf],
) -> Result<usize, IngestError> {
    let own_folders: Vec<PathBuf> = index_folders
        .iter()
        .flat_map(|folder| {
            rushes_store::MEDIA_LIKE_PARTS
                .iter()
                .map(move |part| folder.join(part))
        })
        .collect();
    if own_folders.is_empty() {
        return Ok(0);
    }
    let mut removed = 0;
    for asset in index.assets()? {
        if own_folders
            .iter()
            .any(|folder| asset.path.starts_with(folder))
        {
            index.remove_asset(&asset.id)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Clears the recorded failures of files below the roots that this walk no longer found
/// (deleted, renamed, no longer media): `rushes status` would list them forever. Returns
/// the failures still recorded below the roots, so that a file that now indexes, or is
/// unchanged or moved, has its failure cleared without a lookup per file.
fn clear_failures_of_vanished_files(
    index: &Index,
    roots: &[PathBuf],
    walked: &crate::walk::WalkOutcome,
) -> Result<HashSet<PathBuf>, IngestError> {
    let found: HashSet<&Path> = walked
        .candidates
        .iter()
        .map(|candidate| candidate.path.as_path())
        .chain(walked.problems.iter().map(|(path, _)| path.as_path()))
        .collect();
    let mut kept = HashSet::new();
    for path in index.failed_paths()? {
        if !roots.iter().any(|root| path.starts_with(root)) {
            continue;
        }
        if found.contains(path.as_path()) {
            kept.insert(path);
        } else {
            index.clear_failure(&path)?;
        }
    }
    Ok(kept)
}

/// Removes thumbnails of assets the catalog does not hold: a run killed while a file's
/// thumbnails were written, before its catalog entry was committed, leaves some behind when
/// that file has changed or gone by the next run. Runs after the final commit, under the
/// index's writer lock; the store's thumbnail store does it.
fn remove_orphan_thumbnails(index: &Index) -> Result<(), IngestError> {
    index.remove_orphan_thumbnails()?;
    Ok(())
}

/// An id for a new asset: from its path, unless another asset already holds that id (a file
/// that used to live at this path and moved away).
fn fresh_asset_id(index: &Index, path: &Path, hash: &str) -> Result<AssetId, FileError> {
    let mut id = AssetId::from_path(path);
    let mut salt = 0u32;
    while index.asset(&id)?.is_some() {
        salt += 1;
        let salted = format!("{}\u{0}{hash}\u{0}{salt}", path.display());
        id = AssetId::from_path(Path::new(&salted));
    }
    Ok(id)
}

fn index_file(
    index: &Index,
    models: &mut ModelSet,
    speech: Option<&mut SpeechTranscriber>,
    face_engine: Option<&mut rushes_faces::FaceEngine>,
    captions: KeyframeCaptions<'_>,
    config: &IngestConfig,
    candidate: &Candidate,
) -> Result<FileOutcome, FileError> {
    let existing = index.asset_by_path(&candidate.path)?;
    if let Some(asset) = &existing
        && asset.size == candidate.size
        && asset.mtime == candidate.mtime
    {
        return Ok(FileOutcome::Unchanged);
    }
    // Compared with the file after the work: a record is never built from two versions.
    let before = FileVersion::of(&candidate.path)?;
    let hash = content_hash(&candidate.path)
        .map_err(|error| FileError::Failed(format!("cannot read: {error}")))?;

    let mut id = existing.as_ref().map(|asset| asset.id.clone());
    if id.is_none() {
        // A file whose content we know under a path that no longer exists was moved here.
        for other in index.assets_by_hash(&hash)? {
            if std::fs::symlink_metadata(&other.path).is_err() {
                index.move_asset(&other.id, &candidate.path)?;
                debug!(from = %other.path.display(), to = %candidate.path.display(), "moved");
                if other.size == candidate.size {
                    return Ok(FileOutcome::Moved { from: other.path });
                }
                id = Some(other.id);
                break;
            }
        }
    }
    let id = match id {
        Some(id) => id,
        None => fresh_asset_id(index, &candidate.path, &hash)?,
    };

    let media = rushes_media::probe(&candidate.path, candidate.kind)?;
    index
        .thumbnails()
        .remove_frames_of(&id)
        .map_err(|error| FileError::Fatal(error.into()))?;
    let thumbs_dir = index.thumbs_dir().join(id.as_str());
    let id_text = id.to_string();
    let looks_for_faces = face_engine.is_some();
    let mut faces = FaceCollector::new(
        face_engine,
        config.face_every,
        &index.thumbs_dir(),
        &id_text,
    );
    let text_step = match candidate.kind {
        AssetKind::Video if config.sampling.text_interval > 0.0 => config.sampling.text_interval,
        AssetKind::Video => config.sampling.interval,
        AssetKind::Image | AssetKind::Audio => 0.0,
    };
    let mut work = FileWork::new(models, config, &thumbs_dir, &id_text, text_step);
    work.captions = captions;

    let (mut transcript, mut warnings, sidecar_warnings) =
        read_transcripts(&candidate.path, &media);
    let speech_lines = add_speech(
        speech,
        &candidate.path,
        candidate.kind,
        &mut transcript,
        &mut warnings,
    );
    let shots: Vec<(f64, f64)> = match candidate.kind {
        AssetKind::Video => {
            let started = Instant::now();
            let shots = analyze_with_models(
                &candidate.path,
                &media,
                &config.sampling,
                &mut work,
                &mut faces,
            )?;
            work.times.log(&candidate.path, started.elapsed());
            shots.iter().map(|shot| (shot.start, shot.end)).collect()
        }
        AssetKind::Image => {
            let image = rushes_media::load_still(&candidate.path, config.sampling.max_side)?;
            let still = SampledFrame {
                time: 0.0,
                shot: 0,
                image,
                used_for: FrameUse::Sample,
            };
            faces.take_frame(still.time, still.shot, &still.image);
            work.take_frames(&[still]);
            vec![(0.0, 0.0)]
        }
        AssetKind::Audio => audio_ranges(media.duration, config.audio_moment_len),
    };
    warnings.append(&mut work.warnings);
    warnings.append(&mut faces.warnings);
    let found_faces = std::mem::take(&mut faces.found);
    let screen_text = std::mem::replace(&mut work.screen_text, ScreenTextRuns::new(0.0)).finish(
        media
            .duration
            .filter(|_| candidate.kind == AssetKind::Video),
    );
    let mut moments = build_moments(
        &shots,
        &work.frames,
        &screen_text,
        &transcript,
        config.moment_max_len,
    );
    let captions = work.captions.caption_moments(&mut moments);
    warnings.append(&mut work.captions.warnings);
    let moment_count = moments.len();
    if FileVersion::of(&candidate.path)? != before {
        return Err(FileError::Changed);
    }
    let asset = Asset {
        id,
        path: candidate.path.clone(),
        kind: candidate.kind,
        size: before.size,
        mtime: before.mtime,
        content_hash: hash,
        media,
    };
    let mut record = AssetRecord {
        asset,
        moments,
        transcript,
        screen_text,
        slates: Vec::new(),
        embedding_model: work.embedded.then(|| models.clip_name.clone()).flatten(),
        warnings: warnings
            .iter()
            .chain(sidecar_warnings.iter().map(|(_, warning)| warning))
            .cloned()
            .collect(),
    };
    // Slates are read from the on-screen text, each with the stretch of the file it names.
    record.slates = rushes_slate::slate_spans(&record.screen_text, record.asset.media.duration);
    crate::faces::put_asset_with_faces(
        index,
        &record,
        looks_for_faces.then_some(found_faces.as_slice()),
    )?;
    Ok(FileOutcome::Indexed {
        moments: moment_count,
        faces: found_faces.len(),
        captions,
        speech_lines,
        warnings,
        sidecar_warnings,
    })
}

/// What a stat says of one version of a file: size, modification time (to the nanosecond,
/// and in whole seconds as the catalog keeps it) and inode (a file replaced by a rename).
#[derive(Debug, PartialEq)]
struct FileVersion {
    size: u64,
    modified: Option<SystemTime>,
    mtime: i64,
    inode: u64,
}

impl FileVersion {
    fn of(path: &Path) -> Result<FileVersion, FileError> {
        let metadata = std::fs::metadata(path)
            .map_err(|error| FileError::Failed(format!("cannot read: {error}")))?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(FileVersion {
            size: metadata.len(),
            modified: metadata.modified().ok(),
            mtime: crate::walk::mtime_seconds(&metadata),
            inode,
        })
    }
}

fn audio_ranges(duration: Option<f64>, chunk: f64) -> Vec<(f64, f64)> {
    match duration {
        Some(length) if length.is_finite() && length > 0.0 => {
            let mut ranges = Vec::new();
            let mut start = 0.0;
            while start < length {
                let end = (start + chunk).min(length);
                ranges.push((start, end));
                start = end;
            }
            ranges
        }
        _ => vec![(0.0, 0.0)],
    }
}

/// Sidecar transcripts win over subtitle streams inside the container. Problems with
/// either are warnings, never a failed file; a sidecar's come with its path (several media
/// files may share it).
fn read_transcripts(
    path: &Path,
    media: &MediaInfo,
) -> (Vec<TranscriptLine>, Vec<String>, Vec<(PathBuf, String)>) {
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    let mut sidecar_warnings = Vec::new();
    for sidecar in rushes_media::find_sidecars(path) {
        match rushes_media::read_sidecar(&sidecar) {
            Ok(mut found) => lines.append(&mut found),
            Err(error) => {
                // A partly broken sidecar still gives its good lines.
                if let Some(recovered) = error.recovered_lines() {
                    lines.extend_from_slice(recovered);
                }
                let warning = format!("transcript {}: {error}", sidecar.display());
                sidecar_warnings.push((sidecar, warning));
            }
        }
    }
    let has_subtitles = media.streams.iter().any(|stream| stream.kind == "subtitle");
    if lines.is_empty() && has_subtitles {
        match rushes_media::extract_subtitle_streams(path, media) {
            Ok(mut found) => lines.append(&mut found),
            Err(error) => warnings.push(format!("subtitles: {error}")),
        }
    }
    lines.sort_by(|a, b| a.start.total_cmp(&b.start));
    (lines, warnings, sidecar_warnings)
}

/// Batches decoded ahead of the models at most: decode never runs further ahead than this,
/// so memory stays a few batches of frames whatever the length of the file.
const BATCHES_AHEAD: usize = 2;

/// Decodes on this thread while two scoped workers take the batches, fed through bounded
/// channels: one runs the ONNX models and writes thumbnails, the other looks for faces
/// (dlib, single-threaded). Decoding (ffmpeg), the models and face detection overlap on the
/// two cores; with faces on the model worker, that worker was the run's critical path and
/// decode waited on it.
fn analyze_with_models(
    path: &Path,
    media: &MediaInfo,
    sampling: &SamplingConfig,
    work: &mut FileWork<'_>,
    faces: &mut FaceCollector<'_>,
) -> Result<Vec<rushes_media::Shot>, FileError> {
    std::thread::scope(|scope| {
        let (model_sender, model_batches) =
            std::sync::mpsc::sync_channel::<Arc<Vec<SampledFrame>>>(BATCHES_AHEAD);
        let model_worker = scope.spawn(move || {
            loop {
                let next = work.times.time(Stage::Waiting, || model_batches.recv());
                let Ok(batch) = next else { break };
                work.take_frames(&batch);
            }
        });
        let looks_for_faces = faces.is_on();
        let (face_sender, face_batches) =
            std::sync::mpsc::sync_channel::<Arc<Vec<SampledFrame>>>(BATCHES_AHEAD);
        let face_worker = scope.spawn(move || {
            for batch in face_batches {
                for frame in batch.iter().filter(|frame| frame.is_sample()) {
                    faces.take_frame(frame.time, frame.shot, &frame.image);
                }
            }
        });
        let stopped = |_| rushes_media::MediaError::Stopped(String::from("a model worker stopped"));
        // Owns the senders, so dropping it closes the channels.
        let mut on_batch = move |batch: Vec<SampledFrame>| {
            let batch = Arc::new(batch);
            if looks_for_faces {
                face_sender.send(Arc::clone(&batch)).map_err(stopped)?;
            }
            model_sender.send(batch).map_err(stopped)
        };
        let analysed = rushes_media::analyze_video(path, media, sampling, &mut on_batch);
        // Closing the channels lets the workers finish the batches in flight and return.
        drop(on_batch);
        let model_joined = model_worker.join();
        let face_joined = face_worker.join();
        if model_joined.is_err() || face_joined.is_err() {
            return Err(FileError::Failed(String::from(
                "a model worker crashed on this file",
            )));
        }
        Ok(analysed?)
    })
}

/// Per-file state while frames stream in: thumbnails, embeddings, tags and text per frame.
struct FileWork<'a> {
    models: &'a mut ModelSet,
    config: &'a IngestConfig,
    thumbs_dir: &'a Path,
    asset_id: &'a str,
    frames: Vec<FrameFacts>,
    warnings: Vec<String>,
    captions: KeyframeCaptions<'a>,
    /// Whether any frame got an embedding.
    embedded: bool,
    visual_failed: bool,
    ocr_failed: bool,
    /// On-screen text of every gated frame (samples and text-gate frames), merged into runs.
    screen_text: ScreenTextRuns,
    times: StageTimes,
}

impl<'a> FileWork<'a> {
    fn new(
        models: &'a mut ModelSet,
        config: &'a IngestConfig,
        thumbs_dir: &'a Path,
        asset_id: &'a str,
        text_step: f64,
    ) -> Self {
        FileWork {
            models,
            config,
            thumbs_dir,
            asset_id,
            frames: Vec::new(),
            warnings: Vec::new(),
            captions: KeyframeCaptions::new(None, 0.0),
            embedded: false,
            visual_failed: false,
            ocr_failed: false,
            screen_text: ScreenTextRuns::new(text_step),
            times: StageTimes::for_one_file(),
        }
    }

    /// Every frame goes through OCR (its cheap gate first) in time order; the other models
    /// and thumbnails take the samples only.
    fn take_frames(&mut self, batch: &[SampledFrame]) {
        for frame in batch {
            self.read_text(frame);
        }
        if batch.iter().all(SampledFrame::is_sample) {
            self.take_samples(batch);
        } else {
            let samples: Vec<SampledFrame> = batch
                .iter()
                .filter(|frame| frame.is_sample())
                .cloned()
                .collect();
            self.take_samples(&samples);
        }
    }

    /// On-screen text of one frame into the runs. Frames come in time order, so text held
    /// unchanged since the frame before is not read again (`OcrEngine::read_in_sequence`).
    fn read_text(&mut self, frame: &SampledFrame) {
        if self.ocr_failed {
            return;
        }
        self.times.ocr_runs += 1;
        let models = &mut *self.models;
        match self
            .times
            .time(Stage::Ocr, || models.read_text(&frame.image))
        {
            Ok(lines) => {
                let lines: Vec<String> = lines
                    .into_iter()
                    .filter(|line| {
                        line.score >= MIN_OCR_SCORE && line.text.trim().chars().count() >= 2
                    })
                    .map(|line| line.text)
                    .collect();
                self.screen_text.push(frame.time, &lines);
            }
            Err(error) => {
                self.ocr_failed = true;
                self.warnings.push(format!("OCR failed: {error}"));
            }
        }
    }

    fn take_samples(&mut self, batch: &[SampledFrame]) {
        if batch.is_empty() {
            return;
        }
        self.times.frames += batch.len();
        let captions = &mut self.captions;
        self.times
            .time(Stage::Captions, || captions.take_batch(batch));
        let images: Vec<RgbImage> = batch.iter().map(|frame| frame.image.clone()).collect();
        let visual = if self.visual_failed {
            None
        } else {
            let models = &mut *self.models;
            match self
                .times
                .time(Stage::Visual, || models.embed_and_tag(&images))
            {
                Ok(result) => result,
                Err(error) => {
                    self.visual_failed = true;
                    self.warnings
                        .push(format!("visual model failed, frames not embedded: {error}"));
                    None
                }
            }
        };
        for (position, frame) in batch.iter().enumerate() {
            let millis = (frame.time * 1000.0).round().max(0.0) as u64;
            let relative = format!("{}/{millis}.jpg", self.asset_id);
            let thumbnail_path = self.thumbs_dir.join(format!("{millis}.jpg"));
            let written = self.times.time(Stage::Thumbnails, || {
                rushes_media::write_thumbnail(
                    &frame.image,
                    &thumbnail_path,
                    self.config.thumb_width,
                    self.config.thumb_max_bytes,
                )
            });
            let thumbnail = match written {
                Ok(()) => Some(relative),
                Err(error) => {
                    self.warnings
                        .push(format!("thumbnail at {:.1}s: {error}", frame.time));
                    None
                }
            };
            let (embedding, tags) = match &visual {
                Some((embeddings, tags)) => {
                    self.embedded = true;
                    (
                        Some(embeddings.row(position).to_vec()),
                        tags.get(position).cloned().unwrap_or_default(),
                    )
                }
                None => (None, Vec::new()),
            };
            self.frames.push(FrameFacts {
                time: frame.time,
                thumbnail,
                embedding,
                tags,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_cut_into_chunks_covering_its_duration() {
        assert_eq!(
            audio_ranges(Some(65.0), 30.0),
            vec![(0.0, 30.0), (30.0, 60.0), (60.0, 65.0)]
        );
        assert_eq!(audio_ranges(None, 30.0), vec![(0.0, 0.0)]);
        assert_eq!(audio_ranges(Some(f64::NAN), 30.0), vec![(0.0, 0.0)]);
    }
}
