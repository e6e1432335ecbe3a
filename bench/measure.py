"""Timing primitives shared by the benchmark rows: run a command and time it while polling the
peak resident memory of its whole process tree, repeat with warm-up, summarise as median and
min–max, and run an in-crate `cargo bench` target and collect the JSON lines it prints.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


class NotMeasured(Exception):
    """A row's part is missing or broke; the message says why, the report prints it."""


@dataclass
class CommandRun:
    seconds: float
    peak_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str


def _tree_rss_bytes(pid: int) -> int:
    total = 0
    pending = [pid]
    seen = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError, PermissionError):
            continue
    return total


def run_command(command: list[str], env: dict | None = None, cwd: Path | None = None, timeout: float = 3600,
                stdout_to_null: bool = False) -> CommandRun:
    """Runs `command`, returning wall seconds and the peak RSS summed over it and its children
    (sampled every 20 ms, so the rushes process and the ffmpeg it drives count together)."""
    full_env = {**os.environ, **(env or {})}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=full_env, cwd=cwd, text=True,
                               stdout=subprocess.DEVNULL if stdout_to_null else subprocess.PIPE,
                               stderr=subprocess.PIPE)
    peak = 0
    stop = threading.Event()

    def poll():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_bytes(process.pid))
            stop.wait(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        err = (err or "") + f"\n[bench] killed after {timeout:.0f} s"
    seconds = time.perf_counter() - start
    stop.set()
    poller.join()
    return CommandRun(seconds, peak, process.returncode, out or "", err or "")


@dataclass
class Timing:
    """Seconds of each timed run (warm-up runs excluded)."""
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def to_json(self) -> dict:
        return {"runs_s": [round(s, 6) for s in self.seconds], "median_s": round(self.median, 6),
                "min_s": round(min(self.seconds), 6), "max_s": round(max(self.seconds), 6)}


def repeat_command(command: list[str], warmup: int, runs: int, label: str, prepare=None, **kwargs) -> tuple[Timing, list[CommandRun]]:
    """Warm-up runs, then `runs` timed runs; `prepare(i)` runs before each (e.g. a fresh folder).
    A failing run stops the row with the command's last stderr lines."""
    timing = Timing()
    results = []
    for i in range(warmup + runs):
        if prepare:
            prepare(i)
        result = run_command(command, **kwargs)
        if result.returncode != 0:
            tail = " | ".join(result.stderr.strip().splitlines()[-3:])
            raise NotMeasured(f"{label} exited with {result.returncode}: {tail[:300]}")
        if i >= warmup:
            timing.seconds.append(result.seconds)
            results.append(result)
    return timing, results


def bench_target_exists(repo: Path, crate: str, name: str) -> bool:
    manifest = repo / "crates" / crate / "Cargo.toml"
    if not manifest.is_file():
        return False
    declared = re.search(r'\[\[bench\]\][^\[]*name\s*=\s*"' + re.escape(name) + '"', manifest.read_text())
    return bool(declared) or (repo / "crates" / crate / "benches" / f"{name}.rs").is_file()


def run_bench_target(repo: Path, logs: Path, crate: str, name: str, env: dict, timeout: float, run: int = 0) -> list[dict]:
    """`cargo bench -p <crate> --bench <name>` with `env`; returns the JSON objects it printed.
    Raises NotMeasured when the target is absent, does not build, fails or prints nothing."""
    if not bench_target_exists(repo, crate, name):
        raise NotMeasured(f"bench target `{name}` of {crate} is not written yet")
    log_path = logs / f"cargo-bench-{crate}-{name}-run{run}.log"
    result = run_command(["cargo", "bench", "-p", crate, "--bench", name], env=env, cwd=repo, timeout=timeout)
    log_path.write_text(f"$ cargo bench -p {crate} --bench {name}\n# env {env}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    if result.returncode != 0:
        reason = "does not build" if "error[" in result.stderr or "could not compile" in result.stderr else f"exited with {result.returncode}"
        raise NotMeasured(f"`cargo bench -p {crate} --bench {name}` {reason} (see {log_path.relative_to(repo)})")
    objects = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                objects.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    if not objects:
        raise NotMeasured(f"`{name}` printed no JSON lines (skipped its inputs? see {log_path.relative_to(repo)})")
    return objects


def run_target_for_rows(rows: list[dict], repo: Path, logs: Path, crate: str, name: str, env: dict,
                        timeout: float) -> list[dict] | None:
    """[`run_bench_target`] for `rows`: its JSON objects, or None with each row's reason set."""
    try:
        return run_bench_target(repo, logs, crate, name, env, timeout)
    except NotMeasured as error:
        for r in rows:
            r["reason"] = str(error)
        return None


_UNIT_SCALE = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "secs": 1.0, "sec": 1.0, "seconds": 1.0}


def seconds_field(obj: dict, *stems: str) -> float | None:
    """The first `<stem>_<unit>` numeric field in `obj` (units ns, us, ms, s, secs, seconds), in
    seconds; a list of runs gives its median. Bench targets name their fields freely; this
    reads `median_ms`, `rushes_seconds`, `ms_per_image` and the like."""
    for stem in stems:
        for unit, scale in _UNIT_SCALE.items():
            for key in (f"{stem}_{unit}" if stem else unit, f"{unit}_per_{stem}"):
                value = obj.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    return float(value) * scale
                if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
                    return statistics.median(value) * scale
    return None
