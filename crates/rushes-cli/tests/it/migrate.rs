//! `rushes migrate` end to end on real footage: hard-cut colour shots and two clips of real
//! faces (scikit-image's astronaut, opencv-doc's Messi) indexed locally through the CLI
//! with the colour CLIP stand-in and the dlib face models, then hand tags, a note, a
//! collection and a named person added; migrated into a fresh PostgreSQL library, the text
//! search finds the same moments, the collection and people match, every thumbnail's bytes
//! match and a frame's nearest frames are the same. A second run skips everything; another
//! library, a bad URL and a database without pgvector are refused with clear words.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Output};

use rushes_postgres::PgEngine;
use rushes_store::catalog::records::{asset_faces, asset_record};
use rushes_store::catalog::{CATALOG_FILE, Catalog, Repositories};
use rushes_store::query::parse;
use rushes_store::seams::{TextIndex, TextOrder, VectorIndex};
use rushes_store::text::TantivyText;
use rushes_store::thumbnails::{ThumbnailFolder, ThumbnailStore};
use rushes_store::vectors::VectorStore;
use rushes_store::{Index, Library, OpenMode, TimeRange};
use rushes_testkit::postgres::shared_server;
use rushes_testkit::{X264_FAST, astronaut_path, colour_shots_clip, opencv_data};

use crate::footage::repo_root;
use crate::people::still_video;
use crate::visual::index_with_models;

/// A moment as both engines name it: file name and start in milliseconds.
type Key = (String, i64);

/// A models folder with the colour CLIP stand-in and the real dlib face models.
fn models(dir: &Path) {
    std::fs::create_dir_all(dir).expect("models dir");
    let fixtures = repo_root().join("tests/fixtures/models");
    let installed = repo_root().join("models");
    for (from, name) in [
        (&fixtures, "clip-fixture.toml"),
        (&fixtures, "clip-fixture"),
        (&installed, "dlib-faces.toml"),
        (&installed, "dlib-faces"),
    ] {
        std::os::unix::fs::symlink(from.join(name), dir.join(name)).expect("link model");
    }
}

