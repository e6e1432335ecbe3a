//! The Tantivy text index ([`TantivyText`], today's [`TextIndex`]): one document per moment with its transcript, OCR text, tags,
//! caption, file and folder names and metadata, plus fast fields for filters and sorting.
//! It stores no text of its own; the catalog holds it and hits are assembled from there.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;
use std::path::{Component, Path};
use std::sync::Mutex;

use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, TokenStream, Tokenizer,
};
use tantivy::{
    DocAddress, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument, Term,
};

use crate::error::StoreError;
use crate::seams::{FacetDoc, SnippetGenerator, TextIndex, TextOrder};
pub use crate::text_field::TextField;
use crate::tokenizer::LetterDigitTokenizer;

/// Boolean clauses of a Tantivy query.
type Clauses = Vec<(Occur, Box<dyn Query>)>;
use crate::catalog::MomentRow;
use crate::query::{Filter, FilterClause, TextTerm};

/// Analyzer for prose and names: split on non-alphanumerics and between letters and
/// digits (`TAKE3` → `take 3`), lowercase, fold accents (`café` → `cafe`), English
/// stemming (`rigging` → `rig`). New text indexes use it.
pub(crate) const TEXT_ANALYZER: &str = "rushes_text_v2";
/// The analyzer of text indexes written before letter/digit splitting: their schema names
/// it, so they keep indexing and querying alike until `rushes reindex` rebuilds them.
const TEXT_ANALYZER_V1: &str = "rushes_text";
/// Analyzer for exact-ish labels (camera names): no stemming.
const PLAIN_ANALYZER: &str = "rushes_plain";
const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone, Copy)]
pub struct Fields {
    moment_id: Field,
    asset_id: Field,
    text: [Field; 6],
    kind: Field,
    folder: Field,
    folder_facet: Field,
    camera: Field,
    camera_facet: Field,
    tag: Field,
    date: Field,
    duration: Field,
    start: Field,
    path_sort: Field,
}

impl Fields {
    pub fn text(&self, field: TextField) -> Field {
        self.text[TextField::ALL.iter().position(|f| *f == field).unwrap_or(0)]
    }
}

fn build_schema() -> Schema {
    let mut builder = Schema::builder();
    let analysed = |analyzer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    builder.add_u64_field("moment_id", INDEXED | FAST);
    builder.add_text_field("asset_id", STRING | FAST);
    for field in TextField::ALL {
        builder.add_text_field(field.name(), analysed(TEXT_ANALYZER));
    }
    builder.add_text_field("kind", STRING | FAST);
    builder.add_text_field("folder", STRING);
    builder.add_text_field("folder_facet", STRING | FAST);
    builder.add_text_field("camera", analysed(PLAIN_ANALYZER));
    builder.add_text_field("camera_facet", STRING | FAST);
    builder.add_text_field("tag", STRING | FAST);
    builder.add_i64_field("date", INDEXED | FAST);
    builder.add_f64_field("duration", INDEXED | FAST);
    builder.add_f64_field("start", FAST);
    builder.add_text_field("path_sort", STRING | FAST);
    builder.build()
}

fn fields_of(schema: &Schema) -> Result<Fields, tantivy::TantivyError> {
    let get = |name: &str| schema.get_field(name);
    Ok(Fields {
        moment_id: get("moment_id")?,
        asset_id: get("asset_id")?,
        text: [
            get("transcript")?,
            get("ocr")?,
            get("tags")?,
            get("caption")?,
            get("name")?,
            get("metadata")?,
        ],
        kind: get("kind")?,
        folder: get("folder")?,
        folder_facet: get("folder_facet")?,
        camera: get("camera")?,
        camera_facet: get("camera_facet")?,
        tag: get("tag")?,
        date: get("date")?,
        duration: get("duration")?,
        start: get("start")?,
        path_sort: get("path_sort")?,
    })
}

/// Words this long (in bytes) or longer are not indexed nor searched for.
const MAX_WORD_BYTES: usize = 48;

