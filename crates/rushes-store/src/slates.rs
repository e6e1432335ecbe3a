//! Slates in the catalog: each asset's slate spans (the fields a slate gave and the stretch
//! of the file they apply to), written with the asset and deleted with it (the rows
//! cascade); the `scene:`, `take:`, `roll:` filters and the slate side of `camera:`; the
//! slate each hit starts in; scene and take facet counts.
//!
//! `scene:42` matches scene 42 and its lettered scenes (42A, 42B…), the way an editor
//! looks for a scene; `scene:42A` matches 42A only. `take:3` matches take 3 (`take:03` too),
//! `roll:A007` that roll, and `camera:A` the slates of camera A besides cameras whose
//! make or model says A. Values compare case-insensitively, without leading zeros.

use std::collections::{HashMap, HashSet};

use rushes_core::{ScreenText, Slate, SlateSpan};
use rusqlite::{Connection, Transaction, params};

use crate::catalog::Catalog;
use crate::query::{Filter, Query, SlateField, SlateFilter};
use crate::{Index, StoreError};

/// The slates table, added to the catalog's migrations (`IF NOT EXISTS`: a catalog rolled
/// back to an older schema by hand keeps its tables).
pub(crate) const SLATES_MIGRATION: &str = r#"
CREATE TABLE IF NOT EXISTS slates (
    asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    start REAL NOT NULL,
    end REAL NOT NULL,
    seen_start REAL NOT NULL,
    seen_end REAL NOT NULL,
    tail INTEGER NOT NULL DEFAULT 0,
    scene TEXT,
    take TEXT,
    roll TEXT,
    camera TEXT,
    slate_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS slates_by_asset ON slates(asset_id, start);
"#;

/// Writes an asset's slate spans inside the transaction that writes the asset.
pub(crate) fn write_slates(
    transaction: &Transaction<'_>,
    asset_id: &str,
    spans: &[SlateSpan],
) -> Result<(), StoreError> {
    for span in spans {
        let slate = &span.slate;
        let slate_json = serde_json::to_string(slate).unwrap_or_else(|_| "{}".into());
        transaction
            .prepare_cached(
                "INSERT INTO slates (asset_id, start, end, seen_start, seen_end, tail, scene, take,
                 roll, camera, slate_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                asset_id,
                span.start,
                span.end,
                span.seen_start,
                span.seen_end,
                span.tail,
                slate.scene,
                slate.take,
                slate.roll,
                slate.camera,
                slate_json,
            ])?;
    }
    Ok(())
}

/// Reads every asset's slates again from its stored screen text (`rushes reindex`), in one
/// transaction. Assets without stored screen text keep the slates they have.
pub(crate) fn rederive_slates(catalog: &mut Catalog) -> Result<(), StoreError> {
    let transaction = catalog.connection_mut().transaction()?;
    let stored_text: bool = transaction.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'screen_texts')",
        [],
        |row| row.get(0),
    )?;
    if !stored_text {
        return Ok(());
    }
    let mut texts: HashMap<String, (Option<f64>, Vec<ScreenText>)> = HashMap::new();
    {
        let mut statement = transaction.prepare(
            "SELECT s.asset_id, a.duration, s.start, s.end, s.text FROM screen_texts s
             JOIN assets a ON a.id = s.asset_id ORDER BY s.asset_id, s.start",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, f64>(1)?,
                ScreenText {
                    start: row.get(2)?,
                    end: row.get(3)?,
                    text: row.get(4)?,
                },
            ))
        })?;
        for row in rows {
            let (asset_id, duration, text) = row?;
            let entry = texts
                .entry(asset_id)
                .or_insert_with(|| (Some(duration).filter(|d| *d > 0.0), Vec::new()));
            entry.1.push(text);
        }
    }
    for (asset_id, (duration, screen_text)) in &texts {
        transaction
            .prepare_cached("DELETE FROM slates WHERE asset_id = ?1")?
            .execute([asset_id])?;
        write_slates(
            &transaction,
            asset_id,
            &rushes_slate::slate_spans(screen_text, *duration),
        )?;
    }
    transaction.commit()?;
    Ok(())
}

/// One stored span with the asset it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSpan {
    pub asset_id: String,
    pub span: SlateSpan,
}

const SPAN_COLUMNS: &str =
    "SELECT asset_id, start, end, seen_start, seen_end, tail, slate_json FROM slates";

fn span_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredSpan> {
    let slate_json: String = row.get(6)?;
    Ok(StoredSpan {
        asset_id: row.get(0)?,
        span: SlateSpan {
            start: row.get(1)?,
            end: row.get(2)?,
            seen_start: row.get(3)?,
            seen_end: row.get(4)?,
            tail: row.get(5)?,
            slate: serde_json::from_str(&slate_json).unwrap_or_default(),
        },
    })
}

