"""The stopword lists shipped in resources are bm25s's own."""

from __future__ import annotations

import subprocess
import sys


def test_the_copied_lists_are_bm25s_lists() -> None:
    from bm25s import stopwords as theirs

    from assistant import stopwords as ours

    for name in ("STOPWORDS_EN", "STOPWORDS_EN_PLUS", "STOPWORDS_SWEDISH"):
        assert getattr(ours, name) == getattr(theirs, name), name


def test_answering_imports_neither_bm25s_nor_scipy() -> None:
    """The modules a cold start imports to answer do not pull in bm25s (building only) or
    scipy; a fresh interpreter, since this one may have imported both already."""
    code = (
        "import sys, assistant.core, assistant.health; "
        "print(sorted(m for m in ('bm25s', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
