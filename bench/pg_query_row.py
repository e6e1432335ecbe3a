"""The PostgreSQL query-latency rows of the bench (issue 22): text, visual and hybrid p95 at
100k (`quick`) / 1M (`full`) moments on PostgreSQL + pgvector, with the local engine's
latency for the same queries in the same run as the peer column; and `full`, the user's
search (`Library::search`, the default request, words and a query vector) on both.

A row's value is PostgreSQL as `rushes serve` reads it (`postgres_text_copy`: words ranked in
the server's copy of the text index, checked current before each query; vectors, catalog and
hits in PostgreSQL). PostgreSQL ranking the words itself (`postgres`, as one-shot commands
read it) is in the row's facts and note.

Runs rushes-postgres's bench target `pg_query` (see its module doc): it starts a throwaway
PostgreSQL (rushes-testkit's harness, `runtime/postgres`), loads the `scale` bench's synthetic
library into it (multi-row inserts + binary COPY, HNSW built once after), checks a sample
through the seams, then times each query through both engines' seams in turn. The local index
is the `scale` bench's, shared through `bench/work/scale-index` (built once, whichever of the
two targets runs first). The loaded PostgreSQL database is kept the same way in
`bench/work/pg-scale` (`RUSHES_BENCH_PG_CACHE`, one folder per size, marked complete only
after the load, the HNSW build and ANALYZE), so only the first run at a size loads it.
"""

from __future__ import annotations

import os
from pathlib import Path

from measure import run_target_for_rows

KINDS = ("text", "visual", "hybrid", "full")


def _ms(line: dict | None, field: str) -> float | None:
    value = (line or {}).get(field)
    return float(value) if isinstance(value, (int, float)) else None


def pg_query_rows(bench, row, work: Path, repo: Path, logs: Path) -> None:
    moments = bench.cfg["moments"]
    rows = {kind: row(f"pg_query_{kind}", f"PostgreSQL query latency at {moments:,} moments, {kind}, p95 warm",
                      {"op": "<=", "value": 50.0, "unit": "ms"}) for kind in KINDS}
    bench.rows += rows.values()
    load_before = os.getloadavg()[0]
    objects = run_target_for_rows(list(rows.values()), repo, logs, "rushes-postgres", "pg_query",
                                  {"RUSHES_BENCH_MOMENTS": str(moments),
                                   "RUSHES_BENCH_INDEX_CACHE": str(work / "scale-index"),
                                   "RUSHES_BENCH_PG_CACHE": str(work / "pg-scale")}, 6 * 3600)
    if objects is None:
        return
    by_metric = {o.get("metric"): o for o in objects}
    load = by_metric.get("pg_load") or {}
    settings = (by_metric.get("pg_settings") or {}).get("settings") or {}
    if load:
        bench.facts["pg_load"] = load
    if settings:
        bench.facts["pg_settings"] = settings
    settings_text = ", ".join(f"{k}={v}" for k, v in sorted(settings.items())) or "?"
    cached = " (the cached database's load)" if load.get("cached") else ""
    load_text = (f"load{cached} {load.get('rows_seconds', 0):.0f} s (rows by multi-row INSERT + binary COPY of "
                 f"vectors, the COPY {load.get('copy_seconds', 0):.0f} s of it), "
                 f"HNSW build {load.get('hnsw_build_seconds', 0):.0f} s (m 16, ef_construction 64), "
                 f"VACUUM ANALYZE {load.get('analyze_seconds', 0):.0f} s; database "
                 f"{load.get('database_bytes', 0) / 1e6:.0f} MB of which HNSW {load.get('hnsw_bytes', 0) / 1e6:.0f} MB"
                 if load else "no load line")
    for kind, r in rows.items():
        pg, local = by_metric.get(f"postgres_text_copy_{kind}_query_ms"), by_metric.get(f"local_{kind}_query_ms")
        plain = by_metric.get(f"postgres_{kind}_query_ms")
        p95, p50 = _ms(pg, "p95"), _ms(pg, "p50")
        if p95 is None:
            r["reason"] = f"the `pg_query` bench target printed no PostgreSQL {kind} p95"
            continue
        r["value"] = p95
        r["ours"] = {"what": "rushes-postgres bench target `pg_query`: PgLibrary as `rushes serve` reads it "
                             "(words in the server's copy of the text index, the rest in PostgreSQL)",
                     "p95_ms": p95, "p50_ms": p50, "unit": "ms", "raw": pg,
                     "postgres_ranking_words": plain}
        if _ms(local, "p95") is not None:
            r["peer"] = {"what": "the local engine (Tantivy + usearch + SQLite) through the same seams, same queries, "
                                 "same run", "p95_ms": _ms(local, "p95"), "p50_ms": _ms(local, "p50"), "unit": "ms",
                         "raw": local}
        queries = pg.get("queries", "?")
        what = {"text": "two words and a folder: filter (text branch: all words, else any)",
                "visual": "VectorIndex::search for 200 frames",
                "hybrid": "two words and a query vector: the text branch on a thread beside the visual branch (frames to moments), as search runs them, + RRF",
                "full": "two words and a query vector through Library::search, the default request (20 hits, "
                        "3 per asset), PgLibrary against the local Index"}[kind]
        plain_text = (f"PostgreSQL ranking the words itself (one-shot commands): p50 {_ms(plain, 'p50'):.1f} / p95 "
                      f"{_ms(plain, 'p95'):.1f} ms, timed after the copy's engine on the same query (warm pages). "
                      if _ms(plain, "p95") is not None else "")
        copy_text = (f"The copy was made in {load.get('text_copy_seconds', 0):.0f} s "
                     f"({load.get('text_copy_bytes', 0) / 1e6:.0f} MB; 0 s when kept from an earlier run). "
                     if "text_copy_seconds" in load else "")
        r["note"] = (f"{what}; {queries} queries after one warm-up, each run through the local engine, then PostgreSQL "
                     f"with the server's copy of the text index, then PostgreSQL alone. {plain_text}{copy_text}"
                     f"Synthetic library of the `scale` bench ({moments:,} moments, 2 × 512-d vectors each); "
                     f"PostgreSQL 18 + pgvector from runtime/postgres on loopback, {settings_text}; {load_text}. "
                     f"Machine load average {load_before:.1f} when the target started, {os.getloadavg()[0]:.1f} after "
                     f"({os.cpu_count()} cores).")
