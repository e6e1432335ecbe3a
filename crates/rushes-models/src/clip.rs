//! CLIP-family embeddings: an image encoder and a text encoder that map into one space,
//! driven entirely by the manifest (input size, resize mode, mean/std, tokenizer, context
//! length, embedding size) so SigLIP or MobileCLIP exports load the same way. Outputs are
//! L2-normalised f32 rows. Does not own tagging or search.

use std::path::{Path, PathBuf};

use image::RgbImage;
use ndarray::{Array2, Array4, ArrayView2, Axis};
use ort::value::TensorRef;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::ModelError;
use crate::manifest::{ImageEncoderSpec, Manifest, TASK_IMAGE_TEXT_EMBEDDING, TextEncoderSpec};
use crate::session::{Graph, GraphId};
use crate::store::{ModelState, ModelStore};

/// The model `ClipModel::find_installed` prefers when several are installed.
pub const PREFERRED_MODEL: &str = "clip-vit-b32";

/// Largest batch sent to a graph whose batch dimension is dynamic.
const MAX_DYNAMIC_BATCH: usize = 16;

/// Turns images into embedding rows.
pub trait ImageEmbedder {
    /// Name of the model (the manifest name), stored with the vectors.
    fn name(&self) -> &str;
    fn dim(&self) -> usize;
    /// One L2-normalised row per image.
    fn embed_images(&mut self, images: &[RgbImage]) -> Result<Array2<f32>, ModelError>;
}

/// Turns texts into embedding rows in the same space as the paired image embedder.
pub trait TextEmbedder {
    fn dim(&self) -> usize;
    /// One L2-normalised row per text.
    fn embed_texts(&mut self, texts: &[&str]) -> Result<Array2<f32>, ModelError>;
}

/// The image half of a CLIP-style model.
#[derive(Debug)]
pub struct ClipImageEncoder {
    name: String,
    graph: Graph,
    spec: ImageEncoderSpec,
    dim: usize,
    batch: usize,
}

/// The text half of a CLIP-style model.
#[derive(Debug)]
pub struct ClipTextEncoder {
    graph: Graph,
    spec: TextEncoderSpec,
    tokenizer: ClipTokenizer,
    feed_attention_mask: bool,
    dim: usize,
    batch: usize,
}

/// Both halves of a CLIP-style model; `split` them to use them from different places.
#[derive(Debug)]
pub struct ClipModel {
    image: ClipImageEncoder,
    text: ClipTextEncoder,
}

impl ClipModel {
    /// Loads the model `name` from the store, with `threads` intra-op threads per graph
    /// (0 = ONNX Runtime's default).
    pub fn load(store: &ModelStore, name: &str, threads: usize) -> Result<ClipModel, ModelError> {
        let manifest = embedding_manifest(store, name)?;
        let (Some(image_spec), Some(text_spec)) = (&manifest.image_encoder, &manifest.text_encoder)
        else {
            return Err(ModelError::BadManifest {
                path: store.manifest_path(name),
                reason: "no encoders".into(),
            });
        };
        let image = ClipImageEncoder::open(store, &manifest, image_spec, threads)?;
        let text = ClipTextEncoder::open(store, &manifest, text_spec, threads)?;
        tracing::info!(model = name, dim = image.dim, "CLIP model loaded");
        Ok(ClipModel { image, text })
    }

    /// The first installed image-text-embedding model, preferring `clip-vit-b32`.
    pub fn find_installed(store: &ModelStore) -> Option<String> {
        let installed: Vec<String> = store
            .list()
            .ok()?
            .into_iter()
            .filter(|s| s.task == TASK_IMAGE_TEXT_EMBEDDING && s.state == ModelState::Installed)
            .map(|s| s.name)
            .collect();
        installed
            .iter()
            .find(|n| n.as_str() == PREFERRED_MODEL)
            .or_else(|| installed.first())
            .cloned()
    }

    pub fn split(self) -> (ClipImageEncoder, ClipTextEncoder) {
        (self.image, self.text)
    }
}

