//! Faces found on real photos, with box, landmarks and embedding; blurred, tiny and absent
//! faces skipped.

use rushes_faces::MIN_SHARPNESS;

use crate::common::{astronaut_path, engine, ffmpeg_variant, load, opencv_image, upper_face};

#[test]
fn the_astronaut_portrait_has_one_face_with_eyes_above_the_mouth() {
    let image = load(&astronaut_path());
    let faces = engine().detect(&image).expect("detect");
    let face = upper_face(&faces);
    // Her face is in the upper middle of the 512×512 portrait.
    let centre_x = face.bbox.x + face.bbox.width / 2;
    let centre_y = face.bbox.y + face.bbox.height / 2;
    assert!((150..320).contains(&centre_x), "{:?}", face.bbox);
    assert!((60..220).contains(&centre_y), "{:?}", face.bbox);
    let [left_eye, right_eye, nose, mouth_left, mouth_right] = face.landmarks;
    assert!(
        left_eye.1 < nose.1 && right_eye.1 < nose.1,
        "{:?}",
        face.landmarks
    );
    assert!(
        nose.1 < mouth_left.1 && nose.1 < mouth_right.1,
        "{:?}",
        face.landmarks
    );
    assert!(left_eye.0 < right_eye.0);
    assert_eq!(face.embedding.len(), 128);
    assert!(face.sharpness >= MIN_SHARPNESS);
}

#[test]
fn photos_without_people_have_no_faces() {
    for name in ["fruits.jpg", "building.jpg", "baboon.jpg"] {
        let faces = engine().detect(&load(&opencv_image(name))).expect("detect");
        assert!(faces.is_empty(), "{name}: {faces:?}");
    }
}

#[test]
fn a_blurred_face_and_a_tiny_face_are_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blurred = ffmpeg_variant(&astronaut_path(), "gblur=sigma=6", dir.path(), "blurred");
    assert!(engine().detect(&blurred).expect("detect").is_empty());
    // Shrunk so the face is about 20 px: found by nobody, kept by nobody.
    let tiny = ffmpeg_variant(&astronaut_path(), "scale=96:96", dir.path(), "tiny");
    assert!(engine().detect(&tiny).expect("detect").is_empty());
}

#[test]
fn missing_models_name_the_file_and_the_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = match rushes_faces::FaceEngine::load(dir.path()) {
        Ok(_) => panic!("loaded models from an empty folder"),
        Err(error) => error.to_string(),
    };
    assert!(
        error.contains("shape_predictor_68_face_landmarks.dat"),
        "{error}"
    );
    assert!(error.contains("make setup"), "{error}");
}
