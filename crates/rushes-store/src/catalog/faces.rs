//! The people and faces repository: the faces found in footage and the people they are
//! grouped into (`faces`, `people`). Faces are keyed by the asset's content hash and time,
//! not by row ids: when a file is indexed again its new faces at the same times and places
//! go back to the people the old ones were in, so names survive. Clustering itself is the
//! caller's (`rushes-faces`); this keeps each person's running-mean centroid.
//!
//! A catalog opened read-only may be of a schema from before people existed
//! (`has_schema`): it then just has none.

use std::collections::{HashMap, HashSet};

use rushes_core::{FaceRect, PersonInMoment};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::catalog::sql::{has_table, now_seconds};
use crate::error::StoreError;
use crate::hit_windows::windows_touch;
use crate::thumbnails::thumbnail_url;

/// Two faces of the same content within this many seconds and overlapping this much are the
/// same sighting (a re-index of the same file).
const SAME_SIGHTING_SECONDS: f64 = 0.05;
const SAME_SIGHTING_OVERLAP: f32 = 0.5;

/// A face ingest found, to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFace {
    /// Seconds from the start of the file.
    pub time: f64,
    pub rect: FaceRect,
    pub sharpness: f64,
    pub embedding: Vec<f32>,
    /// Path of the face thumbnail relative to `thumbs/`.
    pub thumbnail: Option<String>,
}

/// A known person as clustering sees them: id and centroid.
pub type PersonCentroid = (i64, Vec<f32>);

/// Picks the person a new face embedding belongs to among the known ones (`None`: a new
/// person); `rushes-faces` supplies the real one.
pub type PersonChooser = dyn Fn(&[f32], &[PersonCentroid]) -> Option<i64>;

/// One person, as `rushes people list` and the People page show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub id: i64,
    pub name: Option<String>,
    pub faces: u64,
    /// Distinct assets the person appears in.
    pub assets: u64,
    /// Search hits showing the person: the moments their faces are in, with the touching
    /// moments of one file joined, as a `person:<id>` search (and their page) lists them.
    pub moments: u64,
    /// URL path of the representative face thumbnail (the sharpest, largest face).
    pub thumbnail: Option<String>,
}

/// A page of one person's faces and how many they have in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacesPage {
    pub total: u64,
    pub faces: Vec<FaceSummary>,
}

/// One face of a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceSummary {
    pub id: i64,
    pub person: i64,
    pub asset_id: String,
    pub path: String,
    pub time: f64,
    pub rect: FaceRect,
    pub thumbnail: Option<String>,
}

fn has_schema(connection: &Connection) -> Result<bool, StoreError> {
    has_table(connection, "faces")
}

