//! Faces as every layer sees them: the box of a face in frame pixels (found by
//! `rushes-faces`, stored by `rushes-store`) and a person shown by a search hit. Detection,
//! grouping and the tables are not here.

use serde::{Deserialize, Serialize};

/// A face's box in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceRect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl FaceRect {
    /// Intersection over union of two boxes, 0 to 1.
    pub fn overlap(&self, other: &FaceRect) -> f32 {
        let left = self.x.max(other.x);
        let top = self.y.max(other.y);
        let right = (self.x + self.width).min(other.x + other.width);
        let bottom = (self.y + self.height).min(other.y + other.height);
        if right <= left || bottom <= top {
            return 0.0;
        }
        let inter = f64::from(right - left) * f64::from(bottom - top);
        let union = f64::from(self.width) * f64::from(self.height)
            + f64::from(other.width) * f64::from(other.height)
            - inter;
        (inter / union) as f32
    }
}

/// A person seen in a hit's time range: what a face chip on a result card shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonInMoment {
    pub id: i64,
    pub name: Option<String>,
    /// URL path of this person's best face thumbnail inside the moment.
    pub thumbnail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_intersection_over_union() {
        let a = FaceRect {
            x: 0,
            y: 0,
            width: 10,
            height: 10,
        };
        let b = FaceRect { x: 5, ..a };
        let far = FaceRect { x: 20, ..a };
        assert_eq!(a.overlap(&a), 1.0);
        assert!((a.overlap(&b) - 50.0 / 150.0).abs() < 1e-6);
        assert_eq!(a.overlap(&far), 0.0);
    }
}
