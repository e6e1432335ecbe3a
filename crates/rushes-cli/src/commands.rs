//! What each command does: glue between the arguments and the library crates.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rushes_core::AssetId;
use rushes_ingest::Event;
use rushes_ingest::stage::DoctorLine;
use rushes_models::ModelStore;
use rushes_search::{Searcher, SearcherConfig};
use rushes_store::{Index, Library, OpenMode, SearchRequest};
use serde_json::json;

use crate::args::{
    Cli, Command, DoctorArgs, ExportArgs, IndexArgs, ModelsCommand, SearchArgs, ServeArgs,
    ShowArgs, SimilarArgs, StatusArgs,
};
use crate::ingest_setup::ingest_config;
use crate::{location, output, workflow};

pub fn run(cli: Cli) -> Result<ExitCode> {
    let models_dir = cli
        .models
        .clone()
        .unwrap_or_else(rushes_models::default_models_dir);
    match cli.command {
        Command::Index(args) => index(args, models_dir),
        Command::Search(args) => search(args, models_dir),
        Command::Similar(args) => similar(args, models_dir),
        Command::Status(args) => status(args),
        Command::Show(args) => show(args),
        Command::Reindex(args) => crate::reindex::reindex(args),
        Command::Serve(args) => serve(args, models_dir),
        Command::Models(command) => models(command, models_dir),
        Command::Doctor(args) => doctor(args, models_dir),
        Command::People(command) => crate::people::people(command),
        Command::Tag(args) => workflow::tag(args, &models_dir),
        Command::Collection(command) => workflow::collection(command, &models_dir),
        Command::Migrate(args) => crate::migrate::migrate(args),
        Command::Export(args) => export(args, models_dir),
        Command::Worker(args) => crate::worker::worker(args, models_dir),
        Command::Paths(command) => crate::worker::paths(command),
    }
}

fn searcher_config(models_dir: PathBuf, visual: bool) -> SearcherConfig {
    SearcherConfig {
        models_dir,
        threads: 2,
        visual,
        semantic: true,
    }
}