/// Words of `tokenizer`, lowercased, accent-folded and stemmed.
fn prose_analyzer<T: Tokenizer>(tokenizer: T) -> TextAnalyzer {
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The analyzer of the searchable text fields (`rushes_text_v2`), outside any index.
pub fn words_analyzer() -> TextAnalyzer {
    prose_analyzer(LetterDigitTokenizer::default())
}

/// `text` without the words [`words_analyzer`] drops for their length, for an engine
/// whose own analyzer keeps them (PostgreSQL's): a query then searches the same words
/// on both, and one made only of such words searches none.
pub fn without_long_words(text: &str) -> Cow<'_, str> {
    let mut tokenizer = LetterDigitTokenizer::default();
    let mut stream = tokenizer.token_stream(text);
    let mut long = Vec::new();
    while let Some(token) = stream.next() {
        if token.text.len() >= MAX_WORD_BYTES {
            long.push(token.offset_from..token.offset_to);
        }
    }
    if long.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut kept = String::with_capacity(text.len());
    let mut from = 0;
    for word in long {
        kept.push_str(&text[from..word.start]);
        kept.push(' ');
        from = word.end;
    }
    kept.push_str(&text[from..]);
    Cow::Owned(kept)
}

/// Snippet generators of `words` for every searchable field, from the analyzer alone:
/// each analysed word of a positive term weighs the same (no index statistics).
pub fn plain_snippet_generators(words: &[TextTerm]) -> Vec<(TextField, SnippetGenerator)> {
    let mut analyzer = words_analyzer();
    let mut terms: BTreeMap<String, f32> = BTreeMap::new();
    for term in words.iter().filter(|term| !term.excluded) {
        let mut stream = analyzer.token_stream(&term.text);
        while let Some(token) = stream.next() {
            terms.insert(token.text.clone(), 1.0);
        }
    }
    if terms.is_empty() {
        return Vec::new();
    }
    let Ok(fields) = fields_of(&build_schema()) else {
        return Vec::new();
    };
    TextField::ALL
        .into_iter()
        .map(|field| {
            let generator = SnippetGenerator::new(
                terms.clone(),
                words_analyzer(),
                fields.text(field),
                SNIPPET_GENERATOR_CHARS,
            );
            (field, generator)
        })
        .collect()
}

/// Tantivy's default fragment length; search sets its own.
const SNIPPET_GENERATOR_CHARS: usize = 150;

fn register_analyzers(index: &tantivy::Index) {
    let text = words_analyzer();
    let text_v1 = prose_analyzer(SimpleTokenizer::default());
    let plain = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(TEXT_ANALYZER, text);
    index.tokenizers().register(TEXT_ANALYZER_V1, text_v1);
    index.tokenizers().register(PLAIN_ANALYZER, plain);
}

pub struct TantivyText {
    index: tantivy::Index,
    reader: IndexReader,
    writer: Option<Mutex<IndexWriter>>,
    fields: Fields,
}

