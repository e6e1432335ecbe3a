//! Running the ffmpeg and ffprobe command-line tools: locating them, short runs with a
//! timeout, long streaming runs with a no-progress watchdog, killing them on every error
//! path, and turning their stderr into a typed [`MediaError`]. Nothing here knows about
//! shots or frames.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::MediaError;

/// Seconds ffprobe may take on one file before it is killed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// Seconds a streaming ffmpeg may go without producing a frame before it is killed.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(60);

pub fn ffmpeg_command() -> Command {
    tool_command("ffmpeg", "RUSHES_FFMPEG")
}

/// A quiet ffmpeg (errors only, no stdin) reading `input` from `seconds` on (input seek:
/// decoding starts at the keyframe before and drops frames up to `seconds`). The caller
/// adds the outputs.
pub fn ffmpeg_reading_from(seconds: f64, input: &Path) -> Command {
    let mut command = ffmpeg_command();
    command
        .args([
            "-nostdin",
            "-hide_banner",
            "-v",
            "error",
            "-ss",
            &format!("{seconds:.6}"),
            "-i",
        ])
        .arg(input);
    command
}

pub fn ffprobe_command() -> Command {
    tool_command("ffprobe", "RUSHES_FFPROBE")
}

fn tool_command(name: &str, env: &str) -> Command {
    let program = std::env::var_os(env).unwrap_or_else(|| name.into());
    let mut command = Command::new(program);
    command.stdin(Stdio::null());
    command
}

fn spawn(tool: &'static str, command: &mut Command) -> Result<Child, MediaError> {
    command.spawn().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => MediaError::ToolMissing { tool },
        _ => MediaError::Io {
            context: format!("starting {tool}"),
            source,
        },
    })
}

