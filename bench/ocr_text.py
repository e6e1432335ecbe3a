"""The OCR row's "same text" check: ours against RapidOCR line by line, once as a user sees it
(the same line filter on both sides: rushes' score and length floor) and once unfiltered
(each engine with RapidOCR's own filter), so a deliberate filter difference is told apart
from a detector or recogniser difference.
"""

from __future__ import annotations

# rushes' default when the target does not print it (crates/rushes-models/src/ocr/mod.rs).
DEFAULT_FILTER = {"min_score": 0.6, "min_chars": 2}


def kept(text: str, score: float, line_filter: dict) -> bool:
    return score >= line_filter["min_score"] - 1e-6 and len(text.strip()) >= line_filter["min_chars"]


def ocr_text_check(ours: dict, peer: dict, frames: int) -> dict:
    """`ours` is the target's `ocr_read` object, `peer` the rapidocr peer's output."""
    line_filter = ours.get("filter") or DEFAULT_FILTER
    our_texts = [list(t) for t in ours["texts"]]
    peer_lines = peer.get("lines")
    if peer_lines is None:  # an older peer without scores: compare as printed
        same = sum(1 for a, b in zip(our_texts, peer["texts"]) if a == list(b))
        return {"frames": frames, "same": same, "our_texts": our_texts, "peer_texts": peer["texts"]}
    peer_filtered = [[text for text, score in frame if kept(text, score, line_filter)] for frame in peer_lines]
    check = {"frames": frames, "filter": line_filter,
             "same": sum(1 for a, b in zip(our_texts, peer_filtered) if a == b),
             "our_texts": our_texts, "peer_texts": peer_filtered, "peer_lines_unfiltered": peer_lines}
    unfiltered = ours.get("unfiltered_lines")
    if isinstance(unfiltered, list):
        ours_raw = [[text for text, _ in frame] for frame in unfiltered]
        peer_raw = [[text for text, _ in frame] for frame in peer_lines]
        check["our_lines_unfiltered"] = unfiltered
        check["same_unfiltered"] = sum(1 for a, b in zip(ours_raw, peer_raw) if a == b)
        check["only_unfiltered"] = [
            {"frame": index + 1, "ours": [l for l in o if l[0] not in p], "peer": [l for l in q if l[0] not in r]}
            for index, (o, q, r, p) in enumerate(zip(unfiltered, peer_lines, ours_raw, peer_raw)) if r != p]
    return check


def ocr_text_note(check: dict) -> str:
    if "filter" not in check:
        return "Text compared line by line."
    f = check["filter"]
    note = (f"Text compared line by line as a user sees it: the same line filter on both sides (rushes': "
            f"score ≥ {f['min_score']:.1f}, ≥ {f['min_chars']} characters): same on {check['same']} of "
            f"{check['frames']} keyframes.")
    if "same_unfiltered" in check:
        note += (f" Unfiltered (both with RapidOCR's score ≥ 0.5): same on {check['same_unfiltered']} of "
                 f"{check['frames']}")
        diffs = []
        for d in check["only_unfiltered"]:
            for who, lines in (("RapidOCR", d["peer"]), ("rushes", d["ours"])):
                diffs += [f"{who} alone reads {text!r} ({score:.2f}) on frame {d['frame']}" for text, score in lines]
        note += ("; " + ", ".join(diffs) if diffs else "") + "."
    return note
