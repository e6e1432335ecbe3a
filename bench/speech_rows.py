"""Speech and caption rows of the bench (issue 11). They have no peer: their targets are
informative, not promises.

- `vad`: Silero VAD (the real model scripts/setup.sh installs) on espeak-ng speech with
  silences and low noise between sentences, through the `rushes-models` bench target
  `speech`; × real time = audio seconds / our seconds.
- `whisper`: a Whisper-tiny-sized encoder + merged decoder with random weights
  (tests/fixtures/models/make_whisper_tiny_random.py, generated once into
  bench/work/models/), seconds per 30 s window through `WhisperModel::transcribe` at a fixed
  decoded-token count (the manifest's max_tokens; the graph never emits <|endoftext|>).
- `caption`: Florence-2-base-sized graphs with random weights
  (tests/fixtures/models/make_florence2_base_random.py), seconds per keyframe caption
  through `Captioner::caption_images` on the reel's keyframes in one batch, at a fixed token
  count (the manifest's max_tokens; the graph never emits </s>).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from measure import NotMeasured, Timing, seconds_field

SAMPLE_RATE = 16_000
SENTENCES = [
    "Scene forty two, take three. Roll camera.",
    "Okay everyone, quiet on set please, we are going again from the top.",
    "Can we get the boom a little higher, it is dipping into the frame.",
    "Action!",
    "Cut. That was lovely, let us check the gate and move on to the close up.",
    "Lighting, we need ten minutes to turn around for the reverse.",
]
# Seconds of silence (with low noise) before each sentence.
GAPS = [1.5, 3.0, 2.0, 4.0, 2.5, 3.5]


def make_speech(work: Path) -> tuple[Path, float]:
    """espeak-ng sentences with noisy silences between them, as raw 16 kHz mono f32le; its
    path and duration in seconds. Made once."""
    folder = work / "speech"
    raw = folder / "speech_16k_f32le.raw"
    if raw.is_file():
        return raw, raw.stat().st_size / 4 / SAMPLE_RATE
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for i, (sentence, gap) in enumerate(zip(SENTENCES, GAPS)):
        voice = folder / f"sentence{i}.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(voice), sentence], check=True, capture_output=True)
        parts.append((gap, voice))
    inputs, filters, labels = [], [], []
    for i, (gap, voice) in enumerate(parts):
        inputs += ["-f", "lavfi", "-t", str(gap), "-i", f"anoisesrc=color=pink:amplitude=0.01:r={SAMPLE_RATE}",
                   "-i", str(voice)]
        filters.append(f"[{2 * i}:a]aformat=sample_rates={SAMPLE_RATE}:channel_layouts=mono[g{i}];"
                       f"[{2 * i + 1}:a]aresample={SAMPLE_RATE},aformat=channel_layouts=mono[v{i}]")
        labels.append(f"[g{i}][v{i}]")
    graph = ";".join(filters) + ";" + "".join(labels) + f"concat=n={2 * len(parts)}:v=0:a=1[out]"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *inputs, "-filter_complex", graph,
                    "-map", "[out]", "-ar", str(SAMPLE_RATE), "-ac", "1", "-f", "f32le", str(raw) + ".part"],
                   check=True, capture_output=True)
    Path(str(raw) + ".part").replace(raw)
    return raw, raw.stat().st_size / 4 / SAMPLE_RATE


def make_random_model(repo: Path, work: Path, python: str, generator_name: str, model: str) -> Path:
    """The folder of random-weight model `model`, written by tests/fixtures/models/
    `generator_name` into work/models/ once (again when the generator or fixture_common.py
    changes)."""
    generator = repo / "tests/fixtures/models" / generator_name
    models = work / "models"
    manifest = models / f"{model}.toml"
    sources = [generator, generator.parent / "fixture_common.py"]
    if manifest.is_file() and all(manifest.stat().st_mtime >= source.stat().st_mtime for source in sources):
        return models / model
    print(f"[bench] generating {model} with {generator_name} (once)", file=sys.stderr, flush=True)
    result = subprocess.run([python, str(generator), str(models)], capture_output=True, text=True, cwd=generator.parent)
    if result.returncode != 0 or not manifest.is_file():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise NotMeasured(f"{generator_name} did not write {manifest.relative_to(repo)}: {last}")
    return models / model


def target_lines(bench, env: dict, key: str) -> list[dict]:
    """The `speech` target's line `key` of every timed run; NotMeasured when it skipped."""
    outputs = bench.repeat_target("rushes-models", "speech", env)
    lines = [next((o for o in objs if o.get("bench") == key), None) for objs in outputs]
    skipped = next((line["skipped"] for line in lines if line and "skipped" in line), None)
    if skipped:
        raise NotMeasured(f"the `speech` target skipped {key}: {skipped}")
    if not lines or any(line is None or seconds_field(line, "") is None for line in lines):
        raise NotMeasured(f"the `speech` target printed no `seconds` for {key}")
    return lines


