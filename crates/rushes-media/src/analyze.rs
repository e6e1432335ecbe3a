//! One streaming decode of a video that yields both its shots (hard cuts, by the mean HSV
//! difference between consecutive frames, like PySceneDetect's ContentDetector) and the
//! frames the models need (the first of every shot, then one every `interval`), scaled and
//! upright, delivered in bounded batches. Also single-frame grabs (`frame_at`).

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc::{Receiver, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use image::RgbImage;
use rushes_core::MediaInfo;

use crate::MediaError;
use crate::decode::{DecodeSizes, Scaling, decode_command};
use crate::refine::{GapDecoding, decode_from_frame_at, decode_gap};
use crate::shots::{BoundaryFinder, DETECTION_WIDTH, GapFrame, JudgedFrame};
use crate::tools::{FrameStamp, StreamingTool, classify_failure};

/// How `analyze_video` samples and cuts.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingConfig {
    /// Seconds between sampled frames inside a shot.
    pub interval: f64,
    /// Longest side of sampled frames in pixels (never upscaled).
    pub max_side: u32,
    /// Cut threshold on the mean HSV difference, 0-255 scale (PySceneDetect's default: 27).
    pub shot_threshold: f32,
    /// Shortest shot in seconds: a cut closer than this to the previous one is ignored.
    pub min_shot_len: f64,
    /// Frames handed to the callback at once.
    pub batch_size: usize,
    /// Decoder threads; 0: one per core (ffmpeg's own choice, one more than the cores,
    /// costs H.264 about a fifth more CPU in frame-thread overhead for no gain in speed).
    pub decode_threads: usize,
    /// Seconds between text-gate frames (`FrameUse::TextGate`): the first frame of every
    /// step this long that is not a sample anyway is sent too, at the samples' size, so
    /// OCR's cheap gate sees text held on screen for a second even between samples.
    /// 0: off (only samples).
    pub text_interval: f64,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig {
            interval: 2.0,
            max_side: 960,
            shot_threshold: 27.0,
            min_shot_len: 0.6,
            batch_size: 16,
            decode_threads: 0,
            text_interval: 0.0,
        }
    }
}

/// A shot: seconds from the start of the file, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shot {
    pub start: f64,
    pub end: f64,
}

/// Why a frame was sent to the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameUse {
    /// A sampled frame (a shot's first, then one every `interval`): every model sees it.
    #[default]
    Sample,
    /// A frame between samples, one every `text_interval`, for OCR's text gate only.
    TextGate,
}

/// A decoded frame chosen for the models.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledFrame {
    /// Seconds from the start of the file.
    pub time: f64,
    /// Index of the shot it belongs to in the returned shot list.
    pub shot: usize,
    /// Upright, longest side at most `max_side`.
    pub image: RgbImage,
    /// A sample for every model, or a text-gate frame.
    pub used_for: FrameUse,
}

impl SampledFrame {
    /// Whether every model looks at this frame (not only the text gate).
    pub fn is_sample(&self) -> bool {
        self.used_for == FrameUse::Sample
    }
}

/// Decodes the video once; calls `on_batch` with frames as they come (the first frame of
/// every shot, then the first frame of every `interval`-long step of the file's timeline
/// inside it); returns the shots covering [0, duration].
///
/// Memory stays bounded by a few frames plus one batch whatever the length of the file. An
/// error from `on_batch` stops the decode (ffmpeg is killed) and is returned as is.
pub fn analyze_video(
    path: &Path,
    info: &MediaInfo,
    config: &SamplingConfig,
    on_batch: &mut dyn FnMut(Vec<SampledFrame>) -> Result<(), MediaError>,
) -> Result<Vec<Shot>, MediaError> {
    decode_and_cut(path, info, config, Output::ShotsAndSamples, on_batch)
}

