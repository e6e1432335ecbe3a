//! Florence-2 captions through ONNX Runtime on the scripted fixture (tests/fixtures/models/
//! make_florence2_fixture.py): the four graphs in order, the prompt after the image
//! features, the batched KV-cache loop (the fixture only produces its sentence when present
//! key/values come back as past), the forced `<s>`, `</s>` and the length limit, the BPE
//! tokenizer, and errors that name the broken file.

use image::{Rgb, RgbImage};
use rushes_models::{Captioner, ModelError};

use crate::common::fixture_model_store;

const FIXTURE: &str = "florence2-fixture";
const RED_CAPTION: &str = "a red clapperboard on the camera dolly";
const BLUE_CAPTION: &str = "the boom operator stands by the blue screen";

/// A real photograph from the opencv-doc examples, tinted: the fixture captions by colour.
fn tinted_photo(name: &str, tint: Rgb<u8>) -> RgbImage {
    let path = crate::common::opencv_data(name);
    let mut photo = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh)", path.display()))
        .to_rgb8();
    for pixel in photo.pixels_mut() {
        for channel in 0..3 {
            pixel[channel] =
                (u16::from(pixel[channel]) / 4 + u16::from(tint[channel]) * 3 / 4) as u8;
        }
    }
    photo
}

fn red_photo() -> RgbImage {
    tinted_photo("messi5.jpg", Rgb([220, 40, 30]))
}

fn blue_photo() -> RgbImage {
    tinted_photo("baboon.jpg", Rgb([20, 60, 230]))
}

#[test]
fn a_picture_gets_the_caption_its_colour_scripts() {
    let (_dir, store) = fixture_model_store(FIXTURE);
    assert_eq!(Captioner::find_installed(&store).as_deref(), Some(FIXTURE));
    let mut captioner = Captioner::load(&store, FIXTURE, 1).expect("fixture loads");
    assert_eq!(
        captioner.caption_images(&[red_photo()]).expect("captions"),
        vec![RED_CAPTION]
    );
    assert_eq!(
        captioner.caption_images(&[blue_photo()]).expect("captions"),
        vec![BLUE_CAPTION]
    );
    assert!(captioner.caption_images(&[]).expect("nothing").is_empty());
}

#[test]
fn a_batch_gives_each_picture_its_own_caption_even_when_one_ends_first() {
    let (_dir, store) = fixture_model_store(FIXTURE);
    let mut captioner = Captioner::load(&store, FIXTURE, 1).expect("fixture loads");
    // The red sentence is shorter: its row is padded while the blue one goes on.
    let captions = captioner
        .caption_images(&[blue_photo(), red_photo(), blue_photo()])
        .expect("captions");
    assert_eq!(captions, vec![BLUE_CAPTION, RED_CAPTION, BLUE_CAPTION]);
}

#[test]
fn captions_stop_at_the_manifest_token_limit() {
    let (dir, store) = fixture_model_store(FIXTURE);
    let manifest = dir.path().join(format!("{FIXTURE}.toml"));
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    // <s> plus three word tokens.
    std::fs::write(&manifest, text.replace("max_tokens = 20", "max_tokens = 4")).expect("edit");
    let mut captioner = Captioner::load(&store, FIXTURE, 1).expect("fixture loads");
    let captions = captioner
        .caption_images(&[red_photo(), blue_photo()])
        .expect("captions");
    assert_eq!(captions, vec!["a red clapperboard", "the boom operator"]);
}

