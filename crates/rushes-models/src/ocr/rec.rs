//! PP-OCR text recognition: crops -> [N, 3, 48, W] tensors (BGR, mean/std 0.5, width by
//! aspect ratio, zero padded) -> CTC greedy decoding over the model's character list
//! (blank at 0, space at the end, as RapidOCR builds it).

use image::RgbImage;
use image::imageops::FilterType;
use ndarray::{Array4, ArrayView2, Axis};

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

/// [N, 3, 48, W] for crops of one batch, W from the widest aspect ratio (at least 320).
pub fn preprocess(crops: &[RgbImage]) -> Array4<f32> {
    let max_ratio = crops
        .iter()
        .map(|c| c.width() as f32 / c.height().max(1) as f32)
        .fold(REC_MIN_WIDTH as f32 / REC_HEIGHT as f32, f32::max);
    let width = ((REC_HEIGHT as f32 * max_ratio).ceil() as u32).min(REC_MAX_WIDTH);
    let mut tensor = Array4::<f32>::zeros((crops.len(), 3, REC_HEIGHT as usize, width as usize));
    for (index, crop) in crops.iter().enumerate() {
        let ratio = crop.width() as f32 / crop.height().max(1) as f32;
        let resized_width = ((REC_HEIGHT as f32 * ratio).ceil() as u32).clamp(1, width);
        let resized =
            image::imageops::resize(crop, resized_width, REC_HEIGHT, FilterType::Triangle);
        for (x, y, pixel) in resized.enumerate_pixels() {
            for (plane, channel) in [2usize, 1, 0].into_iter().enumerate() {
                tensor[[index, plane, y as usize, x as usize]] =
                    (f32::from(pixel[channel]) / 255.0 - 0.5) / 0.5;
            }
        }
    }
    tensor
}

/// CTC greedy decoding of one [T, C] probability matrix: best class per step, repeats
/// merged, blanks dropped; score = mean probability of the kept steps.
pub fn ctc_greedy(probs: ArrayView2<f32>, table: &[String]) -> (String, f32) {
    let mut text = String::new();
    let mut kept = Vec::new();
    let mut previous = usize::MAX;
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
            text.push_str(character);
            kept.push(p);
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
    fn wide_crops_widen_the_batch_and_narrow_ones_are_padded() {
        let wide = RgbImage::new(960, 48);
        let narrow = RgbImage::new(48, 48);
        let tensor = preprocess(&[wide, narrow]);
        assert_eq!(tensor.shape(), &[2, 3, 48, 960]);
        // Black pixels normalise to -1; padding stays 0.
        assert_eq!(tensor[[1, 0, 10, 10]], -1.0);
        assert_eq!(tensor[[1, 0, 10, 500]], 0.0);
    }
}
