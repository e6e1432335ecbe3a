//! PP-OCR text recognition: crops -> [N, 3, 48, W] tensors (BGR, mean/std 0.5, width by
//! aspect ratio, bilinear as cv2, zero padded) -> CTC greedy decoding over the model's character list
//! (blank at 0, space at the end, as RapidOCR builds it), and the [`OcrLine`] a read gives.

use image::RgbImage;
use ndarray::{Array4, ArrayView2, ArrayViewMut3, Axis, s};

/// One line of recognised text.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrLine {
    pub text: String,
    /// Mean character probability, 0..1.
    pub score: f32,
    /// x0, y0, x1, y1 in image pixels.
    pub bbox: [f32; 4],
}

/// Input height of the PP-OCRv4 recogniser.
pub const REC_HEIGHT: u32 = 48;
/// Width the recogniser was trained at; narrower batches are padded to this.
pub const REC_MIN_WIDTH: u32 = 320;
/// Widest crop fed to the recogniser (keeps memory bounded on very long lines).
pub const REC_MAX_WIDTH: u32 = 3200;

/// The character table: the model's list with blank at 0 and space at the end.
pub fn character_table(metadata: &str) -> Vec<String> {
    let mut table = vec![String::new()];
    table.extend(
        metadata
            .split('\n')
            .map(|line| line.trim_end_matches('\r').to_string()),
    );
    // A trailing newline in the metadata would add an empty entry; RapidOCR has none.
    if table.len() > 1 && table.last().is_some_and(String::is_empty) {
        table.pop();
    }
    table.push(" ".to_string());
    table
}

/// [N, 3, 48, W] for crops of one batch, as RapidOCR's `resize_norm_img`: W = ⌊48 × the
/// widest aspect ratio⌋ (at least 320), each crop resized (bilinear, like `cv2.resize`) to
/// height 48 and ⌈48 × its ratio⌉ wide, then zero padded on the right.
pub fn preprocess(crops: &[RgbImage]) -> Array4<f32> {
    // Integer arithmetic: ⌊48·w/h⌋ and ⌈48·w/h⌉ exactly, with no float rounding at 320.
    let height = u64::from(REC_HEIGHT);
    let width = crops
        .iter()
        .map(|c| height * u64::from(c.width()) / u64::from(c.height().max(1)))
        .fold(u64::from(REC_MIN_WIDTH), u64::max)
        .min(u64::from(REC_MAX_WIDTH)) as u32;
    let mut tensor = Array4::<f32>::zeros((crops.len(), 3, REC_HEIGHT as usize, width as usize));
    for (index, crop) in crops.iter().enumerate() {
        let resized_width = (height * u64::from(crop.width()))
            .div_ceil(u64::from(crop.height().max(1)))
            .clamp(1, u64::from(width)) as u32;
        let resized = resize_bilinear(crop, resized_width, REC_HEIGHT);
        write_bgr_planes(&resized, tensor.index_axis_mut(Axis(0), index));
    }
    tensor
}

/// Writes `image` into the top-left corner of `planes` ([3, H, W], at least the image's
/// size) as the PP-OCR graphs take it: B, G and R planes of (value / 255 - 0.5) / 0.5.
/// Row slices and a table of the 256 values instead of an indexed write per sample (the
/// same values: each entry is the same expression).
pub fn write_bgr_planes(image: &RgbImage, mut planes: ArrayViewMut3<f32>) {
    let width = image.width() as usize;
    if width == 0 {
        return;
    }
    let normalised: [f32; 256] =
        std::array::from_fn(|value| (f32::from(value as u8) / 255.0 - 0.5) / 0.5);
    for (y, row) in image.as_raw().chunks_exact(width * 3).enumerate() {
        for (plane, channel) in [2usize, 1, 0].into_iter().enumerate() {
            let mut out = planes.slice_mut(s![plane, y, ..width]);
            for (value, pixel) in out.iter_mut().zip(row.chunks_exact(3)) {
                *value = normalised[usize::from(pixel[channel])];
            }
        }
    }
}

