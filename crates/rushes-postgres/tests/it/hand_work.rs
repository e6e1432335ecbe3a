//! Hand work on PostgreSQL against the local engine: the same steps (hand tags, notes,
//! collections, people) on an `Index` in a temp folder and on a `PgLibrary` over the same
//! corpus give the same annotations, collection order, people and names, and a search for a
//! hand tag or note finds the same moments; bad input gets the same error from both.
//!
//! Row ids (collection entries, people, faces) are each engine's own, so entries are
//! compared by what they hold, people by name and counts.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use rushes_core::{AssetId, AssetRecord, FaceRect};
use rushes_postgres::PgLibrary;
use rushes_store::catalog::faces::{NewFace, PersonCentroid};
use rushes_store::catalog::{CATALOG_FILE, Catalog, Repositories};
use rushes_store::people::PersonSummary;
use rushes_store::query::parse;
use rushes_store::seams::{AssetWrites, FacesToWrite, TextIndex, TextOrder};
use rushes_store::text::TantivyText;
use rushes_store::{Collection, Index, Library, OpenMode, StoreError, TimeRange};
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

use crate::corpus::library;

/// A moment as both engines name it: asset id and start in milliseconds.
type Key = (String, i64);

/// A collection entry as both engines hold it: asset id, range, note.
type Entry = (String, Option<(f64, f64)>, String);

/// A person as both engines list them: name, faces, assets, moments, thumbnail.
type Someone = (Option<String>, u64, u64, u64, Option<String>);

/// The corpus in a fresh local index and a fresh PostgreSQL library.
struct Both {
    dir: tempfile::TempDir,
    local: Index,
    pg: PgLibrary,
    url: String,
    records: Vec<AssetRecord>,
}

impl Both {
    fn new() -> Result<Both, TestError> {
        let records = library();
        let dir = tempfile::tempdir()?;
        let local = Index::open(&dir.path().join("index"), OpenMode::ReadWrite)?;
        local.put_assets(&records)?;
        local.commit()?;
        let url = shared_server()?.fresh_database()?;
        let pg = PgLibrary::open(&url)?;
        pg.engine().put_assets(&records, None)?;
        Ok(Both {
            dir,
            local,
            pg,
            url,
            records,
        })
    }

    fn id(&self, n: usize) -> AssetId {
        self.records[n].asset.id.clone()
    }

    /// The moments (asset id, start in ms) each engine's text index finds for `text`, once
    /// the local index is closed and its text read back.
    fn found(self, text: &str) -> Result<(BTreeSet<Key>, BTreeSet<Key>), TestError> {
        let index_dir: PathBuf = self.dir.path().join("index");
        drop(self.local);
        let catalog = Catalog::open(&index_dir.join(CATALOG_FILE), true)?;
        let local_text = TantivyText::open(&index_dir.join("text"), true)?;
        let query = parse(text)?;
        let local_ids = moment_ids(&local_text, &query)?;
        let pg_ids = moment_ids(self.pg.engine().text(), &query)?;
        let mut local_keys = HashMap::new();
        for record in &self.records {
            for moment in catalog.assets().asset_moments(record.asset.id.as_str())? {
                local_keys.insert(
                    moment.moment_id,
                    key(moment.asset.id.as_str(), moment.start),
                );
            }
        }
        let mut client = rushes_postgres::connect(&self.url)?;
        let pg_keys: HashMap<i64, Key> = client
            .query("SELECT id, asset_id, start_time FROM moments", &[])?
            .iter()
            .map(|row| (row.get(0), key(&row.get::<_, String>(1), row.get(2))))
            .collect();
        let named = |ids: Vec<i64>, keys: &HashMap<i64, Key>| {
            ids.iter().filter_map(|id| keys.get(id).cloned()).collect()
        };
        Ok((named(local_ids, &local_keys), named(pg_ids, &pg_keys)))
    }
}

fn key(asset_id: &str, start: f64) -> Key {
    (asset_id.to_string(), (start * 1000.0).round() as i64)
}

