//! The command line: one `Args` struct per command, doc comments as help text.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand};
use rushes_ingest::stage::{StageKind, Switch};

/// `rushes --version`: the release, then what this build writes into an index folder (the
/// bench keys its kept cold-start index on that line).
static LONG_VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{}\n{}",
        env!("CARGO_PKG_VERSION"),
        rushes_store::WrittenFormat::CURRENT
    )
});

/// Find any moment in behind-the-scenes footage, locally.
#[derive(Debug, Parser)]
#[command(
    name = "rushes",
    version,
    long_version = LONG_VERSION.as_str(),
    about,
    propagate_version = true
)]
pub struct Cli {
    /// More log output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Folder of model manifests and weights.
    #[arg(long, global = true, env = "RUSHES_MODELS", value_name = "DIR")]
    pub models: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add footage folders or files to the index, or bring them up to date.
    Index(IndexArgs),
    /// Search the index.
    Search(SearchArgs),
    /// Moments that look like a frame of an asset: `rushes similar <ASSET_ID>@<SECONDS>`.
    Similar(SimilarArgs),
    /// What the index holds: counts by kind, failures with reasons, models used.
    Status(StatusArgs),
    /// What the index knows of one asset, by path or id.
    Show(ShowArgs),
    /// Rebuild the text and vector indexes from the catalog (after damage, or a model or
    /// tokenizer change); the old ones keep answering until the new ones are complete.
    Reindex(ReindexArgs),
    /// Serve the web UI and the JSON API. On a postgres:// library the server keeps a copy of
    /// the text index in its cache folder (~/.cache/rushes/serve-…/text), built on start and
    /// kept current, so searches rank words as fast as on a local index.
    Serve(ServeArgs),
    /// List, fetch and verify models.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Check ffmpeg, ONNX Runtime, the models and the index.
    Doctor(DoctorArgs),
    /// The people found in the footage: list, show, name, merge, split, forget.
    #[command(subcommand)]
    People(PeopleCommand),
    /// Add (or `--remove`) hand tags on an asset; find them again with `tag:NAME`.
    Tag(TagArgs),
    /// Named collections of assets or moments, for exporting together.
    #[command(subcommand)]
    Collection(CollectionCommand),
    /// Hand search hits or a collection to an editor (EDL, FCPXML, CSV markers) or cut them
    /// to MP4 clips.
    Export(ExportArgs),
    /// Copy a local index into a PostgreSQL library (catalog, vectors, hand tags, notes,
    /// collections, people, thumbnails) without re-indexing any media; safe to run again.
    Migrate(MigrateArgs),
    /// Index files from a PostgreSQL library's queue (`rushes index PATH --index
    /// postgres://…` fills it); run one on every machine that should help.
    Worker(WorkerArgs),
    /// Where this machine mounts a PostgreSQL library's footage (the path-prefix map).
    #[command(subcommand)]
    Paths(PathsCommand),
}

#[derive(Debug, Args)]
pub struct IndexLocation {
    /// The index folder.
    #[arg(
        long,
        env = "RUSHES_INDEX",
        default_value = "index",
        value_name = "DIR"
    )]
    pub index: PathBuf,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The local index folder to copy.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// The PostgreSQL library to copy into: postgres://user[:password]@host[:port]/database.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Copy even into a database that holds assets the local index does not.
    #[arg(long)]
    pub force: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Folders or files to index.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub location: IndexLocation,
    #[command(flatten)]
    pub ingest: IngestOptions,
    /// Keep assets whose files are gone (by default they leave the index).
    #[arg(long)]
    pub no_prune: bool,
    /// Print the run's summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub queue: QueueOptions,
    /// On a PostgreSQL library: queue the files for `rushes worker`s and return without
    /// indexing any here.
    #[arg(long)]
    pub queue_only: bool,
}

/// How files are indexed: by `rushes index` and by `rushes worker`.
#[derive(Debug, Args)]
pub struct IngestOptions {
    /// `--no-visual`, `--no-ocr`, ...: one switch per registered stage that can be off.
    #[command(flatten)]
    pub stages: StageSwitchArgs,
    /// Seconds between sampled frames inside a shot.
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    pub interval: f64,
    /// Threads for model inference.
    #[arg(long, env = "RUSHES_THREADS", default_value_t = 2)]
    pub threads: usize,
    /// Embedding model to use (default: the first installed).
    #[arg(long, value_name = "NAME")]
    pub clip_model: Option<String>,
    /// Language of the speech, e.g. `en` or `de` (default: detected per file).
    #[arg(long, value_name = "CODE")]
    pub language: Option<String>,
    /// Caption model to use, e.g. `florence2-large` (default: florence2-base when installed,
    /// else the first installed; `rushes doctor` lists them).
    #[arg(long, value_name = "NAME", conflicts_with = "no-captions")]
    pub caption_model: Option<String>,
}

