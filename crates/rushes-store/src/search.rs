//! Hybrid ranking: the text branch (BM25 over moments), the visual branch (query
//! vectors → nearest frames → their moments) and the semantic branch (the query's sentence
//! embedding → nearest text units → their moments, `semantic.rs`), the text branch on a
//! thread of its own beside the others, fused (`fusion`); then hits
//! are built from the catalog, with per-field signals, snippets, transcript-line windows,
//! merged neighbours and a cap on hits per asset. Also facet counts.

use std::collections::{HashMap, HashSet};

use rushes_core::{Asset, AssetId, Hit, HitAsset, SearchResponse, SemanticMatch, Signal};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;

use crate::catalog::MomentRow;
use crate::catalog::faces::AssetRange;
use crate::error::StoreError;
use crate::fusion::{Branch, Fused, Fusion};
use crate::hit_windows::{WindowCandidates, windows_touch};
use crate::query::{self, Query};
use crate::request::{FacetCount, Facets, RankedHits, SearchRequest, Sort};
use crate::seams::{TextIndex, TextOrder};
use crate::semantic::semantic_branch;
use crate::text::TextField;
use crate::text_branch::{any_word_terms, ranked_words};
use crate::thumbnails::thumbnail_url;
const SNIPPET_CHARS: usize = 200;
/// Frames less similar to the query than the best frame by more than this are not hits:
/// nearest-neighbour search always returns something, relevant or not.
const VISUAL_MARGIN: f32 = 0.08;
/// A lower-ranked moment only widens a better hit it touches when it scores at least this
/// share of that hit; otherwise it stays a hit of its own.
const MERGE_SCORE_SHARE: f32 = 0.5;
/// Moments read for facet counts at most.
const FACET_CAP: usize = 20_000;

pub use crate::ranking::Ranking;

pub fn search<T: TextIndex>(
    index: &Ranking<'_, T>,
    request: &SearchRequest,
) -> Result<SearchResponse, StoreError> {
    let query = query::parse(&request.query)?;
    Ok(search_parsed(index, query, request)?.response)
}

