//! The JSON API of people (issue 10): the people found in the footage
//! (`/api/people...`: list, one person with their faces and moments, name, merge, forget),
//! splitting a face out (`/api/faces/{id}/split`), face thumbnails
//! (`/thumbs/faces/{asset}/{file}`). The people of each search hit come with the hit from
//! the store. Grouping faces into people is ingest's; the tables are the store's
//! (`rushes_store::people`).

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rushes_core::AssetId;
use rushes_store::people::{FACE_THUMBS_DIR, FaceSummary, PersonSummary};
use rushes_store::{Library, SearchRequest};
use serde::{Deserialize, Serialize};

use crate::api::MAX_LIMIT;
use crate::api::{SearchPage, check_limit, check_offset, search_page};
use crate::error::ApiError;
use crate::error::store_error;
use crate::state::AppState;
use crate::thumbs::{ThumbnailCaching, serve_thumbnail};
use crate::workflow_api::{with_reader, with_writer};
use rushes_search::Searcher;

/// Longest name a person may be given, in characters.
pub const MAX_PERSON_NAME_CHARS: usize = 200;

/// One person as the People page lists them.
#[derive(Debug, Serialize)]
pub struct PersonView {
    pub id: i64,
    pub name: Option<String>,
    /// The name, or "Person <id>" for someone not named yet.
    pub label: String,
    pub faces: u64,
    /// Distinct files the person appears in.
    pub assets: u64,
    /// Hits showing the person: their moments with neighbouring ones of a file joined, as
    /// a `person:<id>` search and their page list them.
    pub moments: u64,
    /// URL of the representative face thumbnail.
    pub thumbnail: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PeopleList {
    pub people: Vec<PersonView>,
}

/// `GET /api/people/{id}`: the person, a page of their faces and a page of the moments that
/// show them (the same hit objects as a search for `person:<id>`), each with its total.
#[derive(Debug, Serialize)]
pub struct PersonPage {
    pub person: PersonView,
    pub faces: Vec<FaceSummary>,
    pub faces_total: u64,
    pub faces_offset: usize,
    /// Hits (moments, neighbours merged) showing the person, across every page.
    pub moments_total: u64,
    #[serde(flatten)]
    pub moments: SearchPage,
}

/// Faces per page of a person when the request does not say.
const DEFAULT_FACES_PAGE: usize = 100;
/// Most faces one page may ask for.
const MAX_FACES_PAGE: usize = 1000;
/// Moments per page of a person when the request does not say.
const DEFAULT_MOMENTS_PAGE: usize = 50;

/// `?offset=&limit=` page the person's moments, `?faces_offset=&faces_limit=` their faces.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonPaging {
    offset: Option<usize>,
    limit: Option<usize>,
    faces_offset: Option<usize>,
    faces_limit: Option<usize>,
}

/// Where each of a person page's two lists starts and how long it is, checked.
struct PersonPageBounds {
    moments: (usize, usize),
    faces: (usize, usize),
}

impl PersonPaging {
    fn bounds(&self) -> Result<PersonPageBounds, ApiError> {
        Ok(PersonPageBounds {
            moments: (
                check_offset(self.offset)?,
                check_limit(self.limit, DEFAULT_MOMENTS_PAGE, MAX_LIMIT)?,
            ),
            faces: (
                check_offset(self.faces_offset)?,
                check_limit(self.faces_limit, DEFAULT_FACES_PAGE, MAX_FACES_PAGE)?,
            ),
        })
    }
}

/// The label of a person without a name.
fn label(id: i64, name: Option<&str>) -> String {
    match name {
        Some(name) => name.to_string(),
        None => format!("Person {id}"),
    }
}

/// How the People page shows `person`.
fn person_view_of(person: PersonSummary) -> PersonView {
    PersonView {
        label: label(person.id, person.name.as_deref()),
        id: person.id,
        name: person.name,
        faces: person.faces,
        assets: person.assets,
        moments: person.moments,
        thumbnail: person.thumbnail,
    }
}

