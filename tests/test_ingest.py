"""Incremental ingest against a real Chroma in a temp dir, with the deterministic fake embedder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant import index
from assistant.analysis import ANALYSER_VERSION
from assistant.cli import ingest_summary
from assistant.config import REPO_ROOT, Settings
from assistant.core import Assistant
from assistant.embeddings import CachedEmbeddings, FakeEmbeddings
from assistant.index import Snapshot, idf_of
from assistant.ingest import answer_sentences, ingest, is_stale
from assistant.models import Chunk, IngestReport
from assistant.retrieve import Retriever
from assistant.store import VectorStore


class ExplodingEmbeddings(FakeEmbeddings):
    """Dies after embedding ``budget`` texts: stands in for a crash half-way."""

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.budget -= len(texts)
        if self.budget < 0:
            raise RuntimeError("power cut")
        return super().embed_documents(texts)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", dst)
    return dst


def _parts(settings: Settings, inner: FakeEmbeddings | None = None):
    emb = CachedEmbeddings(
        inner or FakeEmbeddings(), settings.cache_dir / "emb.sqlite3", settings.model_id
    )
    return emb, VectorStore(settings)


def _settings(tmp_path: Path, corpus: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_paths=[corpus], embedder="fake")


def test_first_ingest_indexes_everything(tmp_path: Path, corpus: Path) -> None:
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    report, snap = ingest(s, emb, store)
    assert sorted(report.added) == sorted(p.name for p in corpus.glob("*.md"))
    assert report.failures == []
    assert store.ids() == set(snap.chunks)
    assert report.embedded > len(snap.chunks)  # chunks plus their sentences
    assert Snapshot.load(s.index_dir).chunks.keys() == snap.chunks.keys()
    assert not is_stale(s, snap)


def test_unchanged_reingest_costs_no_embedding(tmp_path: Path, corpus: Path) -> None:
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, first = ingest(s, emb, store)
    inner = FakeEmbeddings()
    emb2, store2 = _parts(s, inner)  # a new process: fresh objects, same data dir
    report, snap = ingest(s, emb2, store2)
    assert report.embedded == 0 and inner.calls == []
    assert sorted(report.unchanged) == sorted(first.documents)
    assert not report.changed
    assert snap.version_dir == first.version_dir  # nothing rewritten


def test_a_moved_corpus_folder_is_the_same_documents_not_a_clash(
    tmp_path: Path, corpus: Path
) -> None:
    # a project checkout or corpus folder moved elsewhere: same ids, same bytes, new paths
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, first = ingest(s, emb, store)
    moved = tmp_path / "elsewhere" / "corpus"
    moved.parent.mkdir()
    corpus.rename(moved)
    s2 = _settings(tmp_path, moved)
    inner = FakeEmbeddings()
    emb2, store2 = _parts(s2, inner)
    report, snap = ingest(s2, emb2, store2)
    assert report.failures == [] and inner.calls == []
    assert sorted(report.moved) == sorted(first.documents) and not report.unchanged
    assert snap.chunks.keys() == first.chunks.keys()
    assert all(Path(d.path).parent == moved for d in snap.documents.values())
    assert not is_stale(s2, snap)
    again, _ = ingest(s2, emb2, store2)
    assert not again.changed and sorted(again.unchanged) == sorted(first.documents)


def test_changed_and_removed_documents_update_every_index(tmp_path: Path, corpus: Path) -> None:
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, before = ingest(s, emb, store)
    changed = corpus / "samverkan-samverkan-samverkan.md"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\n\nTillägg om kvantdatorer i gjuterier.\n",
        encoding="utf-8",
    )
    (corpus / "produktionslyftet-smart-industri.md").unlink()
    assert is_stale(s, before)
    report, after = ingest(s, emb, store)
    assert report.updated == ["samverkan-samverkan-samverkan.md"]
    assert report.removed == ["produktionslyftet-smart-industri.md"]
    assert report.unchanged == ["produktionsinnovation.md"]
    assert not any(c.doc_id == "produktionslyftet-smart-industri.md" for c in after.chunks.values())
    assert store.ids() == set(after.chunks)  # removed and replaced chunks gone from Chroma
    hits = Retriever(s, store, after).search(
        "kvantdatorer gjuterier", emb.embed_query("kvantdatorer gjuterier"), k=1
    )
    assert "kvantdatorer" in hits[0].chunk.text
    kw = after.keyword.search(["kvantdator"], 5)
    assert kw and "kvantdatorer" in after.chunks[kw[0][0]].text


def test_crash_half_way_leaves_previous_index_usable(tmp_path: Path, corpus: Path) -> None:
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, before = ingest(s, emb, store)
    (corpus / "ny.md").write_text(
        "---\ntitle: Ny\n---\n" + "".join(f"Robotcell {i} är helt ny. " for i in range(60)),
        encoding="utf-8",
    )
    emb2, store2 = _parts(s, ExplodingEmbeddings(budget=1))
    with pytest.raises(RuntimeError, match="power cut"):
        ingest(s, emb2, store2)
    survivor = Snapshot.load(s.index_dir)
    assert survivor.chunks.keys() == before.chunks.keys()
    q = "fyra områden förnyelse"
    assert Retriever(s, store, survivor).search(q, emb.embed_query(q), k=3)
    report, after = ingest(s, emb, store)  # the next ingest completes the job
    assert report.added == ["ny.md"]
    assert store.ids() == set(after.chunks)


def test_unreadable_file_is_reported_and_the_rest_indexed(tmp_path: Path, corpus: Path) -> None:
    s = _settings(tmp_path, corpus)
    (corpus / "trasig.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    (corpus / "bild.png").write_bytes(b"\x89PNG")
    emb, store = _parts(s)
    report, snap = ingest(s, emb, store)
    reasons = {Path(f.path).name: f.reason for f in report.failures}
    assert set(reasons) == {"trasig.pdf", "bild.png"}
    assert all(reasons.values())
    assert len(report.added) == 3 and snap.documents


def test_a_file_that_breaks_keeps_its_previous_version(tmp_path: Path, corpus: Path) -> None:
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, before = ingest(s, emb, store)
    (corpus / "samverkan-samverkan-samverkan.md").write_text(
        "---\ntitle: [oavslutad\n---\ntext", encoding="utf-8"
    )
    report, after = ingest(s, emb, store)
    assert [Path(f.path).name for f in report.failures] == ["samverkan-samverkan-samverkan.md"]
    assert "previously indexed version is kept" in report.failures[0].reason
    assert after.chunks.keys() == before.chunks.keys()


def test_ingesting_one_extra_path_keeps_the_corpus(tmp_path: Path, corpus: Path) -> None:
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, before = ingest(s, emb, store)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "notat.txt").write_text("Ett notat om svetsning och fixturer.", encoding="utf-8")
    report, after = ingest(s, emb, store, paths=[extra])
    assert report.added == [(extra / "notat.txt").resolve().as_posix()]  # not a corpus id
    assert report.removed == []
    assert set(before.documents) < set(after.documents)


def test_changing_chunk_size_rechunks(tmp_path: Path, corpus: Path) -> None:
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, before = ingest(s, emb, store)
    s2 = s.model_copy(update={"chunk_size": 300, "chunk_overlap": 50})
    report, after = ingest(s2, emb, store)
    assert len(report.updated) == 3
    assert len(after.chunks) > len(before.chunks)
    assert store.ids() == set(after.chunks)


def test_each_text_is_embedded_once(tmp_path: Path, corpus: Path) -> None:
    s = _settings(tmp_path, corpus).model_copy(update={"chunk_vectors": "embedded"})
    inner = FakeEmbeddings()
    emb, store = _parts(s, inner)
    _, snap = ingest(s, emb, store)
    embedded = [t for call in inner.calls for t in call]
    assert len(embedded) == len(set(embedded))  # overlapping chunks share their sentences
    for chunk in snap.chunks.values():
        assert chunk.text in embedded and set(answer_sentences(chunk)) <= set(embedded)
    chunk = next(iter(snap.chunks.values()))
    hit = store.search(inner.embed_query(chunk.text), 1)
    assert hit[0][0] == chunk.id and hit[0][1] == pytest.approx(1.0, abs=1e-5)


def _stored(store: VectorStore, ids: list[str]) -> dict[str, np.ndarray]:
    got = store._chroma.get(ids=ids, include=["embeddings"])
    return {i: np.asarray(v) for i, v in zip(got["ids"], got["embeddings"], strict=True)}


def _sentence_mean(inner: FakeEmbeddings, chunk: Chunk) -> np.ndarray:
    vs = np.asarray([inner._vec(t) for t in answer_sentences(chunk)])
    mean = vs.sum(axis=0)
    return mean / np.linalg.norm(mean)


def test_chunk_vectors_from_sentences_embed_only_the_sentences(
    tmp_path: Path, corpus: Path
) -> None:
    s = _settings(tmp_path, corpus).model_copy(update={"chunk_vectors": "from_sentences"})
    inner = FakeEmbeddings()
    emb, store = _parts(s, inner)
    report, snap = ingest(s, emb, store)
    embedded = [t for call in inner.calls for t in call]
    sentences = {t for c in snap.chunks.values() for t in answer_sentences(c)}
    assert len(inner.calls) == 1  # one group: one call
    assert len(embedded) == len(set(embedded)) and set(embedded) == sentences
    assert report.embedded == len(sentences)
    several = [c for c in snap.chunks.values() if len(answer_sentences(c)) > 1]
    assert several and not any(c.text in embedded for c in several)
    # what Chroma holds for each chunk is the normalised mean of its sentences' vectors
    stored = _stored(store, list(snap.chunks))
    assert stored.keys() == snap.chunks.keys()
    for cid, chunk in snap.chunks.items():
        assert stored[cid] == pytest.approx(_sentence_mean(inner, chunk), abs=1e-6)
    # and is what a search finds it by
    chunk = several[0]
    hit = store.search(_sentence_mean(inner, chunk).tolist(), 1)
    assert hit[0][0] == chunk.id and hit[0][1] == pytest.approx(1.0, abs=1e-5)


def test_derived_and_embedded_chunk_vectors_never_share_a_collection(
    tmp_path: Path, corpus: Path
) -> None:
    embedded = _settings(tmp_path, corpus).model_copy(update={"chunk_vectors": "embedded"})
    derived = embedded.model_copy(update={"chunk_vectors": "from_sentences"})
    assert embedded.embedder_id == "fake" and derived.embedder_id == "sentence-mean:fake"
    inner = FakeEmbeddings()
    emb, store = _parts(embedded, inner)
    _, snap = ingest(embedded, emb, store)
    # the same data directory with the other setting: its own collection, filled anew
    emb2, store2 = _parts(derived, inner)
    assert store2.collection_name != store.collection_name and store2.ids() == set()
    report, again = ingest(derived, emb2, store2)
    # … from the sentences' vectors the first ingest cached: they are the model's either way
    assert again.chunks.keys() == snap.chunks.keys() and report.embedded == 0
    stored = _stored(store2, list(again.chunks))
    for cid, chunk in again.chunks.items():
        assert stored[cid] == pytest.approx(_sentence_mean(inner, chunk), abs=1e-6)
    before = _stored(store, list(snap.chunks))  # the embedded collection is untouched
    assert all(before[c] == pytest.approx(inner._vec(snap.chunks[c].text)) for c in before)
    # a remote model with a long name: Chroma's collection name is cut at 63 characters, and
    # the setting's mark still tells the two apart
    remote = Settings(
        data_dir=tmp_path / "remote",
        embedder="openai",
        embedder_model="intfloat/multilingual-e5-small",
        embedder_prefixes=False,
    )
    names = {
        VectorStore(remote.model_copy(update={"chunk_vectors": v})).collection_name
        for v in ("embedded", "from_sentences")
    }
    assert len(names) == 2 and all(len(n) <= 63 for n in names)


def test_switching_chunk_vectors_embeds_no_sentence_again(tmp_path: Path, corpus: Path) -> None:
    """The assistant's embedding cache is the model's: a data directory ingested with
    embedded passage vectors gives its sentences' vectors to a from_sentences ingest."""
    embedded = _settings(tmp_path, corpus).model_copy(update={"chunk_vectors": "embedded"})
    first = Assistant(embedded).ingest()
    assert first.embedded > 0
    derived = embedded.model_copy(update={"chunk_vectors": "from_sentences"})
    assistant = Assistant(derived)
    report = assistant.ingest()
    assert report.embedded == 0 and report.chunks == first.chunks
    assert assistant.search("förnyelse", mode="dense")  # its own collection, filled


