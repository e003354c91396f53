"""The real assistant over a copy of the corpus, indexed once, for module-scoped fixtures
(conftest's per-test isolation does not reach them, so this clears the environment too)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from assistant.config import REPO_ROOT, Settings
from assistant.core import Assistant


@contextmanager
def indexed_assistant(root: Path, **overrides: Any) -> Iterator[Assistant]:
    """Copy ``corpus/`` into ``root``, index it (fake embedder unless overridden) and yield
    the assistant, with no ASSISTANT_* variables and no hub access while it lives."""
    shutil.copytree(REPO_ROOT / "corpus", root / "corpus")
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("ASSISTANT_")]:
            mp.delenv(key)
        for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
            mp.setenv(key, "1")
        mp.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        values: dict[str, Any] = {
            "data_dir": root / "data",
            "corpus_paths": [root / "corpus"],
            "embedder": "fake",
            **overrides,
        }
        assistant = Assistant.from_settings(Settings(_env_file=None, **values))  # type: ignore[call-arg]
        assistant.ingest()
        yield assistant
