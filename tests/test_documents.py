"""Removing documents (assistant/documents.py and `assistant remove`) over a real index: the
file moves to <data dir>/removed/, the index drops it, and nothing outside the corpus moves."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import REPO_ROOT, Settings
from assistant.core import Assistant
from assistant.documents import check_readable, removable, remove_file
from assistant.errors import AssistantError

DOC = "---\ntitle: Zylo\n---\n\nZylofabriken i Gnosjö använder kvantlim för skruvar.\n"


def corpus_with_zylo(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus)
    (corpus / "zylo.md").write_text(DOC, encoding="utf-8")
    return corpus


def test_remove_file_moves_it_out_of_the_corpus(tmp_path: Path) -> None:
    corpus = corpus_with_zylo(tmp_path)
    settings = Settings(data_dir=tmp_path / "data", corpus_paths=[corpus], embedder="fake")
    where = remove_file(settings, corpus / "zylo.md")
    assert not (corpus / "zylo.md").exists()
    assert where.parent == settings.data_dir / "removed" and where.read_text() == DOC
    outside = tmp_path / "elsewhere.md"
    outside.write_text(DOC, encoding="utf-8")
    assert not removable(settings, outside)
    with pytest.raises(AssistantError):
        remove_file(settings, outside)
    assert outside.exists()


def test_check_readable_before_saving(tmp_path: Path) -> None:
    good, bad, empty = tmp_path / "a.md", tmp_path / "b.pdf", tmp_path / "c.txt"
    good.write_text(DOC, encoding="utf-8")
    bad.write_bytes(b"not a pdf")
    empty.write_text("  \n", encoding="utf-8")
    assert check_readable(good) is None
    assert (check_readable(bad) or "").startswith("damaged PDF")
    assert check_readable(empty) == "empty document"


def test_cli_remove_drops_the_document_from_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = corpus_with_zylo(tmp_path)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CORPUS_PATHS", f'["{corpus}"]')
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    settings = Settings()
    assert "zylo.md" in Assistant.from_settings(settings).snapshot.documents

    # an unknown name moves nothing and exits 1
    result = runner.invoke(app, ["remove", "zylo.md", "finns-inte.md"])
    assert result.exit_code == 1 and "finns-inte.md: not a document" in result.output
    assert (corpus / "zylo.md").exists()

    result = runner.invoke(app, ["remove", "zylo.md"])  # by document id
    assert result.exit_code == 0, result.output
    assert "Removed zylo.md" in result.output
    assistant = Assistant.from_settings(settings)
    assert "zylo.md" not in assistant.snapshot.documents
    assert all(h.chunk.doc_id != "zylo.md" for h in assistant.search("kvantlim skruvar"))
    assert len(list((tmp_path / "data" / "removed").glob("*zylo.md"))) == 1
