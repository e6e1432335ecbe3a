#!/usr/bin/env python3
"""An independent numpy forward pass of a sentence-transformers BERT model (float64, written
from the BERT paper and sentence-transformers' Pooling/Normalize, sharing no code with the
ONNX graph builder in scripts/sentence_onnx.py), and the checks built on it.

  python scripts/sentence_reference.py check SOURCE_DIR MODEL_DIR PAIRS OUT_DIR
      Tokenises every sentence of PAIRS (a tab-separated file: label, sentence A, sentence
      B; label `paraphrase` or `unrelated`) with transformers' pure-Python BertTokenizer (the
      reference BERT tokenizer, built from MODEL_DIR/tokenizer.json's vocabulary), embeds
      them with the numpy forward pass of SOURCE_DIR/model.safetensors, runs
      MODEL_DIR/model.onnx on the same ids with onnxruntime, and fails unless every row's
      cosine is >= 0.9999 and every paraphrase pair scores above every unrelated pair of
      the same file. Writes OUT_DIR/reference.json (sentences, token ids, the reference
      embeddings) for the Rust tests to compare against.

  python scripts/sentence_reference.py calibrate SOURCE_DIR MODEL_DIR PAIRS
      Prints the pair scores of PAIRS and the semantic cut-off they give: the midpoint
      between the highest unrelated score and the lowest paraphrase score.

  python scripts/sentence_reference.py calibrate-onnx MODEL_DIR OUTPUT PAIRS
      The same for any installed sentence model (a fetched multilingual one): MODEL_DIR's
      model.onnx run by onnxruntime on MODEL_DIR/tokenizer.json's ids, its OUTPUT mean-pooled
      over the attention mask when it is token embeddings.
"""
import json
import math
import os
import sys

import numpy as np

MIN_COSINE = 0.9999
_erf = np.frompyfunc(math.erf, 1, 1)