/// The hits of a query parsed by the caller ([`query::parse`] of `request.query`), with the
/// assets they belong to as the catalog read them for ranking.
pub fn search_parsed<T: TextIndex>(
    index: &Ranking<'_, T>,
    mut query: Query,
    request: &SearchRequest,
) -> Result<RankedHits, StoreError> {
    let people_matched = crate::person_filter::resolve_person_filters(index.catalog, &mut query)?;
    if let Some(notice) = unsearchable_notice(index, &request.query, &query)? {
        return Ok(RankedHits {
            response: SearchResponse {
                query: request.query.clone(),
                hits: Vec::new(),
                people_matched,
                notice: Some(notice),
            },
            assets: HashMap::new(),
        });
    }
    crate::slates::resolve_slate_filters(index.catalog, &mut query)?;
    let slate_windows = crate::slates::matched_windows(&query);
    let searcher = index.text.snapshot();
    let wanted = request.offset.saturating_add(request.limit);
    let per_asset = request.per_asset.max(1);
    // A `person:` filter's moments are ranked all (up to the cap): a long run of them is then
    // one whole hit on every page, and the person page's total (counted by the store) holds.
    let person_bound = crate::person_filter::person_filter_bound(&query).unwrap_or(0);
    let pool = wanted
        .saturating_mul(per_asset + 2)
        .max(person_bound)
        .clamp(100, 2_000);

    // The text branch (every word must match; if that finds nothing, any content word
    // may) runs on a thread of its own while this one runs the visual and semantic
    // branches: on a database each is a round trip of its own, and they overlap.
    let vectors: Vec<&Vec<f32>> = [&request.text_vector, &request.image_vector]
        .into_iter()
        .flatten()
        .collect();
    let text_branch = || ranked_words(index.text, &searcher, &query.terms, &query.filters, pool);
    let (text_ranked, others) = if vectors.is_empty() && request.semantic.is_none() {
        (text_branch()?, OtherBranches::default())
    } else {
        std::thread::scope(|scope| {
            let text = scope.spawn(text_branch);
            let others = other_branches(index, &searcher, &query, request, &vectors, pool);
            let text = text
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok::<_, StoreError>((text?, others?))
        })?
    };
    let mut branches: Vec<Branch> = Vec::new();
    if let Some(ranked) = text_ranked {
        branches.push(Branch {
            moments: ranked,
            visual: false,
        });
    }
    branches.extend(others.branches);
    let semantic_matches = others.semantic_matches;

    // Listing: no words and no vectors, only filters (or nothing): newest first or by path.
    let listing = branches.is_empty();
    if listing {
        let restriction = index.text.restriction_query(&query.terms, &query.filters)?;
        let order = if request.sort == Sort::Path {
            TextOrder::Path
        } else {
            TextOrder::DateDescending
        };
        let ranked = index
            .text
            .top_moments(&searcher, &*restriction, pool, order)?;
        branches.push(Branch {
            moments: ranked,
            visual: false,
        });
    }

    // A listing has no scores to calibrate: its order is the rank.
    let fusion = if listing {
        Fusion::default()
    } else {
        request.fusion
    };
    let fused = fusion.fuse(&branches);
    let mut order: Vec<(&i64, &Fused)> = fused.iter().collect();
    order.sort_by(|a, b| {
        b.1.score
            .total_cmp(&a.1.score)
            .then(a.1.first_seen.cmp(&b.1.first_seen))
    });
    order.truncate(pool);
    let ids: Vec<i64> = order.iter().map(|(id, _)| **id).collect();
    let (rows, asset_slates) = index.catalog.moments_with_slates(&ids)?;

    let highlighter = Highlighter::new(index, &searcher, &query)?;
    let best_possible = fusion.best_possible(&branches);
    let single_asset = query.single_asset().is_some();
    let cap = if single_asset || request.per_asset == 0 {
        usize::MAX
    } else {
        request.per_asset
    };
    // A listing's scores only encode its order: every touching moment joins, however far
    // down the list, so a long run of neighbouring moments is one hit.
    let merge_score_share = if listing { 0.0 } else { MERGE_SCORE_SHARE };
    let mut hits: Vec<Built> = Vec::new();
    for (moment_id, standing) in order {
        let Some(row) = rows.get(moment_id) else {
            continue;
        };
        let mut built = highlighter.build(
            row,
            standing,
            best_possible,
            semantic_matches.get(moment_id),
        );
        let asset = row.asset.id.as_str();
        with_slate(
            &mut built.hit,
            slate_windows.get(asset).map(Vec::as_slice),
            asset_slates.get(asset).map(Vec::as_slice),
            listing,
        );
        merge_or_push(&mut hits, built, cap, merge_score_share);
    }
    match (request.sort, listing) {
        (Sort::Date, _) | (Sort::Relevance, true) => hits.sort_by(|a, b| {
            b.captured_at
                .cmp(&a.captured_at)
                .then_with(|| a.hit.asset.path.cmp(&b.hit.asset.path))
                .then(a.hit.start.total_cmp(&b.hit.start))
        }),
        (Sort::Path, _) => hits.sort_by(|a, b| {
            a.hit
                .asset
                .path
                .cmp(&b.hit.asset.path)
                .then(a.hit.start.total_cmp(&b.hit.start))
        }),
        (Sort::Relevance, false) => {}
    }
    let mut hits: Vec<Hit> = hits
        .into_iter()
        .skip(request.offset)
        .take(request.limit)
        .map(|built| built.hit)
        .collect();
    add_people(index, &mut hits)?;
    if listing {
        for hit in &mut hits {
            hit.filters = crate::person_filter::listing_reasons(&query, hit);
        }
    }
    let hit_assets: HashSet<&AssetId> = hits.iter().map(|hit| &hit.asset.id).collect();
    let mut assets: HashMap<AssetId, Asset> = HashMap::new();
    for row in rows.into_values() {
        if hit_assets.contains(&row.asset.id) && !assets.contains_key(&row.asset.id) {
            assets.insert(row.asset.id.clone(), row.asset);
        }
    }
    Ok(RankedHits {
        response: SearchResponse {
            query: request.query.clone(),
            hits,
            people_matched,
            notice: None,
        },
        assets,
    })
}

/// The branches beside the text branch: one visual branch per query vector, and the
/// semantic branch when it matched anything, each within the query's filters.
#[derive(Default)]
struct OtherBranches {
    branches: Vec<Branch>,
    semantic_matches: HashMap<i64, SemanticMatch>,
}

