//! Incremental clustering of face embeddings into people: a new face joins the person whose
//! centroid is nearest, when that is within [`SAME_PERSON_DISTANCE`] (dlib's documented
//! threshold for its ResNet embeddings); otherwise it starts a new person. Clustering is one
//! pass over new faces and never revisits old ones.

/// Euclidean distance under which two dlib face embeddings are the same person (dlib: 0.6,
/// 99.38% on LFW).
pub const SAME_PERSON_DISTANCE: f32 = 0.6;

/// A known person as the clusterer sees them: their id and the mean of their faces'
/// embeddings (the store keeps it up to date).
pub type PersonCentroid = (i64, Vec<f32>);

/// Where a face went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Assignment {
    /// Joined a known person at this distance from their centroid.
    Existing { person: i64, distance: f32 },
    /// Too far from everyone: the start of a new person.
    New,
}

pub fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

/// The person a face embedding belongs to among `people`, by nearest centroid within
/// [`SAME_PERSON_DISTANCE`].
pub fn assign(embedding: &[f32], people: &[PersonCentroid]) -> Assignment {
    people
        .iter()
        .filter(|(_, centroid)| centroid.len() == embedding.len())
        .map(|(person, centroid)| (*person, distance(embedding, centroid)))
        .filter(|(_, d)| *d < SAME_PERSON_DISTANCE)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(Assignment::New, |(person, distance)| Assignment::Existing {
            person,
            distance,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_face_joins_the_nearest_person_within_the_threshold_else_starts_a_new_one() {
        let people = vec![(1, vec![0.0, 0.0]), (2, vec![0.5, 0.0])];
        assert!(matches!(
            assign(&[0.4, 0.0], &people),
            Assignment::Existing { person: 2, distance } if (distance - 0.1).abs() < 1e-5
        ));
        assert_eq!(assign(&[0.0, 0.7], &people), Assignment::New);
        assert_eq!(assign(&[0.0, 0.0], &[]), Assignment::New);
    }
}