/// The shots of the video, as [`analyze_video`] finds them, from the same decode with the
/// model-size sample output switched off (nothing is scaled beyond the tiny detection frames).
pub fn detect_shots(
    path: &Path,
    info: &MediaInfo,
    config: &SamplingConfig,
) -> Result<Vec<Shot>, MediaError> {
    decode_and_cut(path, info, config, Output::ShotsOnly, &mut |_| Ok(()))
}

/// Which outputs one decode produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    ShotsOnly,
    ShotsAndSamples,
}

fn decode_and_cut(
    path: &Path,
    info: &MediaInfo,
    config: &SamplingConfig,
    output: Output,
    on_batch: &mut dyn FnMut(Vec<SampledFrame>) -> Result<(), MediaError>,
) -> Result<Vec<Shot>, MediaError> {
    if !path.exists() {
        return Err(MediaError::NotFound(path.to_path_buf()));
    }
    let (width, height) = output_size(info, config.max_side)?;
    let (detect_width, detect_height) = detection_size(info)?;
    let frame_rate = info.frame_rate.filter(|r| *r > 0.0).unwrap_or(25.0);
    let grid = SampleGrid::new(config.interval, config.text_interval);
    let sampling = output == Output::ShotsAndSamples;

    let sample_pipe = if sampling {
        Some(std::io::pipe().map_err(|source| MediaError::Io {
            context: String::from("creating the sample pipe"),
            source,
        })?)
    } else {
        None
    };
    let mut command = decode_command(
        path,
        DecodeSizes {
            detect: (detect_width, detect_height),
            detect_scaling: Scaling::TwoTap,
            sample: sampling.then_some((width, height)),
        },
        Some(&grid.select_expression()),
        None,
        config.decode_threads,
    );
    let sample_pipe = sample_pipe.map(|(reader, writer)| {
        // ffmpeg writes the sampled frames to its fd 0 (see `decode_command`).
        command.stdin(Stdio::from(writer));
        reader
    });
    let spawned = StreamingTool::spawn("ffmpeg", &mut command);
    // The command holds our copy of the pipe's write end: drop it so the reader sees EOF.
    drop(command);
    let mut tool = spawned?;
    let sample_frames = sample_pipe.map(|pipe| {
        spawn_sample_reader(
            pipe,
            width as usize * height as usize * 3,
            std::mem::replace(&mut tool.sample_times, channel().1),
        )
    });

    let frame_bytes = detect_width as usize * detect_height as usize * 3;
    let detection_frames = tool
        .read_ahead(frame_bytes, READ_AHEAD_FRAMES)
        .ok_or_else(|| MediaError::ToolFailed {
            tool: "ffmpeg",
            reason: String::from("no output pipe"),
        })?;
    let mut boundaries =
        BoundaryFinder::new(config.shot_threshold, frame_rate, config.min_shot_len);
    let mut positions = FramePositions::new(frame_rate);
    let mut plan = SamplePlan::new(&grid, width, height, frame_rate);
    plan.sampling = sampling;
    let mut batch: Vec<SampledFrame> = Vec::with_capacity(config.batch_size.max(1));
    let mut emit = |frame: SampledFrame, batch: &mut Vec<SampledFrame>| -> Result<(), MediaError> {
        batch.push(frame);
        if batch.len() >= config.batch_size.max(1) {
            on_batch(std::mem::take(batch))?;
        }
        Ok(())
    };

    let gap_decoding = GapDecoding {
        frame_rate,
        size: (detect_width, detect_height),
        scaling: Scaling::TwoTap,
    };
    let mut previous_pts = None;
    while let Some(buffer) = detection_frames.next_frame()? {
        let stamp = tool
            .frame_times
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default();
        let position = positions.next(stamp.pts);
        // The finder names the gap by the positions of its two frames, the previous pushed
        // frame and this one; ffmpeg seeks by their timestamps. The main ffmpeg waits on its
        // pipe meanwhile: not a stall while the gap's decode delivers frames.
        let mut fill_gap = |_previous_position: u64, _position: u64| {
            skipped_frames(
                path,
                previous_pts.zip(stamp.pts),
                &positions,
                &gap_decoding,
                &|| tool.mark_progress(),
            )
        };
        let judged_frames = boundaries.push(
            stamp.pts,
            position,
            &buffer,
            (detect_width, detect_height),
            &mut fill_gap,
        );
        for judged in judged_frames {
            plan.decide(judged);
        }
        previous_pts = stamp.pts.or(previous_pts);
        if let Some(samples) = &sample_frames {
            while let Ok(sample) = samples.frames.try_recv() {
                plan.offer(sample);
            }
        }
        for frame in plan.settle(false)? {
            emit(frame, &mut batch)?;
        }
        detection_frames.recycle(buffer);
        tool.mark_progress(); // time spent in the callback is not a stall
    }
    let finished = tool.finish();
    for judged in boundaries.finish() {
        plan.decide(judged);
    }
    // ffmpeg has exited (or was killed): the sample pipe drains and closes.
    if let Some(samples) = sample_frames {
        for sample in samples.frames.iter() {
            plan.offer(sample);
        }
        let _ = samples.reader.join();
    }
    for frame in plan.settle(true)? {
        emit(frame, &mut batch)?;
    }
    if let Err((error, stderr)) = finished {
        if let Some(error) = error {
            return Err(error);
        }
        if plan.frames_decoded == 0 {
            return Err(classify_failure("ffmpeg", path, &stderr));
        }
        tracing::warn!(path = %path.display(), frames_decoded = plan.frames_decoded, "ffmpeg stopped early: {}", last_line(&stderr));
    }
    if plan.frames_decoded == 0 {
        return Err(MediaError::Corrupt(String::from(
            "no video frame could be decoded",
        )));
    }
    if !batch.is_empty() {
        on_batch(batch)?;
    }
    if plan.unmatched > 0 || plan.dropped_samples > 0 {
        tracing::debug!(path = %path.display(), unmatched = plan.unmatched, dropped = plan.dropped_samples, "sample output and plan disagreed");
    }
    let shots = plan.into_shots(info.duration);
    tracing::debug!(path = %path.display(), shots = shots.len(), "analysed video");
    Ok(shots)
}