impl TantivyText {
    pub fn open(dir: &Path, read_only: bool) -> Result<TantivyText, StoreError> {
        let exists = dir.join("meta.json").exists();
        let index = if exists {
            tantivy::Index::open_in_dir(dir)?
        } else if read_only {
            return Err(StoreError::NotFound(format!(
                "no text index in {}; run `rushes reindex` to rebuild it from the catalog",
                dir.display()
            )));
        } else {
            std::fs::create_dir_all(dir).map_err(StoreError::io(dir))?;
            tantivy::Index::create_in_dir(dir, build_schema())?
        };
        register_analyzers(&index);
        let fields = fields_of(&index.schema()).map_err(|error| StoreError::Corrupt {
            path: dir.to_path_buf(),
            message: format!("text index schema is not the one this rushes writes ({error}); run `rushes reindex`"),
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        let writer = if read_only {
            None
        } else {
            Some(Mutex::new(
                index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?,
            ))
        };
        Ok(TantivyText {
            index,
            reader,
            writer,
            fields,
        })
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, StoreError> {
        let writer = self.writer.as_ref().ok_or(StoreError::ReadOnly)?;
        writer
            .lock()
            .map_err(|_| StoreError::Vector("text index writer lock poisoned".into()))
    }

    fn document(&self, moment: &MomentRow) -> TantivyDocument {
        let f = &self.fields;
        let values = MomentDocument::of(moment);
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.moment_id, moment.moment_id as u64);
        doc.add_text(f.asset_id, &values.asset_id);
        for (field, text) in TextField::ALL.iter().zip(&values.texts) {
            doc.add_text(f.text(*field), text);
        }
        doc.add_text(f.text(TextField::Tags), &values.notes);
        doc.add_text(f.kind, &values.kind);
        for folder in &values.folders {
            doc.add_text(f.folder, folder);
        }
        doc.add_text(f.folder_facet, &values.folder_facet);
        doc.add_text(f.camera, &values.camera);
        if !values.camera.is_empty() {
            doc.add_text(f.camera_facet, &values.camera);
        }
        for tag in &values.tag_values {
            doc.add_text(f.tag, tag);
        }
        doc.add_i64(f.date, values.date);
        doc.add_f64(f.duration, values.duration);
        doc.add_f64(f.start, moment.start);
        doc.add_text(f.path_sort, &values.path_sort);
        doc
    }

    /// The analyzer of a searchable field, to compare a query's words with matched words.
    pub(crate) fn analyzer(&self, field: TextField) -> Result<TextAnalyzer, StoreError> {
        Ok(self.index.tokenizer_for_field(self.fields.text(field))?)
    }

    /// Tokens of `text` as the analyzer of `field` produces them.
    fn tokens(&self, field: Field, text: &str) -> Result<Vec<String>, StoreError> {
        let mut analyzer = self.index.tokenizer_for_field(field)?;
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while let Some(token) = stream.next() {
            tokens.push(token.text.clone());
        }
        Ok(tokens)
    }

    /// A query matching `text` as a word or phrase in any of the searchable fields.
    fn term_query(&self, term: &TextTerm) -> Result<Option<Box<dyn Query>>, StoreError> {
        let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for text_field in TextField::ALL {
            let field = self.fields.text(text_field);
            let tokens = self.tokens(field, &term.text)?;
            let query: Box<dyn Query> = match tokens.len() {
                0 => continue,
                1 => Box::new(TermQuery::new(
                    Term::from_field_text(field, &tokens[0]),
                    IndexRecordOption::WithFreqs,
                )),
                _ => Box::new(PhraseQuery::new(
                    tokens
                        .iter()
                        .map(|t| Term::from_field_text(field, t))
                        .collect(),
                )),
            };
            per_field.push((
                Occur::Should,
                Box::new(BoostQuery::new(query, text_field.boost())),
            ));
        }
        Ok((!per_field.is_empty())
            .then(|| Box::new(BooleanQuery::new(per_field)) as Box<dyn Query>))
    }

    /// Moments of a camera whose make or model holds `camera`'s words.
    fn camera_query(&self, camera: &str) -> Result<Box<dyn Query>, StoreError> {
        let field = self.fields.camera;
        let tokens = self.tokens(field, camera)?;
        Ok(match tokens.len() {
            0 => Box::new(tantivy::query::EmptyQuery),
            1 => Box::new(TermQuery::new(
                Term::from_field_text(field, &tokens[0]),
                IndexRecordOption::Basic,
            )),
            _ => Box::new(PhraseQuery::new(
                tokens
                    .iter()
                    .map(|t| Term::from_field_text(field, t))
                    .collect(),
            )),
        })
    }

    fn filter_query(&self, filter: &Filter) -> Result<Box<dyn Query>, StoreError> {
        let f = &self.fields;
        let exact = |field: Field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::Basic,
            ))
        };
        Ok(match filter {
            Filter::Kind(kind) => exact(f.kind, kind.as_str()),
            Filter::Asset(id) => exact(f.asset_id, id.as_str()),
            Filter::Person(person) => Box::new(tantivy::query::TermSetQuery::new(
                person
                    .moments
                    .iter()
                    .map(|id| Term::from_field_u64(f.moment_id, *id)),
            )),
            Filter::Tag(tag) => exact(f.tag, &tag.trim().to_lowercase()),
            Filter::Folder(folder) => exact(f.folder, &normalise_folder(folder)),
            Filter::Camera(camera) => self.camera_query(camera)?,
            Filter::Slate(slate) => {
                let moments: Box<dyn Query> = Box::new(tantivy::query::TermSetQuery::new(
                    slate
                        .moments
                        .iter()
                        .map(|id| Term::from_field_u64(f.moment_id, *id)),
                ));
                if slate.field == crate::query::SlateField::Camera {
                    // `camera:A`: the slates of camera A, or a camera whose name says A.
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Should, moments),
                        (Occur::Should, self.camera_query(&slate.value)?),
                    ]))
                } else {
                    moments
                }
            }
            Filter::Date(range) => Box::new(RangeQuery::new(
                range.from.map_or(Bound::Unbounded, |from| {
                    Bound::Included(Term::from_field_i64(f.date, from))
                }),
                range.until.map_or(Bound::Unbounded, |until| {
                    Bound::Excluded(Term::from_field_i64(f.date, until))
                }),
            )),
            Filter::Duration(range) => {
                let bound = |value: Option<f64>, inclusive: bool| match value {
                    None => Bound::Unbounded,
                    Some(v) if inclusive => Bound::Included(Term::from_field_f64(f.duration, v)),
                    Some(v) => Bound::Excluded(Term::from_field_f64(f.duration, v)),
                };
                Box::new(RangeQuery::new(
                    bound(range.min, range.min_inclusive),
                    bound(range.max, range.max_inclusive),
                ))
            }
        })
    }

    /// Filters and exclusions as clauses: a moment must pass all of them.
    fn restriction_clauses(
        &self,
        terms: &[TextTerm],
        filters: &[FilterClause],
    ) -> Result<Clauses, StoreError> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in terms.iter().filter(|t| t.excluded) {
            if let Some(query) = self.term_query(term)? {
                clauses.push((Occur::MustNot, query));
            }
        }
        // Repeated kind: or asset: filters widen (either kind); all others narrow.
        let mut alternatives: Vec<(&'static str, Vec<Box<dyn Query>>)> = Vec::new();
        for clause in filters {
            let query = self.filter_query(&clause.filter)?;
            let name = clause.filter.name();
            if clause.negated {
                clauses.push((Occur::MustNot, query));
            } else if matches!(clause.filter, Filter::Kind(_) | Filter::Asset(_)) {
                match alternatives.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, list)) => list.push(query),
                    None => alternatives.push((name, vec![query])),
                }
            } else {
                clauses.push((Occur::Must, query));
            }
        }
        for (_, list) in alternatives {
            let union = BooleanQuery::new(list.into_iter().map(|q| (Occur::Should, q)).collect());
            clauses.push((Occur::Must, Box::new(union)));
        }
        Ok(clauses)
    }

    fn moment_id(
        &self,
        searcher: &Searcher,
        address: DocAddress,
    ) -> Result<Option<i64>, StoreError> {
        let column = searcher
            .segment_reader(address.segment_ord)
            .fast_fields()
            .u64("moment_id")?;
        Ok(column.first(address.doc_id).map(|id| id as i64))
    }
}