/// Fails with the store's words when a file is missing or has the wrong size.
fn ensure_present(store: &ModelStore, manifest: &Manifest) -> Result<(), ModelError> {
    let status = store.status(manifest);
    let hint = if manifest.install_hint.is_empty() {
        String::new()
    } else {
        format!(" ({})", manifest.install_hint)
    };
    if let Some(missing) = status.files.iter().find(|f| f.actual_size.is_none()) {
        return Err(ModelError::MissingFile {
            model: manifest.name.clone(),
            path: missing.path.clone(),
            hint,
        });
    }
    if let ModelState::Corrupt(reason) = status.state {
        let path = status
            .files
            .iter()
            .find(|f| f.expected_size != 0 && f.actual_size != Some(f.expected_size))
            .map(|f| f.path.clone())
            .unwrap_or_else(|| store.dir().join(&manifest.name));
        return Err(ModelError::CorruptFile {
            model: manifest.name.clone(),
            path,
            reason,
            hint,
        });
    }
    Ok(())
}

/// Batch size a graph accepts: its fixed first dimension, else `MAX_DYNAMIC_BATCH`.
fn batch_of(shape: &[i64]) -> usize {
    match shape.first() {
        Some(&n) if n > 0 => n as usize,
        _ => MAX_DYNAMIC_BATCH,
    }
}

/// Checks a graph's output is [N, dim] with dim equal to the manifest's (when the graph
/// says its dim).
fn check_output_dim(
    graph: &Graph,
    output: &str,
    shape: &[i64],
    dim: usize,
) -> Result<(), ModelError> {
    if shape.len() != 2 {
        return Err(graph.incompatible(format!(
            "output {output:?} has shape {shape:?}, expected [batch, {dim}]"
        )));
    }
    if shape[1] > 0 && shape[1] as usize != dim {
        return Err(graph.incompatible(format!(
            "output {output:?} has embedding dimension {}, the manifest says embedding_dim = {dim}",
            shape[1]
        )));
    }
    Ok(())
}

/// The manifest of an image-text-embedding model whose files are all present.
fn embedding_manifest(store: &ModelStore, name: &str) -> Result<Manifest, ModelError> {
    let manifest = store.manifest(name)?;
    if manifest.image_encoder.is_none() || manifest.text_encoder.is_none() {
        return Err(ModelError::BadManifest {
            path: store.manifest_path(name),
            reason: format!(
                "model {name} is not an {TASK_IMAGE_TEXT_EMBEDDING} model (task {})",
                manifest.task
            ),
        });
    }
    ensure_present(store, &manifest)?;
    Ok(manifest)
}

impl ClipImageEncoder {
    /// Loads only the image half of `name` (ingest needs no text encoder).
    pub fn load(store: &ModelStore, name: &str, threads: usize) -> Result<Self, ModelError> {
        let manifest = embedding_manifest(store, name)?;
        match &manifest.image_encoder {
            Some(spec) => Self::open(store, &manifest, spec, threads),
            None => Err(ModelError::BadManifest {
                path: store.manifest_path(name),
                reason: "no [image_encoder]".into(),
            }),
        }
    }

    fn open(
        store: &ModelStore,
        manifest: &Manifest,
        spec: &ImageEncoderSpec,
        threads: usize,
    ) -> Result<Self, ModelError> {
        let graph = Graph::open(
            &manifest.name,
            &store.file_path(manifest, &spec.file),
            threads,
        )?;
        let input_shape = graph.require_input(&spec.input)?;
        let output_shape = graph.require_output(&spec.output)?;
        let size = i64::from(spec.preprocess.size);
        let expected = [-1, 3, size, size];
        let fits = input_shape.len() == 4
            && input_shape
                .iter()
                .zip(expected)
                .skip(1)
                .all(|(&have, want)| have <= 0 || have == want);
        if !fits {
            return Err(graph.incompatible(format!(
                "input {:?} has shape {input_shape:?}, the manifest's preprocess needs [N, 3, {size}, {size}]",
                spec.input
            )));
        }
        check_output_dim(&graph, &spec.output, &output_shape, manifest.embedding_dim)?;
        Ok(ClipImageEncoder {
            name: manifest.name.clone(),
            batch: batch_of(&input_shape),
            graph,
            spec: spec.clone(),
            dim: manifest.embedding_dim,
        })
    }

