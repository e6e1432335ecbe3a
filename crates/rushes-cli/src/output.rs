//! Printing results: JSON for tools, aligned plain text for people, and a closed pipe
//! (`rushes search … | head`) treated as success.

use std::io::{self, Write};

use rushes_search::Found;

/// True when the error chain ends in a closed stdout (also when serde_json was writing).
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let io_kind = cause
            .downcast_ref::<io::Error>()
            .map(io::Error::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            });
        io_kind == Some(io::ErrorKind::BrokenPipe)
    })
}

/// The whole error chain on one line, without repeating a cause the outer message already
/// ends with (library errors often print their source themselves).
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if text.ends_with(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    text
}

pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    Ok(())
}

/// `12.5` -> `0:12.5`, `3725` -> `1:02:05.0`.
pub fn clock(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    let whole = seconds.floor() as u64;
    let tenths = ((seconds - whole as f64) * 10.0).floor() as u64;
    let (h, m, s) = (whole / 3600, (whole / 60) % 60, whole % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{tenths}")
    } else {
        format!("{m}:{s:02}.{tenths}")
    }
}

/// Removes the `<b>` highlighting and the HTML escapes of a snippet for a terminal.
pub fn plain_snippet(snippet: &str) -> String {
    let text = snippet.replace("<b>", "").replace("</b>", "");
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    let text = text.replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` with control characters escaped (`\n`, `\t`, `\u{1b}`…), for one line of
/// terminal output: a file name may hold a newline or an escape sequence.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().collect()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Says who each `person:` filter matched when that is not exactly one person: a name may
/// match several people (`person:Lionel`), or nobody.
fn print_people_matched(out: &mut impl Write, response: &Found) -> io::Result<()> {
    for matched in &response.people_matched {
        let who = printable(&matched.who);
        let people: Vec<String> = matched
            .people
            .iter()
            .map(|person| match &person.name {
                Some(name) => format!("{} ({})", printable(name), person.id),
                None => format!("person {}", person.id),
            })
            .collect();
        match people.len() {
            0 => writeln!(
                out,
                "person:{who} matches nobody (`rushes people list` shows who is known)"
            )?,
            1 => {}
            count => writeln!(
                out,
                "person:{who} matches {count} people: {}",
                people.join(", ")
            )?,
        }
    }
    Ok(())
}

pub fn print_hits(response: &Found) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    print_people_matched(&mut stdout, response)?;
    if let Some(notice) = &response.notice {
        writeln!(stdout, "{}", printable(notice))?;
    }
    if response.hits.is_empty() {
        if response.notice.is_none() {
            writeln!(stdout, "no moments match {:?}", response.query)?;
        }
        return Ok(());
    }
    for (rank, hit) in response.hits.iter().map(|found| &found.hit).enumerate() {
        // A filter-only listing has no signals: its filters are why the hit is there.
        let signals: Vec<String> = if hit.signals.is_empty() {
            hit.filters.iter().map(|f| printable(f)).collect()
        } else {
            hit.signals.iter().map(|s| s.as_str().to_string()).collect()
        };
        // Words the hit lacks ("scene 42 take 5" finding TAKE 3): a wrong-take warning.
        let missing = if hit.missing.is_empty() {
            String::new()
        } else {
            let words: Vec<String> = hit.missing.iter().map(|w| printable(w)).collect();
            format!("  (no match for: {})", words.join(", "))
        };
        // The slate the hit starts in: "Sc 42A · Tk 3".
        let slate = hit
            .slate
            .as_ref()
            .and_then(rushes_core::Slate::label)
            .map(|label| format!("  {}", printable(&label)))
            .unwrap_or_default();
        writeln!(
            stdout,
            "{:>3}. {}  {}–{}  [{}]  {:.3}{slate}{missing}",
            rank + 1,
            printable(&hit.asset.path),
            clock(hit.start),
            clock(hit.end),
            signals.join(","),
            hit.score
        )?;
        let snippet = plain_snippet(&hit.snippet);
        let caption = hit.caption.as_deref().map(printable);
        if !snippet.is_empty() && caption.as_deref() != Some(snippet.as_str()) {
            let short: String = snippet.chars().take(140).collect();
            writeln!(stdout, "     {short}")?;
        }
        if let Some(caption) = caption {
            let short: String = caption.chars().take(140).collect();
            writeln!(stdout, "     caption: {short}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_control_characters_only() {
        assert_eq!(printable("day\none/café.mov"), "day\\none/café.mov");
        assert_eq!(printable("a\u{1b}[2Jb\tc"), "a\\u{1b}[2Jb\\tc");
    }

    #[test]
    fn clock_formats_minutes_and_hours() {
        assert_eq!(clock(12.55), "0:12.5");
        assert_eq!(clock(3725.0), "1:02:05.0");
    }

    #[test]
    fn error_text_does_not_repeat_a_cause_the_message_already_ends_with() {
        let io = io::Error::new(io::ErrorKind::NotADirectory, "Not a directory");
        let error = anyhow::Error::new(io)
            .context("I/O error on x: Not a directory")
            .context("while opening the index");
        assert_eq!(
            error_text(&error),
            "while opening the index: I/O error on x: Not a directory"
        );
    }

    #[test]
    fn a_closed_pipe_while_writing_json_is_recognised() {
        let json_error = serde_json::Error::io(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&anyhow::Error::new(json_error)));
        assert!(!is_broken_pipe(&anyhow::anyhow!("no index")));
    }

    #[test]
    fn snippet_loses_markup_but_keeps_text() {
        assert_eq!(
            plain_snippet("the <b>coffee</b> &amp; cake &lt;3"),
            "the coffee & cake <3"
        );
    }
}
