//! Face quality: how sharp a face crop is, measured as the variance of the Laplacian of its
//! grey levels after scaling the crop to a fixed size (so big and small faces compare).
//! Faces below [`MIN_SHARPNESS`] are too blurred to embed reliably and are skipped.

use image::{GrayImage, RgbImage, imageops};

/// Side (pixels) a face crop is scaled to before measuring sharpness.
pub const SHARPNESS_SIDE: u32 = 96;

/// Faces whose Laplacian variance (on the 96×96 grey crop) is below this are skipped as
/// blurred. Sharp faces in the test photos measure several hundred; a 6-pixel Gaussian blur
/// brings them under 20.
pub const MIN_SHARPNESS: f64 = 40.0;

/// Variance of the 4-neighbour Laplacian of `region` of `image`, scaled to
/// [`SHARPNESS_SIDE`] pixels square. 0 for an empty region.
pub fn sharpness(image: &RgbImage, left: u32, top: u32, width: u32, height: u32) -> f64 {
    let left = left.min(image.width());
    let top = top.min(image.height());
    let width = width.min(image.width() - left);
    let height = height.min(image.height() - top);
    if width < 3 || height < 3 {
        return 0.0;
    }
    let crop = imageops::crop_imm(image, left, top, width, height).to_image();
    let grey: GrayImage = imageops::grayscale(&crop);
    let grey = imageops::resize(
        &grey,
        SHARPNESS_SIDE,
        SHARPNESS_SIDE,
        imageops::FilterType::Triangle,
    );
    laplacian_variance(&grey)
}

fn laplacian_variance(grey: &GrayImage) -> f64 {
    let (w, h) = grey.dimensions();
    let at = |x: u32, y: u32| f64::from(grey.get_pixel(x, y)[0]);
    let mut values = Vec::with_capacity(((w - 2) * (h - 2)) as usize);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            values.push(at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y));
        }
    }
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_region_has_no_sharpness_and_edges_have_some() {
        let flat = RgbImage::from_pixel(64, 64, image::Rgb([120, 120, 120]));
        assert_eq!(sharpness(&flat, 0, 0, 64, 64), 0.0);
        let stripes = RgbImage::from_fn(64, 64, |x, _| {
            let v = if (x / 4) % 2 == 0 { 0 } else { 255 };
            image::Rgb([v, v, v])
        });
        assert!(sharpness(&stripes, 0, 0, 64, 64) > MIN_SHARPNESS);
    }
}
