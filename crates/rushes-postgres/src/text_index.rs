//! The store's `TextIndex` seam over `moment_texts`: rushes' query language (words, all
//! else any; quoted phrases; `-word` exclusions; `kind:`, `asset:`, `person:`, `tag:`,
//! `folder:`, `camera:`, `scene:`/`take:`/`roll:`, `date:`, `duration:` filters, negated
//! or not) compiled to one SQL condition with its parameters ([`PgQuery`]), ranked by
//! `ts_rank` with the fields' boosts (a query of words alone in `moment_ranks`, the
//! documents' narrow copy), listed by date or path, and counted for facets.
//!
//! A word or phrase becomes `phraseto_tsquery` of the `rushes_text` configuration (one
//! lexeme, or lexemes in a row, as the Tantivy index makes a term or a phrase query of the
//! analysed words); filters read the values `rushes_store::text::MomentDocument` gives every
//! engine. A snapshot is one read-only `REPEATABLE READ` transaction on a connection of its
//! own. Writes are staged and applied in one transaction by `commit` (the write path of an
//! indexed file, `AssetWrites`, writes the texts in the file's own transaction instead).

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use postgres::types::ToSql;
use rushes_store::StoreError;
use rushes_store::catalog::MomentRow;
use rushes_store::query::{Filter, FilterClause, SlateField, TextTerm};
use rushes_store::seams::{FacetDoc, SnippetGenerator, TextAnalyzer, TextIndex, TextOrder};
use rushes_store::text::{
    TextField, normalise_folder, plain_snippet_generators, without_long_words, words_analyzer,
};

use crate::asset_rows::write_moment_texts;
use crate::pool::{Pool, Pooled};
use crate::text::FIELD_WEIGHTS;
use crate::{PostgresError, store_error};

/// A value bound to a query's placeholder.
#[derive(Debug, Clone)]
enum Param {
    Text(String),
    Texts(Vec<String>),
    Int(i64),
    Ints(Vec<i64>),
    Float(f64),
    Floats(Vec<f64>),
}

impl Param {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Param::Text(value) => value,
            Param::Texts(value) => value,
            Param::Int(value) => value,
            Param::Ints(value) => value,
            Param::Float(value) => value,
            Param::Floats(value) => value,
        }
    }

    fn cast(&self) -> &'static str {
        match self {
            Param::Text(_) => "text",
            Param::Texts(_) => "text[]",
            Param::Int(_) => "int8",
            Param::Ints(_) => "int8[]",
            Param::Float(_) => "float8",
            Param::Floats(_) => "float8[]",
        }
    }
}

/// A compiled query: a condition over `moment_texts t`, the text-search query it ranks by
/// (none for a restriction), and the parameters both use (`$1`…). A query of words alone
/// (no filters) reads nothing but `t.document`, so it ranks in `moment_ranks`, the narrow
/// copy of the documents (schema step 8).
#[derive(Debug, Clone, Default)]
pub struct PgQuery {
    condition: String,
    rank: Option<String>,
    params: Vec<Param>,
    words_alone: bool,
}

impl PgQuery {
    /// Binds `param`; its placeholder with the type cast.
    fn bind(&mut self, param: Param) -> String {
        let cast = param.cast();
        self.params.push(param);
        format!("${}::{cast}", self.params.len())
    }

    /// The score expression: `ts_rank` with the field boosts, or 1 for a restriction.
    fn score(&self) -> String {
        match &self.rank {
            Some(rank) => format!("ts_rank({FIELD_WEIGHTS}, t.document, {rank}, 1)"),
            None => "1::real".to_string(),
        }
    }

