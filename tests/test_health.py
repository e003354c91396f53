"""Damaged data: real files broken the ways an operator meets them (0-byte and truncated
SQLite files, a pointer to nowhere, truncated and shortened chunk files, a garbage manifest, a
missing keyword index, vectors gone from Chroma), through the real CLI, real Chroma and the
fake embedder. Each is one line that says what to do, and ``assistant doctor`` repairs it
without losing the documents or a readable rating."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from typer.testing import CliRunner, Result

from assistant.cli import app
from assistant.config import REPO_ROOT, Settings
from assistant.core import Assistant
from assistant.feedback import FeedbackStore
from assistant.health import (
    DataDamaged,
    feedback_problem,
    open_assistant,
    repair,
    sqlite_problem,
)
from assistant.models import Answer

runner = CliRunner()
QUESTION = "Hur länge pågår Produktionslyftet 4.0?"
RATINGS = 120


def an_answer(question: str) -> Answer:
    return Answer(
        question=question,
        standalone_question=question,
        text="svar " * 40,
        language="sv",
        backend="extractive",
    )


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def half(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def version_dir(data: Path) -> Path:
    return data / "index" / (data / "index" / "CURRENT").read_text().strip()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus, its index, Chroma, the embedding cache and RATINGS ratings, built once."""
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(REPO_ROOT / "corpus", root / "corpus")
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("ASSISTANT_")]:
            mp.delenv(key)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=root / "data",
            corpus_paths=[root / "corpus"],
            embedder="fake",
        )
        Assistant.from_settings(settings).ingest()
    store = FeedbackStore(settings.feedback_db)
    for i in range(RATINGS):
        store.record(
            f"fråga {i}", [], an_answer(f"fråga {i}"), 1 if i % 2 else -1, "kommentar " * 10
        )
    return root


