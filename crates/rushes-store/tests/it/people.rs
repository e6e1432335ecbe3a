//! People in the store: faces grouped by the caller's choice, named, merged, split, found by
//! `person:` and forgotten without a trace; names survive re-indexing.

use rushes_store::Library;
use rushes_store::people::{FaceRect, NewFace, PersonCentroid};

use crate::support::{TestResult, fresh_index, hit_windows, record, search, video};

/// A stand-in for dlib's 128-d embedding: one person per axis, a little jitter.
fn face_of(person_axis: usize, jitter: f32) -> Vec<f32> {
    let mut vector = vec![0.0; 128];
    vector[person_axis] = 1.0;
    vector[(person_axis + 1) % 128] = jitter;
    vector
}

fn face(time: f64, embedding: Vec<f32>) -> NewFace {
    NewFace {
        time,
        rect: FaceRect {
            x: 100,
            y: 80,
            width: 120,
            height: 140,
        },
        sharpness: 300.0,
        embedding,
        thumbnail: None,
    }
}

/// Nearest centroid within 0.6, like `rushes_faces::assign`.
fn nearest(embedding: &[f32], people: &[PersonCentroid]) -> Option<i64> {
    people
        .iter()
        .map(|(id, centroid)| {
            let gap: f32 = centroid
                .iter()
                .zip(embedding)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f32>()
                .sqrt();
            (*id, gap)
        })
        .filter(|(_, gap)| *gap < 0.6)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}

#[test]
fn people_are_grouped_named_searched_merged_split_and_forgotten() -> TestResult {
    let (dir, index) = fresh_index()?;
    // Two 30 s takes cut into 10 s moments; Maria at 12 s and 15 s of take 1 and at 25 s of
    // take 2, Ben at 3 s of take 2.
    let take1 = record(video("/footage/day1/A001_C001.mov", 30.0), 3, 10.0);
    let take2 = record(video("/footage/day1/A001_C002.mov", 30.0), 3, 10.0);
    index.put_asset(&take1)?;
    index.put_asset(&take2)?;
    index.commit()?;
    let maria = index.replace_faces(
        take1.asset.id.as_str(),
        &take1.asset.content_hash,
        &[face(12.0, face_of(0, 0.1)), face(15.0, face_of(0, 0.2))],
        &nearest,
    )?;
    assert_eq!(maria[0], maria[1]);
    let second = index.replace_faces(
        take2.asset.id.as_str(),
        &take2.asset.content_hash,
        &[face(3.0, face_of(5, 0.0)), face(25.0, face_of(0, 0.15))],
        &nearest,
    )?;
    let (ben, maria_id) = (second[0], maria[0]);
    assert_eq!(second[1], maria_id);
    assert_ne!(ben, maria_id);
    let people = index.people()?;
    assert_eq!(people.len(), 2);
    assert_eq!(
        (people[0].id, people[0].faces, people[0].assets),
        (maria_id, 3, 2)
    );

    index.name_person(maria_id, "Maria (gaffer)")?;
    let found = hit_windows(&search(&index, "person:\"Maria\"")?);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.contains(&("A001_C001.mov".to_string(), 10.0, 20.0)),
        "{found:?}"
    );
    assert!(
        found.contains(&("A001_C002.mov".to_string(), 20.0, 30.0)),
        "{found:?}"
    );
    assert!(hit_windows(&search(&index, "person:nobody")?).is_empty());
    assert!(
        hit_windows(&search(&index, &format!("person:{ben}"))?)
            .iter()
            .all(|(file, start, _)| file == "A001_C002.mov" && *start == 0.0)
    );

    // Re-indexing take 1 (new moment rows, same content): her faces go back to her, by name.
    index.put_asset(&take1)?;
    index.commit()?;
    let again = index.replace_faces(
        take1.asset.id.as_str(),
        &take1.asset.content_hash,
        &[face(12.0, face_of(0, 0.1)), face(15.0, face_of(0, 0.2))],
        &|_: &[f32], _: &[PersonCentroid]| None,
    )?;
    assert_eq!(again, vec![maria_id, maria_id]);
    assert_eq!(index.people()?.len(), 2);
    assert_eq!(index.people()?[0].name.as_deref(), Some("Maria (gaffer)"));

    // Split one face out, merge it back.
    let faces = index.person_faces(maria_id)?;
    let alone = index.split_face(faces[0].id)?;
    assert_eq!(index.people()?.len(), 3);
    index.merge_people(maria_id, alone, None)?;
    assert_eq!(index.people()?.len(), 2);
    assert_eq!(index.person_faces(maria_id)?.len(), 3);
    assert!(index.merge_people(maria_id, maria_id, None).is_err());

    // Forget Ben: nothing of him left, even in the catalog file's free pages.
    index.name_person(ben, "Ben Qzxjname")?;
    index.forget_person(ben)?;
    assert_eq!(index.people()?.len(), 1);
    assert!(index.person_faces(ben).is_err());
    assert!(hit_windows(&search(&index, "person:\"Ben Qzxjname\"")?).is_empty());
    for file in ["catalog.sqlite", "catalog.sqlite-wal"] {
        let bytes = std::fs::read(dir.path().join("index").join(file)).unwrap_or_default();
        assert!(
            !bytes.windows(8).any(|w| w == b"Qzxjname"),
            "the forgotten name is still in {file}"
        );
    }
    Ok(())
}