fn vector_to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn vector_from_blob(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Recomputes a person's centroid from their faces; deletes the person when none are left.
fn refresh_centroid(connection: &Connection, person: i64) -> Result<(), StoreError> {
    let mut statement = connection.prepare("SELECT embedding FROM faces WHERE person_id = ?1")?;
    let embeddings: Vec<Vec<f32>> = statement
        .query_map([person], |row| row.get::<_, Vec<u8>>(0))?
        .map(|blob| blob.map(|b| vector_from_blob(&b)))
        .collect::<Result<_, _>>()?;
    let Some(first) = embeddings.first() else {
        connection.execute("DELETE FROM people WHERE id = ?1", [person])?;
        return Ok(());
    };
    let mut mean = vec![0.0f32; first.len()];
    for embedding in &embeddings {
        for (m, v) in mean.iter_mut().zip(embedding) {
            *m += v / embeddings.len() as f32;
        }
    }
    connection.execute(
        "UPDATE people SET centroid = ?1, centroid_faces = ?2 WHERE id = ?3",
        params![vector_to_blob(&mean), embeddings.len() as i64, person],
    )?;
    Ok(())
}

fn person_exists(connection: &Connection, person: i64) -> Result<bool, StoreError> {
    if !has_schema(connection)? {
        return Ok(false);
    }
    let found: Option<i64> = connection
        .query_row("SELECT id FROM people WHERE id = ?1", [person], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(found.is_some())
}

/// A face counts as in a moment when its time lies in `[start, end)`, give or take this
/// much: a face on a cut belongs to the moment after it.
const MOMENT_EDGE_SECONDS: f64 = 0.001;

/// The one rule for "this face is in this moment", as an SQL condition over the given column
/// expressions: the face's time lies in `[start, end)` (give or take
/// [`MOMENT_EDGE_SECONDS`]), so a face on a shot's first frame belongs to that shot's moment,
/// not to the one before; a zero-length moment (a still) holds the face at its start.
pub fn face_in_moment_sql(face_time: &str, start: &str, end: &str) -> String {
    let edge = MOMENT_EDGE_SECONDS;
    format!(
        "({face_time} >= {start} - {edge} AND ({face_time} < {end} - {edge} OR {face_time} <= {start} + {edge}))"
    )
}

/// The error for a person the index does not hold.
pub fn no_person(person: i64) -> StoreError {
    StoreError::NotFound(format!(
        "no person {person} in this index; `rushes people list` shows them"
    ))
}

/// The error for a face the index does not hold.
pub fn no_face(face: i64) -> StoreError {
    StoreError::NotFound(format!(
        "no face {face} in this index; `rushes people show <id>` lists a person's faces"
    ))
}

/// What writing an asset's faces did: each face's person, in order, and the earlier face
/// thumbnails no new face uses (deleted once the rows are gone).
#[derive(Debug, Default)]
pub struct FacesWritten {
    pub persons: Vec<i64>,
    pub stale_thumbnails: Vec<String>,
}

/// Whether `face` is the face seen earlier at `time` in `rect` of the same content (a
/// re-index): it then keeps its person.
pub fn same_sighting(time: f64, rect: &FaceRect, face: &NewFace) -> bool {
    (time - face.time).abs() <= SAME_SIGHTING_SECONDS
        && rect.overlap(&face.rect) >= SAME_SIGHTING_OVERLAP
}

/// Every person's id and centroid.
fn centroids(connection: &Connection) -> Result<Vec<PersonCentroid>, StoreError> {
    if !has_schema(connection)? {
        return Ok(Vec::new());
    }
    let mut statement = connection.prepare("SELECT id, centroid FROM people ORDER BY id")?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                vector_from_blob(&row.get::<_, Vec<u8>>(1)?),
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Replaces an asset's faces inside the caller's transaction.
fn write_faces(
    connection: &Connection,
    asset_id: &str,
    content_hash: &str,
    faces: &[NewFace],
    choose_person: &PersonChooser,
) -> Result<FacesWritten, StoreError> {
    let mut centroids = centroids(connection)?;
    // Old sightings of this content (this asset, or an earlier asset of the same bytes
    // that is gone), to give their people back to the same faces.
    let mut statement = connection.prepare(
            "SELECT f.id, f.time, f.x, f.y, f.width, f.height, f.person_id, f.thumbnail
             FROM faces f
             WHERE f.asset_id = ?1
                OR (f.content_hash = ?2 AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = f.asset_id))",
        )?;
    let previous: Vec<(i64, f64, FaceRect, i64, Option<String>)> = statement
        .query_map(params![asset_id, content_hash], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                FaceRect {
                    x: row.get(2)?,
                    y: row.get(3)?,
                    width: row.get(4)?,
                    height: row.get(5)?,
                },
                row.get(6)?,
                row.get(7)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    drop(statement);
    let stale_thumbnails: Vec<String> = previous
        .iter()
        .filter_map(|(_, _, _, _, thumb)| thumb.clone())
        .filter(|thumb| !faces.iter().any(|f| f.thumbnail.as_ref() == Some(thumb)))
        .collect();
    let mut touched: Vec<i64> = Vec::new();
    for (id, _, _, person, _) in &previous {
        connection.execute("DELETE FROM faces WHERE id = ?1", [id])?;
        touched.push(*person);
    }
    let mut assigned = Vec::with_capacity(faces.len());
    for face in faces {
        let earlier = previous.iter().find(|(_, time, rect, person, _)| {
            same_sighting(*time, rect, face) && centroids.iter().any(|(id, _)| id == person)
        });
        let person = match earlier.map(|(_, _, _, person, _)| *person) {
            Some(person) => person,
            None => match choose_person(&face.embedding, &centroids) {
                Some(person) if centroids.iter().any(|(id, _)| *id == person) => person,
                _ => {
                    connection.execute(
                        "INSERT INTO people (name, centroid, centroid_faces, created_at)
                             VALUES (NULL, ?1, 0, ?2)",
                        params![vector_to_blob(&face.embedding), now_seconds()],
                    )?;
                    let id = connection.last_insert_rowid();
                    centroids.push((id, face.embedding.clone()));
                    id
                }
            },
        };
        connection.execute(
            "INSERT INTO faces (asset_id, content_hash, time, x, y, width, height, sharpness,
                                    embedding, person_id, thumbnail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                asset_id,
                content_hash,
                face.time,
                face.rect.x,
                face.rect.y,
                face.rect.width,
                face.rect.height,
                face.sharpness,
                vector_to_blob(&face.embedding),
                person,
                face.thumbnail,
            ],
        )?;
        refresh_centroid(connection, person)?;
        if let Some((_, centroid)) = centroids.iter_mut().find(|(id, _)| *id == person) {
            *centroid = connection.query_row(
                "SELECT centroid FROM people WHERE id = ?1",
                [person],
                |row| row.get::<_, Vec<u8>>(0).map(|b| vector_from_blob(&b)),
            )?;
        }
        assigned.push(person);
    }
    for person in touched {
        refresh_centroid(connection, person)?;
    }
    Ok(FacesWritten {
        persons: assigned,
        stale_thumbnails,
    })
}

/// Deletes an asset's faces inside the caller's transaction, and the people left with no
/// face. Their thumbnails go with the asset's `thumbs/faces/<asset>/` folder.
fn delete_asset_faces(connection: &Connection, asset_id: &str) -> Result<(), StoreError> {
    delete_faces_of_asset(connection, asset_id, false)
}

/// Deletes the faces of an asset an interrupted run left pending, inside the caller's
/// transaction. A named person it leaves without a face is kept, centroid and all: the rerun
/// re-indexes the file and its faces go back to them by embedding, so the name survives the
/// kill. Unnamed people left without a face go. `remove_orphan_face_thumbnails`
/// drops named people still faceless once the rerun is done (the file never came back).
fn delete_pending_asset_faces(connection: &Connection, asset_id: &str) -> Result<(), StoreError> {
    delete_faces_of_asset(connection, asset_id, true)
}

/// Deletes an asset's faces and the people left with none, except, with `keep_named`, the
/// named ones.
fn delete_faces_of_asset(
    connection: &Connection,
    asset_id: &str,
    keep_named: bool,
) -> Result<(), StoreError> {
    if !has_schema(connection)? {
        return Ok(());
    }
    let mut statement = connection.prepare(
        "SELECT DISTINCT f.person_id, p.name IS NOT NULL FROM faces f
         JOIN people p ON p.id = f.person_id WHERE f.asset_id = ?1",
    )?;
    let people: Vec<(i64, bool)> = statement
        .query_map([asset_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    drop(statement);
    connection.execute("DELETE FROM faces WHERE asset_id = ?1", [asset_id])?;
    for (person, named) in people {
        if keep_named && named && !has_faces(connection, person)? {
            tracing::info!(person, "kept a named person whose faces await a re-index");
            continue;
        }
        refresh_centroid(connection, person)?;
    }
    Ok(())
}

fn has_faces(connection: &Connection, person: i64) -> Result<bool, StoreError> {
    let found: Option<i64> = connection
        .query_row(
            "SELECT 1 FROM faces WHERE person_id = ?1 LIMIT 1",
            [person],
            |row| row.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// Deletes the people with no face left (named ones a killed run kept for its rerun).
fn delete_faceless_people(connection: &Connection) -> Result<(), StoreError> {
    if has_schema(connection)? {
        connection.execute(
            "DELETE FROM people WHERE NOT EXISTS (SELECT 1 FROM faces f WHERE f.person_id = people.id)",
            [],
        )?;
    }
    Ok(())
}

/// Per person, the moments showing them with the touching moments of one file joined into
/// one, as search joins them into one hit: a person seen in two adjacent shots is one hit,
/// so one here. People in no moment are absent.
/// `only`: one person's count, else everyone's.
fn joined_moment_counts(
    connection: &Connection,
    only: Option<i64>,
) -> Result<HashMap<i64, u64>, StoreError> {
    let mut statement = connection.prepare(&format!(
        "SELECT DISTINCT f.person_id, m.asset_id, m.start, m.end FROM faces f
         JOIN moments m ON m.asset_id = f.asset_id AND {}
         WHERE ?1 IS NULL OR f.person_id = ?1
         ORDER BY f.person_id, m.asset_id, m.start, m.end",
        face_in_moment_sql("f.time", "m.start", "m.end")
    ))?;
    let mut rows = statement.query(params![only])?;
    let mut sightings = Vec::new();
    while let Some(row) = rows.next()? {
        sightings.push((row.get(0)?, row.get(1)?, (row.get(2)?, row.get(3)?)));
    }
    Ok(count_joined_moments(sightings))
}

/// Per person, how many hits their moments make, from `(person, asset id, moment window)`
/// rows ordered by person, asset and window: the touching moments of one file count once,
/// as search joins them into one hit. Every engine's count of `PersonSummary::moments`.
pub fn count_joined_moments(
    sightings: impl IntoIterator<Item = (i64, String, (f64, f64))>,
) -> HashMap<i64, u64> {
    let mut counts: HashMap<i64, u64> = HashMap::new();
    // The person, file and window of the hit being joined.
    let mut open: Option<(i64, String, (f64, f64))> = None;
    for (person, asset, window) in sightings {
        if let Some((open_person, open_asset, open_window)) = &mut open
            && *open_person == person
            && *open_asset == asset
            && windows_touch(*open_window, window)
        {
            open_window.1 = open_window.1.max(window.1);
            continue;
        }
        *counts.entry(person).or_insert(0) += 1;
        open = Some((person, asset, window));
    }
    counts
}

/// The thumbnail of person `p`'s best face (largest and sharpest), as an SQL expression.
const PERSON_THUMBNAIL_SQL: &str = "(SELECT thumbnail FROM faces b
     WHERE b.person_id = p.id AND b.thumbnail IS NOT NULL
     ORDER BY b.width * b.height * MIN(b.sharpness, 400.0) DESC LIMIT 1)";

/// A time range of one asset, as a search hit has it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AssetRange<'a> {
    pub asset_id: &'a str,
    pub start: f64,
    pub end: f64,
}

/// The people whose faces lie inside each range, one list per range in the same order;
/// within a list, the person seen most often first. The search's result builder puts them on
/// each hit.
fn people_in_ranges(
    connection: &Connection,
    ranges: &[AssetRange<'_>],
) -> Result<Vec<Vec<PersonInMoment>>, StoreError> {
    if ranges.is_empty() || !has_schema(connection)? {
        return Ok(vec![Vec::new(); ranges.len()]);
    }
    let mut statement = connection.prepare_cached(&format!(
        "SELECT f.person_id, p.name, f.thumbnail FROM faces f JOIN people p ON p.id = f.person_id
         WHERE f.asset_id = ?1 AND {}
         ORDER BY f.person_id, f.thumbnail IS NULL,
                  f.width * f.height * MIN(f.sharpness, 400.0) DESC",
        face_in_moment_sql("f.time", "?2", "?3")
    ))?;
    let mut answer = Vec::with_capacity(ranges.len());
    for range in ranges {
        let rows: Vec<(i64, Option<String>, Option<String>)> = statement
            .query_map(params![range.asset_id, range.start, range.end], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut seen: Vec<(PersonInMoment, usize)> = Vec::new();
        for (id, name, thumbnail) in rows {
            match seen.iter_mut().find(|(person, _)| person.id == id) {
                Some((_, sightings)) => *sightings += 1,
                None => seen.push((
                    PersonInMoment {
                        id,
                        name,
                        thumbnail: thumbnail.as_deref().map(thumbnail_url),
                    },
                    1,
                )),
            }
        }
        seen.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.id.cmp(&b.0.id)));
        answer.push(seen.into_iter().map(|(person, _)| person).collect());
    }
    Ok(answer)
}

/// People and their faces, on the catalog's connection or one transaction of it.
pub struct Faces<'c> {
    db: &'c Connection,
}

impl<'c> Faces<'c> {
    pub(crate) fn on(db: &'c Connection) -> Faces<'c> {
        Faces { db }
    }

    /// Every person's id and centroid, for clustering new faces.
    pub fn centroids(&self) -> Result<Vec<PersonCentroid>, StoreError> {
        centroids(self.db)
    }

    /// Replaces an asset's faces. A face seen before in the same content (same time and
    /// place) goes back to its old person; any other goes to the person `choose_person`
    /// picks from the current centroids, or starts a new person when it picks none.
    pub fn write(
        &self,
        asset_id: &str,
        content_hash: &str,
        faces: &[NewFace],
        choose_person: &PersonChooser,
    ) -> Result<FacesWritten, StoreError> {
        write_faces(self.db, asset_id, content_hash, faces, choose_person)
    }

    /// Deletes an asset's faces, and the people left with no face.
    pub fn delete_of_asset(&self, asset_id: &str) -> Result<(), StoreError> {
        delete_asset_faces(self.db, asset_id)
    }

    /// Deletes the faces of an asset an interrupted run left pending, keeping the named
    /// people it leaves without a face for the rerun.
    pub fn delete_of_pending_asset(&self, asset_id: &str) -> Result<(), StoreError> {
        delete_pending_asset_faces(self.db, asset_id)
    }

    /// Deletes the people with no face left.
    pub fn delete_faceless_people(&self) -> Result<(), StoreError> {
        delete_faceless_people(self.db)
    }

    /// `NotFound` unless the person exists.
    pub fn require_person(&self, person: i64) -> Result<(), StoreError> {
        if person_exists(self.db, person)? {
            Ok(())
        } else {
            Err(no_person(person))
        }
    }

    /// Everyone, or only the person `only`, most faces first.
    pub fn people(&self, only: Option<i64>) -> Result<Vec<PersonSummary>, StoreError> {
        let connection = self.db;
        if !has_schema(connection)? {
            return Ok(Vec::new());
        }
        let moments = joined_moment_counts(connection, only)?;
        let mut statement = connection.prepare(&format!(
            "SELECT p.id, p.name, COUNT(f.id), COUNT(DISTINCT f.asset_id), {PERSON_THUMBNAIL_SQL}
             FROM people p JOIN faces f ON f.person_id = p.id
             WHERE ?1 IS NULL OR p.id = ?1
             GROUP BY p.id ORDER BY COUNT(f.id) DESC, p.id",
        ))?;
        let people = statement
            .query_map(params![only], |row| {
                let id: i64 = row.get(0)?;
                Ok(PersonSummary {
                    id,
                    name: row.get(1)?,
                    faces: row.get::<_, i64>(2)? as u64,
                    assets: row.get::<_, i64>(3)? as u64,
                    moments: moments.get(&id).copied().unwrap_or(0),
                    thumbnail: row
                        .get::<_, Option<String>>(4)?
                        .as_deref()
                        .map(thumbnail_url),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(people)
    }

    /// Everyone with their representative face thumbnail, by id (named or not).
    pub fn everyone(&self) -> Result<Vec<PersonInMoment>, StoreError> {
        if !has_schema(self.db)? {
            return Ok(Vec::new());
        }
        let mut statement = self.db.prepare(&format!(
            "SELECT p.id, p.name, {PERSON_THUMBNAIL_SQL} FROM people p ORDER BY p.id"
        ))?;
        let people = statement
            .query_map([], |row| {
                Ok(PersonInMoment {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    thumbnail: row
                        .get::<_, Option<String>>(2)?
                        .as_deref()
                        .map(thumbnail_url),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(people)
    }

    /// Ids of the moments whose time range shows any of `people`.
    pub fn moments_showing(&self, people: &[i64]) -> Result<Vec<u64>, StoreError> {
        if people.is_empty() || !has_schema(self.db)? {
            return Ok(Vec::new());
        }
        // One query for every person: their ids go in as one JSON array.
        let wanted = serde_json::Value::from(people.to_vec()).to_string();
        let mut statement = self.db.prepare(&format!(
            "SELECT DISTINCT m.id FROM moments m JOIN faces f ON f.asset_id = m.asset_id
             WHERE f.person_id IN (SELECT value FROM json_each(?1)) AND {}
             ORDER BY m.id",
            face_in_moment_sql("f.time", "m.start", "m.end")
        ))?;
        let moments = statement
            .query_map(params![wanted], |row| row.get::<_, i64>(0))?
            .map(|id| id.map(|id| id as u64))
            .collect::<Result<Vec<u64>, _>>()?;
        Ok(moments)
    }

    /// The people whose faces lie inside each range (see `people_in_ranges`).
    pub fn in_ranges(
        &self,
        ranges: &[AssetRange<'_>],
    ) -> Result<Vec<Vec<PersonInMoment>>, StoreError> {
        people_in_ranges(self.db, ranges)
    }

    /// A page of one person's faces (by file and time): at most `limit` from `offset` on,
    /// with how many the person has in all.
    pub fn faces_page(
        &self,
        person: i64,
        offset: usize,
        limit: usize,
    ) -> Result<FacesPage, StoreError> {
        let connection = self.db;
        self.require_person(person)?;
        let total: i64 = connection.query_row(
            "SELECT COUNT(*) FROM faces WHERE person_id = ?1",
            [person],
            |row| row.get(0),
        )?;
        let mut statement = connection.prepare(
            "SELECT f.id, f.person_id, f.asset_id, COALESCE(a.display_path, ''), f.time,
                    f.x, f.y, f.width, f.height, f.thumbnail
             FROM faces f LEFT JOIN assets a ON a.id = f.asset_id
             WHERE f.person_id = ?1 ORDER BY a.display_path, f.time, f.id
             LIMIT ?2 OFFSET ?3",
        )?;
        let as_sql = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let faces = statement
            .query_map(params![person, as_sql(limit), as_sql(offset)], |row| {
                Ok(FaceSummary {
                    id: row.get(0)?,
                    person: row.get(1)?,
                    asset_id: row.get(2)?,
                    path: row.get(3)?,
                    time: row.get(4)?,
                    rect: FaceRect {
                        x: row.get(5)?,
                        y: row.get(6)?,
                        width: row.get(7)?,
                        height: row.get(8)?,
                    },
                    thumbnail: row
                        .get::<_, Option<String>>(9)?
                        .as_deref()
                        .map(thumbnail_url),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(FacesPage {
            total: total as u64,
            faces,
        })
    }

    /// Names a person (`None` clears the name).
    pub fn name(&self, person: i64, name: Option<&str>) -> Result<(), StoreError> {
        self.require_person(person)?;
        self.db.execute(
            "UPDATE people SET name = ?1 WHERE id = ?2",
            params![name, person],
        )?;
        Ok(())
    }

    /// Moves every face of `from` into `into` and deletes `from`. `name`: `Some` names the
    /// merged person (`Some(None)` leaves them unnamed); `None` keeps `into`'s name, or
    /// takes `from`'s when it has none.
    pub fn merge(
        &self,
        into: i64,
        from: i64,
        name: Option<Option<&str>>,
    ) -> Result<(), StoreError> {
        for person in [into, from] {
            self.require_person(person)?;
        }
        match name {
            Some(chosen) => self.db.execute(
                "UPDATE people SET name = ?2 WHERE id = ?1",
                params![into, chosen],
            )?,
            None => self.db.execute(
                "UPDATE people SET name = (SELECT name FROM people WHERE id = ?2)
                 WHERE id = ?1 AND name IS NULL",
                params![into, from],
            )?,
        };
        self.db.execute(
            "UPDATE faces SET person_id = ?1 WHERE person_id = ?2",
            params![into, from],
        )?;
        self.db
            .execute("DELETE FROM people WHERE id = ?1", [from])?;
        refresh_centroid(self.db, into)
    }

    /// Moves one face out of its person into a new, unnamed person of its own; returns the
    /// new person's id. A person's only face stays where it is (`LoneFace`).
    pub fn split(&self, face: i64) -> Result<i64, StoreError> {
        let found: Option<(i64, Vec<u8>)> = if has_schema(self.db)? {
            self.db
                .query_row(
                    "SELECT person_id, embedding FROM faces WHERE id = ?1",
                    [face],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?
        } else {
            None
        };
        let Some((old_person, embedding)) = found else {
            return Err(no_face(face));
        };
        let faces_of_person: i64 = self.db.query_row(
            "SELECT COUNT(*) FROM faces WHERE person_id = ?1",
            [old_person],
            |row| row.get(0),
        )?;
        if faces_of_person <= 1 {
            return Err(StoreError::LoneFace {
                face,
                person: old_person,
            });
        }
        self.db.execute(
            "INSERT INTO people (name, centroid, centroid_faces, created_at) VALUES (NULL, ?1, 1, ?2)",
            params![embedding, now_seconds()],
        )?;
        let new_person = self.db.last_insert_rowid();
        self.db.execute(
            "UPDATE faces SET person_id = ?1 WHERE id = ?2",
            params![new_person, face],
        )?;
        refresh_centroid(self.db, old_person)?;
        Ok(new_person)
    }

    /// The face thumbnails of a person (relative to `thumbs/`).
    pub fn thumbnails_of(&self, person: i64) -> Result<Vec<String>, StoreError> {
        let mut statement = self.db.prepare(
            "SELECT thumbnail FROM faces WHERE person_id = ?1 AND thumbnail IS NOT NULL",
        )?;
        let thumbnails = statement
            .query_map([person], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(thumbnails)
    }

    /// Deletes a person and their faces.
    pub fn delete_person(&self, person: i64) -> Result<(), StoreError> {
        self.db
            .execute("DELETE FROM faces WHERE person_id = ?1", [person])?;
        self.db
            .execute("DELETE FROM people WHERE id = ?1", [person])?;
        Ok(())
    }

    /// Every face thumbnail of a committed asset (relative to `thumbs/`).
    pub fn committed_thumbnails(&self) -> Result<HashSet<String>, StoreError> {
        if !has_schema(self.db)? {
            return Ok(HashSet::new());
        }
        let mut statement = self.db.prepare(
            "SELECT f.thumbnail FROM faces f JOIN assets a ON a.id = f.asset_id
             WHERE a.pending = 0 AND f.thumbnail IS NOT NULL",
        )?;
        let kept = statement
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(kept)
    }
}
