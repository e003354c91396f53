"""Retrieval: dense (Chroma), keyword (BM25 over Swedish analysis) and hybrid (weighted
reciprocal-rank fusion). Dense ids that are not in the live snapshot are ignored, and dense
search asks Chroma for more neighbours until it has n live ones or Chroma has no more."""

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
        # Chroma may hold vectors no live version lists: those of a replaced version until
        # the ingest deletes them, of a version being ingested (upserted before the switch)
        # or left by an ingest killed midway. Ask for a few more than n; when stale ids
        # still crowd out live ones and Chroma had more to give, ask for four times as many.
        # Chroma returns at most as many as it holds, which ends the loop.
        want = n + 10
        while True:
            found = self.store.search(query_vector, want)
            kept = [(cid, s) for cid, s in found if cid in live]
            if len(kept) >= n or len(found) < want:
                return kept[:n]
            want *= 4

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