fn other_branches<T: TextIndex>(
    index: &Ranking<'_, T>,
    searcher: &T::Snapshot,
    query: &Query,
    request: &SearchRequest,
    vectors: &[&Vec<f32>],
    pool: usize,
) -> Result<OtherBranches, StoreError> {
    let mut others = OtherBranches::default();
    let restriction = (!index.text.is_unrestricted(&query.terms, &query.filters))
        .then(|| index.text.restriction_query(&query.terms, &query.filters))
        .transpose()?;
    if let Some((model, _)) = index.catalog.embedding_model()? {
        for vector in vectors {
            let ranked = visual_branch(
                index,
                searcher,
                &model,
                vector,
                pool,
                restriction.as_deref(),
            )?;
            others.branches.push(Branch {
                moments: ranked,
                visual: true,
            });
        }
    }
    if let Some(semantic) = &request.semantic {
        // Only a branch with matches counts: nothing said or written near the query
        // leaves the other branches' scores as they were.
        let branch = semantic_branch(index, searcher, semantic, pool, restriction.as_deref())?;
        if !branch.ranked.is_empty() {
            others.branches.push(Branch {
                moments: branch.ranked,
                visual: false,
            });
            others.semantic_matches = branch.matches;
        }
    }
    Ok(others)
}

/// Why nothing matches a query whose words all vanish in the text index's analyzer (see
/// [`query::unsearchable_notice`]); such a query must not list the whole library.
fn unsearchable_notice<T: TextIndex>(
    index: &Ranking<'_, T>,
    text: &str,
    query: &Query,
) -> Result<Option<String>, StoreError> {
    query::unsearchable_notice(text, query, |term| {
        let positive = query::TextTerm {
            excluded: false,
            ..term.clone()
        };
        let words = index
            .text
            .build_query(std::slice::from_ref(&positive), &[], true)?;
        Ok(words.is_some())
    })
}

/// Puts on each hit the people whose faces its time range shows.
fn add_people<T: TextIndex>(index: &Ranking<'_, T>, hits: &mut [Hit]) -> Result<(), StoreError> {
    let ranges: Vec<AssetRange<'_>> = hits
        .iter()
        .map(|hit| AssetRange {
            asset_id: hit.asset.id.as_str(),
            start: hit.start,
            end: hit.end,
        })
        .collect();
    let people = index.catalog.people_in_ranges(&ranges)?;
    for (hit, people) in hits.iter_mut().zip(people) {
        hit.people = people;
    }
    Ok(())
}

/// Nearest frames to `vector` → their moments with their best frame's similarity, best
/// first, each once, restricted to the moments passing the query's filters.
fn visual_branch<T: TextIndex>(
    index: &Ranking<'_, T>,
    searcher: &T::Snapshot,
    model: &str,
    vector: &[f32],
    pool: usize,
    restriction: Option<&T::Query>,
) -> Result<Vec<(i64, f32)>, StoreError> {
    // Restrictive filters can leave few of the nearest frames; look further then.
    let count = if restriction.is_some() {
        pool * 8
    } else {
        pool * 2
    };
    let matches = index
        .vectors
        .search_moments(model, vector, count, index.catalog)?;
    let mut seen = HashSet::new();
    let mut ranked: Vec<(i64, f32)> = Vec::new();
    for (frame, moment) in &matches {
        if let Some(moment) = moment
            && seen.insert(*moment)
        {
            ranked.push((*moment, frame.similarity));
        }
    }
    if let Some(restriction) = restriction {
        let ids: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
        let passing = index.text.passing(searcher, restriction, &ids)?;
        ranked.retain(|(id, _)| passing.contains(id));
    }
    if let Some(best) = ranked
        .iter()
        .map(|(_, similarity)| *similarity)
        .reduce(f32::max)
    {
        ranked.retain(|(_, similarity)| *similarity >= best - VISUAL_MARGIN);
    }
    Ok(ranked)
}

struct Built {
    hit: Hit,
    captured_at: i64,
}

/// Adds a hit, merging it into an earlier hit of the same asset whose window it touches
/// (when it scores at least `score_share` of that hit); a new window of an asset that has
/// `cap` hits already is dropped.
fn merge_or_push(hits: &mut Vec<Built>, built: Built, cap: usize, score_share: f32) {
    let same_asset = |existing: &&mut Built| existing.hit.asset.id == built.hit.asset.id;
    let touching = hits.iter_mut().filter(same_asset).find(|existing| {
        // Two takes are two hits, however close.
        existing.hit.slate == built.hit.slate
            && windows_touch(
                (existing.hit.start, existing.hit.end),
                (built.hit.start, built.hit.end),
            )
            && built.hit.score >= existing.hit.score * score_share
    });
    if let Some(existing) = touching {
        let hit = &mut existing.hit;
        hit.start = hit.start.min(built.hit.start);
        hit.end = hit.end.max(built.hit.end);
        for signal in built.hit.signals {
            if !hit.signals.contains(&signal) {
                hit.signals.push(signal);
            }
        }
        hit.signals.sort();
        if hit.snippet.is_empty() {
            hit.snippet = built.hit.snippet;
        }
        if hit.thumbnail.is_none() {
            hit.thumbnail = built.hit.thumbnail;
        }
        if hit.semantic.is_none() {
            hit.semantic = built.hit.semantic;
        }
        return;
    }
    if hits
        .iter()
        .filter(|existing| existing.hit.asset.id == built.hit.asset.id)
        .count()
        >= cap
    {
        return;
    }
    hits.push(built);
}

