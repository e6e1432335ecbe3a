//! Where one file's model-worker time goes: wall time per stage (captions, visual model,
//! thumbnails, OCR) and the time the worker waited for decoded frames, logged at
//! debug level when the file is done. It measures; it decides nothing. With debug logging
//! off for this module (the default), it reads no clock and logs nothing.

use std::time::{Duration, Instant};

/// A stage of the model worker.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    Captions,
    Visual,
    Thumbnails,
    Ocr,
    /// Waiting for the decoder's next batch.
    Waiting,
}

const STAGES: usize = 5;

/// Accumulated wall time per [`Stage`], plus the frames and OCR runs seen.
#[derive(Debug)]
pub struct StageTimes {
    /// Whether anyone will read the debug line; decided once, when the file starts.
    measuring: bool,
    spent: [Duration; STAGES],
    pub frames: usize,
    pub ocr_runs: usize,
}

impl StageTimes {
    /// Times for one file: measured only when debug logging is on for this module.
    pub fn for_one_file() -> Self {
        Self::measuring(tracing::enabled!(tracing::Level::DEBUG))
    }

    fn measuring(measuring: bool) -> Self {
        StageTimes {
            measuring,
            spent: [Duration::ZERO; STAGES],
            frames: 0,
            ocr_runs: 0,
        }
    }

    /// Runs `work`, adding its wall time to `stage` when measuring.
    pub fn time<T>(&mut self, stage: Stage, work: impl FnOnce() -> T) -> T {
        if !self.measuring {
            return work();
        }
        let started = Instant::now();
        let result = work();
        self.spent[stage as usize] += started.elapsed();
        result
    }

    pub fn spent(&self, stage: Stage) -> Duration {
        self.spent[stage as usize]
    }

    /// One debug line with every stage in seconds, and the file's whole decode-and-models
    /// wall time.
    pub fn log(&self, path: &std::path::Path, analysis: Duration) {
        if !self.measuring {
            return;
        }
        let seconds = |stage| self.spent(stage).as_secs_f64();
        tracing::debug!(
            path = %path.display(),
            analysis_s = analysis.as_secs_f64(),
            frames = self.frames,
            ocr_runs = self.ocr_runs,
            captions_s = seconds(Stage::Captions),
            visual_s = seconds(Stage::Visual),
            thumbnails_s = seconds(Stage::Thumbnails),
            ocr_s = seconds(Stage::Ocr),
            waiting_for_frames_s = seconds(Stage::Waiting),
            "model worker time"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_keeps_its_own_total() {
        let mut times = StageTimes::measuring(true);
        times.time(Stage::Ocr, || std::thread::sleep(Duration::from_millis(5)));
        times.time(Stage::Ocr, || std::thread::sleep(Duration::from_millis(5)));
        let answer = times.time(Stage::Thumbnails, || 42);
        assert_eq!(answer, 42);
        assert!(times.spent(Stage::Ocr) >= Duration::from_millis(10));
        assert!(times.spent(Stage::Thumbnails) < times.spent(Stage::Ocr));
        assert_eq!(times.spent(Stage::Waiting), Duration::ZERO);
    }

    /// Runs one file's worth of timing under a subscriber at `level`; what it logged.
    fn logged_at(level: tracing::Level) -> String {
        let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&written);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || SharedBuffer(std::sync::Arc::clone(&sink)))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let mut times = StageTimes::for_one_file();
            let answer = times.time(Stage::Ocr, || {
                std::thread::sleep(Duration::from_millis(5));
                7
            });
            assert_eq!(answer, 7, "the work runs whether or not it is timed");
            times.ocr_runs += 1;
            times.log(std::path::Path::new("take_3.mov"), Duration::from_secs(1));
        });
        let bytes = written
            .lock()
            .map(|bytes| bytes.clone())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for SharedBuffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut buffer) = self.0.lock() {
                buffer.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_per_file_line_is_logged_with_debug_on_and_nothing_is_measured_with_it_off() {
        let debug = logged_at(tracing::Level::DEBUG);
        assert!(debug.contains("model worker time"), "{debug}");
        assert!(debug.contains("path=take_3.mov"), "{debug}");
        assert!(debug.contains("ocr_runs=1"), "{debug}");
        let ocr_seconds: f64 = debug
            .split_whitespace()
            .find_map(|field| field.strip_prefix("ocr_s="))
            .and_then(|value| value.parse().ok())
            .unwrap_or_default();
        assert!(
            ocr_seconds >= 0.005,
            "OCR's 5 ms were not measured: {debug}"
        );

        assert_eq!(logged_at(tracing::Level::INFO), "");
        assert!(
            !StageTimes::for_one_file().measuring,
            "no subscriber, no timing"
        );
    }
}