    /// The parameters, with `extra` after them (`$n+1`…).
    fn params_with<'a>(&'a self, extra: &[&'a (dyn ToSql + Sync)]) -> Vec<&'a (dyn ToSql + Sync)> {
        let mut all: Vec<&(dyn ToSql + Sync)> = self.params.iter().map(Param::as_sql).collect();
        all.extend_from_slice(extra);
        all
    }
}

/// A staged write, applied by `commit`.
enum TextWrite {
    Put(String, Vec<MomentRow>),
    Delete(String),
    DeleteAll,
}

/// Words and phrases analysed into text-search queries kept at most (then forgotten).
const KEEP_ANALYSED_TERMS: usize = 4096;

/// The `TextIndex` of a PostgreSQL library.
pub struct PgText {
    pool: Pool,
    staged: Mutex<Vec<TextWrite>>,
    /// Each word or phrase's text-search query as the server analyses it (`None`: no
    /// words), so a query's terms are analysed in one round trip once per process (the
    /// `rushes_text` configuration only changes with a migration).
    analysed: Mutex<HashMap<String, Option<String>>>,
}

/// One consistent view: a connection in a read-only `REPEATABLE READ` transaction, rolled
/// back when dropped. Holds the error instead when the view could not be taken (the seam's
/// `snapshot` cannot fail; the first use reports it).
pub struct PgSnapshot {
    client: Mutex<Result<Pooled, SnapshotFailure>>,
}

/// Why a snapshot could not be taken, reported at each use (a `StoreError` is not `Clone`).
#[derive(Debug, Clone)]
enum SnapshotFailure {
    /// The database cannot be reached (`StoreError::Unavailable`).
    Unavailable(String),
    Other(String),
}

impl SnapshotFailure {
    fn of(error: PostgresError) -> SnapshotFailure {
        match store_error(error) {
            StoreError::Unavailable(reason) => SnapshotFailure::Unavailable(reason),
            other => SnapshotFailure::Other(other.to_string()),
        }
    }

    fn error(&self) -> StoreError {
        match self {
            SnapshotFailure::Unavailable(reason) => StoreError::Unavailable(reason.clone()),
            SnapshotFailure::Other(message) => StoreError::Database(message.clone().into()),
        }
    }
}

impl PgSnapshot {
    fn client(&self) -> Result<MutexGuard<'_, Result<Pooled, SnapshotFailure>>, StoreError> {
        self.client
            .lock()
            .map_err(|_| StoreError::Database("text snapshot lock poisoned by a panic".into()))
    }

    fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let mut guard = self.client()?;
        let client = guard.as_mut().map_err(|failure| failure.error())?;
        client.query_prepared(sql, params).map_err(store_error)
    }
}

impl Drop for PgSnapshot {
    fn drop(&mut self) {
        let Ok(slot) = self.client.get_mut() else {
            return;
        };
        if let Ok(mut client) = std::mem::replace(slot, Err(SnapshotFailure::Other(String::new())))
            && client.batch_execute("ROLLBACK").is_err()
        {
            // Left in a transaction: not for reuse.
            client.discard();
        }
    }
}

impl PgText {
    pub fn new(pool: Pool) -> PgText {
        PgText {
            pool,
            staged: Mutex::new(Vec::new()),
            analysed: Mutex::new(HashMap::new()),
        }
    }

