//! Whisper's special tokens (found by name in the model's tokenizer, so any Whisper vocab
//! works), the timestamp rules that constrain greedy decoding, and turning a decoded token
//! sequence with timestamps into timed lines.

use std::path::Path;

use tokenizers::Tokenizer;

use crate::ModelError;

/// Seconds per timestamp step (`<|0.02|>` is one step).
pub const TIMESTAMP_STEP: f64 = 0.02;

/// Ids of the tokens the decode loop needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecialTokens {
    pub end_of_text: u32,
    pub start_of_transcript: u32,
    pub translate: u32,
    pub transcribe: u32,
    pub no_timestamps: u32,
    /// `<|0.00|>`; every id from here on is a timestamp.
    pub timestamp_begin: u32,
    /// Language tokens (`<|en|>`, ...) with their codes.
    pub languages: Vec<(u32, String)>,
}

impl SpecialTokens {
    /// Looks the tokens up by name in `tokenizer`.
    pub fn from_tokenizer(tokenizer: &Tokenizer, path: &Path) -> Result<SpecialTokens, ModelError> {
        let id = |token: &str| {
            tokenizer
                .token_to_id(token)
                .ok_or_else(|| ModelError::Tokenizer {
                    path: path.to_path_buf(),
                    reason: format!("it has no {token} token, so it is not a Whisper tokenizer"),
                })
        };
        let start_of_transcript = id("<|startoftranscript|>")?;
        let translate = id("<|translate|>")?;
        let no_timestamps = id("<|notimestamps|>")?;
        // Whisper puts the timestamps right after <|notimestamps|>; newer tokenizer files
        // also name them.
        let timestamp_begin = tokenizer
            .token_to_id("<|0.00|>")
            .unwrap_or(no_timestamps + 1);
        // Language tokens sit between <|startoftranscript|> and <|translate|>.
        let languages = (start_of_transcript + 1..translate)
            .filter_map(|id| {
                let token = tokenizer.id_to_token(id)?;
                let code = token.strip_prefix("<|")?.strip_suffix("|>")?.to_string();
                Some((id, code))
            })
            .collect();
        Ok(SpecialTokens {
            end_of_text: id("<|endoftext|>")?,
            start_of_transcript,
            translate,
            transcribe: id("<|transcribe|>")?,
            no_timestamps,
            timestamp_begin,
            languages,
        })
    }

    pub fn is_timestamp(&self, token: u32) -> bool {
        token >= self.timestamp_begin
    }

    /// Seconds of a timestamp token.
    pub fn seconds(&self, token: u32) -> f64 {
        f64::from(token.saturating_sub(self.timestamp_begin)) * TIMESTAMP_STEP
    }

    pub fn language_token(&self, code: &str) -> Option<u32> {
        self.languages
            .iter()
            .find(|(_, known)| known == code)
            .map(|(id, _)| *id)
    }

    pub fn language_code(&self, token: u32) -> Option<&str> {
        self.languages
            .iter()
            .find(|(id, _)| *id == token)
            .map(|(_, code)| code.as_str())
    }

    /// Masks logits (sets them to -inf) that greedy decoding with timestamps must not pick
    /// after `generated` tokens: every special token but <|endoftext|> and timestamps; text
    /// before the first timestamp; a timestamp right after a pair of timestamps; text right
    /// after a lone closing timestamp; and timestamps going back in time.
    pub fn suppress(&self, logits: &mut [f32], generated: &[u32]) {
        let timestamps_from = (self.timestamp_begin as usize).min(logits.len());
        let specials_from = (self.end_of_text as usize).min(timestamps_from);
        for (id, logit) in logits
            .iter_mut()
            .enumerate()
            .take(timestamps_from)
            .skip(specials_from)
        {
            if id != self.end_of_text as usize {
                *logit = f32::NEG_INFINITY;
            }
        }
        let text_and_end = ..timestamps_from;
        let Some(&last) = generated.last() else {
            // The first token is a timestamp.
            logits[text_and_end].fill(f32::NEG_INFINITY);
            return;
        };
        let last_was_timestamp = self.is_timestamp(last);
        let penultimate_was_timestamp = generated
            .len()
            .checked_sub(2)
            .is_none_or(|i| self.is_timestamp(generated[i]));
        if last_was_timestamp {
            if penultimate_was_timestamp {
                logits[timestamps_from..].fill(f32::NEG_INFINITY);
            } else {
                for (id, logit) in logits.iter_mut().enumerate().take(timestamps_from) {
                    if id != self.end_of_text as usize {
                        *logit = f32::NEG_INFINITY;
                    }
                }
            }
        }
        if let Some(latest) = generated.iter().rev().find(|t| self.is_timestamp(**t)) {
            // A closing timestamp may equal its opening one; anything earlier is out.
            let floor = if last_was_timestamp && !penultimate_was_timestamp {
                *latest
            } else {
                latest + 1
            };
            let floor = (floor as usize).min(logits.len());
            logits[timestamps_from.min(floor)..floor].fill(f32::NEG_INFINITY);
        }
    }
}