/// What a finished short run produced.
pub struct ToolOutput {
    pub success: bool,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs a tool to completion, killing it if it takes longer than `timeout`.
pub fn run_with_timeout(
    tool: &'static str,
    command: &mut Command,
    timeout: Duration,
) -> Result<ToolOutput, MediaError> {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = spawn(tool, command)?;
    let stdout_reader = child.stdout.take().map(|mut out| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = out.read_to_end(&mut bytes);
            bytes
        })
    });
    let stderr_reader = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = err.read_to_end(&mut bytes);
            bytes
        })
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(MediaError::Timeout {
                    tool,
                    seconds: timeout.as_secs(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(source) => {
                let _ = child.kill();
                return Err(MediaError::Io {
                    context: format!("waiting for {tool}"),
                    source,
                });
            }
        }
    };
    let stdout = stdout_reader
        .and_then(|h| h.join().ok())
        .unwrap_or_default();
    let stderr = stderr_reader
        .and_then(|h| h.join().ok())
        .unwrap_or_default();
    Ok(ToolOutput {
        success: status.success(),
        stdout,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// A long-running ffmpeg whose stdout is read as it comes. The watchdog kills it when no
/// progress is reported for [`STALL_TIMEOUT`]; dropping it kills it too, so an error on any
/// path never leaves an ffmpeg behind.
pub struct StreamingTool {
    tool: &'static str,
    child: Arc<Mutex<Child>>,
    stdout: Option<ChildStdout>,
    finished: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    progress_millis: Arc<AtomicU64>,
    started: Instant,
    stderr_thread: Option<JoinHandle<Vec<String>>>,
    watchdog: Option<JoinHandle<()>>,
    /// Stamps of the frames that pass a showinfo filter, in decode order (every showinfo
    /// instance except one named `showinfo@sample`).
    pub frame_times: Receiver<FrameStamp>,
    /// Stamps from the showinfo instance named `showinfo@sample`, for a second output.
    pub sample_times: Receiver<FrameStamp>,
}

/// One frame's timestamp as ffmpeg's showinfo filter prints it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FrameStamp {
    /// The raw `pts` in the filter link's time base (`None` when the frame has none).
    pub pts: Option<i64>,
    /// `pts_time`, seconds; printed with 6 significant digits, so coarse on long files.
    pub time: Option<f64>,
}

/// Name of the showinfo instance whose stamps go to [`StreamingTool::sample_times`].
pub const SAMPLE_SHOWINFO: &str = "showinfo@sample";

impl StreamingTool {
    pub fn spawn(tool: &'static str, command: &mut Command) -> Result<StreamingTool, MediaError> {
        Self::spawn_with_stall(tool, command, STALL_TIMEOUT)
    }

    pub fn spawn_with_stall(
        tool: &'static str,
        command: &mut Command,
        stall: Duration,
    ) -> Result<StreamingTool, MediaError> {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = spawn(tool, command)?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let (times_tx, frame_times) = channel();
        let (sample_times_tx, sample_times) = channel();
        let stderr_thread = stderr.map(|stderr| {
            std::thread::spawn(move || {
                let mut tail: Vec<String> = Vec::new();
                let mut reader = BufReader::new(stderr);
                let mut line = Vec::new();
                while let Ok(read) = reader.read_until(b'\n', &mut line) {
                    if read == 0 {
                        break;
                    }
                    let text = String::from_utf8_lossy(&line);
                    if let Some((filter, stamp)) = showinfo_frame_stamp(&text) {
                        let _ = if filter == SAMPLE_SHOWINFO {
                            sample_times_tx.send(stamp)
                        } else {
                            times_tx.send(stamp)
                        };
                    } else if !text.trim().is_empty() {
                        if tail.len() >= 40 {
                            tail.remove(0);
                        }
                        tail.push(text.trim_end().to_string());
                    }
                    line.clear();
                }
                tail
            })
        });
        let child = Arc::new(Mutex::new(child));
        let finished = Arc::new(AtomicBool::new(false));
        let stalled = Arc::new(AtomicBool::new(false));
        let progress_millis = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let watchdog = {
            let (child, finished, stalled, progress) = (
                child.clone(),
                finished.clone(),
                stalled.clone(),
                progress_millis.clone(),
            );
            std::thread::spawn(move || {
                while !finished.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    let now = started.elapsed().as_millis() as u64;
                    if now.saturating_sub(progress.load(Ordering::Relaxed))
                        > stall.as_millis() as u64
                    {
                        stalled.store(true, Ordering::Relaxed);
                        if let Ok(mut child) = child.lock() {
                            let _ = child.kill();
                        }
                        return;
                    }
                }
            })
        };
        Ok(StreamingTool {
            tool,
            child,
            stdout,
            finished,
            stalled,
            progress_millis,
            started,
            stderr_thread,
            watchdog: Some(watchdog),
            frame_times,
            sample_times,
        })
    }

    /// Tells the watchdog the tool is alive.
    pub fn mark_progress(&self) {
        self.progress_millis
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Reads stdout in whole frames of `frame_bytes` on a thread of its own, up to `depth`
    /// frames ahead of the caller. ffmpeg blocks on a full pipe (64 KiB, less than one
    /// frame), and a blocked ffmpeg feeds its decoder threads no packets: reading ahead keeps
    /// it decoding while the caller scores the previous frame. `None` once stdout is taken.
    pub fn read_ahead(&mut self, frame_bytes: usize, depth: usize) -> Option<FrameReadAhead> {
        let mut stdout = self.stdout.take()?;
        let depth = depth.max(1);
        let (sender, frames) = std::sync::mpsc::sync_channel(depth);
        let (spare_sender, spare) = channel::<Vec<u8>>();
        let tool = self.tool;
        // The reader ends at the end of stdout (a tool that is killed closes it too) or at
        // its next send once the `FrameReadAhead` is gone; it is not joined.
        std::thread::spawn(move || {
            loop {
                let mut buffer = spare.try_recv().unwrap_or_else(|_| vec![0u8; frame_bytes]);
                let frame = match fill(&mut stdout, &mut buffer) {
                    Ok(true) => Ok(buffer),
                    // A partial frame at the end is ffmpeg dying mid-frame: the end; the exit
                    // status tells whether that was an error.
                    Ok(false) => return,
                    Err(source) => Err(MediaError::Io {
                        context: format!("reading {tool} output"),
                        source,
                    }),
                };
                let failed = frame.is_err();
                if sender.send(frame).is_err() || failed {
                    return;
                }
            }
        });
        Some(FrameReadAhead {
            frames,
            spare: spare_sender,
        })
    }

    /// Fills `buffer` from stdout; `Ok(false)` at a clean end of stream before any byte.
    pub fn read_frame(&mut self, buffer: &mut [u8]) -> Result<bool, MediaError> {
        let Some(stdout) = self.stdout.as_mut() else {
            return Ok(false);
        };
        let whole = fill(stdout, buffer).map_err(|source| MediaError::Io {
            context: format!("reading {} output", self.tool),
            source,
        })?;
        self.mark_progress();
        // A partial frame at the end is ffmpeg dying mid-frame: treat it as the end; the
        // exit status tells whether that was an error.
        Ok(whole)
    }

    /// Waits for the tool to exit and returns its stderr tail on failure.
    pub fn finish(mut self) -> Result<(), (Option<MediaError>, String)> {
        drop(self.stdout.take());
        let status = loop {
            let polled = match self.child.lock() {
                Ok(mut child) => child.try_wait(),
                Err(_) => return Err((None, String::from("tool state poisoned"))),
            };
            match polled {
                Ok(Some(status)) => break status,
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(error) => return Err((None, error.to_string())),
            }
        };
        self.finished.store(true, Ordering::Relaxed);
        let tail = self
            .stderr_thread
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
            .join("\n");
        if self.stalled.load(Ordering::Relaxed) {
            let error = MediaError::Timeout {
                tool: self.tool,
                seconds: STALL_TIMEOUT.as_secs(),
            };
            return Err((Some(error), tail));
        }
        if status.success() {
            Ok(())
        } else {
            Err((None, tail))
        }
    }
}

/// Fills `buffer` from `source`; `Ok(false)` when the stream ends first.
fn fill(source: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<bool> {
    match source.read_exact(buffer) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(error) => Err(error),
    }
}

/// Whole frames of a tool's stdout, read ahead on a thread (see [`StreamingTool::read_ahead`]).
pub struct FrameReadAhead {
    frames: Receiver<Result<Vec<u8>, MediaError>>,
    spare: std::sync::mpsc::Sender<Vec<u8>>,
}

impl FrameReadAhead {
    /// The next whole frame; `Ok(None)` at the end of the stream.
    pub fn next_frame(&self) -> Result<Option<Vec<u8>>, MediaError> {
        match self.frames.recv() {
            Ok(frame) => frame.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Hands a frame's buffer back for the reader to fill again.
    pub fn recycle(&self, buffer: Vec<u8>) {
        let _ = self.spare.send(buffer);
    }
}

impl Drop for StreamingTool {
    fn drop(&mut self) {
        self.finished.store(true, Ordering::Relaxed);
        if let Ok(mut child) = self.child.lock() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        if let Some(watchdog) = self.watchdog.take() {
            let _ = watchdog.join();
        }
    }
}

/// The filter instance and stamp of one showinfo frame line
/// (`[Parsed_showinfo_3 @ 0x55] n:  12 pts:   6144 pts_time:0.48 ...`), `None` for any other
/// line. A frame without a timestamp (`NOPTS`) gives a stamp of `None`s.
fn showinfo_frame_stamp(line: &str) -> Option<(&str, FrameStamp)> {
    let filter = line.trim_start().strip_prefix('[')?.split_once(" @ ")?.0;
    if !filter.contains("showinfo") {
        return None;
    }
    let rest = line.split_once(" pts:")?.1;
    let pts = rest
        .split_whitespace()
        .next()
        .and_then(|v| v.parse::<i64>().ok());
    let time = rest
        .split_once(" pts_time:")?
        .1
        .split_whitespace()
        .next()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|t| t.is_finite());
    Some((filter, FrameStamp { pts, time }))
}

/// Turns a failed run's stderr into the most specific error it allows.
pub fn classify_failure(tool: &'static str, path: &Path, stderr: &str) -> MediaError {
    let lower = stderr.to_ascii_lowercase();
    if !path.exists() || lower.contains("no such file or directory") {
        return MediaError::NotFound(path.to_path_buf());
    }
    let corrupt_markers = [
        "moov atom not found",
        "invalid nal unit",
        "end of file",
        "truncat",
        "error while decoding",
        "invalid frame",
        "partial file",
        "error reading header",
        "could not find codec parameters",
    ];
    for marker in corrupt_markers {
        if lower.contains(marker) {
            return MediaError::Corrupt(reason_line(stderr, marker));
        }
    }
    if lower.contains("decoder") && (lower.contains("not found") || lower.contains("unknown")) {
        return MediaError::Unsupported(reason_line(stderr, "decoder"));
    }
    if lower.contains("unsupported codec") || lower.contains("no decoder") {
        return MediaError::Unsupported(reason_line(stderr, "codec"));
    }
    if lower.contains("invalid data found when processing input") {
        return MediaError::NotMedia(String::from("ffmpeg recognises no format in it"));
    }
    // The tool ran and refused this file: blame the file, so one odd clip cannot stop a
    // whole run. A tool that cannot start at all is `ToolMissing` instead.
    match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => MediaError::Unreadable(clean(line)),
        None => MediaError::ToolFailed {
            tool,
            reason: String::from("exited with an error and no message"),
        },
    }
}

/// The stderr line holding `marker`, without ffmpeg's `[component @ 0x...]` prefix and the
/// file path.
fn reason_line(stderr: &str, marker: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.to_ascii_lowercase().contains(marker))
        .unwrap_or(marker);
    clean(line)
}

fn clean(line: &str) -> String {
    let mut text = line.trim();
    if text.starts_with('[')
        && let Some((_, rest)) = text.split_once("] ")
    {
        text = rest.trim();
    }
    // "path: Invalid data..." -> "Invalid data..."
    if let Some((head, rest)) = text.rsplit_once(": ")
        && (head.contains('/') || head.contains('.'))
    {
        text = rest;
    }
    let mut out = text.to_string();
    if let Some(first) = out.get_mut(0..1) {
        first.make_ascii_lowercase();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_showinfo_stamps_and_ignores_other_lines() {
        let line =
            "[Parsed_showinfo_1 @ 0x55] n:  12 pts:   6144 pts_time:0.48    pos: 4 fmt:rgb24";
        let stamp = FrameStamp {
            pts: Some(6144),
            time: Some(0.48),
        };
        assert_eq!(
            showinfo_frame_stamp(line),
            Some(("Parsed_showinfo_1", stamp))
        );
        let named = "[showinfo@sample @ 0x55] n:   3 pts:2000000 pts_time:2 pos: 4 fmt:rgb24";
        assert_eq!(
            showinfo_frame_stamp(named).map(|(filter, stamp)| (filter, stamp.pts)),
            Some((SAMPLE_SHOWINFO, Some(2_000_000)))
        );
        let none = "[Parsed_showinfo_1 @ 0x55] n:  0 pts: NOPTS pts_time:NOPTS pos: 4";
        assert_eq!(
            showinfo_frame_stamp(none),
            Some(("Parsed_showinfo_1", FrameStamp::default()))
        );
        assert_eq!(showinfo_frame_stamp("frame=  10 fps=0.0"), None);
        let other = "[Parsed_scale_0 @ 0x55] n: 1 pts: 5 pts_time:1";
        assert_eq!(showinfo_frame_stamp(other), None);
    }

    #[test]
    fn a_hung_tool_is_killed_by_the_timeout() {
        let started = Instant::now();
        let mut command = Command::new("sleep");
        command.arg("30");
        let result = run_with_timeout("ffprobe", &mut command, Duration::from_millis(200));
        assert!(matches!(
            result,
            Err(MediaError::Timeout {
                tool: "ffprobe",
                ..
            })
        ));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "killed, not waited for"
        );
    }

    #[test]
    fn a_streaming_tool_without_output_is_killed_by_the_watchdog() {
        let started = Instant::now();
        let mut command = Command::new("sleep");
        command.arg("30");
        let Ok(mut tool) =
            StreamingTool::spawn_with_stall("ffmpeg", &mut command, Duration::from_millis(300))
        else {
            panic!("sleep did not start");
        };
        let mut buffer = [0u8; 16];
        assert!(matches!(tool.read_frame(&mut buffer), Ok(false)));
        let outcome = tool.finish();
        assert!(matches!(
            outcome,
            Err((Some(MediaError::Timeout { .. }), _))
        ));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn an_unclassified_refusal_blames_the_file() {
        let error = classify_failure(
            "ffmpeg",
            Path::new("/"),
            "[foo @ 0x1] Something odd happened\n",
        );
        assert!(error.is_user_error());
        assert_eq!(
            error.to_string(),
            "ffmpeg cannot read it: something odd happened"
        );
    }

    #[test]
    fn classifies_a_missing_moov_atom_as_corrupt() {
        let stderr = "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5600] moov atom not found\n/tmp/x.mp4: Invalid data found when processing input\n";
        let error = classify_failure("ffprobe", Path::new("/"), stderr);
        assert_eq!(
            error.to_string(),
            "truncated or corrupt: moov atom not found"
        );
    }
}