#[test]
fn each_hit_carries_the_people_its_range_shows_and_a_face_on_a_cut_belongs_to_the_later_moment()
-> TestResult {
    let (_dir, index) = fresh_index()?;
    let take1 = record(video("/footage/day1/A001_C001.mov", 30.0), 3, 10.0);
    let take2 = record(video("/footage/day1/A001_C002.mov", 30.0), 3, 10.0);
    // Maria exactly on the cut at 10 s of take 1 and at 25 s of take 2; Ben at 3 s of take 2.
    let maria = index.put_asset_with_faces(&take1, &[face(10.0, face_of(0, 0.1))], &nearest)?[0];
    let second = index.put_asset_with_faces(
        &take2,
        &[face(3.0, face_of(5, 0.0)), face(25.0, face_of(0, 0.15))],
        &nearest,
    )?;
    index.commit()?;
    let ben = second[0];
    assert_eq!(second[1], maria);
    index.name_person(maria, "Maria (gaffer)")?;

    let found = search(&index, "person:maria")?;
    let shown: Vec<(String, f64, f64, Vec<Option<String>>)> = hit_windows(&found)
        .into_iter()
        .zip(&found.hits)
        .map(|((file, start, end), hit)| {
            let names = hit.people.iter().map(|p| p.name.clone()).collect();
            (file, start, end, names)
        })
        .collect();
    let maria_only = vec![Some("Maria (gaffer)".to_string())];
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(
        shown.contains(&("A001_C001.mov".into(), 10.0, 20.0, maria_only.clone())),
        "{shown:?}"
    );
    assert!(
        shown.contains(&("A001_C002.mov".into(), 20.0, 30.0, maria_only)),
        "{shown:?}"
    );
    let bens = search(&index, &format!("person:{ben}"))?;
    assert_eq!(bens.hits.len(), 1);
    let ids: Vec<i64> = bens.hits[0].people.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![ben]);
    Ok(())
}

#[test]
fn a_removed_file_takes_its_faces_and_the_people_left_without_one_with_it() -> TestResult {
    let (dir, index) = fresh_index()?;
    let take1 = record(video("/footage/day1/A001_C001.mov", 30.0), 3, 10.0);
    let take2 = record(video("/footage/day1/A001_C002.mov", 30.0), 3, 10.0);
    let maria = index.put_asset_with_faces(&take1, &[face(12.0, face_of(0, 0.1))], &nearest)?[0];
    let thumbnail = format!("faces/{}/3000-0.jpg", take2.asset.id);
    let face_thumb = dir.path().join("index/thumbs").join(&thumbnail);
    std::fs::create_dir_all(face_thumb.parent().ok_or("no parent")?)?;
    std::fs::write(&face_thumb, b"jpeg")?;
    let ben_face = NewFace {
        thumbnail: Some(thumbnail),
        ..face(3.0, face_of(5, 0.0))
    };
    let second =
        index.put_asset_with_faces(&take2, &[ben_face, face(25.0, face_of(0, 0.15))], &nearest)?;
    index.commit()?;
    let ben = second[0];
    index.name_person(ben, "Ben")?;
    assert_eq!(index.people()?.len(), 2);

    index.remove_asset(&take2.asset.id)?;
    let people = index.people()?;
    assert_eq!(people.len(), 1, "{people:?}");
    assert_eq!(
        (people[0].id, people[0].faces, people[0].assets),
        (maria, 1, 1)
    );
    assert!(index.person_faces(ben).is_err(), "Ben has no face left");
    assert!(search(&index, "person:ben")?.hits.is_empty());
    assert!(
        !face_thumb.exists(),
        "the removed file's face thumbnails stay"
    );
    Ok(())
}

