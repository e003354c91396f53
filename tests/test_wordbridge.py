"""English question words to the documents' Swedish words (wordbridge), with an embedder that
knows a few words' vectors: which words come back is then a matter of the rules alone."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from assistant.analysis import analyse_token
from assistant.embeddings import CachedEmbeddings
from assistant.wordbridge import MIN_SIMILARITY, WordVectors, document_words

DIM = 32


def _at(cosine: float) -> list[float]:
    """A unit vector at ``cosine`` to the first axis."""
    return [cosine, math.sqrt(1 - cosine**2)] + [0.0] * (DIM - 2)


class WordTable:
    """Embeds the words it knows as given; any other text gets an axis of its own, at right
    angles to every other text's."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table
        self.calls: list[str] = []
        self._axes: dict[str, int] = {}

    def embed_query(self, text: str) -> list[float]:
        self.calls.append(text)
        if text in self.table:
            return self.table[text]
        axis = self._axes.setdefault(text, 2 + len(self._axes))
        return [float(i == axis) for i in range(DIM)]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]


TABLE = {
    "customers": _at(1.0),
    "kunder": _at(0.95),  # the translation
    "beställare": _at(0.945),  # within WITHIN of the nearest: also brought
    "involvering": _at(0.93),  # over MIN_SIMILARITY, but not within WITHIN of the nearest
    "leverantörer": _at(0.85),  # under MIN_SIMILARITY
}
DOCS = ["Involvering av kunder och leverantörer.", "Beställare och kundens önskemål."]


def _stem(word: str) -> str:
    return analyse_token(word)[0]


def test_the_documents_most_frequent_words() -> None:
    words = document_words(["Kunder, kunder och 2020 KPI:er", "kunder KPI"], limit=2)
    assert words == ["kpi", "kunder"]  # lower-cased, letters only, the two most frequent
    assert "kpi" in document_words(["KPI:er"]) and "20" not in document_words(["2020"])


def test_an_english_word_brings_its_nearest_swedish_words() -> None:
    table = WordTable(TABLE)
    words = WordVectors.build(DOCS, table)
    terms = words.terms("Which customers?", table)
    assert terms == {_stem("kunder"), _stem("beställare")}
    assert TABLE["leverantörer"][0] < MIN_SIMILARITY < TABLE["involvering"][0]


def test_stopwords_and_short_words_are_not_looked_up_and_a_word_is_embedded_once() -> None:
    table = WordTable(TABLE)
    words = WordVectors.build(DOCS, table)
    table.calls.clear()
    words.terms("Are the customers OK?", table)
    words.terms("And customers?", table)
    assert table.calls == ["customers"]


def test_nothing_near_brings_nothing() -> None:
    table = WordTable(TABLE)
    words = WordVectors.build(DOCS, table)
    assert words.terms("Which recipe?", table) == set()
    assert WordVectors([], np.zeros((0, DIM))).terms("customers", table) == set()


def test_a_rebuild_embeds_only_the_new_words(tmp_path: Path) -> None:
    table = WordTable(TABLE)
    first = WordVectors.build(DOCS, table)
    table.calls.clear()
    second = WordVectors.build([*DOCS, "Nya kunder."], table, first)
    assert table.calls == ["nya"]
    assert second.words == sorted([*first.words, "nya"])
    first.save(tmp_path)
    loaded = WordVectors.load(tmp_path)
    assert loaded is not None and loaded.words == first.words
    assert np.allclose(loaded.vectors, first.vectors, atol=1e-3)  # stored as float16
    assert WordVectors.stored_words(tmp_path) == first.words  # the words alone (spelling)
    assert WordVectors.load(tmp_path / "none") is None
    assert WordVectors.stored_words(tmp_path / "none") is None
    (tmp_path / "words.json").write_text('["a list, as no version wrote it"]', "utf-8")
    assert WordVectors.load(tmp_path) is None  # unreadable: as if there were none
    assert WordVectors.stored_words(tmp_path) is None


def test_words_embedded_as_queries_are_cached_apart_from_passages(tmp_path: Path) -> None:
    table = WordTable(TABLE)
    cached = CachedEmbeddings(table, tmp_path / "emb.sqlite3", "table")
    assert cached.embed_queries(["kunder"]) == [TABLE["kunder"]]
    assert cached.embed_queries(["kunder"])[0] == pytest.approx(TABLE["kunder"])  # stored
    assert table.calls == ["kunder"]
    cached.embed_documents(["kunder"])  # a passage of the same text is another vector
    assert table.calls == ["kunder", "kunder"]
    assert cached.misses == 1  # passages are counted, words are not


@pytest.mark.parametrize("text", ["", "   ", "2020 1999"])
def test_a_text_without_words_has_no_words(text: str) -> None:
    assert document_words([text]) == []
