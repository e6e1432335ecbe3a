//! Whether a frame of a video is the one the text gate last looked at, seen small: a
//! locked-off shot (a surveillance camera, a BTS camera on sticks between set-ups) gives the
//! gate the same picture second after second, and the detector would find the same boxes.
//! Owns only the comparison; `OcrEngine::read_in_sequence` decides when to use it.
//!
//! The frame is cut into cells of `CELL`×`CELL` pixels and each cell's mean luma is kept
//! (480×270 cells for a 960×540 frame, one pass over the frame). Two frames are the same
//! when no cell's mean moved by more than `CELL_CHANGE`. Text that appears anywhere changes
//! the cells its strokes cross: a stroke at least 1 px wide covers at least half of every
//! 2-px cell it runs through, wherever it falls, so a stroke of luma contrast above 16 moves
//! those cells by more than the tolerance; one cell is enough to count as a change. (The
//! faintest text of the tests and the bench, grey 0x9a on a 0x64 box, has contrast 54.)

use image::RgbImage;

/// Side of a cell, in frame pixels.
const CELL: u32 = 2;
/// Largest change of a cell's mean luma (0..255) that still counts as the same picture:
/// H.264 noise on a static shot, averaged over a cell, stays below it.
const CELL_CHANGE: u16 = 8;

/// A frame's cell means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StillFrame {
    /// The frame's size in pixels.
    size: (u32, u32),
    /// Mean luma per cell, row by row.
    cells: Vec<u8>,
}

impl StillFrame {
    pub(crate) fn of(image: &RgbImage) -> StillFrame {
        let (width, height) = image.dimensions();
        let columns = width.div_ceil(CELL) as usize;
        let rows = height.div_ceil(CELL) as usize;
        let mut sums = vec![0u32; columns * rows];
        let mut counts = vec![0u32; columns * rows];
        for (y, row) in image.rows().enumerate() {
            let cell_row = y / CELL as usize * columns;
            for (x, pixel) in row.enumerate() {
                let [r, g, b] = pixel.0;
                // BT.601 luma, integer weights summing to 256.
                let luma = (77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b)) >> 8;
                let cell = cell_row + x / CELL as usize;
                sums[cell] += luma;
                counts[cell] += 1;
            }
        }
        let cells = sums
            .iter()
            .zip(&counts)
            .map(|(&sum, &count)| (sum / count.max(1)) as u8)
            .collect();
        StillFrame {
            size: (width, height),
            cells,
        }
    }

    /// Whether no cell of `other` moved by more than `CELL_CHANGE` from this frame's.
    pub(crate) fn same_picture(&self, other: &StillFrame) -> bool {
        self.size == other.size
            && self.cells.len() == other.cells.len()
            && self
                .cells
                .iter()
                .zip(&other.cells)
                .all(|(&a, &b)| u16::from(a.abs_diff(b)) <= CELL_CHANGE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey_frame(level: u8) -> RgbImage {
        RgbImage::from_pixel(64, 36, image::Rgb([level, level, level]))
    }

    #[test]
    fn encoder_noise_is_the_same_picture() {
        let still = StillFrame::of(&grey_frame(100));
        let mut noisy = grey_frame(100);
        for (x, y, pixel) in noisy.enumerate_pixels_mut() {
            let level = if (x + y) % 2 == 0 { 104 } else { 97 };
            *pixel = image::Rgb([level, level, level]);
        }
        assert!(still.same_picture(&StillFrame::of(&noisy)));
    }

    #[test]
    fn one_thin_low_contrast_stroke_is_a_change() {
        let still = StillFrame::of(&grey_frame(100));
        let mut stroke = grey_frame(100);
        // A 1-px vertical stroke, 20 levels brighter, 8 px long, in one corner.
        for y in 20..28 {
            stroke.put_pixel(51, y, image::Rgb([120, 120, 120]));
        }
        assert!(!still.same_picture(&StillFrame::of(&stroke)));
        assert!(!still.same_picture(&StillFrame::of(&RgbImage::new(32, 36))));
    }
}