fn people_views(index: &dyn Library) -> Result<Vec<PersonView>, ApiError> {
    let people = index.people().map_err(store_error)?;
    Ok(people.into_iter().map(person_view_of).collect())
}

fn person_view(index: &dyn Library, id: i64) -> Result<PersonView, ApiError> {
    index
        .person(id)
        .map_err(store_error)?
        .map(person_view_of)
        .ok_or_else(|| ApiError::not_found(format!("no person {id} in this index")))
}

/// A person or face id from the URL: a positive integer, else 400.
fn parse_id(segment: Result<UrlPath<String>, PathRejection>, what: &str) -> Result<i64, ApiError> {
    let UrlPath(text) = segment?;
    match text.parse::<i64>() {
        Ok(id) if id > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err(ApiError::bad_request(format!(
            "not a {what} id (a positive whole number)"
        ))),
    }
}

fn person_page(
    searcher: &Searcher,
    id: i64,
    bounds: &PersonPageBounds,
) -> Result<PersonPage, ApiError> {
    let index = searcher.index();
    let person = person_view(index, id)?;
    let (faces_offset, faces_limit) = bounds.faces;
    let faces = index
        .person_faces_page(id, faces_offset, faces_limit)
        .map_err(store_error)?;
    // One page of their moments, however many in one file; the store counts them all.
    let (offset, limit) = bounds.moments;
    let request = SearchRequest {
        query: format!("person:{id}"),
        offset,
        limit,
        per_asset: 0,
        ..SearchRequest::default()
    };
    let moments = search_page(searcher.search(&request)?, offset, limit);
    Ok(PersonPage {
        moments_total: person.moments,
        person,
        faces: faces.faces,
        faces_total: faces.total,
        faces_offset,
        moments,
    })
}

// ------------------------------------------------------------------ reads

/// `GET /api/people`: everyone found, most faces first.
pub async fn list_people(State(state): State<AppState>) -> Result<Json<PeopleList>, ApiError> {
    let people = with_reader(&state, people_views).await?;
    Ok(Json(PeopleList { people }))
}

/// `GET /api/people/{id}?offset=&limit=&faces_offset=&faces_limit=`
pub async fn show_person(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
    paging: Result<Query<PersonPaging>, QueryRejection>,
) -> Result<Json<PersonPage>, ApiError> {
    let id = parse_id(segment, "person")?;
    let Query(paging) = paging?;
    let bounds = paging.bounds()?;
    let searcher = state.searcher();
    let page = tokio::task::spawn_blocking(move || person_page(&searcher, id, &bounds))
        .await
        .map_err(|error| ApiError::internal("person page task", error))??;
    Ok(Json(page))
}

// ------------------------------------------------------------------ writes

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameRequest {
    /// The new name; an empty one clears it.
    name: String,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.chars().count() > MAX_PERSON_NAME_CHARS {
        return Err(ApiError::bad_request(format!(
            "a name is at most {MAX_PERSON_NAME_CHARS} characters"
        )));
    }
    // The store refuses control characters for every caller; said here before the write.
    rushes_store::workflow::check_label(name, "a name")
        .map_err(|error| ApiError::bad_request(error.to_string()))
}

