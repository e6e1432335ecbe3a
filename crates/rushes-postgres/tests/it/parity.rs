//! The same library written through `AssetWrites` into the local engine (an `Index` in a
//! temp folder: SQLite, Tantivy, usearch) and into PostgreSQL, then the same queries through
//! each engine's `TextIndex` and `VectorIndex`: the same moments, in the same order where
//! the ranking is decided by the data (field boosts, dates, paths, vector directions), as
//! sets where two moments match alike and the engines' scoring (Tantivy's BM25, PostgreSQL's
//! `ts_rank`) or tie-breaks may legitimately order them differently.
//!
//! Moment and frame ids are each engine's own, so results are compared by (asset id, start
//! in milliseconds).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use rushes_postgres::{Client, PgEngine};
use rushes_store::catalog::{CATALOG_FILE, Catalog, Repositories};
use rushes_store::query::{Filter, Query, parse};
use rushes_store::seams::{AssetWrites, TextIndex, TextOrder, VectorIndex};
use rushes_store::text::TantivyText;
use rushes_store::text_branch::ranked_words;
use rushes_store::vectors::VectorStore;
use rushes_store::{Index, Library, OpenMode, TimeRange};
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

use crate::corpus::{MODEL, library, vector_of};

/// A moment as both engines name it: asset id and start in milliseconds.
type Key = (String, i64);

fn key(asset_id: &str, start: f64) -> Key {
    (asset_id.to_string(), (start * 1000.0).round() as i64)
}

struct Pair {
    _dir: tempfile::TempDir,
    catalog: Catalog,
    local_text: TantivyText,
    local_vectors: VectorStore,
    local_keys: HashMap<i64, Key>,
    pg: PgEngine,
    client: Client,
}

impl Pair {
    /// The corpus written into a fresh local index and a fresh PostgreSQL database.
    fn indexed() -> Result<Pair, TestError> {
        let records = library();
        let dir = tempfile::tempdir()?;
        let index_dir: PathBuf = dir.path().join("index");
        {
            let index = Index::open(&index_dir, OpenMode::ReadWrite)?;
            index.put_assets(&records)?;
            index.commit()?;
            index.add_hand_tags(
                &records[0].asset.id,
                Some(TimeRange::new(0.0, 5.0)?),
                &[HERO.to_string()],
            )?;
            index.set_note(&records[2].asset.id, None, NOTE)?;
        }
        let catalog = Catalog::open(&index_dir.join(CATALOG_FILE), true)?;
        let mut local_keys = HashMap::new();
        for record in &records {
            for moment in catalog.assets().asset_moments(record.asset.id.as_str())? {
                local_keys.insert(
                    moment.moment_id,
                    key(moment.asset.id.as_str(), moment.start),
                );
            }
        }
        let url = shared_server()?.fresh_database()?;
        let pg = PgEngine::open(&url)?;
        pg.put_assets(&records, None)?;
        pg.commit()?;
        // The same hand work, written as the facade will, then the moments' text re-derived.
        let mut client = rushes_postgres::connect(&url)?;
        let (tagged, noted) = (records[0].asset.id.as_str(), records[2].asset.id.as_str());
        client.execute(
            "INSERT INTO hand_tags (asset_id, start_time, end_time, tag, added_at)
             VALUES ($1, 0, 5, $2, 0)",
            &[&tagged, &HERO],
        )?;
        client.execute(
            "INSERT INTO hand_notes (asset_id, start_time, end_time, note, updated_at)
             VALUES ($1, 0, 0, $2, 0)",
            &[&noted, &NOTE],
        )?;
        for record in [&records[0], &records[2]] {
            let id = &record.asset.id;
            pg.text().put_asset(id.as_str(), &pg.asset_moments(id)?)?;
        }
        pg.text().commit()?;
        Ok(Pair {
            _dir: dir,
            catalog,
            local_text: TantivyText::open(&index_dir.join("text"), true)?,
            local_vectors: VectorStore::new(&index_dir.join("vectors"), true),
            local_keys,
            pg,
            client,
        })
    }

    fn pg_keys(&mut self) -> Result<HashMap<i64, Key>, TestError> {
        Ok(self
            .client
            .query("SELECT id, asset_id, start_time FROM moments", &[])?
            .iter()
            .map(|row| (row.get(0), key(&row.get::<_, String>(1), row.get(2))))
            .collect())
    }

