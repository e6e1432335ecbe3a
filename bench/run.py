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
from measure import NotMeasured, Timing, repeat_command, run_bench_target, run_command, seconds_field  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / "work"
LOGS = WORK / "logs"
RUSHES = REPO / "target" / "release" / "rushes"
PYTHON = str(REPO / ".venv" / "bin" / "python")
THREADS = 2

MODES = {
    "quick": {"reel_seconds": 48, "runs": 3, "warmup": 1, "moments": 100_000, "stills": 10_000, "keyframes": 6,
              "cold_runs": 10},
    "full": {"reel_seconds": 180, "runs": 5, "warmup": 1, "moments": 1_000_000, "stills": 10_000, "keyframes": 16,
             "cold_runs": 20},
}


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

    def prepare(self) -> None:
        WORK.mkdir(parents=True, exist_ok=True)
        LOGS.mkdir(exist_ok=True)
        self.reel = inputs.make_reel(WORK, self.cfg["reel_seconds"])
        self.short_clip = inputs.make_short_clip(WORK, Path(self.reel["path"]), 4)
        self.keyframes = inputs.make_keyframes(WORK, Path(self.reel["path"]), self.cfg["keyframes"])
        self.stills = inputs.make_stills(WORK, self.cfg["stills"])
        self.binary_ok = RUSHES.is_file() and os.environ.get("RUSHES_BENCH_BUILD_FAILED") != "1"

    def run_rushes(self, label: str, args: list[str], **kwargs):
        if not self.binary_ok:
            raise NotMeasured("target/release/rushes did not build (see bench/work/logs/build.log)")
        return repeat_command([str(RUSHES), *args], label=f"rushes {label}", cwd=REPO, **kwargs)

    # ---------- rows ----------

    def sampling_and_shots(self) -> None:
        """Rows 1 and 2: the `sampling` bench target times analyze_video (one pass: shots and
        frames); ffmpeg's plain fps=1/2 decode and PySceneDetect run on the same file."""
        fps = self.reel["fps"]
        sampling = row("sampling", "frame sampling, 1080p H.264, default plan (1 frame / 2 s + shot starts, ≤960 px)",
                       {"op": ">=", "value": 0.8, "unit": "×", "of": "ffmpeg CLI speed"})
        shots = row("shots", "shot detection, same file", {"op": ">=", "value": 2.0, "unit": "×", "of": "PySceneDetect speed",
                                                            "also": "no PySceneDetect cut missed (±1 frame)"})
        self.rows += [sampling, shots]
        reel = self.reel["path"]
        ffmpeg_cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", reel,
                      "-vf", "fps=1/2,scale=960:-2", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
        ours_objects: list[dict] = []
        ours_error = None
        try:
            ours_objects = run_bench_target(REPO, LOGS, "rushes-media", "sampling",
                                            {"RUSHES_BENCH_VIDEO": reel, "RUSHES_BENCH_RUNS": str(self.cfg["runs"])}, 3600)
        except NotMeasured as error:
            ours_error = str(error)
        ffmpeg_timing, _ = repeat_command(ffmpeg_cmd, self.cfg["warmup"], self.cfg["runs"], "ffmpeg", stdout_to_null=True)
        sampling["peer"] = {"what": " ".join(ffmpeg_cmd[:6] + ["-i", "<reel>"] + ffmpeg_cmd[7:-1] + ["- >/dev/null"]),
                            **figure(ffmpeg_timing)}
        ours_seconds, our_cuts, our_line = None, None, None
        for obj in ours_objects:
            value = seconds_field(obj, "analyze_video_median", "rushes_median", "ours_median", "analyze_median",
                                  "analyze_video", "rushes", "ours", "median", "analyze", "elapsed", "time")
            if value is not None and ours_seconds is None:
                ours_seconds, our_line = value, obj
            for key in ("cuts", "cuts_s", "shot_starts", "cut_times"):
                if isinstance(obj.get(key), list):
                    our_cuts = [float(c) for c in obj[key]]
            if our_cuts is None and isinstance(obj.get("shots"), list) and obj["shots"] and isinstance(obj["shots"][0], dict):
                our_cuts = [float(s["start"]) for s in obj["shots"][1:] if "start" in s]
        if ours_seconds is not None:
            sampling["ours"] = {"what": "rushes-media analyze_video (bench target `sampling`)", "median_s": ours_seconds,
                                "unit": "s", "raw": our_line}
            in_target_ffmpeg = seconds_field(our_line or {}, "ffmpeg_median", "ffmpeg", "peer_median", "peer")
            sampling["ratio"] = ffmpeg_timing.median / ours_seconds
            sampling["note"] = (f"ffmpeg decodes and scales one frame per 2 s; analyze_video does that plus shot starts "
                                f"and cut detection in one pass. Ratio = ffmpeg median / ours (same run).")
            if in_target_ffmpeg:
                sampling["note"] += f" The bench target's own ffmpeg timing: {in_target_ffmpeg:.2f} s."
        else:
            sampling["reason"] = ours_error or "the `sampling` bench target printed no timing field"

        # Shot detection: PySceneDetect on the same file.
        try:
            peer = peer_json(["scenedetect", reel, "--runs", str(self.cfg["runs"]), "--warmup", str(self.cfg["warmup"])])
        except NotMeasured as error:
            shots["reason"] = str(error)
            return
        peer_timing = Timing(peer["seconds"])
        shots["peer"] = {"what": peer["peer"], **figure(peer_timing), "cuts": peer["cuts"]}
        known_found, known_missed = matched_cuts(self.reel["known_cuts"], peer["cuts"], fps)
        shots["peer_known_cuts"] = {"found": len(known_found), "of": len(self.reel["known_cuts"]), "missed": known_missed}
        source = "the `sampling` bench target"
        ours_shot_seconds = ours_seconds
        if our_cuts is None and self.e2e_index is not None:
            our_cuts = self.cuts_from_index(self.e2e_index)
            source = "moment starts of `rushes index` (e2e row)"
        if ours_shot_seconds is None:
            shots["reason"] = sampling.get("reason", "no timing of ours")
        else:
            shots["ours"] = {"what": "rushes-media analyze_video (one pass, shots + frames)", "median_s": ours_shot_seconds,
                             "unit": "s"}
            shots["ratio"] = peer_timing.median / ours_shot_seconds
        if our_cuts is not None:
            found, missed = matched_cuts(peer["cuts"], our_cuts, fps)
            ours_known, ours_known_missed = matched_cuts(self.reel["known_cuts"], our_cuts, fps)
            shots["cut_check"] = {"source": source, "peer_cuts": len(peer["cuts"]), "found": len(found), "missed": missed,
                                  "ours_cuts": len(our_cuts), "known_found": len(ours_known), "known_missed": ours_known_missed}
        shots["note"] = (f"PySceneDetect with default ContentDetector (threshold 27, opencv backend, auto downscale) on "
                         f"the same file; ratio = its median / ours. Cut check: every PySceneDetect cut must be among ours "
                         f"±1 frame ({len(self.reel['known_cuts'])} cuts are built into the reel).")

    def cuts_from_index(self, index: Path) -> list[float] | None:
        result = run_command([str(RUSHES), "show", self.reel["path"], "--index", str(index), "--json"], cwd=REPO, timeout=120)
        if result.returncode != 0:
            return None
        try:
            moments = json.loads(result.stdout).get("moments", [])
        except json.JSONDecodeError:
            return None
        return sorted(float(m["start"]) for m in moments if float(m.get("start", 0)) > 0)

    def encoder(self) -> None:
        r = row("encoder", "image encoder, ViT-B/32-sized graph (random weights), 2 threads",
                {"op": ">=", "value": 0.95, "unit": "×", "of": "Python onnxruntime speed"})
        self.rows.append(r)
        model, generator = inputs.make_vit_model(REPO, WORK, PYTHON)
        if model is None:
            r["reason"] = generator
            return
        r["model"] = {"path": str(model.relative_to(REPO)), "generator": generator}
        try:
            objects = run_bench_target(REPO, LOGS, "rushes-models", "encoders",
                                       {"RUSHES_BENCH_IMAGE_MODEL": str(model), "RUSHES_BENCH_KEYFRAMES": str(self.keyframes),
                                        "RUSHES_BENCH_RUNS": str(self.cfg["runs"]), "RUSHES_THREADS": str(THREADS)}, 3600)
        except NotMeasured as error:
            r["reason"] = str(error)
            self.encoder_objects = []
            return
        self.encoder_objects = objects
        line = next((o for o in objects if "ocr" not in json.dumps(o).lower()[:80]), None)
        ours = seconds_field(line or {}, "per_image_median", "per_image", "median", "image_encoder", "encoder", "ours", "rushes")
        batch = int((line or {}).get("batch", (line or {}).get("batch_size", 8)))
        if ours is None:
            r["reason"] = "the `encoders` bench target printed no image-encoder timing"
            return
        peer = peer_json(["onnxruntime", str(model), "--threads", str(THREADS), "--batch", str(batch),
                          "--runs", str(self.cfg["runs"]), "--warmup", str(self.cfg["warmup"])])
        per_image = "per_image" in json.dumps(line)
        peer_timing = Timing([s / batch for s in peer["seconds"]] if per_image else peer["seconds"])
        r["ours"] = {"what": "rushes-models image encoder (bench target `encoders`)", "median_s": ours, "unit": "s", "raw": line}
        r["peer"] = {"what": peer["peer"], **figure(peer_timing)}
        r["ratio"] = peer_timing.median / ours
        r["note"] = f"batch of {batch} 224×224 images through the same .onnx file, 2 intra-op threads each; ratio = peer / ours."

    def ocr(self) -> None:
        r = row("ocr", "OCR on the same keyframes (PP-OCRv4 det + rec)", {"op": ">=", "value": 1.5, "unit": "×",
                                                                            "of": "RapidOCR speed", "also": "same text"})
        self.rows.append(r)
        frames = sorted(self.keyframes.glob("*.png"))
        objects = getattr(self, "encoder_objects", [])
        ocr_lines = [o for o in objects if "ocr" in json.dumps(o).lower()]
        if not ocr_lines:
            r["reason"] = ("the `encoders` bench target printed no OCR line" if objects else
                           "the `encoders` bench target of rushes-models did not run (see the encoder row)")
            return
        line = ocr_lines[0]
        ours = seconds_field(line, "ocr_median", "ocr", "median", "ours", "rushes", "total")
        if ours is None:
            r["reason"] = "the `encoders` bench target's OCR line has no timing field"
            return
        use_cls = "cls" in (REPO / "models" / "ppocr.toml").read_text() if (REPO / "models" / "ppocr.toml").is_file() else False
        peer = peer_json(["rapidocr", str(self.keyframes), "--threads", str(THREADS), "--runs", str(self.cfg["runs"]),
                          "--warmup", str(self.cfg["warmup"])] + (["--use-cls"] if use_cls else []))
        peer_timing = Timing(peer["seconds"])
        r["ours"] = {"what": "rushes-models OcrEngine (bench target `encoders`)", "median_s": ours, "unit": "s", "raw": line}
        r["peer"] = {"what": peer["peer"], **figure(peer_timing)}
        r["ratio"] = peer_timing.median / ours
        our_texts = line.get("texts") or line.get("text")
        if isinstance(our_texts, list):
            same = [" ".join(a) == " ".join(b) if isinstance(a, list) else a == " ".join(b) for a, b in zip(our_texts, peer["texts"])]
            r["text_check"] = {"frames": len(frames), "same": sum(same), "peer_texts": peer["texts"], "our_texts": our_texts}
        r["note"] = f"{len(frames)} keyframes of the reel (one per 2 s, 960 px wide, some with slates); ratio = peer / ours."

    def end_to_end(self) -> None:
        r = row("e2e", "end-to-end indexing of the 1080p file, default settings",
                {"op": ">=", "value": 10.0, "unit": "× real time", "of": "file duration"})
        size = row("size", "index size per hour of footage, thumbnails included", {"op": "<=", "value": 25.0, "unit": "MB/h"})
        rss = row("rss", "peak RSS while indexing (rushes + its ffmpeg children)", {"op": "<=", "value": 1536.0, "unit": "MB"})
        self.rows += [r, size, rss]
        runs_dir = WORK / "e2e"

        def fresh(i):
            shutil.rmtree(runs_dir / "index", ignore_errors=True)

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
        total = dir_size(self.e2e_index)
        small_index = WORK / "e2e" / "index-short"
        shutil.rmtree(small_index, ignore_errors=True)
        small = run_command([str(RUSHES), "index", str(self.short_clip), "--index", str(small_index)], cwd=REPO)
        fixed = dir_size(small_index) if small.returncode == 0 else 0
        hours = duration / 3600
        per_hour = (total - fixed) / 1e6 / (hours - 4 / 3600)
        size["value"] = per_hour
        size["ours"] = {"what": "du of the index folder", "total_mb": total / 1e6, "fixed_mb": fixed / 1e6, "unit": "MB/h"}
        size["note"] = (f"index of the {duration:.0f} s reel: {total / 1e6:.2f} MB; minus an index of its first 4 s "
                        f"({fixed / 1e6:.2f} MB, the fixed cost) per hour of footage beyond it.")
        peak = max(result.peak_rss_bytes for result in results)
        rss["value"] = peak / 2**20
        rss["ours"] = {"what": "max over runs of summed RSS of the process tree, polled every 20 ms", "unit": "MB"}
        rss["note"] = "summed resident memory of rushes and the ffmpeg/ffprobe processes it runs, highest sample of any run."

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
        rows = {kind: row(f"query_{kind}", f"query latency at {moments:,} moments, {kind}, p95 warm",
                          {"op": "<=", "value": 50.0, "unit": "ms"}) for kind in ("text", "visual", "hybrid")}
        self.rows += rows.values()
        try:
            objects = run_bench_target(REPO, LOGS, "rushes-store", "scale", {"RUSHES_BENCH_MOMENTS": str(moments)}, 4 * 3600)
        except NotMeasured as error:
            for r in rows.values():
                r["reason"] = str(error)
            return
        for kind, r in rows.items():
            line = next((o for o in objects if kind in {str(v).lower() for v in o.values() if isinstance(v, str)}), None)
            p95 = seconds_field(line or {}, "p95", f"{kind}_p95")
            if p95 is None:
                for o in objects:
                    p95 = seconds_field(o, f"{kind}_p95")
                    if p95 is not None:
                        line = o
                        break
            if p95 is None:
                r["reason"] = f"the `scale` bench target printed no {kind} p95"
                continue
            p50 = seconds_field(line or {}, "p50", f"{kind}_p50")
            r["value"] = p95 * 1000
            r["ours"] = {"what": "rushes-store bench target `scale`", "p95_ms": p95 * 1000,
                         "p50_ms": p50 * 1000 if p50 is not None else None, "unit": "ms", "raw": line}
            r["note"] = (f"synthetic index of {moments:,} moments built by the `scale` target; "
                         f"p50 {p50 * 1000:.1f} ms." if p50 is not None else f"synthetic index of {moments:,} moments.")
        build = next((o for o in objects if seconds_field(o, "build") is not None), None)
        if build:
            self.facts["scale_build"] = build

    def cold_start(self) -> None:
        count = self.cfg["stills"]
        r = row("cold", f"`rushes search` cold start, {count // 1000}k-moment index", {"op": "<=", "value": 300.0, "unit": "ms"})
        self.rows.append(r)
        index = WORK / f"cold-index-{count}"
        stamp = index / ".bench-binary"
        binary_id = f"{RUSHES.stat().st_mtime_ns}:{RUSHES.stat().st_size}" if RUSHES.is_file() else ""
        try:
            if not (stamp.is_file() and stamp.read_text() == binary_id):
                shutil.rmtree(index, ignore_errors=True)
                log(f"indexing {count} stills for the cold-start index")
                self.run_rushes("index", ["index", str(self.stills), "--index", str(index), "--no-ocr", "--no-visual"],
                                warmup=0, runs=1, timeout=3 * 3600)
                stamp.write_text(binary_id)
            status = run_command([str(RUSHES), "status", "--index", str(index), "--json"], cwd=REPO)
            moments = None
            try:
                moments = json.loads(status.stdout).get("moments")
            except json.JSONDecodeError:
                pass
            timing, _ = self.run_rushes("search", ["search", "still 04242 day09", "--index", str(index), "--json"],
                                        warmup=1, runs=self.cfg["cold_runs"])
        except NotMeasured as error:
            r["reason"] = str(error)
            return
        r["value"] = timing.median * 1000
        r["ours"] = {"what": "target/release/rushes search <q> --json, a new process each run", **figure(timing),
                     "moments": moments}
        r["note"] = (f"wall time of a whole `rushes search` process (start, open index, query, print) on an index of "
                     f"{moments if moments is not None else '?'} moments ({count} stills); OS file cache warm.")

    def run(self, only: set[str] | None) -> None:
        steps = [("e2e", self.end_to_end), ("sampling", self.sampling_and_shots), ("encoder", self.encoder),
                 ("ocr", self.ocr), ("query", self.query_latency), ("cold", self.cold_start)]
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
    parser.add_argument("--only", help="comma-separated rows: e2e,sampling,encoder,ocr,query,cold")
    args = parser.parse_args()
    bench = Bench(args.mode)
    started = time.time()
    bench.prepare()
    bench.run(set(args.only.split(",")) if args.only else None)
    results = {"mode": args.mode, "settings": bench.cfg, "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
               "seconds": round(time.time() - started), "machine": machine(), "reel": bench.reel, "facts": bench.facts,
               "rows": bench.rows}
    (WORK / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    report.write(results, REPO / "bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
