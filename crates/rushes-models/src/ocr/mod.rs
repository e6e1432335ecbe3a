//! OCR with PP-OCR graphs (the `ppocr` manifest): detect text boxes, optionally fix
//! upside-down crops with the angle classifier, recognise each crop. `has_text` is the
//! cheap gate that runs detection only.

pub mod det;
pub mod rec;
mod reuse;
mod still;

use image::RgbImage;
use ndarray::{Array4, Axis, Ix3, Ix4};
use ort::value::TensorRef;

use crate::ModelError;
use crate::manifest::{OcrGraphSpec, OcrSpec, TASK_OCR};
use crate::session::Graph;
use crate::store::ModelStore;

pub use det::{DbParams, TextBox};
pub use rec::OcrLine;

/// Name of the OCR model `OcrEngine::load` uses.
pub const OCR_MODEL: &str = "ppocr";
/// Lines whose recognition score is below this are dropped. RapidOCR keeps 0.5; on real
/// footage lines between 0.5 and 0.6 are texture (grass, brick, crowds, an eye) read as
/// glyphs, so rushes keeps only the surer ones.
pub const MIN_TEXT_SCORE: f32 = 0.6;
/// Lines shorter than this (in characters, after trimming) are dropped: a lone glyph is
/// nearly always a misread edge (a walking figure read as "R"), and a one-character token
/// would not be searched for.
pub const MIN_TEXT_CHARS: usize = 2;
/// Long side (pixels) of the copy the text gate looks at. Most sampled frames carry no text;
/// the gate runs the detector on a copy this small (about 1/7 of the pixels of a 960×540
/// frame raised to 736 px) and only frames where it finds a box are read in full.
pub const GATE_LONG_SIDE: u32 = 480;
/// Crops recognised per run.
const REC_BATCH: usize = 6;
/// Angle classifier: input 3×48×192, flip when "180" wins with at least this probability.
const CLS_WIDTH: u32 = 192;
const CLS_THRESHOLD: f32 = 0.9;

/// Which recognised lines `OcrEngine::read` keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextFilter {
    /// Lowest recognition score kept.
    pub min_score: f32,
    /// Fewest characters (after trimming) kept.
    pub min_chars: usize,
}

impl Default for TextFilter {
    /// rushes' filter: `MIN_TEXT_SCORE` and `MIN_TEXT_CHARS`.
    fn default() -> Self {
        TextFilter {
            min_score: MIN_TEXT_SCORE,
            min_chars: MIN_TEXT_CHARS,
        }
    }
}

impl TextFilter {
    /// RapidOCR 1.4.4's filter (`text_score` 0.5, empty lines dropped), for comparisons.
    pub const RAPIDOCR: TextFilter = TextFilter {
        min_score: 0.5,
        min_chars: 1,
    };

    /// Whether a line read as `text` with `score` is kept.
    pub fn keeps(&self, text: &str, score: f32) -> bool {
        score >= self.min_score && text.trim().chars().count() >= self.min_chars
    }
}

/// Detector + recogniser (+ angle classifier when the manifest lists one).
#[derive(Debug)]
pub struct OcrEngine {
    det: Graph,
    rec: Graph,
    cls: Option<Graph>,
    spec: OcrSpec,
    characters: Vec<String>,
    params: DbParams,
    filter: TextFilter,
    /// The last frame `read_in_sequence` read in full.
    last_read: Option<reuse::LastRead>,
    reused_reads: u64,
    /// The last frame `read_in_sequence` ran the gate on, seen small, and what it returned.
    last_gated: Option<(still::StillFrame, Vec<OcrLine>)>,
    skipped_gates: u64,
}

impl OcrEngine {
    /// Loads the `ppocr` model from the store.
    pub fn load(store: &ModelStore, threads: usize) -> Result<OcrEngine, ModelError> {
        Self::load_named(store, OCR_MODEL, threads)
    }