    /// The query as search hands it to the text index: slate filters resolved (from the
    /// local catalog; their spans are the same in both engines).
    fn parsed(&self, text: &str) -> Result<Query, TestError> {
        let mut query = parse(text)?;
        rushes_store::slates::resolve_slate_filters(&self.catalog, &mut query)?;
        Ok(query)
    }

    /// The text branch of a search in each engine: all words, else any word; with no
    /// words, the listing in `order`.
    fn text_hits(
        &mut self,
        text: &str,
        order: TextOrder,
    ) -> Result<(Vec<Key>, Vec<Key>), TestError> {
        let query = self.parsed(text)?;
        let local = text_branch(&self.local_text, &query, order)?;
        let pg = text_branch(self.pg.text(), &query, order)?;
        let pg_keys = self.pg_keys()?;
        Ok((named(&local, &self.local_keys)?, named(&pg, &pg_keys)?))
    }

    fn same_order(&mut self, text: &str, expected_len: usize) -> Result<Vec<Key>, TestError> {
        let (local, pg) = self.text_hits(text, TextOrder::Score)?;
        assert_eq!(local, pg, "`{text}`: local vs PostgreSQL");
        assert_eq!(local.len(), expected_len, "`{text}`: {local:?}");
        Ok(local)
    }

    fn same_set(&mut self, text: &str, expected_len: usize) -> Result<Vec<Key>, TestError> {
        let (local, pg) = self.text_hits(text, TextOrder::Score)?;
        let (local_set, pg_set): (BTreeSet<_>, BTreeSet<_>) = (
            local.iter().cloned().collect(),
            pg.iter().cloned().collect(),
        );
        assert_eq!(local_set, pg_set, "`{text}`: local vs PostgreSQL");
        assert_eq!(local.len(), expected_len, "`{text}`: {local:?}");
        assert_eq!(pg.len(), expected_len, "`{text}`: {pg:?}");
        Ok(local)
    }
}

fn text_branch<T: TextIndex>(
    index: &T,
    query: &Query,
    order: TextOrder,
) -> Result<Vec<i64>, TestError> {
    let snapshot = index.snapshot();
    let ranked = match ranked_words(index, &snapshot, &query.terms, &query.filters, 100)? {
        Some(ranked) => ranked,
        None => {
            let restriction = index.restriction_query(&query.terms, &query.filters)?;
            index.top_moments(&snapshot, &restriction, 100, order)?
        }
    };
    Ok(ranked.into_iter().map(|(id, _)| id).collect())
}

fn named(ids: &[i64], keys: &HashMap<i64, Key>) -> Result<Vec<Key>, TestError> {
    ids.iter()
        .map(|id| {
            keys.get(id)
                .cloned()
                .ok_or_else(|| format!("moment {id} is not in the catalog").into())
        })
        .collect()
}

fn asset(path: &str) -> String {
    rushes_core::AssetId::from_path(std::path::Path::new(path)).to_string()
}

const HERO: &str = "hero shot";
const NOTE: &str = "the director loved this answer";
const A001: &str = "/footage/day1/cam-a/A001_C003.mov";
const B002: &str = "/footage/day1/cam-b/B002_C001.mov";
const INTERVIEW: &str = "/footage/day2/interviews/maria_interview.mov";
const POSTER: &str = "/footage/day2/stills/poster.jpg";

fn at(path: &str, start: f64) -> Key {
    key(&asset(path), start)
}

