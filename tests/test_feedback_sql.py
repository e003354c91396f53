"""The SQLAlchemy feedback store: the same behaviour as the SQLite store, on SQLite through
SQLAlchemy (fast) and on a real PostgreSQL server that the fixture starts from the Debian
package (slow; skipped, saying why, where no PostgreSQL binaries are installed)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.feedback import FeedbackStore, FeedbackUnavailable, open_store
from assistant.models import Answer, Citation, Turn

pytest.importorskip("sqlalchemy", reason="the postgres extra is not installed")
from assistant.feedback_sql import SqlFeedbackStore

NOW = datetime(2024, 5, 17, 8, 30, tzinfo=UTC)
HISTORY = [Turn(role="user", content="Hej"), Turn(role="assistant", content="Hej! Fråga på.")]


def an_answer(refusal: bool = False) -> Answer:
    quote = "Att bygga upp sk ambidexteritet är viktigt."
    citation = Citation(
        number=1,
        chunk_id="doc.md#000000000001",
        doc_id="doc.md",
        title="Produktionsinnovation",
        organisation="Produktion2030",
        date="2020",
        quote=quote,
        start=111,
        end=111 + len(quote),
        passage=f"Inledning. {quote} Avslutning.",
        passage_start=100,
    )
    return Answer(
        question="Vad är ambidexteritet?",
        standalone_question="Vad är ambidexteritet?",
        text="Ambidexteritet är dubbelhänthet [1].",
        citations=[] if refusal else [citation],
        language="sv",
        backend="extractive",
        refusal=refusal,
    )


def exercise(store: FeedbackStore, tmp_path: Path) -> None:
    """Everything the app does with a store, checked against what the SQLite store does."""
    first = store.record("Vad är ambidexteritet?", HISTORY, an_answer(), 1, " bra ", now=NOW)
    second = store.record("Något okänt?", [], an_answer(refusal=True), -1)
    assert second > first
    rec = store.get(first)
    assert rec is not None
    assert rec.created_at == "2024-05-17T08:30:00+00:00" and rec.comment == "bra"
    assert rec.history == HISTORY and rec.citations[0].quote.startswith("Att bygga")
    assert store.set_comment(second, "saknas") and store.set_rating(second, 1)
    assert not store.set_comment(999, "x") and not store.delete(999)
    with pytest.raises(ValueError):
        store.record("q", [], an_answer(), 0)
    assert [(r.id, r.rating, r.comment, r.refusal) for r in store.all()] == [
        (first, 1, "bra", False),
        (second, 1, "saknas", True),
    ]
    out = tmp_path / "cases.jsonl"
    assert store.export_cases(out) == 2
    cases = [json.loads(line) for line in out.read_text().splitlines()]
    assert cases[0]["evidence"] == ["Att bygga upp sk ambidexteritet är viktigt."]
    assert cases[1]["answerable"] is False
    assert store.delete(first) and [r.id for r in store.all()] == [second]


def test_sqlalchemy_on_sqlite_behaves_as_the_sqlite_store(tmp_path: Path) -> None:
    exercise(SqlFeedbackStore(f"sqlite:///{tmp_path / 'fb.sqlite3'}"), tmp_path)
    exercise(FeedbackStore(tmp_path / "plain.sqlite3"), tmp_path)


def test_settings_choose_the_store(tmp_path: Path) -> None:
    plain = open_store(Settings(data_dir=tmp_path))
    assert type(plain) is FeedbackStore and plain.path == tmp_path / "feedback.sqlite3"
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    shared = open_store(Settings(data_dir=tmp_path, feedback_db_url=url))
    assert isinstance(shared, SqlFeedbackStore) and shared.url == url


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    port = free_port()
    store = SqlFeedbackStore(f"postgresql+psycopg://app:hunter22@127.0.0.1:{port}/fb")
    with pytest.raises(FeedbackUnavailable, match="ASSISTANT_FEEDBACK_DB_URL") as caught:
        store.all()
    assert "hunter22" not in str(caught.value)


# --- a real PostgreSQL ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on loopback (initdb + pg_ctl, as the postgres user when
    the tests run as root), stopped and removed afterwards."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    runas: list[str] = []
    root = tempfile.mkdtemp(prefix="pr-pg-")
    if os.geteuid() == 0:  # postgres refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        runas = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    data, port = Path(root) / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run([*runas, *args], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "app", "--auth=trust", "-E", "UTF8")
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(Path(root) / "log"),
        "-o",
        f"-h 127.0.0.1 -p {port} -k {root}",
        "start",
    )
    try:
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "app", "fb")
        yield f"postgresql+psycopg://app:secret-pw@127.0.0.1:{port}/fb"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_postgres_behaves_as_the_sqlite_store(postgres_url: str, tmp_path: Path) -> None:
    exercise(SqlFeedbackStore(postgres_url), tmp_path)


@pytest.mark.slow
def test_postgres_shared_by_replicas_and_threads(postgres_url: str) -> None:
    """Two stores (two app replicas) writing from 8 threads each: every rating is stored."""
    replicas = [SqlFeedbackStore(postgres_url), SqlFeedbackStore(postgres_url)]
    before = len(replicas[0].all())
    errors: list[BaseException] = []

    def rate(store: FeedbackStore, n: int) -> None:
        try:
            for i in range(5):
                store.record(f"fråga {n}-{i}", [], an_answer(), 1 if i % 2 else -1)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=rate, args=(replicas[n % 2], n)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(replicas[1].all()) == before + 80
