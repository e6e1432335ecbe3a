#!/usr/bin/env python3
"""Converts a sentence-transformers BERT model (all-MiniLM-L6-v2) from its safetensors weights
to one ONNX graph, without torch: the BERT encoder, mean pooling over the attention mask and
L2 normalisation, as sentence-transformers' modules.json (Transformer, Pooling, Normalize)
defines the model.

  python scripts/sentence_onnx.py SOURCE_DIR OUT_FILE

SOURCE_DIR holds what the model's folder holds: config.json (BertModel), model.safetensors,
1_Pooling/config.json (mean pooling only). OUT_FILE receives the graph:

  inputs   input_ids, attention_mask, token_type_ids   int64 [batch, sequence]
  outputs  sentence_embedding  f32 [batch, hidden]  (mean-pooled, L2-normalised)
           token_embeddings    f32 [batch, sequence, hidden]  (the encoder's last layer)

Before writing, the graph is checked (onnx.checker) and run with ONNX's reference evaluator
on token ids of several lengths, with padding, against the independent numpy forward pass in
scripts/sentence_reference.py (cosine >= 0.9999 per row). Needs onnx, safetensors, numpy.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sentence_reference  # noqa: E402

OPSET = 17
MIN_COSINE = 0.9999


class Bert:
    """Nodes and initialisers of the graph being built."""

    def __init__(self, weights):
        self.weights = weights
        self.nodes, self.inits = [], []

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def weight(self, key, transpose=False):
        array = self.weights[key].astype(np.float32)
        return self.init(key + (".T" if transpose else ""), array.T if transpose else array)

    def node(self, op, inputs, output, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def linear(self, x, prefix, out):
        y = self.node("MatMul", [x, self.weight(prefix + ".weight", transpose=True)], out + ".mm")
        return self.node("Add", [y, self.weight(prefix + ".bias")], out)

    def layer_norm(self, x, prefix, out, eps):
        return self.node("LayerNormalization", [x, self.weight(prefix + ".weight"), self.weight(prefix + ".bias")],
                         out, axis=-1, epsilon=eps)


def build(source_dir):
    config = json.load(open(os.path.join(source_dir, "config.json")))
    pooling = json.load(open(os.path.join(source_dir, "1_Pooling", "config.json")))
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        sys.exit(f"{source_dir}: not a BERT model with exact GELU ({config.get('model_type')}, {config.get('hidden_act')})")
    if not pooling.get("pooling_mode_mean_tokens") or any(
            pooling.get(k) for k in ["pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens"]):
        sys.exit(f"{source_dir}: only mean pooling is supported ({pooling})")
    weights = load_file(os.path.join(source_dir, "model.safetensors"))
    hidden, heads, layers = config["hidden_size"], config["num_attention_heads"], config["num_hidden_layers"]
    head_dim = hidden // heads
    eps = float(config["layer_norm_eps"])
    g = Bert(weights)

    # Embeddings: word + absolute position (0..sequence) + token type, then LayerNorm.
    # The first `sequence` rows of the position table, by slicing it (a Range of positions
    # fed to a Gather trips an ONNX Runtime fusion at its extended optimisation level).
    g.node("Shape", ["input_ids"], "ids_shape")
    g.init("at_0", np.array([0], dtype=np.int64))
    g.init("at_1", np.array([1], dtype=np.int64))
    g.init("at_2", np.array([2], dtype=np.int64))
    g.node("Slice", ["ids_shape", "at_1", "at_2"], "sequence_length")
    words = g.node("Gather", [g.weight("embeddings.word_embeddings.weight"), "input_ids"], "word_embeds", axis=0)
    places = g.node("Slice", [g.weight("embeddings.position_embeddings.weight"), "at_0", "sequence_length", "at_0"],
                    "position_embeds")
    types = g.node("Gather", [g.weight("embeddings.token_type_embeddings.weight"), "token_type_ids"], "type_embeds", axis=0)
    summed = g.node("Add", [g.node("Add", [words, places], "embeds_wp"), types], "embeds")
    h = g.layer_norm(summed, "embeddings.LayerNorm", "hidden.0", eps)

    # Attention bias: 0 where attention_mask is 1, the lowest float where it is 0; [b, 1, 1, s].
    mask_f = g.node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    g.init("axes_1_2", np.array([1, 2], dtype=np.int64))
    mask_4d = g.node("Unsqueeze", [mask_f, "axes_1_2"], "mask_4d")
    g.init("one_f", np.array(1.0, dtype=np.float32))
    g.init("lowest_f", np.array(np.finfo(np.float32).min, dtype=np.float32))
    inverted = g.node("Sub", ["one_f", mask_4d], "mask_inverted")
    bias = g.node("Mul", [inverted, "lowest_f"], "attention_bias")

    g.init("split_shape", np.array([0, 0, heads, head_dim], dtype=np.int64))
    g.init("merge_shape", np.array([0, 0, hidden], dtype=np.int64))
    g.init("scale", np.array(1.0 / np.sqrt(head_dim), dtype=np.float32))
    g.init("half", np.array(0.5, dtype=np.float32))
    g.init("inv_sqrt2", np.array(1.0 / np.sqrt(2.0), dtype=np.float32))
    for layer in range(layers):
        p = f"encoder.layer.{layer}"

        def heads_of(x, name):
            split = g.node("Reshape", [x, "split_shape"], f"{p}.{name}.split")
            return g.node("Transpose", [split], f"{p}.{name}.heads", perm=[0, 2, 1, 3])

        q = heads_of(g.linear(h, f"{p}.attention.self.query", f"{p}.q"), "q")
        k = heads_of(g.linear(h, f"{p}.attention.self.key", f"{p}.k"), "k")
        v = heads_of(g.linear(h, f"{p}.attention.self.value", f"{p}.v"), "v")
        kt = g.node("Transpose", [k], f"{p}.kT", perm=[0, 1, 3, 2])
        scores = g.node("Mul", [g.node("MatMul", [q, kt], f"{p}.qk"), "scale"], f"{p}.scores")
        probs = g.node("Softmax", [g.node("Add", [scores, bias], f"{p}.masked")], f"{p}.probs", axis=-1)
        context = g.node("Transpose", [g.node("MatMul", [probs, v], f"{p}.ctx")], f"{p}.ctx.t", perm=[0, 2, 1, 3])
        merged = g.node("Reshape", [context, "merge_shape"], f"{p}.ctx.merged")
        attended = g.linear(merged, f"{p}.attention.output.dense", f"{p}.attn_out")
        h1 = g.layer_norm(g.node("Add", [attended, h], f"{p}.attn_res"), f"{p}.attention.output.LayerNorm", f"{p}.h1", eps)
        inner = g.linear(h1, f"{p}.intermediate.dense", f"{p}.inter")
        # Exact GELU: 0.5 x (1 + erf(x / sqrt 2)).
        erf = g.node("Erf", [g.node("Mul", [inner, "inv_sqrt2"], f"{p}.gelu.scaled")], f"{p}.gelu.erf")
        gate = g.node("Add", [erf, "one_f"], f"{p}.gelu.gate")
        gelu = g.node("Mul", [g.node("Mul", [inner, gate], f"{p}.gelu.xg"), "half"], f"{p}.gelu")
        out = g.linear(gelu, f"{p}.output.dense", f"{p}.out")
        h = g.layer_norm(g.node("Add", [out, h1], f"{p}.out_res"), f"{p}.output.LayerNorm", f"hidden.{layer + 1}", eps)
    g.node("Identity", [h], "token_embeddings")

    # Mean pooling over the attention mask, then L2 normalisation (sentence-transformers'
    # Pooling and Normalize modules: the count is clamped at 1e-9, the norm at 1e-12).
    g.init("axis_1", np.array([1], dtype=np.int64))
    g.init("axis_2", np.array([2], dtype=np.int64))
    mask_3d = g.node("Unsqueeze", [mask_f, "axis_2"], "mask_3d")
    summed_tokens = g.node("ReduceSum", [g.node("Mul", ["token_embeddings", mask_3d], "masked_tokens"), "axis_1"],
                           "token_sum", keepdims=0)
    g.init("min_count", np.array(1e-9, dtype=np.float32))
    count = g.node("Max", [g.node("ReduceSum", [mask_3d, "axis_1"], "token_count", keepdims=0), "min_count"], "count")
    mean = g.node("Div", [summed_tokens, count], "mean_pooled")
    g.init("min_norm", np.array(1e-12, dtype=np.float32))
    norm = g.node("Max", [g.node("ReduceL2", [mean], "l2", axes=[1], keepdims=1), "min_norm"], "norm")
    g.node("Div", [mean, norm], "sentence_embedding")

    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
              for name in ["input_ids", "attention_mask", "token_type_ids"]]
    outputs = [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden]),
               helper.make_tensor_value_info("token_embeddings", TensorProto.FLOAT, ["batch", "sequence", hidden])]
    graph = helper.make_graph(g.nodes, "sentence_encoder", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="rushes sentence_onnx.py",
                              ir_version=8)
    onnx.checker.check_model(model)
    return model, weights, config


def probe_batch(config, rng):
    """Token ids of three lengths padded to one batch, as a BERT tokenizer would lay them out."""
    lengths = [5, 17, 31]
    ids = np.zeros((len(lengths), max(lengths)), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(1000, config["vocab_size"], size=length)
        ids[row, 0], ids[row, length - 1] = 101, 102
        mask[row, :length] = 1
    return ids, mask, np.zeros_like(ids)


def self_check(model, weights, config):
    """The graph, run by ONNX's reference evaluator, against the numpy forward pass."""
    from onnx.reference import ReferenceEvaluator
    ids, mask, types = probe_batch(config, np.random.default_rng(7))
    (graph_out,) = ReferenceEvaluator(model).run(["sentence_embedding"], {
        "input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    reference = sentence_reference.encode(weights, config, ids, mask, types)
    cosines = sentence_reference.row_cosines(graph_out, reference)
    if cosines.min() < MIN_COSINE:
        sys.exit(f"converted graph disagrees with the numpy forward pass: cosines {cosines}")
    return cosines


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source_dir, out_file = sys.argv[1], sys.argv[2]
    model, weights, config = build(source_dir)
    cosines = self_check(model, weights, config)
    os.makedirs(os.path.dirname(os.path.abspath(out_file)), exist_ok=True)
    onnx.save(model, out_file + ".part")
    os.replace(out_file + ".part", out_file)
    print(f"wrote {out_file} ({os.path.getsize(out_file)} bytes); against the numpy forward pass: "
          f"min cosine {cosines.min():.7f}", file=sys.stderr)


if __name__ == "__main__":
    main()