def vad_row(bench, row, figure, work: Path) -> None:
    r = row("vad", "voice-activity detection (Silero VAD v6, real model) on espeak-ng speech with silences, 2 threads",
            {"op": ">=", "value": 1.0, "unit": "× real time", "also": "informative: no peer"})
    bench.rows.append(r)
    speech, duration = make_speech(work)
    lines = target_lines(bench, {"RUSHES_BENCH_SPEECH": str(speech)}, "vad")
    timing = Timing([seconds_field(line, "") for line in lines])
    audio = float(lines[-1].get("audio_seconds", duration))
    segments = lines[-1].get("segments", [])
    r["ours"] = {"what": "SileroVad::detect (bench target `speech`), seconds for the whole file", **figure(timing)}
    r["ratio"] = audio / timing.median
    r["note"] = (f"{audio:.1f} s of 16 kHz audio: {len(SENTENCES)} espeak-ng sentences with {sum(GAPS):.1f} s of pink-noise "
                 f"silence between them; {len(segments)} speech segments found. × real time = audio seconds / ours. "
                 f"No peer: the target is informative.")


def generated_model_row(bench, row, figure, work: Path, repo: Path, python: str, *, key: str, measure: str, target: dict,
                        generator: str, model: str, model_variable: str, inputs, what: str, note,
                        per_run=lambda line: seconds_field(line, "")) -> None:
    """Row `key` of a random-weight model that tests/fixtures/models/`generator` writes as
    `model`: the `speech` target timed with the model's folder in `model_variable` beside the
    environment `inputs()` returns; `per_run(line)` is a run's figure in seconds (by default
    the line's own), `what` says what it is, and `note(line)` writes what is particular to
    the model from the last run's line (the note's common tail is added here)."""
    r = row(key, measure, target)
    bench.rows.append(r)
    folder = make_random_model(repo, work, python, generator, model)
    r["model"] = {"path": str(folder.relative_to(repo)), "generator": f"tests/fixtures/models/{generator}"}
    lines = target_lines(bench, {**inputs(), model_variable: str(folder)}, key)
    timing = Timing([per_run(line) for line in lines])
    r["value"] = timing.median
    r["ours"] = {"what": what, **figure(timing)}
    r["note"] = (note(lines[-1]) + " Positional embeddings and the causal mask are left out of the random graphs "
                 "(negligible cost). No peer: the target is informative.")


def whisper_row(bench, row, figure, work: Path, repo: Path, python: str) -> None:
    def note(line: dict) -> str:
        return (f"The first {line.get('window_seconds', 30):.0f} s of the VAD row's audio; language given (en), "
                f"so no detection step; log-mel features + encoder (80×3000 -> 1500×384) + greedy decode of exactly "
                f"{line.get('max_tokens', '?')} tokens after the 3-token prompt with the key/value cache (the random "
                f"graph's logits are biased off <|endoftext|>, so every run decodes the manifest's max_tokens).")

    generated_model_row(
        bench, row, figure, work, repo, python, key="whisper",
        measure="Whisper-tiny-sized encoder + decoder (random weights; d_model 384, 4+4 layers, 6 heads, vocab 51865), "
                "one 30 s window, 2 threads",
        target={"op": "<=", "value": 30.0, "unit": "s", "also": "informative: no peer (≤ 30 s is real time)"},
        generator="make_whisper_tiny_random.py", model="whisper-tiny-random", model_variable="RUSHES_BENCH_WHISPER_MODEL",
        inputs=lambda: {"RUSHES_BENCH_SPEECH": str(make_speech(work)[0])},
        what="WhisperModel::transcribe (bench target `speech`), seconds per 30 s window", note=note)


def caption_row(bench, row, figure, work: Path, repo: Path, python: str, keyframes: Path) -> None:
    def note(line: dict) -> str:
        return (f"The reel's {line.get('keyframes', '?')} keyframes captioned in one batch (as ingest's caption worker "
                f"does), each to exactly {line.get('max_tokens', '?')} tokens (the random decoder's logits are biased "
                f"off </s>). The vision tower is not DaViT: a ViT with 32×32 patches, 12 layers of width 768 at "
                f"768×768 (576 patch tokens + 1 pooled = 577 tokens of 768, about 55 GMACs per picture — likely below "
                f"DaViT-base's cost at that size).")

    generated_model_row(
        bench, row, figure, work, repo, python, key="caption",
        measure="Florence-2-base-sized graphs (random weights; ViT vision tower at 768×768 -> 577 tokens of 768; "
                "BART-base text side d_model 768, 6+6 layers, 12 heads, vocab 51289), one keyframe caption, 2 threads",
        target={"op": "<=", "value": 2.0, "unit": "s", "also": "informative: no peer"},
        generator="make_florence2_base_random.py", model="florence2-base-random",
        model_variable="RUSHES_BENCH_CAPTION_MODEL", inputs=lambda: {"RUSHES_BENCH_KEYFRAMES": str(keyframes)},
        per_run=lambda line: seconds_field(line, "") / max(int(line.get("keyframes", 1)), 1),
        what="Captioner::caption_images (bench target `speech`), seconds per keyframe", note=note)
