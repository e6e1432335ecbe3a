"""Turns bench/work/results.json into bench/REPORT.md and bench/report.json, rewrites the
latest-figures table of README.md's performance section (between `<!-- bench:start -->` and
`<!-- bench:end -->`), and prints the table. Owns the verdicts: pass / fail against each target, by how much a target is missed,
and "not measured: <why>" for rows whose part is missing.

    .venv/bin/python bench/report.py [bench/work/results.json]   # re-render without re-running
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def seconds_text(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms"


def figure_text(fig: dict | None) -> str:
    if not fig:
        return "—"
    unit = fig.get("unit")
    if "median_s" in fig and unit == "s":
        text = seconds_text(fig["median_s"])
        if "min_s" in fig and len(fig.get("runs_s", [])) > 1:
            text += f" ({seconds_text(fig['min_s'])}–{seconds_text(fig['max_s'])}, n={len(fig['runs_s'])})"
        return text
    if "p95_ms" in fig:
        return f"p95 {fig['p95_ms']:.1f} ms" + (f", p50 {fig['p50_ms']:.1f} ms" if fig.get("p50_ms") is not None else "")
    return "—"


def value_text(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "MB/h":
        return f"{value:.1f} MB/h"
    return f"{value:.2f} {unit}"


def target_text(target: dict) -> str:
    op = "≥" if target["op"] == ">=" else "≤"
    unit = target["unit"]
    text = f"{op} {target['value']:g}{unit}" if unit.startswith("×") else f"{op} {target['value']:g} {unit}"
    if target.get("also"):
        text += f"; {target['also']}"
    return text


def judge(r: dict) -> tuple[str, str]:
    """(verdict, why): pass, fail (with the miss) or not measured (with the reason)."""
    target = r["target"]
    measured = r["ratio"] if r.get("ratio") is not None else r.get("value")
    if measured is None:
        reason = " ".join(str(r.get("reason") or "no figure").split())
        return "not measured", reason if len(reason) <= 320 else reason[:317] + "..."
    problems = []
    if target["op"] == ">=" and measured < target["value"]:
        problems.append(f"{measured:.2f}{'×' if target['unit'].startswith('×') else ' ' + target['unit']} is "
                        f"{(1 - measured / target['value']) * 100:.0f}% below the target {target['value']:g}"
                        f"{'×' if target['unit'].startswith('×') else ' ' + target['unit']}")
    if target["op"] == "<=" and measured > target["value"]:
        problems.append(f"{value_text(measured, target['unit'])} is {(measured / target['value'] - 1) * 100:.0f}% above "
                        f"the target {target['value']:g} {target['unit']}")
    check = r.get("cut_check")
    if check and check["missed"]:
        problems.append(f"{len(check['missed'])} of {check['peer_cuts']} PySceneDetect cuts missed (at "
                        + ", ".join(f"{c:.2f} s" for c in check["missed"][:5]) + ")")
    if r["key"] == "shots" and not check:
        problems.append("no cut list from ours to compare")
    text = r.get("text_check")
    if text and text.get("compared") == "line counts only" and not text["same"]:
        problems.append(f"line count differs from RapidOCR's (ours {text['our_lines']}, RapidOCR {text['peer_lines']})")
    elif text and text["same"] < text["frames"]:
        problems.append(f"text differs from RapidOCR on {text['frames'] - text['same']} of {text['frames']} keyframes")
    if r["key"] == "ocr" and not text:
        problems.append("ours printed no text to compare")
    if r["key"] == "screen_text" and r.get("timely_share", 100.0) < 100.0:
        problems.append(f"{r['timely_share']:.0f}% of hits start within 1 s of their overlay (target 100%)")
    return ("fail", "; ".join(problems)) if problems else ("pass", "")


def rows_for_output(results: dict) -> list[dict]:
    out = []
    for r in results["rows"]:
        verdict, why = judge(r)
        measured = r.get("ratio")
        ours = figure_text(r.get("ours"))
        if ours == "—" and r.get("value") is not None:
            ours = value_text(r["value"], r["target"]["unit"])
        out.append({
            "key": r["key"], "measure": r["measure"], "ours": ours, "peer": figure_text(r.get("peer")),
            "ratio": f"{measured:.2f}×" if measured is not None else "—", "target": target_text(r["target"]),
            "result": verdict if verdict != "not measured" else "not measured", "why": why,
            "explanation": r.get("note") or "", "what_ours": (r.get("ours") or {}).get("what"),
            "what_peer": (r.get("peer") or {}).get("what"), "data": r,
        })
    return out


def markdown(results: dict, rows: list[dict]) -> str:
    m = results["machine"]
    lines = [
        "# rushes benchmark report",
        "",
        f"`scripts/bench.sh {results['mode']}` on {results['started']}, {results['seconds']} s in all. "
        f"Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}; {m['ffmpeg']}; commit {m['commit']}.",
        "Ratios are speed ratios measured in the same run (> 1× means rushes is faster); timings are medians of the "
        "timed runs after a warm-up, with min–max and the number of runs. How each figure is made: bench/README.md.",
        "",
        "| # | measure | ours | peer, same run | ratio | target | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(rows, 1):
        result = r["result"] if r["result"] == "pass" else f"**{r['result']}**"
        lines.append(f"| {i} | {r['measure']} | {r['ours']} | {r['peer']} | {r['ratio']} | {r['target']} | {result} |")
    lines += ["", "## What each figure is", ""]
    for i, r in enumerate(rows, 1):
        detail = r["explanation"]
        if r["result"] == "fail":
            detail = f"Missed: {r['why']}. " + detail
        elif r["result"] == "not measured":
            detail = f"Not measured: {r['why']}." + (f" {detail}" if detail else "")
        who = []
        if r["what_ours"]:
            who.append(f"ours = {r['what_ours']}")
        if r["what_peer"]:
            who.append(f"peer = {r['what_peer']}")
        lines.append(f"{i}. **{r['measure']}** — {detail}" + (f" ({'; '.join(who)})" if who else ""))
    build = (results.get("facts") or {}).get("scale_build")
    if build and isinstance(build.get("moments"), int):
        lines += ["", f"Store `scale` target: built {build.get('moments', '?'):,} moments in {build.get('seconds', 0):.0f} s; "
                      f"index {build.get('index_bytes', 0) / 1e6:.0f} MB on disk."]
    if results.get("partial_rerun"):
        lines += ["", f"Rows {results['partial_rerun']} were re-run after the main run (`--only`); the others are from it."]
    reel = results.get("reel") or {}
    if reel:
        lines += ["", f"Input: `{Path(reel['path']).name}`, {reel['duration']:.0f} s, 1920×1080, {reel['fps']} fps H.264, "
                      f"{len(reel['known_cuts'])} hard cuts at known frames (vtest.avi and Megamind.avi from Debian "
                      f"opencv-doc, alternated), {len(reel['slates'])} segments with a burned-in slate."]
    return "\n".join(lines) + "\n"


README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def readme_block(results: dict, rows: list[dict]) -> str:
    """The README's latest-figures table (between the bench markers), made from the report."""
    m = results["machine"]
    lines = [
        README_START,
        f"Latest figures (`scripts/bench.sh {results['mode']}` on {results['started']}, commit {m['commit']}, "
        f"{m['cores']} cores; written by bench/report.py, details in `bench/REPORT.md`):",
        "",
        "| measure | rushes | ratio | target | result |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        result = r["result"] if r["result"] == "pass" else f"**{r['result']}**"
        lines.append(f"| {r['measure']} | {r['ours']} | {r['ratio']} | {r['target']} | {result} |")
    passed = sum(1 for r in rows if r["result"] == "pass")
    lines += ["", f"{passed} of {len(rows)} rows pass.", README_END]
    return "\n".join(lines)


def update_readme(readme: Path, block: str) -> bool:
    """Replaces the text between the bench markers; a README without them is left alone."""
    if not readme.is_file():
        return False
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    updated = text[:start] + block + text[end + len(README_END):]
    if updated != text:
        readme.write_text(updated)
    return True


def console_table(rows: list[dict]) -> str:
    headers = ["#", "measure", "ours", "peer", "ratio", "target", "result"]
    body = [[str(i), r["measure"][:52], r["ours"], r["peer"][:40], r["ratio"], r["target"][:34],
             r["result"] + (f": {r['why'][:70]}" if r["why"] else "")] for i, r in enumerate(rows, 1)]
    widths = [max(len(h), *(len(b[c]) for b in body)) for c, h in enumerate(headers)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    return "\n".join([fmt.format(*headers), fmt.format(*("-" * w for w in widths))] + [fmt.format(*b) for b in body])


def write(results: dict, bench_dir: Path) -> None:
    rows = rows_for_output(results)
    (bench_dir / "REPORT.md").write_text(markdown(results, rows))
    summary = {k: results[k] for k in ("mode", "started", "seconds", "machine", "settings", "reel")}
    summary["rows"] = [{k: v for k, v in r.items() if k != "data"} | {"details": r["data"]} for r in rows]
    (bench_dir / "report.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    readme = bench_dir.parent / "README.md"
    written = [bench_dir / "REPORT.md", bench_dir / "report.json"]
    if update_readme(readme, readme_block(results, rows)):
        written.append(readme)
    print(console_table(rows))
    print(f"\nwritten: {', '.join(str(p) for p in written)}")


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "work" / "results.json"
    write(json.loads(path.read_text()), Path(__file__).resolve().parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