#[test]
fn a_missing_or_corrupt_graph_is_a_typed_error_naming_the_file() {
    let (dir, store) = fixture_model_store(FIXTURE);
    let decoder = dir.path().join(FIXTURE).join("decoder_model_merged.onnx");
    std::fs::write(&decoder, b"not an onnx graph").expect("corrupt");
    let error = Captioner::load(&store, FIXTURE, 1).expect_err("corrupt decoder");
    assert!(matches!(error, ModelError::CorruptFile { .. }), "{error}");
    assert!(
        error.to_string().contains("decoder_model_merged.onnx"),
        "{error}"
    );
    assert!(error.is_user_error());

    let vision = dir.path().join(FIXTURE).join("vision_encoder.onnx");
    std::fs::remove_file(&vision).expect("remove");
    let error = Captioner::load(&store, FIXTURE, 1).expect_err("missing vision encoder");
    assert!(matches!(error, ModelError::MissingFile { .. }), "{error}");
    assert!(error.to_string().contains("vision_encoder.onnx"), "{error}");
    assert!(
        error
            .to_string()
            .contains(&format!("rushes models fetch {FIXTURE}")),
        "{error}"
    );
    assert_eq!(Captioner::find_installed(&store), None);
}

#[test]
fn a_decoder_without_past_key_values_is_refused() {
    // The whisper fixture's encoder is a valid graph with other names.
    let (dir, store) = fixture_model_store(FIXTURE);
    let whisper =
        crate::common::repo_root().join("tests/fixtures/models/whisper-fixture/encoder_model.onnx");
    std::fs::copy(
        whisper,
        dir.path().join(FIXTURE).join("decoder_model_merged.onnx"),
    )
    .expect("swap");
    let error = Captioner::load(&store, FIXTURE, 1).expect_err("wrong graph");
    assert!(
        matches!(error, ModelError::IncompatibleModel { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("inputs_embeds"), "{error}");
}

/// A models folder holding the repo's manifests `names`, each installed with the fixture's
/// graphs and tokenizer under the real file names.
fn store_with_repo_caption_manifests(
    names: &[&str],
) -> (tempfile::TempDir, rushes_models::ModelStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = crate::common::repo_root();
    for name in names {
        let manifest = format!("{name}.toml");
        std::fs::copy(
            root.join("models").join(&manifest),
            dir.path().join(&manifest),
        )
        .expect("copy manifest");
        let folder = dir.path().join(name);
        std::fs::create_dir(&folder).expect("model folder");
        let fixture = root.join("tests/fixtures/models").join(FIXTURE);
        for entry in std::fs::read_dir(&fixture).expect("fixture folder") {
            let entry = entry.expect("entry");
            std::os::unix::fs::symlink(entry.path(), folder.join(entry.file_name())).expect("link");
        }
    }
    let store = rushes_models::ModelStore::new(dir.path());
    (dir, store)
}

#[test]
fn the_large_manifest_is_pinned_like_base_and_loads_through_the_same_captioner() {
    let (_dir, store) = store_with_repo_caption_manifests(&["florence2-large"]);
    let manifest = store
        .manifest("florence2-large")
        .expect("florence2-large.toml parses");
    assert_eq!(manifest.task, "image-captioning");
    let pinned = "https://huggingface.co/onnx-community/Florence-2-large-ft/resolve/fab9060d717033ba3d65b173f7fc3397ea314433/";
    assert!(
        manifest
            .files
            .iter()
            .all(|file| file.url.starts_with(pinned)),
        "every file at the pinned revision: {:?}",
        manifest.files
    );
    let spec = manifest.caption.expect("a [caption] section");
    assert_eq!(spec.decoder, "decoder_model_merged.onnx");
    assert_eq!(spec.preprocess.size, 768);
    // Alone, large is the caption model `rushes index` and `rushes doctor` pick.
    assert_eq!(
        Captioner::find_installed(&store).as_deref(),
        Some("florence2-large")
    );
    Captioner::load(&store, "florence2-large", 1)
        .expect("large's graph names are the ones the captioner checks");
}

#[test]
fn with_base_and_large_installed_base_is_the_caption_model() {
    let (_dir, store) = store_with_repo_caption_manifests(&["florence2-large", "florence2-base"]);
    assert_eq!(
        Captioner::find_installed(&store).as_deref(),
        Some("florence2-base")
    );
}