/// Every stored span, by asset then time.
pub(crate) fn all_spans(connection: &Connection) -> Result<Vec<StoredSpan>, StoreError> {
    let mut statement =
        connection.prepare_cached(&format!("{SPAN_COLUMNS} ORDER BY asset_id, start"))?;
    let spans = statement
        .query_map([], span_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(spans)
}

/// The spans of the given assets, by asset id, in time order.
pub(crate) fn spans_of(
    connection: &Connection,
    asset_ids: &[&str],
) -> Result<HashMap<String, Vec<SlateSpan>>, StoreError> {
    let mut by_asset: HashMap<String, Vec<SlateSpan>> = HashMap::new();
    if asset_ids.is_empty() {
        return Ok(by_asset);
    }
    let wanted = serde_json::Value::from(asset_ids.to_vec()).to_string();
    let mut statement = connection.prepare_cached(&format!(
        "{SPAN_COLUMNS} WHERE asset_id IN (SELECT value FROM json_each(?1)) ORDER BY asset_id, start"
    ))?;
    for stored in statement.query_map([wanted], span_from_row)? {
        let stored = stored?;
        by_asset
            .entry(stored.asset_id)
            .or_default()
            .push(stored.span);
    }
    Ok(by_asset)
}

/// The span of `spans` (one asset's, in time order) that time `at` falls in.
pub(crate) fn span_at(spans: &[SlateSpan], at: f64) -> Option<&SlateSpan> {
    spans
        .iter()
        .rev()
        .find(|span| span.start <= at && at < span.end)
        .or_else(|| spans.iter().find(|span| span.start <= at && at <= span.end))
}

/// A value as filters compare it: upper case, leading zeros off its first run of digits
/// (`a007` → `A7`, `03` → `3`).
fn comparable(value: &str) -> String {
    let upper = value.trim().to_uppercase();
    let prefix_len = upper
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(upper.len());
    let (prefix, rest) = upper.split_at(prefix_len);
    let digits_len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (digits, suffix) = rest.split_at(digits_len);
    let trimmed = digits.trim_start_matches('0');
    let digits = if trimmed.is_empty() && !digits.is_empty() {
        "0"
    } else {
        trimmed
    };
    format!("{prefix}{digits}{suffix}")
}

/// True when a slate's `field` matches the filter's value (see the module's rules).
pub fn slate_matches(slate: &Slate, field: SlateField, wanted: &str) -> bool {
    let value = match field {
        SlateField::Scene => &slate.scene,
        SlateField::Take => &slate.take,
        SlateField::Roll => &slate.roll,
        SlateField::Camera => &slate.camera,
    };
    let Some(value) = value else {
        return false;
    };
    let (value, wanted) = (comparable(value), comparable(wanted));
    if value == wanted {
        return true;
    }
    // `scene:42` also finds 42A and 42B: the scene number with any letter suffix.
    field == SlateField::Scene
        && !wanted.is_empty()
        && wanted.chars().all(|c| c.is_ascii_digit())
        && value
            .strip_prefix(&wanted)
            .is_some_and(|suffix| suffix.chars().all(|c| c.is_ascii_alphabetic()))
}

/// Ids of the moments overlapping any of `spans`.
fn moments_overlapping(
    connection: &Connection,
    spans: &[StoredSpan],
) -> Result<Vec<u64>, StoreError> {
    let mut ids = Vec::new();
    let mut statement = connection.prepare_cached(
        "SELECT id FROM moments WHERE asset_id = ?1 AND start < ?3 AND (end > ?2 OR start >= ?2)
         ORDER BY id",
    )?;
    for stored in spans {
        let found = statement
            .query_map(
                params![stored.asset_id, stored.span.start, stored.span.end],
                |row| row.get::<_, i64>(0),
            )?
            .collect::<Result<Vec<i64>, _>>()?;
        ids.extend(found.into_iter().map(|id| id as u64));
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Fills every `scene:`, `take:` and `roll:` filter with the spans it matches and their
/// moments (none when nothing matches, so the filter then matches nothing), and turns a
/// `camera:` filter that names a slate's camera letter into one that also takes its spans.
pub(crate) fn resolve_slate_filters(index: &Index, query: &mut Query) -> Result<(), StoreError> {
    let wants_slates = query
        .filters
        .iter()
        .any(|clause| matches!(clause.filter, Filter::Slate(_) | Filter::Camera(_)));
    if !wants_slates {
        return Ok(());
    }
    let catalog = index.catalog()?;
    let connection = catalog.connection();
    let spans = all_spans(connection)?;
    for clause in &mut query.filters {
        let (field, value) = match &clause.filter {
            Filter::Slate(filter) => (filter.field, filter.value.clone()),
            Filter::Camera(camera) => (SlateField::Camera, camera.clone()),
            _ => continue,
        };
        let matching: Vec<StoredSpan> = spans
            .iter()
            .filter(|stored| slate_matches(&stored.span.slate, field, &value))
            .cloned()
            .collect();
        if matches!(clause.filter, Filter::Camera(_)) && matching.is_empty() {
            continue;
        }
        let moments = moments_overlapping(connection, &matching)?;
        clause.filter = Filter::Slate(SlateFilter {
            field,
            value,
            spans: matching
                .into_iter()
                .map(|stored| (stored.asset_id, stored.span.start, stored.span.end))
                .collect(),
            moments,
        });
    }
    Ok(())
}

/// The windows of the spans the query's slate filters matched, by asset: a hit found
/// through them covers its span.
pub(crate) fn matched_windows(query: &Query) -> HashMap<String, Vec<(f64, f64)>> {
    let mut windows: HashMap<String, Vec<(f64, f64)>> = HashMap::new();
    for clause in query.filters.iter().filter(|clause| !clause.negated) {
        if let Filter::Slate(filter) = &clause.filter {
            for (asset_id, start, end) in &filter.spans {
                windows
                    .entry(asset_id.clone())
                    .or_default()
                    .push((*start, *end));
            }
        }
    }
    windows
}

/// Matching assets by scene and by take: the spans of `assets` that pass every slate filter
/// of the query (so with `scene:42` the takes are scene 42's).
pub(crate) fn scene_and_take_counts(
    index: &Index,
    query: &Query,
    assets: &HashSet<&str>,
) -> Result<(AssetsByValue, AssetsByValue), StoreError> {
    let (mut scenes, mut takes) = (AssetsByValue::new(), AssetsByValue::new());
    if assets.is_empty() {
        return Ok((scenes, takes));
    }
    let spans = {
        let catalog = index.catalog()?;
        all_spans(catalog.connection())?
    };
    let filters: Vec<(&SlateFilter, bool)> = query
        .filters
        .iter()
        .filter_map(|clause| match &clause.filter {
            Filter::Slate(filter) => Some((filter, clause.negated)),
            _ => None,
        })
        .collect();
    for stored in spans {
        if !assets.contains(stored.asset_id.as_str()) {
            continue;
        }
        let slate = &stored.span.slate;
        let passes = filters
            .iter()
            .all(|(filter, negated)| slate_matches(slate, filter.field, &filter.value) != *negated);
        if !passes {
            continue;
        }
        if let Some(scene) = &slate.scene {
            scenes
                .entry(scene.clone())
                .or_default()
                .insert(stored.asset_id.clone());
        }
        if let Some(take) = &slate.take {
            takes
                .entry(take.clone())
                .or_default()
                .insert(stored.asset_id.clone());
        }
    }
    Ok((scenes, takes))
}

/// Asset ids by facet value.
pub(crate) type AssetsByValue = HashMap<String, HashSet<String>>;

/// One clip of a take in the scene → take library: a slate span of one file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SlateClip {
    pub asset_id: String,
    pub path: String,
    pub start: f64,
    pub end: f64,
    /// URL path of the thumbnail of the moment the slate is seen in.
    pub thumbnail: Option<String>,
    pub slate: Slate,
}

/// One take of a scene and its clips (a take shot on two cameras is two clips).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TakeGroup {
    pub take: Option<String>,
    pub clips: Vec<SlateClip>,
}

/// One scene and its takes, in take order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SceneGroup {
    pub scene: String,
    pub takes: Vec<TakeGroup>,
}