/// This machine's name on a PostgreSQL library.
#[derive(Debug, Args)]
pub struct MachineOption {
    /// This machine's name in the library's path-prefix map (`rushes paths`) and in the
    /// queue's status (default: the host name).
    #[arg(long, env = "RUSHES_MACHINE", value_name = "NAME")]
    pub machine: Option<String>,
}

/// How an index worker on a PostgreSQL library names itself and holds its jobs.
#[derive(Debug, Args)]
pub struct QueueOptions {
    #[command(flatten)]
    pub machine: MachineOption,
    /// Seconds a worker's claim on a file lasts without renewal (renewed every third of it
    /// while the file is worked on); a worker that dies gives its file back after this.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub lease: f64,
}

/// `rushes worker`: work a PostgreSQL library's index queue.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub location: IndexLocation,
    #[command(flatten)]
    pub ingest: IngestOptions,
    #[command(flatten)]
    pub queue: QueueOptions,
    /// Stop once the queue is empty and no other worker holds a file (else wait for more).
    #[arg(long)]
    pub exit_when_idle: bool,
}

/// `rushes paths`: where this machine mounts the library's footage.
#[derive(Debug, Subcommand)]
pub enum PathsCommand {
    /// Map a local prefix to a library prefix: `rushes paths set /Volumes/Footage=/footage`.
    Set {
        /// `LOCAL=LIBRARY`, both absolute.
        #[arg(value_name = "LOCAL=LIBRARY")]
        mapping: String,
        #[command(flatten)]
        location: IndexLocation,
        #[command(flatten)]
        machine: MachineOption,
    },
    /// Remove this machine's mapping of a library prefix.
    Remove {
        #[arg(value_name = "LIBRARY")]
        library_prefix: String,
        #[command(flatten)]
        location: IndexLocation,
        #[command(flatten)]
        machine: MachineOption,
    },
    /// List this machine's mappings.
    List {
        #[command(flatten)]
        location: IndexLocation,
        #[command(flatten)]
        machine: MachineOption,
    },
}

/// The `rushes index` switches of the registered stages (`rushes_ingest::stages::REGISTERED`),
/// each from its [`StageKind::switch`]: the names of the stages switched off.
#[derive(Debug, Clone, Default)]
pub struct StageSwitchArgs {
    pub off: Vec<&'static str>,
}

impl StageSwitchArgs {
    fn switches() -> impl Iterator<Item = (&'static dyn StageKind, Switch)> {
        rushes_ingest::stages::REGISTERED
            .iter()
            .filter_map(|&kind| Some((kind, kind.switch()?)))
    }
}

impl FromArgMatches for StageSwitchArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let off = StageSwitchArgs::switches()
            .filter(|(_, switch)| matches.get_flag(switch.flag))
            .map(|(kind, _)| kind.name())
            .collect();
        Ok(StageSwitchArgs { off })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = StageSwitchArgs::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for StageSwitchArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        StageSwitchArgs::switches().fold(command, |command, (_, switch)| {
            command.arg(
                Arg::new(switch.flag)
                    .long(switch.flag)
                    .action(ArgAction::SetTrue)
                    .help(switch.help),
            )
        })
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        StageSwitchArgs::augment_args(command)
    }
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Free text, "phrases", -exclusions and filters (kind: folder: camera: tag: date: duration:
    /// person:).
    #[arg(value_name = "QUERY", default_value = "")]
    pub query: String,
    #[command(flatten)]
    pub location: IndexLocation,
    /// Search by an image instead of (or as well as) text.
    #[arg(long, value_name = "FILE")]
    pub image: Option<PathBuf>,
    /// How many hits (1 to 200, as the API allows).
    #[arg(long, short = 'n', default_value_t = 20, value_parser = hit_limit)]
    pub limit: usize,
    /// At most this many hits from one file (0: no limit).
    #[arg(long, default_value_t = 3)]
    pub per_asset: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Do not use the visual model for the query.
    #[arg(long)]
    pub no_visual: bool,
}

