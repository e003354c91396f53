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
from assistant.embeddings import CachedEmbeddings, FakeEmbeddings
from assistant.errors import AssistantError
from assistant.ingest import ingest
from assistant.retrieve import Retriever
from assistant.store import VectorStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path):
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(exe).exists():
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "srv")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_ingest_and_search_through_a_chroma_server(tmp_path: Path, chroma_server: str) -> None:
    s = Settings(
        data_dir=tmp_path / "data",
        corpus_paths=[REPO_ROOT / "corpus"],
        embedder="fake",
        chroma_url=chroma_server,
    )
    emb = CachedEmbeddings(FakeEmbeddings(), s.cache_dir / "e.sqlite3", s.embedder_id)
    store = VectorStore(s, emb)
    _, snap = ingest(s, emb, store)
    assert store.ids() == set(snap.chunks)
    assert not (s.data_dir / "chroma").exists()  # nothing stored locally
    q = "stöds av VINNOVA, Energimyndigheten och Formas"
    hits = Retriever(s, store, snap).search(q, emb.embed_query(q), k=1, mode="dense")
    assert "Formas" in hits[0].chunk.text


def test_bad_chroma_url_is_a_clear_error(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, embedder="fake", chroma_url="localhost:8000")
    with pytest.raises(AssistantError, match="http"):
        VectorStore(s, FakeEmbeddings())
