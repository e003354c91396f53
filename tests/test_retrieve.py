"""Retrieval over a real Chroma (temp dir) with a fake embedder whose ranking is known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.embeddings import CachedEmbeddings, FakeEmbeddings
from assistant.ingest import ingest
from assistant.retrieve import Retriever, rrf
from assistant.store import VectorStore

DOCS = {
    "a.md": "Ständiga förbättringar och lean ger effektivitet i produktionen.",
    "b.md": "Förnyelse kräver experiment och tillåtelse att misslyckas.",
    "c.md": "Additiv tillverkning ger nya geometrier och materialkombinationer.",
}


@pytest.fixture
def retriever(tmp_path: Path) -> tuple[Retriever, CachedEmbeddings]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(f"---\ntitle: {name}\n---\n{text}\n", encoding="utf-8")
    s = Settings(data_dir=tmp_path / "data", corpus_paths=[corpus], embedder="fake", top_k=3)
    emb = CachedEmbeddings(FakeEmbeddings(), s.cache_dir / "e.sqlite3", s.embedder_id)
    store = VectorStore(s)
    _, snap = ingest(s, emb, store)
    return Retriever(s, store, snap), emb


def _ids(hits) -> list[str]:
    return [h.chunk.doc_id for h in hits]


def test_dense_ranks_by_shared_words(retriever) -> None:
    r, emb = retriever
    q = "experiment och tillåtelse att misslyckas"
    hits = r.search(q, emb.embed_query(q), mode="dense")
    assert _ids(hits)[0] == "b.md"
    assert hits[0].dense_score is not None and hits[0].dense_score > hits[1].dense_score


def test_keyword_uses_swedish_analysis(retriever) -> None:
    r, _ = retriever
    # "förbättringsarbete" shares the compound part "förbättring" with document a only
    hits = r.search("förbättringsarbete", None, mode="keyword")
    assert _ids(hits) == ["a.md"]
    # English query reaches the Swedish document through the glossary
    assert _ids(r.search("additive manufacturing", None, mode="keyword"))[0] == "c.md"


def test_hybrid_fuses_both(retriever) -> None:
    r, emb = retriever
    q = "nya geometrier"
    hits = r.search(q, emb.embed_query(q))
    assert _ids(hits)[0] == "c.md"
    top = hits[0]
    assert top.dense_rank == 1 and top.keyword_rank == 1
    assert top.score == pytest.approx(2 / 61)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_rrf_weights_and_ties() -> None:
    dense = [("x", 0.9), ("y", 0.8)]
    keyword = [("y", 5.0), ("z", 1.0)]
    fused = rrf([(dense, 1.0), (keyword, 1.0)], k=60)
    assert [cid for cid, _ in fused] == ["y", "x", "z"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    only_dense = rrf([(dense, 1.0), (keyword, 0.0)], k=60)
    assert [cid for cid, _ in only_dense][:2] == ["x", "y"]


def test_empty_index_returns_nothing(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path / "d", corpus_paths=[tmp_path], embedder="fake")
    emb = CachedEmbeddings(FakeEmbeddings(), s.cache_dir / "e.sqlite3", s.embedder_id)
    from assistant.index import Snapshot

    r = Retriever(s, VectorStore(s), Snapshot())
    assert r.search("vad som helst", emb.embed_query("vad som helst")) == []


class CountingStore(VectorStore):
    """The real store, recording how many neighbours each dense search asked Chroma for."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.asked: list[int] = []

    def search(self, vector, k: int) -> list[tuple[str, float]]:
        self.asked.append(k)
        return super().search(vector, k)


def test_dense_normal_case_asks_chroma_once(retriever) -> None:
    r, emb = retriever
    store = CountingStore(r.settings)
    r = Retriever(r.settings, store, r.snapshot)
    q = "experiment och tillåtelse att misslyckas"
    assert len(r.dense(emb.embed_query(q), 2)) == 2
    # more wanted than the index holds: Chroma returns all it has, which is not asked again
    assert len(r.dense(emb.embed_query(q), 50)) == len(r.snapshot.chunks)
    assert store.asked == [12, 60]


def test_dense_finds_live_hits_behind_many_stale_vectors(retriever) -> None:
    """A kill -9 during an ingest (or an ingest still running) leaves vectors in Chroma that
    no live version lists; here 200 of them sit exactly on the query, closer than every
    live chunk, so the first n + 10 neighbours are all stale."""
    r, emb = retriever
    q = "experiment och tillåtelse att misslyckas"
    qv = emb.embed_query(q)
    live = next(c for c in r.snapshot.chunks.values() if c.doc_id == "b.md")
    stale = [live.model_copy(update={"id": f"stale-{i}"}) for i in range(200)]
    r.store.add_embedded(stale, [qv] * len(stale))
    assert r.store.search(qv, 13)[-1][0].startswith("stale-")  # the setup does crowd them out

    n = len(r.snapshot.chunks)
    found = r.dense(qv, n)
    assert len(found) == n and all(cid in r.snapshot.chunks for cid, _ in found)
    assert found[0][0] == live.id
    hits = r.search(q, qv, k=3, mode="dense")
    assert _ids(hits)[0] == "b.md" and len(hits) == min(3, n)


