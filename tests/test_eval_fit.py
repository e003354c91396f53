"""The fitting tool's grouping of paraphrases for cross-validation."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from assistant.evaluation.fit import MIN_GROUP, _answer_groups, refusal_threshold
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


def test_the_ranker_learns_what_picks_the_answer_within_a_question() -> None:
    """A feature that only says which question a sentence belongs to (the same for all of
    its candidates) cannot change an order and gets no weight; one that marks the answer
    within each question gets it, whatever its level across questions."""
    from assistant.evaluation.fit import conditional_logit

    rng = np.random.default_rng(0)
    xs, ys = [], []
    for _ in range(30):
        n = 8
        level = rng.normal(0, 3)  # differs between questions
        answer = int(rng.integers(n))
        within = rng.normal(0, 1, n) + level
        within[answer] += 2.5
        per_question = np.full(n, rng.normal(0, 3))
        noise = rng.normal(0, 1, n)
        xs.append(np.column_stack([within, per_question, noise]))
        ys.append([int(i == answer) for i in range(n)])
    w = conditional_logit(xs, ys)
    assert w[0] > 1.0
    assert abs(w[1]) < 1e-3 and abs(w[2]) < 0.5
    hits = [int(np.argmax(x @ np.asarray(w))) == y.index(1) for x, y in zip(xs, ys, strict=True)]
    assert np.mean(hits) > 0.8


def test_the_ranker_puts_one_positive_first_rather_than_spreading_over_all() -> None:
    """A list question has several positives: the list's introduction, which its features
    single out, and items that look like the sentences that do not answer. Any positive
    first will do, so the ranker makes sure of the one it can tell apart; a target spread
    over all positives held the introduction at half the probability (and, with other
    questions pulling, pushed its feature's weight below zero)."""
    from assistant.evaluation.fit import conditional_logit

    xs, ys = [], []
    for _ in range(20):
        # the introduction, an item, a sentence that does not answer (same features as the item)
        xs.append(np.array([[1.0, 0.5], [0.0, 0.5], [0.0, 0.5]]))
        ys.append([1, 1, 0])
    for _ in range(20):  # questions where the second feature picks the answer
        xs.append(np.array([[0.0, 0.9], [0.0, 0.5], [0.0, 0.4]]))
        ys.append([1, 0, 0])
    w = np.asarray(conditional_logit(xs, ys, l2=0.01))
    s = xs[0] @ w
    p = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
    assert p[0] > 0.9


def test_refusal_folds_keep_paraphrases_together_and_both_kinds_in_each() -> None:
    """The refusal threshold's folds hold whole groups (paraphrases answered by one sentence):
    with a paraphrase in the fitting folds, a held-out case looks surer than a new question
    and the threshold refused more answerable questions on test than it allowed on dev."""
    pytest.importorskip("sklearn")
    from assistant.evaluation.fit import FOLDS, _folds

    groups = np.repeat(np.arange(30), 3)  # 30 questions, 3 phrasings each
    y = np.asarray([1 if g % 5 == 0 else 0 for g in groups])  # 6 unanswerable questions
    folds = _folds(y, groups)
    assert len(folds) == FOLDS
    for train, held in folds:
        assert not set(groups[train]) & set(groups[held])
        assert set(y[held]) == {0, 1}


def test_the_refusal_threshold_holds_for_blind_and_targeted_questions_each() -> None:
    # 100 targeted answerable questions that look answerable, 40 blind ones of which a few
    # look unanswerable: over all 140 the 3 % tail is the blind ones' alone
    targeted = np.linspace(0.0, 0.5, 100)
    blind_p = np.concatenate([np.linspace(0.0, 0.5, 36), [0.7, 0.8, 0.9, 0.95]])
    p = np.concatenate([targeted, blind_p])
    blind = np.array([False] * 100 + [True] * 40)
    over_all = refusal_threshold(p, np.zeros(140, dtype=bool))  # one kind: all together
    both = refusal_threshold(p, blind)
    assert both > over_all
    # at most 3 % of each kind above it: 1 of 40 blind, 3 of 100 targeted
    assert (blind_p > both).sum() <= 0.03 * 40
    assert (targeted > both).sum() <= 0.03 * 100
    # too few blind questions for a tail of their own: all of them together
    small = np.array([False] * (140 - MIN_GROUP + 1) + [True] * (MIN_GROUP - 1))
    assert refusal_threshold(p, small) == over_all
