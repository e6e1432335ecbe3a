//! Thread plumbing of one video: decoding on the calling thread, the stages that take frames
//! on scoped workers fed through bounded channels. The stages that share the model worker
//! (the ONNX models and thumbnails) get each batch in registration order; a stage that asks
//! for a thread of its own (faces: dlib, single-threaded) gets one. Decoding (ffmpeg), the
//! models and face detection overlap on the two cores; with faces on the model worker, that
//! worker was the run's critical path and decode waited on it.

use std::path::Path;
use std::sync::Arc;

use rushes_core::MediaInfo;
use rushes_media::{SampledFrame, SamplingConfig, Shot};

use crate::moments::FrameFacts;
use crate::stage::{FrameDiet, Stage};
use crate::stage_times::{Stage as Timed, StageTimes};

/// Batches decoded ahead of the models at most: decode never runs further ahead than this,
/// so memory stays a few batches of frames whatever the length of the file (32 frames of
/// [`crate::config::FRAMES_PER_BATCH`], as 2 batches of 16 before).
const BATCHES_AHEAD: usize = 8;

/// A decoded batch as the workers get it: every frame (samples and the text gate's frames),
/// and the samples alone, shared (`Arc`, no copy per worker).
#[derive(Clone)]
struct Batch {
    every: Arc<Vec<SampledFrame>>,
    samples: Arc<Vec<SampledFrame>>,
}

impl Batch {
    fn new(frames: Vec<SampledFrame>) -> Batch {
        let every = Arc::new(frames);
        let samples = if every.iter().all(SampledFrame::is_sample) {
            Arc::clone(&every)
        } else {
            Arc::new(
                every
                    .iter()
                    .filter(|frame| frame.is_sample())
                    .cloned()
                    .collect(),
            )
        };
        Batch { every, samples }
    }
}

/// Why a video's frames could not all be seen.
pub(crate) enum FanOutError {
    Media(rushes_media::MediaError),
    /// A worker panicked.
    WorkerCrashed,
}

/// Decodes the video at `path` and hands its frames to `stages`; `frames` gets one
/// [`FrameFacts`] per sample, in time order, for the stages to fill in. The model worker's
/// times go to `times`.
pub(crate) fn analyze_video(
    path: &Path,
    media: &MediaInfo,
    sampling: &SamplingConfig,
    stages: Vec<&mut dyn Stage>,
    frames: &mut Vec<FrameFacts>,
    times: &mut StageTimes,
) -> Result<Vec<Shot>, FanOutError> {
    let (own, shared): (Vec<&mut dyn Stage>, Vec<&mut dyn Stage>) = stages
        .into_iter()
        .filter(|stage| stage.frames() != FrameDiet::None)
        .partition(|stage| stage.own_thread());
    std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut workers = Vec::new();
        let (model_sender, model_batches) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
        senders.push(model_sender);
        let mut model_stages = shared;
        workers.push(scope.spawn(move || {
            loop {
                let next = times.time(Timed::Waiting, || model_batches.recv());
                let Ok(batch) = next else { break };
                feed(&mut model_stages, &batch, times);
            }
        }));
        for stage in own {
            let (sender, batches) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
            senders.push(sender);
            workers.push(scope.spawn(move || {
                let mut untimed = StageTimes::for_one_file();
                let mut alone = [stage];
                for batch in batches {
                    feed(&mut alone, &batch, &mut untimed);
                }
            }));
        }
        let stopped = |_| rushes_media::MediaError::Stopped(String::from("a model worker stopped"));
        // Owns the senders, so dropping it closes the channels.
        let mut on_batch = move |decoded: Vec<SampledFrame>| {
            let batch = Batch::new(decoded);
            frames.extend(batch.samples.iter().map(|frame| FrameFacts {
                time: frame.time,
                ..FrameFacts::default()
            }));
            for sender in &senders {
                sender.send(batch.clone()).map_err(stopped)?;
            }
            Ok(())
        };
        let analysed = rushes_media::analyze_video(path, media, sampling, &mut on_batch);
        // Closing the channels lets the workers finish the batches in flight and return.
        drop(on_batch);
        let mut crashed = false;
        for worker in workers {
            crashed |= worker.join().is_err();
        }
        if crashed {
            return Err(FanOutError::WorkerCrashed);
        }
        analysed.map_err(FanOutError::Media)
    })
}

/// Hands the one frame of a still to every stage that takes frames, on this thread.
pub(crate) fn take_still(
    mut stages: Vec<&mut dyn Stage>,
    still: SampledFrame,
    frames: &mut Vec<FrameFacts>,
    times: &mut StageTimes,
) {
    frames.push(FrameFacts {
        time: still.time,
        ..FrameFacts::default()
    });
    feed(&mut stages, &Batch::new(vec![still]), times);
}

/// One batch to each stage, in order: every frame or the samples, as each asks.
fn feed(stages: &mut [&mut dyn Stage], batch: &Batch, times: &mut StageTimes) {
    for stage in stages.iter_mut() {
        match stage.frames() {
            FrameDiet::None => {}
            FrameDiet::Every => stage.take_frames(&batch.every, times),
            FrameDiet::Samples if batch.samples.is_empty() => {}
            FrameDiet::Samples => stage.take_frames(&batch.samples, times),
        }
    }
}
