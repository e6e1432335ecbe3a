//! A slate's fields as read off the screen (clapperboard, smart slate, slate app) and the
//! stretch of a file they apply to. Plain values: `rushes-slate` reads them from on-screen
//! text, the store keeps and searches them, hits and exports show them.

use serde::{Deserialize, Serialize};

/// Whether a take was shot with sound (`SYNC`) or without (`MOS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlateSound {
    Sync,
    Mos,
}

/// The fields written on one slate; each is `None` when it was not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<String>,
    /// Camera roll (`A007`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll: Option<String>,
    /// Scene, upper case, with its letter suffix (`42A`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take: Option<String>,
    /// Camera letter (`A`), written on the slate or the first letter of the roll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// The date as written on the slate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub director: Option<String>,
    /// Director of photography or camera operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dop: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound_roll: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound: Option<SlateSound>,
    /// The timecode a smart slate shows (`01:02:03:04`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timecode: Option<String>,
}

impl Slate {
    /// The short label cards and result lines show: `Sc 42A · Tk 3` (or whichever of the
    /// two was read, else the roll); `None` for a slate with none of them.
    pub fn label(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(scene) = &self.scene {
            parts.push(format!("Sc {scene}"));
        }
        if let Some(take) = &self.take {
            parts.push(format!("Tk {take}"));
        }
        if parts.is_empty()
            && let Some(roll) = &self.roll
        {
            parts.push(format!("Roll {roll}"));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// Every field that was read, as `(name, value)` in slate order (`scene`, `42A`).
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let text = [
            ("production", &self.production),
            ("roll", &self.roll),
            ("scene", &self.scene),
            ("take", &self.take),
            ("camera", &self.camera),
            ("date", &self.date),
            ("director", &self.director),
            ("dop", &self.dop),
            ("sound_roll", &self.sound_roll),
        ];
        let mut fields: Vec<(&'static str, String)> = text
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|value| (name, value)))
            .collect();
        if let Some(sound) = self.sound {
            let word = match sound {
                SlateSound::Sync => "SYNC",
                SlateSound::Mos => "MOS",
            };
            fields.push(("sound", word.to_string()));
        }
        if let Some(timecode) = &self.timecode {
            fields.push(("timecode", timecode.clone()));
        }
        fields
    }

    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }
}

/// The stretch of a file one slate's fields apply to: from the slate to the next slate or
/// the end of the file; a tail slate (at the end of its take, or upside down) with no
/// head slate before it applies back to the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlateSpan {
    /// Seconds from the start of the file.
    pub start: f64,
    pub end: f64,
    /// When the slate itself is on screen.
    pub seen_start: f64,
    pub seen_end: f64,
    /// Read as a tail slate: it applies to the take before it.
    #[serde(default)]
    pub tail: bool,
    pub slate: Slate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_shows_scene_and_take_or_the_roll() {
        let slate = Slate {
            scene: Some("42A".into()),
            take: Some("3".into()),
            roll: Some("A007".into()),
            ..Slate::default()
        };
        assert_eq!(slate.label().as_deref(), Some("Sc 42A · Tk 3"));
        let roll_only = Slate {
            roll: Some("A007".into()),
            ..Slate::default()
        };
        assert_eq!(roll_only.label().as_deref(), Some("Roll A007"));
        assert_eq!(Slate::default().label(), None);
    }

    #[test]
    fn json_leaves_out_unread_fields() -> Result<(), serde_json::Error> {
        let slate = Slate {
            scene: Some("42A".into()),
            take: Some("3".into()),
            sound: Some(SlateSound::Mos),
            ..Slate::default()
        };
        assert_eq!(
            serde_json::to_string(&slate)?,
            r#"{"scene":"42A","take":"3","sound":"mos"}"#
        );
        Ok(())
    }
}