/// Bilinear resize with OpenCV's `INTER_LINEAR` sampling (pixel centres aligned, edges
/// clamped, no anti-aliasing), so crops reach the models as they do in RapidOCR.
pub fn resize_bilinear(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (src_width, src_height) = (image.width(), image.height());
    if src_width == 0 || src_height == 0 || width == 0 || height == 0 {
        return RgbImage::new(width, height);
    }
    // Source index and weight of the right/lower neighbour for each destination index.
    let taps = |dst: u32, src: u32| -> Vec<(u32, u32, f32)> {
        let scale = src as f64 / dst as f64;
        (0..dst)
            .map(|d| {
                let position = (d as f64 + 0.5) * scale - 0.5;
                let mut first = position.floor();
                let mut weight = position - first;
                if first < 0.0 {
                    first = 0.0;
                    weight = 0.0;
                }
                let mut first = first as u32;
                if first >= src - 1 {
                    first = src - 1;
                    weight = 0.0;
                }
                (first, (first + 1).min(src - 1), weight as f32)
            })
            .collect()
    };
    let columns = taps(width, src_width);
    let rows = taps(height, src_height);
    // Rows and pixels as slices: `get_pixel`'s bounds checks and the `roundf` call per
    // channel were most of the OCR gate's own preprocessing time (the same sums as before,
    // so the same bytes).
    let source_row = src_width as usize * 3;
    let source: &[u8] = image.as_raw();
    let mut out = RgbImage::new(width, height);
    let out_row = width as usize * 3;
    for (row_out, &(top, bottom, wy)) in out.chunks_exact_mut(out_row).zip(&rows) {
        let upper_row = &source[top as usize * source_row..][..source_row];
        let lower_row = &source[bottom as usize * source_row..][..source_row];
        for (pixel, &(left, right, wx)) in row_out.chunks_exact_mut(3).zip(&columns) {
            let (left, right) = (left as usize * 3, right as usize * 3);
            for (channel, value) in pixel.iter_mut().enumerate() {
                let (a, b) = (upper_row[left + channel], upper_row[right + channel]);
                let (c, d) = (lower_row[left + channel], lower_row[right + channel]);
                let upper = f32::from(a) * (1.0 - wx) + f32::from(b) * wx;
                let lower = f32::from(c) * (1.0 - wx) + f32::from(d) * wx;
                *value = round_to_u8(upper * (1.0 - wy) + lower * wy);
            }
        }
    }
    out
}

/// `value.round().clamp(0.0, 255.0) as u8` for a blend of bytes (never negative, never NaN)
/// without the `roundf` call: from 0.5 up, adding 0.5 and truncating rounds half away from
/// zero exactly as `round` does (the sum is exact or crosses a power of two only where both
/// agree); below 0.5, where the addition itself can round up to 1.0, the answer is 0. The
/// cast saturates at 255.
fn round_to_u8(value: f32) -> u8 {
    if value < 0.5 { 0 } else { (value + 0.5) as u8 }
}

/// A word gap whose steps give the space class at least this probability is read as a space
/// even where blank wins every step (PP-OCRv4 often puts 0.2–0.3 on the space between bold
/// words and under 0.02 between letters).
pub const SPACE_RESCUE_PROBABILITY: f32 = 0.1;