/// Per-field snippet generators for the query's words: they tell which fields matched
/// and produce the highlighted snippets.
struct Highlighter {
    fields: Vec<(TextField, SnippetGenerator)>,
    /// Each positive word or phrase as written, with its analyzed tokens: a hit whose
    /// highlighted words lack one of them reports it as `missing`.
    words: Vec<(String, Vec<String>)>,
    analyzer: Option<TextAnalyzer>,
}

impl Highlighter {
    fn new<T: TextIndex>(
        index: &Ranking<'_, T>,
        searcher: &T::Snapshot,
        query: &Query,
    ) -> Result<Highlighter, StoreError> {
        let positive: Vec<_> = query
            .terms
            .iter()
            .filter(|t| !t.excluded)
            .cloned()
            .collect();
        let analyzer = index.text.word_analyzer();
        // A hit lacking only function words ("the", "for") lacks nothing that counted.
        let words = match analyzer.clone() {
            Some(mut analyzer) => any_word_terms(&positive)
                .iter()
                .map(|term| (term.text.clone(), analyzed(&mut analyzer, &term.text)))
                .filter(|(_, tokens)| !tokens.is_empty())
                .collect(),
            None => Vec::new(),
        };
        let mut fields = index.text.snippet_generators(searcher, &positive)?;
        for (_, generator) in &mut fields {
            generator.set_max_num_chars(SNIPPET_CHARS);
        }
        Ok(Highlighter {
            fields,
            words,
            analyzer,
        })
    }

    /// The query words (as written) that none of `texts` contains, compared as the index
    /// analyses them (case, accents and word endings aside).
    fn missing(&self, texts: &[&str]) -> Vec<String> {
        let Some(mut analyzer) = self.analyzer.clone() else {
            return Vec::new();
        };
        if self.words.is_empty() {
            return Vec::new();
        }
        let found: HashSet<String> = texts
            .iter()
            .flat_map(|text| analyzed(&mut analyzer, text))
            .collect();
        self.words
            .iter()
            .filter(|(_, tokens)| !tokens.iter().all(|token| found.contains(token)))
            .map(|(written, _)| written.clone())
            .collect()
    }