#[test]
fn faces_written_with_an_asset_are_undone_with_it_when_the_run_dies_before_committing() -> TestResult
{
    let (dir, index) = fresh_index()?;
    let take1 = record(video("/footage/day1/A001_C001.mov", 30.0), 3, 10.0);
    let take2 = record(video("/footage/day1/A001_C002.mov", 30.0), 3, 10.0);
    index.put_asset_with_faces(&take1, &[face(12.0, face_of(0, 0.1))], &nearest)?;
    index.commit()?;
    // Take 2 is written with Ben's face, then the process dies before the commit.
    index.put_asset_with_faces(&take2, &[face(3.0, face_of(5, 0.0))], &nearest)?;
    assert_eq!(index.people()?.len(), 2);
    drop(index);

    let reopened =
        rushes_store::Index::open(&dir.path().join("index"), rushes_store::OpenMode::ReadWrite)?;
    let people = reopened.people()?;
    assert_eq!(people.len(), 1, "{people:?}");
    assert_eq!(people[0].faces, 1);
    Ok(())
}

/// Two people sharing a first name and a third one, each in their own take.
fn three_named_people()
-> Result<(tempfile::TempDir, rushes_store::Index, [i64; 3]), Box<dyn std::error::Error>> {
    let (dir, index) = fresh_index()?;
    let mut ids = [0; 3];
    for (n, (file, name)) in [
        ("/footage/A001_C001.mov", "Lionel Messi"),
        ("/footage/A001_C002.mov", "Lionel Richie"),
        ("/footage/A001_C003.mov", "Maria (gaffer)"),
    ]
    .into_iter()
    .enumerate()
    {
        let take = record(video(file, 20.0), 2, 10.0);
        index.put_asset(&take)?;
        index.commit()?;
        let person = index.replace_faces(
            take.asset.id.as_str(),
            &take.asset.content_hash,
            &[face(12.0, face_of(n * 10, 0.0))],
            &nearest,
        )?[0];
        index.name_person(person, name)?;
        ids[n] = person;
    }
    Ok((dir, index, ids))
}

#[test]
fn person_filter_matches_any_run_of_whole_words_of_a_name_and_says_who_it_matched() -> TestResult {
    let (_dir, index, [messi, richie, maria]) = three_named_people()?;
    // `person:Lionel` matches both Lionels: the answer names them, each hit says which.
    let lionel = search(&index, "person:Lionel")?;
    let files: Vec<String> = hit_windows(&lionel)
        .into_iter()
        .map(|(file, _, _)| file)
        .collect();
    assert_eq!(
        files,
        ["A001_C001.mov", "A001_C002.mov"],
        "same date: by path"
    );
    assert_eq!(lionel.hits.len(), 2, "{:?}", hit_windows(&lionel));
    assert_eq!(lionel.people_matched.len(), 1);
    assert_eq!(lionel.people_matched[0].who, "Lionel");
    let matched: Vec<(i64, Option<&str>)> = lionel.people_matched[0]
        .people
        .iter()
        .map(|p| (p.id, p.name.as_deref()))
        .collect();
    assert_eq!(
        matched,
        [
            (messi, Some("Lionel Messi")),
            (richie, Some("Lionel Richie"))
        ]
    );
    for hit in &lionel.hits {
        let expected = if hit.asset.path.ends_with("C001.mov") {
            "person:Lionel Messi"
        } else {
            "person:Lionel Richie"
        };
        assert_eq!(hit.filters, [expected], "{}", hit.asset.path);
    }
    // A last name, any case, the whole name, a word of a bracketed note, or the id.
    for (query, who) in [
        ("person:messi", messi),
        ("person:\"LIONEL MESSI\"", messi),
        ("person:Richie", richie),
        ("person:gaffer", maria),
        ("person:Maria", maria),
        (&format!("person:{maria}") as &str, maria),
    ] {
        let found = search(&index, query)?;
        let people: Vec<i64> = found.people_matched[0]
            .people
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(people, [who], "{query}");
        assert_eq!(found.hits.len(), 1, "{query}");
        assert!(found.hits[0].people.iter().any(|p| p.id == who), "{query}");
    }
    // Part of a word, or words out of order, match nobody, and the answer says so.
    for query in ["person:Lio", "person:\"Messi Lionel\""] {
        let found = search(&index, query)?;
        assert!(found.hits.is_empty(), "{query}");
        assert!(found.people_matched[0].people.is_empty(), "{query}");
    }
    Ok(())
}

