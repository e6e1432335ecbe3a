//! The same person across brightness changes, zooms and pans groups together; two different
//! people stay apart.

use rushes_faces::{Assignment, PersonCentroid, SAME_PERSON_DISTANCE, assign, distance};

use crate::common::{astronaut_path, engine, ffmpeg_variant, load, opencv_image, upper_face};

fn only_face(image: &image::RgbImage) -> Vec<f32> {
    let faces = engine().detect(image).expect("detect");
    upper_face(&faces).embedding.clone()
}

#[test]
fn the_astronaut_stays_one_person_through_brightness_zoom_and_pan() {
    let dir = tempfile::tempdir().expect("temp dir");
    let original = only_face(&load(&astronaut_path()));
    let variants = [
        ("darker", "eq=brightness=-0.15"),
        ("brighter", "eq=brightness=0.12:contrast=0.9"),
        ("zoomed", "scale=768:768,crop=512:512:128:40"),
        ("panned", "pad=700:560:150:30:black,crop=640:480:60:20"),
    ];
    let mut people: Vec<PersonCentroid> = vec![(1, original.clone())];
    for (name, filter) in variants {
        let embedding = only_face(&ffmpeg_variant(&astronaut_path(), filter, dir.path(), name));
        let gap = distance(&original, &embedding);
        assert!(gap < SAME_PERSON_DISTANCE, "{name}: {gap}");
        assert!(
            matches!(
                assign(&embedding, &people),
                Assignment::Existing { person: 1, .. }
            ),
            "{name} did not join the astronaut"
        );
        people[0].1 = embedding;
    }
}

#[test]
fn the_astronaut_and_messi_are_two_people() {
    let dir = tempfile::tempdir().expect("temp dir");
    let astronaut = only_face(&load(&astronaut_path()));
    // Messi's face is about 25 px in the 548×342 photo: a 4× close-up makes it usable.
    let close_up = ffmpeg_variant(
        &opencv_image("messi5.jpg"),
        "scale=2192:1368:flags=lanczos,crop=1024:768:700:100",
        dir.path(),
        "messi",
    );
    let messi = only_face(&close_up);
    assert!(distance(&astronaut, &messi) > SAME_PERSON_DISTANCE);
    let people: Vec<PersonCentroid> = vec![(1, astronaut)];
    assert_eq!(assign(&messi, &people), Assignment::New);
}
