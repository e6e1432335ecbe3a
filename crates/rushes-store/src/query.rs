//! The query language: free words, "quoted phrases", `-excluded` words and `name:value`
//! filters, parsed into a typed [`Query`]. Parsing only; turning a `Query` into index
//! lookups lives in `text` and `search`.

use std::fmt;

use rushes_core::{AssetId, AssetKind};

/// Filter names the parser understands, in the order error messages list them.
pub const KNOWN_FILTERS: [&str; 11] = [
    "kind", "folder", "camera", "tag", "date", "duration", "asset", "person", "scene", "take",
    "roll",
];

/// A malformed query: where it went wrong (byte offset into the query) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset})")]
pub struct QueryError {
    pub offset: usize,
    pub message: String,
}

/// One piece of free text: a word or a quoted phrase, possibly excluded with `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextTerm {
    pub text: String,
    /// Written in double quotes: its words must appear next to each other.
    pub phrase: bool,
    /// Written with a leading `-`: moments containing it are left out.
    pub excluded: bool,
}

/// A date range in seconds since the Unix epoch (UTC), half-open `[from, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<i64>,
    pub until: Option<i64>,
}

/// A comparison on an asset's duration in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DurationRange {
    pub min: Option<f64>,
    pub min_inclusive: bool,
    pub max: Option<f64>,
    pub max_inclusive: bool,
}

impl DurationRange {
    pub fn contains(&self, seconds: f64) -> bool {
        let above = match self.min {
            Some(min) if self.min_inclusive => seconds >= min,
            Some(min) => seconds > min,
            None => true,
        };
        let below = match self.max {
            Some(max) if self.max_inclusive => seconds <= max,
            Some(max) => seconds < max,
            None => true,
        };
        above && below
    }
}

/// A restriction on which moments a query may return.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Kind(AssetKind),
    /// A folder name anywhere in the path (`day1`), or a path prefix when it holds a `/`.
    Folder(String),
    Camera(String),
    Tag(String),
    Date(DateRange),
    Duration(DurationRange),
    Asset(AssetId),
    Person(PersonFilter),
    /// `scene:42A`, `take:3`, `roll:A007`; a `camera:` filter becomes one when slates name
    /// that camera letter (the store decides, see `slates`).
    Slate(SlateFilter),
}

/// Which slate field a slate filter looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlateField {
    Scene,
    Take,
    Roll,
    Camera,
}

impl SlateField {
    pub fn name(self) -> &'static str {
        match self {
            SlateField::Scene => "scene",
            SlateField::Take => "take",
            SlateField::Roll => "roll",
            SlateField::Camera => "camera",
        }
    }
}

/// A filter on a slate field. The store fills `spans` (asset id, start, end) with the slate
/// spans it matches and `moments` with the moments they overlap before the text index
/// applies it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlateFilter {
    pub field: SlateField,
    pub value: String,
    pub spans: Vec<(String, f64, f64)>,
    pub moments: Vec<u64>,
}

/// `person:"Maria"`: moments showing a person (by name, or id). The store fills `moments`
/// from the faces table before the text index applies the filter.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFilter {
    pub who: String,
    /// The people `who` matched (ids), filled with `moments`.
    pub people: Vec<i64>,
    pub moments: Vec<u64>,
}

impl Filter {
    pub fn name(&self) -> &'static str {
        match self {
            Filter::Kind(_) => "kind",
            Filter::Folder(_) => "folder",
            Filter::Camera(_) => "camera",
            Filter::Tag(_) => "tag",
            Filter::Date(_) => "date",
            Filter::Duration(_) => "duration",
            Filter::Asset(_) => "asset",
            Filter::Person(_) => "person",
            Filter::Slate(slate) => slate.field.name(),
        }
    }
}

/// A filter as written in the query, possibly negated (`-tag:stunt`).
#[derive(Debug, Clone, PartialEq)]
pub struct FilterClause {
    pub filter: Filter,
    pub negated: bool,
    /// Byte offset of the clause in the query.
    pub offset: usize,
    /// The clause as written, without its `-` or quotes (`camera:A001`, `person:Maria Lopez`).
    pub written: String,
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub terms: Vec<TextTerm>,
    pub filters: Vec<FilterClause>,
}