def test_a_loaded_index_serves_without_tokens(tmp_path: Path, corpus: Path) -> None:
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, built = ingest(s, emb, store)
    loaded = Snapshot.load(s.index_dir)
    assert loaded.idf == pytest.approx(idf_of(built.tokens))  # stored at ingest
    for cid, chunk in built.chunks.items():
        assert loaded.chunks[cid] == chunk  # rebuilt from a compact row and its document
    q = "fyra områden förnyelse"
    assert Retriever(s, store, loaded).search(q, emb.embed_query(q), k=3)
    assert loaded._tokens is None  # serving never read them
    assert loaded.tokens == built.tokens  # the next ingest does
    listed = [cid for d in loaded.documents.values() for cid in d.chunk_ids]
    assert loaded.keyword.ids == listed
    assert all(k is m for k, m in zip(loaded.keyword.ids, listed, strict=True))  # held once


def test_a_snapshot_keeps_only_the_documents_texts_used_last(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _settings(tmp_path, corpus)
    _, built = ingest(s, *_parts(s))
    docs = sorted(built.documents)
    assert len(docs) == 3
    whole = {d: Snapshot.load(s.index_dir).doc_text(d) for d in docs}
    monkeypatch.setattr(index, "DOC_TEXTS_KEPT", 2)
    loaded = Snapshot.load(s.index_dir)
    for d in [*docs, docs[0], docs[2], docs[0]]:
        assert loaded.doc_text(d) == whole[d]
        assert len(loaded._doc_texts) <= 2
    assert list(loaded._doc_texts) == [docs[2], docs[0]]  # the two used last


@pytest.mark.parametrize(
    ("limit", "words"),
    [({"max_document_chars": 15_000}, "characters"), ({"max_document_chunks": 20}, "passages")],
)
def test_a_document_over_the_limits_is_refused_before_embedding(
    tmp_path: Path, corpus: Path, limit: dict[str, int], words: str
) -> None:
    big = "".join(f"Mening nummer {i} om en mycket lång rapport. " for i in range(500))
    (corpus / "stor.md").write_text(f"---\ntitle: Stor\n---\n{big}\n", encoding="utf-8")
    s = Settings(data_dir=tmp_path / "data", corpus_paths=[corpus], embedder="fake", **limit)
    inner = FakeEmbeddings()
    emb, store = _parts(s, inner)
    report, snap = ingest(s, emb, store)
    (failure,) = report.failures
    assert Path(failure.path).name == "stor.md"
    assert failure.reason.startswith("too big to index") and words in failure.reason
    assert "ASSISTANT_MAX_DOCUMENT" in failure.reason
    assert "stor.md" not in snap.documents
    assert not any("Mening nummer 7 " in t for call in inner.calls for t in call)
    assert not is_stale(s, snap)  # refused, and remembered as such until it changes


def test_a_running_assistant_sees_an_ingest_by_another_process(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("Ständiga förbättringar och lean ger effektivitet.\n")
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_CORPUS_PATHS": json.dumps([str(corpus)]),
        "ASSISTANT_EMBEDDER": "fake",
    }
    cli = [sys.executable, "-m", "assistant", "ingest"]
    subprocess.run(cli, env=env, check=True, capture_output=True)
    s = Settings(data_dir=tmp_path / "data", corpus_paths=[corpus], embedder="fake")
    server = Assistant(s)
    q = "experiment och tillåtelse att misslyckas"
    assert [h.chunk.doc_id for h in server.search(q, mode="dense")] == ["a.md"]
    (corpus / "b.md").write_text("Förnyelse kräver experiment och tillåtelse att misslyckas.\n")
    subprocess.run(cli, env=env, check=True, capture_output=True)  # while the server runs
    for mode in ("dense", "keyword"):
        assert server.search(q, mode=mode)[0].chunk.doc_id == "b.md", mode


def test_a_file_keeps_its_id_however_it_is_named(tmp_path: Path, corpus: Path) -> None:
    (corpus / "del").mkdir()
    sub = corpus / "del" / "notat.md"
    sub.write_text("Ett notat om svetsning och fixturer.\n", encoding="utf-8")
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, first = ingest(s, emb, store)
    assert "del/notat.md" in first.documents
    sub.write_text("Ett notat om svetsning, fixturer och robotceller.\n", encoding="utf-8")
    report, snap = ingest(s, emb, store, paths=[Path(os.path.relpath(sub))])  # the file alone
    assert report.updated == ["del/notat.md"] and report.added == report.removed == []
    assert snap.documents.keys() == first.documents.keys()
    assert not is_stale(s, snap)  # status agrees after ingesting one file
    # a file of the same name from elsewhere is another document, with its full path as id
    elsewhere = tmp_path / "hemma" / "notat.md"
    elsewhere.parent.mkdir()
    elsewhere.write_text("Ett annat notat om lackering.\n", encoding="utf-8")
    report, snap = ingest(s, emb, store, paths=[elsewhere])
    assert report.added == [elsewhere.resolve().as_posix()] and not report.failures
    assert {c.doc_id for c in snap.chunks.values()} == set(snap.documents)


def test_a_copy_of_an_indexed_file_is_reported_and_not_indexed_twice(
    tmp_path: Path, corpus: Path
) -> None:
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, first = ingest(s, emb, store)
    original = corpus / "samverkan-samverkan-samverkan.md"
    copy = corpus / "a-kopia.md"  # sorts first: the indexed original still wins
    shutil.copy(original, copy)
    report, snap = ingest(s, emb, store)
    (failure,) = report.failures
    assert failure.path == str(copy) and original.name in failure.reason
    assert "not indexed twice" in failure.reason
    assert snap.documents.keys() == first.documents.keys()
    assert not is_stale(s, snap)
    report, _ = ingest(s, emb, store)  # said again on the next ingest, still not indexed
    assert [f.path for f in report.failures] == [str(copy)] and not report.changed


def _built_then_as_older(
    tmp_path: Path, corpus: Path, older: Callable[[dict[str, Any]], dict[str, Any]]
) -> tuple[Settings, Snapshot, Path]:
    """An index built now, its manifest then rewritten by ``older`` as a previous version of
    the code wrote it."""
    s = _settings(tmp_path, corpus)
    emb, store = _parts(s)
    _, built = ingest(s, emb, store)
    vdir = built.version_dir
    assert vdir is not None
    manifest = json.loads((vdir / "manifest.json").read_text(encoding="utf-8"))
    (vdir / "manifest.json").write_text(json.dumps(older(manifest)), encoding="utf-8")
    return s, built, vdir


def _ingest_without_embedding(s: Settings) -> tuple[IngestReport, Snapshot]:
    inner = FakeEmbeddings()
    emb, store = _parts(s, inner)
    report, new = ingest(s, emb, store)
    assert not report.changed and inner.calls == []  # nothing read or embedded again
    return report, new


def test_an_index_of_the_previous_format_serves_until_ingest_rewrites_it(
    tmp_path: Path, corpus: Path
) -> None:
    s, built, vdir = _built_then_as_older(tmp_path, corpus, lambda m: {**m, "format": 1})
    # the files as the previous version wrote them: a pydantic chunk and its tokens per line
    with (vdir / "chunks.jsonl").open("w", encoding="utf-8") as f:
        for cid, c in built.chunks.items():
            f.write(json.dumps({"chunk": c.model_dump(), "tokens": built.tokens[cid]}) + "\n")
    (vdir / "idf.json").unlink()
    (vdir / "tokens.jsonl").unlink()
    old = Snapshot.load(s.index_dir)
    assert dict(old.chunks) == dict(built.chunks) and old.idf == pytest.approx(built.idf)
    report, new = _ingest_without_embedding(s)
    assert new.version_dir != vdir and Snapshot.load(s.index_dir).format == 2
    assert not report.reanalysed


def test_an_index_of_an_older_analyser_is_stale_and_ingest_analyses_it_again(
    tmp_path: Path, corpus: Path
) -> None:
    # as the first analyser wrote it: no version in the manifest, and no verb stems
    s, built, vdir = _built_then_as_older(
        tmp_path, corpus, lambda m: {k: v for k, v in m.items() if k != "analyser"}
    )
    older = {cid: [t for t in toks if t != "digitaliser"] for cid, toks in built.tokens.items()}
    assert older != built.tokens  # the corpus has "digitalisering…"
    with (vdir / "tokens.jsonl").open("w", encoding="utf-8") as f:
        for cid, toks in older.items():
            f.write(json.dumps([cid, toks]) + "\n")
    old = Snapshot.load(s.index_dir)
    assert old.analyser == 1 and is_stale(s, old)
    report, new = _ingest_without_embedding(s)
    assert report.reanalysed and "analysed again" in ingest_summary(report, len(new.documents))
    loaded = Snapshot.load(s.index_dir)
    assert loaded.analyser == ANALYSER_VERSION and not is_stale(s, loaded)
    assert loaded.tokens == built.tokens and loaded.idf == pytest.approx(built.idf)
    assert new.keyword.search(["digitaliser"], 3)


def test_two_corpus_folders_with_the_same_file_name(tmp_path: Path) -> None:
    one, two = tmp_path / "ett", tmp_path / "tva"
    for folder, text in ((one, "Svetsning i cellen."), (two, "Lackering i linjen.")):
        folder.mkdir()
        (folder / "notat.md").write_text(text + "\n", encoding="utf-8")
    s = Settings(data_dir=tmp_path / "data", corpus_paths=[one, two], embedder="fake")
    emb, store = _parts(s)
    report, snap = ingest(s, emb, store)
    assert list(snap.documents) == ["notat.md"]
    (failure,) = report.failures
    assert failure.path == str(two / "notat.md") and "already has id" in failure.reason
    assert not is_stale(s, snap)


def test_an_index_without_word_vectors_gets_them_and_nothing_else_is_embedded(
    tmp_path: Path, corpus: Path
) -> None:
    s, built, vdir = _built_then_as_older(tmp_path, corpus, lambda m: m)
    assert built.words is not None and "produktionsinnovation" in built.words.words
    (vdir / "words.json").unlink()  # as an ingest before the words were kept left it
    (vdir / "words.npy").unlink()
    assert Snapshot.load(s.index_dir).words is None
    report, new = _ingest_without_embedding(s)  # the words' vectors are in the cache
    assert report.words_added and report.embedded == 0
    assert "Word vectors made" in ingest_summary(report, len(new.documents))
    loaded = Snapshot.load(s.index_dir).words
    assert loaded is not None and loaded.words == built.words.words
    assert np.allclose(loaded.vectors, built.words.vectors, atol=1e-3)


def test_the_summary_counts_passages_embedded_for_unchanged_documents() -> None:
    # another ingest engine's collection (or a deleted store) is filled again: the documents
    # are unchanged, the passages are not "not embedded"
    docs = ["a.md", "b.md", "c.md"]
    report = IngestReport(unchanged=docs, chunks=23, embedded=100, words_added=True)
    text = ingest_summary(report, 3)
    assert "100 passages embedded into the vector store" in text and "no passage" not in text
    report = IngestReport(unchanged=docs, chunks=23, embedded=100)
    assert ingest_summary(report, 3).startswith("Vectors made again: 3 documents unchanged")
    report = IngestReport(unchanged=docs, chunks=23, words_added=True)
    assert "no passage embedded" in ingest_summary(report, 3)
