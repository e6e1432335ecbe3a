//! Reading a slate's fields from the text OCR found on one frame (one text box per line).
//!
//! Slates are written many ways: `SC 42A TK 3`, `SCENE: 42A` on one line and `TAKE: 3` on
//! the next, a clapperboard grid read as a row of labels (`ROLL SCENE TAKE`) above a row of
//! values (`A007 42A 3`), or each box on its own line. Labels are matched by their usual
//! spellings (SC / SCN / SCENE, TK / TAKE / T, ROLL / R / CAM ROLL…); a label without a
//! value on its line waits for the values of the lines after it, in order. Values are
//! checked against what the field can hold and mended where OCR misreads digits as letters
//! (`1O`, `l0`, `AOO7`). Text is a slate only with slate evidence: a scene and a take, two
//! fields one of which is a scene, take or roll, or both the SCENE and TAKE labels; so
//! `EXIT 42` or a lower third is not one.

use std::collections::VecDeque;

use rushes_core::{Slate, SlateSound};

/// A slate read from one frame's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlateRead {
    pub slate: Slate,
    /// The text only made sense turned 180° (lines and characters reversed): a tail slate
    /// held upside down.
    pub upside_down: bool,
}

/// The fields a label can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Production,
    Roll,
    Scene,
    Take,
    Camera,
    Date,
    Director,
    Dop,
    SoundRoll,
    Timecode,
    /// A label whose value is not kept (`FPS 25`), so its value is not taken for another.
    Ignored,
}

impl Field {
    /// Fields whose value is free text that may hold several words (names, titles, dates).
    fn is_text(self) -> bool {
        matches!(
            self,
            Field::Production | Field::Director | Field::Dop | Field::Date
        )
    }
}

/// Labels as OCR reads them, upper case, dots removed; multi-word ones first.
const LABELS: &[(&[&str], Field)] = &[
    (&["CAMERA", "ROLL"], Field::Roll),
    (&["CAM", "ROLL"], Field::Roll),
    (&["SOUND", "ROLL"], Field::SoundRoll),
    (&["SND", "ROLL"], Field::SoundRoll),
    (&["AUDIO", "ROLL"], Field::SoundRoll),
    (&["CAMERA", "OPERATOR"], Field::Dop),
    (&["CAMERA", "OP"], Field::Dop),
    (&["CAM", "OP"], Field::Dop),
    (&["DIRECTED", "BY"], Field::Director),
    (&["FRAME", "RATE"], Field::Ignored),
    (&["PRODUCTION"], Field::Production),
    (&["PROD"], Field::Production),
    (&["TITLE"], Field::Production),
    (&["PICTURE"], Field::Production),
    (&["PROJECT"], Field::Production),
    (&["FILM"], Field::Production),
    (&["ROLL"], Field::Roll),
    (&["CAMROLL"], Field::Roll),
    (&["REEL"], Field::Roll),
    (&["R"], Field::Roll),
    (&["SCENE"], Field::Scene),
    (&["SCN"], Field::Scene),
    (&["SCE"], Field::Scene),
    (&["SC"], Field::Scene),
    (&["TAKE"], Field::Take),
    (&["TK"], Field::Take),
    (&["T"], Field::Take),
    (&["CAMERA"], Field::Camera),
    (&["CAM"], Field::Camera),
    (&["DATE"], Field::Date),
    (&["DIRECTOR"], Field::Director),
    (&["DIR"], Field::Director),
    (&["DOP"], Field::Dop),
    (&["DP"], Field::Dop),
    (&["CINEMATOGRAPHER"], Field::Dop),
    (&["CAMERAMAN"], Field::Dop),
    (&["OPERATOR"], Field::Dop),
    (&["SOUND"], Field::SoundRoll),
    (&["SND"], Field::SoundRoll),
    (&["SR"], Field::SoundRoll),
    (&["TC"], Field::Timecode),
    (&["TIMECODE"], Field::Timecode),
    (&["FPS"], Field::Ignored),
];

/// Labels OCR often reads glued to their value (`SC42A`, `TK3`, `SCENE:42A` is split on the
/// colon before this): longest first, so `SCENE42` is not read as `SC` + `ENE42`.
const GLUED_LABELS: &[(&str, Field)] = &[
    ("SCENE", Field::Scene),
    ("TAKE", Field::Take),
    ("ROLL", Field::Roll),
    ("SCN", Field::Scene),
    ("SC", Field::Scene),
    ("TK", Field::Take),
];

