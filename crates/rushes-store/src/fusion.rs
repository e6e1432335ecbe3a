//! Fusion: turns the ranked moment lists of the text and visual branches into one score per
//! moment. Owns the two methods a search may ask for — reciprocal rank fusion and a weighted
//! sum of per-branch normalised scores — and which one is the default (chosen by
//! measurement; see the crate README). Building hits from the fused order is `search`'s job.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// How the branches' ranked lists become one order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Fusion {
    /// Reciprocal rank fusion: a moment at rank r (from 1) of a branch gets 1 / (k + r).
    Rank { k: f32 },
    /// Calibrated scores: each branch's scores min-max normalised to 0..1 over its list
    /// (BM25 for text, cosine similarity for visual), then summed with weight 1 for text and
    /// `visual_weight` for each visual branch.
    Scores { visual_weight: f32 },
}

/// The `k` of the default reciprocal rank fusion.
pub const RRF_K: f32 = 60.0;

impl Default for Fusion {
    fn default() -> Fusion {
        Fusion::Rank { k: RRF_K }
    }
}

/// One branch's moments, best first, with the branch's own score for each.
#[derive(Debug, Clone, Default)]
pub struct Branch {
    pub moments: Vec<(i64, f32)>,
    pub visual: bool,
}

/// A moment's standing after fusion.
#[derive(Debug, Default, Clone)]
pub struct Fused {
    pub score: f32,
    /// Order of arrival for stable ties.
    pub first_seen: usize,
    /// Found by a visual branch.
    pub visual: bool,
}

impl Fusion {
    /// The fused score of each moment of `branches`. Branches are interleaved rank by rank,
    /// so arrival order (the tie-break) alternates between them.
    pub fn fuse(&self, branches: &[Branch]) -> HashMap<i64, Fused> {
        let normalised: Vec<Vec<f32>> = branches
            .iter()
            .map(|branch| self.branch_scores(branch))
            .collect();
        let mut fused: HashMap<i64, Fused> = HashMap::new();
        let mut arrival = 0;
        let longest = branches.iter().map(|b| b.moments.len()).max().unwrap_or(0);
        for rank in 0..longest {
            for (branch, scores) in branches.iter().zip(&normalised) {
                let (Some((id, _)), Some(score)) = (branch.moments.get(rank), scores.get(rank))
                else {
                    continue;
                };
                let entry = fused.entry(*id).or_insert_with(|| {
                    arrival += 1;
                    Fused {
                        first_seen: arrival,
                        ..Fused::default()
                    }
                });
                entry.score += score;
                entry.visual |= branch.visual;
            }
        }
        fused
    }

    /// The score a moment ranked first by every branch would get: shown scores are
    /// fractions of it.
    pub fn best_possible(&self, branches: &[Branch]) -> f32 {
        branches.iter().map(|branch| self.weight(branch)).sum()
    }

    fn weight(&self, branch: &Branch) -> f32 {
        match *self {
            Fusion::Rank { k } => 1.0 / (k + 1.0),
            Fusion::Scores { visual_weight } if branch.visual => visual_weight,
            Fusion::Scores { .. } => 1.0,
        }
    }

    /// What each moment of one branch contributes, in the branch's order.
    fn branch_scores(&self, branch: &Branch) -> Vec<f32> {
        match *self {
            Fusion::Rank { k } => (0..branch.moments.len())
                .map(|rank| 1.0 / (k + rank as f32 + 1.0))
                .collect(),
            Fusion::Scores { .. } => {
                let weight = self.weight(branch);
                let scores = branch.moments.iter().map(|(_, score)| *score);
                let best = scores.clone().fold(f32::NEG_INFINITY, f32::max);
                let worst = scores.clone().fold(f32::INFINITY, f32::min);
                let span = best - worst;
                scores
                    .map(|score| {
                        // One moment, or all equal: each is as good as the branch gets.
                        let share = if span > f32::EPSILON {
                            (score - worst) / span
                        } else {
                            1.0
                        };
                        weight * share
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branch(ids_and_scores: &[(i64, f32)], visual: bool) -> Branch {
        Branch {
            moments: ids_and_scores.to_vec(),
            visual,
        }
    }

    fn best(fused: &HashMap<i64, Fused>) -> Option<i64> {
        fused
            .iter()
            .max_by(|a, b| {
                a.1.score
                    .total_cmp(&b.1.score)
                    .then(b.1.first_seen.cmp(&a.1.first_seen))
            })
            .map(|(id, _)| *id)
    }

    #[test]
    fn rank_fusion_puts_a_moment_ranked_by_both_branches_first() {
        let text = branch(&[(1, 9.0), (2, 8.0), (3, 7.0)], false);
        let visual = branch(&[(4, 0.3), (2, 0.29), (5, 0.28)], true);
        let fused = Fusion::default().fuse(&[text, visual]);
        assert_eq!(best(&fused), Some(2));
        assert!(fused[&2].visual && !fused[&1].visual);
    }

    #[test]
    fn score_fusion_follows_the_gap_between_scores_not_the_rank() {
        // Text: moment 1 far ahead of 2. Visual: 2 barely ahead of 1.
        let text = branch(&[(1, 10.0), (2, 2.0), (3, 1.0)], false);
        let visual = branch(&[(2, 0.300), (1, 0.299), (3, 0.2)], true);
        let scores = Fusion::Scores { visual_weight: 1.0 };
        assert_eq!(best(&scores.fuse(&[text.clone(), visual.clone()])), Some(1));
        // Rank fusion sees two first places and a tie between 1 and 2.
        let rank = Fusion::default().fuse(&[text, visual]);
        assert!((rank[&1].score - rank[&2].score).abs() < 1e-6);
    }

    #[test]
    fn best_possible_is_the_score_of_a_moment_first_everywhere() {
        let branches = [
            branch(&[(1, 5.0), (2, 1.0)], false),
            branch(&[(1, 0.4), (2, 0.1)], true),
        ];
        for fusion in [Fusion::default(), Fusion::Scores { visual_weight: 0.5 }] {
            let fused = fusion.fuse(&branches);
            assert!((fused[&1].score - fusion.best_possible(&branches)).abs() < 1e-6);
        }
    }
}
