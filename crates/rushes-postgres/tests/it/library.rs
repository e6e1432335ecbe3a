//! The same library through the store's `Library` trait on both engines: the corpus written
//! into a local `Index` and into a `PgLibrary`, the same hand work on each, then the same
//! calls. `search` answers the same hits (asset, window, signals, snippet, slate, caption,
//! thumbnail, people, missing words, listing reasons) in the same order; only the scores
//! differ (BM25 against `ts_rank`, both normalised to the best possible). `status` counts,
//! `asset_detail`, `scene_library`, `annotations` and `all_slates` are equal.

use rushes_core::{Hit, SearchResponse};
use rushes_postgres::PgLibrary;
use rushes_store::seams::AssetWrites;
use rushes_store::{Index, Library, OpenMode, SearchRequest, TimeRange};
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

use crate::corpus::{library, vector_of};

pub(crate) struct Both {
    pub dir: tempfile::TempDir,
    pub local: Index,
    pub pg: PgLibrary,
}

pub(crate) const HERO: &str = "hero shot";
pub(crate) const NOTE: &str = "the director loved this answer";

/// The corpus in a fresh local index and a fresh database, with the same hand work done
/// through `Library` on each.
pub(crate) fn both() -> Result<Both, TestError> {
    let records = library();
    let dir = tempfile::tempdir()?;
    let local = Index::open(&dir.path().join("index"), OpenMode::ReadWrite)?;
    local.put_assets(&records)?;
    local.commit()?;
    let pg = PgLibrary::open(&shared_server()?.fresh_database()?)?;
    pg.engine().put_assets(&records, None)?;
    for library in [&local as &dyn Library, &pg] {
        library.add_hand_tags(
            &records[0].asset.id,
            Some(TimeRange::new(0.0, 5.0)?),
            &[HERO.to_string()],
        )?;
        library.set_note(&records[2].asset.id, None, NOTE)?;
    }
    Ok(Both { dir, local, pg })
}

/// A hit without its score.
/// A hit without its score, nor its unit's similarity (usearch keeps the unit vectors
/// quantised, pgvector exact).
pub(crate) fn unscored(hit: &Hit) -> Hit {
    let mut semantic = hit.semantic.clone();
    if let Some(unit) = &mut semantic {
        unit.similarity = 0.0;
    }
    Hit {
        score: 0.0,
        semantic,
        ..hit.clone()
    }
}

fn hits(response: &SearchResponse) -> Vec<Hit> {
    response.hits.iter().map(unscored).collect()
}

impl Both {
    pub(crate) fn same_search(&self, request: &SearchRequest) -> Result<SearchResponse, TestError> {
        let local = self.local.search(request)?;
        let pg = Library::search(&self.pg, request)?;
        assert_eq!(
            hits(&local),
            hits(&pg),
            "`{}`: local vs PostgreSQL",
            request.query
        );
        assert_eq!(
            local.people_matched, pg.people_matched,
            "`{}`",
            request.query
        );
        assert_eq!(local.notice, pg.notice, "`{}`", request.query);
        Ok(local)
    }

    fn same_words(&self, query: &str, expected: usize) -> Result<SearchResponse, TestError> {
        let request = SearchRequest {
            query: query.to_string(),
            ..SearchRequest::default()
        };
        let response = self.same_search(&request)?;
        assert_eq!(
            response.hits.len(),
            expected,
            "`{query}`: {:?}",
            response.hits
        );
        Ok(response)
    }
}

#[test]
fn searches_answer_the_same_hits_windows_signals_and_snippets_on_both_engines()
-> Result<(), TestError> {
    let both = both()?;
    let operator = both.same_words("crane operator", 1)?;
    assert!(
        operator.hits[0].snippet.contains("<b>"),
        "a highlighted snippet: {:?}",
        operator.hits[0]
    );
    for (query, expected) in [
        ("operator", 1),
        ("coffee", 2),
        ("ete", 1),
        ("CAFÉ", 1),
        ("\"crane operator\"", 1),
        ("\"operator crane\"", 0),
        ("crane -stunt", 2),
        ("hero", 1),
        ("interview", 1),
        ("maria", 1),
        ("scene:42A", 1),
        ("take:1", 1),
        ("camera:B", 1),
        ("kind:image", 1),
        ("", 5),
    ] {
        both.same_words(query, expected)?;
    }
    // `take3`: the same hit, window and snippet. PostgreSQL's snippet generators know no
    // per-field word statistics; the hit's metadata text once held the whole ffprobe format
    // family (`…,3gp,…`) where the index holds only the first, so `3` matched metadata there
    // alone. Both now match the metadata the index holds: the same signals too.
    let request = SearchRequest {
        query: "take3".to_string(),
        ..SearchRequest::default()
    };
    let (local, pg) = (
        both.local.search(&request)?,
        Library::search(&both.pg, &request)?,
    );
    assert_eq!(local.hits.len(), 1);
    let without_metadata = |hit: &Hit| Hit {
        signals: hit
            .signals
            .iter()
            .copied()
            .filter(|s| *s != rushes_core::Signal::Metadata)
            .collect(),
        ..unscored(hit)
    };
    assert_eq!(
        without_metadata(&local.hits[0]),
        without_metadata(&pg.hits[0])
    );
    assert_eq!(
        unscored(&local.hits[0]),
        unscored(&pg.hits[0]),
        "take3 lists no metadata match on PostgreSQL"
    );
    // A query vector: the same nearest frames become the same visual hits.
    let visual = SearchRequest {
        query: String::new(),
        text_vector: Some(vector_of(3)),
        ..SearchRequest::default()
    };
    let response = both.same_search(&visual)?;
    assert!(!response.hits.is_empty(), "the vector finds frames");
    Ok(())
}

#[test]
fn status_asset_detail_slates_and_annotations_are_the_same_on_both_engines() -> Result<(), TestError>
{
    let both = both()?;
    let (local, pg) = (both.local.status()?, Library::status(&both.pg)?);
    assert_eq!(
        (
            local.assets,
            &local.assets_by_kind,
            local.moments,
            local.frames
        ),
        (pg.assets, &pg.assets_by_kind, pg.moments, pg.frames)
    );
    assert_eq!(local.embedding_models, pg.embedding_models);
    assert_eq!(local.text_unit_models, pg.text_unit_models);
    assert_eq!(pg.text_unit_models.len(), 1, "the corpus's sentence model");
    assert_eq!(local.assets, 4);
    assert!(pg.dir.starts_with("postgres://"), "{}", pg.dir);
    let assets = both.local.assets()?;
    assert_eq!(assets, Library::assets(&both.pg)?);
    for asset in &assets {
        let detail = both.local.asset_detail(&asset.id)?;
        assert!(detail.is_some());
        assert_eq!(
            detail,
            Library::asset_detail(&both.pg, &asset.id)?,
            "{}",
            asset.path.display()
        );
        assert_eq!(
            both.local.annotations(&asset.id)?,
            Library::annotations(&both.pg, &asset.id)?
        );
        assert_eq!(
            both.local.asset_by_path(&asset.path)?,
            Library::asset_by_path(&both.pg, &asset.path)?
        );
        assert_eq!(
            both.local.screen_text(&asset.id)?,
            Library::screen_text(&both.pg, &asset.id)?
        );
    }
    let scenes = both.local.scene_library()?;
    assert_eq!(scenes.len(), 2, "{scenes:?}");
    assert_eq!(scenes, Library::scene_library(&both.pg)?);
    assert_eq!(both.local.all_slates()?, Library::all_slates(&both.pg)?);
    Ok(())
}