impl Query {
    /// The words and phrases a person is looking for, without filters or exclusions: what
    /// the caller embeds with a CLIP text encoder.
    pub fn free_text(&self) -> String {
        let words: Vec<&str> = self
            .terms
            .iter()
            .filter(|term| !term.excluded)
            .map(|term| term.text.as_str())
            .collect();
        words.join(" ")
    }

    /// True when there are words or phrases to look for (excluded ones do not count).
    pub fn has_free_text(&self) -> bool {
        self.terms.iter().any(|term| !term.excluded)
    }

    /// The asset the query is restricted to, when it names exactly one (`asset:<id>`).
    pub fn single_asset(&self) -> Option<&AssetId> {
        let mut assets = self
            .filters
            .iter()
            .filter_map(|clause| match &clause.filter {
                Filter::Asset(id) if !clause.negated => Some(id),
                _ => None,
            });
        let first = assets.next()?;
        assets.next().is_none().then_some(first)
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.free_text())
    }
}

/// Parses a query. Never panics, whatever the input.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let mut query = Query::default();
    let mut chars = Lexer { text, position: 0 };
    while let Some(token) = chars.next_token() {
        let Token {
            start,
            excluded,
            name,
            value,
            quoted,
            value_start,
        } = token;
        match name {
            None => {
                if value.trim().is_empty() {
                    continue;
                }
                query.terms.push(TextTerm {
                    text: value,
                    phrase: quoted,
                    excluded,
                });
            }
            Some(name) => {
                let filter = parse_filter(text, start, &name, &value, value_start)?;
                query.filters.push(FilterClause {
                    filter,
                    negated: excluded,
                    offset: start,
                    written: format!("{name}:{}", value.trim()),
                });
            }
        }
    }
    Ok(query)
}

struct Token {
    start: usize,
    excluded: bool,
    name: Option<String>,
    value: String,
    quoted: bool,
    value_start: usize,
}

struct Lexer<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.position..).unwrap_or("")
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start();
        self.position += rest.len() - trimmed.len();
    }

    /// Reads a quoted string starting at the opening quote; an unterminated quote runs to
    /// the end of the query (people type queries, they do not always close quotes).
    fn read_quoted(&mut self) -> String {
        let rest = self.rest();
        let inner = rest.get(1..).unwrap_or("");
        match inner.find('"') {
            Some(end) => {
                self.position += 1 + end + 1;
                inner[..end].to_string()
            }
            None => {
                self.position += rest.len();
                inner.to_string()
            }
        }
    }

    fn read_bare(&mut self) -> String {
        let rest = self.rest();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        self.position += end;
        rest[..end].to_string()
    }

    fn next_token(&mut self) -> Option<Token> {
        self.skip_whitespace();
        if self.rest().is_empty() {
            return None;
        }
        let start = self.position;
        let mut excluded = false;
        if self.rest().starts_with('-') {
            excluded = true;
            self.position += 1;
        }
        if self.rest().starts_with('"') {
            let value_start = self.position;
            let value = self.read_quoted();
            return Some(Token {
                start,
                excluded,
                name: None,
                value,
                quoted: true,
                value_start,
            });
        }
        // `name:` where name is letters only is a filter; `12:30` or `01:00:00:00` is text.
        let rest = self.rest();
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        if name_len > 0 && rest[name_len..].starts_with(':') {
            let name = rest[..name_len].to_ascii_lowercase();
            self.position += name_len + 1;
            let value_start = self.position;
            let (value, quoted) = if self.rest().starts_with('"') {
                (self.read_quoted(), true)
            } else {
                (self.read_bare(), false)
            };
            return Some(Token {
                start,
                excluded,
                name: Some(name),
                value,
                quoted,
                value_start,
            });
        }
        let value_start = self.position;
        // A lone `-` followed by whitespace reads an empty value: nothing to exclude.
        let value = self.read_bare();
        Some(Token {
            start,
            excluded,
            name: None,
            value,
            quoted: false,
            value_start,
        })
    }
}

