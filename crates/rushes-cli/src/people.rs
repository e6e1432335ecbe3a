//! `rushes people`: the people found in the footage — list them, see a person's faces, name,
//! merge, split a wrongly grouped face out, and forget a person for good. The store
//! (`rushes_store::people`) does the work; the faces line of `rushes doctor` is the faces
//! stage's (`rushes_ingest::stages::faces`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use std::sync::Arc;

use rushes_store::{Library, OpenMode, StoreError};
use serde_json::{Value, json};

use crate::args::{IndexLocation, ListingOptions, PeopleCommand};
use crate::output;

fn open(location: &IndexLocation, mode: OpenMode) -> Result<Arc<dyn Library>> {
    crate::location::open_library(&location.index, mode)
}

/// Prints `value` as JSON when asked, else the human line.
fn report(json: bool, value: Value, human: &str) -> Result<ExitCode> {
    if json {
        output::print_json(&value)?;
    } else {
        writeln!(std::io::stdout().lock(), "{human}")?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn people(command: PeopleCommand) -> Result<ExitCode> {
    match command {
        PeopleCommand::List {
            options: ListingOptions { location, json },
        } => {
            let people = open(&location, OpenMode::ReadOnly)?.people()?;
            if json {
                output::print_json(&people)?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut stdout = std::io::stdout().lock();
            if people.is_empty() {
                writeln!(
                    stdout,
                    "no people found yet (faces need the dlib models: see `rushes doctor`)"
                )?;
            }
            for person in people {
                let name = person
                    .name
                    .as_deref()
                    .map_or_else(|| String::from("(unnamed)"), output::printable);
                let moments = if person.moments == 1 {
                    "moment"
                } else {
                    "moments"
                };
                writeln!(
                    stdout,
                    "{:>5}  {:<28} {:>4} faces, {} {moments} in {} files",
                    person.id, name, person.faces, person.moments, person.assets
                )?;
            }
        }
        PeopleCommand::Show {
            person,
            limit,
            offset,
            options: ListingOptions { location, json },
        } => {
            let page =
                open(&location, OpenMode::ReadOnly)?.person_faces_page(person, offset, limit)?;
            if json {
                output::print_json(&page)?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut stdout = std::io::stdout().lock();
            let shown = page.faces.len();
            writeln!(
                stdout,
                "person {person}: faces {}–{} of {}",
                (offset + 1).min(offset + shown),
                offset + shown,
                page.total
            )?;
            for face in page.faces {
                writeln!(
                    stdout,
                    "face {:>5}  {} @ {}  ({}x{} px)",
                    face.id,
                    output::printable(&face.path),
                    output::clock(face.time),
                    face.rect.width,
                    face.rect.height
                )?;
            }
        }
        PeopleCommand::Name {
            person,
            name,
            options,
        } => {
            open(&options.location, OpenMode::ReadWrite)?.name_person(person, &name)?;
            let name = name.trim();
            let human = if name.is_empty() {
                format!("person {person} has no name now")
            } else {
                format!("person {person} is now {}", output::printable(name))
            };
            let name = (!name.is_empty()).then_some(name);
            return report(
                options.json,
                json!({"person": person, "name": name}),
                &human,
            );
        }
        PeopleCommand::Merge {
            into,
            from,
            name,
            options,
        } => {
            let index = open(&options.location, OpenMode::ReadWrite)?;
            index.merge_people(into, from, name.as_deref())?;
            let name = index
                .people()?
                .into_iter()
                .find(|person| person.id == into)
                .and_then(|person| person.name);
            let human = match &name {
                Some(name) => format!(
                    "merged person {from} into {into}, now {}",
                    output::printable(name)
                ),
                None => format!("merged person {from} into {into}, unnamed"),
            };
            return report(
                options.json,
                json!({"person": into, "merged": from, "name": name}),
                &human,
            );
        }
        PeopleCommand::Split { face, options } => {
            let index = open(&options.location, OpenMode::ReadWrite)?;
            return match index.split_face(face) {
                Ok(person) => report(
                    options.json,
                    json!({"face": face, "person": person, "split": true}),
                    &format!("face {face} is now person {person}"),
                ),
                // A person's only face: nothing to split, and the name stays. Not an error.
                Err(lone @ StoreError::LoneFace { person, .. }) => report(
                    options.json,
                    json!({"face": face, "person": person, "split": false, "message": lone.to_string()}),
                    &lone.to_string(),
                ),
                Err(other) => Err(other.into()),
            };
        }
        PeopleCommand::Forget { person, options } => {
            open(&options.location, OpenMode::ReadWrite)?.forget_person(person)?;
            let human = format!(
                "person {person} forgotten: faces, embeddings, name and thumbnails deleted"
            );
            return report(options.json, json!({"forgotten": person}), &human);
        }
    }
    Ok(ExitCode::SUCCESS)
}