/// The longest text kept for a free-text field (a production title, a name).
const TEXT_FIELD_CHARS: usize = 60;
/// Lines longer than this are prose (a call sheet, a document), not slate boxes.
const LINE_CHARS: usize = 120;
/// Lines read at most from one frame.
const LINES: usize = 40;

/// Reads a slate from one frame's text, one text box per line; `None` when the text is not
/// a slate. Never panics, whatever the input.
pub fn parse_slate(text: &str) -> Option<SlateRead> {
    if let Some(slate) = read(text) {
        return Some(SlateRead {
            slate,
            upside_down: false,
        });
    }
    read(&turned_over(text)).map(|slate| SlateRead {
        slate,
        upside_down: true,
    })
}

/// The text as it would read turned 180°: lines in reverse order, each line reversed, and
/// the digits that turn into each other (6 and 9) swapped.
fn turned_over(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .rev()
        .map(|line| {
            line.chars()
                .rev()
                .map(|c| match c {
                    '6' => '9',
                    '9' => '6',
                    other => other,
                })
                .collect()
        })
        .collect();
    lines.join("\n")
}

/// One word of a line as read, and its upper-case form without dots for label matching.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    key: String,
}

impl Token {
    fn new(text: &str) -> Token {
        let key = text
            .chars()
            .filter(|c| *c != '.')
            .flat_map(char::to_uppercase)
            .collect();
        Token {
            text: text.to_string(),
            key,
        }
    }
}

/// What one frame's text says so far.
#[derive(Default)]
struct Reading {
    slate: Slate,
    saw_scene_label: bool,
    saw_take_label: bool,
    /// Fields written explicitly (the camera letter taken from the roll does not count).
    fields: usize,
}

fn read(text: &str) -> Option<Slate> {
    let mut reading = Reading::default();
    let mut pending: VecDeque<Field> = VecDeque::new();
    for line in text.lines().take(LINES) {
        if line.chars().count() > LINE_CHARS {
            continue;
        }
        let tokens = tokenize(line);
        if tokens.is_empty() {
            continue;
        }
        let (free, segments) = segments(&tokens);
        let mut free: Vec<&Token> = free.iter().collect();
        free.retain(|token| !reading.take_loose(token));
        if !free.is_empty() {
            reading.fill_pending(&mut pending, &free);
        }
        for (field, values) in segments {
            match field {
                Field::Scene => reading.saw_scene_label = true,
                Field::Take => reading.saw_take_label = true,
                _ => {}
            }
            let values: Vec<&Token> = values
                .iter()
                .filter(|token| !reading.take_loose(token))
                .collect();
            if values.is_empty() {
                pending.push_back(field);
            } else {
                reading.set(field, &values);
            }
        }
    }
    reading.finish()
}

impl Reading {
    /// Takes a value that means the same wherever it stands (`MOS`, `SYNC`, a timecode);
    /// true when the token was one.
    fn take_loose(&mut self, token: &Token) -> bool {
        match token.key.as_str() {
            "MOS" => {
                self.set_sound(SlateSound::Mos);
                return true;
            }
            "SYNC" => {
                self.set_sound(SlateSound::Sync);
                return true;
            }
            _ => {}
        }
        // `A CAM`, `B-CAM`, `ACAM`: the camera letter written before the word.
        if let Some(letter) = token
            .key
            .strip_suffix("CAM")
            .map(|rest| rest.trim_end_matches('-'))
            .filter(|rest| rest.len() == 1 && rest.chars().all(|c| c.is_ascii_alphabetic()))
        {
            if self.slate.camera.is_none() {
                self.slate.camera = Some(letter.to_string());
                self.fields += 1;
            }
            return true;
        }
        if let Some(timecode) = timecode(&token.text) {
            if self.slate.timecode.is_none() {
                self.slate.timecode = Some(timecode);
                self.fields += 1;
            }
            return true;
        }
        false
    }

    fn set_sound(&mut self, sound: SlateSound) {
        if self.slate.sound.is_none() {
            self.slate.sound = Some(sound);
            self.fields += 1;
        }
    }

