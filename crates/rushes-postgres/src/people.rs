//! People on a PostgreSQL library: listing people and their faces, naming, merging,
//! splitting and forgetting them, the `person:` filter's lookups (`people_named`,
//! `moments_showing`) and the centroids clustering reads, as inherent [`PgEngine`] methods
//! with the signatures of the `Index` facade's. The rules, the "face in moment" condition
//! and the messages are the store's (`rushes_store::people`, `catalog::faces`); writing an
//! asset's faces is `faces`'. Each edit is one transaction; forgetting a person deletes their
//! faces, centroid, name and face thumbnails (the `thumbnails` rows) together.

use postgres::GenericClient;
use rushes_core::{FaceRect, PersonInMoment};
use rushes_store::StoreError;
use rushes_store::catalog::faces::{count_joined_moments, face_in_moment_sql, no_face, no_person};
use rushes_store::catalog::sql::now_seconds;
use rushes_store::people::{
    FaceSummary, FacesPage, PersonCentroid, PersonSummary, merge_name, person_name,
};
use rushes_store::person_filter::named_among;
use rushes_store::thumbnail_url;

use crate::PgEngine;
use crate::error::OrStoreError;
use crate::faces::{centroids, refresh_centroid};

/// The thumbnail of person `p`'s best face (largest and sharpest), as an SQL expression
/// (the SQLite catalog's rule; ties go to the older face).
const PERSON_THUMBNAIL_SQL: &str = "(SELECT thumbnail FROM faces b
     WHERE b.person_id = p.id AND b.thumbnail IS NOT NULL
     ORDER BY b.width * b.height * least(b.sharpness, 400.0) DESC, b.id LIMIT 1)";

impl PgEngine {
    /// Every person's id and centroid, for clustering new faces.
    pub fn person_centroids(&self) -> Result<Vec<PersonCentroid>, StoreError> {
        self.reading(|client| centroids(client).or_store_error())
    }

    /// Everyone with at least one face, most faces first.
    pub fn people(&self) -> Result<Vec<PersonSummary>, StoreError> {
        self.reading(|client| people(client, None))
    }

    /// One person, as [`PgEngine::people`] lists them; `None` when nobody has that id (or
    /// no face left).
    pub fn person(&self, id: i64) -> Result<Option<PersonSummary>, StoreError> {
        self.reading(|client| Ok(people(client, Some(id))?.pop()))
    }

    /// A page of one person's faces (by file and time): at most `limit` from `offset` on,
    /// with how many the person has in all.
    pub fn person_faces_page(
        &self,
        person: i64,
        offset: usize,
        limit: usize,
    ) -> Result<FacesPage, StoreError> {
        let as_sql = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.reading(|client| {
            require_person(client, person)?;
            let total: i64 = client
                .query_one(
                    "SELECT count(*) FROM faces WHERE person_id = $1",
                    &[&person],
                )
                .or_store_error()?
                .get(0);
            let faces = client
                .query(
                    "SELECT f.id, f.person_id, f.asset_id, coalesce(a.display_path, ''), f.time,
                         f.x, f.y, f.width, f.height, f.thumbnail
                     FROM faces f LEFT JOIN assets a ON a.id = f.asset_id
                     WHERE f.person_id = $1
                     ORDER BY a.display_path COLLATE \"C\" NULLS FIRST, f.time, f.id
                     LIMIT $2 OFFSET $3",
                    &[&person, &as_sql(limit), &as_sql(offset)],
                )
                .or_store_error()?
                .iter()
                .map(|row| FaceSummary {
                    id: row.get(0),
                    person: row.get(1),
                    asset_id: row.get(2),
                    path: row.get(3),
                    time: row.get(4),
                    rect: FaceRect {
                        x: row.get::<_, i32>(5).max(0) as u32,
                        y: row.get::<_, i32>(6).max(0) as u32,
                        width: row.get::<_, i32>(7).max(0) as u32,
                        height: row.get::<_, i32>(8).max(0) as u32,
                    },
                    thumbnail: row
                        .get::<_, Option<String>>(9)
                        .as_deref()
                        .map(thumbnail_url),
                })
                .collect();
            Ok(FacesPage {
                total: total.max(0) as u64,
                faces,
            })
        })
    }

