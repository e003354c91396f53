"""The keyword index: BM25 (bm25s) over Swedish-analysed tokens, persisted on disk and loaded
once, never rebuilt per query. The one module that imports bm25s."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
from bm25s.selection import topk


class KeywordIndex:
    def __init__(self, ids: list[str], retriever: bm25s.BM25 | None) -> None:
        self.ids = ids
        self._bm25 = retriever

    @classmethod
    def build(cls, ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> KeywordIndex:
        if not ids:
            return cls([], None)
        bm25 = bm25s.BM25()
        bm25.index([list(t) for t in tokens], show_progress=False)
        return cls(list(ids), bm25)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
        if self._bm25 is not None:
            self._bm25.save(str(directory / "bm25"), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        ids = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
        if not ids:
            return cls([], None)
        # memory-mapped: a search reads only its tokens' columns, the rest stays on disk
        return cls(ids, bm25s.BM25.load(str(directory / "bm25"), mmap=True))

    def search(self, tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; chunks sharing no token are left out.

        The scores are bm25s's own (its precomputed per-token columns summed in query order)
        and the top ``k`` its own selection, so the result is bit for bit what
        ``BM25.retrieve`` gives; but ``retrieve`` sums each column with ``np.add.at`` (one
        unbuffered add per posting) and starts a thread pool for the one query. A column
        lists each document once, so a buffered ``+=`` adds the same floats in the same
        order."""
        if self._bm25 is None or not tokens or k <= 0:
            return []
        k = min(k, len(self.ids))
        bm25 = self._bm25
        sc = bm25.scores
        data, indices, indptr = sc["data"], sc["indices"], sc["indptr"]
        # bm25s's vocabulary may hold an empty token with no column (retrieve raises on it)
        token_ids = [t for t in bm25.get_tokens_ids(list(tokens)) if t < len(indptr) - 1]
        scores = np.zeros(sc["num_docs"], dtype=np.dtype(bm25.dtype))
        for t in token_ids:
            start, end = indptr[t], indptr[t + 1]
            scores[indices[start:end]] += data[start:end]
        if bm25.nonoccurrence_array is not None and token_ids:
            scores += bm25.nonoccurrence_array[np.asarray(token_ids)].sum()
        top_scores, top = topk(scores, k=k, backend="numpy", sorted=True)
        return [
            (self.ids[int(d)], float(s))
            for d, s in zip(top, top_scores, strict=True)
            if float(s) > 0
        ]
