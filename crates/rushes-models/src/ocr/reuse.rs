//! Reuse of the last frame's text: sampled frames of one shot often carry the same
//! burned-in slate or title, and reading it again (full-size detection plus recognition) is
//! most of OCR's cost in indexing. A frame whose text sits where the last read frame's did,
//! with the same pixels there, gets that frame's lines back. Owns only the comparison;
//! `OcrEngine::read_in_sequence` decides when to use it.
//!
//! The gate's boxes around the same text change from frame to frame (on the bench reel a
//! boxed slate's gate box spans 396 to 444 px as people walk behind it, and a stray box of
//! texture comes and goes), so boxes are not compared edge to edge: the frame's text is the
//! same when every gate box it has overlaps a place where the last read looked (its gate
//! boxes and lines), and the pixels inside the places that gave a line (the lines and the
//! last read's gate boxes around them) and inside this frame's gate boxes are the same as on
//! the last read frame. Text that appears elsewhere gives a gate box that overlaps nothing
//! read; text that appears beside, inside or instead of what was read changes pixels inside a
//! compared box. A stray gate box of texture the read kept no line from is not compared once
//! the gate no longer boxes it (a person walking past a held slate otherwise made every
//! next frame read the slate again): text appearing there gets a gate box of its own, whose
//! pixels are compared.

use image::RgbImage;

use super::det::TextBox;
use super::rec::OcrLine;

/// A pixel differs when any channel moved by more than half the box's contrast (its luma
/// spread, 2nd to 98th percentile, on the frame read: a changed glyph's strokes go from the
/// text's colour to the background's), kept between these: H.264 noise stays under the
/// floor, and no change above the ceiling is ever taken for noise.
const PIXEL_CHANGE_FLOOR: u8 = 12;
const PIXEL_CHANGE: u8 = 48;
/// Most pixels of a box that may differ: a changed digit of a timecode turns several
/// percent of its line's box; encoder noise around sharp glyph edges stays under this.
const MAX_CHANGED_SHARE: f64 = 0.002;
/// Highest mean absolute difference (per channel, 0..255) inside a box, and that share of
/// its contrast when larger: white text on an 85% black box over an animated film moves
/// the box's mean by up to 9 from one second to the next (the bench reel's Megamind slate)
/// while no pixel moves by 48; a changed glyph shows in the changed share first.
const MAX_MEAN_DIFFERENCE: f64 = 4.0;
const MAX_MEAN_SHARE_OF_CONTRAST: f64 = 0.1;

/// A rectangle of image pixels, x0, y0 inclusive, x1, y1 exclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Area {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl Area {
    /// `[x0, y0, x1, y1]` clipped to a `width`×`height` image; `None` when nothing is left.
    fn clipped(bounds: [f32; 4], width: u32, height: u32) -> Option<Area> {
        let [x0, y0, x1, y1] = bounds;
        let x0 = x0.floor().max(0.0) as u32;
        let y0 = y0.floor().max(0.0) as u32;
        let x1 = (x1.ceil().max(0.0) as u32).min(width);
        let y1 = (y1.ceil().max(0.0) as u32).min(height);
        (x0 < x1 && y0 < y1).then_some(Area { x0, y0, x1, y1 })
    }

    fn of_box(text_box: &TextBox, width: u32, height: u32) -> Option<Area> {
        Area::clipped(
            [text_box.x0, text_box.y0, text_box.x1, text_box.y1],
            width,
            height,
        )
    }

    fn overlaps(&self, other: &Area) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }
}

/// The last frame read in full: the frame, the places it had text (its gate boxes and the
/// boxes of the lines read), the places whose pixels must stay the same (the lines read and
/// the gate boxes around them) and its lines.
#[derive(Debug, Clone)]
pub(crate) struct LastRead {
    frame: RgbImage,
    text_areas: Vec<Area>,
    kept_areas: Vec<Area>,
    lines: Vec<OcrLine>,
}

impl LastRead {
    pub(crate) fn new(image: &RgbImage, gate_boxes: &[TextBox], lines: Vec<OcrLine>) -> Self {
        let (width, height) = image.dimensions();
        let line_areas: Vec<Area> = lines
            .iter()
            .filter_map(|line| Area::clipped(line.bbox, width, height))
            .collect();
        let gate_areas: Vec<Area> = gate_boxes
            .iter()
            .filter_map(|b| Area::of_box(b, width, height))
            .collect();
        // A gate box where the read kept no line held texture, not text: if text appears
        // there later, the gate boxes it and that box's pixels are compared.
        let kept_areas = gate_areas
            .iter()
            .filter(|gate| line_areas.iter().any(|line| line.overlaps(gate)))
            .chain(&line_areas)
            .copied()
            .collect();
        LastRead {
            frame: image.clone(),
            text_areas: gate_areas.into_iter().chain(line_areas).collect(),
            kept_areas,
            lines,
        }
    }