    /// Gives the values of a line without labels to the labels still waiting, in order; a
    /// free-text label last in the queue takes the rest of the line.
    fn fill_pending(&mut self, pending: &mut VecDeque<Field>, values: &[&Token]) {
        let mut rest = values;
        while let Some(field) = pending.front().copied() {
            if rest.is_empty() {
                break;
            }
            pending.pop_front();
            let take = if field.is_text() && pending.is_empty() {
                rest.len()
            } else {
                1
            };
            let (now, later) = rest.split_at(take.min(rest.len()));
            self.set(field, now);
            rest = later;
        }
        if pending.is_empty() {
            // A date without a label (`12/03/2025`) is still the slate's date.
            for token in rest {
                if self.slate.date.is_none() && looks_like_date(&token.text) {
                    self.slate.date = Some(token.text.clone());
                    self.fields += 1;
                }
            }
        }
    }

    /// Sets `field` from the words after its label, when they make a value it can hold.
    fn set(&mut self, field: Field, values: &[&Token]) {
        let Some(first) = values.first() else {
            return;
        };
        let (slot, value) = match field {
            Field::Ignored => return,
            Field::Scene => (&mut self.slate.scene, scene(&first.text)),
            Field::Take => (&mut self.slate.take, take(&first.text)),
            Field::Roll => (&mut self.slate.roll, roll(&first.text)),
            Field::SoundRoll => (&mut self.slate.sound_roll, roll(&first.text)),
            Field::Camera => (&mut self.slate.camera, camera(values)),
            Field::Timecode => (&mut self.slate.timecode, timecode(&first.text)),
            Field::Production => (&mut self.slate.production, free_text(values)),
            Field::Director => (&mut self.slate.director, free_text(values)),
            Field::Dop => (&mut self.slate.dop, free_text(values)),
            Field::Date => (
                &mut self.slate.date,
                free_text(values).filter(|d| d.chars().any(|c| c.is_ascii_digit())),
            ),
        };
        if slot.is_none()
            && let Some(value) = value
        {
            *slot = Some(value);
            self.fields += 1;
        }
    }

    fn finish(mut self) -> Option<Slate> {
        let slate = &self.slate;
        let core = [&slate.scene, &slate.take, &slate.roll]
            .iter()
            .filter(|field| field.is_some())
            .count();
        let evidence = (slate.scene.is_some() && slate.take.is_some())
            || (core >= 1 && self.fields >= 2)
            || (self.saw_scene_label && self.saw_take_label && core >= 1);
        if !evidence {
            return None;
        }
        // A-camera rolls are A001, A002…: the roll's letter is the camera when none is written.
        if self.slate.camera.is_none() {
            self.slate.camera = self
                .slate
                .roll
                .as_deref()
                .and_then(|roll| roll.chars().next())
                .filter(char::is_ascii_alphabetic)
                .map(String::from);
        }
        Some(self.slate)
    }
}

/// Splits a line into words: on white space, then on the separators slates put between a
/// label and its value (`SCENE:42A`, `TK#3`), keeping timecodes and dates whole, and
/// splitting a label glued to its value (`SC42A`).
fn tokenize(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for word in line.split_whitespace() {
        if timecode(word).is_some() || looks_like_date(word) {
            tokens.push(Token::new(word));
            continue;
        }
        for part in word.split([':', '#', '=', '|', ',', ';', '[', ']', '(', ')']) {
            let part = part.trim_matches(|c: char| matches!(c, '-' | '_' | '"' | '\'' | '/'));
            if part.is_empty() || part.chars().all(|c| c == '.') {
                continue;
            }
            let upper = part.to_uppercase();
            let glued = GLUED_LABELS.iter().find_map(|(label, _)| {
                let rest = upper.strip_prefix(label)?;
                let rest = rest.trim_start_matches(['.', '-']);
                rest.starts_with(|c: char| c.is_ascii_digit())
                    .then_some((label.len(), rest.len()))
            });
            // `A CAM`: the camera letter before the word, read as one token (`ACAM`).
            if upper == "CAM" || upper == "CAMERA" {
                let letter = tokens.last().filter(|token: &&Token| {
                    token.key.len() == 1 && token.key.chars().all(|c| c.is_ascii_alphabetic())
                });
                if let Some(letter) = letter.map(|token| token.key.clone()) {
                    tokens.pop();
                    tokens.push(Token::new(&format!("{letter}CAM")));
                    continue;
                }
            }
            match glued {
                Some((label_len, rest_len)) if part.is_char_boundary(label_len) => {
                    tokens.push(Token::new(&part[..label_len]));
                    let rest_start = part.len().saturating_sub(rest_len);
                    tokens.push(Token::new(part.get(rest_start..).unwrap_or("")));
                }
                _ => tokens.push(Token::new(part)),
            }
        }
    }
    tokens
}