/// The frames the skipping decode left out between two decoded frames (their timestamps),
/// decoded again at full rate, with their positions; `alive` is called for every frame
/// decoded. A failed decode leaves the gap as it was (the cut after it stays where it was
/// found).
fn skipped_frames(
    path: &Path,
    around: Option<(i64, i64)>,
    positions: &FramePositions,
    decoding: &GapDecoding,
    alive: &dyn Fn(),
) -> Vec<GapFrame<Option<i64>>> {
    let Some((after_pts, before_pts)) = around else {
        return Vec::new();
    };
    match decode_gap(path, after_pts, before_pts, decoding, alive) {
        Ok(pictures) => pictures
            .into_iter()
            .filter_map(|picture| {
                Some(GapFrame {
                    stamp: Some(picture.pts),
                    position: positions.position_of(picture.pts)?,
                    rgb: picture.rgb,
                })
            })
            .collect(),
        Err(error) => {
            tracing::warn!(path = %path.display(), after_pts, before_pts, "skipped frames not decoded again: {error}");
            Vec::new()
        }
    }
}

/// Detection frames read ahead of the scoring (about 0.5 MB at the usual 274x154).
const READ_AHEAD_FRAMES: usize = 4;

/// Frame numbers at the nominal rate from the decoded frames' timestamps: frames the decoder
/// skips (`-skip_frame noref`) leave gaps, so lengths counted in frames stay lengths in time.
struct FramePositions {
    frames_per_microsecond: f64,
    origin: Option<i64>,
    previous: Option<u64>,
}

impl FramePositions {
    fn new(frame_rate: f64) -> FramePositions {
        FramePositions {
            frames_per_microsecond: frame_rate / 1_000_000.0,
            origin: None,
            previous: None,
        }
    }

    /// The position of a timestamp on the grid (no frame counted; `None` before the first).
    fn position_of(&self, pts: i64) -> Option<u64> {
        let origin = self.origin?;
        let frames = ((pts - origin) as f64 * self.frames_per_microsecond).round();
        Some(frames.max(0.0) as u64)
    }

