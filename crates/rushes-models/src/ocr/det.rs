//! PP-OCR text detection: image -> DB probability map -> text boxes. Pre-processing
//! (bilinear resize as cv2 to multiples of 32, BGR, mean/std 0.5) and DB post-processing (binarise,
//! dilate, connected regions, box score, unclip, sort) as RapidOCR 1.4.4 configures them.
//! Boxes are axis-aligned; a box around a tilted line (a slate held at an angle) carries the
//! line's tilt, measured from its region, so the reader can level the crop.

use image::RgbImage;
use ndarray::{Array4, ArrayView2};

/// DB post-processing settings (RapidOCR 1.4.4 `config.yaml` values).
#[derive(Debug, Clone, Copy)]
pub struct DbParams {
    /// Probability above which a pixel is text.
    pub binarise_threshold: f32,
    /// Lowest mean probability inside a box.
    pub box_threshold: f32,
    /// How far a shrunk DB region is grown back (area * ratio / perimeter).
    pub unclip_ratio: f32,
    /// Shortest side (map pixels) of a region before unclipping.
    pub min_size: f32,
    /// The shorter image side is scaled up to at least this (RapidOCR `limit_side_len`).
    pub limit_side_len: u32,
    /// The longer image side is scaled down to at most this (RapidOCR `max_side_len`).
    pub max_side_len: u32,
    /// Most regions considered per image.
    pub max_candidates: usize,
}

impl Default for DbParams {
    fn default() -> Self {
        DbParams {
            binarise_threshold: 0.3,
            box_threshold: 0.5,
            unclip_ratio: 1.6,
            min_size: 3.0,
            limit_side_len: 736,
            max_side_len: 2000,
            max_candidates: 1000,
        }
    }
}

/// A detected text box in original image pixels, with its DB score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    pub score: f32,
    /// Tilt of the text line in radians, clockwise (y grows downwards); 0 for level text and
    /// for regions too short or too tilted to be one line of text.
    pub angle: f32,
}

/// Size the detector sees: the shorter side raised to `limit_side_len` (the longer capped at
/// `max_side_len`), both rounded to multiples of 32.
pub fn detector_size(width: u32, height: u32, params: &DbParams) -> (u32, u32) {
    let (w, h) = (f64::from(width), f64::from(height));
    let mut ratio = 1.0;
    let short = w.min(h);
    if short < f64::from(params.limit_side_len) {
        ratio = f64::from(params.limit_side_len) / short;
    }
    let long = w.max(h) * ratio;
    if long > f64::from(params.max_side_len) {
        ratio *= f64::from(params.max_side_len) / long;
    }
    // RapidOCR: int(side * ratio), then Python's round(/ 32) (half to even) * 32.
    let round32 = |v: f64| ((((v * ratio).floor()) / 32.0).round_ties_even() as u32).max(1) * 32;
    (round32(w), round32(h))
}

/// [1, 3, H, W] BGR tensor normalised with mean = std = 0.5.
pub fn preprocess(image: &RgbImage, params: &DbParams) -> Array4<f32> {
    let (width, height) = detector_size(image.width(), image.height(), params);
    let resized = super::rec::resize_bilinear(image, width, height);
    let mut tensor = Array4::<f32>::zeros((1, 3, height as usize, width as usize));
    super::rec::write_bgr_planes(&resized, tensor.index_axis_mut(ndarray::Axis(0), 0));
    tensor
}

