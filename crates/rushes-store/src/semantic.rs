//! The semantic branch of hybrid ranking: the query's sentence embedding → the nearest text
//! units (transcript lines, on-screen text, captions) in the text-unit vector index → those
//! at or above the sentence model's calibrated cut-off → the moments they start in, kept
//! only where the query's filters and exclusions pass. Each moment keeps its best unit: the
//! hit built from it plays the unit's window and shows its text and similarity.

use std::collections::HashMap;

use crate::error::StoreError;
use crate::ranking::Ranking;
use crate::request::SemanticQuery;
use crate::seams::TextIndex;
use rushes_core::SemanticMatch;

/// The semantic branch's moments, best first, and the unit each matched by.
#[derive(Debug, Default)]
pub(crate) struct SemanticBranch {
    pub ranked: Vec<(i64, f32)>,
    pub matches: HashMap<i64, SemanticMatch>,
}

/// The moments whose text units mean what the query says, best first.
pub(crate) fn semantic_branch<T: TextIndex>(
    index: &Ranking<'_, T>,
    searcher: &T::Snapshot,
    semantic: &SemanticQuery,
    pool: usize,
    restriction: Option<&T::Query>,
) -> Result<SemanticBranch, StoreError> {
    let Some(text_vectors) = index.text_vectors else {
        return Ok(SemanticBranch::default());
    };
    // Restrictive filters can leave few of the nearest units; look further then.
    let count = if restriction.is_some() {
        pool * 8
    } else {
        pool * 2
    };
    if text_vectors.dimensions(&semantic.model)? != Some(semantic.vector.len()) {
        // No unit of this model (or of another size): nothing can match by meaning.
        return Ok(SemanticBranch::default());
    }
    let nearest = text_vectors.search(&semantic.model, &semantic.vector, count)?;
    let similar: Vec<_> = nearest
        .into_iter()
        .filter(|unit| unit.similarity >= semantic.cutoff)
        .collect();
    if similar.is_empty() {
        return Ok(SemanticBranch::default());
    }
    let unit_ids: Vec<u64> = similar.iter().map(|unit| unit.frame_id).collect();
    let rows = index.catalog.matched_units(&unit_ids)?;
    let similarity: HashMap<u64, f32> = similar
        .iter()
        .map(|unit| (unit.frame_id, unit.similarity))
        .collect();
    let mut branch = SemanticBranch::default();
    for row in rows {
        let Some(&score) = similarity.get(&row.unit_id) else {
            continue;
        };
        if branch.matches.contains_key(&row.moment_id) {
            continue;
        }
        branch.ranked.push((row.moment_id, score));
        branch.matches.insert(
            row.moment_id,
            SemanticMatch {
                kind: row.kind,
                text: row.text,
                start: row.start,
                end: row.end,
                similarity: score,
            },
        );
    }
    if let Some(restriction) = restriction {
        let ids: Vec<i64> = branch.ranked.iter().map(|(id, _)| *id).collect();
        let passing = index.text.passing(searcher, restriction, &ids)?;
        branch.ranked.retain(|(id, _)| passing.contains(id));
        branch.matches.retain(|id, _| passing.contains(id));
    }
    branch.ranked.truncate(pool);
    Ok(branch)
}
