"""The dense index: a Chroma collection. The one module that imports chromadb, and the one
that knows Chroma's files (``persist`` after an ingest, ``held_ids`` for the start-up check).

Persistent on disk in the data directory by default, or a Chroma server when
``settings.chroma_url`` is set. One collection per embedder, so switching embedders never mixes
vector spaces. Chroma's default embedding function (which downloads a model) is never used.

The collection is used directly, not through langchain-chroma: every call here passes ids and
vectors that are already computed, and importing langchain-chroma (langchain's vector-store,
runnable and tracing machinery) made up most of the 1.3 s by which a cold start's imports
shrank without it and generate.py (4.8 -> 3.5 s on a busy machine).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from .config import Settings
from .errors import AssistantError, StoreUnavailable
from .models import Chunk


def _client(settings: Settings) -> Any:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise AssistantError(f"ASSISTANT_CHROMA_URL must be http(s)://host:port, not {url!r}")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise AssistantError(
                f"Chroma server at {settings.chroma_url} is not reachable: {exc}"
            ) from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


MAX_NAME = 63  # Chroma's longest collection name
SYNC_THRESHOLD = 1000  # Chroma's own default: vectors added between two writes of its index


def collection_name(settings: Settings) -> str:
    """The collection for the settings' passage vectors: the prefix and ``embedder_id`` as a
    slug; a name too long for Chroma is cut and ends with a hash of the whole id, so two
    models whose ids differ only past the cut never share a collection."""
    slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", settings.embedder_id).strip("-")
    name = f"{settings.chroma_collection}-{slug}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(settings.embedder_id.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}-{digest}"


class VectorStore:
    def __init__(self, settings: Settings) -> None:
        self.collection_name = collection_name(settings)
        self.location = settings.chroma_url or str(settings.chroma_dir)
        self._settings = settings
        self._chroma = self._open()
        self.written = False  # vectors added or deleted through this store since persist()

    def _open(self) -> Any:
        # what langchain-chroma's Chroma(collection_metadata=...) opens, so existing data
        # directories hold the same collection
        return _client(self._settings).get_or_create_collection(
            name=self.collection_name, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def reload(self) -> None:
        """See what other processes wrote since this store was opened. A local Chroma loads
        its vector index into memory once per process and folder, so the cached system is
        forgotten and a new client loads the index afresh; searches already running finish
        on the old one. A Chroma server needs none of this."""
        if self._settings.chroma_url:
            return
        forget_local_client(self._settings.chroma_dir)
        self._chroma = self._open()

    def ids(self) -> set[str]:
        return set(self._chroma.get(include=[])["ids"])

    def held_ids(self) -> set[str]:
        """The ids the collection holds, as ``ids`` gives them, read for a check beside other
        work: from a local Chroma's own SQLite database when what it says is current, else
        through Chroma.

        Chroma's ``get`` of 100,000 ids holds the GIL for about half of its ~0.5 s (it makes
        a Python string per id as it goes), and a cold start's other work waits for it. Its
        local store keeps the ids of its records in the metadata segment's ``embeddings``
        table (Chroma 1.x); one aggregate query reads them there with the GIL released
        (~0.14 s at 100,000, one string). That table is what ``get`` reads once Chroma has
        applied its whole log to the segment, which the segment's ``max_seq_id`` says; a
        segment behind its log, a layout not as expected or any database error falls back
        to ``ids``."""
        if not self._settings.chroma_url:
            with contextlib.suppress(sqlite3.Error, TypeError, ValueError):
                held = _ids_from_sqlite(self._settings.chroma_dir / "chroma.sqlite3", self._chroma)
                if held is not None:
                    return held
        return self.ids()

    def load(self) -> None:
        """Have Chroma load the collection's vector index into memory now (the first search
        would), with a search for one neighbour of a unit vector."""
        dim = self._chroma._model.dimension  # None while the collection is empty
        if dim:
            self.search([1.0] + [0.0] * (dim - 1), 1)

    def add_embedded(
        self, chunks: Sequence[Chunk], vectors: np.ndarray | Sequence[Sequence[float]]
    ) -> None:
        """Store the vectors of chunks in bulk upserts. Only ids, vectors and the document id
        go to Chroma: text and metadata live in the snapshot, and Chroma's full-text index
        over documents would cost time at every write for nothing."""
        coll = self._chroma
        if not self.written:
            self._sync_every(SYNC_THRESHOLD)  # in case a persist() was killed midway
        self.written = True
        step = 5000
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            coll.upsert(
                ids=[c.id for c in part],
                embeddings=np.asarray(vectors[i : i + step], dtype=np.float32),
                metadatas=[{"doc_id": c.doc_id} for c in part],
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        self.written = self.written or bool(ids)
        for i in range(0, len(ids), 1000):
            self._chroma.delete(ids=ids[i : i + 1000])

    def persist(self) -> None:
        """Have a local Chroma write its vector index to disk with every vector in it.

        Chroma writes its HNSW index to disk after every SYNC_THRESHOLD vectors it adds; the
        ones added since stay in its log, and every process that opens the collection adds
        them to the index again. After an ingest that left 672 there (100,000 chunks), that
        was ~0.6 s of every cold start's ~1 s load. Chroma writes the index when it has
        added at least ``sync_threshold`` vectors from its log, so with the threshold at 1
        a fresh load of the collection writes it; the threshold goes back to Chroma's
        default (a later ``add_embedded`` restores it too, should this be killed midway).
        A Chroma server keeps its own schedule."""
        if self._settings.chroma_url:
            return
        try:
            self._sync_every(1)
            self.reload()
            self._chroma.count()  # loads the index, adds the log's vectors and writes it
        finally:
            self._sync_every(SYNC_THRESHOLD)
        self.written = False
        self._persisted_mark().touch()

    @property
    def persisted(self) -> bool:
        """Whether this store has had Chroma write its whole index at least once (always true for
        a Chroma server). A local store written before ``persist`` existed may keep up to
        SYNC_THRESHOLD - 1 vectors in Chroma's log, which every start adds again; the next
        ingest persists it even when nothing changed."""
        return bool(self._settings.chroma_url) or self._persisted_mark().exists()

    def _persisted_mark(self) -> Path:
        return self._settings.chroma_dir / f".persisted-{self.collection_name}"

    def _sync_every(self, vectors: int) -> None:
        hnsw = (self._chroma.configuration_json or {}).get("hnsw") or {}
        if hnsw and hnsw.get("sync_threshold") != vectors:
            self._chroma.modify(configuration={"hnsw": {"sync_threshold": vectors}})

    def search(self, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) for a query vector, best first."""
        if k <= 0:
            return []
        # ids and distances only: the chunks' text and metadata come from the snapshot
        try:
            found = self._chroma.query(
                query_embeddings=np.asarray([vector], dtype=np.float32),
                n_results=k,
                include=["distances"],  # type: ignore[list-item]
            )
        except Exception as exc:  # a server down or restarting, a connection reset
            raise StoreUnavailable(
                f"the vector store at {self.location} cannot be searched ({type(exc).__name__})"
            ) from exc
        ids, dists = found["ids"][0], (found["distances"] or [[]])[0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, dists, strict=True)]


