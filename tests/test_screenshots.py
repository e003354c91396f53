"""Test runs must not rewrite the committed screenshots (a fresh clone stays clean)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from screenshots import COMMITTED, SCRATCH, screenshot_path

from assistant.config import REPO_ROOT


def test_screenshots_go_to_an_ignored_folder_by_default() -> None:
    path = screenshot_path("chat.png", {})
    assert path == SCRATCH / "chat.png"
    if shutil.which("git") and (REPO_ROOT / ".git").exists():
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", str(path)], cwd=REPO_ROOT, check=False
        )
        assert ignored.returncode == 0, f"{path} is not ignored by git"


def test_update_screenshots_replaces_the_committed_ones() -> None:
    for name in ("chat.png", "chat-mobile.png"):  # desktop and phone, shown in the README
        path = screenshot_path(name, {"UPDATE_SCREENSHOTS": "1"})
        assert path == COMMITTED / name and path.exists()


def test_the_browser_test_leaves_docs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPDATE_SCREENSHOTS", raising=False)
    import test_browser

    assert not test_browser.screenshot("chat.png").is_relative_to(COMMITTED)