impl TextIndex for TantivyText {
    type Snapshot = Searcher;
    type Query = dyn Query;

    fn snippet_generators(
        &self,
        snapshot: &Searcher,
        words: &[TextTerm],
    ) -> Result<Vec<(TextField, SnippetGenerator)>, StoreError> {
        let mut generators = Vec::new();
        if let Some(query) = self.build_query(words, &[], false)? {
            for field in TextField::ALL {
                let generator =
                    SnippetGenerator::create(snapshot, &*query, self.fields.text(field))?;
                generators.push((field, generator));
            }
        }
        Ok(generators)
    }

    fn word_analyzer(&self) -> Option<TextAnalyzer> {
        self.analyzer(TextField::Ocr).ok()
    }

    fn snapshot(&self) -> Searcher {
        self.reader.searcher()
    }

    fn put_asset(&self, asset_id: &str, moments: &[MomentRow]) -> Result<(), StoreError> {
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_text(self.fields.asset_id, asset_id));
        for moment in moments {
            writer.add_document(self.document(moment))?;
        }
        Ok(())
    }

    fn delete_asset(&self, asset_id: &str) -> Result<(), StoreError> {
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_text(self.fields.asset_id, asset_id));
        Ok(())
    }

    fn delete_all(&self) -> Result<(), StoreError> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    fn commit(&self) -> Result<(), StoreError> {
        self.writer()?.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    fn rollback(&self) -> Result<(), StoreError> {
        self.writer()?.rollback()?;
        Ok(())
    }

    fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn build_query(
        &self,
        terms: &[TextTerm],
        filters: &[FilterClause],
        all_terms: bool,
    ) -> Result<Option<Box<dyn Query>>, StoreError> {
        let mut term_clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in terms.iter().filter(|t| !t.excluded) {
            if let Some(query) = self.term_query(term)? {
                term_clauses.push((
                    if all_terms {
                        Occur::Must
                    } else {
                        Occur::Should
                    },
                    query,
                ));
            }
        }
        if term_clauses.is_empty() {
            return Ok(None);
        }
        let mut clauses = vec![(
            Occur::Must,
            Box::new(BooleanQuery::new(term_clauses)) as Box<dyn Query>,
        )];
        for (occur, query) in self.restriction_clauses(terms, filters)? {
            // Filters do not change the score, only which moments qualify.
            let query: Box<dyn Query> = if occur == Occur::Must {
                Box::new(BoostQuery::new(query, 0.0))
            } else {
                query
            };
            clauses.push((occur, query));
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }

    fn restriction_query(
        &self,
        terms: &[TextTerm],
        filters: &[FilterClause],
    ) -> Result<Box<dyn Query>, StoreError> {
        let mut clauses = self.restriction_clauses(terms, filters)?;
        clauses.push((Occur::Must, Box::new(AllQuery)));
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    fn top_moments(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        limit: usize,
        order: TextOrder,
    ) -> Result<Vec<(i64, f32)>, StoreError> {
        let limit = limit.max(1);
        let addresses: Vec<(f32, DocAddress)> = match order {
            TextOrder::Score => {
                searcher.search(query, &TopDocs::with_limit(limit).order_by_score())?
            }
            TextOrder::DateDescending => searcher
                .search(
                    query,
                    &TopDocs::with_limit(limit).order_by_fast_field::<i64>("date", Order::Desc),
                )?
                .into_iter()
                .map(|(_, address)| (0.0, address))
                .collect(),
            TextOrder::Path => searcher
                .search(
                    query,
                    &TopDocs::with_limit(limit).order_by_string_fast_field("path_sort", Order::Asc),
                )?
                .into_iter()
                .map(|(_, address)| (0.0, address))
                .collect(),
        };
        let mut moments = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            if let Some(moment_id) = self.moment_id(searcher, address)? {
                moments.push((moment_id, score));
            }
        }
        Ok(moments)
    }

    fn passing(
        &self,
        searcher: &Searcher,
        restriction: &dyn Query,
        moment_ids: &[i64],
    ) -> Result<HashSet<i64>, StoreError> {
        let id_set = TermSetQuery::new(
            moment_ids
                .iter()
                .map(|id| Term::from_field_u64(self.fields.moment_id, *id as u64)),
        );
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(id_set) as Box<dyn Query>),
            (Occur::Must, restriction.box_clone()),
        ]);
        let addresses = searcher.search(&query, &DocSetCollector)?;
        let mut passing = HashSet::with_capacity(addresses.len());
        for address in addresses {
            if let Some(id) = self.moment_id(searcher, address)? {
                passing.insert(id);
            }
        }
        Ok(passing)
    }

    fn facet_values(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        cap: usize,
    ) -> Result<(usize, Vec<FacetDoc>), StoreError> {
        let total = searcher.search(query, &Count)?;
        let addresses =
            searcher.search(query, &TopDocs::with_limit(cap.max(1)).order_by_score())?;
        let mut values = Vec::with_capacity(addresses.len());
        for (_, address) in addresses {
            let fast = searcher.segment_reader(address.segment_ord).fast_fields();
            let read_all = |name: &str| -> Result<Vec<String>, StoreError> {
                let mut out = Vec::new();
                if let Some(column) = fast.str(name)? {
                    for ord in column.term_ords(address.doc_id) {
                        let mut text = String::new();
                        if column
                            .ord_to_str(ord, &mut text)
                            .map_err(|e| StoreError::Tantivy(e.into()))?
                        {
                            out.push(text);
                        }
                    }
                }
                Ok(out)
            };
            values.push(FacetDoc {
                asset_id: read_all("asset_id")?.pop().unwrap_or_default(),
                kind: read_all("kind")?.pop().unwrap_or_default(),
                folder: read_all("folder_facet")?.pop().unwrap_or_default(),
                camera: read_all("camera_facet")?.pop().unwrap_or_default(),
                tags: read_all("tag")?,
            });
        }
        Ok((total, values))
    }
}

