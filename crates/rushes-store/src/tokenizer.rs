//! The word splitter of the text index: a word is a run of letters or a run of digits, so
//! OCR'd slate text like `SCENE42` or `TAKE3` is indexed as `scene 42` / `take 3` (and the
//! query `take3` means the same). Splits on everything that is not alphanumeric, like
//! Tantivy's `SimpleTokenizer`; lowercasing, folding and stemming are filters after it.

use std::str::CharIndices;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Splits text into runs of letters and runs of digits, with byte offsets into the text
/// (for highlighting) and consecutive positions (for phrases).
#[derive(Clone, Default)]
pub struct LetterDigitTokenizer {
    token: Token,
}

pub struct LetterDigitTokenStream<'a> {
    text: &'a str,
    chars: std::iter::Peekable<CharIndices<'a>>,
    token: &'a mut Token,
}

impl Tokenizer for LetterDigitTokenizer {
    type TokenStream<'a> = LetterDigitTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> LetterDigitTokenStream<'a> {
        self.token.reset();
        LetterDigitTokenStream {
            text,
            chars: text.char_indices().peekable(),
            token: &mut self.token,
        }
    }
}

/// Which run a character belongs to; `None` separates words.
fn class(c: char) -> Option<bool> {
    if c.is_numeric() {
        Some(true)
    } else if c.is_alphanumeric() {
        Some(false)
    } else {
        None
    }
}

impl TokenStream for LetterDigitTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        while let Some((start, c)) = self.chars.next() {
            let Some(digits) = class(c) else {
                continue;
            };
            let mut end = start + c.len_utf8();
            while let Some(&(offset, next)) = self.chars.peek() {
                if class(next) != Some(digits) {
                    break;
                }
                end = offset + next.len_utf8();
                self.chars.next();
            }
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token.text.push_str(&self.text[start..end]);
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut tokenizer = LetterDigitTokenizer::default();
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push((
                token.text.clone(),
                token.position,
                token.offset_from,
                token.offset_to,
            ));
        }
        out
    }

    #[test]
    fn letter_and_digit_runs_become_words_with_offsets_and_positions() {
        assert_eq!(
            tokens("SCENE42 TAKE3, café_2"),
            vec![
                ("SCENE".into(), 0, 0, 5),
                ("42".into(), 1, 5, 7),
                ("TAKE".into(), 2, 8, 12),
                ("3".into(), 3, 12, 13),
                ("café".into(), 4, 15, 20),
                ("2".into(), 5, 21, 22),
            ]
        );
        assert!(tokens(" -- ").is_empty());
    }
}