    /// Names a person (an empty name clears it).
    pub fn name_person(&self, person: i64, name: &str) -> Result<(), StoreError> {
        self.in_transaction(|transaction| {
            require_person(transaction, person)?;
            let name = person_name(name)?;
            transaction
                .execute(
                    "UPDATE people SET name = $1 WHERE id = $2",
                    &[&name, &person],
                )
                .or_store_error()?;
            Ok(())
        })
    }

    /// Moves every face of `from` into `into` and deletes `from`, in one transaction (the
    /// store's `merge_name` rule for the name the merged person keeps).
    pub fn merge_people(&self, into: i64, from: i64, name: Option<&str>) -> Result<(), StoreError> {
        let chosen = merge_name(into, from, name)?;
        self.in_transaction(|transaction| {
            for person in [into, from] {
                require_person(transaction, person)?;
            }
            match chosen {
                Some(chosen) => transaction.execute(
                    "UPDATE people SET name = $2 WHERE id = $1",
                    &[&into, &chosen],
                ),
                None => transaction.execute(
                    "UPDATE people SET name = (SELECT name FROM people WHERE id = $2)
                     WHERE id = $1 AND name IS NULL",
                    &[&into, &from],
                ),
            }
            .or_store_error()?;
            transaction
                .execute(
                    "UPDATE faces SET person_id = $1 WHERE person_id = $2",
                    &[&into, &from],
                )
                .or_store_error()?;
            transaction
                .execute("DELETE FROM people WHERE id = $1", &[&from])
                .or_store_error()?;
            refresh_centroid(transaction, into).or_store_error()?;
            Ok(())
        })
    }

    /// Moves one face out of its person into a new, unnamed person of its own; returns the
    /// new person's id. A person's only face stays where it is (`LoneFace`).
    pub fn split_face(&self, face: i64) -> Result<i64, StoreError> {
        self.in_transaction(|transaction| {
            let Some(row) = transaction
                .query_opt(
                    "SELECT person_id, embedding FROM faces WHERE id = $1 FOR UPDATE",
                    &[&face],
                )
                .or_store_error()?
            else {
                return Err(no_face(face));
            };
            let old_person: i64 = row.get(0);
            let embedding: pgvector::Vector = row.get(1);
            let faces_of_person: i64 = transaction
                .query_one(
                    "SELECT count(*) FROM faces WHERE person_id = $1",
                    &[&old_person],
                )
                .or_store_error()?
                .get(0);
            if faces_of_person <= 1 {
                return Err(StoreError::LoneFace {
                    face,
                    person: old_person,
                });
            }
            let new_person: i64 = transaction
                .query_one(
                    "INSERT INTO people (name, centroid, centroid_faces, created_at)
                     VALUES (NULL, $1, 1, $2) RETURNING id",
                    &[&embedding, &now_seconds()],
                )
                .or_store_error()?
                .get(0);
            transaction
                .execute(
                    "UPDATE faces SET person_id = $1 WHERE id = $2",
                    &[&new_person, &face],
                )
                .or_store_error()?;
            refresh_centroid(transaction, old_person).or_store_error()?;
            Ok(new_person)
        })
    }

    /// Deletes a person for good: their faces, embeddings, centroid, name and face
    /// thumbnails, in one transaction.
    pub fn forget_person(&self, person: i64) -> Result<(), StoreError> {
        self.in_transaction(|transaction| {
            require_person(transaction, person)?;
            let thumbnails: Vec<String> = transaction
                .query(
                    "DELETE FROM faces WHERE person_id = $1 RETURNING thumbnail",
                    &[&person],
                )
                .or_store_error()?
                .iter()
                .filter_map(|row| row.get::<_, Option<String>>(0))
                .collect();
            transaction
                .execute("DELETE FROM people WHERE id = $1", &[&person])
                .or_store_error()?;
            transaction
                .execute(
                    "DELETE FROM thumbnails WHERE name = ANY($1)",
                    &[&thumbnails],
                )
                .or_store_error()?;
            Ok(())
        })
    }

