//! What a search asks (`SearchRequest`: the query text, paging, query vectors, order, the
//! fusion), the ranked hits it gets (`RankedHits`) and the facet counts it can answer with.

use std::collections::HashMap;

use rushes_core::{Asset, AssetId, SearchResponse};
use serde::{Deserialize, Serialize};

use crate::fusion::Fusion;

/// Hits ranked for a query, with the assets they belong to (as read for ranking, so a
/// caller adding asset facts to hits need not read them again).
#[derive(Debug, Clone)]
pub struct RankedHits {
    pub response: SearchResponse,
    pub assets: HashMap<AssetId, Asset>,
}

/// Order of search results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (newest first when the query has only filters).
    #[default]
    Relevance,
    /// Newest capture date first.
    Date,
    /// By path, then time in the file.
    Path,
}

/// A search: the query text, paging, optional query vectors for the visual branch, the
/// most hits one asset may contribute, and the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    pub query: String,
    pub limit: usize,
    pub offset: usize,
    /// The query text embedded by the index's text encoder (CLIP), for the visual branch.
    pub text_vector: Option<Vec<f32>>,
    /// An image embedding ("more like this"), for the visual branch.
    pub image_vector: Option<Vec<f32>>,
    /// At most this many hits per asset (0: no limit); ignored when the query names one asset.
    pub per_asset: usize,
    pub sort: Sort,
    /// How the text and visual branches are fused (the measured default unless a caller,
    /// such as the fusion evaluation, asks for another).
    pub fusion: Fusion,
}

impl Default for SearchRequest {
    fn default() -> SearchRequest {
        SearchRequest {
            query: String::new(),
            limit: 20,
            offset: 0,
            text_vector: None,
            image_vector: None,
            per_asset: 3,
            sort: Sort::Relevance,
            fusion: Fusion::default(),
        }
    }
}

impl SearchRequest {
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            ..SearchRequest::default()
        }
    }
}

/// One facet value and how many assets have it among the matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// Counts of matching assets by kind, folder, camera and tag, for the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    /// Matching moments.
    pub moments: u64,
    pub kind: Vec<FacetCount>,
    pub folder: Vec<FacetCount>,
    pub camera: Vec<FacetCount>,
    pub tag: Vec<FacetCount>,
    /// Matching assets by the scenes and takes their slates name.
    #[serde(default)]
    pub scene: Vec<FacetCount>,
    #[serde(default)]
    pub take: Vec<FacetCount>,
}
