"""Retrieval: dense (Chroma), keyword (BM25 over Swedish analysis) and hybrid (weighted
reciprocal-rank fusion). Dense ids that are not in the live snapshot are ignored."""

from __future__ import annotations

from collections.abc import Sequence

from .analysis import get_analyzer
from .config import RetrievalMode, Settings
from .index import Snapshot
from .models import Hit
from .store import VectorStore


def rrf(
    rankings: Sequence[tuple[list[tuple[str, float]], float]], k: int
) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion: score(id) = Σ weight / (k + rank), rank from 1."""
    scores: dict[str, float] = {}
    for ranking, weight in rankings:
        for rank, (cid, _) in enumerate(ranking, 1):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class Retriever:
    def __init__(self, settings: Settings, store: VectorStore, snapshot: Snapshot) -> None:
        self.settings = settings
        self.store = store
        self.snapshot = snapshot

    def dense(self, query_vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        if self.snapshot.empty:
            return []
        live = self.snapshot.chunks
        # ask for a few more in case the store still holds chunks of a replaced version
        found = self.store.search(query_vector, n + 10)
        return [(cid, s) for cid, s in found if cid in live][:n]

    def keyword(self, query: str, n: int) -> list[tuple[str, float]]:
        return self.snapshot.keyword.search(get_analyzer().query_tokens(query), n)

    def search(
        self,
        query: str,
        query_vector: Sequence[float] | None,
        k: int | None = None,
        mode: RetrievalMode | None = None,
    ) -> list[Hit]:
        """The top ``k`` chunks for ``query``. ``query_vector`` is needed unless mode is
        keyword (the caller embeds the query once and reuses the vector)."""
        s = self.settings
        k = k or s.top_k
        mode = mode or s.retrieval_mode
        n = max(s.candidates, k)
        dense = self.dense(query_vector, n) if mode != "keyword" and query_vector else []
        keyword = self.keyword(query, n) if mode != "dense" else []
        if mode == "dense":
            fused = dense
        elif mode == "keyword":
            fused = keyword
        else:
            fused = rrf([(dense, s.dense_weight), (keyword, s.keyword_weight)], s.rrf_k)
        d_rank = {cid: (r, sc) for r, (cid, sc) in enumerate(dense, 1)}
        k_rank = {cid: (r, sc) for r, (cid, sc) in enumerate(keyword, 1)}
        hits = []
        for rank, (cid, score) in enumerate(fused[:k], 1):
            dr, kr = d_rank.get(cid), k_rank.get(cid)
            hits.append(
                Hit(
                    chunk=self.snapshot.chunks[cid],
                    score=score,
                    rank=rank,
                    dense_rank=dr[0] if dr else None,
                    dense_score=dr[1] if dr else None,
                    keyword_rank=kr[0] if kr else None,
                    keyword_score=kr[1] if kr else None,
                )
            )
        return hits
