//! The editor and marketing commands: `rushes tag`, `rushes collection ...` and
//! `rushes export`. Glue between their arguments, the store's hand tags, notes and
//! collections, and `rushes_export`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use rushes_core::AssetId;
use rushes_export::{ClipProgress, DocumentFormat, Selection};
use rushes_search::SentenceModel;
use rushes_store::{Library, OpenMode, SearchRequest, TimeRange};
use serde_json::json;

use crate::args::{CollectionCommand, CropArg, ExportArgs, ExportFormat, TagArgs};
use crate::output;

/// An asset id, or the id of an indexed file given by path.
pub fn resolve_asset(index: &dyn Library, target: &str) -> Result<AssetId> {
    if let Some(id) = AssetId::parse(target) {
        if index.asset(&id)?.is_none() {
            bail!("no asset with id {id} in the index");
        }
        return Ok(id);
    }
    let path = std::fs::canonicalize(target).unwrap_or_else(|_| PathBuf::from(target));
    match index.asset_by_path(&path)? {
        Some(asset) => Ok(asset.id),
        None => bail!(
            "{target} is neither an asset id nor a file in the index (run `rushes index` on its folder)"
        ),
    }
}

fn open_read_write(location: &Path) -> Result<Arc<dyn Library>> {
    crate::location::open_library(location, OpenMode::ReadWrite)
}

fn open_read_only(location: &Path) -> Result<Arc<dyn Library>> {
    crate::location::open_library(location, OpenMode::ReadOnly)
}

/// `<ASSET_ID|PATH>` or `<ASSET_ID|PATH>@<START>-<END>` (seconds, `s` allowed).
fn parse_target(entry: &str) -> Result<(&str, Option<TimeRange>)> {
    let Some((target, range)) = entry.rsplit_once('@') else {
        return Ok((entry, None));
    };
    let parsed = range.split_once('-').and_then(|(start, end)| {
        let start: f64 = start.trim().trim_end_matches('s').parse().ok()?;
        let end: f64 = end.trim().trim_end_matches('s').parse().ok()?;
        TimeRange::new(start, end).ok()
    });
    match parsed {
        Some(range) => Ok((target, Some(range))),
        None => bail!(
            "{range:?} is not a range (expected <ASSET_ID>@<START>-<END> in seconds, START < END)"
        ),
    }
}

/// Embeds the asset's hand notes and tags (and its collection entries' notes) for semantic
/// search; without a sentence model, or when it fails, they are written all the same and
/// stderr says why.
fn embed_hand_text(index: &dyn Library, id: &AssetId, models_dir: &Path) {
    let loaded = SentenceModel::for_writing(index, models_dir, 2);
    let outcome = match &loaded.model {
        Some(model) => index
            .refresh_hand_units(id, model)
            .map(|_| ())
            .map_err(|error| error.to_string()),
        None => Err(loaded.notice.unwrap_or_default()),
    };
    if let Err(why) = outcome {
        eprintln!("note: hand notes and tags are not searchable by meaning: {why}");
    }
}

fn range_text(range: Option<TimeRange>) -> String {
    match range {
        Some(range) => format!(
            "{}–{}",
            output::clock(range.start),
            output::clock(range.end)
        ),
        None => "whole file".to_string(),
    }
}