    fn generator(&self, field: TextField) -> Option<&SnippetGenerator> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, g)| g)
    }

    fn build(
        &self,
        row: &MomentRow,
        standing: &Fused,
        best_possible: f32,
        semantic: Option<&SemanticMatch>,
    ) -> Built {
        let mut signals = Vec::new();
        let mut snippet: Option<String> = None;
        let mut transcript_window = None;

        // Transcript: the first matching line gives the window and the snippet.
        if let Some(generator) = self.generator(TextField::Transcript) {
            for line in &row.transcript {
                let found = generator.snippet(&line.text);
                if !found.highlighted().is_empty() {
                    signals.push(Signal::Transcript);
                    snippet = Some(highlight(&line.text, &found));
                    transcript_window = Some((line.start, line.end));
                    break;
                }
            }
        }
        // Hand notes are indexed in the tags field, so they match (and show) as a tag.
        let tags_text = row
            .tags
            .iter()
            .chain(&row.notes)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let name_text = row.display_path.clone();
        let metadata_text = metadata_of(row);
        // On-screen text: the first matching run gives the window, so the hit plays from
        // where the text appears (a slate held into a long take), not from the shot's start.
        let mut screen_window = None;
        if let Some(generator) = self.generator(TextField::Ocr) {
            for run in &row.screen_text {
                let found = generator.snippet(&run.text);
                if !found.highlighted().is_empty() {
                    screen_window = Some((run.start, run.end));
                    break;
                }
            }
        }
        let ocr_text = crate::text::ocr_text(row);
        let others = [
            (TextField::Ocr, Signal::Ocr, ocr_text.as_str()),
            (
                TextField::Caption,
                Signal::Caption,
                row.caption.as_deref().unwrap_or(""),
            ),
            (TextField::Tags, Signal::Tag, tags_text.as_str()),
            (TextField::Name, Signal::Metadata, name_text.as_str()),
            (
                TextField::Metadata,
                Signal::Metadata,
                metadata_text.as_str(),
            ),
        ];
        for (field, signal, text) in others {
            let Some(generator) = self.generator(field) else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            let found = generator.snippet(text);
            if found.highlighted().is_empty() {
                continue;
            }
            if !signals.contains(&signal) {
                signals.push(signal);
            }
            if snippet.is_none() {
                snippet = Some(highlight(text, &found));
            }
        }
        // Only a hit that matched words can lack some (a visual or semantic hit matched none).
        let worded = !signals.is_empty();
        let missing = if worded {
            let mut texts: Vec<&str> = others.iter().map(|(_, _, text)| *text).collect();
            texts.extend(row.transcript.iter().map(|line| line.text.as_str()));
            self.missing(&texts)
        } else {
            Vec::new()
        };
        // Every word found as written: "found by meaning" would only repeat it, so the
        // semantic unit still ranks the hit (fusion) but is not shown as its reason.
        let semantic = semantic.filter(|_| !(worded && missing.is_empty()));
        if standing.visual {
            signals.push(Signal::Visual);
        }
        if semantic.is_some() {
            signals.push(Signal::Semantic);
        }
        signals.sort();
        // Found by meaning, and its words matched only in part (or not at all): the unit
        // it means is the better answer than a line holding some of the words.
        let by_meaning = semantic
            .filter(|_| transcript_window.is_none() || !missing.is_empty())
            .filter(|unit| unit.end > unit.start);
        // The window: the first rule of `hit_windows::WINDOW_RULES` that applies. A line
        // counts only when nothing on screen matched.
        let on_screen = signals
            .iter()
            .any(|s| matches!(s, Signal::Ocr | Signal::Visual | Signal::Caption));
        let window = WindowCandidates {
            screen_text: screen_window,
            meaning: by_meaning.map(|unit| (unit.start, unit.end)),
            spoken_line: transcript_window.filter(|_| !on_screen),
            shot: (row.start, row.end),
        }
        .window();
        // The snippet says what matched: the unit meant, else the words, else the moment.
        let meant = by_meaning.or(semantic.filter(|_| snippet.is_none()));
        let snippet = match (meant, snippet) {
            (Some(unit), _) => html_escape(&short(&unit.text)),
            (None, Some(snippet)) => snippet,
            (None, None) => plain_snippet(row),
        };
        let score = if best_possible > 0.0 {
            (standing.score / best_possible).min(1.0)
        } else {
            0.0
        };
        Built {
            hit: Hit {
                asset: HitAsset {
                    id: row.asset.id.clone(),
                    path: row.display_path.clone(),
                    kind: row.asset.kind,
                },
                start: window.0,
                end: window.1,
                score,
                signals,
                snippet,
                thumbnail: row.thumbnail.as_deref().map(thumbnail_url),
                caption: row
                    .caption
                    .as_deref()
                    .map(str::trim)
                    .filter(|caption| !caption.is_empty())
                    .map(str::to_owned),
                people: Vec::new(),
                filters: Vec::new(),
                slate: None,
                missing,
                semantic: semantic.cloned(),
            },
            captured_at: row.captured_at,
        }
    }
}

/// Gives a hit its slate: the window of the matched slate span it lies in (a filter-only
/// listing covers the whole span; with words the moment stays, cut to the span), and the
/// fields of the slate span it starts in.
fn with_slate(
    hit: &mut Hit,
    matched: Option<&[(f64, f64)]>,
    spans: Option<&[rushes_core::SlateSpan]>,
    listing: bool,
) {
    if let Some(window) = matched.and_then(|windows| {
        windows
            .iter()
            .find(|(start, end)| *start <= hit.start && hit.start < *end)
            .or_else(|| {
                windows
                    .iter()
                    .find(|(start, end)| hit.start < *end && *start < hit.end)
            })
    }) {
        if listing {
            (hit.start, hit.end) = *window;
        } else {
            hit.start = hit.start.max(window.0);
            hit.end = hit.end.min(window.1).max(hit.start);
        }
    }
    hit.slate = spans
        .and_then(|spans| crate::slates::span_at(spans, hit.start))
        .map(|span| span.slate.clone())
        .filter(|slate| !slate.is_empty());
}

