//! Full-text search over moments in PostgreSQL: each moment's text per field
//! (`moment_texts`), analysed by the `rushes_text` configuration of the schema (letter/digit
//! split, accent folding, English stemming, no stop words) and ranked with the fields'
//! boosts. The query side takes words, quoted phrases, `or` and `-word` (PostgreSQL's
//! `websearch_to_tsquery`); rushes' own query language is parsed before it reaches here.

use postgres::GenericClient;

use crate::PostgresError;

/// A moment's searchable text, field by field (the text index's fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MomentText {
    pub transcript: String,
    pub ocr: String,
    pub tags: String,
    pub caption: String,
    pub name: String,
    pub metadata: String,
}

/// One moment matching a text query, best first; `rank` is `ts_rank` with the field boosts.
#[derive(Debug, Clone, PartialEq)]
pub struct TextMatch {
    pub moment_id: i64,
    pub rank: f32,
}

/// `ts_rank`'s weights for D, C, B, A: metadata 0.5, name 0.8, tags 0.9, the rest 1.0.
pub(crate) const FIELD_WEIGHTS: &str = "'{0.5, 0.8, 0.9, 1.0}'::real[]";

/// Writes (or replaces) the text of `moment_id`.
pub fn put_moment_text(
    client: &mut impl GenericClient,
    moment_id: i64,
    text: &MomentText,
) -> Result<(), PostgresError> {
    client.execute(
        "INSERT INTO moment_texts (moment_id, asset_id, transcript, ocr, tags, caption, name,
             metadata)
         SELECT $1, asset_id, $2, $3, $4, $5, $6, $7 FROM moments WHERE id = $1
         ON CONFLICT (moment_id) DO UPDATE SET transcript = excluded.transcript,
             ocr = excluded.ocr, tags = excluded.tags, caption = excluded.caption,
             name = excluded.name, metadata = excluded.metadata",
        &[
            &moment_id,
            &text.transcript,
            &text.ocr,
            &text.tags,
            &text.caption,
            &text.name,
            &text.metadata,
        ],
    )?;
    Ok(())
}

/// The moments whose text matches `query`, best first, at most `limit`.
pub fn search_text(
    client: &mut impl GenericClient,
    query: &str,
    limit: i64,
) -> Result<Vec<TextMatch>, PostgresError> {
    let rows = client.query(
        &format!(
            "SELECT moment_id, ts_rank({FIELD_WEIGHTS}, document, query) AS rank
             FROM moment_texts, rushes_tsquery($1) AS query
             WHERE document @@ query
             ORDER BY rank DESC, moment_id
             LIMIT $2"
        ),
        &[&query, &limit],
    )?;
    Ok(rows
        .iter()
        .map(|row| TextMatch {
            moment_id: row.get(0),
            rank: row.get(1),
        })
        .collect())
}

/// The words `text` is indexed as (what `rushes_tsvector` keeps), in order of first use.
pub fn analysed_words(
    client: &mut impl GenericClient,
    text: &str,
) -> Result<Vec<String>, PostgresError> {
    let rows = client.query(
        "SELECT lexeme FROM unnest(rushes_tsvector($1)) ORDER BY positions[1]",
        &[&text],
    )?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}