    /// The position of the next decoded frame: always after the previous one (a frame
    /// without a timestamp, or one that goes backwards, takes the next number).
    fn next(&mut self, pts: Option<i64>) -> u64 {
        let after_previous = self.previous.map_or(0, |previous| previous + 1);
        let position = match pts {
            Some(pts) => {
                let origin = *self.origin.get_or_insert(pts);
                let frames = ((pts - origin) as f64 * self.frames_per_microsecond).round();
                (frames.max(0.0) as u64).max(after_previous)
            }
            None => after_previous,
        };
        self.previous = Some(position);
        position
    }
}

/// The file's timeline cut into `interval`-long steps; the first frame of each step is a
/// steady sample. ffmpeg's `select` filter and [`SamplePlan`] evaluate the same arithmetic
/// on the same microsecond timestamps, so both pick the same frames.
pub(crate) struct SampleGrid {
    /// `None` when steady sampling is off (interval ≤ 0 or not finite).
    interval: Option<f64>,
    /// The text gate's steps (`SamplingConfig::text_interval`); `None` when off.
    text_interval: Option<f64>,
}

impl SampleGrid {
    fn new(interval: f64, text_interval: f64) -> SampleGrid {
        let positive = |value: f64| (value.is_finite() && value > 0.0).then_some(value);
        SampleGrid {
            interval: positive(interval),
            text_interval: positive(text_interval),
        }
    }

    /// The step a timestamp (microseconds, ffmpeg's `t` after `settb=AVTB`) falls in.
    fn step(&self, pts: i64) -> Option<f64> {
        step_of(self.interval?, pts)
    }

    /// The text-gate step a timestamp falls in.
    fn text_step(&self, pts: i64) -> Option<f64> {
        step_of(self.text_interval?, pts)
    }

    /// ffmpeg `select` expression for the frames the sample output carries: the first frame,
    /// frames without a timestamp, the first frame of every step, and every frame whose
    /// scene score (ffmpeg's own, full size, cheap) could be a cut of ours. The scene term is
    /// a generous superset of the cuts `ShotDetector` finds; a cut it misses still gets the
    /// next frame sent (see `SamplePlan::match_sample`).
    fn select_expression(&self) -> String {
        let mut terms = vec![
            String::from("isnan(prev_t)"),
            String::from("isnan(t)"),
            format!("gt(scene\\,{SCENE_CANDIDATE})"),
        ];
        for interval in [self.interval, self.text_interval].into_iter().flatten() {
            terms.push(format!(
                "gt(floor(t/{interval})\\,floor(prev_t/{interval}))"
            ));
        }
        format!("select='{}'", terms.join("+"))
    }
}

/// The `interval`-long step of the timeline a timestamp (microseconds) falls in.
fn step_of(interval: f64, pts: i64) -> Option<f64> {
    Some((pts as f64 * (1.0 / 1_000_000.0) / interval).floor())
}

/// ffmpeg scene score (0-1) above which a frame goes to the sample output as a possible cut.
/// On the bench reel every PySceneDetect cut scores above 0.05.
const SCENE_CANDIDATE: f64 = 0.03;

/// A frame of the sample output, with its showinfo timestamp.
struct SampleCandidate {
    pts: Option<i64>,
    pixels: Vec<u8>,
}

struct SampleReader {
    frames: Receiver<SampleCandidate>,
    reader: JoinHandle<()>,
}

/// Reads whole frames from the sample pipe on a thread, pairing each with its stamp. The
/// channel is unbounded so ffmpeg never waits on it (a wait there while we wait on the
/// detection pipe would deadlock); it stays short because ffmpeg sends at most one sample
/// per detection frame and blocks on the detection pipe (a few frames deep) when we fall behind.
fn spawn_sample_reader(
    mut pipe: std::io::PipeReader,
    frame_bytes: usize,
    stamps: Receiver<FrameStamp>,
) -> SampleReader {
    let (sender, frames) = channel::<SampleCandidate>();
    let reader = std::thread::spawn(move || {
        loop {
            let mut pixels = vec![0u8; frame_bytes];
            if pipe.read_exact(&mut pixels).is_err() {
                return;
            }
            let pts = stamps
                .recv_timeout(Duration::from_secs(5))
                .ok()
                .and_then(|stamp| stamp.pts);
            if sender.send(SampleCandidate { pts, pixels }).is_err() {
                return;
            }
        }
    });
    SampleReader { frames, reader }
}