/// A hit's metadata text, shown and matched: what the index holds of the file's facts
/// (its container as `text::container_of` names it, as indexed).
fn metadata_of(row: &MomentRow) -> String {
    let media = &row.asset.media;
    let parts: Vec<&str> = [
        &media.camera_make,
        &media.camera_model,
        &media.start_timecode,
        &media.video_codec,
        &media.audio_codec,
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
    .chain(crate::text::container_of(media))
    .collect();
    let mut text = parts.join(" · ");
    text.push_str(" · ");
    text.push_str(row.asset.kind.as_str());
    text
}

/// Context for a hit without highlighted words: its caption, OCR text or first line.
fn plain_snippet(row: &MomentRow) -> String {
    let text = row
        .caption
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .or(Some(row.ocr_text.as_str()).filter(|t| !t.trim().is_empty()))
        .or(row.transcript.first().map(|line| line.text.as_str()))
        .unwrap_or("");
    html_escape(&short(text))
}

/// `text` cut to a snippet's length.
fn short(text: &str) -> String {
    text.chars().take(SNIPPET_CHARS).collect()
}

/// Tokens of `text` by `analyzer` (lowercased, folded, stemmed as the index stores them).
fn analyzed(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while let Some(token) = stream.next() {
        tokens.push(token.text.clone());
    }
    tokens
}

/// The highlighted HTML of a short text in full (a transcript line, a slate), or the
/// best fragment of a long one.
fn highlight(text: &str, found: &tantivy::snippet::Snippet) -> String {
    if text.chars().count() > SNIPPET_CHARS {
        return found.to_html();
    }
    let offset = found.fragment_range().start;
    let mut html = String::with_capacity(text.len() + 16);
    let mut position = 0;
    for range in found.highlighted() {
        let (start, end) = (offset + range.start, offset + range.end);
        let (Some(before), Some(word)) = (text.get(position..start), text.get(start..end)) else {
            return found.to_html();
        };
        html.push_str(&html_escape(before));
        html.push_str("<b>");
        html.push_str(&html_escape(word));
        html.push_str("</b>");
        position = end;
    }
    html.push_str(&html_escape(text.get(position..).unwrap_or("")));
    html
}

pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub fn facets<T: TextIndex>(
    index: &Ranking<'_, T>,
    request: &SearchRequest,
) -> Result<Facets, StoreError> {
    let mut query = query::parse(&request.query)?;
    crate::person_filter::resolve_person_filters(index.catalog, &mut query)?;
    if unsearchable_notice(index, &request.query, &query)?.is_some() {
        return Ok(Facets::default());
    }
    crate::slates::resolve_slate_filters(index.catalog, &mut query)?;
    let searcher = index.text.snapshot();
    let tantivy_query = match index.text.build_query(&query.terms, &query.filters, true)? {
        Some(words) => words,
        None => index.text.restriction_query(&query.terms, &query.filters)?,
    };
    let (total, docs) = index
        .text
        .facet_values(&searcher, &*tantivy_query, FACET_CAP)?;
    let mut kind: HashMap<String, HashSet<String>> = HashMap::new();
    let mut folder: HashMap<String, HashSet<String>> = HashMap::new();
    let mut camera: HashMap<String, HashSet<String>> = HashMap::new();
    let mut tag: HashMap<String, HashSet<String>> = HashMap::new();
    for doc in docs {
        let add = |map: &mut HashMap<String, HashSet<String>>, value: &str| {
            if !value.is_empty() {
                map.entry(value.to_string())
                    .or_default()
                    .insert(doc.asset_id.clone());
            }
        };
        add(&mut kind, &doc.kind);
        add(&mut folder, &doc.folder);
        add(&mut camera, &doc.camera);
        for value in &doc.tags {
            add(&mut tag, value);
        }
    }
    let matched_assets: HashSet<&str> = kind.values().flatten().map(String::as_str).collect();
    let (scene, take) =
        crate::slates::scene_and_take_counts(index.catalog, &query, &matched_assets)?;
    Ok(Facets {
        moments: total as u64,
        kind: counts(kind),
        folder: counts(folder),
        camera: counts(camera),
        tag: counts(tag),
        scene: counts(scene),
        take: counts(take),
    })
}

fn counts(map: HashMap<String, HashSet<String>>) -> Vec<FacetCount> {
    let mut counts: Vec<FacetCount> = map
        .into_iter()
        .map(|(value, assets)| FacetCount {
            value,
            count: assets.len() as u64,
        })
        .collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    counts.truncate(50);
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escape_escapes_markup() {
        assert_eq!(html_escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }
}
