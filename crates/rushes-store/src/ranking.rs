//! What one search ranks over: the engines of a library, as seams ([`Ranking`]), so the
//! same ranking (`search`, `semantic`) runs on the local folder and on PostgreSQL.

use crate::seams::{RankingCatalog, TextIndex, VectorIndex};

/// The engines one search reads: the text index, the frame vectors, the catalog, and the
/// text units' vectors (`None`: no semantic branch).
pub struct Ranking<'a, T: TextIndex> {
    pub text: &'a T,
    pub vectors: &'a dyn VectorIndex,
    pub text_vectors: Option<&'a dyn VectorIndex>,
    pub catalog: &'a dyn RankingCatalog,
}