def test_a_loaded_index_reads_each_chunk_from_its_own_line(retriever) -> None:
    """Loading parses no chunk row: line i is taken to hold the manifest's i-th chunk. A
    chunks file in another order still gives every chunk by its id, and a file that lost
    lines holds only what it holds (what doctor compares with the manifest)."""
    from assistant.index import Snapshot

    r, _ = retriever
    index_dir = r.settings.index_dir
    written = {cid: r.snapshot.chunks[cid] for cid in r.snapshot.chunks}
    assert dict(Snapshot.load(index_dir).chunks) == written

    f = Snapshot.load(index_dir).version_dir / "chunks.jsonl"
    lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) == len(written) > 2
    for order in (lines[::-1], [lines[0], lines[2], lines[1], *lines[3:]]):
        f.write_text("".join(order), encoding="utf-8")
        reordered = Snapshot.load(index_dir).chunks
        assert [reordered[cid] for cid in written] == list(written.values())
        assert set(reordered) == set(written)

    f.write_text("".join(lines[:2]), encoding="utf-8")
    assert len(Snapshot.load(index_dir).chunks) == 2


def _bm25s_retrieve(bm25: Any, ids: list[str], tokens: list[str], k: int) -> list[Any]:
    """What bm25s's own ``retrieve`` ranks, as ``KeywordIndex.search`` returns it (which
    asks for at most as many as there are chunks; ``retrieve`` raises instead)."""
    k = min(k, len(ids))
    docs, scores = bm25.retrieve([tokens], k=k, show_progress=False, n_threads=0)
    return [
        (ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if float(s) > 0
    ]


def test_keyword_search_is_what_bm25s_retrieve_gives(tmp_path: Path) -> None:
    """The search sums bm25s's columns itself (not ``np.add.at``) and selects as bm25s's
    numpy top-k does: same ids, same order among ties, same float scores as ``BM25.retrieve``,
    just built and after a save and a load that reads bm25s's files without bm25s, for
    repeated and unknown tokens."""
    import random

    import bm25s

    from assistant.keyword import KeywordIndex

    rng = random.Random(7)
    words = [f"ord{i}" for i in range(40)]
    docs = [[rng.choice(words) for _ in range(rng.randint(1, 30))] for _ in range(300)]
    ids = [f"c{i}" for i in range(len(docs))]
    built = KeywordIndex.build(ids, docs)
    built.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded._bm25 is None  # serving holds no bm25s object
    theirs = bm25s.BM25.load(str(tmp_path / "kw" / "bm25"), mmap=True)
    queries = [rng.sample(words, rng.randint(1, 6)) for _ in range(60)]
    queries += [["ord1", "ord1", "okänt"], ["okänt"], ["ord2"] * 4]
    for tokens in queries:
        for k in (1, 10, 300):
            expected = _bm25s_retrieve(theirs, ids, tokens, k)
            assert _bm25s_retrieve(built._bm25, ids, tokens, k) == expected
            assert built.search(tokens, k) == expected
            assert loaded.search(tokens, k) == expected


def test_keyword_search_on_the_real_index_is_bm25s_retrieve(tmp_path: Path) -> None:
    """The corpus indexed by the product's ingest, searched with the analysed tokens of every
    evaluation question: the loaded index (numpy, no bm25s) ranks and scores as bm25s's own
    ``retrieve`` over the same saved files."""
    import json

    import bm25s
    from indexed import indexed_assistant

    from assistant.analysis import get_analyzer
    from assistant.config import REPO_ROOT
    from assistant.index import Snapshot

    with indexed_assistant(tmp_path) as assistant:
        index_dir = assistant.settings.index_dir
    snap = Snapshot.load(index_dir)
    assert snap.version_dir is not None and len(snap.keyword.ids) > 10
    theirs = bm25s.BM25.load(str(snap.version_dir / "keyword" / "bm25"), mmap=True)
    cases = (REPO_ROOT / "eval" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in cases if line]
    analyzer = get_analyzer()
    found = 0
    for q in questions:
        tokens = analyzer.query_tokens(q)
        for k in (5, 30, 1000):
            expected = _bm25s_retrieve(theirs, snap.keyword.ids, tokens, k)
            assert snap.keyword.search(tokens, k) == expected, q
            found += len(expected)
    assert found > len(questions)  # most questions share words with the corpus


def test_a_loaded_index_rebuilds_documents_as_the_ingest_had_them(tmp_path: Path) -> None:
    """doc_text and chunk_at read a loaded document's rows in one parse; they give what the
    ingest's own chunks give, also from a chunks file in another order (one row at a time)."""
    from assistant.index import Snapshot

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "\n\n".join(
        f"Stycke {i} handlar om förbättringar. Det har två meningar om lean nummer {i}."
        for i in range(30)
    )
    (corpus / "lang.md").write_text(f"# Rubrik\n\n{body}\n\n## Lista\n\n1. Ett.\n2. Två.\n")
    (corpus / "kort.md").write_text("Kort dokument om additiv tillverkning.\n")
    s = Settings(
        data_dir=tmp_path / "data",
        corpus_paths=[corpus],
        embedder="fake",
        chunk_size=200,
        chunk_overlap=60,
    )
    emb = CachedEmbeddings(FakeEmbeddings(), s.cache_dir / "e.sqlite3", s.embedder_id)
    _, built = ingest(s, emb, VectorStore(s))
    assert len(built.documents["lang.md"].chunk_ids) > 10

    def views(snap: Snapshot) -> list[object]:
        out: list[object] = []
        for doc_id, entry in sorted(snap.documents.items()):
            text = snap.doc_text(doc_id)
            out.append(text)
            for cid in entry.chunk_ids:
                c = snap.chunks[cid]
                out.append(snap.chunk_at(doc_id, c.start + 1, c.end - 1))
        return out

    expected = views(built)
    assert views(Snapshot.load(s.index_dir)) == expected
    f = Snapshot.load(s.index_dir).version_dir / "chunks.jsonl"
    f.write_text("".join(f.read_text(encoding="utf-8").splitlines(keepends=True)[::-1]))
    assert views(Snapshot.load(s.index_dir)) == expected
