//! When two time windows of one asset are one hit: search joins touching windows into one,
//! and the People list counts a person's moments with the same rule.

/// Hits of one asset closer than this (seconds) are merged into one window.
pub(crate) const MERGE_GAP: f64 = 0.5;

/// True when two time windows of one asset touch, so that search shows them as one hit:
/// they overlap or lie within [`MERGE_GAP`] of each other.
pub(crate) fn windows_touch(a: (f64, f64), b: (f64, f64)) -> bool {
    b.0 <= a.1 + MERGE_GAP && a.0 <= b.1 + MERGE_GAP
}