def _ids_from_sqlite(db: Path, collection: Any) -> set[str] | None:
    """The ids in a local Chroma's metadata segment of ``collection``, or None when that
    segment has not applied every record of the collection's log (see ``held_ids``)."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute(
            "SELECT s.id, m.seq_id FROM segments s LEFT JOIN max_seq_id m ON m.segment_id = s.id "
            "WHERE s.collection = ? AND s.scope = 'METADATA'",
            (str(collection.id),),
        ).fetchone()
        if row is None or row[1] is None:
            return None
        segment, applied = row
        (logged,) = conn.execute(
            "SELECT max(seq_id) FROM embeddings_queue WHERE topic LIKE ?",
            (f"%/{collection.id}",),
        ).fetchone()
        if logged is not None and int(logged) > int(applied):
            return None
        count, joined = conn.execute(
            "SELECT count(*), group_concat(embedding_id, char(10)) FROM embeddings "
            "WHERE segment_id = ?",
            (segment,),
        ).fetchone()
    finally:
        conn.close()
    ids = joined.split("\n") if joined else []
    return set(ids) if len(ids) == count else None  # an id holding a newline: through Chroma


def forget_local_client(path: Path) -> None:
    """Chroma keeps one client system per local folder for the life of the process; forget
    the one of ``path`` so that the next client opens what is on disk now (a version written
    by another process, or a new folder after the old one was moved aside)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    key = str(path)
    with SharedSystemClient._refcount_lock:
        SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