fn parse_filter(
    query: &str,
    start: usize,
    name: &str,
    value: &str,
    value_start: usize,
) -> Result<Filter, QueryError> {
    let written = query
        .get(start..value_start + value.len())
        .unwrap_or(name)
        .trim_start_matches('-');
    if !KNOWN_FILTERS.contains(&name) {
        return Err(QueryError {
            offset: start,
            message: format!(
                "unknown filter \"{name}:\"; known: {}",
                KNOWN_FILTERS.join(", ")
            ),
        });
    }
    let value = value.trim();
    if value.is_empty() {
        return Err(QueryError {
            offset: value_start,
            message: format!("missing value after \"{name}:\""),
        });
    }
    let bad = |what: &str, expected: &str| QueryError {
        offset: value_start,
        message: format!("bad {what} \"{value}\" in {written}; expected {expected}"),
    };
    match name {
        "kind" => AssetKind::parse(value)
            .map(Filter::Kind)
            .ok_or_else(|| bad("kind", "video, image or audio")),
        "folder" => Ok(Filter::Folder(value.to_string())),
        "camera" => Ok(Filter::Camera(value.to_string())),
        "tag" => Ok(Filter::Tag(value.to_string())),
        "person" => Ok(Filter::Person(PersonFilter {
            who: value.to_string(),
            people: Vec::new(),
            moments: Vec::new(),
        })),
        "scene" | "take" | "roll" => Ok(Filter::Slate(SlateFilter {
            field: match name {
                "scene" => SlateField::Scene,
                "take" => SlateField::Take,
                _ => SlateField::Roll,
            },
            value: value.to_string(),
            spans: Vec::new(),
            moments: Vec::new(),
        })),
        "asset" => AssetId::parse(value)
            .map(Filter::Asset)
            .ok_or_else(|| bad("asset id", "16 hex characters")),
        "date" => parse_date_range(value, value_start, written).map(Filter::Date),
        "duration" => parse_duration_filter(value)
            .map(Filter::Duration)
            .ok_or_else(|| {
                bad(
                    "duration",
                    "a comparison such as >10s, <5m, >=1h or 10s..2m",
                )
            }),
        _ => Err(QueryError {
            offset: start,
            message: format!("unknown filter \"{name}:\""),
        }),
    }
}

fn parse_date_range(
    value: &str,
    value_start: usize,
    written: &str,
) -> Result<DateRange, QueryError> {
    let day = |part: &str, offset: usize| -> Result<i64, QueryError> {
        parse_day(part).ok_or_else(|| QueryError {
            offset: value_start + offset,
            message: format!("bad date \"{part}\" in {written}; expected YYYY-MM-DD"),
        })
    };
    const DAY: i64 = 86_400;
    match value.find("..") {
        None => {
            let from = day(value, 0)?;
            Ok(DateRange {
                from: Some(from),
                until: Some(from + DAY),
            })
        }
        Some(split) => {
            let (left, right) = (&value[..split], &value[split + 2..]);
            if left.is_empty() && right.is_empty() {
                return Err(QueryError {
                    offset: value_start,
                    message: format!(
                        "empty date range in {written}; expected 2025-03-01..2025-03-05"
                    ),
                });
            }
            let from = if left.is_empty() {
                None
            } else {
                Some(day(left, 0)?)
            };
            let until = if right.is_empty() {
                None
            } else {
                Some(day(right, split + 2)? + DAY)
            };
            if let (Some(from), Some(until)) = (from, until)
                && from >= until
            {
                return Err(QueryError {
                    offset: value_start,
                    message: format!("date range in {written} ends before it starts"),
                });
            }
            Ok(DateRange { from, until })
        }
    }
}

/// `YYYY-MM-DD` to seconds since the Unix epoch at midnight UTC.
pub fn parse_day(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn parse_duration_filter(value: &str) -> Option<DurationRange> {
    let open = DurationRange {
        min: None,
        min_inclusive: true,
        max: None,
        max_inclusive: true,
    };
    if let Some(split) = value.find("..") {
        let (left, right) = (&value[..split], &value[split + 2..]);
        let min = if left.is_empty() {
            None
        } else {
            Some(parse_seconds(left)?)
        };
        let max = if right.is_empty() {
            None
        } else {
            Some(parse_seconds(right)?)
        };
        return (min.is_some() || max.is_some()).then_some(DurationRange { min, max, ..open });
    }
    let (operator, amount) = [">=", "<=", ">", "<", "="]
        .iter()
        .find_map(|op| value.strip_prefix(op).map(|rest| (*op, rest)))
        .unwrap_or(("", value));
    let seconds = parse_seconds(amount)?;
    Some(match operator {
        ">=" => DurationRange {
            min: Some(seconds),
            ..open
        },
        ">" => DurationRange {
            min: Some(seconds),
            min_inclusive: false,
            ..open
        },
        "<=" => DurationRange {
            max: Some(seconds),
            ..open
        },
        "<" => DurationRange {
            max: Some(seconds),
            max_inclusive: false,
            ..open
        },
        // `=` and a bare amount: equal to the nearest second.
        _ => DurationRange {
            min: Some(seconds - 0.5),
            max: Some(seconds + 0.5),
            max_inclusive: false,
            ..open
        },
    })
}

/// `90`, `90s`, `1.5m`, `1h`, `1m30s`, `500ms` to seconds.
pub fn parse_seconds(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return None;
        }
        let amount: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let scale = match rest[..unit_len].to_ascii_lowercase().as_str() {
            "" | "s" | "sec" | "secs" => 1.0,
            "ms" => 0.001,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += amount * scale;
    }
    total.is_finite().then_some(total)
}