    fn run_batch(&mut self, images: &[RgbImage]) -> Result<Array2<f32>, ModelError> {
        let pixels = {
            let _span = tracing::debug_span!("clip_preprocess", n = images.len()).entered();
            preprocess_images(images, &self.spec)?
        };
        let _span = tracing::debug_span!("clip_image_inference", n = images.len()).entered();
        let input = TensorRef::from_array_view(&pixels)
            .map_err(|e| ModelError::inference("building the image tensor", e))?;
        let outputs = self
            .graph
            .session
            .run(ort::inputs![self.spec.input.as_str() => input])
            .map_err(|e| {
                ModelError::inference(
                    format!("the image encoder {}", self.graph.id.path.display()),
                    e,
                )
            })?;
        extract_embeddings(
            &self.graph.id,
            &outputs,
            &self.spec.output,
            images.len(),
            self.dim,
        )
    }
}

impl ImageEmbedder for ClipImageEncoder {
    fn name(&self) -> &str {
        &self.name
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed_images(&mut self, images: &[RgbImage]) -> Result<Array2<f32>, ModelError> {
        let mut out = Array2::<f32>::zeros((images.len(), self.dim));
        let batch = self.batch;
        for (index, chunk) in images.chunks(batch).enumerate() {
            let rows = self.run_batch(chunk)?;
            out.slice_mut(ndarray::s![index * batch..index * batch + chunk.len(), ..])
                .assign(&rows);
        }
        Ok(out)
    }
}

/// Resize (shortest side + centre crop, or stretch), scale to 0..1, normalise per channel,
/// NCHW. The Catmull-Rom resize runs on `fast_image_resize`'s SIMD convolution; cropping is
/// part of the resize, so the columns the crop drops are never filtered.
pub fn preprocess_images(
    images: &[RgbImage],
    spec: &ImageEncoderSpec,
) -> Result<Array4<f32>, ModelError> {
    use fast_image_resize::images::{Image, ImageRef};
    use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

    let size = spec.preprocess.size;
    let side = size as usize;
    let mut pixels = Array4::<f32>::zeros((images.len(), 3, side, side));
    let mut resizer = Resizer::new();
    let mut square = Image::new(size, size, PixelType::U8x3);
    // value / 255 then (value - mean) / std, as one multiply-add per channel.
    let scale: [f32; 3] = std::array::from_fn(|c| 1.0 / (255.0 * spec.preprocess.std[c]));
    let offset: [f32; 3] =
        std::array::from_fn(|c| -spec.preprocess.mean[c] / spec.preprocess.std[c]);
    for (index, image) in images.iter().enumerate() {
        let (width, height) = (image.width(), image.height());
        if width == 0 || height == 0 {
            return Err(ModelError::InvalidInput(format!("image {index} is empty")));
        }
        let source = ImageRef::new(width, height, image.as_raw(), PixelType::U8x3)
            .map_err(|e| ModelError::InvalidInput(format!("image {index}: {e}")))?;
        let mut options =
            ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
        if spec.preprocess.resize != "stretch" {
            // As CLIP's image processor does it: the shortest side to `size` (the long side
            // truncated to whole pixels), then a centred size × size crop at a whole-pixel
            // offset of that resized image; here as the same window of the source, so only
            // the kept pixels are filtered. (Cropping the source's central square instead
            // shifts the window by a fraction of a pixel: up to 37 levels apart at edges.)
            let (resized_width, resized_height) = if width <= height {
                (
                    size,
                    (u64::from(size) * u64::from(height) / u64::from(width)) as u32,
                )
            } else {
                (
                    (u64::from(size) * u64::from(width) / u64::from(height)) as u32,
                    size,
                )
            };
            let scale_x = f64::from(width) / f64::from(resized_width);
            let scale_y = f64::from(height) / f64::from(resized_height);
            options = options.crop(
                f64::from((resized_width - size) / 2) * scale_x,
                f64::from((resized_height - size) / 2) * scale_y,
                f64::from(size) * scale_x,
                f64::from(size) * scale_y,
            );
        }
        resizer
            .resize(&source, &mut square, &options)
            .map_err(|e| ModelError::InvalidInput(format!("resizing image {index}: {e}")))?;
        let mut planes = pixels.index_axis_mut(Axis(0), index);
        for (channel, mut plane) in planes.outer_iter_mut().enumerate() {
            let plane = plane
                .as_slice_mut()
                .ok_or_else(|| ModelError::InvalidInput("image tensor is not contiguous".into()))?;
            let (scale, offset) = (scale[channel], offset[channel]);
            for (value, pixel) in plane.iter_mut().zip(square.buffer().chunks_exact(3)) {
                *value = f32::from(pixel[channel]) * scale + offset;
            }
        }
    }
    Ok(pixels)
}

/// Reads an [N, dim] output, checks its size and L2-normalises each row.
fn extract_embeddings(
    graph: &GraphId,
    outputs: &ort::session::SessionOutputs<'_>,
    name: &str,
    rows: usize,
    dim: usize,
) -> Result<Array2<f32>, ModelError> {
    let value = outputs
        .get(name)
        .ok_or_else(|| graph.incompatible(format!("it produced no output {name:?}")))?;
    let view = value
        .try_extract_array::<f32>()
        .map_err(|e| graph.incompatible(format!("output {name:?} is not f32: {}", e.message())))?;
    let shape = view.shape().to_vec();
    if shape != [rows, dim] {
        return Err(graph.incompatible(format!(
            "output {name:?} has shape {shape:?}, expected [{rows}, {dim}]"
        )));
    }
    let view = view
        .into_dimensionality::<ndarray::Ix2>()
        .map_err(|e| graph.incompatible(format!("output {name:?}: {e}")))?;
    Ok(l2_normalised(view))
}

/// Rows scaled to unit length (all-zero rows stay zero).
pub fn l2_normalised(rows: ArrayView2<f32>) -> Array2<f32> {
    let mut out = rows.to_owned();
    for mut row in out.axis_iter_mut(Axis(0)) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > f32::EPSILON {
            row.mapv_inplace(|v| v / norm);
        }
    }
    out
}

