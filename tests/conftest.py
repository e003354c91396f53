"""Shared fixtures. Every test runs with its own data directory and no ASSISTANT_* variables
from the developer's environment or .env file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT, Settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)  # no stray .env is read


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings over the real corpus with the deterministic fake embedder."""
    return Settings(
        data_dir=tmp_path / "data", corpus_paths=[REPO_ROOT / "corpus"], embedder="fake"
    )
