//! Model manifests: `models/<name>.toml` says what a model is for (its task), which files
//! it needs (URL, sha256, size), the input and output names of each graph, and how inputs
//! are pre-processed, with every model family's section (`[vad]`, `[whisper]`, `[caption]`,
//! `[sentence]`, ...). Parsing and checking only; the store fetches, the model modules run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// Task of a model that pairs an image encoder and a text encoder in one space (CLIP,
/// SigLIP, MobileCLIP).
pub const TASK_IMAGE_TEXT_EMBEDDING: &str = "image-text-embedding";
/// Task of a text detector + recogniser (+ optional angle classifier) bundle.
pub const TASK_OCR: &str = "ocr";
/// Task of a voice activity detector (Silero VAD).
pub const TASK_VOICE_ACTIVITY: &str = "voice-activity-detection";
/// Task of a speech recogniser (Whisper encoder + decoder).
pub const TASK_SPEECH_RECOGNITION: &str = "speech-recognition";
/// Task of an image caption model (Florence-2: vision encoder + text encoder + decoder).
pub const TASK_IMAGE_CAPTIONING: &str = "image-captioning";
/// Task of dlib's face models (landmarks + embedding network), loaded by rushes-faces
/// through dlib rather than ONNX Runtime: the manifest only lists, fetches and verifies them.
pub const TASK_FACE_RECOGNITION: &str = "face-recognition";
/// Task of a sentence-embedding model (sentence-transformers: all-MiniLM-L6-v2, a
/// multilingual MiniLM): text -> one unit vector, for semantic text search.
pub const TASK_SENTENCE_EMBEDDING: &str = "sentence-embedding";

/// One `models/<name>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Folder name under the models dir; equals the manifest's file stem.
    pub name: String,
    /// `image-text-embedding` or `ocr`.
    pub task: String,
    #[serde(default)]
    pub description: String,
    /// Where the model comes from (a web page), for people.
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub licence: String,
    /// What to do when a file has no URL (e.g. "installed by `make setup`").
    #[serde(default)]
    pub install_hint: String,
    /// Size of the embedding space (image-text-embedding and sentence-embedding models);
    /// checked against the graphs when they load.
    #[serde(default)]
    pub embedding_dim: usize,
    pub files: Vec<ModelFile>,
    pub image_encoder: Option<ImageEncoderSpec>,
    pub text_encoder: Option<TextEncoderSpec>,
    pub ocr: Option<OcrSpec>,
    #[serde(default)]
    pub vad: Option<VadSpec>,
    #[serde(default)]
    pub whisper: Option<WhisperSpec>,
    #[serde(default)]
    pub caption: Option<CaptionSpec>,
    #[serde(default)]
    pub sentence: Option<SentenceSpec>,
}

/// A file a model needs, stored as `models/<name>/<name of the file>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub name: String,
    /// Download URL; empty when the file is installed some other way (see `install_hint`).
    #[serde(default)]
    pub url: String,
    /// Lower-case hex sha256; empty = record it on first download, verify against that after.
    #[serde(default)]
    pub sha256: String,
    /// Size in bytes; 0 = unknown.
    #[serde(default)]
    pub size: u64,
    /// What the file is: image-embedding, text-embedding, tokenizer, ocr-det, ocr-rec, ocr-cls.
    #[serde(default)]
    pub role: String,
}

/// How images are turned into the encoder's input tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePreprocess {
    /// Side of the square input (224 for ViT-B/32).
    pub size: u32,
    /// `shortest-side-crop` (resize the shortest side to `size`, then centre crop) or
    /// `stretch` (resize to size×size ignoring aspect ratio).
    #[serde(default = "default_resize")]
    pub resize: String,
    /// Per-channel mean and std in RGB order, on pixels scaled to 0..1.
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

