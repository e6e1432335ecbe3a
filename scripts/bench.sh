#!/usr/bin/env bash
# Measures rushes against its peers, side by side, in one run (see bench/README.md).
#   scripts/bench.sh full     ≥5 timed runs per pair, a 3-minute 1080p reel, 1M-moment store bench
#   scripts/bench.sh quick    3 runs, a 48 s reel, 100k moments: a few minutes once inputs exist
#   scripts/bench.sh quick --only e2e,cold    just some rows (e2e sampling encoder ocr query cold vad whisper caption screen_text semantic_text pg_query pg_workers)
# Writes bench/REPORT.md and bench/report.json and prints the table; scratch goes to bench/work/.
# `make bench` runs scripts/setup.sh bench first (the Python peers in .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-quick}
shift || true
case "$mode" in
  quick|full) ;;
  *) echo "usage: scripts/bench.sh quick|full [--only ROWS]" >&2; exit 2 ;;
esac
say() { printf '[bench] %s\n' "$*" >&2; }

if ! .venv/bin/python -c "import scenedetect, rapidocr_onnxruntime, onnxruntime, onnx, cv2" 2>/dev/null; then
  say "peers missing from .venv: running scripts/setup.sh bench"
  scripts/setup.sh bench
fi

mkdir -p bench/work/logs
# Rows that need no release binary (bench/run.py's WITHOUT_INPUTS): `--only` naming only them skips the build.
only=""
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --only=*) only=${args[$i]#--only=} ;;
    --only) only=${args[$((i + 1))]:-} ;;
  esac
done
needs_binary=1
if [ -n "$only" ] && [ -z "$(tr ',' '\n' <<<"$only" | grep -vxE 'query|pg_query')" ]; then
  needs_binary=0
fi
# Bench targets and the binary share the machine with what they measure: build first, measure after.
if [ "$needs_binary" = 0 ]; then
  say "rows $only need no release binary: not building it"
  export RUSHES_BENCH_BUILD_FAILED=0
elif say "building target/release/rushes (cargo build --release -p rushes-cli)" &&
  cargo build --release -p rushes-cli >bench/work/logs/build.log 2>&1; then
  export RUSHES_BENCH_BUILD_FAILED=0
else
  say "release build failed: rows that need the binary will say so (bench/work/logs/build.log)"
  export RUSHES_BENCH_BUILD_FAILED=1
fi

exec .venv/bin/python bench/run.py "$mode" "$@"
