//! Whisper's log-mel input features: 16 kHz audio padded or cut to 30 s, a centred STFT
//! (400-point periodic Hann window, hop 160, reflect padding), power spectrum, Slaney mel
//! filterbank, log10, clamped to 8 below the maximum and scaled as `(x + 4) / 4`.

use std::sync::Arc;

use ndarray::Array2;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Sample rate Whisper expects.
pub const SAMPLE_RATE: u32 = 16_000;
/// FFT size.
pub const N_FFT: usize = 400;
/// Hop between frames.
pub const HOP: usize = 160;
/// Samples in one 30 s window.
pub const WINDOW_SAMPLES: usize = 480_000;
/// Frames in one 30 s window.
pub const WINDOW_FRAMES: usize = WINDOW_SAMPLES / HOP;

/// Computes log-mel features of a window, reused across calls.
pub struct MelExtractor {
    filters: Array2<f32>,
    hann: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
}

impl std::fmt::Debug for MelExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelExtractor")
            .field("mel_bins", &self.filters.nrows())
            .finish()
    }
}

impl MelExtractor {
    pub fn new(mel_bins: usize) -> MelExtractor {
        let hann = (0..N_FFT)
            .map(|n| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * n as f32 / N_FFT as f32).cos())
            .collect();
        MelExtractor {
            filters: mel_filters(mel_bins),
            hann,
            fft: FftPlanner::new().plan_fft_forward(N_FFT),
        }
    }

    pub fn mel_bins(&self) -> usize {
        self.filters.nrows()
    }

    /// Features [mel_bins, 3000] of the first 30 s of `samples` (zero-padded when shorter).
    pub fn features(&self, samples: &[f32]) -> Array2<f32> {
        let mut audio = vec![0.0f32; WINDOW_SAMPLES];
        let used = samples.len().min(WINDOW_SAMPLES);
        audio[..used].copy_from_slice(&samples[..used]);
        let padded = reflect_pad(&audio, N_FFT / 2);
        let bins = N_FFT / 2 + 1;
        let mut power = Array2::<f32>::zeros((bins, WINDOW_FRAMES));
        let mut buffer = vec![Complex::new(0.0f32, 0.0); N_FFT];
        let mut scratch = vec![Complex::new(0.0f32, 0.0); self.fft.get_inplace_scratch_len()];
        for frame in 0..WINDOW_FRAMES {
            let start = frame * HOP;
            for (slot, (sample, weight)) in buffer
                .iter_mut()
                .zip(padded[start..start + N_FFT].iter().zip(&self.hann))
            {
                *slot = Complex::new(sample * weight, 0.0);
            }
            self.fft.process_with_scratch(&mut buffer, &mut scratch);
            for (bin, value) in buffer.iter().take(bins).enumerate() {
                power[[bin, frame]] = value.norm_sqr();
            }
        }
        let mut mel = self.filters.dot(&power);
        mel.mapv_inplace(|v| v.max(1e-10).log10());
        let ceiling = mel.iter().copied().fold(f32::MIN, f32::max);
        mel.mapv_inplace(|v| (v.max(ceiling - 8.0) + 4.0) / 4.0);
        mel
    }
}

/// `signal` with `pad` samples mirrored at each end (numpy's "reflect": the edge sample is
/// not repeated).
fn reflect_pad(signal: &[f32], pad: usize) -> Vec<f32> {
    let length = signal.len();
    let mut out = Vec::with_capacity(length + 2 * pad);
    out.extend((1..=pad).rev().map(|i| signal[i.min(length - 1)]));
    out.extend_from_slice(signal);
    out.extend((0..pad).map(|i| signal[length.saturating_sub(2 + i)]));
    out
}

fn hz_to_mel(hz: f64) -> f64 {
    let linear_step = 200.0 / 3.0;
    let log_start_hz = 1000.0;
    let log_step = 6.4f64.ln() / 27.0;
    if hz >= log_start_hz {
        log_start_hz / linear_step + (hz / log_start_hz).ln() / log_step
    } else {
        hz / linear_step
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let linear_step = 200.0 / 3.0;
    let log_start_hz = 1000.0;
    let log_start_mel = log_start_hz / linear_step;
    let log_step = 6.4f64.ln() / 27.0;
    if mel >= log_start_mel {
        log_start_hz * (log_step * (mel - log_start_mel)).exp()
    } else {
        mel * linear_step
    }
}

/// Slaney-scale, Slaney-normalised triangular filters [mel_bins, N_FFT/2 + 1] from 0 Hz to
/// the Nyquist frequency (as librosa's `filters.mel` builds them for Whisper).
fn mel_filters(mel_bins: usize) -> Array2<f32> {
    let bins = N_FFT / 2 + 1;
    let nyquist = f64::from(SAMPLE_RATE) / 2.0;
    let top = hz_to_mel(nyquist);
    let edges: Vec<f64> = (0..mel_bins + 2)
        .map(|i| mel_to_hz(top * i as f64 / (mel_bins + 1) as f64))
        .collect();
    let mut filters = Array2::<f32>::zeros((mel_bins, bins));
    for mel in 0..mel_bins {
        let (low, centre, high) = (edges[mel], edges[mel + 1], edges[mel + 2]);
        let norm = 2.0 / (high - low);
        for bin in 0..bins {
            let hz = bin as f64 * f64::from(SAMPLE_RATE) / N_FFT as f64;
            let rising = (hz - low) / (centre - low);
            let falling = (high - hz) / (high - centre);
            filters[[mel, bin]] = (rising.min(falling).max(0.0) * norm) as f32;
        }
    }
    filters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_lights_the_mel_bin_of_its_frequency() {
        let extractor = MelExtractor::new(80);
        let tone: Vec<f32> = (0..SAMPLE_RATE as usize)
            .map(|n| (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / SAMPLE_RATE as f32).sin())
            .collect();
        let features = extractor.features(&tone);
        assert_eq!(features.dim(), (80, WINDOW_FRAMES));
        // Frame 50 (0.5 s) is inside the tone; the loudest mel bin is the one whose
        // filter peaks nearest 1 kHz.
        let column = features.column(50);
        let loudest =
            column.iter().enumerate().fold(
                (0, f32::MIN),
                |best, (i, &v)| if v > best.1 { (i, v) } else { best },
            );
        let expected = (0..80)
            .min_by(|&a, &b| {
                let centre = |m: usize| mel_to_hz(hz_to_mel(8000.0) * (m + 1) as f64 / 81.0);
                (centre(a) - 1000.0)
                    .abs()
                    .total_cmp(&(centre(b) - 1000.0).abs())
            })
            .unwrap_or(0);
        assert_eq!(loudest.0, expected);
        // After the tone (frame 2000 = 20 s) everything sits at the floor, 8 below the peak.
        let floor = features[[10, 2000]];
        assert!(
            (loudest.1 - floor - 2.0).abs() < 1e-3,
            "{} {floor}",
            loudest.1
        );
    }

    #[test]
    fn mel_scale_round_trips_and_filters_cover_the_spectrum() {
        for hz in [0.0, 300.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
        let filters = mel_filters(80);
        for mel in 0..80 {
            assert!(
                filters.row(mel).iter().any(|&w| w > 0.0),
                "filter {mel} empty"
            );
        }
    }
}
