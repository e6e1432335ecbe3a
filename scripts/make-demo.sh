#!/usr/bin/env bash
# The demo set `make run` indexes when no FOOTAGE is given: real footage from Debian's
# opencv-doc, arranged like a BTS shoot (see tests/fixtures/make-footage.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
exec tests/fixtures/make-footage.sh "${1:-demo}"