/// Text boxes from a probability map [H, W], scaled to an image of `width`×`height`,
/// sorted top-to-bottom then left-to-right.
pub fn boxes_from_map(
    map: ArrayView2<f32>,
    width: u32,
    height: u32,
    params: &DbParams,
) -> Vec<TextBox> {
    let (rows, cols) = map.dim();
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    // Binarise, then dilate with a 2x2 kernel (as RapidOCR's use_dilation does).
    let text: Vec<bool> = map.iter().map(|&p| p > params.binarise_threshold).collect();
    let mut mask = text.clone();
    for y in 0..rows {
        for x in 0..cols {
            if text[y * cols + x] {
                continue;
            }
            let near = (y > 0 && text[(y - 1) * cols + x])
                || (x > 0 && text[y * cols + x - 1])
                || (y > 0 && x > 0 && text[(y - 1) * cols + x - 1]);
            mask[y * cols + x] = near;
        }
    }
    let scale_x = width as f32 / cols as f32;
    let scale_y = height as f32 / rows as f32;
    let mut boxes = Vec::new();
    for region in regions(&mask, map, rows, cols)
        .into_iter()
        .take(params.max_candidates)
    {
        let Region {
            bounds: (x0, y0, x1, y1),
            angle,
            mean_probability,
        } = region;
        // Like cv2.minAreaRect over the region's contour: the box runs through the centres
        // of its edge pixels, so a region one pixel wide has width 0.
        let (w, h) = ((x1 - x0) as f32, (y1 - y0) as f32);
        if w.min(h) < params.min_size {
            continue;
        }
        let window = map.slice(ndarray::s![y0..=y1, x0..=x1]);
        // A tilted line fills little of its box: its score is over its own pixels, as
        // RapidOCR scores the rotated polygon.
        let score = if angle == 0.0 {
            window.mean().unwrap_or(0.0)
        } else {
            mean_probability
        };
        if score < params.box_threshold {
            continue;
        }
        // Unclip: grow by area * ratio / perimeter; pyclipper works on integer points.
        let distance = w * h * params.unclip_ratio / (2.0 * (w + h));
        let (ux0, uy0) = (
            (x0 as f32 - distance).round(),
            (y0 as f32 - distance).round(),
        );
        let (ux1, uy1) = (
            (x1 as f32 + distance).round(),
            (y1 as f32 + distance).round(),
        );
        if (ux1 - ux0).min(uy1 - uy0) < params.min_size + 2.0 {
            continue;
        }
        // Scaled to the image and clipped to its last pixel, as RapidOCR's clip_det_res.
        let clamp = |v: f32, size: u32| v.clamp(0.0, size.saturating_sub(1) as f32);
        let text_box = TextBox {
            x0: clamp((ux0 * scale_x).round_ties_even(), width),
            y0: clamp((uy0 * scale_y).round_ties_even(), height),
            x1: clamp((ux1 * scale_x).round_ties_even(), width),
            y1: clamp((uy1 * scale_y).round_ties_even(), height),
            score,
            angle,
        };
        if text_box.x1 - text_box.x0 > 3.0 && text_box.y1 - text_box.y0 > 3.0 {
            boxes.push(text_box);
        }
    }
    sort_reading_order(&mut boxes);
    boxes
}

/// Tilts (degrees) between these read as a tilted line; below, level text; above, not a line.
const MIN_TILT_DEGREES: f64 = 3.0;
const MAX_TILT_DEGREES: f64 = 30.0;
/// A region is a line of text when its long axis is at least this many times its short one
/// (variance ratio, so the square of the length ratio).
const LINE_ELONGATION: f64 = 9.0;

/// An 8-connected region of the text mask.
struct Region {
    /// x0, y0, x1, y1, inclusive.
    bounds: (usize, usize, usize, usize),
    /// Tilt of its long axis (see `TextBox::angle`).
    angle: f32,
    /// Mean text probability over its own pixels.
    mean_probability: f32,
}

/// The tilt of a region from its pixels' second moments, when it is a tilted line.
fn line_tilt(count: f64, sums: [f64; 5]) -> f32 {
    let [sx, sy, sxx, syy, sxy] = sums;
    if count < 2.0 {
        return 0.0;
    }
    let (mx, my) = (sx / count, sy / count);
    let (cxx, cyy, cxy) = (
        sxx / count - mx * mx,
        syy / count - my * my,
        sxy / count - mx * my,
    );
    let spread = ((cxx - cyy) * (cxx - cyy) + 4.0 * cxy * cxy).sqrt();
    let (major, minor) = ((cxx + cyy + spread) / 2.0, (cxx + cyy - spread) / 2.0);
    if minor <= 0.0 || major / minor < LINE_ELONGATION {
        return 0.0;
    }
    let angle = 0.5 * (2.0 * cxy).atan2(cxx - cyy);
    let degrees = angle.to_degrees().abs();
    if (MIN_TILT_DEGREES..=MAX_TILT_DEGREES).contains(&degrees) {
        angle as f32
    } else {
        0.0
    }
}

