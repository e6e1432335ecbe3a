//! Visual branch and hybrid fusion: query vectors find frames, frames become moments.

use rushes_core::Signal;
use rushes_store::{SearchRequest, StoreError};

use crate::support::*;

/// Three clips whose shots point in different directions of the embedding space.
fn footage() -> Result<(tempfile::TempDir, rushes_store::Index), Box<dyn std::error::Error>> {
    let (dir, index) = fresh_index()?;
    let crane = with_vectors(
        record(video("/footage/day1/crane.mov", 30.0), 3, 10.0),
        &[
            direction(0, 1, 0.1),
            direction(1, 2, 0.1),
            direction(2, 3, 0.1),
        ],
    );
    let mut dolly = with_vectors(
        record(video("/footage/day1/dolly.mov", 30.0), 3, 10.0),
        &[
            direction(3, 4, 0.1),
            direction(4, 5, 0.1),
            direction(5, 6, 0.1),
        ],
    );
    dolly.moments[0].ocr_text = "DOLLY TRACK".into();
    let mut slate = with_vectors(
        record(video("/footage/day2/slate.mov", 20.0), 2, 10.0),
        &[direction(6, 7, 0.1), direction(7, 0, 0.1)],
    );
    slate.moments[1].ocr_text = "DOLLY GRIP".into();
    for item in [&crane, &dolly, &slate] {
        index.put_asset(item)?;
    }
    index.commit()?;
    Ok((dir, index))
}

#[test]
fn a_query_vector_finds_the_moment_of_the_nearest_frame() -> TestResult {
    let (_dir, index) = footage()?;
    let request = SearchRequest {
        text_vector: Some(direction(4, 5, 0.05)),
        limit: 1,
        ..SearchRequest::default()
    };
    let response = index.search(&request)?;
    assert_eq!(
        hit_windows(&response),
        vec![("dolly.mov".to_string(), 10.0, 20.0)]
    );
    assert_eq!(response.hits[0].signals, vec![Signal::Visual]);
    assert_eq!(index.embedding_model()?, Some((MODEL.to_string(), DIM)));
    Ok(())
}

#[test]
fn filters_apply_to_visual_hits() -> TestResult {
    let (_dir, index) = footage()?;
    let request = SearchRequest {
        query: "folder:day2".into(),
        text_vector: Some(direction(4, 5, 0.05)),
        ..SearchRequest::default()
    };
    let response = index.search(&request)?;
    assert!(!response.hits.is_empty());
    assert!(
        response
            .hits
            .iter()
            .all(|hit| hit.asset.path.contains("/day2/")),
        "{response:?}"
    );
    Ok(())
}

#[test]
fn a_moment_matching_both_branches_ranks_first() -> TestResult {
    let (_dir, index) = footage()?;
    // Text alone: both DOLLY moments match. The vector points at slate.mov's second shot.
    let request = SearchRequest {
        query: "dolly".into(),
        text_vector: Some(direction(7, 0, 0.1)),
        ..SearchRequest::default()
    };
    let response = index.search(&request)?;
    let first = response.hits.first().ok_or("no hits")?;
    assert_eq!(
        (first.asset.path.as_str(), first.start, first.end),
        ("/footage/day2/slate.mov", 10.0, 20.0)
    );
    assert_eq!(first.signals, vec![Signal::Ocr, Signal::Visual]);
    assert!(
        response
            .hits
            .iter()
            .skip(1)
            .all(|hit| hit.score < first.score)
    );
    Ok(())
}

#[test]
fn more_like_this_uses_the_nearest_stored_frame() -> TestResult {
    let (_dir, index) = footage()?;
    let crane = index
        .asset_by_path(std::path::Path::new("/footage/day1/crane.mov"))?
        .ok_or("crane missing")?;
    let embedding = index
        .frame_embedding(&crane.id, 14.0)?
        .ok_or("no embedding")?;
    let request = SearchRequest {
        image_vector: Some(embedding),
        limit: 1,
        ..SearchRequest::default()
    };
    let response = index.search(&request)?;
    assert_eq!(
        hit_windows(&response),
        vec![("crane.mov".to_string(), 10.0, 20.0)]
    );
    Ok(())
}

#[test]
fn vectors_of_another_size_are_a_clear_error() -> TestResult {
    let (_dir, index) = footage()?;
    let wrong = with_vectors(
        record(video("/footage/day3/odd.mov", 10.0), 1, 10.0),
        &[vec![1.0; DIM + 4]],
    );
    match index.put_asset(&wrong) {
        Err(error @ StoreError::DimensionMismatch { .. }) => {
            let message = error.to_string();
            assert!(
                message.contains(MODEL) && message.contains("8") && message.contains("12"),
                "{message}"
            );
        }
        other => return Err(format!("expected a dimension mismatch, got {other:?}").into()),
    }
    let request = SearchRequest {
        text_vector: Some(vec![1.0; 3]),
        ..SearchRequest::default()
    };
    assert!(matches!(
        index.search(&request),
        Err(StoreError::DimensionMismatch {
            expected: 8,
            found: 3,
            ..
        })
    ));
    Ok(())
}
