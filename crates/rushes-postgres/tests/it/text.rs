use rushes_postgres::text::{MomentText, analysed_words, put_moment_text, search_text};
use rushes_testkit::TestError;

use crate::{asset_with_moments, fresh_library};

#[test]
fn words_are_split_between_letters_and_digits_folded_and_stemmed_and_stop_words_kept()
-> Result<(), TestError> {
    let (mut client, _url) = fresh_library()?;
    assert_eq!(
        analysed_words(&mut client, "SCENE42 TAKE3 The Café rigging ÉTÉ2024")?,
        [
            "scene", "42", "take", "3", "the", "cafe", "rig", "ete", "2024"
        ]
    );
    Ok(())
}

#[test]
fn full_text_finds_stemmed_and_accent_folded_words_and_ranks_by_field_boosts()
-> Result<(), TestError> {
    let (mut client, _url) = fresh_library()?;
    let ids = asset_with_moments(&mut client, "a1", &[0.0, 5.0, 10.0, 15.0])?;
    let texts = [
        MomentText {
            transcript: "The grips were rigging the crane at the café".into(),
            ..MomentText::default()
        },
        MomentText {
            ocr: "SCENE42 TAKE3".into(),
            ..MomentText::default()
        },
        MomentText {
            metadata: "crane".into(),
            ..MomentText::default()
        },
        MomentText {
            transcript: "nothing to see".into(),
            tags: "crane".into(),
            ..MomentText::default()
        },
    ];
    for (id, text) in ids.iter().zip(&texts) {
        put_moment_text(&mut client, *id, text)?;
    }
    let found =
        |client: &mut rushes_postgres::Client, query: &str| -> Result<Vec<i64>, TestError> {
            Ok(search_text(client, query, 10)?
                .into_iter()
                .map(|hit| hit.moment_id)
                .collect())
        };
    // `rig` finds `rigging`, `cafe` and `CAFÉ` find `café`.
    assert_eq!(found(&mut client, "rig")?, [ids[0]]);
    assert_eq!(found(&mut client, "cafe")?, [ids[0]]);
    assert_eq!(found(&mut client, "CAFÉ")?, [ids[0]]);
    // Slate text: `take3` means `take 3`; `scene 42` finds `SCENE42`.
    assert_eq!(found(&mut client, "take3")?, [ids[1]]);
    assert_eq!(found(&mut client, "scene 42")?, [ids[1]]);
    // Transcript outranks tags, tags outrank metadata.
    assert_eq!(found(&mut client, "cranes")?, [ids[0], ids[3], ids[2]]);
    assert!(found(&mut client, "dolly")?.is_empty());
    // Replacing a moment's text replaces what it is found by.
    put_moment_text(&mut client, ids[0], &MomentText::default())?;
    assert_eq!(found(&mut client, "cranes")?, [ids[3], ids[2]]);
    Ok(())
}
