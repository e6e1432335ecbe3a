//! A slate said in words, for the sentence model. A slate's raw OCR text ("SCENE 42 TAKE 3
//! ROLL A007") is mostly labels and numbers, far in meaning from how people ask for it
//! ("clapperboard numbers"); led by a short description built from its parsed fields
//! ("Clapperboard slate: scene 42, take 3, roll A007."), its text unit is found by meaning.

use rushes_core::Slate;

use crate::parse::parse_slate;

/// "Clapperboard slate: scene 42, take 3, roll A007, camera A." from the fields read.
pub fn slate_lead(slate: &Slate) -> String {
    let fields: Vec<String> = [
        ("scene", &slate.scene),
        ("take", &slate.take),
        ("roll", &slate.roll),
        ("camera", &slate.camera),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.as_ref().map(|value| format!("{name} {value}")))
    .collect();
    if fields.is_empty() {
        "Clapperboard slate.".to_string()
    } else {
        format!("Clapperboard slate: {}.", fields.join(", "))
    }
}

/// The text a run of on-screen text is embedded as: a slate's text led by its
/// [`slate_lead`], any other text as it is.
pub fn screen_unit_text(text: &str) -> String {
    let text = text.trim();
    match parse_slate(text) {
        Some(read) => format!("{} {text}", slate_lead(&read.slate)),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slate_is_led_by_its_fields_in_words() {
        assert_eq!(
            screen_unit_text("SCENE 42 TAKE 3 ROLL A007"),
            "Clapperboard slate: scene 42, take 3, roll A007, camera A. SCENE 42 TAKE 3 ROLL A007"
        );
    }

    #[test]
    fn other_text_is_left_as_it_is() {
        assert_eq!(
            screen_unit_text(" NO FOOD OR DRINK ON SET "),
            "NO FOOD OR DRINK ON SET"
        );
        assert_eq!(screen_unit_text("EXIT 42"), "EXIT 42");
    }
}
