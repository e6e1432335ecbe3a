//! Reuse of the last frame's text: sampled frames of one shot often carry the same
//! burned-in slate or title, and reading it again (full-size detection plus recognition) is
//! most of OCR's cost in indexing. A frame whose gate boxes sit where the last read frame's
//! did, with the same pixels inside them, gets that frame's lines back. Owns only the
//! comparison; `OcrEngine::read_in_sequence` decides when to use it.

use image::RgbImage;

use super::OcrLine;
use super::det::TextBox;

/// Largest shift (image pixels) of a gate box edge between frames that still counts as the
/// same box: the gate runs on a copy about half the size, so one gate pixel is about two.
const BOX_TOLERANCE: f32 = 4.0;
/// A pixel differs when any channel moved by more than this (H.264 noise on static text
/// stays well below; a changed glyph's strokes go from near black to near white).
const PIXEL_CHANGE: u8 = 48;
/// Most pixels of the boxes that may differ: a changed digit of a timecode turns several
/// percent of its line's box; encoder noise around sharp glyph edges stays under this.
const MAX_CHANGED_SHARE: f64 = 0.002;
/// Highest mean absolute difference (per channel, 0..255) inside the boxes: text over a
/// moving background seen through a translucent box changes this much before a glyph does.
const MAX_MEAN_DIFFERENCE: f64 = 4.0;

/// The last frame read in full: its gate boxes, the pixels inside them and its lines.
#[derive(Debug, Clone)]
pub(crate) struct LastRead {
    boxes: Vec<TextBox>,
    patches: Vec<RgbImage>,
    lines: Vec<OcrLine>,
}

impl LastRead {
    pub(crate) fn new(image: &RgbImage, gate_boxes: Vec<TextBox>, lines: Vec<OcrLine>) -> Self {
        let patches = gate_boxes.iter().map(|b| patch(image, b)).collect();
        LastRead {
            boxes: gate_boxes,
            patches,
            lines,
        }
    }

    /// The lines read before, when `image`'s gate boxes and their pixels are the same.
    pub(crate) fn lines_if_unchanged(
        &self,
        image: &RgbImage,
        gate_boxes: &[TextBox],
    ) -> Option<&[OcrLine]> {
        if gate_boxes.len() != self.boxes.len() {
            return None;
        }
        let (mut changed, mut difference, mut pixels) = (0u64, 0u64, 0u64);
        for ((now, before), before_pixels) in gate_boxes.iter().zip(&self.boxes).zip(&self.patches)
        {
            if !same_place(now, before) {
                return None;
            }
            let now_pixels = patch(image, before);
            if now_pixels.dimensions() != before_pixels.dimensions() {
                return None;
            }
            for (a, b) in now_pixels.pixels().zip(before_pixels.pixels()) {
                let deltas = [0, 1, 2].map(|c| a[c].abs_diff(b[c]));
                difference += deltas.iter().map(|&d| u64::from(d)).sum::<u64>();
                changed += u64::from(deltas.iter().any(|&d| d > PIXEL_CHANGE));
                pixels += 1;
            }
        }
        if pixels == 0 {
            return None;
        }
        let changed_share = changed as f64 / pixels as f64;
        let mean_difference = difference as f64 / (3 * pixels) as f64;
        (changed_share <= MAX_CHANGED_SHARE && mean_difference <= MAX_MEAN_DIFFERENCE)
            .then_some(self.lines.as_slice())
    }
}

fn same_place(a: &TextBox, b: &TextBox) -> bool {
    (a.x0 - b.x0).abs() <= BOX_TOLERANCE
        && (a.y0 - b.y0).abs() <= BOX_TOLERANCE
        && (a.x1 - b.x1).abs() <= BOX_TOLERANCE
        && (a.y1 - b.y1).abs() <= BOX_TOLERANCE
}

/// The pixels inside `text_box`, clipped to the image.
fn patch(image: &RgbImage, text_box: &TextBox) -> RgbImage {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return RgbImage::new(0, 0);
    }
    let x0 = (text_box.x0.max(0.0) as u32).min(width - 1);
    let y0 = (text_box.y0.max(0.0) as u32).min(height - 1);
    let x1 = (text_box.x1.ceil().max(0.0) as u32).clamp(x0 + 1, width);
    let y1 = (text_box.y1.ceil().max(0.0) as u32).clamp(y0 + 1, height);
    image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(x0: f32, y0: f32, x1: f32, y1: f32) -> TextBox {
        TextBox {
            x0,
            y0,
            x1,
            y1,
            score: 0.9,
            angle: 0.0,
        }
    }

    fn line(text: &str) -> OcrLine {
        OcrLine {
            text: text.to_string(),
            score: 0.95,
            bbox: [10.0, 10.0, 90.0, 30.0],
        }
    }

    fn frame_with_bar(bar_start: u32) -> RgbImage {
        RgbImage::from_fn(100, 40, |x, y| {
            if (10..30).contains(&y) && (bar_start..bar_start + 8).contains(&x) {
                image::Rgb([250, 250, 250])
            } else {
                image::Rgb([5, 5, 5])
            }
        })
    }

    #[test]
    fn the_same_pixels_in_the_same_boxes_give_the_lines_back() {
        let frame = frame_with_bar(20);
        let last = LastRead::new(&frame, vec![boxed(10.0, 10.0, 90.0, 30.0)], vec![line("A")]);
        let reused = last.lines_if_unchanged(&frame, &[boxed(11.0, 9.0, 91.0, 31.0)]);
        assert_eq!(reused.map(<[OcrLine]>::len), Some(1));
    }

    #[test]
    fn a_moved_glyph_or_box_means_reading_again() {
        let frame = frame_with_bar(20);
        let last = LastRead::new(&frame, vec![boxed(10.0, 10.0, 90.0, 30.0)], vec![line("A")]);
        let moved_glyph = frame_with_bar(40);
        assert!(
            last.lines_if_unchanged(&moved_glyph, &[boxed(10.0, 10.0, 90.0, 30.0)])
                .is_none()
        );
        assert!(
            last.lines_if_unchanged(&frame, &[boxed(30.0, 10.0, 90.0, 30.0)])
                .is_none()
        );
        assert!(last.lines_if_unchanged(&frame, &[]).is_none());
    }
}
