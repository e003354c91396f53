"""Chroma's server mode: a real `chroma run` on loopback, started by the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT, Settings
from assistant.core import Assistant
from assistant.embeddings import CachedEmbeddings, FakeEmbeddings
from assistant.errors import AssistantError
from assistant.ingest import ingest
from assistant.retrieve import Retriever
from assistant.store import VectorStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(path: Path, port: int) -> subprocess.Popen[bytes]:
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(exe).exists():
        pytest.skip("the chroma CLI is not installed")
    proc = subprocess.Popen(
        [exe, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    pytest.fail("chroma server did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def chroma_server(tmp_path: Path):
    port = _free_port()
    proc = _start(tmp_path / "srv", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@pytest.mark.slow
def test_ingest_and_search_through_a_chroma_server(tmp_path: Path, chroma_server: str) -> None:
    s = Settings(
        data_dir=tmp_path / "data",
        corpus_paths=[REPO_ROOT / "corpus"],
        embedder="fake",
        chroma_url=chroma_server,
    )
    emb = CachedEmbeddings(FakeEmbeddings(), s.cache_dir / "e.sqlite3", s.embedder_id)
    store = VectorStore(s)
    _, snap = ingest(s, emb, store)
    assert store.ids() == set(snap.chunks)
    assert not (s.data_dir / "chroma").exists()  # nothing stored locally
    q = "stöds av VINNOVA, Energimyndigheten och Formas"
    hits = Retriever(s, store, snap).search(q, emb.embed_query(q), k=1, mode="dense")
    assert "Formas" in hits[0].chunk.text


def test_bad_chroma_url_is_a_clear_error(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, embedder="fake", chroma_url="localhost:8000")
    with pytest.raises(AssistantError, match="http"):
        VectorStore(s)


@pytest.mark.slow
def test_a_chroma_server_restarted_mid_session_costs_dense_search_not_the_chat(
    tmp_path: Path,
) -> None:
    port = _free_port()
    proc = _start(tmp_path / "srv", port)
    try:
        s = Settings(
            data_dir=tmp_path / "data",
            corpus_paths=[REPO_ROOT / "corpus"],
            embedder="fake",
            chroma_url=f"http://127.0.0.1:{port}",
            refusal_threshold=1.0,
        )
        assistant = Assistant.from_settings(s)
        assistant.ingest()
        question = "Vilka fyra områden är viktiga för förnyelse?"
        assert not assistant.ask(question).notices
        _stop(proc)  # the server goes away mid-session
        down = assistant.ask(question)
        assert down.text and down.citations and not down.refusal
        (notice,) = down.notices
        assert "ordsökning" in notice
        proc = _start(tmp_path / "srv", port)  # and comes back with its data
        back = assistant.ask(question)
        assert not back.notices
        assert any(h.dense_rank for h in back.hits)
    finally:
        _stop(proc)
