//! The text branch of a search, the same for every engine behind the `TextIndex` seam:
//! every word must match; if that finds nothing and the query has several words, any word
//! may — but only its content words. Function words ("the", "for", "a": the English stop
//! words Tantivy's `StopWordFilter` ships, Lucene's list) match nearly every page of
//! scanned text, so "fruit snacks for the crew" must not be answered by a call sheet that
//! holds only "the". A query of function words only ("the", "to be or not to be") still
//! looks for them, and the all-words pass always does.

use std::sync::LazyLock;

use tantivy::tokenizer::{
    Language, LowerCaser, SimpleTokenizer, StopWordFilter, TextAnalyzer, TokenStream,
};

use crate::error::StoreError;
use crate::query::{FilterClause, TextTerm};
use crate::seams::{TextIndex, TextOrder};

/// Words, lowercased, with the English stop words left out; `None` if Tantivy has no list.
static CONTENT_WORDS: LazyLock<Option<TextAnalyzer>> = LazyLock::new(|| {
    StopWordFilter::new(Language::English).map(|stop_words| {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(stop_words)
            .build()
    })
});

/// Whether `term` is a function word (or a run of them) the any-word pass leaves out.
/// A quoted phrase is asked for on purpose and never is; nor is a term with no words.
pub fn is_function_word(term: &TextTerm) -> bool {
    if term.phrase {
        return false;
    }
    let Some(analyzer) = CONTENT_WORDS.as_ref() else {
        return false;
    };
    let has_words = term.text.chars().any(char::is_alphanumeric);
    let mut content = analyzer.clone();
    has_words && !content.token_stream(&term.text).advance()
}

/// The terms the any-word pass looks for: the query's content words, and its exclusions;
/// all its terms when it has no content word.
pub fn any_word_terms(terms: &[TextTerm]) -> Vec<TextTerm> {
    let has_content = terms
        .iter()
        .any(|term| !term.excluded && !is_function_word(term));
    terms
        .iter()
        .filter(|term| term.excluded || !has_content || !is_function_word(term))
        .cloned()
        .collect()
}

/// The text branch: the best `limit` moments as (moment id, score), every word matching,
/// else (with several words) any content word; `None` when the query has no words to look
/// for (only filters, or words the analyzer drops).
pub fn ranked_words<T: TextIndex + ?Sized>(
    index: &T,
    snapshot: &T::Snapshot,
    terms: &[TextTerm],
    filters: &[FilterClause],
    limit: usize,
) -> Result<Option<Vec<(i64, f32)>>, StoreError> {
    let Some(all_words) = index.build_query(terms, filters, true)? else {
        return Ok(None);
    };
    let ranked = index.top_moments(snapshot, &all_words, limit, TextOrder::Score)?;
    let positive = terms.iter().filter(|t| !t.excluded).count();
    if !ranked.is_empty() || positive < 2 {
        return Ok(Some(ranked));
    }
    match index.build_query(&any_word_terms(terms), filters, false)? {
        Some(any_word) => Ok(Some(index.top_moments(
            snapshot,
            &any_word,
            limit,
            TextOrder::Score,
        )?)),
        None => Ok(Some(ranked)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> TextTerm {
        TextTerm {
            text: text.into(),
            phrase: false,
            excluded: false,
        }
    }

    fn texts(terms: &[TextTerm]) -> Vec<&str> {
        terms.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn function_words_are_left_out_when_the_query_has_content_words() {
        let terms: Vec<TextTerm> = ["fruit", "snacks", "for", "The", "crew"].map(word).into();
        assert_eq!(texts(&any_word_terms(&terms)), ["fruit", "snacks", "crew"]);
    }

    #[test]
    fn a_query_of_function_words_only_keeps_them() {
        let terms: Vec<TextTerm> = ["to", "be", "or", "not"].map(word).into();
        assert_eq!(texts(&any_word_terms(&terms)), ["to", "be", "or", "not"]);
    }

    #[test]
    fn phrases_and_exclusions_are_kept() {
        let mut terms: Vec<TextTerm> = ["the", "crew", "for"].map(word).into();
        terms[0].phrase = true;
        terms[2].excluded = true;
        assert_eq!(texts(&any_word_terms(&terms)), ["the", "crew", "for"]);
    }
}