pub fn tag(args: TagArgs, models_dir: &Path) -> Result<ExitCode> {
    let index = open_read_write(&args.location.index)?;
    let (target, range) = parse_target(&args.target)?;
    let id = resolve_asset(&*index, target)?;
    if args.tags.is_empty() && args.note.is_none() {
        bail!("give tags to add (or --remove) or a --note");
    }
    // One checked edit: a bad note does not leave the tags beside it half-written.
    let (add, remove): (&[String], &[String]) = if args.remove {
        (&[], &args.tags)
    } else {
        (&args.tags, &[])
    };
    index.annotate(&id, range, add, remove, args.note.as_deref())?;
    embed_hand_text(&*index, &id, models_dir);
    let mut stdout = std::io::stdout().lock();
    // Tags and notes are escaped (an older index may hold control characters in them).
    for annotation in index.annotations(&id)? {
        write!(
            stdout,
            "{id} {}: {}",
            range_text(annotation.range),
            output::printable(&annotation.tags.join(", "))
        )?;
        if !annotation.note.is_empty() {
            write!(stdout, " — {}", output::printable(&annotation.note))?;
        }
        writeln!(stdout)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A 1-based position given on the command line, as the entry id at that position.
fn item_at(index: &dyn Library, name: &str, position: usize) -> Result<i64> {
    let collection = index.collection(name)?;
    match position
        .checked_sub(1)
        .and_then(|p| collection.items.get(p))
    {
        Some(item) => Ok(item.id),
        None => bail!(
            "{name} has {} entries; there is no entry {position}",
            collection.items.len()
        ),
    }
}

pub fn collection(command: CollectionCommand, models_dir: &Path) -> Result<ExitCode> {
    match command {
        CollectionCommand::Add {
            name,
            entries,
            note,
            location,
        } => {
            let index = open_read_write(&location.index)?;
            for entry in &entries {
                let (target, range) = parse_target(entry)?;
                let id = resolve_asset(&*index, target)?;
                let item =
                    index.add_to_collection(&name, &id, range, note.as_deref().unwrap_or(""))?;
                if !item.note.is_empty() {
                    embed_hand_text(&*index, &id, models_dir);
                }
                eprintln!(
                    "added {} to {}",
                    output::printable(entry),
                    output::printable(&name)
                );
            }
        }
        CollectionCommand::Remove {
            name,
            position,
            location,
        } => {
            let index = open_read_write(&location.index)?;
            let item = item_at(&*index, &name, position)?;
            index.remove_from_collection(&name, item)?;
            eprintln!("removed entry {position} from {}", output::printable(&name));
        }
        CollectionCommand::Move {
            name,
            from,
            to,
            location,
        } => {
            let index = open_read_write(&location.index)?;
            let item = item_at(&*index, &name, from)?;
            index.move_in_collection(&name, item, to.saturating_sub(1))?;
            eprintln!("moved entry {from} of {} to {to}", output::printable(&name));
        }
        CollectionCommand::Rename {
            name,
            new_name,
            location,
        } => {
            open_read_write(&location.index)?.rename_collection(&name, &new_name)?;
            eprintln!(
                "renamed {} to {}",
                output::printable(&name),
                output::printable(&new_name)
            );
        }
        CollectionCommand::Delete { name, location } => {
            open_read_write(&location.index)?.delete_collection(&name)?;
            eprintln!("deleted {}", output::printable(&name));
        }
        CollectionCommand::List { listing } => {
            let collections = open_read_only(&listing.location.index)?.collections()?;
            if listing.json {
                output::print_json(&collections)?;
            } else {
                let mut stdout = std::io::stdout().lock();
                for collection in collections {
                    let name = output::printable(&collection.name);
                    writeln!(stdout, "{name}\t{} entries", collection.items)?;
                }
            }
        }
        CollectionCommand::Show { name, listing } => show_collection(
            &*open_read_only(&listing.location.index)?,
            &name,
            listing.json,
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

fn show_collection(index: &dyn Library, name: &str, json: bool) -> Result<()> {
    let collection = index.collection(name)?;
    let mut rows = Vec::new();
    for item in &collection.items {
        let Some(asset) = index.asset(&item.asset)? else {
            continue;
        };
        let (start, end) = match item.range {
            Some(range) => (range.start, range.end),
            None => (0.0, asset.media.duration.unwrap_or(0.0)),
        };
        rows.push((item, asset, start, end));
    }
    if json {
        let entries: Vec<serde_json::Value> = rows
            .iter()
            .map(|(item, asset, start, end)| {
                json!({
                    "id": item.id,
                    "asset": {"id": asset.id, "path": asset.path, "kind": asset.kind},
                    "start": start,
                    "end": end,
                    "note": item.note,
                })
            })
            .collect();
        output::print_json(&json!({"name": collection.name, "entries": entries}))?;
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{}: {} entries",
        output::printable(&collection.name),
        rows.len()
    )?;
    for (position, (item, asset, start, end)) in rows.iter().enumerate() {
        write!(
            stdout,
            "{:>3}. {}  {}–{}  {}",
            position + 1,
            asset.id,
            output::clock(*start),
            output::clock(*end),
            output::printable(&asset.path.to_string_lossy())
        )?;
        if !item.note.is_empty() {
            write!(stdout, "  — {}", output::printable(&item.note))?;
        }
        writeln!(stdout)?;
    }
    Ok(())
}

/// What `rushes export` writes for a format: a document, clips or a sheet.
enum Output {
    Document(DocumentFormat),
    Clips,
    ContactSheet,
}

pub fn export(args: ExportArgs, searcher: Option<rushes_search::Searcher>) -> Result<ExitCode> {
    let mut selection = match (&args.collection, &args.query, &searcher) {
        (Some(name), _, _) => {
            let index = open_read_only(&args.location.index)?;
            Selection::from_collection(&*index, name)?
        }
        (None, Some(query), Some(searcher)) => {
            let request = SearchRequest {
                query: query.clone(),
                limit: args.limit,
                ..SearchRequest::default()
            };
            let found = searcher.search(&request)?;
            Selection::from_hits(query, &found, output::plain_snippet)
        }
        _ => bail!("give a query or --collection NAME"),
    };
    for skipped in &selection.skipped {
        eprintln!("skipped {skipped}: a still has no time range to export");
    }
    selection.items.truncate(args.limit);
    if selection.items.is_empty() {
        bail!("nothing to export: no hits with a time range");
    }
    let output = match args.format {
        ExportFormat::Mp4 => Output::Clips,
        ExportFormat::Edl => Output::Document(DocumentFormat::Edl),
        ExportFormat::Fcpxml => Output::Document(DocumentFormat::Fcpxml),
        ExportFormat::Csv => Output::Document(DocumentFormat::Csv),
        ExportFormat::ContactSheet => Output::ContactSheet,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let mut report = |progress: &ClipProgress| {
        if let Some(current) = &progress.current {
            eprintln!(
                "[{}/{}] {}",
                progress.done + 1,
                progress.total,
                current.display()
            );
        }
    };
    let written = match output {
        Output::Document(format) => vec![
            rushes_export::write_document(
                format,
                &selection.title,
                &selection.items,
                &args.out,
                &selection.file_stem(),
            )
            .with_context(|| format!("while writing into {}", args.out.display()))?,
        ],
        Output::ContactSheet => {
            cancel_on_interrupt(Arc::clone(&cancel));
            vec![
                rushes_export::write_contact_sheet(
                    &selection.title,
                    &selection.items,
                    &args.out,
                    &selection.file_stem(),
                    &rushes_export::ContactSheetLayout::default(),
                    &mut report,
                    &cancel,
                )
                .with_context(|| {
                    format!("while writing a contact sheet into {}", args.out.display())
                })?,
            ]
        }
        Output::Clips => {
            cancel_on_interrupt(Arc::clone(&cancel));
            let options = rushes_export::ClipOptions {
                handles: if args.handles.is_finite() {
                    args.handles.max(0.0)
                } else {
                    0.0
                },
                crop: args.crop.map(|crop| match crop {
                    CropArg::Vertical => rushes_export::Crop::Vertical,
                    CropArg::Square => rushes_export::Crop::Square,
                }),
                allow_stream_copy: args.stream_copy,
            };
            rushes_export::export_clips(&selection.items, &args.out, &options, &mut report, &cancel)
                .with_context(|| format!("while exporting clips into {}", args.out.display()))?
        }
    };
    let mut stdout = std::io::stdout().lock();
    for path in written {
        writeln!(stdout, "{}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets `cancel` on ctrl-c, so an export stops between clips (ffmpeg, which gets the signal
/// too, stops the clip in flight and its `.part` file is removed).
fn cancel_on_interrupt(cancel: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("interrupt".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            if runtime.block_on(tokio::signal::ctrl_c()).is_ok() {
                eprintln!("interrupted: stopping the export");
                cancel.store(true, Ordering::Relaxed);
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("ctrl-c will not cancel cleanly: {error}");
    }
}
