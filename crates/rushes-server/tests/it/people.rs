//! People over HTTP: `/api/people…`, `/api/faces/{id}/split`, face thumbnails and the people
//! on search hits, against the small test library with real faces in it — dlib's embeddings
//! of the scikit-image astronaut (in the slate clip, both moments) and opencv-doc's
//! messi5.jpg (in the corridor clip), written through the store as ingest writes them.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use rushes_core::AssetId;
use rushes_faces::{Assignment, FaceEngine, FoundFace};
use rushes_store::people::{FACE_THUMBS_DIR, NewFace};
use rushes_store::{Index, Library as _, OpenMode};
use serde_json::{Value, json};

use crate::support::{
    Backend, Library, TestResult, assert_error, get, get_json, library_with, off_runtime, ok_json,
    on_both_backends, post_json, send, send_json, state, state_with,
};

type Error = Box<dyn std::error::Error>;

const ASTRONAUT: &str = "runtime/test-images/astronaut.png";
const MESSI: &str = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The largest face dlib finds in a photo (the portrait's, not a textured patch).
fn largest_face(
    engine: &FaceEngine,
    image: image::RgbImage,
) -> Result<(image::RgbImage, FoundFace), Error> {
    let face = engine
        .detect(&image)?
        .into_iter()
        .max_by_key(|face| face.bbox.width * face.bbox.height)
        .ok_or("no face found")?;
    Ok((image, face))
}

/// The two real faces, detected once per test binary (dlib's models take a while to load).
fn real_faces() -> Result<&'static [(image::RgbImage, FoundFace); 2], Error> {
    static FACES: OnceLock<Result<[(image::RgbImage, FoundFace); 2], String>> = OnceLock::new();
    static LOADING: Mutex<()> = Mutex::new(());
    let _guard = LOADING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    FACES
        .get_or_init(|| {
            let engine = FaceEngine::load(&repo_root().join("models"))
                .map_err(|error| format!("dlib face models (run scripts/setup.sh): {error}"))?;
            let photo = |path: &Path| {
                image::open(path)
                    .map(|image| image.to_rgb8())
                    .map_err(|error| {
                        format!("{} (run scripts/setup.sh test): {error}", path.display())
                    })
            };
            let astronaut = largest_face(&engine, photo(&repo_root().join(ASTRONAUT))?)
                .map_err(|error| format!("astronaut: {error}"))?;
            // Messi's face is about 25 px in the photo: a 4x close-up makes it usable.
            let messi = photo(Path::new(MESSI))?;
            let close_up =
                image::imageops::resize(&messi, 2192, 1368, image::imageops::FilterType::Lanczos3);
            let close_up = image::imageops::crop_imm(&close_up, 700, 100, 1024, 768).to_image();
            let messi =
                largest_face(&engine, close_up).map_err(|error| format!("messi: {error}"))?;
            Ok([astronaut, messi])
        })
        .as_ref()
        .map_err(|error| error.clone().into())
}

/// A face at `time` of `asset_id`, with its thumbnail written under `thumbs/faces/` as
/// ingest writes it.
fn sighting(
    index_dir: &Path,
    asset_id: &str,
    time: f64,
    (frame, face): &(image::RgbImage, FoundFace),
) -> Result<NewFace, Error> {
    let millis = (time * 1000.0).round() as u64;
    let relative = format!("{FACE_THUMBS_DIR}/{asset_id}/{millis}-0.jpg");
    let path = index_dir.join("thumbs").join(&relative);
    std::fs::create_dir_all(path.parent().ok_or("thumbnail folder")?)?;
    face.thumbnail(frame, 96).save(&path)?;
    Ok(NewFace {
        time,
        rect: face.bbox,
        sharpness: face.sharpness,
        embedding: face.embedding.clone(),
        thumbnail: Some(relative),
    })
}

/// The test library with the astronaut at 0.5 s and 2.5 s of the slate (one face in each
/// of its two moments) and Messi at 1 s of the corridor clip, grouped by dlib's distance.
struct People {
    library: Library,
    astronaut: i64,
    messi: i64,
}

