"""Benchmark inputs, made deterministically from Debian's opencv-doc footage with ffmpeg.

Owns: the 1080p H.264 reel with known hard cuts (and its cut list), the short clip used to
measure an index's fixed size, the OCR keyframes, the 10k-still folder for the cold-start
index, and the ViT-B/32-sized random graph. Everything lands in bench/work/ and is reused
while its spec is unchanged (a spec hash is kept beside each output).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DATA = Path("/usr/share/doc/opencv-doc/examples/data")
FPS = 25
WIDTH, HEIGHT = 1920, 1080
FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
]

# Segment lengths in frames at 25 fps, cycled; Megamind (11.2 s long) only gets the short
# ones so no segment runs past its end (looping would add a cut the list does not know).
VTEST_FRAMES = [160, 125, 180, 140, 110]
MEGAMIND_FRAMES = [100, 80, 120, 90]
VTEST_OFFSETS = [0.0, 17.0, 34.0, 51.0, 62.0, 8.0, 25.0, 43.0]
MEGAMIND_OFFSETS = [0.0, 5.5, 2.5, 6.0, 1.0]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def font_file() -> str:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans:bold"], capture_output=True, text=True)
    return found.stdout.strip()


def spec_is_current(output: Path, spec: dict) -> bool:
    stamp = output.with_name(output.name + ".spec")
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    return output.exists() and stamp.is_file() and stamp.read_text().strip() == digest


def record_spec(output: Path, spec: dict) -> None:
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    output.with_name(output.name + ".spec").write_text(digest + "\n")


@dataclass
class Segment:
    source: str
    offset: float
    frames: int
    slate: str | None
    flip: bool


def plan_reel(duration: float) -> list[Segment]:
    """Alternates vtest (a static street camera) and Megamind (an animated trailer) so every
    segment boundary is a hard cut; every third segment carries a burned-in slate."""
    segments: list[Segment] = []
    total = 0
    index = 0
    target = int(round(duration * FPS))
    while total < target:
        if index % 2 == 0:
            n = index // 2
            source, frames, offset = "vtest.avi", VTEST_FRAMES[n % len(VTEST_FRAMES)], VTEST_OFFSETS[n % len(VTEST_OFFSETS)]
        else:
            n = index // 2
            source, frames, offset = "Megamind.avi", MEGAMIND_FRAMES[n % len(MEGAMIND_FRAMES)], MEGAMIND_OFFSETS[n % len(MEGAMIND_OFFSETS)]
        frames = min(frames, target - total) if target - total >= 50 else frames
        slate = f"SCENE {12 + index} TAKE {1 + index % 4}" if index % 3 == 0 else None
        segments.append(Segment(source, offset, frames, slate, flip=(index // 2) % 2 == 1))
        total += frames
        index += 1
    return segments


def make_reel(work: Path, duration: float) -> dict:
    """Writes reel_<duration>s_1080p.mp4 and its known cuts; returns their description."""
    segments = plan_reel(duration)
    output = work / f"reel_{int(duration)}s_1080p.mp4"
    spec = {"segments": [s.__dict__ for s in segments], "fps": FPS, "size": [WIDTH, HEIGHT], "x264": "veryfast/crf23/g50"}
    cut_frames = []
    frame = 0
    for segment in segments[:-1]:
        frame += segment.frames
        cut_frames.append(frame)
    total_frames = frame + segments[-1].frames
    info = {
        "path": str(output),
        "fps": FPS,
        "frames": total_frames,
        "duration": total_frames / FPS,
        "known_cut_frames": cut_frames,
        "known_cuts": [f / FPS for f in cut_frames],
        "slates": [s.slate for s in segments if s.slate],
    }
    if spec_is_current(output, spec):
        return info
    log(f"making {output.name}: {len(segments)} shots, {total_frames / FPS:.0f} s of 1080p H.264 (once)")
    font = font_file()
    inputs: list[str] = []
    chains: list[str] = []
    for i, segment in enumerate(segments):
        seconds = segment.frames / FPS + 1.0
        inputs += ["-ss", f"{segment.offset:.2f}", "-t", f"{seconds:.2f}", "-i", str(DATA / segment.source)]
        chain = f"[{i}:v]fps={FPS},scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=increase,crop={WIDTH}:{HEIGHT},setsar=1"
        if segment.flip:
            chain += ",hflip"
        if segment.slate:
            chain += (
                f",drawtext=fontfile={font}:text='{segment.slate}':fontsize=96:fontcolor=white:box=1:"
                "boxcolor=black@0.85:boxborderw=24:x=(w-text_w)/2:y=(h-text_h)/2"
            )
        chain += f",trim=end_frame={segment.frames},setpts=PTS-STARTPTS,format=yuv420p[v{i}]"
        chains.append(chain)
    graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(len(segments))) + f"concat=n={len(segments)}:v=1:a=0[out]"
    part = output.with_name(output.name + ".part.mp4")
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
           "-g", "50", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(part))
    os.replace(part, output)
    record_spec(output, spec)
    (work / f"{output.stem}.cuts.json").write_text(json.dumps(info, indent=1) + "\n")
    return info


def make_short_clip(work: Path, reel: Path, seconds: float) -> Path:
    """The first seconds of the reel: an index of it measures what an index costs before footage."""
    output = work / f"{reel.stem}_first{int(seconds)}s.mp4"
    spec = {"reel": reel.name, "reel_size": reel.stat().st_size, "seconds": seconds}
    if not spec_is_current(output, spec):
        ffmpeg("-i", str(reel), "-t", f"{seconds}", "-c", "copy", str(output))
        record_spec(output, spec)
    return output


def make_keyframes(work: Path, reel: Path, count: int) -> Path:
    """Frames of the default plan (one every 2 s, ≤960 px), the first `count` of them: about a
    third carry a slate, the rest are plain footage (the detector's no-text path)."""
    folder = work / f"keyframes_{reel.stem}_{count}"
    spec = {"reel": reel.name, "reel_size": reel.stat().st_size, "count": count, "plan": "fps=1/2,scale=960:-2"}
    stamp = folder / "done"
    if spec_is_current(stamp, spec):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    ffmpeg("-i", str(reel), "-vf", "fps=1/2,scale=960:-2", "-frames:v", str(count), str(folder / "frame_%03d.png"))
    stamp.write_text("ok\n")
    record_spec(stamp, spec)
    return folder


def make_stills(work: Path, count: int) -> Path:
    """`count` small JPEG stills of real footage in folders of 500: each becomes one moment,
    so an index of them is a `count`-moment index built in about a minute."""
    folder = work / f"stills_{count}"
    spec = {"count": count, "per_folder": 500, "size": "320:-2"}
    stamp = folder / "done"
    if spec_is_current(stamp, spec):
        return folder
    log(f"making {count} stills for the cold-start index (once)")
    shutil.rmtree(folder, ignore_errors=True)
    flat = folder / "flat"
    flat.mkdir(parents=True)
    ffmpeg("-stream_loop", "-1", "-i", str(DATA / "vtest.avi"), "-vf", "scale=320:-2", "-frames:v", str(count),
           "-q:v", "5", str(flat / "still_%05d.jpg"))
    for i, still in enumerate(sorted(flat.iterdir())):
        day = folder / f"day{i // 500 + 1:02d}"
        day.mkdir(exist_ok=True)
        still.rename(day / still.name)
    flat.rmdir()
    stamp.write_text("ok\n")
    record_spec(stamp, spec)
    return folder


def make_vit_model(repo: Path, work: Path, python: str) -> tuple[Path | None, str]:
    """The ViT-B/32-sized random graph, written by the models' own generator into
    bench/work/models/vit-b32-random/ (the model the `encoders` bench loads), so ours and the
    peer run the same file. Generated once."""
    generator = repo / "tests/fixtures/models/make_vit_b32_random.py"
    models = work / "models"
    target = models / "vit-b32-random" / "vision_model.onnx"
    name = str(generator.relative_to(repo))
    sources = [generator, *generator.parent.glob("*.toml")]  # it copies the fixture manifest's layout
    if target.is_file() and all(target.stat().st_mtime >= source.stat().st_mtime for source in sources):
        return target, name
    log(f"generating the ViT-B/32-sized graph with {name} (once)")
    result = subprocess.run([python, str(generator), str(models)], capture_output=True, text=True, cwd=repo)
    if result.returncode != 0 or not target.is_file():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"{name} did not write {target.relative_to(repo)}: {last}"
    return target, name