impl ClipTextEncoder {
    /// Loads only the text half of `name` (search needs no image encoder).
    pub fn load(store: &ModelStore, name: &str, threads: usize) -> Result<Self, ModelError> {
        let manifest = embedding_manifest(store, name)?;
        match &manifest.text_encoder {
            Some(spec) => Self::open(store, &manifest, spec, threads),
            None => Err(ModelError::BadManifest {
                path: store.manifest_path(name),
                reason: "no [text_encoder]".into(),
            }),
        }
    }

    /// Name of the model (the manifest name).
    pub fn name(&self) -> &str {
        &self.graph.id.model
    }

    fn open(
        store: &ModelStore,
        manifest: &Manifest,
        spec: &TextEncoderSpec,
        threads: usize,
    ) -> Result<Self, ModelError> {
        let tokenizer = ClipTokenizer::open(&store.file_path(manifest, &spec.tokenizer), spec)
            .map_err(|error| match error {
                ModelError::CorruptFile {
                    path, reason, hint, ..
                } => ModelError::CorruptFile {
                    model: manifest.name.clone(),
                    path,
                    reason,
                    hint,
                },
                ModelError::BadManifest { reason, .. } => ModelError::BadManifest {
                    path: store.manifest_path(&manifest.name),
                    reason,
                },
                other => other,
            })?;

        let graph = Graph::open(
            &manifest.name,
            &store.file_path(manifest, &spec.file),
            threads,
        )?;
        let input_shape = graph.require_input(&spec.input_ids)?;
        if input_shape.len() != 2
            || (input_shape[1] > 0 && input_shape[1] as usize != spec.context_length)
        {
            return Err(graph.incompatible(format!(
                "input {:?} has shape {input_shape:?}, the manifest says context_length = {}",
                spec.input_ids, spec.context_length
            )));
        }
        let feed_attention_mask =
            !spec.attention_mask.is_empty() && graph.has_input(&spec.attention_mask);
        let output_shape = graph.require_output(&spec.output)?;
        check_output_dim(&graph, &spec.output, &output_shape, manifest.embedding_dim)?;
        Ok(ClipTextEncoder {
            batch: batch_of(&input_shape),
            graph,
            spec: spec.clone(),
            tokenizer,
            feed_attention_mask,
            dim: manifest.embedding_dim,
        })
    }