    fn staged(&self) -> Result<MutexGuard<'_, Vec<TextWrite>>, StoreError> {
        self.staged
            .lock()
            .map_err(|_| StoreError::Database("text write lock poisoned by a panic".into()))
    }

    fn stage(&self, write: TextWrite) -> Result<(), StoreError> {
        self.staged()?.push(write);
        Ok(())
    }

    fn analysed(&self) -> Result<MutexGuard<'_, HashMap<String, Option<String>>>, StoreError> {
        self.analysed
            .lock()
            .map_err(|_| StoreError::Database("analysed terms lock poisoned by a panic".into()))
    }

    /// Analyses the terms not analysed yet, all in one round trip.
    fn analyse(&self, terms: &[TextTerm]) -> Result<(), StoreError> {
        let missing: Vec<String> = {
            let analysed = self.analysed()?;
            let mut missing: Vec<String> = terms
                .iter()
                .filter(|term| !analysed.contains_key(&term.text))
                .map(|term| term.text.clone())
                .collect();
            missing.sort_unstable();
            missing.dedup();
            missing
        };
        if missing.is_empty() {
            return Ok(());
        }
        // PostgreSQL's parser keeps words the local analyzer drops for their length.
        let kept: Vec<String> = missing
            .iter()
            .map(|term| without_long_words(term).into_owned())
            .collect();
        let mut client = self.pool.get().map_err(store_error)?;
        let rows = client
            .query(
                "SELECT u.term, q::text, numnode(q) FROM unnest($1::text[], $2::text[]) AS u(term, kept),
                     phraseto_tsquery('rushes_text'::regconfig, rushes_words(u.kept)) AS q",
                &[&missing, &kept],
            )
            .map_err(store_error)?;
        let mut analysed = self.analysed()?;
        if analysed.len() + rows.len() > KEEP_ANALYSED_TERMS {
            analysed.clear();
        }
        for row in rows {
            let nodes: i32 = row.get(2);
            analysed.insert(row.get(0), (nodes > 0).then(|| row.get(1)));
        }
        Ok(())
    }

    /// The text-search query of a word or phrase (`None` when the analyzer keeps no word
    /// of it, as Tantivy leaves such a term out).
    fn term_tsquery(&self, text: &str) -> Result<Option<String>, StoreError> {
        if let Some(tsquery) = self.analysed()?.get(text) {
            return Ok(tsquery.clone());
        }
        let term = TextTerm {
            text: text.to_string(),
            phrase: false,
            excluded: false,
        };
        self.analyse(std::slice::from_ref(&term))?;
        Ok(self.analysed()?.get(text).cloned().flatten())
    }

    /// The condition of a word or phrase, or `None` when it has no words.
    fn term_condition(
        &self,
        query: &mut PgQuery,
        term: &TextTerm,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .term_tsquery(&term.text)?
            .map(|tsquery| format!("{}::tsquery", query.bind(Param::Text(tsquery)))))
    }

    /// Moments of a camera whose make or model holds `camera`'s words in a row.
    fn camera_condition(query: &mut PgQuery, camera: &str) -> String {
        let value = query.bind(Param::Text(camera.to_string()));
        format!("t.camera_words @@ phraseto_tsquery('rushes_plain'::regconfig, {value})")
    }

    fn filter_condition(query: &mut PgQuery, filter: &Filter) -> String {
        match filter {
            Filter::Kind(kind) => {
                format!("t.kind = {}", query.bind(Param::Text(kind.as_str().into())))
            }
            Filter::Asset(id) => {
                format!(
                    "t.asset_id = {}",
                    query.bind(Param::Text(id.as_str().into()))
                )
            }
            Filter::Person(person) => {
                let ids = person.moments.iter().map(|id| *id as i64).collect();
                format!("t.moment_id = ANY({})", query.bind(Param::Ints(ids)))
            }
            // `@>` (contains), not `= ANY`: the GIN indexes on the arrays answer `@>`.
            Filter::Tag(tag) => format!(
                "t.tag_values @> ARRAY[{}]",
                query.bind(Param::Text(tag.trim().to_lowercase()))
            ),
            Filter::Folder(folder) => format!(
                "t.folders @> ARRAY[{}]",
                query.bind(Param::Text(normalise_folder(folder)))
            ),
            Filter::Camera(camera) => Self::camera_condition(query, camera),
            Filter::Slate(slate) => {
                let assets = query.bind(Param::Texts(
                    slate.spans.iter().map(|span| span.0.clone()).collect(),
                ));
                let starts = query.bind(Param::Floats(slate.spans.iter().map(|s| s.1).collect()));
                let ends = query.bind(Param::Floats(slate.spans.iter().map(|s| s.2).collect()));
                // The moments overlapping a matched span (the catalog's
                // `moments_overlapping`), by asset and time rather than by moment id.
                let spans = format!(
                    "EXISTS (SELECT 1 FROM unnest({assets}, {starts}, {ends})
                         AS s(asset_id, start_time, end_time)
                     WHERE s.asset_id = t.asset_id AND t.start_time < s.end_time
                         AND (t.end_time > s.start_time OR t.start_time >= s.start_time))"
                );
                if slate.field == SlateField::Camera {
                    // `camera:A`: the slates of camera A, or a camera whose name says A.
                    format!(
                        "({spans} OR {})",
                        Self::camera_condition(query, &slate.value)
                    )
                } else {
                    spans
                }
            }
            Filter::Date(range) => {
                let mut parts = vec!["true".to_string()];
                if let Some(from) = range.from {
                    parts.push(format!("t.captured_at >= {}", query.bind(Param::Int(from))));
                }
                if let Some(until) = range.until {
                    parts.push(format!("t.captured_at < {}", query.bind(Param::Int(until))));
                }
                format!("({})", parts.join(" AND "))
            }
            Filter::Duration(range) => {
                let mut parts = vec!["true".to_string()];
                if let Some(min) = range.min {
                    let op = if range.min_inclusive { ">=" } else { ">" };
                    parts.push(format!("t.duration {op} {}", query.bind(Param::Float(min))));
                }
                if let Some(max) = range.max {
                    let op = if range.max_inclusive { "<=" } else { "<" };
                    parts.push(format!("t.duration {op} {}", query.bind(Param::Float(max))));
                }
                format!("({})", parts.join(" AND "))
            }
        }
    }

    /// Filters and exclusions as conditions a moment must all pass. Repeated `kind:` or
    /// `asset:` filters widen (either kind); all others narrow.
    fn restriction_conditions(
        &self,
        query: &mut PgQuery,
        terms: &[TextTerm],
        filters: &[FilterClause],
    ) -> Result<Vec<String>, StoreError> {
        let mut conditions = Vec::new();
        for term in terms.iter().filter(|t| t.excluded) {
            if let Some(tsquery) = self.term_condition(query, term)? {
                conditions.push(format!("NOT (t.document @@ {tsquery})"));
            }
        }
        let mut alternatives: Vec<(&'static str, Vec<String>)> = Vec::new();
        for clause in filters {
            let condition = Self::filter_condition(query, &clause.filter);
            let name = clause.filter.name();
            if clause.negated {
                conditions.push(format!("NOT ({condition})"));
            } else if matches!(clause.filter, Filter::Kind(_) | Filter::Asset(_)) {
                match alternatives.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, list)) => list.push(condition),
                    None => alternatives.push((name, vec![condition])),
                }
            } else {
                conditions.push(condition);
            }
        }
        for (_, list) in alternatives {
            conditions.push(format!("({})", list.join(" OR ")));
        }
        Ok(conditions)
    }
}

