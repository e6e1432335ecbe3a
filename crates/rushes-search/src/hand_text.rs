//! The hand tags and notes that apply to a time range of a file: those on the whole file and
//! those on ranges overlapping it. Search hits carry them; export notes collection entries
//! with them.

use rushes_store::Annotation;

/// Hand tags (each once, in order) and non-empty notes of the annotations on the whole file
/// or on a range overlapping `[start, end)`.
pub fn hand_text_within(
    annotations: &[Annotation],
    start: f64,
    end: f64,
) -> (Vec<String>, Vec<String>) {
    let mut tags: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let touching = annotations.iter().filter(|annotation| {
        annotation
            .range
            .as_ref()
            .is_none_or(|range| range.start < end && start < range.end)
    });
    for annotation in touching {
        for tag in &annotation.tags {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        if !annotation.note.trim().is_empty() {
            notes.push(annotation.note.clone());
        }
    }
    (tags, notes)
}