    /// The lines read before, when `image`'s text is where it was and its pixels are the same.
    pub(crate) fn lines_if_unchanged(
        &self,
        image: &RgbImage,
        gate_boxes: &[TextBox],
    ) -> Option<&[OcrLine]> {
        let (width, height) = image.dimensions();
        if self.frame.dimensions() != (width, height) || self.text_areas.is_empty() {
            return None;
        }
        let mut compared = self.kept_areas.clone();
        for gate_box in gate_boxes {
            let area = Area::of_box(gate_box, width, height)?;
            if !self.text_areas.iter().any(|read| read.overlaps(&area)) {
                tracing::debug!(?area, "OCR not reused: a gate box overlaps nothing read");
                return None;
            }
            compared.push(area);
        }
        if let Some(area) = compared
            .iter()
            .find(|area| !same_pixels(&self.frame, image, area))
        {
            tracing::debug!(?area, read = ?self.kept_areas, "OCR not reused: pixels changed");
            return None;
        }
        Some(self.lines.as_slice())
    }
}

/// Whether `area` holds the same pixels in both frames, up to encoder noise.
fn same_pixels(before: &RgbImage, now: &RgbImage, area: &Area) -> bool {
    let contrast = luma_spread(before, area);
    let pixel_change = (contrast / 2).clamp(PIXEL_CHANGE_FLOOR, PIXEL_CHANGE);
    let (mut changed, mut difference, mut pixels) = (0u64, 0u64, 0u64);
    for y in area.y0..area.y1 {
        for x in area.x0..area.x1 {
            let (a, b) = (now.get_pixel(x, y), before.get_pixel(x, y));
            let deltas = [0, 1, 2].map(|c| a[c].abs_diff(b[c]));
            difference += deltas.iter().map(|&d| u64::from(d)).sum::<u64>();
            changed += u64::from(deltas.iter().any(|&d| d > pixel_change));
            pixels += 1;
        }
    }
    if pixels == 0 {
        return false;
    }
    let changed_share = changed as f64 / pixels as f64;
    let mean_difference = difference as f64 / (3 * pixels) as f64;
    let max_mean = MAX_MEAN_DIFFERENCE.max(MAX_MEAN_SHARE_OF_CONTRAST * f64::from(contrast));
    let same = changed_share <= MAX_CHANGED_SHARE && mean_difference <= max_mean;
    if !same {
        tracing::debug!(
            changed_share,
            mean_difference,
            max_mean,
            contrast,
            "OCR reuse: pixels differ"
        );
    }
    same
}