fn default_resize() -> String {
    "shortest-side-crop".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageEncoderSpec {
    /// A `files` entry.
    pub file: String,
    pub input: String,
    pub output: String,
    pub preprocess: ImagePreprocess,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextEncoderSpec {
    pub file: String,
    /// Name of the token-id input (int64 [N, context_length]).
    pub input_ids: String,
    /// Name of the attention-mask input, fed only if the graph has it.
    #[serde(default)]
    pub attention_mask: String,
    pub output: String,
    /// A `files` entry: a Hugging Face tokenizers `tokenizer.json`.
    pub tokenizer: String,
    pub context_length: usize,
    /// Token used to pad to `context_length` (CLIP pads with `<|endoftext|>`).
    #[serde(default)]
    pub pad_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcrSpec {
    pub det: OcrGraphSpec,
    pub rec: OcrGraphSpec,
    pub cls: Option<OcrGraphSpec>,
    /// Metadata key of the recogniser graph holding its character list, one per line.
    #[serde(default = "default_character_key")]
    pub character_key: String,
}

fn default_character_key() -> String {
    "character".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcrGraphSpec {
    pub file: String,
    pub input: String,
    pub output: String,
}

impl Manifest {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Manifest, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::BadManifest {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let manifest: Manifest = toml::from_str(&text).map_err(|e| ModelError::BadManifest {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        manifest.check(path)?;
        Ok(manifest)
    }

    fn check(&self, path: &Path) -> Result<(), ModelError> {
        let bad = |reason: String| ModelError::BadManifest {
            path: path.to_path_buf(),
            reason,
        };
        if path.file_stem().and_then(|s| s.to_str()) != Some(self.name.as_str()) {
            return Err(bad(format!(
                "name {:?} must equal the file name without .toml",
                self.name
            )));
        }
        if self.files.is_empty() {
            return Err(bad("lists no files".to_string()));
        }
        for file in &self.files {
            if file.name.is_empty() || file.name.contains(['/', '\\']) || file.name.starts_with('.')
            {
                return Err(bad(format!(
                    "file name {:?} must be a plain file name",
                    file.name
                )));
            }
            if !file.sha256.is_empty()
                && (file.sha256.len() != 64 || !file.sha256.chars().all(|c| c.is_ascii_hexdigit()))
            {
                return Err(bad(format!("sha256 of {} is not 64 hex digits", file.name)));
            }
        }
        let mut referenced: Vec<&str> = Vec::new();
        match self.task.as_str() {
            TASK_IMAGE_TEXT_EMBEDDING => {
                let (Some(image), Some(text)) = (&self.image_encoder, &self.text_encoder) else {
                    return Err(bad(format!(
                        "task {TASK_IMAGE_TEXT_EMBEDDING} needs [image_encoder] and [text_encoder]"
                    )));
                };
                if image.preprocess.size == 0 || image.preprocess.std.contains(&0.0) {
                    return Err(bad(
                        "image preprocess needs size > 0 and non-zero std".into()
                    ));
                }
                if !matches!(
                    image.preprocess.resize.as_str(),
                    "shortest-side-crop" | "stretch"
                ) {
                    return Err(bad(format!(
                        "image preprocess resize {:?} is not shortest-side-crop or stretch",
                        image.preprocess.resize
                    )));
                }
                if self.embedding_dim == 0 {
                    return Err(bad("embedding_dim must be > 0".into()));
                }
                if text.context_length == 0 {
                    return Err(bad("text context_length must be > 0".into()));
                }
                referenced.extend([
                    image.file.as_str(),
                    text.file.as_str(),
                    text.tokenizer.as_str(),
                ]);
            }
            TASK_OCR => {
                let Some(ocr) = &self.ocr else {
                    return Err(bad(format!("task {TASK_OCR} needs an [ocr] section")));
                };
                referenced.extend([ocr.det.file.as_str(), ocr.rec.file.as_str()]);
                if let Some(cls) = &ocr.cls {
                    referenced.push(cls.file.as_str());
                }
            }
            TASK_VOICE_ACTIVITY => {
                let Some(vad) = &self.vad else {
                    return Err(bad(format!(
                        "task {TASK_VOICE_ACTIVITY} needs a [vad] section"
                    )));
                };
                referenced.push(vad.file.as_str());
            }
            TASK_SPEECH_RECOGNITION => {
                let Some(whisper) = &self.whisper else {
                    return Err(bad(format!(
                        "task {TASK_SPEECH_RECOGNITION} needs a [whisper] section"
                    )));
                };
                referenced.extend([
                    whisper.encoder.as_str(),
                    whisper.decoder.as_str(),
                    whisper.tokenizer.as_str(),
                ]);
            }
            TASK_IMAGE_CAPTIONING => {
                let Some(caption) = &self.caption else {
                    return Err(bad(format!(
                        "task {TASK_IMAGE_CAPTIONING} needs a [caption] section"
                    )));
                };
                if caption.preprocess.size == 0 || caption.preprocess.std.contains(&0.0) {
                    return Err(bad(
                        "caption preprocess needs size > 0 and non-zero std".into()
                    ));
                }
                referenced.extend([
                    caption.vision_encoder.as_str(),
                    caption.embed_tokens.as_str(),
                    caption.encoder.as_str(),
                    caption.decoder.as_str(),
                    caption.tokenizer.as_str(),
                ]);
            }
            TASK_FACE_RECOGNITION => {}
            TASK_SENTENCE_EMBEDDING => {
                let Some(sentence) = &self.sentence else {
                    return Err(bad(format!(
                        "task {TASK_SENTENCE_EMBEDDING} needs a [sentence] section"
                    )));
                };
                if let Some(problem) = sentence.problem(self.embedding_dim) {
                    return Err(bad(problem));
                }
                referenced.extend([sentence.file.as_str(), sentence.tokenizer.as_str()]);
            }
            other => {
                return Err(bad(format!(
                    "unknown task {other:?} (known: {TASK_IMAGE_TEXT_EMBEDDING}, {TASK_OCR}, {TASK_VOICE_ACTIVITY}, {TASK_SPEECH_RECOGNITION}, {TASK_IMAGE_CAPTIONING}, {TASK_FACE_RECOGNITION}, {TASK_SENTENCE_EMBEDDING})"
                )));
            }
        }
        if let Some(missing) = referenced
            .iter()
            .find(|name| !self.files.iter().any(|f| f.name == **name))
        {
            return Err(bad(format!(
                "refers to {missing:?} which is not in [[files]]"
            )));
        }
        Ok(())
    }

    /// Path of one of this model's files inside the models dir.
    pub fn file_path(&self, models_dir: &Path, file: &str) -> PathBuf {
        models_dir.join(&self.name).join(file)
    }
}

/// The `[vad]` section of a manifest: the graph and its input/output names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VadSpec {
    /// A `files` entry.
    pub file: String,
    /// Audio input, f32 [batch, context + window].
    #[serde(default = "default_vad_input")]
    pub input: String,
    /// Recurrent state input, f32 [2, batch, 128].
    #[serde(default = "default_vad_state")]
    pub state: String,
    /// Sample-rate input, int64 scalar.
    #[serde(default = "default_vad_sample_rate_input")]
    pub sample_rate_input: String,
    /// Speech probability output, f32 [batch, 1].
    #[serde(default = "default_vad_output")]
    pub output: String,
    /// Next recurrent state output.
    #[serde(default = "default_vad_state_output")]
    pub state_output: String,
    #[serde(default = "default_vad_sample_rate")]
    pub sample_rate: u32,
    /// New samples per step (512 at 16 kHz).
    #[serde(default = "default_vad_window")]
    pub window: usize,
    /// Samples of the previous step prepended to each window (64 at 16 kHz).
    #[serde(default = "default_vad_context")]
    pub context: usize,
}

fn default_vad_input() -> String {
    "input".into()
}
fn default_vad_state() -> String {
    "state".into()
}
fn default_vad_sample_rate_input() -> String {
    "sr".into()
}
fn default_vad_output() -> String {
    "output".into()
}
fn default_vad_state_output() -> String {
    "stateN".into()
}
fn default_vad_sample_rate() -> u32 {
    16_000
}
fn default_vad_window() -> usize {
    512
}
fn default_vad_context() -> usize {
    64
}

/// The `[whisper]` section of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhisperSpec {
    /// A `files` entry: `encoder_model.onnx`, input_features [b, mel_bins, 3000] ->
    /// last_hidden_state [b, 1500, d].
    pub encoder: String,
    /// A `files` entry: `decoder_model_merged.onnx` (input_ids, encoder_hidden_states,
    /// past_key_values.*, use_cache_branch -> logits, present.*).
    pub decoder: String,
    /// A `files` entry: the model's `tokenizer.json`.
    pub tokenizer: String,
    /// Mel bins of the input features (80; 128 for large-v3).
    #[serde(default = "default_whisper_mel_bins")]
    pub mel_bins: usize,
    /// Longest decode per 30 s window, in tokens.
    #[serde(default = "default_whisper_max_tokens")]
    pub max_tokens: usize,
    /// English-only checkpoints (`*.en`) take no language or task token.
    #[serde(default)]
    pub english_only: bool,
}

fn default_whisper_mel_bins() -> usize {
    80
}

fn default_whisper_max_tokens() -> usize {
    224
}

/// The `[caption]` section of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptionSpec {
    /// A `files` entry: `vision_encoder.onnx`, pixel_values [b, 3, S, S] -> image_features
    /// [b, tokens, d].
    pub vision_encoder: String,
    /// A `files` entry: `embed_tokens.onnx`, input_ids [b, s] -> inputs_embeds [b, s, d].
    pub embed_tokens: String,
    /// A `files` entry: `encoder_model.onnx`, inputs_embeds + attention_mask ->
    /// last_hidden_state.
    pub encoder: String,
    /// A `files` entry: `decoder_model_merged.onnx` (inputs_embeds, encoder_hidden_states,
    /// encoder_attention_mask, past_key_values.*, use_cache_branch -> logits, present.*).
    pub decoder: String,
    /// A `files` entry: the model's `tokenizer.json` (BART's byte-level BPE).
    pub tokenizer: String,
    /// The text a task token expands to: Florence-2's processor turns `<CAPTION>` into
    /// "What does the image describe?".
    #[serde(default = "default_caption_prompt")]
    pub prompt: String,
    /// Longest caption, in tokens.
    #[serde(default = "default_caption_max_tokens")]
    pub max_tokens: usize,
    /// No n-gram of this size is generated twice (the model's generation config says 3;
    /// 0 turns it off).
    #[serde(default = "default_caption_no_repeat_ngram")]
    pub no_repeat_ngram: usize,
    /// Florence-2: 768×768 stretched, ImageNet mean and std.
    pub preprocess: ImagePreprocess,
}

fn default_caption_prompt() -> String {
    "What does the image describe?".to_string()
}

fn default_caption_max_tokens() -> usize {
    64
}

fn default_caption_no_repeat_ngram() -> usize {
    3
}

/// The `[sentence]` section of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentenceSpec {
    /// A `files` entry: the encoder graph. Its inputs are read from the graph: `input_ids`
    /// (required), `attention_mask` and `token_type_ids` (fed when present), int64
    /// [batch, sequence].
    pub file: String,
    /// A `files` entry: the Hugging Face `tokenizer.json`.
    pub tokenizer: String,
    /// Output to read: [batch, embedding_dim] (already pooled) or [batch, sequence,
    /// embedding_dim] (token embeddings, pooled here as `pooling` says).
    pub output: String,
    /// Longer texts are truncated to this many tokens (special tokens included).
    pub max_tokens: usize,
    /// How the model pools token embeddings: `mean` (over the attention mask) or `cls`.
    #[serde(default = "default_sentence_pooling")]
    pub pooling: String,
    /// Whether the model's embeddings are L2-normalised (always done here; a no-op on a
    /// graph that already does it).
    #[serde(default = "default_sentence_normalize")]
    pub normalize: bool,
    /// Cosine similarity below which a text is not a semantic match for a query, set on
    /// held-out paraphrase and unrelated pairs (see `calibration`).
    pub semantic_cutoff: f32,
    /// How `semantic_cutoff` was set: the pairs file and the scores, for people.
    #[serde(default)]
    pub calibration: String,
}

fn default_sentence_pooling() -> String {
    "mean".to_string()
}

fn default_sentence_normalize() -> bool {
    true
}

impl SentenceSpec {
    /// What the manifest check says about this section, or None when it is usable.
    pub(crate) fn problem(&self, embedding_dim: usize) -> Option<String> {
        if embedding_dim == 0 {
            return Some("embedding_dim must be > 0".into());
        }
        if self.max_tokens < 2 {
            return Some("sentence max_tokens must be at least 2".into());
        }
        if let Err(reason) = self.pooling.parse::<crate::sentence::pooling::Pooling>() {
            return Some(reason);
        }
        if !(self.semantic_cutoff > -1.0 && self.semantic_cutoff < 1.0) {
            return Some(format!(
                "semantic_cutoff {} is not a cosine between -1 and 1",
                self.semantic_cutoff
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OCR_MANIFEST: &str = r#"
name = "ppocr"
task = "ocr"
[[files]]
name = "det.onnx"
[[files]]
name = "rec.onnx"
[ocr]
det = { file = "det.onnx", input = "x", output = "y" }
rec = { file = "rec.onnx", input = "x", output = "y" }
"#;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write manifest");
        path
    }

    #[test]
    fn a_valid_ocr_manifest_loads() {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest =
            Manifest::load(&write(dir.path(), "ppocr.toml", OCR_MANIFEST)).expect("loads");
        assert_eq!(manifest.task, TASK_OCR);
        assert_eq!(manifest.ocr.expect("ocr").character_key, "character");
    }

    #[test]
    fn manifest_errors_name_the_file_and_the_problem() {
        let dir = tempfile::tempdir().expect("temp dir");
        let renamed = write(dir.path(), "other.toml", OCR_MANIFEST);
        let err = Manifest::load(&renamed).expect_err("name mismatch");
        assert!(err.to_string().contains("other.toml"), "{err}");
        assert!(err.is_user_error());

        let dangling = OCR_MANIFEST.replace(
            "rec = { file = \"rec.onnx\"",
            "rec = { file = \"gone.onnx\"",
        );
        let err =
            Manifest::load(&write(dir.path(), "ppocr.toml", &dangling)).expect_err("dangling");
        assert!(err.to_string().contains("gone.onnx"), "{err}");

        let sneaky = OCR_MANIFEST.replace("name = \"det.onnx\"", "name = \"../det.onnx\"");
        assert!(Manifest::load(&write(dir.path(), "ppocr.toml", &sneaky)).is_err());
    }
}