/// A key that sorts scenes and takes the way a script does: by number, then letters
/// (`9` < `10` < `10A` < `11`).
fn script_order(value: &str) -> (String, u64, String) {
    let upper = value.to_uppercase();
    let prefix: String = upper.chars().take_while(|c| !c.is_ascii_digit()).collect();
    let digits: String = upper
        .chars()
        .skip(prefix.chars().count())
        .take_while(char::is_ascii_digit)
        .collect();
    let suffix: String = upper
        .chars()
        .skip(prefix.chars().count() + digits.chars().count())
        .collect();
    (prefix, digits.parse().unwrap_or(u64::MAX), suffix)
}

impl Index {
    /// Every slated clip grouped by scene, then take, in script order: the Library's scene
    /// view, the way an editor walks dailies. Spans without a scene are left out.
    pub fn scene_library(&self) -> Result<Vec<SceneGroup>, StoreError> {
        let rows: Vec<(String, SlateClip)> = {
            let catalog = self.catalog()?;
            let mut statement = catalog.connection().prepare(
                "SELECT s.asset_id, a.display_path, s.start, s.end, s.slate_json,
                   (SELECT m.thumbnail FROM moments m WHERE m.asset_id = s.asset_id
                      AND m.start <= s.seen_start ORDER BY m.start DESC LIMIT 1)
                 FROM slates s JOIN assets a ON a.id = s.asset_id
                 WHERE a.pending = 0 AND s.scene IS NOT NULL
                 ORDER BY a.display_path, s.start",
            )?;
            statement
                .query_map([], |row| {
                    let slate_json: String = row.get(4)?;
                    let slate: Slate = serde_json::from_str(&slate_json).unwrap_or_default();
                    Ok((
                        slate.scene.clone().unwrap_or_default(),
                        SlateClip {
                            asset_id: row.get(0)?,
                            path: row.get(1)?,
                            start: row.get(2)?,
                            end: row.get(3)?,
                            thumbnail: row
                                .get::<_, Option<String>>(5)?
                                .as_deref()
                                .map(crate::thumbnail_url),
                            slate,
                        },
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?
        };
        let mut scenes: Vec<SceneGroup> = Vec::new();
        for (scene, clip) in rows {
            let group = match scenes.iter().position(|group| group.scene == scene) {
                Some(at) => &mut scenes[at],
                None => {
                    scenes.push(SceneGroup {
                        scene,
                        takes: Vec::new(),
                    });
                    let last = scenes.len() - 1;
                    &mut scenes[last]
                }
            };
            let take = clip.slate.take.clone();
            match group.takes.iter_mut().find(|group| group.take == take) {
                Some(existing) => existing.clips.push(clip),
                None => group.takes.push(TakeGroup {
                    take,
                    clips: vec![clip],
                }),
            }
        }
        scenes.sort_by_key(|group| script_order(&group.scene));
        for group in &mut scenes {
            group
                .takes
                .sort_by_key(|take| take.take.as_deref().map(script_order));
        }
        Ok(scenes)
    }

    /// The slate spans of one asset, in time order (empty when it has none).
    pub fn asset_slates(&self, asset_id: &str) -> Result<Vec<SlateSpan>, StoreError> {
        let catalog = self.catalog()?;
        Ok(spans_of(catalog.connection(), &[asset_id])?
            .remove(asset_id)
            .unwrap_or_default())
    }

    /// Every slate span of the index with its asset, by asset then time (the Library's
    /// scene → take view reads these).
    pub fn all_slates(&self) -> Result<Vec<StoredSpan>, StoreError> {
        let catalog = self.catalog()?;
        all_spans(catalog.connection())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slate(scene: &str, take: &str) -> Slate {
        Slate {
            scene: Some(scene.into()),
            take: Some(take.into()),
            roll: Some("A007".into()),
            camera: Some("A".into()),
            ..Slate::default()
        }
    }

    #[test]
    fn scene_number_matches_its_lettered_scenes_and_a_letter_only_itself() {
        assert!(slate_matches(&slate("42", "3"), SlateField::Scene, "42"));
        assert!(slate_matches(&slate("42A", "3"), SlateField::Scene, "42"));
        assert!(slate_matches(&slate("42B", "3"), SlateField::Scene, "42"));
        assert!(slate_matches(&slate("42A", "3"), SlateField::Scene, "42a"));
        assert!(!slate_matches(&slate("42B", "3"), SlateField::Scene, "42A"));
        assert!(!slate_matches(&slate("42", "3"), SlateField::Scene, "42A"));
        assert!(!slate_matches(&slate("142", "3"), SlateField::Scene, "42"));
        assert!(!slate_matches(&slate("420", "3"), SlateField::Scene, "42"));
        assert!(slate_matches(&slate("42", "3"), SlateField::Scene, "042"));
    }

    #[test]
    fn take_roll_and_camera_match_exactly_ignoring_case_and_leading_zeros() {
        assert!(slate_matches(&slate("42", "3"), SlateField::Take, "3"));
        assert!(slate_matches(&slate("42", "3"), SlateField::Take, "03"));
        assert!(!slate_matches(&slate("42", "3"), SlateField::Take, "13"));
        assert!(!slate_matches(&slate("42", "13"), SlateField::Take, "3"));
        assert!(slate_matches(&slate("42", "3"), SlateField::Roll, "a007"));
        assert!(!slate_matches(&slate("42", "3"), SlateField::Roll, "A008"));
        assert!(slate_matches(&slate("42", "3"), SlateField::Camera, "a"));
        assert!(!slate_matches(&slate("42", "3"), SlateField::Camera, "B"));
        assert!(slate_matches(&slate("42", "0"), SlateField::Take, "0"));
    }
}
