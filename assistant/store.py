"""The dense index: Chroma through langchain-chroma. The one module that imports chromadb.

Persistent on disk in the data directory by default, or a Chroma server when
``settings.chroma_url`` is set. One collection per embedder, so switching embedders never mixes
vector spaces. Chroma's default embedding function (which downloads a model) is never used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from .config import Settings
from .errors import AssistantError
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


def _flat_metadata(chunk: Chunk) -> dict[str, str | int]:
    meta: dict[str, str | int] = {
        "doc_id": chunk.doc_id,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
    }
    if chunk.section:
        meta["section"] = chunk.section
    if chunk.page is not None:
        meta["page"] = chunk.page
    for key, value in chunk.meta.model_dump().items():
        if value is not None:
            meta[key] = str(value)
    return meta


class VectorStore:
    def __init__(self, settings: Settings, embeddings: Embeddings) -> None:
        slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", settings.embedder_id).strip("-")
        self.collection_name = f"{settings.chroma_collection}-{slug}"[:63]
        self.location = settings.chroma_url or str(settings.chroma_dir)
        self._chroma = Chroma(
            collection_name=self.collection_name,
            embedding_function=embeddings,
            client=_client(settings),
            collection_metadata={"hnsw:space": "cosine"},
        )

    def ids(self) -> set[str]:
        return set(self._chroma.get(include=[])["ids"])

    def add(
        self,
        chunks: Sequence[Chunk],
        batch: int = 32,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        for i in range(0, len(chunks), batch):
            part = chunks[i : i + batch]
            self._chroma.add_texts(
                texts=[c.text for c in part],
                metadatas=[_flat_metadata(c) for c in part],
                ids=[c.id for c in part],
            )
            if progress:
                progress(min(i + batch, len(chunks)), len(chunks))

    def add_embedded(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Add chunks whose vectors are already computed (benchmarks, bulk loads)."""
        coll = self._chroma._collection
        for i in range(0, len(chunks), 1000):
            part = chunks[i : i + 1000]
            coll.upsert(
                ids=[c.id for c in part],
                embeddings=np.asarray(vectors[i : i + 1000], dtype=np.float32),
                documents=[c.text for c in part],
                metadatas=[_flat_metadata(c) for c in part],  # type: ignore[misc]
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), 1000):
            self._chroma.delete(ids=ids[i : i + 1000])

    def search(self, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) for a query vector, best first."""
        if k <= 0:
            return []
        # ids and distances only: the chunks' text and metadata come from the snapshot
        found = self._chroma._collection.query(
            query_embeddings=np.asarray([vector], dtype=np.float32),
            n_results=k,
            include=["distances"],  # type: ignore[list-item]
        )
        ids, dists = found["ids"][0], (found["distances"] or [[]])[0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, dists, strict=True)]