    /// The people `who` names (an id, a whole name or a run of its words), by id, each with
    /// their representative face thumbnail.
    pub fn people_named(&self, who: &str) -> Result<Vec<PersonInMoment>, StoreError> {
        self.reading(|client| {
            let everyone = client
                .query(
                    &format!(
                        "SELECT p.id, p.name, {PERSON_THUMBNAIL_SQL} FROM people p ORDER BY p.id"
                    ),
                    &[],
                )
                .or_store_error()?
                .iter()
                .map(|row| PersonInMoment {
                    id: row.get(0),
                    name: row.get(1),
                    thumbnail: row
                        .get::<_, Option<String>>(2)
                        .as_deref()
                        .map(thumbnail_url),
                })
                .collect();
            Ok(named_among(everyone, who))
        })
    }

    /// Ids of the moments whose time range shows any of `people`.
    pub fn moments_showing(&self, people: &[i64]) -> Result<Vec<u64>, StoreError> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        self.reading(|client| {
            Ok(client
                .query(
                    &format!(
                        "SELECT DISTINCT m.id FROM moments m JOIN faces f ON f.asset_id = m.asset_id
                         WHERE f.person_id = ANY($1) AND {}
                         ORDER BY m.id",
                        face_in_moment_sql("f.time", "m.start_time", "m.end_time")
                    ),
                    &[&people],
                )
                .or_store_error()?
                .iter()
                .map(|row| row.get::<_, i64>(0).max(0) as u64)
                .collect())
        })
    }
}

/// `NotFound` unless the person exists.
fn require_person(client: &mut impl GenericClient, person: i64) -> Result<(), StoreError> {
    match client
        .query_opt("SELECT 1 FROM people WHERE id = $1", &[&person])
        .or_store_error()?
    {
        Some(_) => Ok(()),
        None => Err(no_person(person)),
    }
}

/// Everyone with a face, or only the person `only`, most faces first.
fn people(
    client: &mut impl GenericClient,
    only: Option<i64>,
) -> Result<Vec<PersonSummary>, StoreError> {
    let sightings: Vec<(i64, String, (f64, f64))> = client
        .query(
            &format!(
                "SELECT DISTINCT f.person_id, m.asset_id, m.start_time, m.end_time FROM faces f
                 JOIN moments m ON m.asset_id = f.asset_id AND {}
                 WHERE $1::bigint IS NULL OR f.person_id = $1
                 ORDER BY f.person_id, m.asset_id, m.start_time, m.end_time",
                face_in_moment_sql("f.time", "m.start_time", "m.end_time")
            ),
            &[&only],
        )
        .or_store_error()?
        .iter()
        .map(|row| (row.get(0), row.get(1), (row.get(2), row.get(3))))
        .collect();
    let moments = count_joined_moments(sightings);
    Ok(client
        .query(
            &format!(
                "SELECT p.id, p.name, count(f.id), count(DISTINCT f.asset_id), {PERSON_THUMBNAIL_SQL}
                 FROM people p JOIN faces f ON f.person_id = p.id
                 WHERE $1::bigint IS NULL OR p.id = $1
                 GROUP BY p.id ORDER BY count(f.id) DESC, p.id"
            ),
            &[&only],
        )
        .or_store_error()?
        .iter()
        .map(|row| {
            let id: i64 = row.get(0);
            PersonSummary {
                id,
                name: row.get(1),
                faces: row.get::<_, i64>(2).max(0) as u64,
                assets: row.get::<_, i64>(3).max(0) as u64,
                moments: moments.get(&id).copied().unwrap_or(0),
                thumbnail: row.get::<_, Option<String>>(4).as_deref().map(thumbnail_url),
            }
        })
        .collect())
}
