//! An asset's hand tags and notes read back as the store's `HandText`, and the
//! `(start, end, text)` rows such reads share: what an asset's moments, its hand-work
//! rules and its hand text units all read.

use postgres::GenericClient;
use rushes_store::catalog::annotations::HandText;

use crate::PostgresError;

/// Every hand tag (by tag, in byte order as SQLite sorts) and note (by start) of an asset.
pub(crate) fn hand_text(
    client: &mut impl GenericClient,
    id: &str,
) -> Result<HandText, PostgresError> {
    Ok(HandText::from_stored(
        ranged(
            client,
            "SELECT start_time, end_time, tag FROM hand_tags WHERE asset_id = $1
             ORDER BY tag COLLATE \"C\"",
            id,
        )?,
        ranged(
            client,
            "SELECT start_time, end_time, note FROM hand_notes WHERE asset_id = $1
             ORDER BY start_time, ctid",
            id,
        )?,
    ))
}

/// `(start, end, text)` rows of one asset that `sql` selects (its `$1` is the asset id).
pub(crate) fn ranged(
    client: &mut impl GenericClient,
    sql: &str,
    id: &str,
) -> Result<Vec<(f64, f64, String)>, PostgresError> {
    Ok(client
        .query(sql, &[&id])?
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect())
}