/// What the plan decided for one decoded frame, kept until the sample output catches up.
#[derive(Debug, Clone, Copy)]
struct FrameDecision {
    pts: Option<i64>,
    time: f64,
    shot: usize,
    wanted: bool,
    /// Not wanted, but the first frame of a text-gate step.
    text_gate: bool,
}

/// Cuts and sample choices from the detection stream, matched with the frames of the
/// sample output by timestamp.
struct SamplePlan<'a> {
    /// Whether sample frames will come to be matched (off: decisions are not kept).
    sampling: bool,
    grid: &'a SampleGrid,
    size: (u32, u32),
    half_frame: f64,
    frame_period: f64,
    origin: Option<i64>,
    previous_time: Option<f64>,
    previous_step: Option<f64>,
    previous_text_step: Option<f64>,
    shot_start: f64,
    last_wanted: Option<f64>,
    shots: Vec<Shot>,
    /// Decisions for frames the sample output has not reached yet, oldest first.
    pending: VecDeque<FrameDecision>,
    /// Frames of the sample output waiting for their decision.
    held: VecDeque<SampleCandidate>,
    /// A wanted frame the sample output skipped: the next frame it sends in that shot stands in.
    owed_shot: Option<usize>,
    frames_decoded: u64,
    /// Wanted frames the sample output did not carry.
    unmatched: u64,
    /// Frames of the sample output with no decision to match.
    dropped_samples: u64,
}

