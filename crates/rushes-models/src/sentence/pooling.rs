//! Pooling token embeddings into one vector per text, as sentence-transformers' Pooling
//! module does: the mean over the tokens the attention mask keeps, or the first token.

use ndarray::{Array2, ArrayView2, ArrayView3, Axis};

/// How token embeddings become a sentence embedding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Mean over the tokens whose attention mask is 1.
    Mean,
    /// The first token's ([CLS]) embedding.
    Cls,
}

impl std::str::FromStr for Pooling {
    type Err = String;

    fn from_str(text: &str) -> Result<Pooling, String> {
        match text {
            "mean" => Ok(Pooling::Mean),
            "cls" => Ok(Pooling::Cls),
            other => Err(format!("sentence pooling {other:?} is not mean or cls")),
        }
    }
}

/// One vector per row of `tokens` [batch, sequence, dim]; `mask` is [batch, sequence].
/// A row whose mask is all zero pools to zeros.
pub fn pool(tokens: ArrayView3<f32>, mask: ArrayView2<i64>, pooling: Pooling) -> Array2<f32> {
    let (batch, _, dim) = tokens.dim();
    let mut out = Array2::<f32>::zeros((batch, dim));
    for (row, (text, keep)) in tokens
        .axis_iter(Axis(0))
        .zip(mask.axis_iter(Axis(0)))
        .enumerate()
    {
        let mut target = out.row_mut(row);
        match pooling {
            Pooling::Cls => target.assign(&text.row(0)),
            Pooling::Mean => {
                let mut count = 0.0f32;
                for (token, &m) in text.axis_iter(Axis(0)).zip(keep.iter()) {
                    if m != 0 {
                        target += &token;
                        count += 1.0;
                    }
                }
                target /= count.max(1e-9);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, array};

    #[test]
    fn mean_pooling_ignores_padding() {
        // Two tokens kept, the third is padding with a huge value that must not leak in.
        let tokens = Array3::from_shape_vec((1, 3, 2), vec![1.0, 2.0, 3.0, 6.0, 100.0, 100.0])
            .expect("shape");
        let pooled = pool(tokens.view(), array![[1i64, 1, 0]].view(), Pooling::Mean);
        assert_eq!(pooled, array![[2.0f32, 4.0]]);
        let cls = pool(tokens.view(), array![[1i64, 1, 0]].view(), Pooling::Cls);
        assert_eq!(cls, array![[1.0f32, 2.0]]);
        let none = pool(tokens.view(), array![[0i64, 0, 0]].view(), Pooling::Mean);
        assert_eq!(none, array![[0.0f32, 0.0]]);
        assert!("max".parse::<Pooling>().is_err());
    }
}