fn people_library(backend: Backend) -> Result<People, Error> {
    let found: Mutex<Option<(i64, i64)>> = Mutex::new(None);
    let library = library_with(backend, |library| {
        let [astronaut, messi] = real_faces()?;
        let store = Index::open(&library.index, OpenMode::ReadWrite)?;
        let choose = |embedding: &[f32], people: &[(i64, Vec<f32>)]| match rushes_faces::assign(
            embedding, people,
        ) {
            Assignment::Existing { person, .. } => Some(person),
            Assignment::New => None,
        };
        let slate_id = library.slate.id.to_string();
        let slate_faces = vec![
            sighting(&library.index, &slate_id, 0.5, astronaut)?,
            sighting(&library.index, &slate_id, 2.5, astronaut)?,
        ];
        let slate_people = store.replace_faces(
            &slate_id,
            &library.slate.content_hash,
            &slate_faces,
            &choose,
        )?;
        let avi_id = library.avi.id.to_string();
        let avi_faces = vec![sighting(&library.index, &avi_id, 1.0, messi)?];
        let avi_people =
            store.replace_faces(&avi_id, &library.avi.content_hash, &avi_faces, &choose)?;
        drop(store);
        assert_eq!(slate_people[0], slate_people[1], "one astronaut");
        assert_ne!(slate_people[0], avi_people[0], "two people kept apart");
        *found.lock().map_err(|_| "lock")? = Some((slate_people[0], avi_people[0]));
        Ok(())
    })?;
    let (astronaut, messi) = match &library.database {
        None => found.into_inner().map_err(|_| "lock")?.ok_or("no people")?,
        // A database numbers the people it is given anew: each is the one whose faces are
        // on the same file.
        Some(url) => off_runtime(|| {
            let database = rushes_postgres::PgLibrary::open(url)?;
            let on = |asset: &AssetId| -> Result<i64, Error> {
                for summary in database.people()? {
                    let faces = database.person_faces(summary.id)?;
                    if faces.iter().all(|face| face.asset_id == asset.as_str()) {
                        return Ok(summary.id);
                    }
                }
                Err(format!("no person on {asset}").into())
            };
            Ok((on(&library.slate.id)?, on(&library.avi.id)?))
        })?,
    };
    Ok(People {
        library,
        astronaut,
        messi,
    })
}

fn person(list: &Value, id: i64) -> Option<&Value> {
    list["people"]
        .as_array()?
        .iter()
        .find(|person| person["id"] == id)
}