fn migrate(models: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rushes"))
        .arg("migrate")
        .args(args)
        .env("RUSHES_MODELS", models)
        .output()
        .expect("run rushes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Moments `query` finds in a text index, as keys.
fn found<T: TextIndex>(index: &T, query: &str, keys: &HashMap<i64, Key>) -> BTreeSet<Key> {
    let query = parse(query).expect("query");
    let snapshot = index.snapshot();
    let ranked = match index
        .build_query(&query.terms, &query.filters, true)
        .expect("build query")
    {
        Some(words) => index.top_moments(&snapshot, &words, 200, TextOrder::Score),
        None => {
            let restriction = index
                .restriction_query(&query.terms, &query.filters)
                .expect("restriction");
            index.top_moments(&snapshot, &restriction, 200, TextOrder::Score)
        }
    }
    .expect("top moments");
    ranked
        .into_iter()
        .map(|(id, _)| keys.get(&id).cloned().expect("a known moment"))
        .collect()
}

fn key(path: &str, start: f64) -> Key {
    let name = Path::new(path)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    (name, (start * 1000.0).round() as i64)
}

#[test]
fn a_local_library_moves_into_postgresql_whole_and_a_second_run_skips_it() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(&footage).expect("footage dir");
    colour_shots_clip(
        &footage.join("colour_chart.mp4"),
        &[("blue", 3.0), ("red", 3.0), ("green", 3.0)],
        25,
        (320, 240),
        &X264_FAST,
    )
    .expect("colour clip");
    still_video(
        &astronaut_path(),
        "scale=1024:1024,crop=640:480:190:60",
        3,
        &footage.join("astronaut.mp4"),
    );
    still_video(
        &opencv_data("messi5.jpg"),
        "scale=1096:684,crop=640:480:250:0",
        3,
        &footage.join("messi.mp4"),
    );
    let models_dir = temp.path().join("models");
    models(&models_dir);
    let index_dir = temp.path().join("index");
    let summary = index_with_models(&models_dir, &footage, &index_dir, &["--no-speech"]);
    assert_eq!(summary["indexed"], 3, "{summary}");

    // Hand work on the local library.
    let by_name: HashMap<String, rushes_core::AssetId>;
    let astronaut_person;
    {
        let index = Index::open(&index_dir, OpenMode::ReadWrite).expect("open index");
        by_name = index
            .assets()
            .expect("assets")
            .into_iter()
            .map(|asset| (key(&asset.path.to_string_lossy(), 0.0).0, asset.id))
            .collect();
        let (chart, astronaut, messi) = (
            &by_name["colour_chart.mp4"],
            &by_name["astronaut.mp4"],
            &by_name["messi.mp4"],
        );
        index
            .add_hand_tags(chart, TimeRange::new(3.0, 6.0).ok(), &["blooper".into()])
            .expect("tag");
        index
            .add_hand_tags(messi, None, &["blooper".into(), "keeper".into()])
            .expect("tag");
        index
            .set_note(astronaut, None, "the director loved this portrait")
            .expect("note");
        for (id, range) in [
            (messi, None),
            (chart, TimeRange::new(6.0, 9.0).ok()),
            (astronaut, None),
        ] {
            index
                .add_to_collection("Selects", id, range, "")
                .expect("collect");
        }
        let people = index.people().expect("people");
        assert!(people.len() >= 2, "faces were found: {people:?}");
        let faces_in = |person: i64, file: &str| {
            index
                .person_faces(person)
                .expect("faces")
                .iter()
                .any(|face| face.path.ends_with(file))
        };
        astronaut_person = people
            .iter()
            .find(|person| faces_in(person.id, "astronaut.mp4"))
            .map(|person| person.id)
            .expect("the astronaut is a person");
        index
            .name_person(astronaut_person, "Eileen Collins")
            .expect("name");
    }

    let url = shared_server()
        .expect("PostgreSQL")
        .fresh_database()
        .expect("database");
    let index_arg = index_dir.to_str().expect("utf-8");
    let first = migrate(&models_dir, &["--from", index_arg, "--to", &url]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let progress = text(&first.stderr);
    assert!(progress.contains("copying 3 assets"), "{progress}");
    assert!(progress.contains("[3/3]"), "{progress}");
    assert!(progress.contains("collections: 1 copied"), "{progress}");
    assert!(
        text(&first.stdout).contains("copied 3 assets"),
        "{}",
        text(&first.stdout)
    );

    let pg = PgEngine::open(&url).expect("open PostgreSQL library");
    let catalog = Catalog::open(&index_dir.join(CATALOG_FILE), true).expect("catalog");
    let assets = catalog.assets().all().expect("assets");
    // Moments of each engine by their own ids.
    let mut local_keys = HashMap::new();
    for asset in &assets {
        for moment in catalog
            .assets()
            .asset_moments(asset.id.as_str())
            .expect("moments")
        {
            local_keys.insert(
                moment.moment_id,
                key(&moment.asset.path.to_string_lossy(), moment.start),
            );
        }
    }
    let mut client = rushes_postgres::connect(&url).expect("connect");
    let pg_keys: HashMap<i64, Key> = client
        .query(
            "SELECT m.id, a.display_path, m.start_time FROM moments m
             JOIN assets a ON a.id = m.asset_id",
            &[],
        )
        .expect("pg moments")
        .iter()
        .map(|row| (row.get(0), key(&row.get::<_, String>(1), row.get(2))))
        .collect();
    assert_eq!(
        local_keys.values().collect::<BTreeSet<_>>(),
        pg_keys.values().collect::<BTreeSet<_>>(),
        "the same moments"
    );

    // The text search finds the same moments.
    let local_text = TantivyText::open(&index_dir.join("text"), true).expect("text");
    for query in [
        "tag:blooper",
        "tag:keeper",
        "director loved",
        "portrait",
        "messi",
        "colour_chart",
        "kind:video",
    ] {
        let local = found(&local_text, query, &local_keys);
        let on_pg = found(pg.text(), query, &pg_keys);
        assert!(!local.is_empty(), "{query} finds something locally");
        assert_eq!(local, on_pg, "{query}");
    }
    assert_eq!(
        found(pg.text(), "tag:blooper", &pg_keys)
            .iter()
            .map(|(file, _)| file.as_str())
            .collect::<BTreeSet<_>>(),
        BTreeSet::from(["colour_chart.mp4", "messi.mp4"])
    );

    // The collection, in order; the people and the name.
    let index = Index::open(&index_dir, OpenMode::ReadOnly).expect("open read-only");
    let contents = |collection: rushes_store::Collection| {
        collection
            .items
            .into_iter()
            .map(|item| (item.asset, item.range.map(|r| (r.start, r.end)), item.note))
            .collect::<Vec<_>>()
    };
    let selects = contents(pg.collection("Selects").expect("pg"));
    assert_eq!(
        contents(index.collection("Selects").expect("local")),
        selects
    );
    assert_eq!(selects[0].0, by_name["messi.mp4"]);
    assert_eq!(selects[1].1, Some((6.0, 9.0)));
    for asset in &assets {
        assert_eq!(
            index.annotations(&asset.id).expect("local"),
            pg.annotations(&asset.id).expect("pg"),
            "{}",
            asset.path.display()
        );
    }
    assert_eq!(
        pg.user_tags(&by_name["messi.mp4"]).expect("pg"),
        ["blooper", "keeper"]
    );
    let summaries = |people: Vec<rushes_store::people::PersonSummary>| {
        people
            .into_iter()
            .map(|p| (p.name, p.faces, p.assets, p.moments, p.thumbnail))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        summaries(index.people().expect("local people")),
        summaries(pg.people().expect("pg people"))
    );
    assert_eq!(
        pg.people_named("Eileen")
            .expect("named")
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>(),
        [Some("Eileen Collins".to_string())]
    );
    assert_eq!(
        index
            .moments_showing(&[astronaut_person])
            .expect("local")
            .len(),
        pg.moments_showing(&[pg.people_named("Eileen").expect("named")[0].id])
            .expect("pg")
            .len()
    );

    // Every thumbnail, byte for byte.
    let local_thumbs = ThumbnailFolder::new(&index_dir);
    let pg_thumbs = rushes_postgres::PgThumbnails::new(pg.pool().clone());
    let mut compared = 0;
    for asset in &assets {
        let mut names: Vec<String> = local_thumbs
            .frames_of(&asset.id)
            .expect("frames")
            .into_iter()
            .map(|frame| frame.relative)
            .collect();
        names.extend(
            asset_faces(&catalog, asset.id.as_str())
                .expect("faces")
                .into_iter()
                .filter_map(|face| face.face.thumbnail),
        );
        for name in names {
            let local = local_thumbs
                .read(&name)
                .expect("read")
                .expect("local bytes");
            let copied = pg_thumbs.read(&name).expect("read").expect("copied bytes");
            assert!(local.jpeg == copied.jpeg, "{name}");
            compared += 1;
        }
    }
    assert!(compared >= 6, "{compared} thumbnails compared");

    // A frame's nearest frames are the same moments.
    let local_vectors = VectorStore::new(&index_dir.join("vectors"), true);
    let chart = asset_record(&catalog, by_name["colour_chart.mp4"].as_str())
        .expect("record")
        .expect("the chart");
    let model = chart.embedding_model.clone().expect("a visual model ran");
    let mut frame_moment = |frame: u64| -> Key {
        let row = client
            .query_one(
                "SELECT a.display_path, m.start_time FROM frames f
                 JOIN moments m ON m.id = f.moment_id JOIN assets a ON a.id = f.asset_id
                 WHERE f.id = $1",
                &[&(frame as i64)],
            )
            .expect("pg frame");
        key(&row.get::<_, String>(0), row.get(1))
    };
    let mut queries = 0;
    for moment in &chart.moments {
        for frame in &moment.frames {
            let Some(vector) = &frame.embedding else {
                continue;
            };
            let local: Vec<Key> = local_vectors
                .search(&model, vector, 3)
                .expect("local search")
                .into_iter()
                .map(|hit| {
                    let moments = catalog
                        .assets()
                        .frame_moments(&[hit.frame_id])
                        .expect("frame moment");
                    local_keys[&moments[&hit.frame_id]].clone()
                })
                .collect();
            let copied: Vec<Key> = pg
                .vectors()
                .search(&model, vector, 3)
                .expect("pg search")
                .into_iter()
                .map(|hit| frame_moment(hit.frame_id))
                .collect();
            assert_eq!(local.first(), copied.first(), "nearest frame");
            assert_eq!(
                local.iter().collect::<BTreeSet<_>>(),
                copied.iter().collect::<BTreeSet<_>>()
            );
            queries += 1;
        }
    }
    assert!(queries >= 3, "{queries} frames searched");

    // A second run copies nothing again and changes nothing.
    let moments_before: i64 = client
        .query_one("SELECT count(*) FROM moments", &[])
        .expect("count")
        .get(0);
    let second = migrate(&models_dir, &["--from", index_arg, "--to", &url, "--json"]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    let again: serde_json::Value = serde_json::from_slice(&second.stdout).expect("json");
    assert_eq!(again["assets_copied"], 0, "{again}");
    assert_eq!(again["assets_skipped"], 3, "{again}");
    assert_eq!(again["collections_skipped"], 1, "{again}");
    let moments_after: i64 = client
        .query_one("SELECT count(*) FROM moments", &[])
        .expect("count")
        .get(0);
    assert_eq!(moments_before, moments_after);
    assert_eq!(
        summaries(index.people().expect("local people")),
        summaries(pg.people().expect("pg people"))
    );
    assert_eq!(pg.collection("Selects").expect("pg").items.len(), 3);

    // Another library is refused unless --force; nothing is written.
    let other_index = temp.path().join("other");
    std::fs::create_dir_all(temp.path().join("other_footage")).expect("dir");
    std::fs::copy(
        footage.join("messi.mp4"),
        temp.path().join("other_footage/elsewhere.mp4"),
    )
    .expect("copy");
    index_with_models(
        &models_dir,
        &temp.path().join("other_footage"),
        &other_index,
        &["--no-speech", "--no-faces"],
    );
    let other_arg = other_index.to_str().expect("utf-8");
    let refused = migrate(&models_dir, &["--from", other_arg, "--to", &url]);
    assert!(!refused.status.success());
    let message = text(&refused.stderr);
    assert!(
        message.contains("3 assets that are not in") && message.contains("--force"),
        "{message}"
    );
    let assets_now: i64 = client
        .query_one("SELECT count(*) FROM assets", &[])
        .expect("count")
        .get(0);
    assert_eq!(assets_now, 3);
    let forced = migrate(&models_dir, &["--from", other_arg, "--to", &url, "--force"]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    let assets_now: i64 = client
        .query_one("SELECT count(*) FROM assets", &[])
        .expect("count")
        .get(0);
    assert_eq!(assets_now, 4);
}

#[test]
fn a_bad_url_a_missing_index_and_a_database_without_pgvector_are_clear_errors() {
    let temp = tempfile::tempdir().expect("temp dir");
    let models_dir = temp.path().join("models");
    std::fs::create_dir_all(&models_dir).expect("models dir");
    let missing = temp.path().join("no-index");
    let missing_arg = missing.to_str().expect("utf-8");

    let bad_url = migrate(
        &models_dir,
        &["--from", missing_arg, "--to", "mysql://db/library"],
    );
    assert!(!bad_url.status.success());
    assert!(
        text(&bad_url.stderr).contains("not a PostgreSQL URL"),
        "{}",
        text(&bad_url.stderr)
    );

    let server = shared_server().expect("PostgreSQL");
    let url = server.fresh_database().expect("database");
    let no_index = migrate(&models_dir, &["--from", missing_arg, "--to", &url]);
    assert!(!no_index.status.success());
    assert!(
        text(&no_index.stderr).contains("no index at"),
        "{}",
        text(&no_index.stderr)
    );

    // A database whose owner may not create pgvector: the message says what to run.
    let database = server
        .fresh_database_without_vector()
        .expect("database without pgvector");
    let role = format!("{database}_owner");
    server
        .psql(&database, &format!("CREATE ROLE {role} LOGIN"))
        .expect("role");
    server
        .psql(
            &database,
            &format!("ALTER DATABASE {database} OWNER TO {role}"),
        )
        .expect("owner");
    let without = format!("postgres://{role}@127.0.0.1:{}/{database}", server.port());
    let refused = migrate(&models_dir, &["--from", missing_arg, "--to", &without]);
    assert!(!refused.status.success());
    let message = text(&refused.stderr);
    assert!(message.contains("CREATE EXTENSION vector;"), "{message}");
    assert!(!std::path::Path::new(&missing).exists(), "nothing made");
}