    /// Loads any OCR-task model by manifest name.
    pub fn load_named(
        store: &ModelStore,
        name: &str,
        threads: usize,
    ) -> Result<OcrEngine, ModelError> {
        let manifest = store.manifest(name)?;
        let Some(spec) = manifest.ocr.clone() else {
            return Err(ModelError::BadManifest {
                path: store.manifest_path(name),
                reason: format!(
                    "model {name} is not an {TASK_OCR} model (task {})",
                    manifest.task
                ),
            });
        };
        let hint = if manifest.install_hint.is_empty() {
            String::new()
        } else {
            format!(" ({})", manifest.install_hint)
        };
        let open = |graph: &OcrGraphSpec| -> Result<Graph, ModelError> {
            let path = store.file_path(&manifest, &graph.file);
            if !path.is_file() {
                return Err(ModelError::MissingFile {
                    model: name.to_string(),
                    path,
                    hint: hint.clone(),
                });
            }
            // OCR runs beside the decoder while indexing: idle threads sleep (see
            // `Graph::open_with_spinning`).
            let opened = Graph::open_with_spinning(name, &path, threads, false)?;
            opened.require_input(&graph.input)?;
            opened.require_output(&graph.output)?;
            Ok(opened)
        };
        let det = open(&spec.det)?;
        let rec = open(&spec.rec)?;
        let cls = spec.cls.as_ref().map(open).transpose()?;
        let characters = rec
            .metadata(&spec.character_key)
            .map(|list| rec::character_table(&list))
            .ok_or_else(|| {
                rec.incompatible(format!(
                    "it has no {:?} metadata with its character list",
                    spec.character_key
                ))
            })?;
        let classes = rec
            .require_output(&spec.rec.output)?
            .last()
            .copied()
            .unwrap_or(-1);
        if classes > 0 && classes as usize != characters.len() {
            return Err(rec.incompatible(format!(
                "it outputs {classes} classes but its character list gives {}",
                characters.len()
            )));
        }
        tracing::info!(
            model = name,
            characters = characters.len(),
            angle_classifier = cls.is_some(),
            "OCR loaded"
        );
        Ok(OcrEngine {
            det,
            rec,
            cls,
            spec,
            characters,
            params: DbParams::default(),
            filter: TextFilter::default(),
            last_read: None,
            reused_reads: 0,
            last_gated: None,
            skipped_gates: 0,
        })
    }

    /// DB post-processing settings in use.
    pub fn params_mut(&mut self) -> &mut DbParams {
        self.forget_sequence();
        &mut self.params
    }

    /// Which lines `read` keeps (rushes' noise filter unless changed).
    pub fn text_filter_mut(&mut self) -> &mut TextFilter {
        self.forget_sequence();
        &mut self.filter
    }

    /// How many frames `read_in_sequence` answered from the frame before.
    pub fn reused_reads(&self) -> u64 {
        self.reused_reads
    }

    /// How many frames `read_in_sequence` answered without running the gate: the picture
    /// was the one the gate last looked at.
    pub fn skipped_gates(&self) -> u64 {
        self.skipped_gates
    }

    /// `read_in_sequence` starts afresh (settings changed, or a new video).
    fn forget_sequence(&mut self) {
        self.last_read = None;
        self.last_gated = None;
    }

    /// Text boxes in the image, in reading order (detector only).
    pub fn detect(&mut self, image: &RgbImage) -> Result<Vec<TextBox>, ModelError> {
        let params = self.params;
        self.detect_with(image, &params)
    }

    /// Text boxes found by the detector at `params`' input size.
    fn detect_with(
        &mut self,
        image: &RgbImage,
        params: &DbParams,
    ) -> Result<Vec<TextBox>, ModelError> {
        if image.width() == 0 || image.height() == 0 {
            return Err(ModelError::InvalidInput("empty image".into()));
        }
        let tensor = {
            let _span = tracing::debug_span!("ocr_det_preprocess").entered();
            det::preprocess(image, params)
        };
        let _span = tracing::debug_span!("ocr_det_inference").entered();
        let input = TensorRef::from_array_view(&tensor)
            .map_err(|e| ModelError::inference("building the detector tensor", e))?;
        let outputs = self
            .det
            .session
            .run(ort::inputs![self.spec.det.input.as_str() => input])
            .map_err(|e| {
                ModelError::inference(
                    format!("the text detector {}", self.det.id.path.display()),
                    e,
                )
            })?;
        let value = outputs.get(self.spec.det.output.as_str()).ok_or_else(|| {
            self.det
                .id
                .incompatible(format!("it produced no output {:?}", self.spec.det.output))
        })?;
        let map = value
            .try_extract_array::<f32>()
            .map_err(|e| {
                self.det
                    .id
                    .incompatible(format!("its output is not f32: {}", e.message()))
            })?
            .into_dimensionality::<Ix4>()
            .map_err(|e| {
                self.det
                    .id
                    .incompatible(format!("its output is not [1, 1, H, W]: {e}"))
            })?;
        let map = map.index_axis(Axis(0), 0);
        let map = map.index_axis(Axis(0), 0);
        let _post = tracing::debug_span!("ocr_det_postprocess").entered();
        Ok(det::boxes_from_map(
            map,
            image.width(),
            image.height(),
            params,
        ))
    }

