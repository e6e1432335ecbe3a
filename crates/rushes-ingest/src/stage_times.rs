//! Where one file's model-worker time goes: wall time per stage (captions, visual model,
//! thumbnails, OCR) and the time the worker waited for decoded frames, logged at
//! debug level when the file is done. It measures; it decides nothing.

use std::time::{Duration, Instant};

/// A stage of the model worker.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stage {
    Captions,
    Visual,
    Thumbnails,
    Ocr,
    /// Waiting for the decoder's next batch.
    Waiting,
}

const STAGES: usize = 5;

/// Accumulated wall time per [`Stage`], plus the frames and OCR runs seen.
#[derive(Debug, Default)]
pub(crate) struct StageTimes {
    spent: [Duration; STAGES],
    pub frames: usize,
    pub ocr_runs: usize,
}

impl StageTimes {
    /// Runs `work`, adding its wall time to `stage`.
    pub fn time<T>(&mut self, stage: Stage, work: impl FnOnce() -> T) -> T {
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
        let mut times = StageTimes::default();
        times.time(Stage::Ocr, || std::thread::sleep(Duration::from_millis(5)));
        times.time(Stage::Ocr, || std::thread::sleep(Duration::from_millis(5)));
        let answer = times.time(Stage::Thumbnails, || 42);
        assert_eq!(answer, 42);
        assert!(times.spent(Stage::Ocr) >= Duration::from_millis(10));
        assert!(times.spent(Stage::Thumbnails) < times.spent(Stage::Ocr));
        assert_eq!(times.spent(Stage::Waiting), Duration::ZERO);
    }
}