/// `POST /api/people/{id}/name {"name"}`: names (or, with "", un-names) a person.
pub async fn name_person(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
    payload: Result<Json<NameRequest>, JsonRejection>,
) -> Result<Json<PersonView>, ApiError> {
    let id = parse_id(segment, "person")?;
    let Json(request) = payload?;
    check_name(&request.name)?;
    with_writer(&state, move |index| index.name_person(id, &request.name)).await?;
    Ok(Json(
        with_reader(&state, move |index| person_view(index, id)).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The person whose faces move into the one in the URL; they are gone afterwards.
    from: i64,
    /// The merged person's name, when the user chose one (either name, or a new one; ""
    /// leaves them unnamed). Absent: the one in the URL keeps theirs, or takes `from`'s.
    #[serde(default)]
    name: Option<String>,
}

/// `POST /api/people/{id}/merge {"from", "name"?}`: moves every face of `from` into `id`.
pub async fn merge_people(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
    payload: Result<Json<MergeRequest>, JsonRejection>,
) -> Result<Json<PersonView>, ApiError> {
    let into = parse_id(segment, "person")?;
    let Json(MergeRequest { from, name }) = payload?;
    if from <= 0 {
        return Err(ApiError::bad_request(
            "from must be a person id (a positive whole number)",
        ));
    }
    if let Some(name) = &name {
        check_name(name)?;
    }
    with_writer(&state, move |index| {
        index.merge_people(into, from, name.as_deref())
    })
    .await?;
    Ok(Json(
        with_reader(&state, move |index| person_view(index, into)).await?,
    ))
}

#[derive(Debug, Serialize)]
pub struct SplitAnswer {
    /// The new person the face now belongs to, alone.
    pub person: PersonView,
}

/// `POST /api/faces/{id}/split`: moves one face out into a new person of its own.
pub async fn split_face(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
) -> Result<Json<SplitAnswer>, ApiError> {
    let face = parse_id(segment, "face")?;
    let person = with_writer(&state, move |index| index.split_face(face)).await?;
    let person = with_reader(&state, move |index| person_view(index, person)).await?;
    Ok(Json(SplitAnswer { person }))
}

/// `DELETE /api/people/{id}`: forgets a person for good (faces, embeddings, name, face
/// thumbnails). 204.
pub async fn forget_person(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(segment, "person")?;
    with_writer(&state, move |index| index.forget_person(id)).await?;
    tracing::info!(person = id, "person forgotten");
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------ face thumbnails

/// True for `<millis>-<n>.jpg`: the only face thumbnail names ingest writes.
pub fn is_face_thumbnail_name(name: &str) -> bool {
    let Some((millis, number)) = name
        .strip_suffix(".jpg")
        .and_then(|stem| stem.split_once('-'))
    else {
        return false;
    };
    let digits = |text: &str| {
        !text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit())
    };
    digits(millis) && digits(number)
}

/// `GET /thumbs/faces/{asset}/{file}`: a face thumbnail, by asset id and a strictly checked
/// file name, so no request can name a file outside the face thumbnails folder.
pub async fn get_face_thumbnail(
    State(state): State<AppState>,
    segments: Result<UrlPath<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let UrlPath((asset, file)) = segments?;
    let asset = AssetId::parse(&asset).ok_or_else(|| ApiError::bad_request("not an asset id"))?;
    if !is_face_thumbnail_name(&file) {
        return Err(ApiError::bad_request("not a face thumbnail file name"));
    }
    // A forgotten person's faces must not linger in caches.
    let caching = ThumbnailCaching {
        cache_control: "no-store",
        missing: "no such face thumbnail",
    };
    let relative = format!("{FACE_THUMBS_DIR}/{asset}/{file}");
    serve_thumbnail(&state, relative, &headers, caching).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn face_thumbnail_names_are_checked_strictly() {
        assert!(is_face_thumbnail_name("12500-0.jpg"));
        assert!(is_face_thumbnail_name("0-12.jpg"));
        for bad in [
            "",
            "12500.jpg",
            "-0.jpg",
            "1-.jpg",
            "1-2-3.jpg",
            "../1-0.jpg",
            "1-0.jpg/",
            "1-0.png",
            "1-0.jpg\0",
            "..%2f1-0.jpg",
        ] {
            assert!(!is_face_thumbnail_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn unnamed_people_are_labelled_by_id() {
        assert_eq!(label(12, None), "Person 12");
        assert_eq!(label(3, Some("Maria (gaffer)")), "Maria (gaffer)");
    }

    #[test]
    fn names_are_bounded_and_printable() {
        assert!(check_name("Maria (gaffer)").is_ok());
        assert!(check_name("").is_ok());
        assert!(check_name(&"é".repeat(MAX_PERSON_NAME_CHARS)).is_ok());
        assert!(check_name(&"é".repeat(MAX_PERSON_NAME_CHARS + 1)).is_err());
        assert!(check_name("Maria\nDROP").is_err());
    }
}