/// `conditions` joined with AND (`true` when there are none).
fn all_of(conditions: &[String]) -> String {
    if conditions.is_empty() {
        "true".to_string()
    } else {
        conditions
            .iter()
            .map(|c| format!("({c})"))
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

impl TextIndex for PgText {
    type Snapshot = PgSnapshot;
    type Query = PgQuery;

    /// PostgreSQL keeps no word statistics per field: every analysed word weighs the same.
    fn snippet_generators(
        &self,
        _snapshot: &PgSnapshot,
        words: &[TextTerm],
    ) -> Result<Vec<(TextField, SnippetGenerator)>, StoreError> {
        Ok(plain_snippet_generators(words))
    }

    fn word_analyzer(&self) -> Option<TextAnalyzer> {
        Some(words_analyzer())
    }

    fn snapshot(&self) -> PgSnapshot {
        let client = self
            .pool
            .get()
            .and_then(|mut client| {
                client.batch_execute(
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1 FROM moment_texts LIMIT 0",
                )?;
                Ok(client)
            })
            .map_err(SnapshotFailure::of);
        PgSnapshot {
            client: Mutex::new(client),
        }
    }

    fn put_asset(&self, asset_id: &str, moments: &[MomentRow]) -> Result<(), StoreError> {
        self.stage(TextWrite::Put(asset_id.to_string(), moments.to_vec()))
    }

    fn delete_asset(&self, asset_id: &str) -> Result<(), StoreError> {
        self.stage(TextWrite::Delete(asset_id.to_string()))
    }

    fn delete_all(&self) -> Result<(), StoreError> {
        self.stage(TextWrite::DeleteAll)
    }

    fn commit(&self) -> Result<(), StoreError> {
        let mut staged = self.staged()?;
        if staged.is_empty() {
            return Ok(());
        }
        let mut client = self.pool.get().map_err(store_error)?;
        let mut transaction = client.transaction().map_err(store_error)?;
        for write in staged.iter() {
            match write {
                TextWrite::Put(asset_id, moments) => {
                    write_moment_texts(&mut transaction, asset_id, moments)
                }
                TextWrite::Delete(asset_id) => transaction
                    .execute("DELETE FROM moment_texts WHERE asset_id = $1", &[asset_id])
                    .map(drop)
                    .map_err(PostgresError::from),
                TextWrite::DeleteAll => transaction
                    .execute("DELETE FROM moment_texts", &[])
                    .map(drop)
                    .map_err(PostgresError::from),
            }
            .map_err(store_error)?;
        }
        transaction.commit().map_err(store_error)?;
        staged.clear();
        Ok(())
    }

    fn rollback(&self) -> Result<(), StoreError> {
        self.staged()?.clear();
        Ok(())
    }

    fn num_docs(&self) -> u64 {
        let count = self.pool.get().map_err(store_error).and_then(|mut client| {
            client
                .query_one("SELECT count(*) FROM moment_texts", &[])
                .map_err(store_error)
        });
        match count {
            Ok(row) => row.get::<_, i64>(0) as u64,
            Err(error) => {
                tracing::warn!(%error, "cannot count the moment texts");
                0
            }
        }
    }

    fn build_query(
        &self,
        terms: &[TextTerm],
        filters: &[FilterClause],
        all_terms: bool,
    ) -> Result<Option<Box<PgQuery>>, StoreError> {
        self.analyse(terms)?;
        let mut query = PgQuery::default();
        let mut words = Vec::new();
        for term in terms.iter().filter(|t| !t.excluded) {
            if let Some(tsquery) = self.term_condition(&mut query, term)? {
                words.push(tsquery);
            }
        }
        if words.is_empty() {
            return Ok(None);
        }
        let rank = format!("({})", words.join(if all_terms { " && " } else { " || " }));
        let mut conditions = vec![format!("t.document @@ {rank}")];
        conditions.extend(self.restriction_conditions(&mut query, terms, filters)?);
        query.condition = all_of(&conditions);
        query.rank = Some(rank);
        query.words_alone = filters.is_empty();
        Ok(Some(Box::new(query)))
    }

    fn restriction_query(
        &self,
        terms: &[TextTerm],
        filters: &[FilterClause],
    ) -> Result<Box<PgQuery>, StoreError> {
        self.analyse(terms)?;
        let mut query = PgQuery::default();
        let conditions = self.restriction_conditions(&mut query, terms, filters)?;
        query.condition = all_of(&conditions);
        Ok(Box::new(query))
    }

    fn top_moments(
        &self,
        snapshot: &PgSnapshot,
        query: &PgQuery,
        limit: usize,
        order: TextOrder,
    ) -> Result<Vec<(i64, f32)>, StoreError> {
        let limit = limit.max(1) as i64;
        let (score, order_by) = match order {
            TextOrder::Score => (query.score(), "score DESC, t.moment_id"),
            TextOrder::DateDescending => ("0::real".into(), "t.captured_at DESC, t.moment_id"),
            TextOrder::Path => ("0::real".into(), "t.path_sort, t.moment_id"),
        };
        let table = if query.words_alone && order == TextOrder::Score {
            "moment_ranks"
        } else {
            "moment_texts"
        };
        let sql = format!(
            "SELECT t.moment_id, {score} AS score FROM {table} t WHERE {}
             ORDER BY {order_by} LIMIT ${}::int8",
            query.condition,
            query.params.len() + 1
        );
        let rows = snapshot.query(&sql, &query.params_with(&[&limit]))?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }

    fn passing(
        &self,
        snapshot: &PgSnapshot,
        restriction: &PgQuery,
        moment_ids: &[i64],
    ) -> Result<HashSet<i64>, StoreError> {
        let ids = moment_ids.to_vec();
        let sql = format!(
            "SELECT t.moment_id FROM moment_texts t
             WHERE t.moment_id = ANY(${}::int8[]) AND {}",
            restriction.params.len() + 1,
            restriction.condition
        );
        let rows = snapshot.query(&sql, &restriction.params_with(&[&ids]))?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    fn facet_values(
        &self,
        snapshot: &PgSnapshot,
        query: &PgQuery,
        cap: usize,
    ) -> Result<(usize, Vec<FacetDoc>), StoreError> {
        let total: i64 = snapshot
            .query(
                &format!(
                    "SELECT count(*) FROM moment_texts t WHERE {}",
                    query.condition
                ),
                &query.params_with(&[]),
            )?
            .first()
            .map_or(0, |row| row.get(0));
        let cap = cap.max(1) as i64;
        let sql = format!(
            "SELECT t.asset_id, t.kind, t.folder_facet, t.camera, t.tag_values,
                 {} AS score
             FROM moment_texts t WHERE {} ORDER BY score DESC, t.moment_id LIMIT ${}::int8",
            query.score(),
            query.condition,
            query.params.len() + 1
        );
        let rows = snapshot.query(&sql, &query.params_with(&[&cap]))?;
        let values = rows
            .iter()
            .map(|row| FacetDoc {
                asset_id: row.get(0),
                kind: row.get(1),
                folder: row.get(2),
                camera: row.get(3),
                tags: row.get(4),
            })
            .collect();
        Ok((total as usize, values))
    }
}