#[test]
fn words_stems_accents_phrases_and_exclusions_find_the_same_moments_in_both_engines()
-> Result<(), TestError> {
    let mut pair = Pair::indexed()?;
    // Plain words: all of them, else any.
    assert_eq!(pair.same_order("operator", 1)?, [at(B002, 4.0)]);
    assert_eq!(pair.same_order("crane operator", 1)?, [at(B002, 4.0)]);
    // The shorter transcript first (BM25's length norm; `ts_rank`'s log-length norm).
    assert_eq!(
        pair.same_order("coffee", 2)?,
        [at(B002, 0.0), at(A001, 0.0)]
    );
    // Where words match alike in moments whose other fields differ in length, the
    // engines may order them differently: Tantivy normalises each field's length by
    // its average (BM25), PostgreSQL the whole document's (`ts_rank`, flag 1). Sets there.
    // No moment has both words: any word.
    pair.same_set("paint quiet", 2)?;
    // Any word leaves out function words when there are content words: "the" and "for"
    // are in many moments, yet only the paint and the operator answer.
    assert_eq!(
        pair.same_set("paint for the operator", 2)?
            .into_iter()
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([at(INTERVIEW, 30.0), at(B002, 4.0)])
    );
    // A query of function words only still looks for them.
    assert_eq!(
        pair.same_set("the for", 4)?
            .into_iter()
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([
            at(A001, 0.0),
            at(A001, 10.0),
            at(INTERVIEW, 0.0),
            at(INTERVIEW, 30.0)
        ])
    );
    // Stemming: spilling, spill, spilled.
    let spill = pair.same_set("spilling", 3)?;
    assert!(spill.contains(&at(INTERVIEW, 30.0)), "{spill:?}");
    // Accents: `ete` finds `ÉTÉ`, `CAFÉ` finds `café`.
    assert_eq!(pair.same_order("ete", 1)?, [at(B002, 4.0)]);
    assert_eq!(pair.same_order("CAFÉ", 1)?, [at(A001, 10.0)]);
    // Letters and digits apart: `take3` finds `TAKE 3`.
    assert_eq!(pair.same_order("take3", 1)?, [at(A001, 5.0)]);
    // A phrase: its words in a row.
    assert_eq!(pair.same_order("\"crane operator\"", 1)?, [at(B002, 4.0)]);
    pair.same_order("\"operator crane\"", 0)?;
    // An exclusion.
    // Said and tagged first, then the short poster text, then longer ones.
    let crane = pair.same_order("crane", 4)?;
    assert_eq!(crane[..2], [at(A001, 0.0), at(POSTER, 0.0)]);
    let without_stunts = pair.same_order("crane -stunt", 2)?;
    assert!(without_stunts.iter().all(|hit| crane.contains(hit)));
    assert!(!without_stunts.contains(&at(B002, 4.0)));
    // Hand work: a ranged tag on the first shot, a note on the whole interview.
    assert_eq!(pair.same_order("hero", 1)?, [at(A001, 0.0)]);
    pair.same_set("director loved", 2)?;
    // Transcript and on-screen text outrank a match in the file name only.
    let interview = pair.same_order("interview", 2)?;
    assert_eq!(
        interview,
        [at(INTERVIEW, 0.0), at(INTERVIEW, 30.0)],
        "tagged beats named"
    );
    let maria = pair.same_order("maria", 2)?;
    assert_eq!(maria[0], at(INTERVIEW, 0.0), "said beats the file name");
    Ok(())
}