@pytest.fixture
def data(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the pristine data directory over the shared corpus (the index names
    its files by absolute path; no test writes to it), as the CLI's settings."""
    shutil.copytree(pristine / "data", tmp_path / "data")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_CORPUS_PATHS", json.dumps([str(pristine / "corpus")]))
    monkeypatch.setenv("ASSISTANT_REFUSAL_THRESHOLD", "1.0")
    return tmp_path / "data"


def _chunks_lines_dropped(data: Path) -> None:
    f = version_dir(data) / "chunks.jsonl"
    f.write_text("".join(f.read_text().splitlines(keepends=True)[:5]))


def _vectors_deleted(data: Path) -> None:
    assistant = Assistant.from_settings(Settings())
    assistant.store.delete(sorted(assistant.snapshot.chunks))


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "chroma-0-byte": (lambda d: (d / "chroma" / "chroma.sqlite3").write_bytes(b""), "empty file"),
    "chroma-truncated": (lambda d: half(d / "chroma" / "chroma.sqlite3"), "is truncated"),
    "current-to-nowhere": (
        lambda d: (d / "index" / "CURRENT").write_text("v123"),
        "not a version folder",
    ),
    "chunks-truncated": (lambda d: half(version_dir(d) / "chunks.jsonl"), "is truncated"),
    "chunks-lines-dropped": (_chunks_lines_dropped, "holds 5 of them"),
    "manifest-garbage": (
        lambda d: (version_dir(d) / "manifest.json").write_text("garbage{"),
        "manifest",
    ),
    "keyword-missing": (lambda d: shutil.rmtree(version_dir(d) / "keyword"), "keyword index"),
    "cache-truncated": (lambda d: half(d / "cache" / "embeddings.sqlite3"), "is truncated"),
    "vectors-deleted": (_vectors_deleted, "dense index holds 0 of the"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damage_is_one_line_and_doctor_repairs_it(data: Path, damage: str) -> None:
    before = json.loads(invoke("ask", QUESTION, "--json").stdout)
    chunks = Assistant.from_settings(Settings()).status().chunks
    breaks, says = DAMAGE[damage]
    breaks(data)

    for command in (["status"], ["ask", QUESTION], ["search", QUESTION]):
        result = invoke(*command)
        assert result.exit_code == 1, (command, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (command, result.stderr)
        assert says in lines[0] and "Traceback" not in result.output
        fix = "`assistant ingest`" if damage == "vectors-deleted" else "`assistant doctor`"
        assert fix in lines[0]

    result = invoke("doctor")
    assert result.exit_code == 0, result.output
    assert "Found:" in result.stdout and "Done:" in result.stdout

    assert invoke("status").exit_code == 0
    assert Assistant.from_settings(Settings()).status().chunks == chunks
    after = json.loads(invoke("ask", QUESTION, "--json").stdout)
    assert after["text"] == before["text"]
    assert len(FeedbackStore(data / "feedback.sqlite3").all()) == RATINGS
    assert "Nothing to repair" in invoke("doctor").stdout


def test_ingest_says_what_to_do_and_repairs_missing_vectors(data: Path) -> None:
    half(version_dir(data) / "chunks.jsonl")
    result = invoke("ingest")
    assert result.exit_code == 1 and "`assistant doctor`" in result.stderr


def test_ingest_adds_vectors_that_chroma_lost(data: Path) -> None:
    _vectors_deleted(data)
    assert invoke("ingest").exit_code == 0
    assert invoke("status").exit_code == 0


def test_a_damaged_feedback_database_is_copied_aside_and_what_can_be_read_is_kept(
    data: Path,
) -> None:
    db = data / "feedback.sqlite3"
    half(db)
    damaged = db.read_bytes()

    status = invoke("status")
    assert status.exit_code == 0 and "feedback database" in status.stderr
    assert invoke("ask", QUESTION).exit_code == 0  # answering does not need it
    export = invoke("eval", "export-feedback", "--out", str(data / "out.jsonl"))
    assert export.exit_code == 1 and "`assistant doctor`" in export.stderr
    assert db.read_bytes() == damaged  # reported, left as it is

    result = invoke("doctor")
    assert result.exit_code == 0, result.output
    (aside,) = data.glob("feedback.sqlite3.damaged-*Z")
    assert aside.read_bytes() == damaged
    saved = FeedbackStore(db).all()
    assert 0 < len(saved) < RATINGS
    assert saved[0].question == "fråga 0" and saved[0].comment == "kommentar " * 9 + "kommentar"
    assert invoke("eval", "export-feedback", "--out", str(data / "out.jsonl")).exit_code == 0


def test_a_feedback_database_that_is_not_sqlite_is_kept_and_a_new_one_starts(
    data: Path,
) -> None:
    db = data / "feedback.sqlite3"
    for journal in data.glob("feedback.sqlite3-*"):
        journal.unlink()
    db.write_bytes(b"not a database at all " * 300)
    settings = Settings()
    problem = feedback_problem(settings)
    assert problem is not None and "not a SQLite database" in str(problem)

    report = repair(settings)
    assert not report.remaining
    (aside,) = data.glob("feedback.sqlite3.damaged-*Z")
    assert aside.read_bytes() == b"not a database at all " * 300
    store = FeedbackStore(db)
    store.record("q", [], an_answer("q"), 1)
    assert len(store.all()) == 1


def test_documents_ingested_by_path_come_back_after_a_rebuild(data: Path, tmp_path: Path) -> None:
    extra = tmp_path / "elsewhere" / "notering.md"
    extra.parent.mkdir()
    extra.write_text("# Notering\n\nGjuteriet i Värnamo testar en ny formmaskin i vår.\n")
    assert invoke("ingest", str(extra)).exit_code == 0
    docs = Assistant.from_settings(Settings()).status().documents
    (version_dir(data) / "chunks.jsonl").write_text("")

    assert invoke("doctor").exit_code == 0
    assistant = Assistant.from_settings(Settings())
    assert assistant.status().documents == docs
    assert extra.read_text().startswith("# Notering")  # documents are only read


def test_open_assistant_raises_data_damaged_with_every_problem(data: Path) -> None:
    (data / "index" / "CURRENT").write_text("v123")
    half(data / "cache" / "embeddings.sqlite3")
    with pytest.raises(DataDamaged) as caught:
        open_assistant(Settings())
    assert [p.part for p in caught.value.problems] == ["index", "embedding cache"]
    assert len(str(caught.value).splitlines()) == 2


def test_a_warm_open_still_finds_vectors_missing_from_the_dense_index(data: Path) -> None:
    """The dense index's ids are read in a thread beside the warm-up; the check still stops
    the opening."""
    _vectors_deleted(data)
    with pytest.raises(DataDamaged, match="dense index holds 0 of the"):
        open_assistant(Settings(), warm=True)


def test_warming_up_asks_no_llm(data: Path) -> None:
    model = FakeListChatModel(responses=["Ett svar [1].", "Ett annat svar [1]."])
    assistant = open_assistant(Settings(backend="openai"), warm=True, chat_model=model)
    assert model.i == 0
    assert assistant.ask(QUESTION).backend == "openai" and model.i == 1


COLD = """
import sys
from assistant.config import Settings
from assistant.health import open_assistant
assistant = open_assistant(Settings(), warm=True)
assistant.ask(sys.argv[1])
print(" ".join(sorted(m for m in sys.argv[2:] if m in sys.modules)))
"""


def test_a_cold_start_to_the_first_answer_imports_only_what_it_uses(data: Path) -> None:
    """Opening warm and answering, as `assistant serve` and `ask` do, imports neither bm25s
    nor scipy (building the keyword index only), nor langchain_core (an LLM backend only),
    nor wordfreq (its data files are read directly), nor what stores ratings: each would add
    to a cold start (~0.2-0.3 s for each of the first four). A fresh interpreter, since this
    one has imported them all."""
    unwanted = ["bm25s", "scipy", "langchain_core", "wordfreq", "sqlalchemy", "gradio"]
    run = subprocess.run(
        [sys.executable, "-c", COLD, QUESTION, *unwanted], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == []


FREED = """
from assistant.malloc import give_back_freed_memory
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1])
blocks = [bytearray(10_000) for _ in range(20_000)]  # 200 MB through malloc's heap
pinned = bytearray(10_000)  # above them: the heap's top cannot shrink by itself
del blocks
before = rss()
give_back_freed_memory()
print(before - rss())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_freed_memory_goes_back_to_the_system() -> None:
    run = subprocess.run([sys.executable, "-c", FREED], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) > 150_000  # kB of the 200 MB freed


def test_sqlite_problem(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "x.sqlite3"
    assert sqlite_problem(db) is None  # not there yet: nothing wrong
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,) for _ in range(500)])
    conn.commit()
    conn.close()
    assert sqlite_problem(db) is None and sqlite_problem(db, deep=True) is None
    half(db)
    assert "truncated" in (sqlite_problem(db) or "")
    db.write_bytes(b"")
    assert sqlite_problem(db) == "is an empty file"


def test_a_running_assistant_keeps_answering_when_a_new_version_is_damaged(
    data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assistant = open_assistant(Settings())
    before = assistant.ask(QUESTION).text
    broken = data / "index" / "v99999999999999999999"
    broken.mkdir()
    (broken / "manifest.json").write_text("garbage{")
    (data / "index" / "CURRENT").write_text(broken.name)  # as a half-written foreign ingest

    assert assistant.ask(QUESTION).text == before
    assert assistant.ask(QUESTION).text == before
    logged = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(logged) == 1  # said once, not on every question


def test_doctor_waits_for_a_running_ingest(data: Path) -> None:
    import fcntl

    (version_dir(data) / "manifest.json").write_text("garbage{")
    with (data / "index" / ".lock").open("w") as held:  # as an ingest in another process
        fcntl.flock(held, fcntl.LOCK_EX)
        result = invoke("doctor")
        fcntl.flock(held, fcntl.LOCK_UN)
    assert result.exit_code == 1 and "An ingest is running" in result.stderr
    assert (data / "index" / "CURRENT").exists()  # nothing was moved
    assert invoke("doctor").exit_code == 0
