"""The stopword lists shipped in resources are bm25s's own."""

from __future__ import annotations


def test_the_copied_lists_are_bm25s_lists() -> None:
    from bm25s import stopwords as theirs

    from assistant import stopwords as ours

    for name in ("STOPWORDS_EN", "STOPWORDS_EN_PLUS", "STOPWORDS_SWEDISH"):
        assert getattr(ours, name) == getattr(theirs, name), name