/// Labels that are also ordinary words in names and titles (`Jane T Smith`, `The Last
/// Picture Show`): inside a name they are part of it.
fn is_weak_label(key: &str) -> bool {
    key.chars().count() < 2
        || matches!(
            key,
            "FILM"
                | "PICTURE"
                | "TITLE"
                | "PROJECT"
                | "REEL"
                | "OPERATOR"
                | "CAMERAMAN"
                | "CINEMATOGRAPHER"
                | "SOUND"
        )
}

/// A line's words before its first label, then each label with the words after it up to
/// the next label. Inside a name only strong labels start a new field (see
/// [`is_weak_label`]).
fn segments(tokens: &[Token]) -> (Vec<Token>, Vec<(Field, Vec<Token>)>) {
    let mut free = Vec::new();
    let mut segments: Vec<(Field, Vec<Token>)> = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        let in_name = segments.last().is_some_and(|(field, values)| {
            field.is_text() && *field != Field::Date && !values.is_empty()
        });
        if let Some((field, length)) = label_at(&tokens[index..])
            && !(in_name && length == 1 && is_weak_label(&tokens[index].key))
        {
            segments.push((field, Vec::new()));
            index += length;
            continue;
        }
        match segments.last_mut() {
            Some((_, values)) => values.push(tokens[index].clone()),
            None => free.push(tokens[index].clone()),
        }
        index += 1;
    }
    (free, segments)
}

/// The label starting at the first token, with how many tokens it spans.
fn label_at(tokens: &[Token]) -> Option<(Field, usize)> {
    LABELS.iter().find_map(|(words, field)| {
        let matches = words.len() <= tokens.len()
            && words
                .iter()
                .zip(tokens)
                .all(|(word, token)| token.key == *word);
        matches.then_some((*field, words.len()))
    })
}

/// Characters OCR reads for digits: the digits, and the letters it swaps for 0 and 1.
fn digit_like(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, 'O' | 'o' | 'Q' | 'l' | 'I' | '|')
}

fn as_digit(c: char) -> char {
    match c {
        'O' | 'o' | 'Q' => '0',
        'l' | 'I' | '|' => '1',
        other => other,
    }
}

/// Every digit-like character as its digit, for fields that can only hold digits and
/// separators (a take, a timecode): `l` → `1`, `O1:OO` → `01:00`.
fn mend_all(text: &str) -> String {
    text.chars().map(as_digit).collect()
}

/// Digits as OCR misreads them: letter-for-digit swaps mended inside any run of
/// digit-like characters that holds at least one real digit (`1O` → `10`, `AOO7` → `A007`).
fn mend_digits(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        if !digit_like(chars[index]) {
            out.push(chars[index]);
            index += 1;
            continue;
        }
        let start = index;
        while index < chars.len() && digit_like(chars[index]) {
            index += 1;
        }
        let run = &chars[start..index];
        if run.iter().any(char::is_ascii_digit) {
            out.extend(run.iter().copied().map(as_digit));
        } else {
            out.extend(run);
        }
    }
    out
}

/// Leading zeros off a run of digits (`007` → `7`), keeping a lone `0`.
fn without_leading_zeros(digits: &str) -> &str {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() && !digits.is_empty() {
        "0"
    } else {
        trimmed
    }
}

fn strip_edges(text: &str) -> &str {
    text.trim_matches(|c: char| !c.is_alphanumeric())
}

