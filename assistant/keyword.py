"""The keyword index: BM25 (bm25s) over Swedish-analysed tokens, persisted on disk and loaded
once, never rebuilt per query. The one module that imports bm25s."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import bm25s


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
        """(chunk id, BM25 score) best first; chunks sharing no token are left out."""
        if self._bm25 is None or not tokens or k <= 0:
            return []
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve([list(tokens)], k=k, show_progress=False, n_threads=1)
        return [
            (self.ids[int(d)], float(s))
            for d, s in zip(docs[0], scores[0], strict=True)
            if float(s) > 0
        ]