#[test]
fn every_filter_alone_and_with_words_passes_the_same_moments_in_both_engines()
-> Result<(), TestError> {
    let mut pair = Pair::indexed()?;
    let listing =
        |pair: &mut Pair, text: &str, expected: usize| -> Result<BTreeSet<Key>, TestError> {
            let (local, pg) = pair.text_hits(text, TextOrder::Path)?;
            assert_eq!(local, pg, "`{text}`: local vs PostgreSQL, by path");
            assert_eq!(local.len(), expected, "`{text}`: {local:?}");
            Ok(local.into_iter().collect())
        };
    assert_eq!(
        listing(&mut pair, "kind:image", 1)?,
        BTreeSet::from([at(POSTER, 0.0)])
    );
    listing(&mut pair, "-kind:image", 8)?;
    listing(&mut pair, "kind:image kind:video", 9)?;
    listing(&mut pair, "camera:sony", 3)?;
    listing(&mut pair, "camera:\"canon c300\"", 3)?;
    listing(&mut pair, "folder:day1", 6)?;
    listing(&mut pair, "folder:day1/cam-a", 3)?;
    listing(&mut pair, "folder:/footage/day2", 3)?;
    listing(&mut pair, "-folder:day2", 6)?;
    assert_eq!(
        listing(&mut pair, "tag:stunt", 1)?,
        BTreeSet::from([at(B002, 4.0)])
    );
    listing(&mut pair, "tag:CRANE", 1)?;
    assert_eq!(
        listing(&mut pair, "tag:\"Hero Shot\"", 1)?,
        BTreeSet::from([at(A001, 0.0)])
    );
    // Slates: `scene:42` finds 42A; the span covers the last two shots of A001.
    let scene = listing(&mut pair, "scene:42", 2)?;
    assert_eq!(scene, BTreeSet::from([at(A001, 5.0), at(A001, 10.0)]));
    listing(&mut pair, "take:03", 2)?;
    listing(&mut pair, "roll:b002", 3)?;
    // `camera:A`: the slates of camera A (no camera's name says A).
    listing(&mut pair, "camera:A", 2)?;
    listing(&mut pair, "scene:99", 0)?;
    listing(&mut pair, "date:2025-03-02", 3)?;
    // The last day counts whole: the still of the 4th is in.
    listing(&mut pair, "date:2025-03-01..2025-03-04", 7)?;
    listing(&mut pair, "duration:>20s", 2)?;
    listing(&mut pair, "duration:<=15s", 7)?;
    listing(&mut pair, &format!("asset:{}", asset(INTERVIEW)), 2)?;
    // `person:` arrives with the moments the facade found showing them, in each engine's ids.
    let shows_maria = [at(INTERVIEW, 0.0), at(B002, 8.0)];
    let pg_keys = pair.pg_keys()?;
    let showing = |keys: &HashMap<i64, Key>| -> Result<Query, TestError> {
        let mut query = pair.parsed("crane person:maria")?;
        for clause in &mut query.filters {
            if let Filter::Person(person) = &mut clause.filter {
                person.moments = keys
                    .iter()
                    .filter(|(_, key)| shows_maria.contains(key))
                    .map(|(id, _)| *id as u64)
                    .collect();
            }
        }
        Ok(query)
    };
    let local = text_branch(
        &pair.local_text,
        &showing(&pair.local_keys)?,
        TextOrder::Score,
    )?;
    let pg = text_branch(pair.pg.text(), &showing(&pg_keys)?, TextOrder::Score)?;
    let local = named(&local, &pair.local_keys)?;
    assert_eq!(local, named(&pg, &pg_keys)?);
    assert_eq!(local, [at(INTERVIEW, 0.0)]);

    // Words with filters: the filter narrows, the words rank.
    assert_eq!(
        pair.same_order("crane folder:day1", 2)?,
        [at(A001, 0.0), at(B002, 4.0)],
        "said and tagged beats on screen"
    );
    assert_eq!(pair.same_order("crane kind:image", 1)?, [at(POSTER, 0.0)]);
    pair.same_order("spill scene:7", 1)?;
    pair.same_order("crane -tag:stunt date:2025-03-01..2025-03-03", 1)?;
    Ok(())
}

#[test]
fn listings_by_date_and_path_facets_and_passing_agree_between_engines() -> Result<(), TestError> {
    let mut pair = Pair::indexed()?;
    // Newest first: the order of the assets is the data's; moments of one asset share its
    // date, and each engine breaks that tie its own way, so within an asset: sets.
    let (local, pg) = pair.text_hits("", TextOrder::DateDescending)?;
    assert_eq!(local.len(), 9);
    let runs = |hits: &[Key]| -> Vec<(String, BTreeSet<i64>)> {
        let mut runs: Vec<(String, BTreeSet<i64>)> = Vec::new();
        for (asset, start) in hits {
            match runs.last_mut() {
                Some((last, starts)) if last == asset => {
                    starts.insert(*start);
                }
                _ => runs.push((asset.clone(), BTreeSet::from([*start]))),
            }
        }
        runs
    };
    let by_date = runs(&local);
    assert_eq!(by_date, runs(&pg));
    let assets: Vec<&str> = by_date.iter().map(|(asset, _)| asset.as_str()).collect();
    assert_eq!(
        assets,
        [asset(INTERVIEW), asset(POSTER), asset(B002), asset(A001)]
    );
    // By path: fully ordered (the path, then the moment's order).
    let (local, pg) = pair.text_hits("", TextOrder::Path)?;
    assert_eq!(runs(&local), runs(&pg));

    // Facets of `crane`: the same documents with the same values.
    let query = pair.parsed("crane")?;
    let facets = |docs: Vec<rushes_store::seams::FacetDoc>| -> BTreeSet<String> {
        docs.into_iter()
            .map(|doc| {
                let mut tags = doc.tags;
                tags.sort();
                format!(
                    "{} {} {} {} {:?}",
                    doc.asset_id, doc.kind, doc.folder, doc.camera, tags
                )
            })
            .collect()
    };
    let local_query = pair
        .local_text
        .build_query(&query.terms, &query.filters, true)?;
    let pg_query = pair
        .pg
        .text()
        .build_query(&query.terms, &query.filters, true)?;
    let (Some(local_query), Some(pg_query)) = (local_query, pg_query) else {
        return Err("`crane` has words".into());
    };
    let (local_total, local_docs) =
        pair.local_text
            .facet_values(&pair.local_text.snapshot(), &*local_query, 100)?;
    let (pg_total, pg_docs) =
        pair.pg
            .text()
            .facet_values(&pair.pg.text().snapshot(), &pg_query, 100)?;
    assert_eq!((local_total, pg_total), (4, 4));
    let local_facets = facets(local_docs);
    assert_eq!(local_facets, facets(pg_docs));
    assert!(
        local_facets
            .iter()
            .any(|doc| doc.contains("cam-b Canon C300 [\"stunt\"]")),
        "{local_facets:?}"
    );

    // Passing: which moments a restriction keeps, by id in each engine.
    let query = pair.parsed("folder:day1 -tag:stunt")?;
    let local_ids: Vec<i64> = pair.local_keys.keys().copied().collect();
    let local_passing = pair.local_text.passing(
        &pair.local_text.snapshot(),
        &*pair
            .local_text
            .restriction_query(&query.terms, &query.filters)?,
        &local_ids,
    )?;
    let pg_keys = pair.pg_keys()?;
    let pg_ids: Vec<i64> = pg_keys.keys().copied().collect();
    let pg_passing = pair.pg.text().passing(
        &pair.pg.text().snapshot(),
        &*pair
            .pg
            .text()
            .restriction_query(&query.terms, &query.filters)?,
        &pg_ids,
    )?;
    let name_all = |ids: std::collections::HashSet<i64>, keys: &HashMap<i64, Key>| {
        ids.iter()
            .filter_map(|id| keys.get(id).cloned())
            .collect::<BTreeSet<Key>>()
    };
    let local_passing = name_all(local_passing, &pair.local_keys);
    assert_eq!(local_passing.len(), 5);
    assert_eq!(local_passing, name_all(pg_passing, &pg_keys));
    assert_eq!(pair.pg.text().num_docs(), pair.local_text.num_docs());
    Ok(())
}