/// A scene: digits with an optional letter suffix (`42`, `42A`, `17B`, `101AA`), or an
/// inserted scene with a letter before (`A42`); upper case, without leading zeros.
fn scene(text: &str) -> Option<String> {
    let text = mend_digits(strip_edges(text)).to_uppercase();
    let prefix_len = text.chars().take_while(char::is_ascii_alphabetic).count();
    let digits_len = text
        .chars()
        .skip(prefix_len)
        .take_while(char::is_ascii_digit)
        .count();
    let suffix: String = text.chars().skip(prefix_len + digits_len).collect();
    let prefix: String = text.chars().take(prefix_len).collect();
    let digits: String = text.chars().skip(prefix_len).take(digits_len).collect();
    let valid = prefix_len <= 1
        && (1..=4).contains(&digits_len)
        && suffix.chars().count() <= 2
        && suffix.chars().all(|c| c.is_ascii_alphabetic());
    valid.then(|| format!("{prefix}{}{suffix}", without_leading_zeros(&digits)))
}

/// A take: a number of one to three digits, without leading zeros.
fn take(text: &str) -> Option<String> {
    let text = mend_all(strip_edges(text));
    let valid = (1..=3).contains(&text.len()) && text.chars().all(|c| c.is_ascii_digit());
    valid.then(|| without_leading_zeros(&text).to_string())
}

/// A roll: letters and digits with at least one digit (`A007`, `7`, `B012`), upper case.
fn roll(text: &str) -> Option<String> {
    let text = mend_digits(strip_edges(text)).to_uppercase();
    let valid = (1..=10).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
        && text.chars().any(|c| c.is_ascii_digit());
    valid.then_some(text)
}

/// A camera letter: `A`, `A CAM`, `B-CAM`, `CAM C` reduced to the letter.
fn camera(values: &[&Token]) -> Option<String> {
    let first = values.first()?;
    let key = strip_edges(&first.key)
        .trim_end_matches("CAM")
        .trim_end_matches('-');
    let mut letters = key.chars();
    match (letters.next(), letters.next()) {
        (Some(letter), None) if letter.is_ascii_alphabetic() => Some(letter.to_string()),
        _ => None,
    }
}

/// Words after a free-text label, joined and trimmed; `None` without a letter or digit.
fn free_text(values: &[&Token]) -> Option<String> {
    let words: Vec<&str> = values.iter().map(|token| token.text.as_str()).collect();
    let text: String = words.join(" ").chars().take(TEXT_FIELD_CHARS).collect();
    let text = text.trim().to_string();
    text.chars().any(char::is_alphanumeric).then_some(text)
}

/// A timecode `HH:MM:SS:FF` (`;` or `.` before the frames of drop-frame or OCR'd ones),
/// digits mended, normalised to colons (a `;` before the frames is kept).
fn timecode(text: &str) -> Option<String> {
    let text = mend_all(strip_edges(text));
    let parts: Vec<&str> = text.split([':', ';', '.']).collect();
    let valid = parts.len() == 4
        && parts
            .iter()
            .all(|part| part.len() == 2 && part.chars().all(|c| c.is_ascii_digit()));
    if !valid {
        return None;
    }
    let drop_frame = text.get(8..9) == Some(";");
    let separator = if drop_frame { ";" } else { ":" };
    Some(format!(
        "{}:{}:{}{separator}{}",
        parts[0], parts[1], parts[2], parts[3]
    ))
}

/// `12/03/2025`, `2025-03-12`, `12.03.25`: three runs of digits split by one separator.
fn looks_like_date(text: &str) -> bool {
    let text = strip_edges(text);
    let Some(separator) = ['/', '-', '.'].into_iter().find(|s| text.contains(*s)) else {
        return false;
    };
    let parts: Vec<&str> = text.split(separator).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|part| (1..=4).contains(&part.len()) && part.chars().all(|c| c.is_ascii_digit()))
        && parts.iter().any(|part| part.len() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mend_digits_only_inside_runs_with_a_digit() {
        assert_eq!(mend_digits("1O"), "10");
        assert_eq!(mend_digits("l0"), "10");
        assert_eq!(mend_digits("AOO7"), "A007");
        assert_eq!(mend_digits("OIL"), "OIL");
        assert_eq!(mend_digits("42A"), "42A");
    }

    #[test]
    fn turned_over_reverses_lines_and_characters() {
        assert_eq!(turned_over("ab6\ncd"), "dc\n9ba");
    }
}
