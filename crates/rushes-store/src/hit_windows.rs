//! A hit's time window. Which window a hit plays: one ordered list of rules
//! ([`WINDOW_RULES`]), the first that applies wins; search then cuts the window to a matched
//! slate span (`slate:`/`scene:`/`take:` filters) and joins touching windows of one asset
//! into one hit ([`windows_touch`]), the rule the People list counts a person's moments by.

/// Hits of one asset closer than this (seconds) are merged into one window.
pub(crate) const MERGE_GAP: f64 = 0.5;

/// True when two time windows of one asset touch, so that search shows them as one hit:
/// they overlap or lie within [`MERGE_GAP`] of each other.
pub(crate) fn windows_touch(a: (f64, f64), b: (f64, f64)) -> bool {
    b.0 <= a.1 + MERGE_GAP && a.0 <= b.1 + MERGE_GAP
}

/// Where a hit's window can come from, most precise first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowRule {
    /// The first run of on-screen text holding the query's words: the hit plays from where
    /// the text appears (a slate held into a long take), not from the shot's start.
    ScreenText,
    /// The text unit found by meaning (its transcript line, its run of on-screen text, its
    /// note's range), when the words matched no spoken line or only some of them matched:
    /// the unit meant is a better answer than a line holding some of the words. A note or
    /// tag on the whole asset has no window of its own and does not apply.
    Meaning,
    /// The transcript line holding the words, when nothing on screen matched (no on-screen
    /// text, caption or visual signal): a hit found only in speech points at the line.
    SpokenLine,
    /// The moment (the shot) itself; always applies.
    Shot,
}

/// The rules in the order they are tried.
pub(crate) const WINDOW_RULES: [WindowRule; 4] = [
    WindowRule::ScreenText,
    WindowRule::Meaning,
    WindowRule::SpokenLine,
    WindowRule::Shot,
];

/// What each rule gives for one hit, `None` where it does not apply.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowCandidates {
    pub screen_text: Option<(f64, f64)>,
    pub meaning: Option<(f64, f64)>,
    pub spoken_line: Option<(f64, f64)>,
    pub shot: (f64, f64),
}

impl WindowCandidates {
    fn of(&self, rule: WindowRule) -> Option<(f64, f64)> {
        match rule {
            WindowRule::ScreenText => self.screen_text,
            WindowRule::Meaning => self.meaning,
            WindowRule::SpokenLine => self.spoken_line,
            WindowRule::Shot => Some(self.shot),
        }
    }

    /// The window of the first rule of [`WINDOW_RULES`] that applies.
    pub(crate) fn window(&self) -> (f64, f64) {
        WINDOW_RULES
            .iter()
            .find_map(|rule| self.of(*rule))
            .unwrap_or(self.shot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_rule_that_applies_gives_the_window() {
        let all = WindowCandidates {
            screen_text: Some((41.0, 44.0)),
            meaning: Some((24.0, 26.5)),
            spoken_line: Some((3.0, 5.5)),
            shot: (0.0, 20.0),
        };
        assert_eq!(all.window(), (41.0, 44.0));
        let no_screen = WindowCandidates {
            screen_text: None,
            ..all
        };
        assert_eq!(no_screen.window(), (24.0, 26.5));
        let spoken = WindowCandidates {
            meaning: None,
            ..no_screen
        };
        assert_eq!(spoken.window(), (3.0, 5.5));
        let shot = WindowCandidates {
            spoken_line: None,
            ..spoken
        };
        assert_eq!(shot.window(), (0.0, 20.0));
    }
}
