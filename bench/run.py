"""`make bench` / `make bench-quick`: measures rushes against its peers in one run and writes
bench/work/results.json, then bench/REPORT.md and bench/report.json (via report.py).

Owns the rows: which inputs each uses, which of ours and which peer it runs, and how a
figure and its pass/fail are derived. A row whose part is missing says why instead of
inventing a figure. Run through scripts/bench.sh, which builds the release binary first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import inputs  # noqa: E402
import report  # noqa: E402
from measure import (NotMeasured, Timing, repeat_command, run_bench_target, run_command,  # noqa: E402
                     run_target_for_rows, seconds_field)
from ocr_text import ocr_text_check, ocr_text_note  # noqa: E402
import e2e_facts  # noqa: E402
import speech_rows  # noqa: E402
from screen_text_row import screen_text_row  # noqa: E402
from pg_query_row import pg_query_rows  # noqa: E402
from pg_workers_row import pg_workers_rows  # noqa: E402
from semantic_row import semantic_text_row  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / "work"
LOGS = WORK / "logs"
RUSHES = REPO / "target" / "release" / "rushes"
PYTHON = str(REPO / ".venv" / "bin" / "python")
THREADS = 2

MODES = {
    "quick": {"reel_seconds": 48, "runs": 3, "warmup": 1, "moments": 100_000, "stills": 10_000, "keyframes": 6,
              "cold_runs": 10, "text_overlays": 8},
    "full": {"reel_seconds": 180, "runs": 5, "warmup": 1, "moments": 1_000_000, "stills": 10_000, "keyframes": 16,
             "cold_runs": 20, "text_overlays": 24},
}


# Rows that run in-crate bench targets on synthetic data: no reel, stills or release binary.
# scripts/bench.sh skips the release build when `--only` names only these.
WITHOUT_INPUTS = {"query", "pg_query"}
# Rows that need the reel (and the release binary) but none of the other inputs.
ONLY_THE_REEL = {"pg_workers"}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def row(key: str, measure: str, target: dict, **fields) -> dict:
    return {"key": key, "measure": measure, "target": target, "ours": None, "peer": None, "ratio": None,
            "value": None, "status": "not measured", "note": "", **fields}


def figure(timing: Timing, unit: str = "s") -> dict:
    return {"unit": unit, **timing.to_json()}


def peer_json(args: list[str], timeout: float = 3600) -> dict:
    result = run_command([PYTHON, str(REPO / "bench" / "peers.py"), *args], cwd=REPO, timeout=timeout)
    (LOGS / f"peer-{args[0]}.log").write_text(result.stderr)
    if result.returncode != 0:
        raise NotMeasured(f"peer {args[0]} failed: {' | '.join(result.stderr.strip().splitlines()[-2:])[:300]}")
    return json.loads(result.stdout)


def paired_ratios_note(ours: list[float], peer: list[float]) -> str:
    """Each of our runs against the peer run right after it: on a machine whose load changes
    during a row, these pairs see the same load, so their spread shows how far the ratio of
    medians can be trusted. Empty when the runs do not pair up."""
    if not ours or len(ours) != len(peer):
        return ""
    pairs = [p / o for o, p in zip(ours, peer) if o > 0]
    if len(pairs) != len(ours):
        return ""
    return (f" Paired ratios (each of our runs against the PySceneDetect run right after it): "
            f"{', '.join(f'{r:.2f}' for r in pairs)}; median {statistics.median(pairs):.2f}×.")


def matched_cuts(reference: list[float], ours: list[float], fps: float) -> tuple[list[float], list[float]]:
    """Cuts of `reference` found in `ours` within ±1 frame, and those missed."""
    tolerance = 1.0 / fps + 1e-6
    found, missed = [], []
    for cut in reference:
        (found if any(abs(cut - mine) <= tolerance for mine in ours) else missed).append(cut)
    return found, missed


class Bench:
    def __init__(self, mode: str):
        self.mode = mode
        self.cfg = MODES[mode]
        self.rows: list[dict] = []
        self.facts: dict = {}
        self.reel: dict = {}
        self.e2e_index: Path | None = None

    # ---------- inputs ----------

    def prepare(self, only: set[str] | None = None) -> None:
        WORK.mkdir(parents=True, exist_ok=True)
        LOGS.mkdir(exist_ok=True)
        self.binary_ok = RUSHES.is_file() and os.environ.get("RUSHES_BENCH_BUILD_FAILED") != "1"
        if only and only <= WITHOUT_INPUTS:
            return
        self.reel = inputs.make_reel(WORK, self.cfg["reel_seconds"])
        if only and only <= WITHOUT_INPUTS | ONLY_THE_REEL:
            return
        self.short_clip = inputs.make_short_clip(WORK, Path(self.reel["path"]), 4)
        self.keyframes = inputs.make_keyframes(WORK, Path(self.reel["path"]), self.cfg["keyframes"])
        self.stills = inputs.make_stills(WORK, self.cfg["stills"])

    def run_rushes(self, label: str, args: list[str], **kwargs):
        if not self.binary_ok:
            raise NotMeasured("target/release/rushes did not build (see bench/work/logs/build.log)")
        return repeat_command([str(RUSHES), *args], label=f"rushes {label}", cwd=REPO, **kwargs)

    # ---------- rows ----------

    def repeat_target(self, crate: str, name: str, env: dict, each_run=None, timeout: float = 3600) -> list[list[dict]]:
        """Runs a bench target warm-up + runs times (each of its runs is one timing); `each_run(i)`
        runs right after each, so a peer command interleaves with ours. Warm-up output dropped."""
        outputs = []
        for i in range(self.cfg["warmup"] + self.cfg["runs"]):
            objects = run_bench_target(REPO, LOGS, crate, name, env, timeout, run=i)
            if each_run:
                each_run(i)
            if i >= self.cfg["warmup"]:
                outputs.append(objects)
        return outputs

    def sampling_and_shots(self) -> None:
        """Rows 1 and 2: the `sampling` bench target times analyze_video (one pass: shots and
        frames), interleaved run by run with the ffmpeg CLI peer; PySceneDetect on the same file."""
        fps = self.reel["fps"]
        sampling = row("sampling", "frame sampling, 1080p H.264, default plan (1 frame / 2 s + shot starts, ≤960 px)",
                       {"op": ">=", "value": 0.8, "unit": "×", "of": "ffmpeg CLI speed"})
        shots = row("shots", "shot detection, same file", {"op": ">=", "value": 2.0, "unit": "×", "of": "PySceneDetect speed",
                                                            "also": "no PySceneDetect cut missed (±1 frame)"})
        self.rows += [sampling, shots]
        reel = self.reel["path"]
        ffmpeg_cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", reel,
                      "-vf", "fps=1/2,scale=960:-2", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
        peer_what = "ffmpeg -i <reel> -vf fps=1/2,scale=960:-2 -pix_fmt rgb24 -f rawvideo - >/dev/null"
        ffmpeg_timing = Timing()

        def ffmpeg_run(i):
            result = run_command(ffmpeg_cmd, stdout_to_null=True)
            if result.returncode != 0:
                raise NotMeasured(f"ffmpeg peer failed: {result.stderr.strip()[-200:]}")
            if i >= self.cfg["warmup"]:
                ffmpeg_timing.seconds.append(result.seconds)

        # PySceneDetect runs right after each of our runs too, so both sides of the shots ratio
        # see the same load (a noisy machine otherwise skews whichever phase ran second).
        scenedetect_runs: list[dict] = []
        scenedetect_failure: list[str] = []

        def scenedetect_run(i):
            if scenedetect_failure:
                return
            try:
                scenedetect_runs.append({"warmup": i < self.cfg["warmup"],
                                         **peer_json(["scenedetect", reel, "--runs", "1", "--warmup", "0"])})
            except NotMeasured as error:
                scenedetect_failure.append(str(error))

        def each_run(i):
            ffmpeg_run(i)
            scenedetect_run(i)

        ours_timing = Timing()
        shots_only_timing = Timing()
        shot_counts = []
        target_cuts = None
        try:
            outputs = self.repeat_target("rushes-media", "sampling", {"RUSHES_BENCH_VIDEO": reel}, each_run=each_run)
            for objects in outputs:
                line = next((o for o in objects if seconds_field(o, "rushes", "analyze_video") is not None), None)
                if line is None:
                    raise NotMeasured("the `sampling` bench target printed no `rushes_seconds`")
                ours_timing.seconds.append(seconds_field(line, "rushes", "analyze_video"))
                shots_only = seconds_field(line, "shots_only")
                if shots_only is not None:
                    shots_only_timing.seconds.append(shots_only)
                if isinstance(line.get("shots"), int):
                    shot_counts.append(line["shots"])
                if isinstance(line.get("cuts"), list):
                    target_cuts = [float(c) for c in line["cuts"]]
            sampling["ours"] = {"what": "rushes-media analyze_video (bench target `sampling`)", **figure(ours_timing),
                                "raw": outputs[-1]}
            sampling["peer"] = {"what": peer_what, **figure(ffmpeg_timing)}
            sampling["ratio"] = ffmpeg_timing.median / ours_timing.median
            in_target = [seconds_field(o, "ffmpeg_sample") for objs in outputs for o in objs]
            in_target = [t for t in in_target if t is not None]
            sampling["note"] = ("ffmpeg decodes the file and scales one frame per 2 s to 960 px; analyze_video decodes it "
                                "once, detects cuts on every frame (tiny copies) and scales only the sampled frames "
                                "(shot starts + the 2 s grid) to 960 px. Runs interleaved; ratio = ffmpeg median / ours.")
            if in_target:
                sampling["note"] += (f" The target's own run of the same ffmpeg command, right after ours, took "
                                     f"{statistics.median(in_target):.2f} s median.")
        except NotMeasured as error:
            sampling["reason"] = str(error)
            if not ffmpeg_timing.seconds:
                for i in range(self.cfg["warmup"] + self.cfg["runs"]):
                    ffmpeg_run(i)
            sampling["peer"] = {"what": peer_what, **figure(ffmpeg_timing)}

        timed = [run for run in scenedetect_runs if not run["warmup"]]
        if not timed:
            # Our target failed before any interleaved run: PySceneDetect alone, back to back.
            try:
                timed = [peer_json(["scenedetect", reel, "--runs", str(self.cfg["runs"]),
                                    "--warmup", str(self.cfg["warmup"])])]
            except NotMeasured as error:
                scenedetect_failure.append(str(error))
        if not timed:
            shots["reason"] = scenedetect_failure[0] if scenedetect_failure else "PySceneDetect did not run"
            return
        peer = {**timed[-1], "seconds": [s for run in timed for s in run["seconds"]]}
        peer_timing = Timing(peer["seconds"])
        shots["peer"] = {"what": peer["peer"], **figure(peer_timing), "cuts": peer["cuts"]}
        known_found, known_missed = matched_cuts(self.reel["known_cuts"], peer["cuts"], fps)
        shots["peer_known_cuts"] = {"found": len(known_found), "of": len(self.reel["known_cuts"]), "missed": known_missed}
        # detect_shots is the same decode and detector with the model-size output off: the fair
        # figure against a shot detector. Older targets only time the whole sampling pass.
        shots_timing, shots_what = shots_only_timing, "rushes-media detect_shots (analyze_video's decode and detector, sample output off)"
        if not shots_timing.seconds:
            shots_timing, shots_what = ours_timing, "rushes-media analyze_video (one pass: shots + sampled frames)"
        if shots_timing.seconds:
            shots["ours"] = {"what": shots_what, **figure(shots_timing)}
            shots["ratio"] = peer_timing.median / shots_timing.median
        else:
            shots["reason"] = sampling.get("reason", "no timing of ours")
        our_cuts, cut_source = target_cuts, "the `sampling` target's cut list (analyze_video)"
        if our_cuts is None and self.e2e_index:
            our_cuts, cut_source = self.cuts_from_index(self.e2e_index), "moment starts of the e2e index (`rushes show --json`)"
        if our_cuts is not None:
            found, missed = matched_cuts(peer["cuts"], our_cuts, fps)
            ours_known, ours_known_missed = matched_cuts(self.reel["known_cuts"], our_cuts, fps)
            _, extra = matched_cuts(our_cuts, peer["cuts"], fps)
            shots["cut_check"] = {"source": cut_source, "peer_cuts": len(peer["cuts"]),
                                  "found": len(found), "missed": missed, "ours": len(our_cuts), "extra": extra,
                                  "known_found": len(ours_known), "known_missed": ours_known_missed}
        elif ours_timing.seconds:
            shots["reason"] = "no cut list of ours: the e2e row did not index the reel"
        counts = f"; analyze_video reported {shot_counts[-1]} shots" if shot_counts else ""
        shots["note"] = (f"PySceneDetect default ContentDetector (threshold 27, opencv backend, auto downscale) found "
                         f"{len(peer['cuts'])} cuts ({len(known_found)} of the {len(self.reel['known_cuts'])} built into the reel)"
                         f"{counts}. Runs interleaved with ours. Ours: {shots_what}; the whole sampling pass took "
                         f"{ours_timing.median if ours_timing.seconds else float('nan'):.2f} s median. Cut check: every PySceneDetect cut among our cuts ±1 frame; `extra` lists our cuts "
                         f"PySceneDetect does not have."
                         + paired_ratios_note(shots_timing.seconds, peer_timing.seconds if len(timed) > 1 else []))

    def cuts_from_index(self, index: Path) -> list[float] | None:
        result = run_command([str(RUSHES), "show", str(Path(self.reel["path"]).resolve()), "--index", str(index), "--json"],
                             cwd=REPO, timeout=120)
        if result.returncode != 0:
            (LOGS / "show.log").write_text(result.stdout + result.stderr)
            return None
        try:
            moments = json.loads(result.stdout).get("moments", [])
        except json.JSONDecodeError:
            return None
        return sorted(float(m["start"]) for m in moments if float(m.get("start", 0)) > 0)

    def encoder(self) -> None:
        """Row 3 (and the runs row 4 reads): the `encoders` target, repeated; the peer runs the
        same .onnx file with the same batch and threads."""
        r = row("encoder", "image encoder, ViT-B/32-sized graph (random weights), 2 threads",
                {"op": ">=", "value": 0.95, "unit": "×", "of": "Python onnxruntime speed"})
        self.rows.append(r)
        self.encoder_outputs = []
        model, generator = inputs.make_vit_model(REPO, WORK, PYTHON)
        if model is None:
            r["reason"] = generator
        else:
            r["model"] = {"path": str(model.relative_to(REPO)), "generator": generator}
        try:
            self.encoder_outputs = self.repeat_target(
                "rushes-models", "encoders", {"RUSHES_BENCH_IMAGE_MODEL": str(model or ""), "RUSHES_BENCH_KEYFRAMES":
                                              str(self.keyframes), "RUSHES_THREADS": str(THREADS)})
        except NotMeasured as error:
            r["reason"] = str(error)
            self.encoder_error = str(error)
            return
        if model is None:
            return
        lines = [next((o for o in objs if o.get("bench") == "clip_image_embed"), None) for objs in self.encoder_outputs]
        skipped = next((l["skipped"] for l in lines if l and "skipped" in l), None)
        times = [seconds_field(l, "image") for l in lines if l]
        if skipped or not all(t is not None for t in times) or not times:
            r["reason"] = f"the `encoders` target skipped the image encoder: {skipped}" if skipped else \
                "the `encoders` target printed no `ms_per_image`"
            return
        batch = int(lines[-1].get("batch", 8))
        threads = int(lines[-1].get("threads", THREADS))
        peer = peer_json(["onnxruntime", str(model), "--threads", str(threads), "--batch", str(batch),
                          "--runs", str(self.cfg["runs"]), "--warmup", str(self.cfg["warmup"])])
        ours_timing = Timing(times)
        peer_timing = Timing([s / batch for s in peer["seconds"]])
        r["ours"] = {"what": "ClipImageEncoder::embed_images (bench target `encoders`), seconds per image", **figure(ours_timing)}
        r["peer"] = {"what": peer["peer"] + ", seconds per image", **figure(peer_timing)}
        r["ratio"] = peer_timing.median / ours_timing.median
        r["note"] = (f"batches of {batch} through {model.relative_to(REPO)} ({generator}), {threads} intra-op threads each; "
                     f"ours includes its pre-processing (resize, crop, normalise) from decoded frames, the peer starts "
                     f"from a ready tensor. Per image; ratio = peer / ours.")

    def ocr_frames(self) -> Path:
        """The frames the `encoders` target reads: RUSHES_BENCH_KEYFRAMES when its source uses it,
        else the Megamind frames at 1, 4 and 8 s it decodes itself (decoded here the same way)."""
        source = REPO / "crates/rushes-models/benches/encoders.rs"
        if source.is_file() and "RUSHES_BENCH_KEYFRAMES" in source.read_text():
            return self.keyframes
        folder = WORK / "keyframes_encoders_target"
        folder.mkdir(exist_ok=True)
        for index, seconds in enumerate(["1", "4", "8"]):
            out = folder / f"key{index}.png"
            if not out.is_file():
                inputs.ffmpeg("-ss", seconds, "-i", str(inputs.DATA / "Megamind.avi"), "-frames:v", "1", str(out))
        return folder

    def ocr(self) -> None:
        r = row("ocr", "OCR on the same keyframes (PP-OCRv4 det + rec)", {"op": ">=", "value": 1.5, "unit": "×",
                                                                            "of": "RapidOCR speed", "also": "same text"})
        self.rows.append(r)
        outputs = getattr(self, "encoder_outputs", [])
        if not outputs:
            r["reason"] = getattr(self, "encoder_error", "the `encoders` bench target did not run")
            return
        lines = [next((o for o in objs if o.get("bench") == "ocr_read"), None) for objs in outputs]
        skipped = next((l["skipped"] for l in lines if l and "skipped" in l), None)
        times = [seconds_field(l, "frame") for l in lines if l]
        if skipped or not times or any(t is None for t in times):
            r["reason"] = f"the `encoders` target skipped OCR: {skipped}" if skipped else "no `ocr_read` timing printed"
            return
        frames_dir = self.ocr_frames()
        frames = sorted(frames_dir.glob("*.png"))
        manifest = REPO / "models" / "ppocr.toml"
        use_cls = manifest.is_file() and re.search(r"^cls\s*=", manifest.read_text(), re.MULTILINE) is not None
        peer = peer_json(["rapidocr", str(frames_dir), "--threads", str(THREADS), "--runs", str(self.cfg["runs"]),
                          "--warmup", str(self.cfg["warmup"])] + (["--use-cls"] if use_cls else []))
        ours_timing = Timing(times)
        peer_timing = Timing([s / len(frames) for s in peer["seconds"]])
        r["ours"] = {"what": "OcrEngine::read (bench target `encoders`), seconds per frame", **figure(ours_timing)}
        r["peer"] = {"what": peer["peer"] + ", seconds per frame", **figure(peer_timing)}
        r["ratio"] = peer_timing.median / ours_timing.median
        last = lines[-1]
        peer_lines = sum(len(t) for t in peer["texts"])
        if isinstance(last.get("texts"), list):
            r["text_check"] = ocr_text_check(last, peer, len(frames))
        elif isinstance(last.get("lines"), int):
            r["text_check"] = {"frames": 1, "same": int(last["lines"] == peer_lines), "compared": "line counts only",
                               "our_lines": last["lines"], "peer_lines": peer_lines, "peer_texts": peer["texts"]}
        where = "the reel's keyframes" if frames_dir == self.keyframes else "Megamind.avi at 1, 4 and 8 s (the frames the target decodes)"
        r["note"] = (f"{len(frames)} frames: {where}; per frame; ratio = peer / ours. "
                     + (ocr_text_note(r["text_check"]) if "texts" in last else
                        f"The target prints only a line count, so 'same text' compares counts (ours {last.get('lines')}, "
                        f"RapidOCR {peer_lines})."))

    def end_to_end(self) -> None:
        r = row("e2e", "end-to-end indexing of the 1080p file, default settings",
                {"op": ">=", "value": 10.0, "unit": "× real time", "of": "file duration"})
        size = row("size", "index size per hour of footage, thumbnails included", {"op": "<=", "value": 25.0, "unit": "MB/h"})
        rss = row("rss", "peak RSS while indexing (rushes + its ffmpeg children)", {"op": "<=", "value": 1536.0, "unit": "MB"})
        self.rows += [r, size, rss]
        runs_dir = WORK / "e2e"

        def fresh(i):
            shutil.rmtree(runs_dir / "index", ignore_errors=True)
            runs_dir.mkdir(parents=True, exist_ok=True)

        try:
            timing, results = self.run_rushes("index", ["index", self.reel["path"], "--index", str(runs_dir / "index"), "--json"],
                                              warmup=self.cfg["warmup"], runs=self.cfg["runs"], prepare=fresh)
        except NotMeasured as error:
            for each in (r, size, rss):
                each["reason"] = str(error)
            return
        self.e2e_index = runs_dir / "index"
        duration = self.reel["duration"]
        summary = {}
        try:
            summary = json.loads(results[-1].stdout)
        except json.JSONDecodeError:
            pass
        r["ours"] = {"what": "target/release/rushes index <reel> --json", **figure(timing)}
        r["peer"] = {"what": "file duration (real time)", "median_s": duration, "unit": "s"}
        r["ratio"] = duration / timing.median
        r["summary"] = summary
        r["note"] = (f"{duration:.0f} s of 1080p25 H.264 with {len(self.reel['known_cuts'])} cuts, indexed from scratch each "
                     f"run with the models installed here ({self.installed_models()}); ratio = duration / median wall time.")
        r["note"] += self.e2e_time_facts(duration)
        total = dir_size(self.e2e_index)
        small_index = WORK / "e2e" / "index-short"
        shutil.rmtree(small_index, ignore_errors=True)
        small = run_command([str(RUSHES), "index", str(self.short_clip), "--index", str(small_index)], cwd=REPO)
        fixed = dir_size(small_index) if small.returncode == 0 else 0
        hours = duration / 3600
        per_hour = (total - fixed) / 1e6 / (hours - 4 / 3600)
        size["value"] = per_hour
        size["ours"] = {"what": "apparent size (file lengths) of the index folder", "total_mb": total / 1e6,
                        "fixed_mb": fixed / 1e6, "unit": "MB/h"}
        size["note"] = (f"index of the {duration:.0f} s reel: {total / 1e6:.2f} MB; minus an index of its first 4 s "
                        f"({fixed / 1e6:.2f} MB, the fixed cost) per hour of footage beyond it.")
        size["parts"] = e2e_facts.index_parts(self.e2e_index)
        size["note"] += (" Where the bytes go: " + e2e_facts.parts_text(size["parts"], e2e_facts.index_parts(small_index),
                                                                        1 / (hours - 4 / 3600))
                         + f". The figure counts file lengths, what a copy or backup of the index weighs whatever the "
                         f"filesystem; on this disk (whole 4 KiB blocks per file) it takes "
                         f"{(e2e_facts.disk_bytes(self.e2e_index) - e2e_facts.disk_bytes(small_index)) / 1e6 / (hours - 4 / 3600):.1f}"
                         f" MB/h.")
        peak = max(result.peak_rss_bytes for result in results)
        rss["value"] = peak / 2**20
        rss["ours"] = {"what": "max over runs of summed RSS of the process tree, polled every 20 ms", "unit": "MB"}
        rss["note"] = "summed resident memory of rushes and the ffmpeg/ffprobe processes it runs, highest sample of any run."

    def e2e_time_facts(self, duration: float) -> str:
        """Where an indexing run's CPU time goes, and the plain-decode ceiling, as note text."""
        text = ""
        breakdown = e2e_facts.cpu_breakdown([str(RUSHES), "index", self.reel["path"], "--index",
                                             str(WORK / "e2e" / "index-perf"), "--json"], WORK, REPO)
        shutil.rmtree(WORK / "e2e" / "index-perf", ignore_errors=True)
        if breakdown:
            text += f" Where the time goes (CPU share, one run under perf): {e2e_facts.breakdown_text(breakdown)}."
        try:
            ceiling = e2e_facts.decode_ceiling(self.reel["path"], duration, 2, REPO)
            text += (f" Ceiling: the plain ffmpeg decode of the same file (every frame, no scaling) takes "
                     f"{ceiling['full']['median_s']:.1f} s, {ceiling['full']['x_real_time']:.1f}× real time on this machine "
                     f"({ceiling['loop filter skipped']['x_real_time']:.1f}× with the loop filter skipped, as the "
                     f"analysis decode does).")
        except NotMeasured as error:
            text += f" Decode ceiling not measured: {error}."
        return text

    def installed_models(self) -> str:
        result = run_command([str(RUSHES), "models", "list", "--json"], cwd=REPO, timeout=60)
        try:
            models = json.loads(result.stdout)
            items = models if isinstance(models, list) else models.get("models", [])
            names = [m.get("name", "?") for m in items if str(m.get("state", "")).lower().startswith("installed")]
            return ", ".join(names) or "none"
        except (json.JSONDecodeError, AttributeError):
            return "unknown: `rushes models list --json` failed"

    def query_latency(self) -> None:
        moments = self.cfg["moments"]
        # `full_hybrid`: BM25 + visual + semantic (one text unit with a 384-d sentence vector
        # per moment, so as many text units as moments).
        what = {"text": "text", "visual": "visual", "hybrid": "hybrid (text + visual)",
                "full_hybrid": f"full hybrid (text + visual + semantic over {moments:,} text units)"}
        rows = {kind: row(f"query_{kind}", f"query latency at {moments:,} moments, {label}, p95 warm",
                          {"op": "<=", "value": 50.0, "unit": "ms"}) for kind, label in what.items()}
        self.rows += rows.values()
        # The built index is cached in bench/work/scale-index under a key (moments, generator
        # and format versions), so a later run only rebuilds it when one of them changed.
        objects = run_target_for_rows(list(rows.values()), REPO, LOGS, "rushes-store", "scale",
                                      {"RUSHES_BENCH_MOMENTS": str(moments),
                                       "RUSHES_BENCH_INDEX_CACHE": str(WORK / "scale-index")}, 4 * 3600)
        if objects is None:
            return
        kinds = list(rows)

        def percentile(o: dict | None, p: str, kind: str) -> float | None:
            """`p95_ms`-style fields, or a bare `p95` whose unit the line names (`"metric":
            "text_query_ms"`, as the `scale` target prints), in seconds."""
            if not o:
                return None
            found = seconds_field(o, p, f"latency_{p}", f"{kind}_{p}")
            if found is None and isinstance(o.get(p), (int, float)):
                for text in (v for v in o.values() if isinstance(v, str)):
                    unit = next((u for u in ("ms", "us", "ns", "s") if text.endswith("_" + u)), None)
                    if unit:
                        return seconds_field({unit: o[p]}, "")
            return found

        def line_for(kind: str) -> dict | None:
            """The JSON line about `kind` queries: a string field equal to it, else one naming it
            (and no other kind), else a line with `<kind>_p95_*` fields."""
            texts = lambda o: [str(v).lower() for v in o.values() if isinstance(v, str)]  # noqa: E731
            # The `scale` target names each line exactly (`full_hybrid_query_ms` also holds
            # "hybrid", so the looser rules below cannot tell them apart).
            for o in objects:
                if o.get("metric") == f"{kind}_query_ms" and percentile(o, "p95", kind) is not None:
                    return o
            for o in objects:
                if kind in texts(o) and percentile(o, "p95", kind) is not None:
                    return o
            for o in objects:
                named = [k for k in kinds if any(k in t for t in texts(o))]
                if named == [kind] and percentile(o, "p95", kind) is not None:
                    return o
            return next((o for o in objects if seconds_field(o, f"{kind}_p95") is not None), None)

        for kind, r in rows.items():
            line = line_for(kind)
            p95 = percentile(line, "p95", kind)
            if p95 is None:
                r["reason"] = f"the `scale` bench target printed no {kind} p95"
                continue
            p50 = percentile(line, "p50", kind)
            r["value"] = p95 * 1000
            r["ours"] = {"what": "rushes-store bench target `scale`", "p95_ms": p95 * 1000,
                         "p50_ms": p50 * 1000 if p50 is not None else None, "unit": "ms", "raw": line}
            queries = f", {line['queries']} queries" if isinstance(line.get("queries"), int) else ""
            r["note"] = (f"synthetic index of {moments:,} moments (2 frame vectors of 512 dims and one text unit with a "
                         f"384-d sentence vector each) built by the `scale` "
                         f"target in-process, warm{queries}" + (f"; p50 {p50 * 1000:.1f} ms." if p50 is not None else "."))
        build = next((o for o in objects if "build" in (o.get("metric"), o.get("bench")) or seconds_field(o, "build")), None)
        if build:
            self.facts["scale_build"] = build

    def written_format(self) -> str:
        """What the release binary writes into an index folder: the lines of `rushes
        --version` after the release (index format, catalog schema, text analyzer)."""
        if not self.binary_ok:
            raise NotMeasured("target/release/rushes did not build (see bench/work/logs/build.log)")
        version = run_command([str(RUSHES), "--version"], cwd=REPO)
        lines = version.stdout.strip().splitlines()[1:]
        if version.returncode != 0 or not lines:
            raise NotMeasured("`rushes --version` names no index format (a binary older than the format line)")
        return "; ".join(lines)

    def cold_start(self) -> None:
        count = self.cfg["stills"]
        r = row("cold", f"`rushes search` cold start, {count // 1000}k-moment index", {"op": "<=", "value": 300.0, "unit": "ms"})
        self.rows.append(r)
        index = WORK / f"cold-index-{count}"
        index_flags = ["--no-ocr", "--no-visual"]
        try:
            # Kept between runs (indexing 10k stills takes minutes) while what decides its
            # contents is unchanged: the still generator's spec, the flags and the formats
            # this build writes. Ingest changes that keep those formats do not rebuild it.
            spec = {"stills": (self.stills / "done.spec").read_text().strip(), "flags": index_flags,
                    "writes": self.written_format()}
            rebuilt = not inputs.spec_is_current(index, spec)
            if rebuilt:
                # No stamp while it is rebuilt: an interrupted build never matches a spec.
                index.with_name(index.name + ".spec").unlink(missing_ok=True)
                shutil.rmtree(index, ignore_errors=True)
                log(f"indexing {count} stills for the cold-start index ({spec['writes']})")
                self.run_rushes("index", ["index", str(self.stills), "--index", str(index), *index_flags],
                                warmup=0, runs=1, timeout=3 * 3600)
                inputs.record_spec(index, spec)
            status = run_command([str(RUSHES), "status", "--index", str(index), "--json"], cwd=REPO)
            try:
                moments = find_count(json.loads(status.stdout), "moments")
            except json.JSONDecodeError:
                moments = None
            timing, _ = self.run_rushes("search", ["search", "still 04242 day09", "--index", str(index), "--json"],
                                        warmup=1, runs=self.cfg["cold_runs"])
        except NotMeasured as error:
            r["reason"] = str(error)
            return
        r["value"] = timing.median * 1000
        r["ours"] = {"what": "target/release/rushes search <q> --json, a new process each run", **figure(timing),
                     "moments": moments}
        r["note"] = (f"wall time of a whole `rushes search` process (start, open index, query, print) on an index of "
                     f"{moments if moments is not None else '?'} moments ({count} stills); OS file cache warm. Index "
                     f"{'built in this run' if rebuilt else 'kept from an earlier run'} ({spec['writes']}).")

    def run(self, only: set[str] | None) -> None:
        steps = [("e2e", self.end_to_end), ("sampling", self.sampling_and_shots), ("encoder", self.encoder),
                 ("ocr", self.ocr), ("query", self.query_latency), ("cold", self.cold_start),
                 ("vad", lambda: speech_rows.vad_row(self, row, figure, WORK)),
                 ("whisper", lambda: speech_rows.whisper_row(self, row, figure, WORK, REPO, PYTHON)),
                 ("caption", lambda: speech_rows.caption_row(self, row, figure, WORK, REPO, PYTHON, self.keyframes)),
                 ("screen_text", lambda: screen_text_row(self, row, WORK, REPO, RUSHES, self.cfg["text_overlays"])),
                 ("semantic_text", lambda: semantic_text_row(self, row, figure)),
                 ("pg_query", lambda: pg_query_rows(self, row, WORK, REPO, LOGS)),
                 ("pg_workers", lambda: pg_workers_rows(self, row, WORK, REPO, RUSHES, LOGS))]
        for name, step in steps:
            if only and name not in only:
                continue
            log(f"row: {name}")
            started = time.perf_counter()
            before = len(self.rows)
            try:
                step()
            except NotMeasured as error:
                for r in self.rows[before:]:
                    r.setdefault("reason", str(error))
            except Exception as error:  # a broken row must not lose the others
                (LOGS / f"row-{name}.traceback").write_text(traceback.format_exc())
                for r in self.rows[before:]:
                    r.setdefault("reason", f"bench harness error: {error!r} (see bench/work/logs/row-{name}.traceback)")
            log(f"row {name} took {time.perf_counter() - started:.0f} s")