#[test]
fn a_query_vector_finds_the_same_frames_nearest_first_in_both_engines() -> Result<(), TestError> {
    let mut pair = Pair::indexed()?;
    let frame_keys: HashMap<i64, Key> = pair
        .client
        .query(
            "SELECT f.id, m.asset_id, m.start_time FROM frames f JOIN moments m ON m.id = f.moment_id",
            &[],
        )?
        .iter()
        .map(|row| (row.get(0), key(&row.get::<_, String>(1), row.get(2))))
        .collect();
    assert_eq!(pair.pg.vectors().dimensions(MODEL)?, Some(8));
    assert_eq!(pair.local_vectors.dimensions(MODEL)?, Some(8));
    assert_eq!(pair.pg.vectors().len(MODEL)?, 9);
    assert_eq!(
        pair.pg
            .vectors()
            .search("no-such-model", &vector_of(0), 5)?,
        []
    );
    for wanted in [0, 4, 6] {
        // Near moment `wanted`'s own direction, with a little of the next one's.
        let mut query = vector_of(wanted);
        for (q, v) in query.iter_mut().zip(vector_of(wanted + 1)) {
            *q += 0.2 * v;
        }
        let local = pair.local_vectors.search(MODEL, &query, 5)?;
        let pg = pair.pg.vectors().search(MODEL, &query, 5)?;
        let local_frames: Vec<u64> = local.iter().map(|m| m.frame_id).collect();
        let moments = pair.catalog.assets().frame_moments(&local_frames)?;
        let local_named: Vec<Key> = local_frames
            .iter()
            .filter_map(|frame| moments.get(frame))
            .filter_map(|moment| pair.local_keys.get(moment).cloned())
            .collect();
        let pg_named: Vec<Key> = pg
            .iter()
            .filter_map(|m| frame_keys.get(&(m.frame_id as i64)).cloned())
            .collect();
        assert_eq!(local_named.len(), 5);
        assert_eq!(local_named, pg_named, "query near moment {wanted}");
        for (l, p) in local.iter().zip(&pg) {
            // usearch keeps int8 vectors: similarities agree to about 1%.
            assert!((l.similarity - p.similarity).abs() < 0.02, "{l:?} vs {p:?}");
        }
        assert!(pg.windows(2).all(|w| w[0].similarity >= w[1].similarity));
    }
    Ok(())
}
