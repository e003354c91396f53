"""Where tests save screenshots: under ``out/screenshots/`` (ignored by git) so that a test run
leaves a clone clean. The committed screenshots in ``docs/screenshots/`` are replaced only on
purpose: ``UPDATE_SCREENSHOTS=1 make test``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from assistant.config import REPO_ROOT

COMMITTED = REPO_ROOT / "docs" / "screenshots"
SCRATCH = REPO_ROOT / "out" / "screenshots"


def screenshot_path(name: str, environ: Mapping[str, str] = os.environ) -> Path:
    """The file a test writes the screenshot ``name`` to."""
    return (COMMITTED if environ.get("UPDATE_SCREENSHOTS") == "1" else SCRATCH) / name