#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// `<ASSET_ID>@<SECONDS>`, or an asset id alone (its first frame).
    #[arg(value_name = "ASSET[@SECONDS]")]
    pub target: String,
    #[command(flatten)]
    pub location: IndexLocation,
    /// How many hits (1 to 200, as the API allows).
    #[arg(long, short = 'n', default_value_t = 20, value_parser = hit_limit)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub location: IndexLocation,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReindexArgs {
    #[command(flatten)]
    pub location: IndexLocation,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A file's path (any bytes the file system allows) or an asset id.
    #[arg(value_name = "PATH|ASSET_ID")]
    pub target: std::ffi::OsString,
    #[command(flatten)]
    pub location: IndexLocation,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub location: IndexLocation,
    /// Address to listen on.
    #[arg(long, env = "RUSHES_ADDR", default_value = "127.0.0.1:7878")]
    pub addr: SocketAddr,
    /// Access token every request must carry (16+ characters). Without it, a non-loopback
    /// --addr gets a random token, printed once; loopback stays open.
    #[arg(long, env = "RUSHES_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Also answer requests addressed to this name (repeatable; the env var takes a
    /// comma-separated list), e.g. a reverse proxy's or the machine's name. localhost,
    /// loopback addresses and the --addr address are always accepted; any other name gets
    /// 421, so that a web page cannot reach the server by rebinding its own name.
    #[arg(
        long = "allow-host",
        value_name = "NAME",
        env = "RUSHES_ALLOW_HOSTS",
        value_delimiter = ',',
        value_parser = allowed_host
    )]
    pub allow_hosts: Vec<rushes_server::AllowedHost>,
}

/// `--limit` of search and similar: the API's rule (`rushes_server::check_result_limit`).
fn hit_limit(text: &str) -> Result<usize, String> {
    let limit = text
        .parse::<usize>()
        .map_err(|_| format!("{text:?} is not a whole number"))?;
    rushes_server::check_result_limit(limit, rushes_server::MAX_LIMIT)
}

/// Most hits or items one export takes.
pub const MAX_EXPORT_LIMIT: usize = 999;

/// `--limit` of export: at least 1 (0 would export nothing), at most [`MAX_EXPORT_LIMIT`].
fn export_limit(text: &str) -> Result<usize, String> {
    let limit = text
        .parse::<usize>()
        .map_err(|_| format!("{text:?} is not a whole number"))?;
    rushes_server::check_result_limit(limit, MAX_EXPORT_LIMIT)
}

fn allowed_host(text: &str) -> Result<rushes_server::AllowedHost, String> {
    rushes_server::AllowedHost::new(text).map_err(|error| error.to_string())
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Every model with its state: installed, missing or corrupt.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Download a model's files, check their sha256 and install them.
    Fetch {
        /// Manifest names (see `rushes models list`).
        #[arg(required_unless_present = "defaults")]
        names: Vec<String>,
        /// Also fetch the models that turn on speech transcription, visual search and
        /// captions (whisper-tiny, clip-vit-b32, florence2-base).
        #[arg(long)]
        defaults: bool,
        /// When offline, say in one line what stays off and exit 0 (for `make run`); gives
        /// up on a server after a 5 s connect timeout.
        #[arg(long)]
        if_online: bool,
    },
    /// Check installed files against their manifest.
    Verify { name: Option<String> },
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub location: IndexLocation,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// A file's path or an asset id, optionally with a time range in seconds
    /// (`<ASSET_ID>@12-18`) to tag that moment instead of the whole file.
    #[arg(value_name = "ASSET_ID|PATH[@START-END]")]
    pub target: String,
    /// Tags to add (or remove).
    #[arg(value_name = "TAG")]
    pub tags: Vec<String>,
    /// Remove the tags instead of adding them.
    #[arg(long)]
    pub remove: bool,
    /// Set the note of the file or range (an empty note removes it).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    #[command(flatten)]
    pub location: IndexLocation,
}