/// The luma spread of `area` in `image`: 98th percentile minus 2nd.
fn luma_spread(image: &RgbImage, area: &Area) -> u8 {
    let mut histogram = [0u64; 256];
    for y in area.y0..area.y1 {
        for x in area.x0..area.x1 {
            let [r, g, b] = image.get_pixel(x, y).0;
            let luma = (77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b)) >> 8;
            histogram[luma as usize] += 1;
        }
    }
    let pixels: u64 = histogram.iter().sum();
    let level_at = |share: f64| {
        let wanted = (share * pixels as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        histogram
            .iter()
            .position(|&count| {
                seen += count;
                seen >= wanted
            })
            .unwrap_or(255) as u8
    };
    level_at(0.98).saturating_sub(level_at(0.02))
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
        let last = LastRead::new(&frame, &[boxed(10.0, 10.0, 90.0, 30.0)], vec![line("A")]);
        let reused = last.lines_if_unchanged(&frame, &[boxed(11.0, 9.0, 91.0, 31.0)]);
        assert_eq!(reused.map(<[OcrLine]>::len), Some(1));
        // The gate's box around the same pixels comes out narrower, or it misses one frame.
        let narrower = last.lines_if_unchanged(&frame, &[boxed(30.0, 10.0, 90.0, 30.0)]);
        assert_eq!(narrower.map(<[OcrLine]>::len), Some(1));
        assert!(last.lines_if_unchanged(&frame, &[]).is_some());
    }

    #[test]
    fn a_busy_background_through_a_dark_box_is_the_same_but_a_faint_glyph_is_not() {
        let area = Area {
            x0: 0,
            y0: 0,
            x1: 100,
            y1: 40,
        };
        // White bars on a dark box; the background moves the box's dark by up to 30.
        let boxed_text = |shift: u8| {
            RgbImage::from_fn(100, 40, |x, y| {
                if (10..30).contains(&y) && (20..28).contains(&x) {
                    image::Rgb([250, 250, 250])
                } else {
                    let dark = 10 + ((x + y) % 4) as u8 * shift;
                    image::Rgb([dark, dark, dark])
                }
            })
        };
        assert!(same_pixels(&boxed_text(0), &boxed_text(10), &area));
        // Grey text 30 levels above its box gets a second bar.
        let faint = |bars: &[u32]| {
            RgbImage::from_fn(100, 40, |x, y| {
                let on = (10..30).contains(&y) && bars.iter().any(|&b| (b..b + 4).contains(&x));
                let level = if on { 130 } else { 100 };
                image::Rgb([level, level, level])
            })
        };
        assert!(same_pixels(&faint(&[20]), &faint(&[20]), &area));
        assert!(!same_pixels(&faint(&[20]), &faint(&[20, 60]), &area));
    }

    #[test]
    fn a_stray_box_read_as_nothing_may_go_but_the_text_beside_it_may_not_change() {
        // A line read at x 10-40 and a stray gate box at 60-95 whose read kept nothing.
        let with_stray = RgbImage::from_fn(100, 40, |x, y| {
            let bar = (10..30).contains(&y) && ((20..28).contains(&x) || (70..80).contains(&x));
            image::Rgb(if bar { [250, 250, 250] } else { [5, 5, 5] })
        });
        let read_line = OcrLine {
            bbox: [10.0, 10.0, 40.0, 30.0],
            ..line("A")
        };
        let last = LastRead::new(
            &with_stray,
            &[boxed(10.0, 10.0, 40.0, 30.0), boxed(60.0, 10.0, 95.0, 30.0)],
            vec![read_line],
        );
        // The stray texture has gone; the gate boxes only the line, whose pixels are the same.
        let gone = frame_with_bar(20);
        let reused = last.lines_if_unchanged(&gone, &[boxed(10.0, 10.0, 40.0, 30.0)]);
        assert_eq!(reused.map(<[OcrLine]>::len), Some(1));
        // The stray's place now boxed over changed pixels: read again.
        assert!(
            last.lines_if_unchanged(
                &gone,
                &[boxed(10.0, 10.0, 40.0, 30.0), boxed(60.0, 10.0, 95.0, 30.0)]
            )
            .is_none()
        );
        // The line changed while the gate still boxes only it: read again.
        assert!(
            last.lines_if_unchanged(&frame_with_bar(30), &[boxed(10.0, 10.0, 40.0, 30.0)])
                .is_none()
        );
        // The line gone and no gate box where it was: read again.
        let blank = RgbImage::from_pixel(100, 40, image::Rgb([5, 5, 5]));
        assert!(
            last.lines_if_unchanged(&blank, &[boxed(60.0, 10.0, 95.0, 30.0)])
                .is_none()
        );
    }

    #[test]
    fn a_moved_glyph_or_a_box_where_nothing_was_read_means_reading_again() {
        let frame = frame_with_bar(20);
        let last = LastRead::new(&frame, &[boxed(10.0, 10.0, 50.0, 30.0)], vec![]);
        let moved_glyph = frame_with_bar(40);
        assert!(
            last.lines_if_unchanged(&moved_glyph, &[boxed(10.0, 10.0, 50.0, 30.0)])
                .is_none()
        );
        // A box beside the last read's: new text there, whatever its pixels.
        assert!(
            last.lines_if_unchanged(&frame, &[boxed(60.0, 10.0, 95.0, 30.0)])
                .is_none()
        );
        // A box that grows from the read one over pixels that changed: text was added.
        let added = frame_with_bar(54);
        let mut both = frame.clone();
        for (x, y, pixel) in added.enumerate_pixels() {
            if x >= 40 {
                both.put_pixel(x, y, *pixel);
            }
        }
        assert!(
            last.lines_if_unchanged(&both, &[boxed(10.0, 10.0, 60.0, 30.0)])
                .is_none()
        );
    }
}
