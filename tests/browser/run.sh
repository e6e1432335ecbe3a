#!/usr/bin/env bash
# Browser tests of the rushes web UI on real footage.
#   tests/browser/run.sh                  run the tests (node --test, Debian chromium)
#   tests/browser/run.sh test NAME...     run only NAME.test.mjs (e.g. player layout)
#   tests/browser/run.sh screenshot       save a picture of each view at 1280×720 and 390×844
#                                         in artifacts/ (<view>-<width>.png)
# Builds nothing: expects target/debug/rushes (the Makefile builds it) and node_modules
# (scripts/setup.sh test runs `npm ci` here). Makes a footage folder from opencv-doc with
# tests/fixtures/make-footage.sh plus a short MPEG-4 AVI, indexes it into a temp index,
# serves it on a free port, runs the tests and stops the server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=${1:-test}
shift || true
rushes=$root/target/debug/rushes
say() { printf '[browser] %s\n' "$*" >&2; }

[ -x "$rushes" ] || { say "missing $rushes: build it first (cargo build -p rushes-cli)"; exit 1; }
[ -d "$here/node_modules/playwright-core" ] || { say "missing playwright-core: run scripts/setup.sh test"; exit 1; }
[ -x /usr/bin/chromium ] || { say "missing /usr/bin/chromium: run scripts/setup.sh test"; exit 1; }

work=$(mktemp -d -t rushes-browser.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

footage=$work/footage
"$root/tests/fixtures/make-footage.sh" "$footage"
# An AVI (MPEG-4 part 2, as opencv-doc ships it): browsers cannot play it, the UI must proxy it.
ffmpeg -nostdin -hide_banner -loglevel error -y -i /usr/share/doc/opencv-doc/examples/data/vtest.avi \
  -t 3 -c copy "$footage/day1/vtest_corridor.avi"

# The real OCR models plus the colour-only CLIP stand-in, so image search has vectors.
models=$work/models
mkdir -p "$models"
for entry in "$root"/models/*; do ln -s "$entry" "$models/"; done
if [ -f "$root/tests/fixtures/models/clip-fixture.toml" ]; then
  ln -sf "$root/tests/fixtures/models/clip-fixture.toml" "$root/tests/fixtures/models/clip-fixture" "$models/"
fi
export RUSHES_MODELS=$models
export RUST_LOG=${RUST_LOG:-rushes=info}

say "indexing $footage"
(cd "$root" && "$rushes" index "$footage" --index "$work/index") >"$work/index.log" 2>&1 || {
  cat "$work/index.log" >&2
  exit 1
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$root" && exec "$rushes" serve --index "$work/index" --addr "127.0.0.1:$port") >"$work/server.log" 2>&1 &
server_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$url/api/status" 2>/dev/null; then
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; say "server did not start"; exit 1; }
  sleep 0.2
done
say "serving at $url"

export RUSHES_URL=$url
export RUSHES_FOOTAGE=$footage
export RUSHES_ARTIFACTS=$here/artifacts
# auth.test.mjs starts its own token-guarded server on the same index.
export RUSHES_BIN=$rushes RUSHES_INDEX_DIR=$work/index
mkdir -p "$RUSHES_ARTIFACTS"
status=0
if [ "$mode" = "screenshot" ]; then
  node "$here/screenshot.mjs" || status=$?
else
  if [ $# -gt 0 ]; then
    files=()
    for name in "$@"; do files+=("$here/$name.test.mjs"); done
  else
    files=("$here"/*.test.mjs)
  fi
  node --test --test-concurrency=1 "${files[@]}" || status=$?
fi
if [ $status -ne 0 ]; then
  say "server log:"
  tail -n 40 "$work/server.log" >&2
fi
exit $status
