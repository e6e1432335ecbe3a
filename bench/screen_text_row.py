"""The "on-screen text coverage" row of the bench (issue 19): text shown for 1–2 s at known
random (seeded) times inside the reel's shots, in several fonts, sizes and looks (boxed,
bare, low contrast, tilted ±10°), indexed with default settings; the share of overlays read
(a search for the overlay's words finds the reel through on-screen text) and the share whose
hit starts within 1 s of the overlay's appearance (target 100% both). No peer.

The overlay reel is the bench reel with the overlays drawn on it (bench/work/, made once per
spec); the burned-in slates of every third segment stay where they are (centre), overlays go
above or below them.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import inputs
from measure import NotMeasured, run_command

FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
]
WORDS = ["DOLLY", "BOOM", "GAFFER", "CRANE", "GRIP", "MARKER", "LENS", "FOCUS", "STEADICAM", "CATERING",
         "WARDROBE", "PROPS", "UNIT", "LOCATION", "STAGE", "TRUCK"]
# (text colour, box colour or None): boxed, bare with an outline, low contrast.
LOOKS = [("white", "black@0.8"), ("white", None), ("black", "white@0.85"), ("0x9a9a9a", "0x646464"),
         ("yellow", None)]
KEEP_FROM_CUT = 0.4  # seconds an overlay keeps from a cut on either side
LATE_LIMIT = 1.0  # a hit must start at most this long after its overlay appears


def plan_overlays(reel: dict, count: int, seed: int) -> list[dict]:
    """`count` overlays at random times inside shots (none within KEEP_FROM_CUT of a cut,
    none overlapping another), each 1–2 s long with a look, font, size, place and tilt."""
    rng = random.Random(seed)
    cuts = [0.0, *reel["known_cuts"], reel["duration"]]
    shots = [(a + KEEP_FROM_CUT, b - KEEP_FROM_CUT) for a, b in zip(cuts, cuts[1:]) if b - a > 2 * KEEP_FROM_CUT + 2.2]
    overlays: list[dict] = []
    numbers = rng.sample(range(100, 9999), count)
    attempts = 0
    while len(overlays) < count and attempts < 10_000:
        attempts += 1
        start_shot, end_shot = rng.choice(shots)
        seconds = round(rng.uniform(1.0, 2.0), 2)
        if end_shot - start_shot < seconds:
            continue
        start = round(rng.uniform(start_shot, end_shot - seconds), 2)
        if any(start < o["start"] + o["seconds"] + 1.5 and o["start"] < start + seconds + 1.5 for o in overlays):
            continue
        n = len(overlays)
        colour, box = LOOKS[n % len(LOOKS)]
        overlays.append({
            "text": f"{WORDS[n % len(WORDS)]} {numbers[n]}",
            "start": start,
            "seconds": seconds,
            "font": FONTS[n % len(FONTS)],
            "size": [48, 64, 80, 96][(n // 2) % 4],
            "x": rng.randrange(80, 900),
            "y": rng.choice([rng.randrange(90, 300), rng.randrange(720, 900)]),
            "colour": colour,
            "box": box,
            "degrees": [0, 0, 10, 0, -10][n % 5] if n % 3 == 2 else 0,
        })
    if len(overlays) < count:
        raise NotMeasured(f"only {len(overlays)} of {count} overlays fit inside the reel's shots")
    return sorted(overlays, key=lambda o: o["start"])


def make_text_reel(work: Path, reel: dict, overlays: list[dict]) -> Path:
    """The reel with `overlays` drawn on it (x264 veryfast crf 23, GOP 50, as the reel)."""
    source = Path(reel["path"])
    output = work / f"{source.stem}_text.mp4"
    spec = {"reel": source.name, "reel_size": source.stat().st_size, "overlays": overlays}
    if inputs.spec_is_current(output, spec):
        return output
    inputs.log(f"making {output.name}: {len(overlays)} text overlays (once)")
    texts = work / f"{source.stem}_text_overlays"
    shutil.rmtree(texts, ignore_errors=True)
    texts.mkdir(parents=True)
    args = ["-i", str(source)]
    chains = []
    current = "0:v"
    for n, o in enumerate(overlays):
        text_file = texts / f"{n}.txt"
        text_file.write_text(o["text"])
        shown = f"gte(t,{o['start']})*lt(t,{o['start'] + o['seconds']:.2f})"
        look = f"fontcolor={o['colour']}"
        if o["box"]:
            look += f":box=1:boxcolor={o['box']}:boxborderw={o['size'] // 4}"
        else:
            look += ":borderw=2:bordercolor=black@0.6"
        draw = f"drawtext=fontfile={o['font']}:textfile={text_file}:fontsize={o['size']}:{look}"
        if not o["degrees"]:
            chains.append(f"[{current}]{draw}:x={o['x']}:y={o['y']}:enable='{shown}'[v{n}]")
        else:
            width = (len(o["text"]) * o["size"] * 3 // 4 + o["size"]) & ~1
            height = (width // 4 + o["size"] * 2) & ~1
            layer = len([a for a in args if a == "-i"])
            args += ["-f", "lavfi", "-t", f"{reel['duration']}", "-i",
                     f"color=c=black@0.0:s={width}x{height}:r={reel['fps']},format=rgba"]
            chains.append(f"[{layer}:v]{draw}:x=(w-text_w)/2:y=(h-text_h)/2,rotate=a={o['degrees'] * 3.14159265 / 180:.5f}"
                          f":c=none[t{n}];[{current}][t{n}]overlay=x={o['x']}:y={o['y']}:enable='{shown}'[v{n}]")
        current = f"v{n}"
    graph = ";".join(chains) + f";[{current}]format=yuv420p[out]"
    part = output.with_name(output.name + ".part.mp4")
    inputs.ffmpeg(*args, "-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast",
                  "-crf", "23", "-g", "50", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(part))
    os.replace(part, output)
    inputs.record_spec(output, spec)
    return output


def screen_text_row(bench, row, work: Path, repo: Path, rushes: Path, count: int) -> None:
    r = row("screen_text", "on-screen text coverage: overlays of 1–2 s inside shots read, hit within 1 s",
            {"op": ">=", "value": 100.0, "unit": "%", "also": "100% of hits start within 1 s of the overlay"})
    bench.rows.append(r)
    if not bench.binary_ok:
        raise NotMeasured("target/release/rushes did not build (see bench/work/logs/build.log)")
    overlays = plan_overlays(bench.reel, count, seed=19)
    reel = make_text_reel(work, bench.reel, overlays)
    index = work / "screen-text" / "index"
    shutil.rmtree(index, ignore_errors=True)
    indexed = run_command([str(rushes), "index", str(reel), "--index", str(index), "--json"], cwd=repo)
    if indexed.returncode != 0:
        raise NotMeasured(f"rushes index failed: {indexed.stderr.strip()[-300:]}")
    results = []
    for o in overlays:
        found = run_command([str(rushes), "search", f"\"{o['text']}\"", "--index", str(index), "--json",
                             "--limit", "20"], cwd=repo, timeout=120)
        hits = json.loads(found.stdout).get("hits", []) if found.returncode == 0 else []
        ocr_hits = [h for h in hits if "ocr" in h.get("signals", [])]
        start = ocr_hits[0]["start"] if ocr_hits else None
        late = None if start is None else round(start - o["start"], 3)
        results.append({"text": o["text"], "shown": o["start"], "seconds": o["seconds"], "size": o["size"],
                         "look": o["box"] or "bare", "degrees": o["degrees"], "hit_start": start, "late_s": late,
                         "read": start is not None,
                         "timely": late is not None and -1.5 / bench.reel["fps"] <= late <= LATE_LIMIT})
    read = sum(x["read"] for x in results)
    timely = sum(x["timely"] for x in results)
    r["value"] = 100.0 * read / len(results)
    r["timely_share"] = 100.0 * timely / len(results)
    r["ours"] = {"what": "rushes index <overlay reel>, then rushes search '\"<overlay words>\"' --json per overlay",
                 "unit": "%", "index_s": round(indexed.seconds, 2)}
    r["overlays"] = results
    missed = [f"{x['text']} at {x['shown']:.2f} s" + ("" if x["read"] else " (not read)") +
              (f" (hit {x['late_s']:+.2f} s)" if x["read"] and not x["timely"] else "")
              for x in results if not (x["read"] and x["timely"])]
    lates = sorted(x["late_s"] for x in results if x["late_s"] is not None)
    r["note"] = (f"{len(results)} overlays of 1–2 s at seeded random times inside the {bench.reel['duration']:.0f} s reel's "
                 f"shots (4 DejaVu fonts, 48–96 px, boxed, bare, low contrast, some tilted ±10°): {read} read, {timely} with "
                 f"the hit starting within {LATE_LIMIT:.0f} s of the overlay"
                 + (f" (hit start − appearance: {lates[0]:+.2f} to {lates[-1]:+.2f} s, median "
                    f"{lates[len(lates) // 2]:+.2f} s)" if lates else "")
                 + f"; indexing the overlay reel took {indexed.seconds:.1f} s."
                 + (f" Missed: {'; '.join(missed)}." if missed else ""))
