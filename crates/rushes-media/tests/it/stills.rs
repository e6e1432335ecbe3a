//! Stills: formats, EXIF orientation, capture time and camera, HEIC handling.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};
use rushes_core::AssetKind;
use rushes_media::{MediaError, load_still, probe, sniff};

use crate::common::{TestResult, is_red, opencv_data};

/// A 120x160 portrait card, blue with a red top-left corner, as it should be seen.
fn upright_card() -> RgbImage {
    RgbImage::from_fn(120, 160, |x, y| {
        if x < 30 && y < 40 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    })
}

/// TIFF-structured EXIF with an orientation, a capture time and camera tags.
fn exif_block(orientation: u16) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    use exif::experimental::Writer;
    use exif::{Field, In, Tag, Value};
    let fields = [
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![orientation]),
        },
        Field {
            tag: Tag::Make,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"FUJIFILM".to_vec()]),
        },
        Field {
            tag: Tag::Model,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"X-T4".to_vec()]),
        },
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"2023:11:02 14:30:05".to_vec()]),
        },
    ];
    let mut writer = Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false)?;
    Ok(tiff.into_inner())
}

/// A JPEG of `image` with an APP1 EXIF segment inserted after the SOI marker.
fn jpeg_with_exif(
    image: &RgbImage,
    orientation: u16,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut jpeg = Cursor::new(Vec::new());
    image.write_to(&mut jpeg, ImageFormat::Jpeg)?;
    let jpeg = jpeg.into_inner();
    let tiff = exif_block(orientation)?;
    let length = u16::try_from(2 + 6 + tiff.len())?;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    Ok(out)
}

#[test]
fn exif_orientation_is_honoured_and_tags_read() -> TestResult {
    let dir = tempfile::tempdir()?;
    let upright = upright_card();
    // Orientation 6: the stored pixels must be turned 90 degrees clockwise to be upright,
    // so store the card turned 90 degrees counter-clockwise.
    let stored = image::imageops::rotate270(&upright);
    let path = dir.path().join("DSCF0001.JPG");
    std::fs::write(&path, jpeg_with_exif(&stored, 6)?)?;

    assert_eq!(sniff(&path)?, Some(AssetKind::Image));
    let info = probe(&path, AssetKind::Image)?;
    assert_eq!((info.width, info.height), (Some(120), Some(160)));
    assert_eq!(info.rotation, 90);
    assert_eq!(info.creation_time.as_deref(), Some("2023-11-02T14:30:05"));
    assert_eq!(info.camera_make.as_deref(), Some("FUJIFILM"));
    assert_eq!(info.camera_model.as_deref(), Some("X-T4"));

    let loaded = load_still(&path, 960)?;
    assert_eq!((loaded.width(), loaded.height()), (120, 160));
    assert!(is_red(loaded.get_pixel(5, 5)), "top-left red once upright");
    assert!(!is_red(loaded.get_pixel(114, 5)));
    assert!(!is_red(loaded.get_pixel(5, 154)));
    Ok(())
}

#[test]
fn loads_every_common_format_scaled() -> TestResult {
    let dir = tempfile::tempdir()?;
    let card = upright_card();
    for (name, format) in [
        ("card.png", ImageFormat::Png),
        ("card.tiff", ImageFormat::Tiff),
        ("card.webp", ImageFormat::WebP),
        ("card.bmp", ImageFormat::Bmp),
        ("card.jpg", ImageFormat::Jpeg),
    ] {
        let path = dir.path().join(name);
        card.save_with_format(&path, format)?;
        assert_eq!(sniff(&path)?, Some(AssetKind::Image), "{name}");
        let loaded = load_still(&path, 80)?;
        assert_eq!((loaded.width(), loaded.height()), (60, 80), "{name}");
        assert!(is_red(loaded.get_pixel(3, 3)), "{name}");
    }
    let messi = load_still(&opencv_data("messi5.jpg"), 256)?;
    assert_eq!(messi.width().max(messi.height()), 256);
    Ok(())
}

#[test]
fn heic_that_ffmpeg_cannot_decode_is_a_clear_unsupported_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("IMG_0001.HEIC");
    let mut bytes = vec![0, 0, 0, 0x18];
    bytes.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    bytes.extend_from_slice(&[0x42; 2000]);
    std::fs::write(&path, bytes)?;
    assert_eq!(sniff(&path)?, Some(AssetKind::Image));
    match load_still(&path, 960) {
        Err(error @ MediaError::Unsupported(_)) => {
            assert!(error.to_string().contains("HEIC"), "{error}");
            assert!(error.is_user_error());
        }
        other => panic!("expected unsupported, got {other:?}"),
    }
    Ok(())
}

// Regression (issue 18): an upload declaring 11000×11000 pixels in a few hundred bytes was
// decoded whole (750 MB) before image search answered. The declared size is checked first:
// decoding this PNG would allocate the image and then fail on its short data (`Corrupt`),
// so `ImplausibleMetadata` proves nothing was decoded.
#[test]
fn an_image_declaring_too_many_pixels_is_refused_before_it_is_decoded() -> TestResult {
    let bomb = rushes_testkit::png_declaring(11_000, 11_000);
    assert!(bomb.len() < 100);
    match rushes_media::decode_image_bytes(&bomb) {
        Err(MediaError::ImplausibleMetadata(reason)) => {
            assert!(reason.contains("11000×11000"), "{reason}");
        }
        other => panic!("expected a refusal of the declared size, got {other:?}"),
    }
    // Indexing refuses the same file by the same cap, before decoding.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, &bomb)?;
    assert!(matches!(
        probe(&path, AssetKind::Image),
        Err(MediaError::ImplausibleMetadata(_))
    ));
    assert!(matches!(
        load_still(&path, 960),
        Err(MediaError::ImplausibleMetadata(_))
    ));
    // The cap itself: the largest camera stills pass, one pixel more does not.
    assert!(rushes_media::check_still_dimensions(11_648, 8_736).is_ok());
    let side = 10_240u32;
    assert!(u64::from(side) * u64::from(side) == rushes_media::MAX_STILL_PIXELS);
    assert!(rushes_media::check_still_dimensions(side, side).is_ok());
    assert!(rushes_media::check_still_dimensions(side, side + 1).is_err());
    // A small image within the cap decodes.
    let mut png = Vec::new();
    upright_card().write_to(&mut Cursor::new(&mut png), ImageFormat::Png)?;
    let decoded = rushes_media::decode_image_bytes(&png)?;
    assert_eq!(decoded.dimensions(), upright_card().dimensions());
    assert!(matches!(
        rushes_media::decode_image_bytes(b"hello, not a picture"),
        Err(MediaError::Unsupported(_))
    ));
    Ok(())
}