    fn run_batch(&mut self, texts: &[&str]) -> Result<Array2<f32>, ModelError> {
        let (ids, mask) = {
            let _span = tracing::debug_span!("clip_tokenize", n = texts.len()).entered();
            self.tokenizer.encode(texts)?
        };
        let _span = tracing::debug_span!("clip_text_inference", n = texts.len()).entered();
        let ids_tensor = TensorRef::from_array_view(&ids)
            .map_err(|e| ModelError::inference("building the token tensor", e))?;
        let context = format!("the text encoder {}", self.graph.id.path.display());
        let outputs = if self.feed_attention_mask {
            let mask_tensor = TensorRef::from_array_view(&mask)
                .map_err(|e| ModelError::inference("building the mask tensor", e))?;
            self.graph.session.run(ort::inputs![
                self.spec.input_ids.as_str() => ids_tensor,
                self.spec.attention_mask.as_str() => mask_tensor,
            ])
        } else {
            self.graph
                .session
                .run(ort::inputs![self.spec.input_ids.as_str() => ids_tensor])
        }
        .map_err(|e| ModelError::inference(context, e))?;
        extract_embeddings(
            &self.graph.id,
            &outputs,
            &self.spec.output,
            texts.len(),
            self.dim,
        )
    }
}

/// The text encoder's tokenizer as the manifest sets it up: a `tokenizer.json` (Hugging Face
/// tokenizers), every text padded with `pad_token` and truncated to `context_length` ids,
/// special tokens added — what transformers' `CLIPTokenizer(padding="max_length",
/// truncation=True)` gives (held to it in tests/it/processors.rs).
#[derive(Debug)]
pub struct ClipTokenizer {
    tokenizer: Tokenizer,
    path: PathBuf,
    context_length: usize,
}

impl ClipTokenizer {
    /// Reads `path` and sets padding and truncation from `spec`.
    pub fn open(path: &Path, spec: &TextEncoderSpec) -> Result<Self, ModelError> {
        let mut tokenizer = Tokenizer::from_file(path).map_err(|e| ModelError::CorruptFile {
            model: String::new(),
            path: path.to_path_buf(),
            reason: format!("not a tokenizers tokenizer.json: {e}"),
            hint: String::new(),
        })?;
        let pad_id = if spec.pad_token.is_empty() {
            tokenizer.get_padding().map(|p| p.pad_id).unwrap_or(0)
        } else {
            tokenizer
                .token_to_id(&spec.pad_token)
                .ok_or_else(|| ModelError::BadManifest {
                    path: path.to_path_buf(),
                    reason: format!(
                        "pad_token {:?} is not in {}",
                        spec.pad_token,
                        path.display()
                    ),
                })?
        };
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::Fixed(spec.context_length),
            pad_id,
            pad_token: spec.pad_token.clone(),
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: spec.context_length,
                ..TruncationParams::default()
            }))
            .map_err(|e| ModelError::Tokenizer {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        Ok(ClipTokenizer {
            tokenizer,
            path: path.to_path_buf(),
            context_length: spec.context_length,
        })
    }

    /// Token ids and attention mask, [N, context_length] each.
    pub fn encode(&self, texts: &[&str]) -> Result<(Array2<i64>, Array2<i64>), ModelError> {
        let length = self.context_length;
        let mut ids = Array2::<i64>::zeros((texts.len(), length));
        let mut mask = Array2::<i64>::zeros((texts.len(), length));
        for (row, text) in texts.iter().enumerate() {
            let encoding =
                self.tokenizer
                    .encode(*text, true)
                    .map_err(|e| ModelError::Tokenizer {
                        path: self.path.clone(),
                        reason: e.to_string(),
                    })?;
            for (column, (&id, &m)) in encoding
                .get_ids()
                .iter()
                .zip(encoding.get_attention_mask())
                .take(length)
                .enumerate()
            {
                ids[[row, column]] = i64::from(id);
                mask[[row, column]] = i64::from(m);
            }
        }
        Ok((ids, mask))
    }
}