#[test]
fn a_filter_only_listing_shows_its_filters_as_the_reason_and_a_word_search_does_not() -> TestResult
{
    let (_dir, index, _) = three_named_people()?;
    let listing = search(&index, "person:Maria kind:video")?;
    assert_eq!(listing.hits.len(), 1);
    assert_eq!(
        listing.hits[0].filters,
        ["person:Maria (gaffer)", "kind:video"]
    );
    let excluded = search(&index, "-person:Lionel")?;
    assert!(!excluded.hits.is_empty());
    assert!(
        excluded
            .hits
            .iter()
            .all(|hit| hit.filters == ["-person:Lionel"]),
        "{:?}",
        excluded.hits
    );
    // With words to match, the signals say why; no filter reasons are added.
    let worded = search(&index, "A001_C003 person:Maria")?;
    assert!(!worded.hits.is_empty());
    assert!(worded.hits.iter().all(|hit| hit.filters.is_empty()));
    assert!(search(&index, "kind:video")?.people_matched.is_empty());
    Ok(())
}

#[test]
fn a_merge_keeps_the_name_the_user_chooses_and_faces_come_in_pages() -> TestResult {
    let (_dir, index, [messi, richie, maria]) = three_named_people()?;
    // Keep the other person's name: Richie's face joins Messi under Richie's name.
    index.merge_people(messi, richie, Some("Lionel Richie"))?;
    let people = index.people()?;
    assert_eq!(people.len(), 2);
    let merged = people
        .iter()
        .find(|p| p.id == messi)
        .ok_or("merged person")?;
    assert_eq!(merged.name.as_deref(), Some("Lionel Richie"));
    assert_eq!(merged.faces, 2);
    assert_eq!(search(&index, "person:Messi")?.hits.len(), 0);
    assert_eq!(search(&index, "person:Richie")?.hits.len(), 2);
    // Without a choice the target keeps its own; an empty choice leaves them unnamed.
    index.merge_people(maria, messi, None)?;
    assert_eq!(index.people()?[0].name.as_deref(), Some("Maria (gaffer)"));
    let take = record(video("/footage/B001.mov", 20.0), 2, 10.0);
    index.put_asset(&take)?;
    index.commit()?;
    let other = index.replace_faces(
        take.asset.id.as_str(),
        &take.asset.content_hash,
        &[face(2.0, face_of(90, 0.0))],
        &nearest,
    )?[0];
    index.merge_people(maria, other, Some("  "))?;
    assert_eq!(index.people()?[0].name, None);

    // Four faces, paged by two, by file and time, with the total on every page.
    let first = index.person_faces_page(maria, 0, 2)?;
    let second = index.person_faces_page(maria, 2, 2)?;
    let past = index.person_faces_page(maria, 4, 2)?;
    assert_eq!((first.total, second.total, past.total), (4, 4, 4));
    assert_eq!((first.faces.len(), second.faces.len()), (2, 2));
    assert!(past.faces.is_empty());
    let paged: Vec<i64> = first
        .faces
        .iter()
        .chain(&second.faces)
        .map(|f| f.id)
        .collect();
    let all: Vec<i64> = index.person_faces(maria)?.iter().map(|f| f.id).collect();
    assert_eq!(paged, all);
    assert!(index.person_faces_page(9_999, 0, 2).is_err());
    Ok(())
}

