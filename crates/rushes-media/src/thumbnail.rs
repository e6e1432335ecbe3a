//! Thumbnails: the bytes of a JPEG of a given width that fits a byte budget. Where they are
//! kept is the index's thumbnail store's business (`rushes_store::thumbnails`).

use std::io::Cursor;

use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;

use crate::MediaError;

/// JPEG quality tried first. An index keeps a thumbnail per sampled frame (one every 2 s by
/// default), so this sets most of the index's size per hour of footage: starting at 85, the
/// bench reel's 320 px thumbnails averaged 14 KB and the index came to 32 MB per hour of
/// footage; at 70, 9.9 KB and 27 MB/h, still over the 25 MB/h budget. 60 makes them about 15%
/// smaller again; side by side with 70 at twice card size no blocking or banding shows
/// (slate text, faces, skin gradients of the bench reel).
const START_QUALITY: u8 = 60;
/// Lowest JPEG quality tried before the picture is made smaller instead.
const MIN_QUALITY: u8 = 30;

/// `image` as a JPEG `width` pixels wide (never upscaled) of at most `max_bytes`, lowering
/// quality, then size, until it fits.
pub fn encode_thumbnail(
    image: &RgbImage,
    width: u32,
    max_bytes: usize,
) -> Result<Vec<u8>, MediaError> {
    if image.width() == 0 || image.height() == 0 || width == 0 {
        return Err(MediaError::InvalidRequest(String::from(
            "thumbnail of an empty image",
        )));
    }
    let mut target_width = width.min(image.width());
    loop {
        let target_height = ((u64::from(image.height()) * u64::from(target_width)
            / u64::from(image.width())) as u32)
            .max(1);
        let resized = if target_width == image.width() {
            image.clone()
        } else {
            image::imageops::resize(image, target_width, target_height, FilterType::Triangle)
        };
        let mut quality = START_QUALITY;
        loop {
            let mut bytes = Vec::new();
            JpegEncoder::new_with_quality(&mut Cursor::new(&mut bytes), quality)
                .encode_image(&resized)
                .map_err(|e| MediaError::Encode(e.to_string()))?;
            if bytes.len() <= max_bytes {
                return Ok(bytes);
            }
            if quality <= MIN_QUALITY {
                break;
            }
            quality = quality.saturating_sub(10).max(MIN_QUALITY);
        }
        if target_width <= 16 {
            return Err(MediaError::Encode(format!(
                "cannot fit a thumbnail in {max_bytes} bytes"
            )));
        }
        target_width = target_width * 4 / 5;
    }
}
