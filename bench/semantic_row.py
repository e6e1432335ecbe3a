"""The semantic-text row of the bench (issue 21): the cost of turning an hour of a dense
interview (150 words a minute, synthetic transcript lines) into embedded text units with the
real all-MiniLM-L6-v2, through the `rushes-ingest` bench target `semantic_text` (the
semantic stage as an index run loads and calls it). No peer: the target is informative
(a small share of an hour's indexing; the end-to-end row holds the whole).
"""

from __future__ import annotations

from measure import NotMeasured, Timing, seconds_field


def semantic_text_row(bench, row, figure) -> None:
    r = row("semantic_text", "semantic text units per hour of footage (dense interview, 150 words/min, "
            "all-MiniLM-L6-v2, 2 threads)", {"op": "<=", "value": 60.0, "unit": "s per hour",
                                             "also": "informative: no peer"})
    bench.rows.append(r)
    outputs = bench.repeat_target("rushes-ingest", "semantic_text", {})
    lines = [next((o for o in objs if o.get("bench") == "semantic_text"), None) for objs in outputs]
    skipped = next((line["skipped"] for line in lines if line and "skipped" in line), None)
    if skipped:
        raise NotMeasured(f"the `semantic_text` target skipped: {skipped}")
    times = [seconds_field(line, "per_hour") for line in lines if line]
    if not times or any(t is None for t in times):
        raise NotMeasured("the `semantic_text` target printed no `per_hour_seconds`")
    timing = Timing(times)
    last = lines[-1]
    r["value"] = timing.median
    r["ours"] = {"what": "SemanticStage finish_moments on an hour of transcript (bench target `semantic_text`), "
                         "seconds per hour of footage", **figure(timing)}
    r["note"] = (f"{last.get('lines')} transcript lines ({last.get('words')} words) of one hour, each a text unit "
                 f"embedded by {last.get('model')} with {last.get('threads')} intra-op threads, batches of 32; "
                 f"{3600 / timing.median:.0f}× real time. No peer: the target is informative.")