fn moment_ids<T: TextIndex>(index: &T, query: &rushes_store::Query) -> Result<Vec<i64>, TestError> {
    let Some(words) = index.build_query(&query.terms, &query.filters, true)? else {
        let restriction = index.restriction_query(&query.terms, &query.filters)?;
        return Ok(index
            .top_moments(&index.snapshot(), &restriction, 100, TextOrder::Score)?
            .into_iter()
            .map(|(id, _)| id)
            .collect());
    };
    Ok(index
        .top_moments(&index.snapshot(), &words, 100, TextOrder::Score)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

fn range(start: f64, end: f64) -> Option<TimeRange> {
    TimeRange::new(start, end).ok()
}

fn tags(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

/// A collection as both engines can be compared: its name and (asset, range, note) in order.
fn contents(collection: &Collection) -> Vec<Entry> {
    collection
        .items
        .iter()
        .map(|item| {
            (
                item.asset.to_string(),
                item.range.map(|r| (r.start, r.end)),
                item.note.clone(),
            )
        })
        .collect()
}

/// The same error from both engines (and an error at all).
fn same_error<T: std::fmt::Debug, U: std::fmt::Debug>(
    what: &str,
    local: Result<T, StoreError>,
    pg: Result<U, StoreError>,
) {
    match (local, pg) {
        (Err(local), Err(pg)) => assert_eq!(local.to_string(), pg.to_string(), "{what}"),
        (local, pg) => panic!("{what}: expected an error from both, got {local:?} and {pg:?}"),
    }
}

#[test]
fn hand_tags_and_notes_match_the_local_engine_and_a_search_finds_them() -> Result<(), TestError> {
    let both = Both::new()?;
    let (a001, b002, interview) = (both.id(0), both.id(1), both.id(2));
    // The same steps on each engine.
    let steps = |e: &dyn HandSteps| -> Result<(), StoreError> {
        e.add_tags(
            &a001,
            range(0.0, 5.0),
            &tags(&["blooper", " Hero shot ", "zebra"]),
        )?;
        e.add_tags(&b002, None, &tags(&["blooper", "Keeper"]))?;
        e.note(
            &interview,
            range(30.0, 45.0),
            "the director loved this answer",
        )?;
        e.note(&b002, None, "check the\r\nfocus")?;
        e.remove_tags(&a001, range(0.0, 5.0), &tags(&["zebra"]))?;
        e.edit(
            &a001,
            range(10.0, 15.0),
            &tags(&["night"]),
            &[],
            Some("café scene"),
        )?;
        e.edit(&a001, range(10.0, 15.0), &[], &tags(&["night"]), Some(""))?;
        e.add_tags(&a001, None, &tags(&["Archive", "alpha"]))
    };
    steps(&both.local)?;
    steps(&both.pg)?;
    for id in [&a001, &b002, &interview] {
        assert_eq!(
            both.local.annotations(id)?,
            both.pg.annotations(id)?,
            "{id}"
        );
        assert_eq!(both.local.user_tags(id)?, both.pg.user_tags(id)?, "{id}");
    }
    assert_eq!(both.pg.user_tags(&a001)?, ["Archive", "alpha"]);
    let annotations = both.pg.annotations(&a001)?;
    assert_eq!(annotations.len(), 2, "{annotations:?}");
    assert_eq!(annotations[1].tags, ["Hero shot", "blooper"]);
    assert_eq!(both.pg.annotations(&b002)?[0].note, "check the\nfocus");
    // Hand tags and notes reach the text search at once, on the moments they overlap.
    let (local, pg) = both.found("tag:blooper")?;
    assert_eq!(local, pg, "tag:blooper");
    assert_eq!(pg.len(), 4, "A001's first shot and B002's three: {pg:?}");
    Ok(())
}

#[test]
fn a_hand_note_is_found_by_its_words_as_on_the_local_engine() -> Result<(), TestError> {
    let both = Both::new()?;
    let interview = both.id(2);
    let note = "the director loved this answer";
    both.local.set_note(&interview, range(30.0, 45.0), note)?;
    both.pg.set_note(&interview, range(30.0, 45.0), note)?;
    let (local, pg) = both.found("director loved")?;
    assert_eq!(local, pg);
    assert_eq!(pg.len(), 1, "the interview's second moment only: {pg:?}");
    Ok(())
}

/// The hand-work steps both engines answer, so one test drives either.
trait HandSteps {
    fn add_tags(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        tags: &[String],
    ) -> Result<(), StoreError>;
    fn remove_tags(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        tags: &[String],
    ) -> Result<(), StoreError>;
    fn note(&self, id: &AssetId, range: Option<TimeRange>, note: &str) -> Result<(), StoreError>;
    fn edit(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        add: &[String],
        remove: &[String],
        note: Option<&str>,
    ) -> Result<(), StoreError>;
}

macro_rules! hand_steps {
    ($engine:ty) => {
        impl HandSteps for $engine {
            fn add_tags(
                &self,
                id: &AssetId,
                range: Option<TimeRange>,
                tags: &[String],
            ) -> Result<(), StoreError> {
                self.add_hand_tags(id, range, tags)
            }
            fn remove_tags(
                &self,
                id: &AssetId,
                range: Option<TimeRange>,
                tags: &[String],
            ) -> Result<(), StoreError> {
                self.remove_hand_tags(id, range, tags)
            }
            fn note(
                &self,
                id: &AssetId,
                range: Option<TimeRange>,
                note: &str,
            ) -> Result<(), StoreError> {
                self.set_note(id, range, note)
            }
            fn edit(
                &self,
                id: &AssetId,
                range: Option<TimeRange>,
                add: &[String],
                remove: &[String],
                note: Option<&str>,
            ) -> Result<(), StoreError> {
                self.annotate(id, range, add, remove, note)
            }
        }
    };
}
hand_steps!(Index);
hand_steps!(PgLibrary);

#[test]
fn collections_keep_the_same_entries_and_order_as_on_the_local_engine() -> Result<(), TestError> {
    let both = Both::new()?;
    let (a001, b002, interview, poster) = (both.id(0), both.id(1), both.id(2), both.id(3));
    let (local, pg) = (&both.local, &both.pg);
    for (name, id, span, note) in [
        ("Selects", &a001, range(0.0, 5.0), "open on this"),
        ("Selects", &b002, None, ""),
        ("Selects", &interview, range(30.0, 45.0), "the answer"),
        ("Selects", &poster, None, "poster\tfor the end"),
        ("b-roll", &b002, range(4.0, 8.0), ""),
        ("Archive", &a001, None, ""),
    ] {
        let (l, p) = (
            local.add_to_collection(name, id, span, note)?,
            pg.add_to_collection(name, id, span, note)?,
        );
        assert_eq!((&l.asset, l.range, &l.note), (&p.asset, p.range, &p.note));
    }
    // Adding the same range again keeps one entry, with the new note.
    let again_local = local.add_to_collection("Selects", &b002, None, "second look")?;
    let again_pg = pg.add_to_collection("Selects", &b002, None, "second look")?;
    assert_eq!(again_pg.note, "second look");
    local.create_collection("empty")?;
    pg.create_collection("  empty ")?;
    local.move_in_collection("Selects", again_local.id, 0)?;
    pg.move_in_collection("Selects", again_pg.id, 0)?;
    let last =
        |engine_items: &Collection| engine_items.items.last().map(|item| item.id).unwrap_or(0);
    local.move_in_collection("Selects", last(&local.collection("Selects")?), 1)?;
    pg.move_in_collection("Selects", last(&pg.collection("Selects")?), 1)?;
    let reversed = |items: Collection| {
        items
            .items
            .iter()
            .rev()
            .map(|item| item.id)
            .collect::<Vec<_>>()
    };
    local.reorder_collection("Selects", &reversed(local.collection("Selects")?))?;
    pg.reorder_collection("Selects", &reversed(pg.collection("Selects")?))?;
    let second = |items: Collection| items.items[1].id;
    local.remove_from_collection("Selects", second(local.collection("Selects")?))?;
    pg.remove_from_collection("Selects", second(pg.collection("Selects")?))?;
    local.rename_collection("b-roll", "B-roll day 1")?;
    pg.rename_collection("b-roll", "B-roll day 1")?;
    local.delete_collection("Archive")?;
    pg.delete_collection("Archive")?;

    assert_eq!(local.collections()?, pg.collections()?);
    let names: Vec<String> = pg.collections()?.into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["B-roll day 1", "empty", "Selects"]);
    for name in &names {
        assert_eq!(
            contents(&local.collection(name)?),
            contents(&pg.collection(name)?),
            "{name}"
        );
    }
    let selects = contents(&pg.collection("Selects")?);
    assert_eq!(
        selects,
        [
            (
                interview.to_string(),
                Some((30.0, 45.0)),
                "the answer".to_string()
            ),
            (poster.to_string(), None, "poster\tfor the end".to_string()),
            (b002.to_string(), None, "second look".to_string()),
        ],
        "moved, reversed, the second removed"
    );
    Ok(())
}

#[test]
fn bad_input_gets_the_same_errors_and_changes_nothing() -> Result<(), TestError> {
    let both = Both::new()?;
    let (local, pg) = (&both.local, &both.pg);
    let (a001, poster) = (both.id(0), both.id(3));
    let unknown = AssetId::from_path(std::path::Path::new("/footage/never/indexed.mov"));
    local.add_to_collection("Selects", &a001, None, "")?;
    pg.add_to_collection("Selects", &a001, None, "")?;
    let tag = tags(&["fine"]);
    same_error(
        "unknown asset",
        local.add_hand_tags(&unknown, None, &tag),
        pg.add_hand_tags(&unknown, None, &tag),
    );
    same_error(
        "empty tag",
        local.add_hand_tags(&a001, None, &tags(&["  "])),
        pg.add_hand_tags(&a001, None, &tags(&["  "])),
    );
    same_error(
        "tag with a newline",
        local.add_hand_tags(&a001, None, &tags(&["a\nb"])),
        pg.add_hand_tags(&a001, None, &tags(&["a\nb"])),
    );
    same_error(
        "range past the end",
        local.add_hand_tags(&a001, range(10.0, 20.0), &tag),
        pg.add_hand_tags(&a001, range(10.0, 20.0), &tag),
    );
    same_error(
        "range on a still",
        local.set_note(&poster, range(0.0, 1.0), "x"),
        pg.set_note(&poster, range(0.0, 1.0), "x"),
    );
    same_error(
        "note with NUL",
        local.set_note(&a001, None, "a\0b"),
        pg.set_note(&a001, None, "a\0b"),
    );
    same_error(
        "unknown collection",
        local.collection("nope"),
        pg.collection("nope"),
    );
    same_error(
        "remove from unknown collection",
        local.remove_from_collection("nope", 1),
        pg.remove_from_collection("nope", 1),
    );
    same_error(
        "unknown entry",
        local.remove_from_collection("Selects", 999),
        pg.remove_from_collection("Selects", 999),
    );
    same_error(
        "move unknown entry",
        local.move_in_collection("Selects", 999, 0),
        pg.move_in_collection("Selects", 999, 0),
    );
    same_error(
        "reorder missing entries",
        local.reorder_collection("Selects", &[]),
        pg.reorder_collection("Selects", &[]),
    );
    same_error(
        "rename unknown",
        local.rename_collection("nope", "x"),
        pg.rename_collection("nope", "x"),
    );
    same_error(
        "empty name",
        local.create_collection(" "),
        pg.create_collection(" "),
    );
    same_error(
        "empty new name",
        local.rename_collection("Selects", ""),
        pg.rename_collection("Selects", ""),
    );
    same_error(
        "delete unknown",
        local.delete_collection("nope"),
        pg.delete_collection("nope"),
    );
    same_error(
        "add to unknown asset",
        local.add_to_collection("Selects", &unknown, None, ""),
        pg.add_to_collection("Selects", &unknown, None, ""),
    );
    same_error(
        "unknown person",
        local.name_person(999, "Maria"),
        pg.name_person(999, "Maria"),
    );
    same_error(
        "merge unknown",
        local.merge_people(998, 999, None),
        pg.merge_people(998, 999, None),
    );
    same_error(
        "merge into themselves",
        local.merge_people(5, 5, None),
        pg.merge_people(5, 5, None),
    );
    same_error(
        "faces of unknown",
        local.person_faces(999),
        pg.person_faces(999),
    );
    same_error(
        "forget unknown",
        local.forget_person(999),
        pg.forget_person(999),
    );
    same_error(
        "split unknown face",
        local.split_face(999),
        pg.split_face(999),
    );
    // Nothing changed: no tag, no note, one collection of one entry.
    for id in [&a001, &poster] {
        assert_eq!(pg.annotations(id)?, []);
    }
    assert_eq!(local.collections()?, pg.collections()?);
    assert_eq!(pg.collection("Selects")?.items.len(), 1);
    Ok(())
}

/// A face at `time` along `axis` (its person), `size` pixels wide.
fn face(asset: &AssetId, time: f64, axis: usize, size: u32) -> NewFace {
    let mut embedding = vec![0.0; 128];
    embedding[axis] = 1.0;
    NewFace {
        time,
        rect: FaceRect {
            x: 10,
            y: 10,
            width: size,
            height: size,
        },
        sharpness: 100.0,
        embedding,
        thumbnail: Some(format!("faces/{asset}/{}-0.jpg", (time * 1000.0) as i64)),
    }
}

/// The known person whose centroid points the same way, if any.
fn same_direction(embedding: &[f32], known: &[PersonCentroid]) -> Option<i64> {
    known
        .iter()
        .find(|(_, centroid)| {
            centroid
                .iter()
                .zip(embedding)
                .map(|(a, b)| a * b)
                .sum::<f32>()
                > 0.9
        })
        .map(|(id, _)| *id)
}

/// People as both engines can be compared: name, faces, assets, moments, thumbnail.
fn summaries(people: Vec<PersonSummary>) -> Vec<Someone> {
    people
        .into_iter()
        .map(|p| (p.name, p.faces, p.assets, p.moments, p.thumbnail))
        .collect()
}

#[test]
fn people_names_merges_splits_and_forgetting_match_the_local_engine() -> Result<(), TestError> {
    let both = Both::new()?;
    let (a001, b002) = (both.id(0), both.id(1));
    let faces_of = |n: usize| -> Vec<NewFace> {
        match n {
            0 => vec![
                face(&a001, 1.0, 0, 80),
                face(&a001, 6.0, 0, 60),
                face(&a001, 11.0, 1, 50),
            ],
            _ => vec![
                face(&b002, 1.0, 0, 40),
                face(&b002, 9.0, 2, 70),
                face(&b002, 9.5, 2, 30),
            ],
        }
    };
    for n in [0, 1] {
        let faces = faces_of(n);
        both.local
            .put_asset_with_faces(&both.records[n], &faces, &same_direction)?;
        both.local.commit()?;
        both.pg.engine().put_assets(
            std::slice::from_ref(&both.records[n]),
            Some(FacesToWrite {
                faces: &faces,
                choose_person: &same_direction,
            }),
        )?;
    }
    let (local, pg) = (&both.local, &both.pg);
    assert_eq!(summaries(local.people()?), summaries(pg.people()?));
    assert_eq!(pg.people()?.len(), 3);
    // The person with most faces is the one along axis 0 (three faces in two files).
    let first = |engine: Vec<PersonSummary>| engine[0].id;
    let (local_maria, pg_maria) = (first(local.people()?), first(pg.people()?));
    local.name_person(local_maria, "  Maria López ")?;
    pg.name_person(pg_maria, "  Maria López ")?;
    assert_eq!(
        pg.person(pg_maria)?.and_then(|p| p.name),
        Some("Maria López".into())
    );
    let named =
        |people: Vec<rushes_core::PersonInMoment>| -> Vec<(Option<String>, Option<String>)> {
            people.into_iter().map(|p| (p.name, p.thumbnail)).collect()
        };
    for who in ["maria", "López", "Maria López", "Lopez", "Mar"] {
        assert_eq!(
            named(local.people_named(who)?),
            named(pg.people_named(who)?),
            "{who}"
        );
    }
    assert_eq!(pg.people_named("maria")?.len(), 1);
    let moments = |engine_ids: Vec<u64>| engine_ids.len();
    assert_eq!(
        moments(local.moments_showing(&[local_maria])?),
        moments(pg.moments_showing(&[pg_maria])?)
    );
    assert_eq!(pg.moments_showing(&[pg_maria])?.len(), 3);
    let page = |engine_page: rushes_store::people::FacesPage| -> (u64, Vec<(String, f64, Option<String>)>) {
        (
            engine_page.total,
            engine_page.faces.into_iter().map(|f| (f.asset_id, f.time, f.thumbnail)).collect(),
        )
    };
    assert_eq!(
        page(local.person_faces_page(local_maria, 1, 2)?),
        page(pg.person_faces_page(pg_maria, 1, 2)?)
    );
    assert_eq!(
        local.person_centroids()?.len(),
        pg.engine().person_centroids()?.len()
    );

    // Split Maria's face in B002 out, merge the axis-2 person into the axis-1 one under a
    // new name, then forget the split-off person.
    let in_b002 = |faces: Vec<rushes_store::people::FaceSummary>| {
        faces
            .into_iter()
            .find(|f| f.asset_id == b002.as_str())
            .map(|f| f.id)
            .unwrap_or(0)
    };
    let local_split = local.split_face(in_b002(local.person_faces(local_maria)?))?;
    let pg_split = pg.split_face(in_b002(pg.person_faces(pg_maria)?))?;
    let by_faces = |people: Vec<PersonSummary>, faces: u64, named: bool| {
        people
            .into_iter()
            .find(|p| p.faces == faces && p.name.is_some() == named)
            .map(|p| p.id)
            .unwrap_or(0)
    };
    // After the split: Maria 2 faces, the axis-2 person 2 faces (unnamed), axis-1 1 face,
    // the split-off person 1 face.
    let (local_two, pg_two) = (
        by_faces(local.people()?, 2, false),
        by_faces(pg.people()?, 2, false),
    );
    let one = |people: Vec<PersonSummary>, split: i64| {
        people
            .into_iter()
            .find(|p| p.faces == 1 && p.id != split)
            .map(|p| p.id)
            .unwrap_or(0)
    };
    let (local_one, pg_one) = (
        one(local.people()?, local_split),
        one(pg.people()?, pg_split),
    );
    local.merge_people(local_one, local_two, Some("Crew"))?;
    pg.merge_people(pg_one, pg_two, Some("Crew"))?;
    same_error(
        "split a lone face",
        local.split_face(in_b002(local.person_faces(local_split)?)),
        pg.split_face(in_b002(pg.person_faces(pg_split)?)),
    );
    assert_eq!(summaries(local.people()?), summaries(pg.people()?));
    local.forget_person(local_split)?;
    pg.forget_person(pg_split)?;
    let after = summaries(pg.people()?);
    assert_eq!(summaries(local.people()?), after);
    assert_eq!(
        after.iter().map(|p| (p.0.clone(), p.1)).collect::<Vec<_>>(),
        [
            (Some("Crew".to_string()), 3),
            (Some("Maria López".to_string()), 2)
        ]
    );
    assert_eq!(pg.person(pg_split)?, None);
    Ok(())
}