/// What a text index holds of one moment, engine-neutral: the text of each searchable
/// field and the values its filters, facets and orders read. The Tantivy document is made
/// from it, and so is another engine's row (`rushes-postgres`), so both index the same.
#[derive(Debug, Clone, PartialEq)]
pub struct MomentDocument {
    pub asset_id: String,
    /// The text of each field of [`TextField::ALL`], in that order.
    pub texts: [String; 6],
    /// Hand notes: searched as part of the tags field, after the tags.
    pub notes: String,
    pub kind: String,
    /// What `folder:` matches ([`folder_terms`]).
    pub folders: Vec<String>,
    /// The name of the file's folder (the folder facet).
    pub folder_facet: String,
    /// Camera make and model (`camera:` and the camera facet); empty when unknown.
    pub camera: String,
    /// Tags as `tag:` matches them: trimmed, lower case, each once.
    pub tag_values: Vec<String>,
    /// Capture time, seconds since the epoch.
    pub date: i64,
    pub duration: f64,
    /// The display path in lower case (the path order).
    pub path_sort: String,
}

impl MomentDocument {
    pub fn of(moment: &MomentRow) -> MomentDocument {
        let transcript: Vec<&str> = moment
            .transcript
            .iter()
            .map(|line| line.text.as_str())
            .collect();
        let mut tag_values: Vec<String> = Vec::new();
        for tag in &moment.tags {
            let tag = tag.trim().to_lowercase();
            if !tag.is_empty() && !tag_values.contains(&tag) {
                tag_values.push(tag);
            }
        }
        MomentDocument {
            asset_id: moment.asset.id.as_str().to_string(),
            texts: [
                transcript.join("\n"),
                ocr_text(moment),
                moment.tags.join("\n"),
                moment.caption.clone().unwrap_or_default(),
                name_text(&moment.display_path),
                metadata_text(&moment.asset),
            ],
            notes: moment.notes.join("\n"),
            kind: moment.asset.kind.as_str().to_string(),
            folders: folder_terms(&moment.display_path),
            folder_facet: parent_folder_name(&moment.display_path),
            camera: camera_label(&moment.asset),
            tag_values,
            date: moment.captured_at,
            duration: moment.duration,
            path_sort: moment.display_path.to_lowercase(),
        }
    }
}