    /// Whether the detector finds any text box on a small copy of the image (at most
    /// `GATE_LONG_SIDE` px long, never enlarged): the cheap gate `read` passes first.
    pub fn has_text(&mut self, image: &RgbImage) -> Result<bool, ModelError> {
        Ok(!self.gate_boxes(image)?.is_empty())
    }

    /// The boxes the gate finds (image pixels).
    fn gate_boxes(&mut self, image: &RgbImage) -> Result<Vec<TextBox>, ModelError> {
        let gate = DbParams {
            limit_side_len: 0,
            max_side_len: GATE_LONG_SIDE,
            ..self.params
        };
        self.detect_with(image, &gate)
    }

    /// Lines of text in reading order (top-to-bottom, left-to-right). Frames where the gate
    /// (`has_text`) finds no text return at once; the others are detected at full size and
    /// recognised, and the lines the text filter keeps are returned.
    pub fn read(&mut self, image: &RgbImage) -> Result<Vec<OcrLine>, ModelError> {
        if !self.has_text(image)? {
            return Ok(Vec::new());
        }
        self.read_past_gate(image)
    }

    /// `read` for the frames of a video in order, skipping work the frame before already did:
    /// - a frame whose picture is the one the gate last looked at (`still.rs`: no 2-px cell's
    ///   luma moved) gets that frame's lines without running the gate;
    /// - a frame whose gate boxes all overlap places where the last frame read in full had
    ///   text, with the same pixels in all of those places and boxes (a slate or title held
    ///   over several frames, `reuse.rs`), gets that frame's lines without detecting at full
    ///   size or recognising again.
    ///
    /// A changed glyph or a box where nothing was read reads the frame in full.
    pub fn read_in_sequence(&mut self, image: &RgbImage) -> Result<Vec<OcrLine>, ModelError> {
        let picture = still::StillFrame::of(image);
        if let Some((_, lines)) = self
            .last_gated
            .as_ref()
            .filter(|(gated, _)| gated.same_picture(&picture))
        {
            tracing::debug!(lines = lines.len(), "OCR gate skipped: picture unchanged");
            self.skipped_gates += 1;
            return Ok(lines.clone());
        }
        let lines = self.gate_and_read(image)?;
        self.last_gated = Some((picture, lines.clone()));
        Ok(lines)
    }

    /// The gate, then the last read's lines or a full read (see `read_in_sequence`).
    fn gate_and_read(&mut self, image: &RgbImage) -> Result<Vec<OcrLine>, ModelError> {
        let gate_started = std::time::Instant::now();
        let gate_boxes = self.gate_boxes(image)?;
        tracing::debug!(
            boxes = gate_boxes.len(),
            seconds = gate_started.elapsed().as_secs_f64(),
            places = ?gate_boxes
                .iter()
                .map(|b| [b.x0, b.y0, b.x1, b.y1].map(|v| v.round() as i32))
                .collect::<Vec<_>>(),
            "OCR gate"
        );
        if gate_boxes.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(lines) = self
            .last_read
            .as_ref()
            .and_then(|last| last.lines_if_unchanged(image, &gate_boxes))
        {
            tracing::debug!(
                lines = lines.len(),
                "OCR: text unchanged since the last frame"
            );
            let lines = lines.to_vec();
            self.reused_reads += 1;
            return Ok(lines);
        }
        let lines = self.read_past_gate(image)?;
        self.last_read = Some(reuse::LastRead::new(image, &gate_boxes, lines.clone()));
        Ok(lines)
    }