impl<'a> SamplePlan<'a> {
    fn new(grid: &'a SampleGrid, width: u32, height: u32, frame_rate: f64) -> SamplePlan<'a> {
        SamplePlan {
            sampling: true,
            grid,
            size: (width, height),
            half_frame: 0.5 / frame_rate,
            frame_period: 1.0 / frame_rate,
            origin: None,
            previous_time: None,
            previous_step: None,
            previous_text_step: None,
            shot_start: 0.0,
            last_wanted: None,
            shots: Vec::new(),
            pending: VecDeque::new(),
            held: VecDeque::new(),
            owed_shot: None,
            frames_decoded: 0,
            unmatched: 0,
            dropped_samples: 0,
        }
    }

    /// Takes the next decoded frame: its timestamp (microseconds) and what the shot
    /// detectors found on it.
    fn decide(&mut self, judged: JudgedFrame<Option<i64>>) {
        let JudgedFrame {
            stamp: pts,
            boundary,
        } = judged;
        let time = match (pts, self.origin, self.previous_time) {
            (Some(pts), None, _) => {
                self.origin = Some(pts);
                0.0
            }
            (Some(pts), Some(origin), _) => (pts - origin).max(0) as f64 / 1_000_000.0,
            (None, _, Some(previous)) => previous + self.frame_period,
            (None, _, None) => 0.0,
        };
        // Timestamps that go backwards (broken muxers) are clamped to stay monotonic.
        let time = self.previous_time.map_or(time, |p| time.max(p));
        self.previous_time = Some(time);
        self.frames_decoded += 1;

        // Which frames start shots is `BoundaryFilter`'s decision (minimum shot length and
        // PySceneDetect's merge rule in one).
        let is_cut = boundary.is_some();
        if is_cut {
            self.shots.push(Shot {
                start: self.shot_start,
                end: time,
            });
            self.shot_start = time;
        }
        let step = pts.and_then(|pts| self.grid.step(pts));
        let new_step = match (step, self.previous_step) {
            (Some(step), Some(previous)) => step > previous,
            _ => false,
        };
        if step.is_some() {
            self.previous_step = step;
        }
        // A step that begins just after a shot start adds little: skip it.
        let steady = new_step
            && self.last_wanted.is_none_or(|last| {
                time - last >= self.grid.interval.unwrap_or(0.0) / 2.0 - self.half_frame
            });
        let wanted = self.last_wanted.is_none() || is_cut || steady;
        if wanted {
            self.last_wanted = Some(time);
        }
        let text_step = pts.and_then(|pts| self.grid.text_step(pts));
        let new_text_step = match (text_step, self.previous_text_step) {
            (Some(step), Some(previous)) => step > previous,
            _ => false,
        };
        if text_step.is_some() {
            self.previous_text_step = text_step;
        }
        if !self.sampling {
            return;
        }
        self.pending.push_back(FrameDecision {
            pts,
            time,
            shot: self.shots.len(),
            wanted,
            text_gate: new_text_step && !wanted,
        });
    }

    /// Takes a frame of the sample output; it waits until the detection stream has
    /// decided about its timestamp.
    fn offer(&mut self, sample: SampleCandidate) {
        self.held.push_back(sample);
    }

    /// The sampled frames that can be settled now: held frames whose decision is made
    /// (all of them once `detection_ended`). Frames arrive in decode order; a wanted frame
    /// the sample output skipped is owed, and the next frame it sends in that shot stands in.
    fn settle(&mut self, detection_ended: bool) -> Result<Vec<SampledFrame>, MediaError> {
        let mut settled = Vec::new();
        while let Some(front) = self.held.front() {
            let decided = detection_ended
                || match front.pts {
                    Some(pts) => self.pending.back().and_then(|d| d.pts) >= Some(pts),
                    None => self.pending.iter().any(|d| d.pts.is_none()),
                };
            if !decided {
                break;
            }
            let Some(sample) = self.held.pop_front() else {
                break;
            };
            if let Some(frame) = self.match_sample(sample)? {
                settled.push(frame);
            }
        }
        Ok(settled)
    }

    fn match_sample(
        &mut self,
        sample: SampleCandidate,
    ) -> Result<Option<SampledFrame>, MediaError> {
        let decision = loop {
            let Some(front) = self.pending.front().copied() else {
                self.dropped_samples += 1;
                return Ok(None);
            };
            let order = match (front.pts, sample.pts) {
                (Some(decided), Some(sent)) => decided.cmp(&sent),
                (None, None) => std::cmp::Ordering::Equal,
                // A frame without a stamp is matched with the next one without a stamp.
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Less,
            };
            match order {
                std::cmp::Ordering::Less => {
                    self.pending.pop_front();
                    if front.wanted {
                        self.unmatched += 1;
                        self.owed_shot = Some(front.shot);
                    }
                }
                std::cmp::Ordering::Equal => {
                    self.pending.pop_front();
                    break front;
                }
                std::cmp::Ordering::Greater => {
                    // Already passed: a frame the detection stream never saw.
                    self.dropped_samples += 1;
                    return Ok(None);
                }
            }
        };
        let owed = self.owed_shot.take();
        let used_for = if decision.wanted || owed == Some(decision.shot) {
            FrameUse::Sample
        } else if decision.text_gate {
            FrameUse::TextGate
        } else {
            return Ok(None);
        };
        let (width, height) = self.size;
        let image = RgbImage::from_raw(width, height, sample.pixels).ok_or_else(|| {
            MediaError::ToolFailed {
                tool: "ffmpeg",
                reason: String::from("frame size mismatch"),
            }
        })?;
        Ok(Some(SampledFrame {
            time: decision.time,
            shot: decision.shot,
            image,
            used_for,
        }))
    }

    /// The shots, the last one ending at the file's duration (or after its last frame).
    fn into_shots(mut self, duration: Option<f64>) -> Vec<Shot> {
        let last_frame_end = self.previous_time.unwrap_or(0.0) + self.frame_period;
        let end = duration
            .filter(|d| d.is_finite() && *d >= self.shot_start)
            .unwrap_or(last_frame_end)
            .max(self.shot_start);
        self.shots.push(Shot {
            start: self.shot_start,
            end,
        });
        self.shots
    }
}

/// One upright frame at `seconds`, longest side at most `max_side`.
pub fn frame_at(
    path: &Path,
    info: &MediaInfo,
    seconds: f64,
    max_side: u32,
) -> Result<RgbImage, MediaError> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(MediaError::InvalidRequest(format!(
            "no frame at {seconds} s"
        )));
    }
    if let Some(duration) = info.duration
        && seconds > duration
    {
        return Err(MediaError::InvalidRequest(format!(
            "{seconds:.3} s is past the end ({duration:.3} s)"
        )));
    }
    if !path.exists() {
        return Err(MediaError::NotFound(path.to_path_buf()));
    }
    let size = output_size(info, max_side)?;
    let decoding = GapDecoding {
        frame_rate: info.frame_rate.filter(|rate| *rate > 0.0).unwrap_or(25.0),
        size,
        // A picture a person looks at (contact sheets): a proper bilinear, not detection's
        // two-tap filter, which aliases fine detail such as printed text on a big downscale.
        scaling: Scaling::Bilinear,
    };
    // The frame shown at `seconds` is the last one starting by then. The decode seeks
    // further back until it starts at or before it, as a skipped gap's does: MPEG-TS has no
    // index, and a plain `-ss` there lands past the frame (the next shot's keyframe) or
    // finds none before the end. Near the very end the first try finds no frame and the
    // next one, a second earlier, reaches it.
    let wanted = (seconds * 1_000_000.0).round() as i64;
    let half_frame = decoding.half_frame_micros();
    let mut shown = None;
    decode_from_frame_at(
        path,
        wanted,
        wanted + half_frame,
        &decoding,
        &|| {},
        &mut |picture| shown = Some(picture.rgb),
    )?;
    let pixels = shown.ok_or_else(|| {
        MediaError::Corrupt(format!("no frame could be decoded near {seconds:.3} s"))
    })?;
    RgbImage::from_raw(size.0, size.1, pixels).ok_or_else(|| MediaError::ToolFailed {
        tool: "ffmpeg",
        reason: String::from("frame size mismatch"),
    })
}