/// Why nothing can match a query none of whose words can be searched for: every word or
/// phrase vanishes in tokenizing (a word of 48 letters or more, `((((`), or the query holds
/// only empty quotes and dashes (`""""`, `-`). Such a query used to list the whole library
/// as if it were empty. `searchable` says whether a term leaves any token in the index's
/// analyzer (the store asks its text index). `None`: the query can be searched for (a
/// blank query or one of only filters is a listing, on purpose).
pub fn unsearchable_notice<E>(
    text: &str,
    query: &Query,
    mut searchable: impl FnMut(&TextTerm) -> Result<bool, E>,
) -> Result<Option<String>, E> {
    let positive: Vec<&TextTerm> = query.terms.iter().filter(|t| !t.excluded).collect();
    if positive.is_empty() {
        // Only filters and exclusions: a listing, unless nothing at all is left of the text.
        if text.trim().is_empty() || !query.filters.is_empty() {
            return Ok(None);
        }
        for term in query.terms.iter() {
            if searchable(term)? {
                return Ok(None);
            }
        }
    } else {
        for term in &positive {
            if searchable(term)? {
                return Ok(None);
            }
        }
    }
    let reasons: Vec<String> = query
        .terms
        .iter()
        .map(|term| {
            let shown: String = term.text.chars().take(16).collect();
            let shown = if shown.len() < term.text.len() {
                format!("\"{shown}…\"")
            } else {
                format!("\"{shown}\"")
            };
            if term.text.chars().any(char::is_alphanumeric) {
                format!(
                    "{shown} is too long to be a word ({} characters; words of 48 or more are not indexed)",
                    term.text.chars().count()
                )
            } else {
                format!("{shown} has no letters or digits")
            }
        })
        .collect();
    let why = if reasons.is_empty() {
        String::from("the query holds no words, only quotes or dashes")
    } else {
        reasons.join("; ")
    };
    Ok(Some(format!(
        "nothing matches: no word of the query can be searched for ({why})"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(query: &Query) -> Vec<(&str, bool, bool)> {
        query
            .terms
            .iter()
            .map(|t| (t.text.as_str(), t.phrase, t.excluded))
            .collect()
    }

    #[test]
    fn words_phrases_and_exclusions() -> Result<(), QueryError> {
        let query = parse(r#"slate "scene 42" -blooper  take2"#)?;
        assert_eq!(
            words(&query),
            vec![
                ("slate", false, false),
                ("scene 42", true, false),
                ("blooper", false, true),
                ("take2", false, false)
            ]
        );
        assert_eq!(query.free_text(), "slate scene 42 take2");
        Ok(())
    }

    #[test]
    fn timecodes_and_urls_with_digits_are_text_not_filters() -> Result<(), QueryError> {
        let query = parse("01:00:10:00 12:30")?;
        assert!(query.filters.is_empty());
        assert_eq!(query.terms.len(), 2);
        Ok(())
    }

    #[test]
    fn filters_parse_to_typed_values() -> Result<(), QueryError> {
        let query = parse(
            r#"kind:photo folder:day1 camera:"ARRI ALEXA" -tag:stunt asset:0123456789ABCDEF"#,
        )?;
        let filters: Vec<(&Filter, bool)> = query
            .filters
            .iter()
            .map(|c| (&c.filter, c.negated))
            .collect();
        assert_eq!(filters[0], (&Filter::Kind(AssetKind::Image), false));
        assert_eq!(filters[1], (&Filter::Folder("day1".into()), false));
        assert_eq!(filters[2], (&Filter::Camera("ARRI ALEXA".into()), false));
        assert_eq!(filters[3], (&Filter::Tag("stunt".into()), true));
        assert_eq!(
            query.single_asset().map(AssetId::as_str),
            Some("0123456789abcdef")
        );
        assert!(!query.has_free_text());
        Ok(())
    }

    #[test]
    fn dates_single_closed_and_open() -> Result<(), QueryError> {
        let day = 86_400;
        let march_first = parse_day("2025-03-01").ok_or(QueryError {
            offset: 0,
            message: String::new(),
        })?;
        assert_eq!(march_first, 1_740_787_200);
        let single = parse("date:2025-03-01")?;
        assert_eq!(
            single.filters[0].filter,
            Filter::Date(DateRange {
                from: Some(march_first),
                until: Some(march_first + day)
            })
        );
        let closed = parse("date:2025-03-01..2025-03-05")?;
        assert_eq!(
            closed.filters[0].filter,
            Filter::Date(DateRange {
                from: Some(march_first),
                until: Some(march_first + 5 * day)
            })
        );
        let open = parse("date:2025-03-01..")?;
        assert_eq!(
            open.filters[0].filter,
            Filter::Date(DateRange {
                from: Some(march_first),
                until: None
            })
        );
        let before = parse("date:..2025-03-01")?;
        assert_eq!(
            before.filters[0].filter,
            Filter::Date(DateRange {
                from: None,
                until: Some(march_first + day)
            })
        );
        Ok(())
    }

    #[test]
    fn durations_with_units_and_comparisons() -> Result<(), QueryError> {
        let longer = parse("duration:>10s")?;
        let Filter::Duration(range) = &longer.filters[0].filter else {
            panic!("not a duration")
        };
        assert!(range.contains(10.5) && !range.contains(10.0));
        let Filter::Duration(range) = parse("duration:<=5m")?.filters[0].filter else {
            panic!("not a duration")
        };
        assert!(range.contains(300.0) && !range.contains(300.1));
        let Filter::Duration(range) = parse("duration:>=1h")?.filters[0].filter else {
            panic!("not a duration")
        };
        assert!(range.contains(3600.0) && !range.contains(3599.0));
        assert_eq!(parse_seconds("1m30s"), Some(90.0));
        Ok(())
    }

    #[test]
    fn unknown_filter_points_at_it_and_lists_known_ones() {
        let error = parse("slate foo:bar").err();
        let error = error.as_ref().map(|e| (e.offset, e.message.as_str()));
        assert_eq!(
            error,
            Some((
                6,
                "unknown filter \"foo:\"; known: kind, folder, camera, tag, date, duration, asset, person, scene, take, roll"
            ))
        );
    }

    #[test]
    fn bad_date_names_the_date_and_points_at_it() {
        let error = parse("night date:2025-13-01").err();
        assert_eq!(error.as_ref().map(|e| e.offset), Some(11));
        let message = error.map(|e| e.message).unwrap_or_default();
        assert!(
            message.starts_with("bad date \"2025-13-01\" in date:2025-13-01"),
            "{message}"
        );
        let second = parse("date:2025-03-01..2025-02-30").err();
        assert_eq!(second.as_ref().map(|e| e.offset), Some(17));
    }

    #[test]
    fn bad_kind_duration_asset_and_missing_values_are_errors() {
        for (query, offset) in [
            ("kind:banana", 5),
            ("duration:>tenish", 9),
            ("asset:xyz", 6),
            ("x tag:", 6),
        ] {
            let error = parse(query).err();
            assert_eq!(error.map(|e| e.offset), Some(offset), "{query}");
        }
    }

    #[test]
    fn parse_never_panics_on_small_inputs() {
        // Every string of up to 4 characters over an alphabet of the characters that
        // matter to the grammar, plus a multi-byte one.
        let alphabet = ['a', ':', '"', '-', ' ', '.', '>', '1', 'é', 'd'];
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for prefix in &inputs {
                for c in alphabet {
                    next.push(format!("{prefix}{c}"));
                }
            }
            for input in &next {
                let _ = parse(input);
                let _ = parse(&format!("date:{input}"));
                let _ = parse(&format!("duration:{input}"));
            }
            inputs = next;
        }
        assert_eq!(inputs.len(), 10_000);
    }
}
