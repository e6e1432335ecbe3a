"""Writes a ViT-B/32-sized CLIP image encoder with random weights (the benchmark's stand-in
when tests/fixtures/models/make_vit_b32_random.py is absent).

Same shape and work as Xenova/clip-vit-base-patch32 onnx/vision_model.onnx: input
`pixel_values` [N,3,224,224] float32, 32x32 patches -> 50 tokens of width 768, 12 pre-LN
transformer layers (12 heads, MLP 3072, quick-GELU), post-LN on the class token, projection
to `image_embeds` [N,512]. About 88M parameters (350 MB), seeded, so every run is the same.

    .venv/bin/python bench/make_vit_b32_random.py OUT_DIR   # prints the .onnx path
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WIDTH, LAYERS, HEADS, MLP, PATCH, IMAGE, EMBED = 768, 12, 12, 3072, 32, 224, 512
TOKENS = (IMAGE // PATCH) ** 2 + 1
FILE_NAME = "vit_b32_random.onnx"


def build(seed: int = 32) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def weight(name: str, shape: tuple[int, ...], scale: float = 0.02) -> str:
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def const(name: str, values, dtype=np.int64) -> str:
        inits.append(numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def layer_norm(x: str, prefix: str) -> str:
        gamma = const(f"{prefix}.g", np.ones(WIDTH), np.float32)
        beta = const(f"{prefix}.b", np.zeros(WIDTH), np.float32)
        return node("LayerNormalization", [x, gamma, beta], f"{prefix}.out", axis=-1, epsilon=1e-5)

    def linear(x: str, prefix: str, n_in: int, n_out: int) -> str:
        w = weight(f"{prefix}.w", (n_in, n_out))
        b = const(f"{prefix}.b", np.zeros(n_out), np.float32)
        return node("Add", [node("MatMul", [x, w], f"{prefix}.mm"), b], f"{prefix}.out")

    # Patch embedding: conv 32x32 stride 32 -> [N,768,7,7] -> [N,49,768], class token, positions.
    conv = node("Conv", ["pixel_values", weight("patch.w", (WIDTH, 3, PATCH, PATCH))], "patch.conv",
                kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH])
    flat = node("Reshape", [conv, const("patch.shape", [0, WIDTH, -1])], "patch.flat")
    patches = node("Transpose", [flat], "patch.tokens", perm=[0, 2, 1])
    batch = node("Slice", [node("Shape", ["pixel_values"], "in.shape"), const("s0", [0]), const("s1", [1])], "in.batch")
    cls_shape = node("Concat", [batch, const("cls.tail", [1, WIDTH])], "cls.shape", axis=0)
    cls = node("Expand", [weight("cls.token", (1, 1, WIDTH)), cls_shape], "cls.expanded")
    tokens = node("Concat", [cls, patches], "tokens", axis=1)
    x = node("Add", [tokens, weight("pos", (1, TOKENS, WIDTH))], "embedded")
    x = layer_norm(x, "pre_ln")

    head_dim = WIDTH // HEADS
    split_shape = const("heads.shape", [0, 0, HEADS, head_dim])
    merge_shape = const("merge.shape", [0, 0, WIDTH])
    scale = const("attn.scale", [1.0 / np.sqrt(head_dim)], np.float32)
    for layer in range(LAYERS):
        p = f"l{layer}"
        h = layer_norm(x, f"{p}.ln1")
        q, k, v = (node("Reshape", [linear(h, f"{p}.{n}", WIDTH, WIDTH), split_shape], f"{p}.{n}.heads") for n in "qkv")
        q = node("Transpose", [q], f"{p}.qt", perm=[0, 2, 1, 3])
        k = node("Transpose", [k], f"{p}.kt", perm=[0, 2, 3, 1])
        v = node("Transpose", [v], f"{p}.vt", perm=[0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.scores")
        attn = node("MatMul", [node("Softmax", [scores], f"{p}.probs", axis=-1), v], f"{p}.attn")
        merged = node("Reshape", [node("Transpose", [attn], f"{p}.at", perm=[0, 2, 1, 3]), merge_shape], f"{p}.merged")
        x = node("Add", [x, linear(merged, f"{p}.o", WIDTH, WIDTH)], f"{p}.res1")
        h = linear(layer_norm(x, f"{p}.ln2"), f"{p}.fc1", WIDTH, MLP)
        gate = node("Sigmoid", [node("Mul", [h, const(f"{p}.qg", [1.702], np.float32)], f"{p}.qgx")], f"{p}.gate")
        h = linear(node("Mul", [h, gate], f"{p}.gelu"), f"{p}.fc2", MLP, WIDTH)
        x = node("Add", [x, h], f"{p}.res2")

    first = node("Gather", [x, const("cls.index", 0)], "pooled", axis=1)
    pooled = layer_norm(first, "post_ln")
    node("MatMul", [pooled, weight("proj", (WIDTH, EMBED))], "image_embeds")

    graph = helper.make_graph(
        nodes,
        "vit_b32_random",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, IMAGE, IMAGE])],
        [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["batch", EMBED])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="rushes-bench")
    model.ir_version = 8
    return model


def main() -> int:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench/work")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / FILE_NAME
    if not target.is_file():
        model = build()
        onnx.checker.check_model(model)
        part = target.with_suffix(".onnx.part")
        onnx.save(model, part)
        os.replace(part, target)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
