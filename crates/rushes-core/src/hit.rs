//! The wire shape of a search result, shared by `rushes search --json` and the HTTP API.

use serde::{Deserialize, Serialize};

use crate::{AssetId, AssetKind, PersonInMoment};

/// Why a hit matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    Ocr,
    Transcript,
    Visual,
    Tag,
    Caption,
    Metadata,
    /// Said or written in other words: a text unit's sentence embedding is near the query's.
    Semantic,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Ocr => "ocr",
            Signal::Transcript => "transcript",
            Signal::Visual => "visual",
            Signal::Tag => "tag",
            Signal::Caption => "caption",
            Signal::Metadata => "metadata",
            Signal::Semantic => "semantic",
        }
    }
}

/// The asset a hit belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitAsset {
    pub id: AssetId,
    pub path: String,
    pub kind: AssetKind,
}

/// One moment found by a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub asset: HitAsset,
    /// Seconds from the start of the file.
    pub start: f64,
    pub end: f64,
    pub score: f32,
    pub signals: Vec<Signal>,
    /// Matched text with the matched words wrapped in `<b>…</b>` (HTML-escaped otherwise).
    pub snippet: String,
    /// URL path of the moment's thumbnail (`/thumbs/...`).
    pub thumbnail: Option<String>,
    /// The caption model's sentence for the moment's keyframe, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The people whose faces the hit's time range shows, the most seen first.
    #[serde(default)]
    pub people: Vec<PersonInMoment>,
    /// Why a filter-only listing (no words to match) holds this hit: the query's filters as
    /// they apply to it (`camera:A001`, `tag:stunt`, `person:Lionel Messi`); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
    /// The query's words (or phrases) this hit's text does not contain, as written: "scene 42
    /// take 5" finding "SCENE 42 TAKE 3" has `["5"]`. Empty when every word matched or the
    /// hit matched no text at all (a visual-only or filter-only hit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// The slate whose stretch of the file the hit starts in (scene, take, roll, camera…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slate: Option<crate::Slate>,
    /// The text unit the query matched by meaning (signal `semantic`), with its similarity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic: Option<SemanticMatch>,
}

/// A text unit found by meaning: what it says, where, and how near the query it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SemanticMatch {
    pub kind: crate::TextUnitKind,
    /// The unit's text as indexed (a transcript line, on-screen text, a caption, a note).
    pub text: String,
    /// Seconds from the start of the file: the unit's window.
    pub start: f64,
    pub end: f64,
    /// Cosine similarity of the unit's and the query's sentence embeddings.
    pub similarity: f32,
}

/// The answer to a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    pub query: String,
    pub hits: Vec<Hit>,
    /// The people each `person:` filter of the query matched, so a name that matches several
    /// people (`person:Lionel`) says so; empty when the query has no `person:` filter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people_matched: Vec<PersonFilterMatch>,
    /// Why nothing matches when no word of the query can be searched for (each one vanishes
    /// in tokenizing: a word of 48 letters or more, `((((`, `""`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

/// One `person:` filter and the people it matched (none when nobody matches).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonFilterMatch {
    /// The filter's value as written (`Lionel`, `7`).
    pub who: String,
    /// Each matched person (with their representative face thumbnail), by id.
    pub people: Vec<PersonInMoment>,
}