/// The people ids on the hits of a search, per hit as `(file name, start, [ids])`.
async fn people_on_hits(
    state: &rushes_server::AppState,
    query: &str,
) -> Result<Vec<(String, f64, Vec<i64>)>, Error> {
    let uri = format!(
        "/api/search?q={}",
        query.replace(' ', "%20").replace('"', "%22")
    );
    let page = ok_json(state, &uri).await?;
    let mut rows = Vec::new();
    for hit in page["hits"].as_array().ok_or("hits")? {
        let name = hit["asset"]["path"]
            .as_str()
            .and_then(|path| path.rsplit('/').next())
            .unwrap_or_default()
            .to_string();
        let ids = hit["people"]
            .as_array()
            .ok_or("people on the hit")?
            .iter()
            .filter_map(|person| person["id"].as_i64())
            .collect();
        rows.push((name, hit["start"].as_f64().unwrap_or(-1.0), ids));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    Ok(rows)
}

async fn the_people_list_shows_each_person_with_counts_and_a_face_that_loads(
    backend: Backend,
) -> TestResult {
    let people = people_library(backend)?;
    let state = state(&people.library)?;
    let list = ok_json(&state, "/api/people").await?;
    assert_eq!(list["people"].as_array().map(Vec::len), Some(2), "{list}");
    let astronaut = person(&list, people.astronaut).ok_or("astronaut listed")?;
    assert_eq!(astronaut["faces"], 2);
    // Regression: the list counted the slate's two moments while the person's page showed
    // them joined into one hit (0-4 s); the list says what the page shows.
    assert_eq!(astronaut["moments"], 1);
    assert_eq!(astronaut["assets"], 1);
    assert_eq!(astronaut["name"], Value::Null);
    assert_eq!(astronaut["label"], format!("Person {}", people.astronaut));
    let messi = person(&list, people.messi).ok_or("messi listed")?;
    assert_eq!(
        (messi["faces"].as_u64(), messi["moments"].as_u64()),
        (Some(1), Some(1))
    );
    // Most faces first.
    assert_eq!(list["people"][0]["id"], people.astronaut);
    for listed in list["people"].as_array().ok_or("people")? {
        let page = ok_json(&state, &format!("/api/people/{}", listed["id"])).await?;
        let shown = page["hits"].as_array().map(Vec::len);
        assert_eq!(
            (page["moments_total"].as_u64(), shown.map(|n| n as u64)),
            (listed["moments"].as_u64(), listed["moments"].as_u64()),
            "{listed}"
        );
        assert_eq!(page["person"]["moments"], listed["moments"]);
    }

    let thumbnail = astronaut["thumbnail"].as_str().ok_or("a face thumbnail")?;
    assert!(thumbnail.starts_with("/thumbs/faces/"), "{thumbnail}");
    let response = get(&state, thumbnail).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/jpeg");
    let bytes = crate::support::body_bytes(response).await?;
    let face = image::load_from_memory(&bytes)?;
    assert_eq!((face.width(), face.height()), (96, 96));
    Ok(())
}

async fn a_person_page_has_their_faces_and_playable_moments(backend: Backend) -> TestResult {
    let people = people_library(backend)?;
    let state = state(&people.library)?;
    let page = ok_json(&state, &format!("/api/people/{}", people.astronaut)).await?;
    assert_eq!(page["person"]["id"], people.astronaut);
    let faces = page["faces"].as_array().ok_or("faces")?;
    let times: Vec<f64> = faces.iter().filter_map(|f| f["time"].as_f64()).collect();
    assert_eq!(times, vec![0.5, 2.5]);
    assert!(
        faces
            .iter()
            .all(|f| f["asset_id"] == people.library.slate.id.as_str())
    );
    assert!(faces.iter().all(|f| {
        f["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("slate_take3.mp4"))
    }));
    // The moments are search hits (the same objects), with how to play them.
    let moments: Vec<(f64, f64)> = page["hits"]
        .as_array()
        .ok_or("hits")?
        .iter()
        .map(|hit| {
            (
                hit["start"].as_f64().unwrap_or(-1.0),
                hit["end"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    // Neighbouring moments of one file come back merged, as search merges them: the slate's
    // whole 0-4 s, which holds both faces; nothing of the corridor clip.
    assert_eq!(moments, vec![(0.0, 4.0)]);
    let slate = &page["assets"][people.library.slate.id.as_str()];
    assert_eq!(slate["playback"]["native"], true, "{page}");

    let (status, _) = get_json(&state, "/api/people/9999").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

async fn search_hits_carry_the_people_each_moment_shows(backend: Backend) -> TestResult {
    let people = people_library(backend)?;
    let state = state(&people.library)?;
    let rows = people_on_hits(&state, "kind:video").await?;
    assert_eq!(
        rows,
        vec![
            ("slate_take3.mp4".to_string(), 0.0, vec![people.astronaut]),
            ("vtest_cut.avi".to_string(), 0.0, vec![people.messi]),
        ]
    );
    let page = ok_json(&state, "/api/search?q=corridor").await?;
    let chip = &page["hits"][0]["people"][0];
    assert_eq!(chip["name"], Value::Null);
    let thumbnail = chip["thumbnail"].as_str().ok_or("chip thumbnail")?;
    assert!(
        thumbnail.contains(people.library.avi.id.as_str()),
        "{thumbnail}"
    );
    assert_eq!(get(&state, thumbnail).await?.status(), StatusCode::OK);
    Ok(())
}

async fn a_named_person_is_found_by_name_and_the_name_shows_on_hits(
    backend: Backend,
) -> TestResult {
    let people = people_library(backend)?;
    let state = state(&people.library)?;
    let uri = format!("/api/people/{}/name", people.astronaut);
    let (status, answer) =
        post_json(&state, &uri, json!({"name": "  Eileen (astronaut) "})).await?;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["name"], "Eileen (astronaut)");
    assert_eq!(answer["label"], "Eileen (astronaut)");

    let rows = people_on_hits(&state, "person:\"Eileen\"").await?;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "slate_take3.mp4");
    let page = ok_json(&state, "/api/search?q=scene%2042").await?;
    assert_eq!(page["hits"][0]["people"][0]["name"], "Eileen (astronaut)");

    // An empty name clears it.
    let (status, answer) = post_json(&state, &uri, json!({"name": ""})).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["name"], Value::Null);
    assert!(
        people_on_hits(&state, "person:\"Eileen\"")
            .await?
            .is_empty()
    );
    Ok(())
}

async fn bad_names_and_unknown_people_are_refused_with_a_json_error(
    backend: Backend,
) -> TestResult {
    let people = people_library(backend)?;
    let state = state(&people.library)?;
    let uri = format!("/api/people/{}/name", people.astronaut);
    let too_long = "n".repeat(201);
    for body in [
        json!({"name": too_long}),
        json!({"name": "Maria\nDROP TABLE"}),
        json!({"name": "x\u{0}"}),
        json!({"nom": "Maria"}),
        json!({"name": 12}),
    ] {
        let (status, answer) = post_json(&state, &uri, body.clone()).await?;
        assert!(status.is_client_error(), "{body}: {status}");
        assert!(answer["error"]["message"].is_string(), "{body}: {answer}");
    }
    let request = Request::post(&uri)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("Maria"))?;
    assert!(send(&state, request).await?.status().is_client_error());
    // None of it renamed anyone.
    let list = ok_json(&state, "/api/people").await?;
    assert_eq!(
        person(&list, people.astronaut).ok_or("listed")?["name"],
        Value::Null
    );

    let (status, _) = post_json(&state, "/api/people/9999/name", json!({"name": "Nobody"})).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

async fn hostile_ids_and_face_thumbnail_paths_get_400_or_404_never_a_file(
    backend: Backend,
) -> TestResult {
    let people = people_library(backend)?;
    let state = state(&people.library)?;
    for uri in [
        "/api/people/abc",
        "/api/people/-1",
        "/api/people/0",
        "/api/people/1.5",
        "/api/people/..%2F..%2Fcatalog.sqlite",
        "/api/people/99999999999999999999999",
        "/api/people/%00",
    ] {
        let response = get(&state, uri).await?;
        assert_error(response, StatusCode::BAD_REQUEST, "bad_request").await?;
    }
    let (status, _) = send_json(&state, "POST", "/api/faces/abc/split", None).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send_json(&state, "DELETE", "/api/people/..%2F1", None).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let slate = people.library.slate.id.as_str();
    for uri in [
        format!("/thumbs/faces/{slate}/..%2F..%2F..%2Fcatalog.sqlite"),
        format!("/thumbs/faces/{slate}/500.jpg"),
        format!("/thumbs/faces/{slate}/500-0.jpg%00"),
        format!("/thumbs/faces/{slate}/%2Fetc%2Fpasswd"),
        "/thumbs/faces/..%2F..%2F/500-0.jpg".to_string(),
        "/thumbs/faces/not-an-asset/500-0.jpg".to_string(),
    ] {
        let response = get(&state, &uri).await?;
        assert_error(response, StatusCode::BAD_REQUEST, "bad_request").await?;
    }
    let response = get(&state, &format!("/thumbs/faces/{slate}/777-0.jpg")).await?;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await?;
    let response = get(&state, "/thumbs/faces/../../catalog.sqlite").await?;
    assert_ne!(response.status(), StatusCode::OK);
    Ok(())
}

async fn merging_moves_every_face_and_the_merged_person_is_gone(backend: Backend) -> TestResult {
    let people = people_library(backend)?;
    let state = state(&people.library)?;
    let (status, _) = post_json(
        &state,
        &format!("/api/people/{}/name", people.messi),
        json!({"name": "Leo"}),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let uri = format!("/api/people/{}/merge", people.astronaut);
    let (status, merged) = post_json(&state, &uri, json!({"from": people.messi})).await?;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["faces"], 3);
    // The slate's two moments are one hit, the corridor's the other.
    assert_eq!(merged["moments"], 2);
    // The unnamed person takes the merged one's name.
    assert_eq!(merged["name"], "Leo");
    let list = ok_json(&state, "/api/people").await?;
    assert_eq!(list["people"].as_array().map(Vec::len), Some(1));
    let (status, _) = get_json(&state, &format!("/api/people/{}", people.messi)).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let rows = people_on_hits(&state, "person:Leo").await?;
    let files: Vec<&str> = rows.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(files, vec!["slate_take3.mp4", "vtest_cut.avi"]);
    assert!(
        rows.iter()
            .all(|(_, _, ids)| ids == &vec![people.astronaut])
    );

    let (status, _) = post_json(&state, &uri, json!({"from": people.astronaut})).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "into themselves");
    let (status, _) = post_json(&state, &uri, json!({"from": 9999})).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post_json(&state, &uri, json!({"from": "Leo"})).await?;
    assert!(status.is_client_error());
    Ok(())
}

async fn splitting_a_face_out_makes_a_new_person_of_it(backend: Backend) -> TestResult {
    let people = people_library(backend)?;
    let state = state(&people.library)?;
    let page = ok_json(&state, &format!("/api/people/{}", people.astronaut)).await?;
    let second = page["faces"][1]["id"].as_i64().ok_or("face id")?;
    let (status, answer) =
        send_json(&state, "POST", &format!("/api/faces/{second}/split"), None).await?;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let new_person = answer["person"]["id"].as_i64().ok_or("new person")?;
    assert!(new_person != people.astronaut && new_person != people.messi);
    assert_eq!(answer["person"]["faces"], 1);

    // The slate's (merged) hit now shows both: one face each.
    let rows = people_on_hits(&state, "kind:video").await?;
    let mut slate_people = rows[0].2.clone();
    slate_people.sort_unstable();
    assert_eq!(slate_people, vec![people.astronaut, new_person], "{rows:?}");
    let page = ok_json(&state, &format!("/api/people/{}", people.astronaut)).await?;
    assert_eq!(page["faces"].as_array().map(Vec::len), Some(1));
    let (status, _) = send_json(&state, "POST", "/api/faces/99999/split", None).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn forgetting_a_person_removes_them_their_faces_and_thumbnails() -> TestResult {
    let people = people_library(Backend::Local)?;
    let state = state(&people.library)?;
    let list = ok_json(&state, "/api/people").await?;
    let thumbnail = person(&list, people.messi).ok_or("messi")?["thumbnail"]
        .as_str()
        .ok_or("thumbnail")?
        .to_string();
    let file = people.library.index.join(thumbnail.trim_start_matches('/'));
    assert!(file.is_file(), "{}", file.display());

    let uri = format!("/api/people/{}", people.messi);
    let (status, _) = send_json(&state, "DELETE", &uri, None).await?;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let list = ok_json(&state, "/api/people").await?;
    assert!(person(&list, people.messi).is_none(), "{list}");
    assert!(person(&list, people.astronaut).is_some());
    assert!(!file.exists(), "face thumbnail deleted");
    assert_eq!(
        get(&state, &thumbnail).await?.status(),
        StatusCode::NOT_FOUND
    );
    let rows = people_on_hits(&state, "corridor").await?;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].2.is_empty(), "no chip left: {rows:?}");
    assert!(
        people_on_hits(&state, &format!("person:{}", people.messi))
            .await?
            .is_empty()
    );

    let (status, _) = send_json(&state, "DELETE", &uri, None).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

async fn people_changes_need_the_token_on_a_guarded_server(backend: Backend) -> TestResult {
    const TOKEN: &str = "people-test-token-0123456789abcdef";
    let people = people_library(backend)?;
    let config = rushes_server::ServerConfig {
        access_token: Some(rushes_server::AccessToken::new(TOKEN)?),
        ..rushes_server::ServerConfig::default()
    };
    let state = state_with(&people.library, config)?;
    let name = format!("/api/people/{}/name", people.astronaut);
    let forget = format!("/api/people/{}", people.messi);
    let merge = format!("/api/people/{}/merge", people.astronaut);
    let attempts = [
        ("POST", name.as_str(), Some(json!({"name": "Intruder"}))),
        ("POST", merge.as_str(), Some(json!({"from": people.messi}))),
        ("POST", "/api/faces/1/split", None),
        ("DELETE", forget.as_str(), None),
        ("GET", "/api/people", None),
    ];
    for (method, uri, body) in attempts {
        let (status, answer) = send_json(&state, method, uri, body).await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        assert_eq!(answer["error"]["code"], "unauthorized");
    }
    let list = ok_json(
        &state_with(&people.library, Default::default())?,
        "/api/people",
    )
    .await?;
    assert_eq!(
        list["people"].as_array().map(Vec::len),
        Some(2),
        "nothing changed"
    );
    assert_eq!(
        person(&list, people.astronaut).ok_or("listed")?["name"],
        Value::Null
    );

    let request = Request::post(&name)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name": "Eileen"}"#))?;
    let response = send(&state, request).await?;
    assert_eq!(response.status(), StatusCode::OK);
    Ok(())
}

async fn a_name_matching_two_people_says_so_and_each_hit_names_its_person(
    backend: Backend,
) -> TestResult {
    let people = people_library(backend)?;
    let state = state(&people.library)?;
    for (id, name) in [
        (people.astronaut, "Lionel Eileen"),
        (people.messi, "Lionel Messi"),
    ] {
        let uri = format!("/api/people/{id}/name");
        let (status, _) = post_json(&state, &uri, json!({"name": name})).await?;
        assert_eq!(status, StatusCode::OK);
    }
    let page = ok_json(&state, "/api/search?q=person:lionel").await?;
    let matched: Vec<i64> = page["people_matched"][0]["people"]
        .as_array()
        .ok_or("people_matched")?
        .iter()
        .filter_map(|person| person["id"].as_i64())
        .collect();
    assert_eq!(matched, [people.astronaut, people.messi], "{page}");
    let reasons: Vec<(String, Value)> = page["hits"]
        .as_array()
        .ok_or("hits")?
        .iter()
        .map(|hit| {
            let path = hit["asset"]["path"].as_str().unwrap_or_default();
            let file = path.rsplit('/').next().unwrap_or_default().to_string();
            (file, hit["filters"].clone())
        })
        .collect();
    assert_eq!(reasons.len(), 2, "{page}");
    for (file, filters) in reasons {
        let expected = if file == "slate_take3.mp4" {
            "person:Lionel Eileen"
        } else {
            "person:Lionel Messi"
        };
        assert_eq!(filters, json!([expected]), "{file}");
    }
    let messi_only = ok_json(&state, "/api/search?q=person:messi").await?;
    assert_eq!(
        messi_only["people_matched"][0]["people"][0]["id"],
        people.messi
    );
    assert_eq!(messi_only["hits"].as_array().map(Vec::len), Some(1));
    Ok(())
}

async fn a_merge_takes_the_chosen_name_and_a_person_page_is_paged_with_totals(
    backend: Backend,
) -> TestResult {
    let people = people_library(backend)?;
    let state = state(&people.library)?;
    for (id, name) in [(people.astronaut, "Eileen"), (people.messi, "Leo")] {
        let uri = format!("/api/people/{id}/name");
        post_json(&state, &uri, json!({"name": name})).await?;
    }
    // Into the astronaut, but under the other person's name, as the user chose.
    let uri = format!("/api/people/{}/merge", people.astronaut);
    let (status, merged) =
        post_json(&state, &uri, json!({"from": people.messi, "name": "Leo"})).await?;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(
        (merged["id"].as_i64(), &merged["name"]),
        (Some(people.astronaut), &json!("Leo"))
    );
    assert!(
        ok_json(&state, "/api/search?q=person:Eileen").await?["hits"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    // Three faces and two moments (the slate's, the corridor's), a page of one at a time.
    let base = format!("/api/people/{}", people.astronaut);
    let mut faces = Vec::new();
    let mut moments = Vec::new();
    for offset in 0..3 {
        let page = ok_json(
            &state,
            &format!("{base}?limit=1&offset={offset}&faces_limit=1&faces_offset={offset}"),
        )
        .await?;
        assert_eq!(
            (page["faces_total"].as_u64(), page["moments_total"].as_u64()),
            (Some(3), Some(2))
        );
        faces.extend(page["faces"].as_array().cloned().unwrap_or_default());
        moments.extend(page["hits"].as_array().cloned().unwrap_or_default());
    }
    let all = ok_json(&state, &base).await?;
    assert_eq!(Some(&faces), all["faces"].as_array());
    assert_eq!(Some(&moments), all["hits"].as_array());
    assert_eq!(moments.len(), 2);

    for bad in ["limit=0", "faces_limit=5000", "offset=-1", "colour=red"] {
        let (status, _) = get_json(&state, &format!("{base}?{bad}")).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    Ok(())
}

on_both_backends!(
    the_people_list_shows_each_person_with_counts_and_a_face_that_loads,
    a_person_page_has_their_faces_and_playable_moments,
    search_hits_carry_the_people_each_moment_shows,
    a_named_person_is_found_by_name_and_the_name_shows_on_hits,
    bad_names_and_unknown_people_are_refused_with_a_json_error,
    hostile_ids_and_face_thumbnail_paths_get_400_or_404_never_a_file,
    merging_moves_every_face_and_the_merged_person_is_gone,
    splitting_a_face_out_makes_a_new_person_of_it,
    a_name_matching_two_people_says_so_and_each_hit_names_its_person,
    a_merge_takes_the_chosen_name_and_a_person_page_is_paged_with_totals,
    people_changes_need_the_token_on_a_guarded_server,
);
