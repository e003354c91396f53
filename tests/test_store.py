"""The dense index (a real local Chroma): what an ingest leaves on disk for the next process."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.store import SYNC_THRESHOLD, VectorStore


def _chroma_tail(settings: Settings) -> tuple[list[int], int]:
    """From Chroma's own database (its 1.x layout): the last log position that each segment
    (metadata, vector index) has on disk, and the records still in the log."""
    db = sqlite3.connect(f"file:{settings.chroma_dir / 'chroma.sqlite3'}?mode=ro", uri=True)
    try:
        seqs = sorted(s for (s,) in db.execute("SELECT seq_id FROM max_seq_id"))
        (queued,) = db.execute("SELECT count(*) FROM embeddings_queue").fetchone()
    finally:
        db.close()
    return seqs, queued


def _corpus(root: Path, docs: int) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(docs):
        text = " ".join(f"Stycke {i}.{j} om lean och förbättring nummer {j}." for j in range(40))
        (corpus / f"d{i}.md").write_text(f"# Dokument {i}\n\n{text}\n", encoding="utf-8")
    return corpus


def test_an_ingest_leaves_chromas_vector_index_written_with_every_vector(tmp_path: Path) -> None:
    """Chroma writes its HNSW index to disk every SYNC_THRESHOLD vectors; without persist()
    the ingest's last vectors stayed in its log (here all of them: fewer than the
    threshold) and every process that opened the collection added them again."""
    s = Settings(data_dir=tmp_path / "data", corpus_paths=[_corpus(tmp_path, 6)], embedder="fake")
    assistant = Assistant.from_settings(s)
    report = assistant.ingest()
    assert 0 < report.chunks < SYNC_THRESHOLD
    seqs, queued = _chroma_tail(s)
    assert len(seqs) == 2 and seqs[0] == seqs[1] and queued <= 1
    assert not assistant.store.written
    hnsw = assistant.store._chroma.configuration_json["hnsw"]
    assert hnsw["sync_threshold"] == SYNC_THRESHOLD  # Chroma's default again
    # what it wrote is what a fresh client finds
    fresh = VectorStore(s)
    assert fresh.ids() == set(assistant.snapshot.chunks)
    vec = assistant.embeddings.embed_query("Stycke 3.7 om lean")
    assert fresh.search(vec, 3) == assistant.store.search(vec, 3)


def test_an_unchanged_ingest_writes_nothing(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path / "data", corpus_paths=[_corpus(tmp_path, 2)], embedder="fake")
    Assistant.from_settings(s).ingest()
    before = _chroma_tail(s)
    again = Assistant.from_settings(s)
    again.ingest()
    assert not again.store.written and _chroma_tail(s) == before


def test_a_persist_killed_midway_leaves_no_lowered_threshold_behind(tmp_path: Path) -> None:
    """persist() lowers Chroma's sync threshold for a moment; a process killed then leaves it
    at 1, which would write the whole index after every vector: the next write restores it."""
    s = Settings(data_dir=tmp_path / "data", corpus_paths=[_corpus(tmp_path, 2)], embedder="fake")
    assistant = Assistant.from_settings(s)
    assistant.ingest()
    VectorStore(s)._sync_every(1)  # as a persist() killed after its first step
    store = VectorStore(s)
    assert store._chroma.configuration_json["hnsw"]["sync_threshold"] == 1
    chunk = next(iter(assistant.snapshot.chunks.values()))
    store.add_embedded([chunk], [assistant.embeddings.embed_query(chunk.text)])
    assert store.written
    assert store._chroma.configuration_json["hnsw"]["sync_threshold"] == SYNC_THRESHOLD


def test_held_ids_read_from_chromas_database_are_chromas_own(tmp_path: Path) -> None:
    """held_ids reads the ids from Chroma's SQLite database: the same set as Chroma's get
    after upserts, deletes and an id added again, for an empty collection too, and through
    Chroma when the database's segment is behind its log (or has no position yet) or an id
    holds a newline."""
    from assistant.store import _ids_from_sqlite

    s = Settings(data_dir=tmp_path / "data", corpus_paths=[_corpus(tmp_path, 3)], embedder="fake")
    empty = VectorStore(s)
    db = s.chroma_dir / "chroma.sqlite3"
    assert empty.held_ids() == set() == empty.ids()  # no segment position yet: via Chroma
    assistant = Assistant.from_settings(s)
    assistant.ingest()
    store = assistant.store
    chunks = list(assistant.snapshot.chunks.values())
    assert len(chunks) > 10
    assert _ids_from_sqlite(db, store._chroma) == store.ids() == set(assistant.snapshot.chunks)
    store.delete([c.id for c in chunks[:5]])
    vectors = assistant.embeddings.embed_documents([c.text for c in chunks[:2]])
    store.add_embedded(chunks[:2], vectors)
    expected = {c.id for c in chunks[2:5]}
    assert store.ids() == set(assistant.snapshot.chunks) - expected
    assert _ids_from_sqlite(db, store._chroma) == store.ids() == store.held_ids()

    odd = chunks[5].model_copy(update={"id": "rad\nbrytning"})
    store.add_embedded([odd], vectors[:1])
    assert _ids_from_sqlite(db, store._chroma) is None  # one more line than ids
    assert "rad\nbrytning" in store.held_ids() == store.ids()

    with sqlite3.connect(db) as conn:  # the metadata segment as if behind its log
        conn.execute(
            "UPDATE max_seq_id SET seq_id = seq_id - 1 WHERE segment_id IN "
            "(SELECT id FROM segments WHERE scope = 'METADATA')"
        )
    conn.close()
    assert _ids_from_sqlite(db, store._chroma) is None
    assert store.held_ids() == store.ids()


def test_a_store_written_before_persist_existed_is_persisted_by_the_next_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data directory from before persist() keeps its last vectors in Chroma's log, and an
    unchanged ingest writes no vectors: it persists once anyway, then never again."""
    s = Settings(data_dir=tmp_path / "data", corpus_paths=[_corpus(tmp_path, 2)], embedder="fake")
    with monkeypatch.context() as m:
        m.setattr(VectorStore, "persist", lambda self: None)  # as the old code left it
        Assistant.from_settings(s).ingest()
    seqs, queued = _chroma_tail(s)
    assert len(seqs) == 1 and queued > 1  # the vector index never written, all in the log
    assert not VectorStore(s).persisted
    again = Assistant.from_settings(s)
    again.ingest()  # nothing changed
    seqs, queued = _chroma_tail(s)
    assert len(seqs) == 2 and seqs[0] == seqs[1] and queued <= 1
    assert again.store.persisted
    before = _chroma_tail(s)
    Assistant.from_settings(s).ingest()
    assert _chroma_tail(s) == before  # once only
