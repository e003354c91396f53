"""The fitting tool's grouping of paraphrases for cross-validation."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from assistant.evaluation.fit import _answer_groups
from assistant.extractive import Candidate


def _case(*sentences: tuple[str, int]) -> SimpleNamespace:
    cands = [
        Candidate(hit=0, start=0, end=1, text="x", doc_id=d, doc_start=s) for d, s in sentences
    ]
    return SimpleNamespace(g=SimpleNamespace(candidates=cands))


def test_cases_answered_by_a_same_sentence_share_a_fold_group() -> None:
    a = _case(("doc.md", 0), ("doc.md", 50))
    b = _case(("doc.md", 50), ("doc.md", 90))  # answered by a's second sentence too
    c = _case(("doc.md", 90), ("other.md", 0))  # shares a sentence with b, not as an answer
    d = _case(("other.md", 0))
    groups = _answer_groups([a, b, c, d], [[0, 1], [1, 0], [0, 1], [1]])  # type: ignore[list-item]
    assert groups[0] == groups[1]
    assert groups[2] == groups[3]  # both answered by other.md at 0
    assert groups[0] != groups[2]
    assert len(np.unique(groups)) == 2