/// CTC greedy decoding of one [T, C] probability matrix: best class per step, repeats
/// merged, blanks dropped; score = mean probability of the kept steps. The space class is
/// the last one; a run of blank steps between two characters becomes a space when the
/// space class reaches `SPACE_RESCUE_PROBABILITY` in it.
pub fn ctc_greedy(probs: ArrayView2<f32>, table: &[String]) -> (String, f32) {
    let space = table
        .len()
        .checked_sub(1)
        .filter(|&i| i > 0 && table[i] == " ");
    let mut text = String::new();
    let mut kept = Vec::new();
    let mut previous = usize::MAX;
    // Highest space probability since the last kept character.
    let mut gap_space = 0.0f32;
    for step in probs.axis_iter(Axis(0)) {
        let (best, p) =
            step.iter()
                .enumerate()
                .fold((0usize, f32::NEG_INFINITY), |acc, (i, &p)| {
                    if p > acc.1 { (i, p) } else { acc }
                });
        if best != 0
            && best != previous
            && let Some(character) = table.get(best)
        {
            let rescue = space.is_some_and(|s| best != s)
                && gap_space >= SPACE_RESCUE_PROBABILITY
                && !text.is_empty()
                && !text.ends_with(' ');
            if rescue {
                text.push(' ');
            }
            text.push_str(character);
            kept.push(p);
            gap_space = 0.0;
        } else if best == 0
            && let Some(s) = space
        {
            gap_space = gap_space.max(step.get(s).copied().unwrap_or(0.0));
        }
        previous = best;
    }
    let score = if kept.is_empty() {
        0.0
    } else {
        kept.iter().sum::<f32>() / kept.len() as f32
    };
    (text, score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn table_has_blank_first_and_space_last() {
        let table = character_table("a\nb\nc");
        assert_eq!(table, vec!["", "a", "b", "c", " "]);
    }

    #[test]
    fn ctc_merges_repeats_but_not_across_blanks() {
        let table = character_table("a\nb");
        // steps: a a blank a b space b
        let classes = [1usize, 1, 0, 1, 2, 3, 2];
        let mut probs = Array2::<f32>::zeros((classes.len(), table.len()));
        for (t, &c) in classes.iter().enumerate() {
            probs[[t, c]] = 0.8;
        }
        let (text, score) = ctc_greedy(probs.view(), &table);
        assert_eq!(text, "aab b");
        assert!((score - 0.8).abs() < 1e-6);
    }

    #[test]
    fn a_word_gap_where_space_is_likely_but_not_best_becomes_a_space() {
        let table = character_table("a\nb");
        let space = table.len() - 1;
        // a, blank (space 0.3), b, blank (space 0.01), a
        let mut probs = Array2::<f32>::zeros((5, table.len()));
        probs[[0, 1]] = 0.9;
        probs[[1, 0]] = 0.7;
        probs[[1, space]] = 0.3;
        probs[[2, 2]] = 0.9;
        probs[[3, 0]] = 0.99;
        probs[[3, space]] = 0.01;
        probs[[4, 1]] = 0.9;
        let (text, score) = ctc_greedy(probs.view(), &table);
        assert_eq!(text, "a ba");
        assert!((score - 0.9).abs() < 1e-6);
    }

    #[test]
    fn rounding_blends_matches_round_and_clamp() {
        let below_half = f32::from_bits(0.5f32.to_bits() - 1);
        for value in [
            0.0, below_half, 0.5, 1.5, 2.5, 127.49998, 254.5, 254.99998, 255.0, 255.00002,
        ] {
            assert_eq!(
                round_to_u8(value),
                value.round().clamp(0.0, 255.0) as u8,
                "{value}"
            );
        }
        let mut value = 0.0f32;
        while value < 256.0 {
            assert_eq!(
                round_to_u8(value),
                value.round().clamp(0.0, 255.0) as u8,
                "{value}"
            );
            value = f32::from_bits(value.to_bits() + 977);
        }
    }

    #[test]
    fn crops_resize_like_cv2_inter_linear() {
        // 2 px -> 4 px: OpenCV samples at -0.25, 0.25, 0.75, 1.25 -> 0, 25, 75, 100.
        let mut image = RgbImage::new(2, 1);
        image.put_pixel(1, 0, image::Rgb([100, 100, 100]));
        let resized = resize_bilinear(&image, 4, 1);
        let row: Vec<u8> = resized.pixels().map(|p| p[0]).collect();
        assert_eq!(row, vec![0, 25, 75, 100]);
    }

    #[test]
    fn wide_crops_widen_the_batch_and_narrow_ones_are_padded() {
        let wide = RgbImage::new(960, 48);
        let narrow = RgbImage::new(48, 48);
        let tensor = preprocess(&[wide, narrow]);
        assert_eq!(tensor.shape(), &[2, 3, 48, 960]);
        // Black pixels normalise to -1; padding stays 0.
        assert_eq!(tensor[[1, 0, 10, 10]], -1.0);
        assert_eq!(tensor[[1, 0, 10, 500]], 0.0);
    }

    #[test]
    fn planes_are_bgr_normalised_per_sample_and_padding_is_left_alone() {
        let image = RgbImage::from_fn(5, 3, |x, y| {
            image::Rgb([
                (x * 50) as u8,
                (y * 90 + 7) as u8,
                (x * y * 17 + 255 - x) as u8,
            ])
        });
        let mut planes = ndarray::Array3::<f32>::from_elem((3, 4, 8), 9.0);
        write_bgr_planes(&image, planes.view_mut());
        for (x, y, pixel) in image.enumerate_pixels() {
            for (plane, channel) in [2usize, 1, 0].into_iter().enumerate() {
                let expected = (f32::from(pixel[channel]) / 255.0 - 0.5) / 0.5;
                let written = planes[[plane, y as usize, x as usize]];
                assert_eq!(written.to_bits(), expected.to_bits(), "{x},{y},{plane}");
            }
        }
        assert_eq!(planes[[0, 3, 0]], 9.0, "rows below the image untouched");
        assert_eq!(
            planes[[2, 0, 5]],
            9.0,
            "columns right of the image untouched"
        );
    }
}