/// Regression: a run killed while re-indexing the only file of a named person lost the name
/// (the repair deleted the pending file's faces and the people left without one).
#[test]
fn a_name_held_by_one_file_survives_a_run_killed_while_re_indexing_it() -> TestResult {
    let (dir, index) = fresh_index()?;
    let take = record(video("/footage/day1/A001_C001.mov", 30.0), 3, 10.0);
    let other = record(video("/footage/day1/A001_C002.mov", 30.0), 3, 10.0);
    let maria = index.put_asset_with_faces(&take, &[face(12.0, face_of(0, 0.1))], &nearest)?[0];
    let ben = index.put_asset_with_faces(&other, &[face(3.0, face_of(5, 0.0))], &nearest)?[0];
    index.commit()?;
    index.name_person(maria, "Maria (gaffer)")?;
    let reopen =
        || rushes_store::Index::open(&dir.path().join("index"), rushes_store::OpenMode::ReadWrite);

    // Her file is indexed again (slightly different face), and the run dies before committing.
    index.put_asset_with_faces(&take, &[face(12.5, face_of(0, 0.12))], &nearest)?;
    drop(index);
    let index = reopen()?;
    assert!(
        index.person_centroids()?.iter().any(|(id, _)| *id == maria),
        "kept for the rerun"
    );
    // The rerun puts her face back to her, by its embedding: the name is there.
    let again = index.put_asset_with_faces(&take, &[face(12.5, face_of(0, 0.12))], &nearest)?;
    index.commit()?;
    index.remove_orphan_face_thumbnails()?;
    assert_eq!(again, [maria]);
    let named: Vec<(i64, Option<String>, u64)> = index
        .people()?
        .into_iter()
        .map(|p| (p.id, p.name, p.faces))
        .collect();
    assert!(
        named.contains(&(maria, Some("Maria (gaffer)".into()), 1)),
        "{named:?}"
    );
    assert_eq!(hit_windows(&search(&index, "person:Maria")?).len(), 1);

    // Killed again; this time her file never comes back: once the rerun is done she is gone,
    // and unnamed Ben, killed the same way, is gone at once.
    index.put_asset_with_faces(&take, &[face(12.5, face_of(0, 0.12))], &nearest)?;
    index.put_asset_with_faces(&other, &[face(3.0, face_of(5, 0.0))], &nearest)?;
    drop(index);
    let index = reopen()?;
    let kept: Vec<i64> = index
        .person_centroids()?
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(kept, [maria], "only the named one waits");
    assert!(!kept.contains(&ben));
    index.remove_orphan_face_thumbnails()?;
    assert!(index.person_centroids()?.is_empty());
    assert!(
        search(&index, "person:Maria")?.people_matched[0]
            .people
            .is_empty()
    );
    Ok(())
}

/// (file name, start, end) of a hit.
type Window = (String, f64, f64);

/// Every hit of a `person:` search, however many in one file.
fn every_person_hit(
    index: &rushes_store::Index,
    person: i64,
) -> Result<Vec<Window>, Box<dyn std::error::Error>> {
    let request = rushes_store::SearchRequest {
        limit: 1_000,
        per_asset: 0,
        ..rushes_store::SearchRequest::new(format!("person:{person}"))
    };
    Ok(hit_windows(&index.search(&request)?))
}

/// Regression: the People list counted a person's moments (4) while their page and a
/// `person:` search showed the hits those moments join into (3).
#[test]
fn a_person_in_adjacent_moments_counts_as_many_hits_as_their_search_shows() -> TestResult {
    let (_dir, index) = fresh_index()?;
    // Take 1: four 10 s shots, Maria in the first two (one hit, 0-20 s) and the last (one
    // more); take 2: Maria in its first shot, Ben in its second.
    let take1 = record(video("/footage/day1/A001_C001.mov", 40.0), 4, 10.0);
    let take2 = record(video("/footage/day1/A001_C002.mov", 20.0), 2, 10.0);
    for take in [&take1, &take2] {
        index.put_asset(take)?;
    }
    index.commit()?;
    let maria = index.replace_faces(
        take1.asset.id.as_str(),
        &take1.asset.content_hash,
        &[
            face(5.0, face_of(0, 0.1)),
            face(15.0, face_of(0, 0.2)),
            face(16.0, face_of(0, 0.1)),
            face(35.0, face_of(0, 0.1)),
        ],
        &nearest,
    )?[0];
    let ben = index.replace_faces(
        take2.asset.id.as_str(),
        &take2.asset.content_hash,
        &[face(4.0, face_of(0, 0.15)), face(12.0, face_of(5, 0.0))],
        &nearest,
    )?[1];

    let mut maria_hits = every_person_hit(&index, maria)?;
    maria_hits.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    assert_eq!(
        maria_hits,
        vec![
            ("A001_C001.mov".to_string(), 0.0, 20.0),
            ("A001_C001.mov".to_string(), 30.0, 40.0),
            ("A001_C002.mov".to_string(), 0.0, 10.0),
        ]
    );
    // The list says what the search shows: 3 hits for Maria's 4 moments, 1 for Ben.
    let listed: Vec<(i64, u64, u64)> = index
        .people()?
        .iter()
        .map(|person| (person.id, person.faces, person.moments))
        .collect();
    assert_eq!(listed, vec![(maria, 5, 3), (ben, 1, 1)]);
    assert_eq!(every_person_hit(&index, ben)?.len(), 1);
    Ok(())
}

