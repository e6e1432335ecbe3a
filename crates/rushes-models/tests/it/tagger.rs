//! Zero-shot tags on the colour fixture: a colour frame gets its colour, a grey frame
//! (which no concept describes) gets nothing.

use rushes_models::{ClipModel, ImageEmbedder, ZeroShotTagger};

use crate::common::{fixture_store, repo_root, solid};

const VOCAB: &str = r#"
templates = ["a photo of a {} thing", "behind the scenes photo of something {}"]
neutral = ["a photo", "a photo of something", "behind the scenes photo"]
concepts = ["red", "green", "blue", "yellow"]
"#;

#[test]
fn colour_frames_get_their_colour_and_grey_frames_get_no_tag() {
    let (dir, store) = fixture_store();
    let vocab_path = dir.path().join("colours.toml");
    std::fs::write(&vocab_path, VOCAB).expect("write vocab");
    let (mut images, mut texts) = ClipModel::load(&store, "clip-fixture", 1)
        .expect("fixture")
        .split();
    let tagger = ZeroShotTagger::from_vocab_file(&vocab_path, &mut texts).expect("tagger");
    let frames = vec![
        solid([220, 30, 30], 320, 240),
        solid([30, 40, 210], 320, 240),
        solid([128, 128, 128], 320, 240),
        // Mostly yellow with a red stripe: still yellow.
        image::RgbImage::from_fn(320, 240, |_, y| {
            if y < 40 {
                image::Rgb([220, 30, 30])
            } else {
                image::Rgb([240, 230, 20])
            }
        }),
    ];
    let embeddings = images.embed_images(&frames).expect("embed");
    let tags = tagger.tag(embeddings.view());
    let names: Vec<Vec<&str>> = tags
        .iter()
        .map(|t| t.iter().map(|(n, _)| n.as_str()).collect())
        .collect();
    assert_eq!(names[0], vec!["red"], "{tags:?}");
    assert_eq!(names[1], vec!["blue"], "{tags:?}");
    assert!(names[2].is_empty(), "grey has no colour: {tags:?}");
    assert_eq!(names[3].first(), Some(&"yellow"), "{tags:?}");
    assert!(tags[0][0].1 > 0.5 && tags[0][0].1 <= 1.0, "{tags:?}");
}

#[test]
fn the_bts_vocabulary_loads_and_tags_with_the_fixture() {
    let (_dir, store) = fixture_store();
    let (mut images, mut texts) = ClipModel::load(&store, "clip-fixture", 1)
        .expect("fixture")
        .split();
    let path = repo_root().join("models/vocab/bts.toml");
    let tagger = ZeroShotTagger::from_vocab_file(&path, &mut texts).expect("bts vocabulary");
    let concepts = &tagger.vocabulary().concepts;
    assert!(
        concepts.len() >= 150,
        "about 200 concepts, got {}",
        concepts.len()
    );
    for expected in [
        "clapperboard",
        "boom microphone",
        "green screen",
        "video village",
        "stunt harness",
    ] {
        assert!(concepts.iter().any(|c| c == expected), "{expected} missing");
    }
    // "green screen" is the only concept with a colour word the fixture knows; a green
    // frame must pick it, a grey one nothing.
    let embeddings = images
        .embed_images(&[solid([20, 210, 30], 64, 64), solid([128, 128, 128], 64, 64)])
        .expect("embed");
    let tags = tagger.tag(embeddings.view());
    assert_eq!(
        tags[0].first().map(|t| t.0.as_str()),
        Some("green screen"),
        "{:?}",
        tags[0]
    );
    assert!(tags[1].is_empty(), "{:?}", tags[1]);
    assert_eq!(images.dim(), tagger.dim());
}