/// `rushes people`'s subcommands (run by `people.rs`).
#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Everyone found in the footage: id, name, number of faces, of moments (as many as a
    /// `person:<id>` search lists: adjacent ones of a file joined) and of files.
    List {
        #[command(flatten)]
        options: ListingOptions,
    },
    /// The faces of one person, with the face ids `split` takes, a page at a time.
    Show {
        #[arg(value_name = "PERSON_ID")]
        person: i64,
        /// How many faces to show.
        #[arg(long, short = 'n', default_value_t = 100)]
        limit: usize,
        /// Skip this many faces first (the next page: `--offset 100`).
        #[arg(long, default_value_t = 0)]
        offset: usize,
        #[command(flatten)]
        options: ListingOptions,
    },
    /// Name a person: `rushes people name 3 "Maria (gaffer)"`, then search `person:Maria`.
    Name {
        #[arg(value_name = "PERSON_ID")]
        person: i64,
        /// The name (an empty name clears it).
        name: String,
        #[command(flatten)]
        options: ListingOptions,
    },
    /// Merge the second person into the first. The first keeps their name (or takes the
    /// other's when unnamed) unless `--name` chooses: either name, or a new one.
    Merge {
        #[arg(value_name = "PERSON_ID")]
        into: i64,
        #[arg(value_name = "OTHER_ID")]
        from: i64,
        /// The merged person's name (an empty name leaves them unnamed).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        options: ListingOptions,
    },
    /// Move one wrongly grouped face out into a new person of its own.
    Split {
        #[arg(value_name = "FACE_ID")]
        face: i64,
        #[command(flatten)]
        options: ListingOptions,
    },
    /// Delete a person's faces, embeddings, name and face thumbnails from the index for good.
    Forget {
        #[arg(value_name = "PERSON_ID")]
        person: i64,
        #[command(flatten)]
        options: ListingOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum CollectionCommand {
    /// Add assets, or time ranges of them, to a collection (created on first use).
    Add {
        /// The collection's name.
        name: String,
        /// `<ASSET_ID|PATH>` (the whole file) or `<ASSET_ID|PATH>@<START>-<END>` in seconds.
        #[arg(required = true, value_name = "ASSET_ID[@START-END]")]
        entries: Vec<String>,
        /// A note on the entries (shown in exports).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        #[command(flatten)]
        location: IndexLocation,
    },
    /// Remove the entry at a position (1 is the first, as `show` numbers them).
    Remove {
        name: String,
        position: usize,
        #[command(flatten)]
        location: IndexLocation,
    },
    /// Move the entry at position FROM to position TO.
    Move {
        name: String,
        from: usize,
        to: usize,
        #[command(flatten)]
        location: IndexLocation,
    },
    /// Rename a collection.
    Rename {
        name: String,
        new_name: String,
        #[command(flatten)]
        location: IndexLocation,
    },
    /// Delete a collection (the files and their tags stay).
    Delete {
        name: String,
        #[command(flatten)]
        location: IndexLocation,
    },
    /// List the collections with their sizes.
    List {
        #[command(flatten)]
        listing: ListingOptions,
    },
    /// List a collection's entries.
    Show {
        name: String,
        #[command(flatten)]
        listing: ListingOptions,
    },
}

/// Where the index is, and JSON or plain lines: what a listing (`collections`, `people`)
/// or a small change reported in one line (`people name`/`merge`/`split`/`forget`) takes.
#[derive(Debug, Args)]
pub struct ListingOptions {
    #[command(flatten)]
    pub location: IndexLocation,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// What `rushes export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One MP4 clip per hit, `<file>_<timecode>.mp4`.
    Mp4,
    /// CMX3600 edit decision list.
    Edl,
    /// Final Cut Pro XML 1.9.
    Fcpxml,
    /// Marker list for Premiere Pro and DaVinci Resolve.
    Csv,
    /// PNG grid of the moments' frames with file names and timecodes, for press kits.
    ContactSheet,
}

/// A centre crop for social media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CropArg {
    /// 9:16 portrait.
    #[value(name = "9:16")]
    Vertical,
    /// 1:1 square.
    #[value(name = "1:1")]
    Square,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The search whose hits to export (as for `rushes search`).
    #[arg(
        value_name = "QUERY",
        required_unless_present = "collection",
        conflicts_with = "collection"
    )]
    pub query: Option<String>,
    /// Export a collection instead of a query's hits.
    #[arg(long, value_name = "NAME")]
    pub collection: Option<String>,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seconds of extra picture before and after each clip (MP4 only).
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    pub handles: f64,
    /// Centre-crop MP4 clips to 9:16 or 1:1.
    #[arg(long, value_enum)]
    pub crop: Option<CropArg>,
    /// Copy the streams instead of re-encoding when a cut starts on a keyframe (MP4 only):
    /// much faster, but clips may run a few frames long.
    #[arg(long)]
    pub stream_copy: bool,
    /// At most this many hits or collection items (1 to 999).
    #[arg(long, short = 'n', default_value_t = 20, value_parser = export_limit)]
    pub limit: usize,
    /// Do not use the visual model for the query.
    #[arg(long)]
    pub no_visual: bool,
    #[command(flatten)]
    pub location: IndexLocation,
}