impl TextEmbedder for ClipTextEncoder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn embed_texts(&mut self, texts: &[&str]) -> Result<Array2<f32>, ModelError> {
        let mut out = Array2::<f32>::zeros((texts.len(), self.dim));
        let batch = self.batch;
        for (index, chunk) in texts.chunks(batch).enumerate() {
            let rows = self.run_batch(chunk)?;
            out.slice_mut(ndarray::s![index * batch..index * batch + chunk.len(), ..])
                .assign(&rows);
        }
        Ok(out)
    }
}

impl ImageEmbedder for ClipModel {
    fn name(&self) -> &str {
        self.image.name()
    }

    fn dim(&self) -> usize {
        self.image.dim
    }

    fn embed_images(&mut self, images: &[RgbImage]) -> Result<Array2<f32>, ModelError> {
        self.image.embed_images(images)
    }
}

impl TextEmbedder for ClipModel {
    fn dim(&self) -> usize {
        self.text.dim
    }

    fn embed_texts(&mut self, texts: &[&str]) -> Result<Array2<f32>, ModelError> {
        self.text.embed_texts(texts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(resize: &str) -> ImageEncoderSpec {
        ImageEncoderSpec {
            file: "v.onnx".into(),
            input: "pixel_values".into(),
            output: "image_embeds".into(),
            preprocess: crate::manifest::ImagePreprocess {
                size: 4,
                resize: resize.into(),
                mean: [0.5, 0.5, 0.5],
                std: [0.5, 0.5, 0.5],
            },
        }
    }

    #[test]
    fn centre_crop_keeps_the_middle_of_a_wide_image() {
        // 12x4: left third red, middle green, right third blue; the crop must be all green.
        let image = RgbImage::from_fn(12, 4, |x, _| match x / 4 {
            0 => image::Rgb([255, 0, 0]),
            1 => image::Rgb([0, 255, 0]),
            _ => image::Rgb([0, 0, 255]),
        });
        let pixels = preprocess_images(&[image], &spec("shortest-side-crop")).expect("preprocess");
        assert_eq!(pixels.shape(), &[1, 3, 4, 4]);
        assert!(
            pixels
                .index_axis(Axis(1), 1)
                .iter()
                .all(|&g| (g - 1.0).abs() < 1e-3)
        );
        assert!(
            pixels
                .index_axis(Axis(1), 0)
                .iter()
                .all(|&r| (r + 1.0).abs() < 1e-3)
        );
    }

    #[test]
    fn stretch_keeps_all_colours() {
        let image = RgbImage::from_fn(12, 4, |x, _| {
            if x < 6 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let pixels = preprocess_images(&[image], &spec("stretch")).expect("preprocess");
        assert!(pixels[[0, 0, 0, 0]] > 0.9 && pixels[[0, 2, 0, 3]] > 0.9);
    }

    #[test]
    fn rows_are_unit_length_and_zero_rows_stay_zero() {
        let rows = ndarray::array![[3.0f32, 4.0], [0.0, 0.0]];
        let normalised = l2_normalised(rows.view());
        assert!((normalised[[0, 0]] - 0.6).abs() < 1e-6 && (normalised[[0, 1]] - 0.8).abs() < 1e-6);
        assert_eq!(normalised.row(1).to_vec(), vec![0.0, 0.0]);
    }
}