/// The 8-connected regions of `mask`, with their bounds and tilt.
fn regions(mask: &[bool], map: ArrayView2<f32>, rows: usize, cols: usize) -> Vec<Region> {
    let mut seen = vec![false; mask.len()];
    let mut found = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (cols, rows, 0, 0);
        let mut count = 0.0f64;
        let mut sums = [0.0f64; 5];
        let mut probability = 0.0f64;
        while let Some(index) = stack.pop() {
            let (y, x) = (index / cols, index % cols);
            let (fx, fy) = (x as f64, y as f64);
            count += 1.0;
            probability += f64::from(map[[y, x]]);
            for (sum, value) in sums.iter_mut().zip([fx, fy, fx * fx, fy * fy, fx * fy]) {
                *sum += value;
            }
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (ny, nx) = (y as i64 + dy, x as i64 + dx);
                    if ny < 0 || nx < 0 || ny >= rows as i64 || nx >= cols as i64 {
                        continue;
                    }
                    let next = ny as usize * cols + nx as usize;
                    if mask[next] && !seen[next] {
                        seen[next] = true;
                        stack.push(next);
                    }
                }
            }
        }
        found.push(Region {
            bounds: (x0, y0, x1, y1),
            angle: line_tilt(count, sums),
            mean_probability: (probability / count.max(1.0)) as f32,
        });
    }
    found
}

/// Top-to-bottom, and left-to-right among boxes whose tops are within 10 px (RapidOCR).
pub fn sort_reading_order(boxes: &mut [TextBox]) {
    boxes.sort_by(|a, b| a.y0.total_cmp(&b.y0).then(a.x0.total_cmp(&b.x0)));
    for i in 0..boxes.len().saturating_sub(1) {
        for j in (0..=i).rev() {
            if (boxes[j + 1].y0 - boxes[j].y0).abs() < 10.0 && boxes[j + 1].x0 < boxes[j].x0 {
                boxes.swap(j, j + 1);
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn detector_size_is_a_multiple_of_32_with_the_short_side_near_736() {
        let (w, h) = detector_size(640, 480, &DbParams::default());
        assert_eq!((w % 32, h % 32), (0, 0));
        assert_eq!(h, 736);
        assert_eq!(w, 992);
    }

    #[test]
    fn two_blobs_become_two_sorted_boxes_grown_by_unclip() {
        let mut map = Array2::<f32>::zeros((40, 100));
        map.slice_mut(ndarray::s![10..20, 60..90]).fill(0.9);
        map.slice_mut(ndarray::s![12..20, 5..40]).fill(0.9);
        map.slice_mut(ndarray::s![30..32, 5..7]).fill(0.2); // below the threshold: ignored
        let boxes = boxes_from_map(map.view(), 200, 80, &DbParams::default());
        assert_eq!(boxes.len(), 2, "{boxes:?}");
        assert!(
            boxes[0].x0 < boxes[1].x0,
            "left box first on one line: {boxes:?}"
        );
        // The right blob spans x 60..90 in the map = 120..180 in the image, grown outward.
        assert!(boxes[1].x0 < 120.0 && boxes[1].x1 > 180.0, "{boxes:?}");
    }

    #[test]
    fn a_tilted_line_gets_its_tilt_and_a_level_one_none() {
        let mut map = Array2::<f32>::zeros((120, 200));
        // A band 6 px thick running 100 px to the right and 17 px down: 9.6° clockwise.
        for x in 40..140usize {
            let centre = 40.0 + (x - 40) as f32 * 0.17;
            for y in 0..120usize {
                if (y as f32 - centre).abs() <= 3.0 {
                    map[[y, x]] = 0.9;
                }
            }
        }
        map.slice_mut(ndarray::s![100..106, 20..120]).fill(0.9);
        let boxes = boxes_from_map(map.view(), 200, 120, &DbParams::default());
        assert_eq!(boxes.len(), 2, "{boxes:?}");
        assert!((boxes[0].angle.to_degrees() - 9.6).abs() < 1.0, "{boxes:?}");
        assert_eq!(boxes[1].angle, 0.0, "{boxes:?}");
    }

    #[test]
    fn weak_regions_are_dropped_by_box_score() {
        let mut map = Array2::<f32>::zeros((20, 20));
        map.slice_mut(ndarray::s![5..15, 5..15]).fill(0.35);
        assert!(boxes_from_map(map.view(), 20, 20, &DbParams::default()).is_empty());
    }
}