fn index(args: IndexArgs, models_dir: PathBuf) -> Result<ExitCode> {
    let mut roots = Vec::new();
    for path in &args.paths {
        let root = std::fs::canonicalize(path)
            .with_context(|| format!("no such file or folder: {}", path.display()))?;
        roots.push(root);
    }
    if let Some(url) = location::database_url(&args.location.index) {
        return crate::worker::index_into_postgres(&args, url, roots, models_dir);
    }
    let mut config = ingest_config(&args.ingest, roots, models_dir)?;
    let index = Index::open(&args.location.index, OpenMode::ReadWrite).with_context(|| {
        format!(
            "while opening the index at {}",
            args.location.index.display()
        )
    })?;
    config.prune = !args.no_prune;

    let terminal = std::io::stderr().is_terminal();
    let bar = if terminal {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut total = 0usize;
    let mut on_event = |event: &Event| match event {
        Event::Walked { total: found } => {
            total = *found;
            bar.set_length(*found as u64);
            if !terminal {
                eprintln!("found {found} media files");
            }
        }
        Event::Notice(notice) => bar.suspend(|| eprintln!("note: {notice}")),
        Event::FileStarted { position, path } => {
            bar.set_position(*position as u64);
            bar.set_message(path.display().to_string());
            if !terminal {
                eprintln!("[{}/{}] {}", position + 1, total, path.display());
            }
        }
        Event::FileIndexed { path, warnings, .. } => {
            for warning in warnings {
                bar.suspend(|| eprintln!("warning: {}: {warning}", path.display()));
            }
        }
        Event::FileFailed { path, reason } => {
            bar.suspend(|| eprintln!("failed: {}: {reason}", path.display()))
        }
        Event::FileMoved { from, to } => {
            bar.suspend(|| eprintln!("moved: {} -> {}", from.display(), to.display()));
        }
        Event::Removed { path } => {
            bar.suspend(|| eprintln!("removed (file is gone): {}", path.display()))
        }
        Event::FileSkipped { .. } => {}
        Event::Finished(_) => bar.finish_and_clear(),
    };
    let summary = rushes_ingest::run(&index, &config, &mut on_event).context("while indexing")?;
    if args.json {
        output::print_json(&summary)?;
    } else {
        let counted: String = summary
            .counts
            .iter()
            .map(|(count, total)| format!(", {total} {}", count.label))
            .collect();
        eprintln!(
            "indexed {} files ({} moments{counted}), {} unchanged, {} moved, {} failed, {} removed in {:.1}s",
            summary.indexed,
            summary.moments,
            summary.skipped,
            summary.moved,
            summary.failed,
            summary.removed,
            summary.seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn open_searcher(index_dir: &Path, models_dir: PathBuf, visual: bool) -> Result<Searcher> {
    let config = searcher_config(models_dir, visual);
    if location::database_url(index_dir).is_some() {
        let library = location::open_library(index_dir, OpenMode::ReadOnly)?;
        return Ok(Searcher::with_index(library, &config));
    }
    Searcher::open(index_dir, &config)
        .with_context(|| format!("while opening the index at {}", index_dir.display()))
}

fn search(args: SearchArgs, models_dir: PathBuf) -> Result<ExitCode> {
    let searcher = open_searcher(&args.location.index, models_dir, !args.no_visual)?;
    let request = SearchRequest {
        query: args.query.clone(),
        limit: args.limit,
        per_asset: args.per_asset,
        ..SearchRequest::default()
    };
    let response = match &args.image {
        Some(path) => {
            let image = rushes_media::load_still(path, 960)
                .with_context(|| format!("while reading the query image {}", path.display()))?;
            searcher.search_image(&image, &request)?
        }
        None => searcher.search(&request)?,
    };
    if args.json {
        output::print_json(&response)?
    } else {
        output::print_hits(&response)?
    }
    Ok(ExitCode::SUCCESS)
}

fn similar(args: SimilarArgs, models_dir: PathBuf) -> Result<ExitCode> {
    let (id_text, seconds) = match args.target.split_once('@') {
        Some((id, seconds)) => {
            let seconds: f64 = seconds.trim_end_matches('s').parse().with_context(|| {
                format!(
                    "{:?} is not a time in seconds (expected <ASSET_ID>@<SECONDS>)",
                    seconds
                )
            })?;
            (id, seconds)
        }
        None => (args.target.as_str(), 0.0),
    };
    let Some(id) = AssetId::parse(id_text) else {
        bail!(
            "{id_text:?} is not an asset id (16 hex characters, as `rushes search --json` shows)"
        );
    };
    let searcher = open_searcher(&args.location.index, models_dir, true)?;
    let request = SearchRequest {
        limit: args.limit,
        ..SearchRequest::default()
    };
    let response = searcher.similar(&id, seconds, &request)?;
    if args.json {
        output::print_json(&response)?
    } else {
        output::print_hits(&response)?
    }
    Ok(ExitCode::SUCCESS)
}

fn open_read_only(index: &Path) -> Result<Arc<dyn Library>> {
    location::open_library(index, OpenMode::ReadOnly)
}

fn status(args: StatusArgs) -> Result<ExitCode> {
    let index = open_read_only(&args.location.index)?;
    let status = index.status()?;
    // A library with no folder (PostgreSQL) is indexed by workers: say where its queue
    // stands, read through the same connection pool as the status.
    let queue = if index.dir().is_none() {
        index
            .queue()
            .context("while reading the library's job queue")?
    } else {
        None
    };
    let mut value = serde_json::to_value(&status)?;
    if args.json {
        if let (Some(queue), Some(object)) = (&queue, value.as_object_mut()) {
            object.insert("queue".to_string(), serde_json::to_value(queue)?);
        }
        output::print_json(&value)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "index: {}", location::shown(&args.location.index))?;
    print_value_summary(&mut stdout, &value)?;
    if let Some(queue) = queue {
        writeln!(stdout, "{}", queue.line())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a status object as `key: value` lines, lists as indented items.
fn print_value_summary(out: &mut impl Write, value: &serde_json::Value) -> Result<()> {
    let Some(object) = value.as_object() else {
        writeln!(out, "{value}")?;
        return Ok(());
    };
    for (key, item) in object {
        match item {
            serde_json::Value::Array(items) => {
                writeln!(out, "{key}: {}", items.len())?;
                for entry in items {
                    match entry.as_object() {
                        Some(fields) => {
                            let line: Vec<String> = fields
                                .iter()
                                .map(|(name, value)| field_text(name, value))
                                .collect();
                            writeln!(out, "  - {}", line.join(": "))?;
                        }
                        None => writeln!(out, "  - {}", value_text(entry))?,
                    }
                }
            }
            serde_json::Value::Object(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k} {}", value_text(v)))
                    .collect();
                writeln!(out, "{key}: {}", parts.join(", "))?;
            }
            other => writeln!(out, "{key}: {}", value_text(other))?,
        }
    }
    Ok(())
}

/// A field's value as a person reads it: a time (`at`, `…_at`: Unix seconds) as UTC
/// (`2026-12-07T16:42:40Z`), anything else as [`value_text`].
fn field_text(name: &str, value: &serde_json::Value) -> String {
    let is_time = name == "at" || name.ends_with("_at");
    let utc = value
        .as_i64()
        .filter(|_| is_time)
        .and_then(|seconds| time::OffsetDateTime::from_unix_timestamp(seconds).ok())
        .and_then(|moment| {
            moment
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
    utc.unwrap_or_else(|| value_text(value))
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn show(args: ShowArgs) -> Result<ExitCode> {
    let index = open_read_only(&args.location.index)?;
    let id = match args.target.to_str().and_then(AssetId::parse) {
        Some(id) => id,
        None => {
            let path =
                std::fs::canonicalize(&args.target).unwrap_or_else(|_| PathBuf::from(&args.target));
            match index.asset_by_path(&path)? {
                Some(asset) => asset.id,
                None => bail!(
                    "{} is not in the index (run `rushes index` on its folder)",
                    output::printable(&path.to_string_lossy())
                ),
            }
        }
    };
    let Some(detail) = index.asset_detail(&id)? else {
        bail!("no asset with id {id} in the index");
    };
    let screen_text = index.screen_text(&id)?;
    let detail_slates = detail.slates.clone();
    let mut value = serde_json::to_value(&detail)?;
    if let Some(object) = value.as_object_mut() {
        object.insert(
            String::from("screen_text"),
            serde_json::to_value(&screen_text)?,
        );
    }
    if args.json {
        output::print_json(&value)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut stdout = std::io::stdout().lock();
    if let Some(asset) = value.get("asset") {
        writeln!(stdout, "{}", output::printable(&value_text(&asset["path"])))?;
        writeln!(
            stdout,
            "id: {}  kind: {}",
            value_text(&asset["id"]),
            value_text(&asset["kind"])
        )?;
        if let Some(media) = asset.get("media").and_then(|m| m.as_object()) {
            for (key, item) in media {
                if !item.is_null() && key != "streams" {
                    writeln!(stdout, "  {key}: {}", value_text(item))?;
                }
            }
        }
    }
    if let Some(moments) = value.get("moments").and_then(|m| m.as_array()) {
        writeln!(stdout, "moments: {}", moments.len())?;
        for moment in moments {
            let start = moment["start"].as_f64().unwrap_or(0.0);
            let end = moment["end"].as_f64().unwrap_or(0.0);
            let text = moment.get("text").map(value_text).unwrap_or_default();
            let text: String = output::plain_snippet(&text).chars().take(100).collect();
            writeln!(
                stdout,
                "  {}–{}  {text}",
                output::clock(start),
                output::clock(end)
            )?;
        }
    }
    if !detail_slates.is_empty() {
        writeln!(stdout, "slates: {}", detail_slates.len())?;
        for span in &detail_slates {
            writeln!(
                stdout,
                "  {}–{}  {}",
                output::clock(span.start),
                output::clock(span.end),
                output::printable(&slate_line(span))
            )?;
        }
    }
    if !screen_text.is_empty() {
        writeln!(stdout, "on-screen text: {}", screen_text.len())?;
        for run in &screen_text {
            let lines: Vec<&str> = run.text.lines().map(str::trim).collect();
            let text: String = output::printable(&lines.join(" / "))
                .chars()
                .take(100)
                .collect();
            writeln!(
                stdout,
                "  {}–{}  {text}",
                output::clock(run.start),
                output::clock(run.end)
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One slate for `rushes show`: `Sc 42A · Tk 3  (roll A007, camera A, tail slate)`.
fn slate_line(span: &rushes_core::SlateSpan) -> String {
    let slate = &span.slate;
    let mut others: Vec<String> = slate
        .fields()
        .into_iter()
        // The label already says scene and take, or the roll when neither was read.
        .filter(|(name, _)| {
            let in_label = matches!(*name, "scene" | "take")
                || (*name == "roll" && slate.scene.is_none() && slate.take.is_none());
            !in_label
        })
        .map(|(name, value)| format!("{} {value}", name.replace('_', " ")))
        .collect();
    if span.tail {
        others.push("tail slate".to_string());
    }
    let label = slate.label().unwrap_or_default();
    match (label.is_empty(), others.is_empty()) {
        (_, true) => label,
        (true, false) => others.join(", "),
        (false, false) => format!("{label}  ({})", others.join(", ")),
    }
}

fn serve(args: ServeArgs, models_dir: PathBuf) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("while starting the server")?;
    let (access_token, generated) = rushes_server::token_for(&args.addr, args.token.as_deref())
        .context("while setting up the access token")?;
    if let Some(token) = access_token.as_ref().filter(|_| generated) {
        println!(
            "{} is not loopback-only: open it with this access token (shown once):\n{}",
            args.addr,
            token.reveal()
        );
    }
    let config = rushes_server::ServerConfig {
        search: searcher_config(models_dir, true),
        access_token,
        allowed_hosts: args.allow_hosts,
        ..rushes_server::ServerConfig::default()
    };
    let index = &args.location.index;
    let state = match location::database_url(index) {
        Some(_) => rushes_server::AppState::with_library(
            location::open_for_serving(index)?,
            location::server_work_dir(index)?,
            config,
        ),
        None => rushes_server::AppState::new(index.clone(), config),
    }
    .with_context(|| format!("while opening the index at {}", location::shown(index)))?;
    runtime
        .block_on(rushes_server::serve(state, args.addr))
        .context("while serving")?;
    Ok(ExitCode::SUCCESS)
}

fn models(command: ModelsCommand, models_dir: PathBuf) -> Result<ExitCode> {
    let store = ModelStore::new(&models_dir);
    match command {
        ModelsCommand::List { json } => {
            let list = store.list()?;
            if json {
                output::print_json(&list)?;
            } else {
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout, "models in {}", models_dir.display())?;
                for model in &list {
                    writeln!(
                        stdout,
                        "  {:<20} {:<18} {}",
                        model.name, model.task, model.state
                    )?;
                }
            }
        }
        ModelsCommand::Fetch {
            names,
            defaults,
            if_online,
        } => return fetch_models(store, names, defaults, if_online),
        ModelsCommand::Verify { name } => {
            let names = match name {
                Some(name) => vec![name],
                None => store.list()?.into_iter().map(|m| m.name).collect(),
            };
            let mut failed = false;
            for name in names {
                match store.verify(&name) {
                    Ok(()) => println!("{name}: ok"),
                    Err(error) => {
                        failed = true;
                        println!("{name}: {error}");
                    }
                }
            }
            if failed {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `rushes models fetch`: each named model (and the defaults with `--defaults`) that is not
/// installed yet, with a progress bar. With `--if-online`, being offline is not an error: one
/// line says which features stay off and the command that turns them on.
fn fetch_models(
    store: ModelStore,
    mut names: Vec<String>,
    defaults: bool,
    if_online: bool,
) -> Result<ExitCode> {
    use rushes_models::defaults::{DEFAULT_MODELS, features_off_line, missing_defaults};
    let store = if if_online {
        store.with_connect_timeout(std::time::Duration::from_secs(5))
    } else {
        store
    };
    if defaults {
        let missing = missing_defaults(&store);
        names.extend(
            DEFAULT_MODELS
                .iter()
                .filter(|model| missing.contains(model))
                .map(|model| model.name.to_string()),
        );
    }
    for name in names {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(name.clone());
        eprintln!("fetching {name}");
        let fetched = store.fetch(&name, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        });
        bar.finish_and_clear();
        match fetched {
            Ok(()) => eprintln!("{name}: installed and verified"),
            Err(error) if if_online => {
                // The rest come from the same hosts: when offline, stop at the first.
                let offline = matches!(error, rushes_models::ModelError::Offline { .. });
                if offline {
                    tracing::debug!(%error, "offline");
                } else {
                    eprintln!("{name}: not fetched: {error}");
                }
                let line = defaults
                    .then(|| features_off_line(&missing_defaults(&store)))
                    .flatten()
                    .unwrap_or_else(|| {
                        format!(
                            "{name} is not installed; fetch it with: rushes models fetch {name}"
                        )
                    });
                if offline {
                    eprintln!("offline: {line}");
                    return Ok(ExitCode::SUCCESS);
                }
                eprintln!("{line}");
            }
            Err(error) => {
                return Err(error).with_context(|| format!("while fetching model {name}"));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn doctor(args: DoctorArgs, models_dir: PathBuf) -> Result<ExitCode> {
    let mut healthy = true;
    let ffmpeg = match rushes_media::ffmpeg_version() {
        Ok(version) => json!({"ok": true, "version": version}),
        Err(error) => {
            healthy = false;
            json!({"ok": false, "error": error.to_string(), "fix": "install ffmpeg (make setup)"})
        }
    };
    let runtime = match rushes_models::runtime::init() {
        Ok(info) => json!({"ok": true, "path": info.path, "version": info.version}),
        Err(error) => {
            healthy = false;
            json!({"ok": false, "error": error.to_string()})
        }
    };
    let models = match ModelStore::new(&models_dir).list() {
        Ok(list) => json!({"dir": models_dir, "models": list}),
        Err(error) => json!({"dir": models_dir, "error": error.to_string()}),
    };
    let index = match location::database_url(&args.location.index) {
        Some(url) => {
            let dir = location::shown(&args.location.index);
            match rushes_postgres::PgLibrary::open(url) {
                Ok(library) => match library.status() {
                    Ok(status) => json!({"ok": true, "dir": dir, "status": status}),
                    Err(error) => json!({"ok": false, "dir": dir, "error": error.to_string()}),
                },
                Err(error) => json!({"ok": false, "dir": dir, "error": error.to_string()}),
            }
        }
        None => match Index::open(&args.location.index, OpenMode::ReadOnly)
            .and_then(|index| index.status())
        {
            Ok(status) => json!({"ok": true, "dir": args.location.index, "status": status}),
            Err(error) => {
                json!({"ok": false, "dir": args.location.index, "error": error.to_string()})
            }
        },
    };
    // Each stage with something to say (its models installed or not) has a line.
    let stage_lines: Vec<(&str, DoctorLine)> = rushes_ingest::stages::REGISTERED
        .iter()
        .filter_map(|kind| Some((kind.name(), kind.doctor(&models_dir)?)))
        .collect();
    let mut report = json!({"ffmpeg": ffmpeg, "onnxruntime": runtime, "models": models,
                            "index": index});
    for (name, line) in &stage_lines {
        report[*name] = line.json.clone();
    }
    if args.json {
        output::print_json(&report)?;
    } else {
        let mut stdout = std::io::stdout().lock();
        for key in ["ffmpeg", "onnxruntime"] {
            let entry = &report[key];
            let line = if entry["ok"].as_bool().unwrap_or(false) {
                format!(
                    "ok   {}",
                    entry.get("version").map(value_text).unwrap_or_default()
                ) + &entry
                    .get("path")
                    .map(|p| format!(" ({})", value_text(p)))
                    .unwrap_or_default()
            } else {
                format!("FAIL {}", value_text(&entry["error"]))
            };
            writeln!(stdout, "{key:<12} {line}")?;
        }
        writeln!(stdout, "{:<12} {}", "models", models_dir.display())?;
        if let Some(list) = report["models"]["models"].as_array() {
            for model in list {
                writeln!(
                    stdout,
                    "  {:<22} {}",
                    value_text(&model["name"]),
                    value_text(&model["state"])
                )?;
            }
        }
        for (_, line) in &stage_lines {
            writeln!(stdout, "{}", line.text)?;
        }
        let index = &report["index"];
        if index["ok"].as_bool().unwrap_or(false) {
            writeln!(
                stdout,
                "{:<12} ok   {}",
                "index",
                location::shown(&args.location.index)
            )?;
        } else {
            writeln!(
                stdout,
                "{:<12} --   {}",
                "index",
                value_text(&index["error"])
            )?;
        }
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn export(args: ExportArgs, models_dir: PathBuf) -> Result<ExitCode> {
    let searcher = match args.collection {
        Some(_) => None,
        None => Some(open_searcher(
            &args.location.index,
            models_dir,
            !args.no_visual,
        )?),
    };
    workflow::export(args, searcher)
}
