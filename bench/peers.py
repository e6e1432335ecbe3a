"""The Python peers rushes is measured against, each timed in-process after a warm-up.

Owns: PySceneDetect ContentDetector (shot detection), Python onnxruntime (image encoder),
RapidOCR (OCR). Each subcommand prints one JSON object on stdout: the seconds of every timed
run plus what the work produced (cut list, embedding shape, text), so run.py can compare
results as well as speed. Run with the project venv:

    .venv/bin/python bench/peers.py scenedetect VIDEO --runs 5
    .venv/bin/python bench/peers.py onnxruntime MODEL --threads 2 --batch 8 --runs 5
    .venv/bin/python bench/peers.py rapidocr FOLDER --models models/ppocr --threads 2 --runs 5
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def timed_runs(work, warmup: int, runs: int):
    for _ in range(warmup):
        result = work()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def scenedetect_peer(args) -> dict:
    from scenedetect import ContentDetector, SceneManager, __version__, open_video

    def work():
        video = open_video(args.path)
        manager = SceneManager()
        manager.add_detector(ContentDetector())
        manager.detect_scenes(video)
        scenes = manager.get_scene_list()
        return [start.seconds for start, _ in scenes[1:]], [start.frame_num for start, _ in scenes[1:]], video.frame_rate

    seconds, (cuts, cut_frames, fps) = timed_runs(work, args.warmup, args.runs)
    return {"peer": f"PySceneDetect {__version__} ContentDetector (defaults, opencv backend)", "seconds": seconds,
            "cuts": cuts, "cut_frames": cut_frames, "fps": float(fps)}


def onnxruntime_peer(args) -> dict:
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(args.path, options, providers=["CPUExecutionProvider"])
    model_input = session.get_inputs()[0]
    batch = np.random.default_rng(7).random((args.batch, 3, 224, 224), dtype=np.float32)

    def work():
        return session.run(None, {model_input.name: batch})[0]

    seconds, output = timed_runs(work, args.warmup, args.runs)
    return {"peer": f"Python onnxruntime {ort.__version__}, intra-op threads {args.threads}", "seconds": seconds,
            "batch": args.batch, "output_shape": list(output.shape)}


def rapidocr_peer(args) -> dict:
    import cv2
    from rapidocr_onnxruntime import RapidOCR

    models = Path(args.models)
    engine = RapidOCR(
        det_model_path=str(models / "ch_PP-OCRv4_det_infer.onnx"),
        rec_model_path=str(models / "ch_PP-OCRv4_rec_infer.onnx"),
        cls_model_path=str(models / "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
        intra_op_num_threads=args.threads,
        inter_op_num_threads=1,
    )
    frames = sorted(Path(args.path).glob("*.png"))
    images = [cv2.imread(str(frame)) for frame in frames]

    def work():
        lines = []
        for image in images:
            result, _ = engine(image, use_cls=args.use_cls)
            lines.append([[line[1], float(line[2])] for line in result or []])
        return lines

    seconds, lines = timed_runs(work, args.warmup, args.runs)
    return {"peer": f"RapidOCR (rapidocr-onnxruntime, angle classifier {'on' if args.use_cls else 'off'}), "
                    f"intra-op threads {args.threads}", "seconds": seconds,
            "frames": [frame.name for frame in frames], "texts": [[text for text, _ in frame] for frame in lines],
            "lines": lines}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("peer", choices=["scenedetect", "onnxruntime", "rapidocr"])
    parser.add_argument("path")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--models", default="models/ppocr")
    parser.add_argument("--use-cls", action="store_true")
    args = parser.parse_args()
    run = {"scenedetect": scenedetect_peer, "onnxruntime": onnxruntime_peer, "rapidocr": rapidocr_peer}[args.peer]
    json.dump(run(args), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