/// File name and folder names of a path, as words: `day1/A001_C003_take2.mov` →
/// `day1 A001_C003_take2.mov` (the analyzer splits `_` and `.`).
fn name_text(display_path: &str) -> String {
    let path = Path::new(display_path);
    let mut parts: Vec<String> = path
        .components()
        .filter_map(|component| match component {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    // The file stem again, so `take2` in `A001_C003_take2.mov` ranks above folder words.
    if let Some(stem) = path.file_stem() {
        parts.push(stem.to_string_lossy().into_owned());
    }
    parts.join(" ")
}

/// The moment's on-screen text: its own OCR text, then every line of the screen-text runs
/// overlapping it that the OCR text lacks (ingest writes the same lines into both; an
/// older catalog has only the first).
pub(crate) fn ocr_text(moment: &MomentRow) -> String {
    let mut text = moment.ocr_text.clone();
    for line in moment
        .screen_text
        .iter()
        .flat_map(|run| run.text.lines())
        .map(str::trim)
        .filter(|line| !line.is_empty())
    {
        if !text.lines().any(|known| known.trim() == line) {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(line);
        }
    }
    text
}

fn metadata_text(asset: &rushes_core::Asset) -> String {
    let media = &asset.media;
    let mut parts: Vec<String> = vec![asset.kind.as_str().to_string()];
    let container = container_of(media).map(str::to_string);
    let optional = [
        &container,
        &media.video_codec,
        &media.audio_codec,
        &media.pixel_format,
        &media.start_timecode,
        &media.camera_make,
        &media.camera_model,
        &media.creation_time,
    ];
    parts.extend(optional.into_iter().flatten().cloned());
    if let (Some(width), Some(height)) = (media.width, media.height) {
        parts.push(format!("{width}x{height}"));
    }
    parts.join(" ")
}

/// The file's container format: ffprobe names a family of formats
/// (`mov,mp4,m4a,3gp,3g2,mj2`); only the first is the file's, and the rest would make `take
/// 3` match every MP4 through `3gp`. The indexed metadata and a hit's metadata text both
/// use this, so a word matches a hit's metadata only where the index found it.
pub(crate) fn container_of(media: &rushes_core::MediaInfo) -> Option<&str> {
    media
        .container
        .as_deref()
        .and_then(|formats| formats.split(',').next())
}

fn camera_label(asset: &rushes_core::Asset) -> String {
    let media = &asset.media;
    let parts: Vec<&str> = [&media.camera_make, &media.camera_model]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    parts.join(" ").trim().to_string()
}

/// The folder terms a `folder:` filter can match: every folder name, every run of
/// consecutive folder names joined by `/` (`day1/cam-a`), and every absolute ancestor
/// (`/footage/day1`), all lowercase.
pub fn folder_terms(display_path: &str) -> Vec<String> {
    let path = Path::new(display_path);
    let folders: Vec<String> = path
        .parent()
        .map(|parent| {
            parent
                .components()
                .filter_map(|component| match component {
                    Component::Normal(part) => Some(part.to_string_lossy().to_lowercase()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut terms = Vec::new();
    for start in 0..folders.len() {
        for end in start + 1..=folders.len() {
            terms.push(folders[start..end].join("/"));
        }
    }
    if path.has_root() {
        for end in 1..=folders.len() {
            terms.push(format!("/{}", folders[..end].join("/")));
        }
    }
    terms
}

/// A `folder:` value as [`folder_terms`] are written: lower case, no trailing `/`.
pub fn normalise_folder(folder: &str) -> String {
    let lower = folder.trim().to_lowercase();
    let trimmed = lower.trim_end_matches('/');
    if trimmed.is_empty() {
        lower
    } else {
        trimmed.to_string()
    }
}

fn parent_folder_name(display_path: &str) -> String {
    Path::new(display_path)
        .parent()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_long_words_leaves_out_only_what_the_analyzer_drops() {
        let long = "abcdefghij".repeat(6);
        assert_eq!(without_long_words("scene 42 take3"), "scene 42 take3");
        assert_eq!(
            without_long_words(&format!("boom {long} pole")),
            "boom   pole"
        );
        // 47 bytes stay a word; 48 do not (bytes, as the analyzer counts: 24 × "é").
        let short = "a".repeat(MAX_WORD_BYTES - 1);
        assert_eq!(without_long_words(&short), short);
        assert_eq!(without_long_words(&"é".repeat(24)), " ");
        let mut analyzer = words_analyzer();
        let mut stream = analyzer.token_stream(&long);
        assert!(stream.next().is_none(), "the analyzer drops it too");
    }

    #[test]

    fn folder_terms_cover_names_runs_and_absolute_ancestors() {
        let terms = folder_terms("/footage/Day1/cam-a/A001_C003_take2.mov");
        for expected in [
            "footage",
            "day1",
            "cam-a",
            "day1/cam-a",
            "/footage",
            "/footage/day1/cam-a",
        ] {
            assert!(
                terms.contains(&expected.to_string()),
                "{expected} missing from {terms:?}"
            );
        }
        assert!(!terms.iter().any(|t| t.contains("take2")));
    }

    #[test]

    fn name_text_keeps_file_and_folder_names() {
        let text = name_text("/footage/day1/A001_C003_take2.mov");
        assert!(text.contains("day1") && text.contains("A001_C003_take2.mov"));
    }
}
