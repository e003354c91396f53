"""The keyword index: BM25 (bm25s) over Swedish-analysed tokens, persisted on disk and loaded
once, never rebuilt per query. The one module that imports bm25s.

bm25s builds and saves the index (its own files: parameters, vocabulary and the per-token
score columns as ``.npy`` arrays). Serving reads those files with numpy and json alone, so a
cold start imports neither bm25s nor the scipy it pulls in (~0.2-0.3 s of imports)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# bm25s's file names (BM25.save / BM25.load)
_PARAMS, _VOCAB = "params.index.json", "vocab.index.json"
_DATA, _INDICES, _INDPTR = "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy"
_NONOCCURRENCE = "nonoccurrence_array.index.npy"
_NEEDS_NONOCCURRENCE = ("bm25l", "bm25+")  # bm25s's methods_requiring_nonoccurrence


class _Columns:
    """What a search reads of a bm25s index: the vocabulary, the score columns (CSC: a
    token's column lists each document that holds it once), the number of documents, the
    score type and, for BM25L/BM25+, the score of a token a document lacks."""

    def __init__(
        self,
        vocab: dict[str, int],
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        num_docs: int,
        dtype: str,
        nonoccurrence: np.ndarray | None,
    ) -> None:
        self.vocab = vocab
        self.data, self.indices, self.indptr = data, indices, indptr
        self.num_docs = num_docs
        self.dtype = np.dtype(dtype)
        self.nonoccurrence = nonoccurrence

    @classmethod
    def of(cls, bm25: Any) -> _Columns:
        """The columns of a ``bm25s.BM25`` in memory (just built)."""
        sc = bm25.scores
        return cls(
            bm25.vocab_dict,
            sc["data"],
            sc["indices"],
            sc["indptr"],
            int(sc["num_docs"]),
            bm25.dtype,
            bm25.nonoccurrence_array,
        )

    @classmethod
    def read(cls, directory: Path) -> _Columns:
        """The columns of an index bm25s saved, read as ``BM25.load(mmap=True)`` reads them:
        the arrays memory-mapped (a search reads only its tokens' columns, the rest stays on
        disk), the parameters and vocabulary parsed as JSON."""
        params = json.loads((directory / _PARAMS).read_text(encoding="utf-8"))
        vocab = json.loads((directory / _VOCAB).read_text(encoding="utf-8"))
        nonoccurrence = None
        if params.get("method", "lucene") in _NEEDS_NONOCCURRENCE:
            nonoccurrence = np.load(directory / _NONOCCURRENCE)
        return cls(
            vocab,
            np.load(directory / _DATA, mmap_mode="r"),
            np.load(directory / _INDICES, mmap_mode="r"),
            np.load(directory / _INDPTR, mmap_mode="r"),
            int(params["num_docs"]),
            params.get("dtype", "float32"),
            nonoccurrence,
        )


class KeywordIndex:
    def __init__(self, ids: list[str], columns: _Columns | None, bm25: Any = None) -> None:
        self.ids = ids
        self._columns = columns
        self._bm25 = bm25  # the bm25s.BM25 that was just built, kept to be saved

    @classmethod
    def build(cls, ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> KeywordIndex:
        if not ids:
            return cls([], None)
        import bm25s  # building only: serving reads the saved arrays without it

        bm25 = bm25s.BM25()
        bm25.index([list(t) for t in tokens], show_progress=False)
        return cls(list(ids), _Columns.of(bm25), bm25)

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
        return cls(ids, _Columns.read(directory / "bm25"))

    def search(self, tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; chunks sharing no token are left out.

        The scores are bm25s's own (its precomputed per-token columns summed in query order)
        and the top ``k`` its own numpy selection, so the result is bit for bit what
        ``BM25.retrieve`` gives; but ``retrieve`` sums each column with ``np.add.at`` (one
        unbuffered add per posting) and starts a thread pool for the one query. A column
        lists each document once, so a buffered ``+=`` adds the same floats in the same
        order."""
        col = self._columns
        if col is None or not tokens or k <= 0:
            return []
        k = min(k, len(self.ids))
        indptr = col.indptr
        # bm25s's vocabulary may hold an empty token with no column (retrieve raises on it)
        token_ids = [col.vocab[t] for t in tokens if t in col.vocab]
        token_ids = [t for t in token_ids if t < len(indptr) - 1]
        scores = np.zeros(col.num_docs, dtype=col.dtype)
        for t in token_ids:
            start, end = indptr[t], indptr[t + 1]
            scores[col.indices[start:end]] += col.data[start:end]
        if col.nonoccurrence is not None and token_ids:
            scores += col.nonoccurrence[np.asarray(token_ids)].sum()
        top_scores, top = _top_k(scores, k)
        return [
            (self.ids[int(d)], float(s))
            for d, s in zip(top, top_scores, strict=True)
            if float(s) > 0
        ]


def _top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """bm25s's numpy top-k (``bm25s.selection.topk(backend="numpy", sorted=True)``), step for
    step, so ties come out in its order: partition, take the last ``k``, sort them by score
    and reverse."""
    part = np.argpartition(scores, -k)[-k:]  # bm25s: .take(indices=range(-k, 0)), the same
    part_scores = np.take(scores, part)
    order = np.flip(np.argsort(part_scores))
    return part_scores[order], part[order]