/// Size of the detection frames: the display size divided by a whole factor to about
/// [`DETECTION_WIDTH`] wide, as PySceneDetect's automatic downscale does.
fn detection_size(info: &MediaInfo) -> Result<(u32, u32), MediaError> {
    let (Some(width), Some(height)) = (info.width, info.height) else {
        return Err(MediaError::NoVideoStream);
    };
    let factor = (width / DETECTION_WIDTH).max(1);
    Ok(((width / factor).max(2), (height / factor).max(2)))
}

/// Output size for a display size and a longest-side limit, never upscaled, at least 2x2.
pub(crate) fn output_size(info: &MediaInfo, max_side: u32) -> Result<(u32, u32), MediaError> {
    let (Some(width), Some(height)) = (info.width, info.height) else {
        return Err(MediaError::NoVideoStream);
    };
    let longest = width.max(height).max(1);
    let limit = if max_side == 0 {
        longest
    } else {
        max_side.min(longest)
    };
    let scale = f64::from(limit) / f64::from(longest);
    let fit = |side: u32| ((f64::from(side) * scale).round() as u32).max(2);
    Ok((fit(width), fit(height)))
}

fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_size_keeps_aspect_and_never_upscales() -> Result<(), MediaError> {
        let hd = MediaInfo {
            width: Some(1920),
            height: Some(1080),
            ..MediaInfo::default()
        };
        assert_eq!(output_size(&hd, 960)?, (960, 540));
        let small = MediaInfo {
            width: Some(320),
            height: Some(240),
            ..MediaInfo::default()
        };
        assert_eq!(output_size(&small, 960)?, (320, 240));
        assert!(output_size(&MediaInfo::default(), 960).is_err());
        Ok(())
    }
}