/// A line of speech: text with start and end in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedText {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// Splits decoded tokens (without the prompt) into timed lines: text between an opening
/// and a closing timestamp is one line; text after the last timestamp runs to `duration`.
/// `offset` is added to every time. Empty lines are dropped.
pub fn lines_from_tokens(
    tokens: &[u32],
    special: &SpecialTokens,
    duration: f64,
    offset: f64,
    decode: &dyn Fn(&[u32]) -> Result<String, ModelError>,
) -> Result<Vec<TimedText>, ModelError> {
    let mut lines = Vec::new();
    let mut start: Option<f64> = None;
    let mut text: Vec<u32> = Vec::new();
    let mut push = |start: f64, end: f64, text: &[u32]| -> Result<(), ModelError> {
        let words = decode(text)?.trim().to_string();
        if !words.is_empty() {
            lines.push(TimedText {
                start: offset + start,
                end: offset + end.max(start),
                text: words,
            });
        }
        Ok(())
    };
    for &token in tokens {
        if token == special.end_of_text {
            break;
        }
        if special.is_timestamp(token) {
            let time = special.seconds(token);
            match start {
                Some(opened) if !text.is_empty() => {
                    push(opened, time, &text)?;
                    text.clear();
                    start = None;
                }
                _ => start = Some(time),
            }
        } else if token < special.end_of_text {
            if start.is_none() {
                start = Some(0.0);
            }
            text.push(token);
        }
    }
    if let Some(opened) = start
        && !text.is_empty()
    {
        push(opened, duration, &text)?;
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn special() -> SpecialTokens {
        SpecialTokens {
            end_of_text: 10,
            start_of_transcript: 11,
            translate: 14,
            transcribe: 15,
            no_timestamps: 16,
            timestamp_begin: 17,
            languages: vec![(12, "en".into()), (13, "de".into())],
        }
    }

    fn words(ids: &[u32]) -> Result<String, ModelError> {
        Ok(ids.iter().map(|id| format!(" w{id}")).collect())
    }

    #[test]
    fn timestamp_pairs_become_lines_offset_by_the_segment() {
        let s = special();
        // <|0.00|> w1 w2 <|1.00|><|1.20|> w3 <|2.00|> <|endoftext|>
        let tokens = [17, 1, 2, 67, 77, 3, 117, 10];
        let lines = lines_from_tokens(&tokens, &s, 30.0, 5.0, &words).expect("lines");
        assert_eq!(
            lines,
            vec![
                TimedText {
                    start: 5.0,
                    end: 6.0,
                    text: "w1 w2".into()
                },
                TimedText {
                    start: 6.2,
                    end: 7.0,
                    text: "w3".into()
                },
            ]
        );
        // Text after the last timestamp runs to the end of the window.
        let open = lines_from_tokens(&[17, 4, 5], &s, 3.0, 0.0, &words).expect("lines");
        assert_eq!(
            open,
            vec![TimedText {
                start: 0.0,
                end: 3.0,
                text: "w4 w5".into()
            }]
        );
    }

    #[test]
    fn suppression_enforces_the_timestamp_grammar() {
        let s = special();
        let allowed = |generated: &[u32]| -> Vec<usize> {
            let mut logits = vec![0.0f32; 30];
            s.suppress(&mut logits, generated);
            (0..30).filter(|&i| logits[i].is_finite()).collect()
        };
        // First: only timestamps.
        assert_eq!(allowed(&[]), (17..30).collect::<Vec<_>>());
        // After an opening timestamp: text or end, no timestamp, no special.
        assert_eq!(allowed(&[18]), (0..=10).collect::<Vec<_>>());
        // After text: text, end, or a timestamp not before the last one.
        let after_text = allowed(&[18, 3]);
        assert!(after_text.contains(&3) && after_text.contains(&10));
        assert!(!after_text.contains(&18) && after_text.contains(&19));
        // After a closing timestamp: another timestamp (not earlier) or the end.
        let closing = allowed(&[18, 3, 20]);
        assert_eq!(closing, [10].into_iter().chain(20..30).collect::<Vec<_>>());
    }
}