    /// Full-size detection, recognition and the text filter.
    fn read_past_gate(&mut self, image: &RgbImage) -> Result<Vec<OcrLine>, ModelError> {
        let detect_started = std::time::Instant::now();
        let boxes = self.detect(image)?;
        let detect_seconds = detect_started.elapsed().as_secs_f64();
        if boxes.is_empty() {
            return Ok(Vec::new());
        }
        let recognise_started = std::time::Instant::now();
        let mut crops: Vec<RgbImage> = boxes.iter().map(|b| crop(image, b)).collect();
        if self.cls.is_some() {
            self.fix_upside_down(&mut crops)?;
        }
        let recognised = self.recognise(&crops)?;
        tracing::debug!(
            boxes = boxes.len(),
            detect_seconds,
            recognise_seconds = recognise_started.elapsed().as_secs_f64(),
            read = ?recognised,
            "OCR read past the gate"
        );
        Ok(boxes
            .iter()
            .zip(recognised)
            .filter(|(_, (text, score))| self.filter.keeps(text, *score))
            .map(|(b, (text, score))| OcrLine {
                text: text.trim().to_string(),
                score,
                bbox: [b.x0, b.y0, b.x1, b.y1],
            })
            .collect())
    }

    /// Text and score per crop, in the crops' order.
    fn recognise(&mut self, crops: &[RgbImage]) -> Result<Vec<(String, f32)>, ModelError> {
        // Similar widths share a batch, so little of each tensor is padding.
        let mut order: Vec<usize> = (0..crops.len()).collect();
        order.sort_by(|&a, &b| aspect(&crops[a]).total_cmp(&aspect(&crops[b])));
        let mut results = vec![(String::new(), 0.0f32); crops.len()];
        for chunk in order.chunks(REC_BATCH) {
            let batch: Vec<RgbImage> = chunk.iter().map(|&i| crops[i].clone()).collect();
            let tensor = rec::preprocess(&batch);
            let _span = tracing::debug_span!("ocr_rec_inference", n = batch.len()).entered();
            let input = TensorRef::from_array_view(&tensor)
                .map_err(|e| ModelError::inference("building the recogniser tensor", e))?;
            let outputs = self
                .rec
                .session
                .run(ort::inputs![self.spec.rec.input.as_str() => input])
                .map_err(|e| {
                    ModelError::inference(
                        format!("the text recogniser {}", self.rec.id.path.display()),
                        e,
                    )
                })?;
            let value = outputs.get(self.spec.rec.output.as_str()).ok_or_else(|| {
                self.rec
                    .id
                    .incompatible(format!("it produced no output {:?}", self.spec.rec.output))
            })?;
            let probs = value
                .try_extract_array::<f32>()
                .map_err(|e| {
                    self.rec
                        .id
                        .incompatible(format!("its output is not f32: {}", e.message()))
                })?
                .into_dimensionality::<Ix3>()
                .map_err(|e| {
                    self.rec
                        .id
                        .incompatible(format!("its output is not [N, T, C]: {e}"))
                })?;
            for (row, &index) in chunk.iter().enumerate() {
                results[index] = rec::ctc_greedy(probs.index_axis(Axis(0), row), &self.characters);
            }
        }
        Ok(results)
    }

    /// Rotates crops the angle classifier calls upside down.
    fn fix_upside_down(&mut self, crops: &mut [RgbImage]) -> Result<(), ModelError> {
        let (Some(cls), Some(spec)) = (self.cls.as_mut(), self.spec.cls.as_ref()) else {
            return Ok(());
        };
        for start in (0..crops.len()).step_by(REC_BATCH) {
            let end = (start + REC_BATCH).min(crops.len());
            let mut tensor = Array4::<f32>::zeros((
                end - start,
                3,
                rec::REC_HEIGHT as usize,
                CLS_WIDTH as usize,
            ));
            for (row, crop) in crops[start..end].iter().enumerate() {
                let width = (u64::from(rec::REC_HEIGHT) * u64::from(crop.width()))
                    .div_ceil(u64::from(crop.height().max(1)))
                    .clamp(1, u64::from(CLS_WIDTH)) as u32;
                let resized = rec::resize_bilinear(crop, width, rec::REC_HEIGHT);
                rec::write_bgr_planes(&resized, tensor.index_axis_mut(Axis(0), row));
            }
            let input = TensorRef::from_array_view(&tensor)
                .map_err(|e| ModelError::inference("building the classifier tensor", e))?;
            let outputs = cls
                .session
                .run(ort::inputs![spec.input.as_str() => input])
                .map_err(|e| {
                    ModelError::inference(
                        format!("the angle classifier {}", cls.id.path.display()),
                        e,
                    )
                })?;
            let value = outputs.get(spec.output.as_str()).ok_or_else(|| {
                cls.id
                    .incompatible(format!("it produced no output {:?}", spec.output))
            })?;
            let probs = value.try_extract_array::<f32>().map_err(|e| {
                cls.id
                    .incompatible(format!("its output is not f32: {}", e.message()))
            })?;
            let probs = probs.into_dimensionality::<ndarray::Ix2>().map_err(|e| {
                cls.id
                    .incompatible(format!("its output is not [N, 2]: {e}"))
            })?;
            for (row, p) in probs.axis_iter(Axis(0)).enumerate() {
                if p.len() == 2 && p[1] > p[0] && p[1] >= CLS_THRESHOLD {
                    image::imageops::rotate180_in_place(&mut crops[start + row]);
                }
            }
        }
        Ok(())
    }
}

