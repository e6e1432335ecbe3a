//! CLIP-style encoders, through ONNX Runtime, on the colour fixture model: images and
//! colour words meet in one space; bad models fail with errors naming the file.

use rushes_models::{ClipModel, ImageEmbedder, ModelError, ModelStore, TextEmbedder};

use crate::common::{fixture_store, solid};

const COLOURS: [(&str, [u8; 3]); 6] = [
    ("red", [230, 20, 25]),
    ("green", [20, 210, 30]),
    ("blue", [25, 30, 220]),
    ("yellow", [240, 230, 20]),
    ("white", [250, 250, 250]),
    ("black", [5, 5, 5]),
];

#[test]
fn each_colour_image_is_nearest_its_colour_word() {
    let (_dir, store) = fixture_store();
    let mut model = ClipModel::load(&store, "clip-fixture", 1).expect("fixture loads");
    assert_eq!(ImageEmbedder::dim(&model), 512);
    assert_eq!(model.name(), "clip-fixture");
    // Images of different sizes and aspect ratios, in one batch.
    let images: Vec<image::RgbImage> = COLOURS
        .iter()
        .enumerate()
        .map(|(i, (_, rgb))| solid(*rgb, 200 + 37 * i as u32, 150 + 11 * i as u32))
        .collect();
    let image_rows = model.embed_images(&images).expect("embed images");
    let prompts: Vec<String> = COLOURS
        .iter()
        .map(|(word, _)| format!("a photo of something {word}"))
        .collect();
    let prompt_refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
    let text_rows = model.embed_texts(&prompt_refs).expect("embed texts");
    assert_eq!(image_rows.shape(), &[6, 512]);
    assert_eq!(text_rows.shape(), &[6, 512]);
    for row in image_rows.rows().into_iter().chain(text_rows.rows()) {
        let norm: f32 = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "rows are L2-normalised, got {norm}"
        );
    }
    let similarity = image_rows.dot(&text_rows.t());
    for (index, (word, _)) in COLOURS.iter().enumerate() {
        let row = similarity.row(index);
        let best = row
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i);
        assert_eq!(
            best,
            Some(index),
            "{word} image should be nearest {word:?}, similarities {row}"
        );
    }
}

#[test]
fn split_encoders_agree_with_the_whole_model_and_batch_sizes_do_not_matter() {
    let (_dir, store) = fixture_store();
    let mut whole = ClipModel::load(&store, "clip-fixture", 1).expect("fixture loads");
    let (mut images, mut texts) = ClipModel::load(&store, "clip-fixture", 1)
        .expect("again")
        .split();
    let many: Vec<image::RgbImage> = (0..20)
        .map(|i| solid([(i * 12) as u8, 100, 200], 64, 48))
        .collect();
    let batched = images
        .embed_images(&many)
        .expect("20 images (more than one batch)");
    let one_by_one: Vec<_> = many
        .iter()
        .map(|im| whole.embed_images(std::slice::from_ref(im)).expect("one"))
        .collect();
    for (i, single) in one_by_one.iter().enumerate() {
        let diff = (&batched.row(i) - &single.row(0))
            .iter()
            .map(|d| d.abs())
            .fold(0.0f32, f32::max);
        assert!(diff < 1e-4, "image {i} differs by {diff}");
    }
    let a = texts.embed_texts(&["blue", "blue sky"]).expect("texts");
    let b = whole.embed_texts(&["blue"]).expect("text");
    assert!((a.row(0).dot(&b.row(0)) - 1.0).abs() < 1e-5);
}

#[test]
fn find_installed_prefers_clip_vit_b32_and_skips_missing_models() {
    let (dir, store) = fixture_store();
    assert_eq!(
        ClipModel::find_installed(&store).as_deref(),
        Some("clip-fixture")
    );
    // A clip-vit-b32 manifest whose files are absent is not "installed".
    std::fs::copy(
        crate::common::repo_root().join("models/clip-vit-b32.toml"),
        dir.path().join("clip-vit-b32.toml"),
    )
    .expect("copy manifest");
    assert_eq!(
        ClipModel::find_installed(&store).as_deref(),
        Some("clip-fixture")
    );
    let err = ClipModel::load(&store, "clip-vit-b32", 1).expect_err("missing files");
    assert!(matches!(err, ModelError::MissingFile { .. }), "{err}");
    assert!(err.to_string().contains("vision_model.onnx"), "{err}");
    assert!(err.is_user_error());
}

fn edit_manifest(store: &ModelStore, from: &str, to: &str) {
    let path = store.manifest_path("clip-fixture");
    let text = std::fs::read_to_string(&path).expect("manifest");
    assert!(text.contains(from), "manifest has {from:?}");
    std::fs::write(&path, text.replace(from, to)).expect("write manifest");
}

#[test]
fn a_wrong_input_name_is_a_user_error_naming_the_file_and_the_real_inputs() {
    let (_dir, store) = fixture_store();
    edit_manifest(&store, "input = \"pixel_values\"", "input = \"pixels\"");
    let err = ClipModel::load(&store, "clip-fixture", 1).expect_err("wrong input name");
    let message = err.to_string();
    assert!(err.is_user_error(), "{message}");
    assert!(
        message.contains("vision_model.onnx") && message.contains("pixel_values"),
        "{message}"
    );
}

#[test]
fn a_mismatched_embedding_dimension_is_refused() {
    let (_dir, store) = fixture_store();
    edit_manifest(&store, "embedding_dim = 512", "embedding_dim = 768");
    let err = ClipModel::load(&store, "clip-fixture", 1).expect_err("dimension mismatch");
    assert!(err.is_user_error());
    assert!(
        err.to_string().contains("768") && err.to_string().contains("512"),
        "{err}"
    );
}

#[test]
fn a_corrupt_model_file_is_a_user_error_naming_it() {
    let (dir, store) = fixture_store();
    // Same size, garbage bytes: list() cannot tell, ONNX Runtime can.
    let path = dir.path().join("clip-fixture/vision_model.onnx");
    let size = std::fs::metadata(&path).expect("size").len() as usize;
    std::fs::write(&path, vec![0x5a; size]).expect("corrupt");
    let err = ClipModel::load(&store, "clip-fixture", 1).expect_err("corrupt model");
    assert!(err.is_user_error(), "{err}");
    assert!(err.to_string().contains("vision_model.onnx"), "{err}");
    // verify() sees it through the sha256.
    let err = store.verify("clip-fixture").expect_err("verify");
    assert!(err.to_string().contains("sha256"), "{err}");
}

#[test]
fn a_corrupt_tokenizer_is_a_user_error_naming_it() {
    let (dir, store) = fixture_store();
    std::fs::write(
        dir.path().join("clip-fixture/tokenizer.json"),
        b"{ not json",
    )
    .expect("corrupt");
    let err = ClipModel::load(&store, "clip-fixture", 1).expect_err("bad tokenizer");
    assert!(err.is_user_error());
    assert!(err.to_string().contains("tokenizer.json"), "{err}");
}
