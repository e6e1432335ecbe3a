//! One file of a run: its identity (asked of the store), probe, transcripts from sidecars,
//! decoding and the stages, moments, and the record written — or why not (a failed file, a
//! file that changed while it was read, or a broken store that stops the run).

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use rushes_core::{Asset, AssetKind, AssetRecord, MediaInfo, TranscriptLine, content_hash};
use rushes_media::{FrameUse, SampledFrame};
use rushes_store::ingest_target::IngestTarget;
use rushes_store::{Identity, KnownFile};

use crate::IngestError;
use crate::config::IngestConfig;
use crate::fan_out::{self, FanOutError};
use crate::moments::build_moments;
use crate::stage::{AssetDraft, FileStart, RunStage, Stage};
use crate::stage_times::StageTimes;
use crate::walk::Candidate;

/// A file-level outcome that is not a success.
pub(crate) enum FileError {
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
    pub(crate) fn into_reason(self) -> Result<String, IngestError> {
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

/// What became of a file the run looked at.
pub(crate) enum FileOutcome {
    Indexed {
        moments: usize,
        /// What each counting stage counted in it, by [`StageCount::key`].
        ///
        /// [`StageCount::key`]: crate::stage::StageCount::key
        counts: Vec<(&'static str, usize)>,
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

impl From<FanOutError> for FileError {
    fn from(error: FanOutError) -> FileError {
        match error {
            FanOutError::Media(error) => error.into(),
            FanOutError::WorkerCrashed => {
                FileError::Failed(String::from("a model worker crashed on this file"))
            }
        }
    }
}

/// Indexes one file with the run's stages.
pub(crate) fn index_file(
    index: &dyn IngestTarget,
    stages: &mut [RunStage],
    config: &IngestConfig,
    candidate: &Candidate,
) -> Result<FileOutcome, FileError> {
    let known = index.known_file(&candidate.path, candidate.size, candidate.mtime)?;
    if known == KnownFile::Unchanged {
        return Ok(FileOutcome::Unchanged);
    }
    // Compared with the file after the work: a record is never built from two versions.
    let before = FileVersion::of(&candidate.path)?;
    let hash = content_hash(&candidate.path)
        .map_err(|error| FileError::Failed(format!("cannot read: {error}")))?;
    let id = match index.identify(&candidate.path, known, candidate.size, &hash)? {
        Identity::Moved { from } => return Ok(FileOutcome::Moved { from }),
        Identity::Build(id) => id,
    };

    let media = rushes_media::probe(&candidate.path, candidate.kind)?;
    let thumbnails = index.shared_thumbnails();
    thumbnails
        .remove_frames_of(&id)
        .map_err(|error| FileError::Fatal(error.into()))?;
    let id_text = id.to_string();
    let text_step = match candidate.kind {
        AssetKind::Video if config.sampling.text_interval > 0.0 => config.sampling.text_interval,
        AssetKind::Video => config.sampling.interval,
        AssetKind::Image | AssetKind::Audio => 0.0,
    };
    let (transcript, warnings, sidecar_warnings) = read_transcripts(&candidate.path, &media);
    let mut draft = AssetDraft {
        transcript,
        warnings,
        ..AssetDraft::default()
    };
    let file = FileStart {
        path: &candidate.path,
        kind: candidate.kind,
        media: &media,
        asset_id: &id_text,
        thumbnails: &thumbnails,
        text_step,
    };
    for run_stage in stages.iter_mut() {
        run_stage.stage.start_file(&file, &mut draft);
    }
    let mut times = StageTimes::for_one_file();
    let shots: Vec<(f64, f64)> = match candidate.kind {
        AssetKind::Video => {
            let started = Instant::now();
            let shots = fan_out::analyze_video(
                &candidate.path,
                &media,
                &config.sampling,
                frame_stages(stages),
                &mut draft.frames,
                &mut times,
            )?;
            times.frames = draft.frames.len();
            times.log(&candidate.path, started.elapsed());
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
            fan_out::take_still(frame_stages(stages), still, &mut draft.frames, &mut times);
            vec![(0.0, 0.0)]
        }
        AssetKind::Audio => audio_ranges(media.duration, config.audio_moment_len),
    };
    for run_stage in stages.iter_mut() {
        run_stage.stage.contribute(&mut draft);
    }
    draft.moments = build_moments(
        &shots,
        &draft.frames,
        &draft.screen_text,
        &draft.transcript,
        config.moment_max_len,
    );
    for run_stage in stages.iter_mut() {
        run_stage.stage.finish_moments(&mut draft);
    }
    let counts = stages
        .iter()
        .filter_map(|run_stage| {
            let count = run_stage.kind.count()?;
            Some((count.key, run_stage.stage.file_count()))
        })
        .collect();
    let moment_count = draft.moments.len();
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
    let warnings = draft.warnings;
    let mut record = AssetRecord {
        asset,
        moments: draft.moments,
        transcript: draft.transcript,
        screen_text: draft.screen_text,
        slates: Vec::new(),
        embedding_model: draft.embedding_model,
        text_units: draft.text_units,
        text_model: draft.text_model,
        warnings: warnings
            .iter()
            .chain(sidecar_warnings.iter().map(|(_, warning)| warning))
            .cloned()
            .collect(),
    };
    // Slates are read from the on-screen text, each with the stretch of the file it names.
    record.slates = rushes_slate::slate_spans(&record.screen_text, record.asset.media.duration);
    crate::stages::faces::put_asset_with_faces(index, &record, draft.faces.as_deref())?;
    Ok(FileOutcome::Indexed {
        moments: moment_count,
        counts,
        warnings,
        sidecar_warnings,
    })
}

/// The run's stages as the frame workers take them.
fn frame_stages(stages: &mut [RunStage]) -> Vec<&mut dyn Stage> {
    stages
        .iter_mut()
        .map(|run_stage| run_stage.stage.as_mut() as &mut dyn Stage)
        .collect()
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