fn aspect(image: &RgbImage) -> f32 {
    image.width() as f32 / image.height().max(1) as f32
}

/// The box's pixels, levelled when the box carries a tilt; tall crops (height ≥ 1.5 × width)
/// are turned to lie horizontally.
fn crop(image: &RgbImage, text_box: &TextBox) -> RgbImage {
    if text_box.angle != 0.0
        && let Some(levelled) = level_crop(image, text_box)
    {
        return levelled;
    }
    let x0 = (text_box.x0.floor().max(0.0) as u32).min(image.width() - 1);
    let y0 = (text_box.y0.floor().max(0.0) as u32).min(image.height() - 1);
    let x1 = (text_box.x1.ceil() as u32).clamp(x0 + 1, image.width());
    let y1 = (text_box.y1.ceil() as u32).clamp(y0 + 1, image.height());
    let cropped = image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image();
    if cropped.height() as f32 >= 1.5 * cropped.width() as f32 {
        image::imageops::rotate270(&cropped)
    } else {
        cropped
    }
}

/// The tilted line inside an axis-aligned box, sampled along its own axes (bilinear) so it
/// lies level: the box holds a line of length L and thickness T at angle a, with
/// W = L·cos a + T·sin a and H = L·sin a + T·cos a. `None` when those give no line.
fn level_crop(image: &RgbImage, text_box: &TextBox) -> Option<RgbImage> {
    let angle = f64::from(text_box.angle);
    let (cos, sin) = (angle.cos(), angle.sin().abs());
    let width = f64::from(text_box.x1 - text_box.x0);
    let height = f64::from(text_box.y1 - text_box.y0);
    let determinant = cos * cos - sin * sin;
    if determinant <= 0.1 {
        return None;
    }
    let length = (width * cos - height * sin) / determinant;
    let thickness = (height * cos - width * sin) / determinant;
    if length < 4.0 || thickness < 4.0 {
        return None;
    }
    let (out_width, out_height) = (length.round() as u32, thickness.round() as u32);
    let centre_x = f64::from(text_box.x0 + text_box.x1) / 2.0;
    let centre_y = f64::from(text_box.y0 + text_box.y1) / 2.0;
    let (along_x, along_y) = (angle.cos(), angle.sin());
    let last_x = f64::from(image.width().saturating_sub(1));
    let last_y = f64::from(image.height().saturating_sub(1));
    Some(RgbImage::from_fn(out_width, out_height, |u, v| {
        let du = f64::from(u) + 0.5 - length / 2.0;
        let dv = f64::from(v) + 0.5 - thickness / 2.0;
        let x = (centre_x + du * along_x - dv * along_y).clamp(0.0, last_x);
        let y = (centre_y + du * along_y + dv * along_x).clamp(0.0, last_y);
        let (x0, y0) = (x.floor() as u32, y.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(last_x as u32), (y0 + 1).min(last_y as u32));
        let (fx, fy) = (x - f64::from(x0), y - f64::from(y0));
        let mut pixel = [0u8; 3];
        for (channel, value) in pixel.iter_mut().enumerate() {
            let at = |px: u32, py: u32| f64::from(image.get_pixel(px, py)[channel]);
            let top = at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx;
            let bottom = at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx;
            *value = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
        }
        image::Rgb(pixel)
    }))
}