def find_count(value, key: str) -> int | None:
    """The first integer under `key` anywhere in a JSON value (`rushes status --json` nests it)."""
    if isinstance(value, dict):
        if isinstance(value.get(key), int):
            return value[key]
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = find_count(child, key)
        if found is not None:
            return found
    return None


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ffmpeg = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.splitlines()[:1]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "crates"], capture_output=True, text=True, cwd=REPO).stdout
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version(),
            "ffmpeg": ffmpeg[0] if ffmpeg else "?", "commit": commit + ("+uncommitted" if dirty.strip() else "")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--only", help="comma-separated rows: e2e,sampling,encoder,ocr,query,cold,vad,whisper,caption,"
                                       "screen_text,semantic_text,pg_query,pg_workers")
    args = parser.parse_args()
    bench = Bench(args.mode)
    started = time.time()
    only = set(args.only.split(",")) if args.only else None
    bench.prepare(only)
    bench.run(only)
    rows = bench.rows
    previous_path = WORK / "results.json"
    if args.only and previous_path.is_file():
        # A partial rerun replaces its rows in the last run's results and keeps the others.
        previous = json.loads(previous_path.read_text())
        if previous.get("mode") == args.mode:
            fresh = {r["key"] for r in rows}
            rows = [r if r["key"] not in fresh else next(n for n in rows if n["key"] == r["key"]) for r in previous["rows"]]
            rows += [r for r in bench.rows if r["key"] not in {p["key"] for p in previous["rows"]}]
            bench.facts = {**previous.get("facts", {}), **bench.facts}
    results = {"mode": args.mode, "settings": bench.cfg, "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
               "seconds": round(time.time() - started), "machine": machine(), "reel": bench.reel, "facts": bench.facts,
               "rows": rows, "partial_rerun": args.only or None}
    (WORK / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    report.write(results, REPO / "bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
