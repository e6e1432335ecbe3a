//! People and faces in PostgreSQL, on the caller's transaction: an asset's faces written
//! with the rest of its rows (each face keeps the person of the same sighting in an earlier
//! version of the file, else `choose_person` picks one among the centroids, else a new
//! person), people's centroids kept the mean of their faces (`avg` over pgvector), and an
//! asset's faces deleted with the people left with none. The rules are the SQLite
//! catalog's (`rushes-store/src/catalog/faces.rs`).

use pgvector::Vector;
use postgres::GenericClient;
use rushes_core::FaceRect;
use rushes_store::catalog::faces::{
    FacesWritten, NewFace, PersonCentroid, PersonChooser, same_sighting,
};
use rushes_store::catalog::sql::now_seconds;

use crate::PostgresError;

/// One face already stored for this content: id, time, box, person, thumbnail.
struct Sighting {
    id: i64,
    time: f64,
    rect: FaceRect,
    person: i64,
    thumbnail: Option<String>,
}

pub(crate) fn centroids(
    client: &mut impl GenericClient,
) -> Result<Vec<PersonCentroid>, PostgresError> {
    Ok(client
        .query("SELECT id, centroid FROM people ORDER BY id", &[])?
        .iter()
        .map(|row| (row.get(0), row.get::<_, Vector>(1).to_vec()))
        .collect())
}

/// Sets a person's centroid to the mean of their faces, or deletes them when they have none.
/// Returns the new centroid.
pub(crate) fn refresh_centroid(
    client: &mut impl GenericClient,
    person: i64,
) -> Result<Option<Vec<f32>>, PostgresError> {
    let row = client.query_opt(
        "UPDATE people p SET centroid = f.mean, centroid_faces = f.count
         FROM (SELECT avg(embedding) AS mean, count(*)::int AS count FROM faces
               WHERE person_id = $1 HAVING count(*) > 0) f
         WHERE p.id = $1 RETURNING p.centroid",
        &[&person],
    )?;
    match row {
        Some(row) => Ok(Some(row.get::<_, Vector>(0).to_vec())),
        None => {
            client.execute("DELETE FROM people WHERE id = $1", &[&person])?;
            Ok(None)
        }
    }
}

/// Replaces the faces of an asset with `faces` (see the module's rules).
pub(crate) fn write_faces(
    client: &mut impl GenericClient,
    asset_id: &str,
    content_hash: &str,
    faces: &[NewFace],
    choose_person: &PersonChooser,
) -> Result<FacesWritten, PostgresError> {
    let mut centroids = centroids(client)?;
    // Old sightings of this content (this asset, or an earlier asset of the same bytes
    // that is gone), to give their people back to the same faces.
    let previous: Vec<Sighting> = client
        .query(
            "SELECT f.id, f.time, f.x, f.y, f.width, f.height, f.person_id, f.thumbnail
             FROM faces f
             WHERE f.asset_id = $1
                OR (f.content_hash = $2
                    AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = f.asset_id))",
            &[&asset_id, &content_hash],
        )?
        .iter()
        .map(|row| Sighting {
            id: row.get(0),
            time: row.get(1),
            rect: FaceRect {
                x: row.get::<_, i32>(2).max(0) as u32,
                y: row.get::<_, i32>(3).max(0) as u32,
                width: row.get::<_, i32>(4).max(0) as u32,
                height: row.get::<_, i32>(5).max(0) as u32,
            },
            person: row.get(6),
            thumbnail: row.get(7),
        })
        .collect();
    let stale_thumbnails: Vec<String> = previous
        .iter()
        .filter_map(|sighting| sighting.thumbnail.clone())
        .filter(|thumb| !faces.iter().any(|f| f.thumbnail.as_ref() == Some(thumb)))
        .collect();
    let ids: Vec<i64> = previous.iter().map(|sighting| sighting.id).collect();
    client.execute("DELETE FROM faces WHERE id = ANY($1)", &[&ids])?;
    let mut assigned = Vec::with_capacity(faces.len());
    for face in faces {
        let earlier = previous.iter().find(|sighting| {
            same_sighting(sighting.time, &sighting.rect, face)
                && centroids.iter().any(|(id, _)| *id == sighting.person)
        });
        let embedding = Vector::from(face.embedding.clone());
        let person = match earlier.map(|sighting| sighting.person) {
            Some(person) => person,
            None => match choose_person(&face.embedding, &centroids) {
                Some(person) if centroids.iter().any(|(id, _)| *id == person) => person,
                _ => {
                    let id: i64 = client
                        .query_one(
                            "INSERT INTO people (name, centroid, centroid_faces, created_at)
                             VALUES (NULL, $1, 0, $2) RETURNING id",
                            &[&embedding, &now_seconds()],
                        )?
                        .get(0);
                    centroids.push((id, face.embedding.clone()));
                    id
                }
            },
        };
        client.execute(
            "INSERT INTO faces (asset_id, content_hash, time, x, y, width, height, sharpness,
                 embedding, person_id, thumbnail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &asset_id,
                &content_hash,
                &face.time,
                &(face.rect.x as i32),
                &(face.rect.y as i32),
                &(face.rect.width as i32),
                &(face.rect.height as i32),
                &(face.sharpness as f32),
                &embedding,
                &person,
                &face.thumbnail,
            ],
        )?;
        if let Some(centroid) = refresh_centroid(client, person)?
            && let Some((_, known)) = centroids.iter_mut().find(|(id, _)| *id == person)
        {
            *known = centroid;
        }
        assigned.push(person);
    }
    for sighting in &previous {
        refresh_centroid(client, sighting.person)?;
    }
    Ok(FacesWritten {
        persons: assigned,
        stale_thumbnails,
    })
}

/// Deletes an asset's faces and the people left with none.
pub(crate) fn delete_asset_faces(
    client: &mut impl GenericClient,
    asset_id: &str,
) -> Result<(), PostgresError> {
    let people: Vec<i64> = client
        .query(
            "DELETE FROM faces WHERE asset_id = $1 RETURNING person_id",
            &[&asset_id],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut people = people;
    people.sort_unstable();
    people.dedup();
    for person in people {
        refresh_centroid(client, person)?;
    }
    Ok(())
}