/// Regression: a filter-only listing stopped joining a long run of neighbouring moments past
/// the 60th or so (its rank-based scores fell below half the first's), and a page of one hit
/// ranked only 100 moments, so a person filmed through 150 one-second shots of one file was
/// two hits, or one cut short at 100 s.
#[test]
fn a_person_through_a_long_run_of_shots_is_one_whole_hit_on_any_page_and_counted_once() -> TestResult
{
    let (_dir, index) = fresh_index()?;
    let take = record(video("/footage/interview.mov", 150.0), 150, 1.0);
    index.put_asset(&take)?;
    index.commit()?;
    let faces: Vec<NewFace> = (0..150)
        .map(|second| face(f64::from(second) + 0.5, face_of(3, 0.0)))
        .collect();
    let person = index.replace_faces(
        take.asset.id.as_str(),
        &take.asset.content_hash,
        &faces,
        &nearest,
    )?[0];
    let whole = vec![("interview.mov".to_string(), 0.0, 150.0)];
    assert_eq!(every_person_hit(&index, person)?, whole);
    let first_page = rushes_store::SearchRequest {
        limit: 1,
        per_asset: 0,
        ..rushes_store::SearchRequest::new(format!("person:{person}"))
    };
    assert_eq!(hit_windows(&index.search(&first_page)?), whole);
    assert_eq!(
        index
            .people()?
            .iter()
            .map(|p| p.moments)
            .collect::<Vec<_>>(),
        vec![1]
    );
    Ok(())
}

/// Regression: splitting a person's only face made a new, unnamed person of it, and the
/// name was gone. It is a no-op now, said with a typed user error.
#[test]
fn splitting_a_persons_only_face_changes_nothing_and_keeps_their_name() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let take = record(video("/footage/day1/A001_C001.mov", 30.0), 3, 10.0);
    index.put_asset(&take)?;
    index.commit()?;
    let ids = index.replace_faces(
        take.asset.id.as_str(),
        &take.asset.content_hash,
        &[face(12.0, face_of(0, 0.1)), face(25.0, face_of(9, 0.0))],
        &nearest,
    )?;
    let ben = ids[1];
    assert_ne!(ids[0], ben, "two people");
    index.name_person(ben, "Ben (boom operator)")?;
    let lone = index.person_faces(ben)?[0].id;

    let refused = index.split_face(lone);
    assert!(
        matches!(refused, Err(rushes_store::StoreError::LoneFace { face, person }) if face == lone && person == ben),
        "{refused:?}"
    );
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("only face of person") && message.contains("keeps their name"),
        "{message}"
    );
    let people = index.people()?;
    assert_eq!(people.len(), 2, "no new person");
    let still_ben = index.person(ben)?.ok_or("Ben is gone")?;
    assert_eq!(still_ben.name.as_deref(), Some("Ben (boom operator)"));
    assert_eq!(still_ben.faces, 1);
    assert_eq!(
        hit_windows(&search(&index, "person:Ben")?),
        vec![("A001_C001.mov".to_string(), 20.0, 30.0)]
    );
    Ok(())
}

/// A person's name holds no control characters, from any caller (the server checked them,
/// the CLI did not): `people list` printed them raw.
#[test]
fn a_person_name_with_control_characters_is_refused() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let take = record(video("/footage/day1/A001_C001.mov", 30.0), 3, 10.0);
    index.put_asset(&take)?;
    index.commit()?;
    let ids = index.replace_faces(
        take.asset.id.as_str(),
        &take.asset.content_hash,
        &[face(2.0, face_of(0, 0.1)), face(12.0, face_of(4, 0.0))],
        &nearest,
    )?;
    index.name_person(ids[0], "Maria")?;
    for bad in ["Ma\nria", "Maria\0", "\u{1b}[2JMaria"] {
        let refused = index.name_person(ids[0], bad);
        assert!(
            refused.as_ref().is_err_and(|e| e.is_user_error()
                && e.to_string() == "a name cannot hold control characters (newlines, tabs, NUL)"),
            "{bad:?}: {refused:?}"
        );
        assert!(index.merge_people(ids[0], ids[1], Some(bad)).is_err());
    }
    assert_eq!(
        index.people()?.len(),
        2,
        "the refused merges changed nothing"
    );
    assert_eq!(
        index.person(ids[0])?.and_then(|p| p.name).as_deref(),
        Some("Maria")
    );
    Ok(())
}
