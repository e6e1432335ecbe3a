"""Facts behind the end-to-end rows: where an index's bytes go (by part, on disk and apparent),
where an indexing run's CPU time goes (by component, from `perf`, when installed), and the
decode ceiling (the plain ffmpeg decode of the same file, as a multiple of real time).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from measure import repeat_command


def index_parts(index: Path) -> dict[str, dict]:
    """Bytes per part of an index: `disk` (allocated blocks, what `du` counts: a small file
    takes a whole 4 KiB block) and `apparent` (file lengths), with the file count."""
    parts: dict[str, dict] = defaultdict(lambda: {"disk": 0, "apparent": 0, "files": 0})
    for path in index.rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(index).parts
        if relative[0] == "thumbs":
            part = "face thumbnails" if len(relative) > 1 and relative[1] == "faces" else "frame thumbnails"
        elif relative[0] == "text":
            part = "text index (tantivy)"
        elif relative[0] == "vectors":
            part = "vectors"
        elif relative[0].startswith("catalog"):
            part = "catalog (sqlite)"
        else:
            part = "other"
        stat = path.stat()
        parts[part]["disk"] += stat.st_blocks * 512
        parts[part]["apparent"] += stat.st_size
        parts[part]["files"] += 1
    return dict(parts)


def parts_text(parts: dict[str, dict], minus: dict[str, dict] | None = None, scale: float = 1.0) -> str:
    """'frame thumbnails 24.0 MB/h (126 files; 27.1 MB/h on disk), ...', largest first; `minus`
    (the fixed-cost index) is subtracted part by part and the rest multiplied by `scale`."""
    minus = minus or {}
    rows = []
    for name, part in parts.items():
        base = minus.get(name, {"disk": 0, "apparent": 0, "files": 0})
        disk = (part["disk"] - base["disk"]) * scale / 1e6
        apparent = (part["apparent"] - base["apparent"]) * scale / 1e6
        rows.append((apparent, f"{name} {apparent:.1f} MB/h ({part['files']} files; {disk:.1f} MB/h on disk)"))
    return ", ".join(text for _, text in sorted(rows, reverse=True))


def disk_bytes(index: Path) -> int:
    return sum(part["disk"] for part in index_parts(index).values()) if index.exists() else 0


PERF_COMPONENTS = [
    ("libonnxruntime", "models (ONNX Runtime: OCR gate and reads, CLIP, VAD)"),
    ("libav", "ffmpeg decode and scale"),
    ("libsw", "ffmpeg decode and scale"),
    ("libdlib", "faces (dlib)"),
    ("libatlas", "faces (dlib)"),
    ("libblas", "faces (dlib)"),
]


def cpu_breakdown(command: list[str], work: Path, cwd: Path) -> dict | None:
    """CPU share per component of one run of `command` under `perf record` (children
    included); None when perf is not installed or not permitted."""
    perf = shutil.which("perf")
    if not perf:
        return None
    data = work / "e2e-perf.data"
    recorded = subprocess.run([perf, "record", "-q", "-F", "200", "-o", str(data), "--", *command], cwd=cwd,
                              capture_output=True, text=True)
    if recorded.returncode != 0:
        return None
    report = subprocess.run([perf, "report", "-i", str(data), "--no-children", "--sort", "comm,dso", "--stdio",
                             "-g", "none"], capture_output=True, text=True)
    data.unlink(missing_ok=True)
    shares: dict[str, float] = defaultdict(float)
    for line in report.stdout.splitlines():
        fields = line.split()
        if len(fields) < 3 or line.startswith("#") or not fields[0].endswith("%"):
            continue
        share, comm, dso = float(fields[0].rstrip("%")), fields[1], fields[2]
        name = next((label for prefix, label in PERF_COMPONENTS if dso.startswith(prefix)), None)
        if name is None:
            name = "ffmpeg/ffprobe, other" if comm.startswith("ff") else "rushes' own code (shots, resizes, thumbnails, store)"
        shares[name] += share
    return dict(shares) if shares else None


def breakdown_text(shares: dict[str, float]) -> str:
    return ", ".join(f"{name} {share:.0f}%" for name, share in sorted(shares.items(), key=lambda kv: -kv[1]))


def decode_ceiling(reel: str, duration: float, runs: int, cwd: Path) -> dict:
    """Wall time of the plain ffmpeg decode of `reel` (all frames, output discarded), with
    and without the loop filter, as multiples of real time."""
    facts = {}
    for label, extra in (("full", []), ("loop filter skipped", ["-skip_loop_filter", "all"])):
        timing, _ = repeat_command(["ffmpeg", "-nostdin", "-loglevel", "error", *extra, "-i", reel, "-f", "null", "-"],
                                   0, runs, f"decode ceiling ({label})", cwd=cwd)
        facts[label] = {"median_s": timing.median, "x_real_time": duration / timing.median}
    return facts
