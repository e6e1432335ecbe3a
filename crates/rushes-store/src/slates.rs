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

use rushes_core::{Slate, SlateSpan};

use crate::catalog::{Catalog, Repositories};
use crate::error::StoreError;
use crate::query::{Filter, Query, SlateField, SlateFilter};
use crate::ranking_catalog::RankingCatalog;

pub use crate::catalog::slate_spans::{SlateClip, StoredSpan};

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

/// Fills every `scene:`, `take:` and `roll:` filter with the spans it matches and their
/// moments (none when nothing matches, so the filter then matches nothing), and turns a
/// `camera:` filter that names a slate's camera letter into one that also takes its spans.
pub fn resolve_slate_filters(
    catalog: &dyn RankingCatalog,
    query: &mut Query,
) -> Result<(), StoreError> {
    let wants_slates = query
        .filters
        .iter()
        .any(|clause| matches!(clause.filter, Filter::Slate(_) | Filter::Camera(_)));
    if !wants_slates {
        return Ok(());
    }
    let spans = catalog.all_slates()?;
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
        let moments = catalog.moments_overlapping(&matching)?;
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
    catalog: &dyn RankingCatalog,
    query: &Query,
    assets: &HashSet<&str>,
) -> Result<(AssetsByValue, AssetsByValue), StoreError> {
    let (mut scenes, mut takes) = (AssetsByValue::new(), AssetsByValue::new());
    if assets.is_empty() {
        return Ok((scenes, takes));
    }
    let spans = catalog.all_slates()?;
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

/// Every slated clip grouped by scene, then take, in script order: the Library's scene
/// view, the way an editor walks dailies. Spans without a scene are left out.
pub(crate) fn scene_library(catalog: &Catalog) -> Result<Vec<SceneGroup>, StoreError> {
    Ok(group_scenes(catalog.slates().clips_with_scene()?))
}

/// Slated clips, each with its scene, in script order (as the catalog's
/// `clips_with_scene` reads them), grouped by scene, then take.
pub fn group_scenes(rows: Vec<(String, SlateClip)>) -> Vec<SceneGroup> {
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
    scenes
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
