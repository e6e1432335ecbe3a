//! The `person:` filter: which people a value names, the moments that show them, and the
//! reasons a filter-only listing gives for each hit. Owns name matching only; the faces and
//! people tables are `people`'s.
//!
//! A value matches a person by id (`person:7`), by their whole name, or by any run of whole
//! words of it, case-insensitively: `Lionel`, `messi` and `Lionel Messi` all find
//! "Lionel Messi", `Maria` finds "Maria (gaffer)". Part of a word (`Lio`) matches nothing.
//! When a value matches several people, all of them count, and the search answer lists them.

use std::collections::HashMap;

use rushes_core::{Hit, PersonFilterMatch, PersonInMoment};

use crate::error::StoreError;
use crate::query::{Filter, Query};
use crate::ranking_catalog::RankingCatalog;

/// The lowercase words of a text: runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// True when `wanted` is the whole `name` or a run of whole words of it, ignoring case.
pub fn name_matches(name: &str, wanted: &str) -> bool {
    let wanted_text = wanted.trim().to_lowercase();
    if wanted_text.is_empty() {
        return false;
    }
    if name.trim().to_lowercase() == wanted_text {
        return true;
    }
    let wanted_words = words(wanted);
    !wanted_words.is_empty()
        && words(name)
            .windows(wanted_words.len())
            .any(|run| run == wanted_words.as_slice())
}

/// The label a person goes by in a listing's reasons: their name, else their id.
fn person_label(id: i64, name: Option<&str>) -> String {
    name.map_or_else(|| id.to_string(), str::to_string)
}

/// The people of `everyone` that `who` names (an id, a whole name or a run of its words),
/// in the order given: every engine's `people_named` over its own list of people.
pub fn named_among(everyone: Vec<PersonInMoment>, who: &str) -> Vec<PersonInMoment> {
    let who = who.trim();
    everyone
        .into_iter()
        .filter(|person| {
            who == person.id.to_string()
                || person
                    .name
                    .as_deref()
                    .is_some_and(|name| name_matches(name, who))
        })
        .collect()
}

/// Fills every `person:` filter with the people it names and the moments showing them (none
/// when nobody matches, so the filter then matches nothing); returns what each filter matched.
pub(crate) fn resolve_person_filters(
    catalog: &dyn RankingCatalog,
    query: &mut Query,
) -> Result<Vec<PersonFilterMatch>, StoreError> {
    let mut resolved: HashMap<String, (Vec<PersonInMoment>, Vec<u64>)> = HashMap::new();
    let mut matches = Vec::new();
    for clause in &mut query.filters {
        let Filter::Person(person) = &mut clause.filter else {
            continue;
        };
        if !resolved.contains_key(&person.who) {
            let people = catalog.people_named(&person.who)?;
            let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
            let moments = catalog.moments_showing(&ids)?;
            matches.push(PersonFilterMatch {
                who: person.who.clone(),
                people: people.clone(),
            });
            resolved.insert(person.who.clone(), (people, moments));
        }
        if let Some((people, moments)) = resolved.get(&person.who) {
            person.people = people.iter().map(|p| p.id).collect();
            person.moments = moments.clone();
        }
    }
    Ok(matches)
}

/// The most moments a query can match when it has `person:` filters (the fewest any one of
/// them holds), else `None`. Search ranks that many at least, so a person's hits and their
/// windows do not depend on the page asked for.
pub(crate) fn person_filter_bound(query: &Query) -> Option<usize> {
    query
        .filters
        .iter()
        .filter_map(|clause| match &clause.filter {
            Filter::Person(person) if !clause.negated => Some(person.moments.len()),
            _ => None,
        })
        .min()
}

/// Why a filter-only listing holds `hit`: each filter as written (`-` kept for a negated
/// one); a `person:` filter names the matched people the hit shows (`person:Lionel Messi`).
pub(crate) fn listing_reasons(query: &Query, hit: &Hit) -> Vec<String> {
    let mut reasons = Vec::new();
    for clause in &query.filters {
        let sign = if clause.negated { "-" } else { "" };
        match &clause.filter {
            Filter::Person(person) if !clause.negated => {
                let shown: Vec<String> = hit
                    .people
                    .iter()
                    .filter(|seen| person.people.contains(&seen.id))
                    .map(|seen| format!("person:{}", person_label(seen.id, seen.name.as_deref())))
                    .collect();
                if shown.is_empty() {
                    reasons.push(clause.written.clone());
                } else {
                    reasons.extend(shown);
                }
            }
            _ => reasons.push(format!("{sign}{}", clause.written)),
        }
    }
    reasons.dedup();
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_matches_whole_or_by_a_run_of_its_whole_words() {
        for wanted in [
            "Lionel Messi",
            "lionel",
            "MESSI",
            " Lionel  Messi ",
            "lionel-messi",
        ] {
            assert!(name_matches("Lionel Messi", wanted), "{wanted:?}");
        }
        assert!(name_matches("Maria (gaffer)", "maria"));
        assert!(name_matches("Maria (gaffer)", "gaffer"));
        assert!(name_matches("Maria (gaffer)", "Maria (gaffer)"));
        assert!(name_matches("Jean-Luc Picard", "jean-luc"));
        assert!(name_matches("Zoë Saldaña", "zoë"));
        for wanted in [
            "Lio",
            "Messi Lionel",
            "Lionel Ronaldo",
            "",
            "  ",
            "(",
            "ionel",
        ] {
            assert!(!name_matches("Lionel Messi", wanted), "{wanted:?}");
        }
    }
}