def _layer_norm(x, gain, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gain + bias


def _dense(x, weights, prefix):
    return np.einsum("bsi,oi->bso", x, weights[prefix + ".weight"]) + weights[prefix + ".bias"]


def encode(weights, config, input_ids, attention_mask, token_type_ids):
    """Mean-pooled, L2-normalised sentence embeddings [batch, hidden] (float64)."""
    w = {k: v.astype(np.float64) for k, v in weights.items() if v.dtype.kind == "f"}
    eps = float(config["layer_norm_eps"])
    heads = config["num_attention_heads"]
    batch, length = input_ids.shape
    x = (w["embeddings.word_embeddings.weight"][input_ids]
         + w["embeddings.position_embeddings.weight"][np.arange(length)][None, :, :]
         + w["embeddings.token_type_embeddings.weight"][token_type_ids])
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    keep = attention_mask.astype(bool)
    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}"
        q, k, v = (_dense(x, w, f"{p}.attention.self.{n}") for n in ["query", "key", "value"])
        size = q.shape[-1] // heads
        q, k, v = (t.reshape(batch, length, heads, size) for t in (q, k, v))
        scores = np.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(size)
        scores = np.where(keep[:, None, None, :], scores, -np.inf)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs = scores / scores.sum(axis=-1, keepdims=True)
        context = np.einsum("bhqk,bkhd->bqhd", probs, v).reshape(batch, length, heads * size)
        x = _layer_norm(_dense(context, w, f"{p}.attention.output.dense") + x,
                        w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"], eps)
        inner = _dense(x, w, f"{p}.intermediate.dense")
        inner = inner * 0.5 * (1.0 + _erf(inner / math.sqrt(2.0)).astype(np.float64))
        x = _layer_norm(_dense(inner, w, f"{p}.output.dense") + x,
                        w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"], eps)
    counts = keep.sum(axis=1, keepdims=True)
    pooled = (x * keep[:, :, None]).sum(axis=1) / np.maximum(counts, 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def row_cosines(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def read_pairs(path):
    pairs = []
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 3 or fields[0] not in ("paraphrase", "unrelated"):
            sys.exit(f"{path}:{number}: expected `paraphrase|unrelated<TAB>sentence<TAB>sentence`")
        pairs.append(tuple(fields))
    return pairs


def bert_tokenizer(model_dir, out_dir):
    """transformers' slow (pure-Python) BertTokenizer over the vocabulary in tokenizer.json."""
    from transformers import BertTokenizer
    tokenizer_json = json.load(open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8"))
    vocab = sorted(tokenizer_json["model"]["vocab"].items(), key=lambda kv: kv[1])
    vocab_file = os.path.join(out_dir, "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8") as out:
        out.writelines(token + "\n" for token, _ in vocab)
    normalizer = tokenizer_json["normalizer"]
    return BertTokenizer(vocab_file, do_lower_case=normalizer["lowercase"], tokenize_chinese_chars=normalizer["handle_chinese_chars"],
                         strip_accents=normalizer["strip_accents"])


def load_source(source_dir):
    from safetensors.numpy import load_file
    return load_file(os.path.join(source_dir, "model.safetensors")), json.load(open(os.path.join(source_dir, "config.json")))


def embed_all(weights, config, token_ids):
    """Embeds each sentence on its own (no padding), so batching cannot hide a mask bug."""
    rows = []
    for ids in token_ids:
        ids = np.array([ids], dtype=np.int64)
        rows.append(encode(weights, config, ids, np.ones_like(ids), np.zeros_like(ids))[0])
    return np.stack(rows)


def pair_scores(pairs, sentences, embeddings):
    index = {s: i for i, s in enumerate(sentences)}
    return [(label, float(embeddings[index[a]] @ embeddings[index[b]]), a, b) for label, a, b in pairs]


def unique_sentences(pairs):
    return list(dict.fromkeys(s for _, a, b in pairs for s in (a, b)))


def check(source_dir, model_dir, pairs_file, out_dir):
    import onnxruntime
    os.makedirs(out_dir, exist_ok=True)
    pairs = read_pairs(pairs_file)
    sentences = unique_sentences(pairs)
    tokenizer = bert_tokenizer(model_dir, out_dir)
    token_ids = [tokenizer.encode(s, truncation=True, max_length=256) for s in sentences]
    weights, config = load_source(source_dir)
    reference = embed_all(weights, config, token_ids)

    # The converted graph on the same ids, padded into one batch.
    length = max(len(ids) for ids in token_ids)
    ids = np.zeros((len(token_ids), length), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, row_ids in enumerate(token_ids):
        ids[row, :len(row_ids)] = row_ids
        mask[row, :len(row_ids)] = 1
    session = onnxruntime.InferenceSession(os.path.join(model_dir, "model.onnx"), providers=["CPUExecutionProvider"])
    (graph,) = session.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    cosines = row_cosines(graph, reference)
    scores = pair_scores(pairs, sentences, reference)
    lowest_paraphrase = min(s for label, s, _, _ in scores if label == "paraphrase")
    highest_unrelated = max(s for label, s, _, _ in scores if label == "unrelated")
    print(f"graph vs numpy: min cosine {cosines.min():.7f} over {len(sentences)} sentences; "
          f"lowest paraphrase {lowest_paraphrase:.4f}, highest unrelated {highest_unrelated:.4f}")
    with open(os.path.join(out_dir, "reference.json"), "w", encoding="utf-8") as out:
        json.dump({"sentences": sentences, "token_ids": token_ids, "embeddings": reference.tolist(),
                   "min_graph_cosine": float(cosines.min())}, out)
    if cosines.min() < MIN_COSINE:
        sys.exit(f"the ONNX graph disagrees with the numpy forward pass: min cosine {cosines.min():.7f} < {MIN_COSINE}")
    if lowest_paraphrase <= highest_unrelated:
        sys.exit(f"a paraphrase pair scores {lowest_paraphrase:.4f}, not above an unrelated pair's {highest_unrelated:.4f}")


def calibrate(source_dir, model_dir, pairs_file):
    import tempfile
    pairs = read_pairs(pairs_file)
    sentences = unique_sentences(pairs)
    with tempfile.TemporaryDirectory() as scratch:
        tokenizer = bert_tokenizer(model_dir, scratch)
        token_ids = [tokenizer.encode(s, truncation=True, max_length=256) for s in sentences]
    weights, config = load_source(source_dir)
    print_cutoff(pair_scores(pairs, sentences, embed_all(weights, config, token_ids)))


def calibrate_onnx(model_dir, output, pairs_file):
    import onnxruntime
    from tokenizers import Tokenizer
    pairs = read_pairs(pairs_file)
    sentences = unique_sentences(pairs)
    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(128)
    session = onnxruntime.InferenceSession(os.path.join(model_dir, "model.onnx"), providers=["CPUExecutionProvider"])
    rows = []
    for sentence in sentences:
        encoding = tokenizer.encode(sentence)
        feeds = {"input_ids": np.array([encoding.ids], dtype=np.int64),
                 "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
                 "token_type_ids": np.array([encoding.type_ids], dtype=np.int64)}
        wanted = {i.name for i in session.get_inputs()}
        (out,) = session.run([output], {k: v for k, v in feeds.items() if k in wanted})
        vector = out[0].mean(axis=0) if out.ndim == 3 else out[0]
        rows.append(vector / np.linalg.norm(vector))
    print_cutoff(pair_scores(pairs, sentences, np.stack(rows)))


def print_cutoff(scores):
    for label, score, a, b in sorted(scores, key=lambda s: s[1]):
        print(f"{score:.4f}  {label:<10}  {a}  |  {b}")
    lowest_paraphrase = min(s for label, s, _, _ in scores if label == "paraphrase")
    highest_unrelated = max(s for label, s, _, _ in scores if label == "unrelated")
    cut = (lowest_paraphrase + highest_unrelated) / 2
    print(f"lowest paraphrase {lowest_paraphrase:.4f}, highest unrelated {highest_unrelated:.4f}, cut-off {cut:.3f}")


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "calibrate":
        calibrate(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "calibrate-onnx":
        calibrate_onnx(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
