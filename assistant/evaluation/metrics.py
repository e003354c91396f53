"""Evaluation metrics: pure functions, no I/O.

Definitions (the numbers in the report mean exactly this):

- **Relevance.** A retrieved chunk is relevant when it contains any of the case's evidence
  phrases (after :func:`~assistant.evaluation.cases.normalise_for_match` on both sides). Its
  graded relevance (*gain*) is the number of *distinct* evidence phrases it contains, so a
  chunk holding two of the phrases gains 2.
- **recall@k** is the hit rate: 1 when at least one relevant chunk is in the top k, else 0
  (standard for passage QA, where one supporting chunk suffices), averaged over answerable
  cases. With ``total_relevant`` given, :func:`recall_at_k` returns the classic fraction.
- **MRR** is the mean over answerable cases of 1 / rank of the first relevant chunk (0 when
  none was retrieved).
- **nDCG@k** uses linear gains and the log2 discount: DCG@k = sum_{i=1..k} gain_i / log2(i+1).
  There are no complete relevance judgements, so the ideal DCG is computed from the gains of
  the judged-relevant chunks *among the retrieved candidates* (the top ``k_pool``, default all
  that were passed in), sorted in descending order: IDCG@k = DCG@k(sorted(pool, desc)). Chunks
  with equal gains are interchangeable, so the ideal does not depend on how ties are ordered.
  nDCG is 0 when no relevant chunk was retrieved.
- **fact coverage** is covered groups / groups; a group is covered when the answer contains
  any of its phrases (case-insensitive, whitespace folded).
- **citation validity** is the share of the answer's ``[n]`` markers that name a provided
  source; an answer that cites nothing scores 0.0; a refusal without markers is not
  applicable (None).
- **citation support** is the share of cited answer sentences whose support check passed
  (``supported is True``; unchecked sentences count as unsupported).
- **refusals**: precision = correct refusals / refusals, recall = correct refusals /
  unanswerable cases, wrong-refusal rate = refused answerable cases / answerable cases.
- **lead has answer** (answerable cases): 1 when the answer's first sentence (the lead; the
  first sentence of the answer text when the answer has no sentences) contains a phrase of any
  facts group, else 0; a refused answerable case scores 0. Overall: the mean.
- **answer or read-more has answer** (answerable cases): the same for the answer's text and
  its "Läs mer" passages together (what a reader sees without opening a source).
- **answer length** is ``len(answer.text)`` in characters; overall ``answer_chars_p50`` is the
  median over the answered (not refused) answerable cases.
- **padding share** (answered answerable cases): the share of answer sentences that hold no
  expected fact and no evidence. A sentence holds evidence when, normalised, it contains an
  evidence phrase, an evidence phrase contains it, or the two share a run of at least
  ``EVIDENCE_RUN`` consecutive words. Overall: the mean.
- Markdown emphasis (``*``) and ``[n]`` markers are removed before the answer metrics match
  phrases, so marking the answer span (``*18 månader*``) changes no figure.
- **latency** percentiles use linear interpolation between closest ranks (numpy's default):
  the p-th percentile of sorted values v_0..v_{n-1} sits at rank r = p/100 * (n-1).

Aggregates average the per-case values that are not None (macro average over cases).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from assistant.evaluation.cases import contains_phrase, normalise_for_match
from assistant.evaluation.results import CaseResult
from assistant.models import AnswerSentence
from assistant.sentences import split_sentences

RECALL_KS: tuple[int, ...] = (1, 3, 5, 10)
NDCG_K = 10

RETRIEVAL_METRICS: tuple[str, ...] = (
    *(f"recall_at_{k}" for k in RECALL_KS),
    "mrr",
    f"ndcg_at_{NDCG_K}",
)
ANSWER_METRICS: tuple[str, ...] = (
    "fact_coverage",
    "lead_has_answer",
    "shown_has_answer",
    "answer_chars_p50",
    "padding_share",
    "citation_validity",
    "citation_support",
    "refusal_precision",
    "refusal_recall",
    "wrong_refusal_rate",
    "language_match",
    "pass_rate",
)
#: Every non-latency metric :func:`aggregate` produces, in report order.
METRICS: tuple[str, ...] = RETRIEVAL_METRICS + ANSWER_METRICS
#: Counts :func:`aggregate` adds (not rates; ``errors_max = 0`` is a sensible threshold).
COUNTS: tuple[str, ...] = ("cases", "errors")
#: The optional LLM judge's aggregates (``evaluation/judge.py``): model opinions, not offline
#: metrics, so kept out of METRICS and COUNTS; present only in runs with ``eval --judge``.
JUDGE_METRICS: tuple[str, ...] = ("judge_faithfulness", "judge_relevance")
JUDGE_COUNTS: tuple[str, ...] = ("judge_errors",)
JUDGE_KEYS: tuple[str, ...] = JUDGE_METRICS + JUDGE_COUNTS
#: Metrics where lower is better (plus every latency metric).
LOWER_IS_BETTER: frozenset[str] = frozenset(
    {"wrong_refusal_rate", "answer_chars_p50", "padding_share", "errors", "judge_errors"}
)
#: Metrics counted in characters (shown as whole numbers), not rates.
CHAR_METRICS: tuple[str, ...] = ("answer_chars_p50",)
#: Words in a run an answer sentence must share with an evidence phrase to hold evidence.
EVIDENCE_RUN = 6
LATENCY_PERCENTILES: tuple[int, ...] = (50, 95)
#: Latency metric names: ``latency_<stage>_p50_ms``, ``latency_<stage>_p95_ms``.
LATENCY_METRIC = re.compile(r"^latency_(?P<stage>[a-z0-9_]+?)_p(?P<p>\d+)_ms$")

LABELS: dict[str, str] = {
    **{f"recall_at_{k}": f"Recall@{k}" for k in RECALL_KS},
    "mrr": "MRR",
    f"ndcg_at_{NDCG_K}": f"nDCG@{NDCG_K}",
    "fact_coverage": "Fact coverage",
    "lead_has_answer": "Lead has answer",
    "shown_has_answer": "Answer or read-more has answer",
    "answer_chars_p50": "Answer length p50 (chars)",
    "padding_share": "Padding share",
    "citation_validity": "Citation validity",
    "citation_support": "Citation support",
    "refusal_precision": "Refusal precision",
    "refusal_recall": "Refusal recall",
    "wrong_refusal_rate": "Wrong-refusal rate",
    "language_match": "Language match",
    "pass_rate": "Pass rate",
    "cases": "Cases",
    "errors": "Errors",
    "judge_faithfulness": "Judge faithfulness (LLM)",
    "judge_relevance": "Judge relevance (LLM)",
    "judge_errors": "Judge errors (LLM)",
}


def is_known_metric(name: str) -> bool:
    return (
        name in METRICS
        or name in COUNTS
        or name in JUDGE_KEYS
        or LATENCY_METRIC.match(name) is not None
    )


def lower_is_better(name: str) -> bool:
    return name in LOWER_IS_BETTER or LATENCY_METRIC.match(name) is not None


def label(name: str) -> str:
    """A human name for a metric key."""
    if name in LABELS:
        return LABELS[name]
    m = LATENCY_METRIC.match(name)
    if m:
        return f"Latency {m['stage']} p{m['p']} (ms)"
    return name


# --- retrieval ---------------------------------------------------------------------------


def relevance_gain(chunk_text: str, evidence: Sequence[str]) -> int:
    """Graded relevance: how many distinct evidence phrases the chunk contains."""
    haystack = normalise_for_match(chunk_text)
    phrases = {normalise_for_match(p) for p in evidence} - {""}
    return sum(1 for p in phrases if p in haystack)


def is_relevant(chunk_text: str, evidence: Sequence[str]) -> bool:
    """True when the chunk contains any evidence phrase (after normalisation)."""
    return any(contains_phrase(chunk_text, p) for p in evidence)


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


def recall_at_k(relevances: Sequence[int], k: int, total_relevant: int | None = None) -> float:
    """Recall@k over a ranked list of relevances (gains or 0/1).

    Without ``total_relevant``: the hit rate, 1.0 when any of the top k is relevant, else 0.0.
    With it: relevant chunks in the top k / ``total_relevant`` (0.0 when that is 0).
    """
    _check_k(k)
    hits = sum(1 for r in relevances[:k] if r > 0)
    if total_relevant is None:
        return 1.0 if hits else 0.0
    return min(1.0, hits / total_relevant) if total_relevant > 0 else 0.0


def reciprocal_rank(relevances: Sequence[int], k: int | None = None) -> float:
    """1 / rank (1-based) of the first relevant item within the top k (all when None), else 0."""
    ranked = relevances if k is None else relevances[:k]
    for rank, r in enumerate(ranked, start=1):
        if r > 0:
            return 1.0 / rank
    return 0.0


def mrr(rankings: Iterable[Sequence[int]], k: int | None = None) -> float | None:
    """Mean reciprocal rank over several ranked lists (None for no lists)."""
    values = [reciprocal_rank(r, k) for r in rankings]
    return sum(values) / len(values) if values else None


def dcg_at_k(gains: Sequence[float], k: int) -> float:
    """Sum over ranks i = 1..k of gain_i / log2(i + 1)."""
    _check_k(k)
    return sum(g / math.log2(i + 1) for i, g in enumerate(gains[:k], start=1))


def ndcg_at_k(gains: Sequence[float], k: int, k_pool: int | None = None) -> float:
    """nDCG@k of a ranked list of gains; the ideal is the pool's gains sorted descending.

    The pool is the top ``k_pool`` candidates passed in (all of them when None), so
    ``IDCG@k = DCG@k(sorted(gains[:k_pool], reverse=True))``. Returns 0.0 when the pool holds no
    relevant chunk.
    """
    _check_k(k)
    if k_pool is not None and k_pool < k:
        raise ValueError(f"k_pool ({k_pool}) must be at least k ({k})")
    pool = list(gains if k_pool is None else gains[:k_pool])
    ideal = dcg_at_k(sorted(pool, reverse=True), k)
    return dcg_at_k(gains, k) / ideal if ideal > 0 else 0.0


def retrieval_metrics(gains: Sequence[int], k_pool: int | None = None) -> dict[str, float]:
    """All per-case retrieval metrics for one ranked list of gains."""
    out: dict[str, float] = {f"recall_at_{k}": recall_at_k(gains, k) for k in RECALL_KS}
    out["mrr"] = reciprocal_rank(gains)
    out[f"ndcg_at_{NDCG_K}"] = ndcg_at_k(gains, NDCG_K, k_pool)
    return out


# --- answers -----------------------------------------------------------------------------


_MARKERS = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


def plain(text: str) -> str:
    """Answer Markdown as plain text for matching: ``*``/``**`` emphasis and ``[n]`` source
    markers removed (a marker becomes a space)."""
    return _MARKERS.sub(" ", text.replace("*", ""))


def facts_covered(answer_text: str, facts: Sequence[Sequence[str]]) -> list[bool]:
    """For each facts group, whether the answer contains any of its phrases."""
    answer = normalise_for_match(plain(answer_text))
    return [any(_has(answer, p) for p in group) for group in facts]


def _has(normalised_haystack: str, phrase: str) -> bool:
    needle = normalise_for_match(phrase)
    return bool(needle) and needle in normalised_haystack


def fact_coverage(answer_text: str, facts: Sequence[Sequence[str]]) -> float | None:
    """Covered groups / groups; None when there are no groups (nothing to cover)."""
    if not facts:
        return None
    covered = facts_covered(answer_text, facts)
    return sum(covered) / len(covered)


def lead_sentence(sentences: Sequence[str], answer_text: str) -> str:
    """The answer's first sentence: ``sentences[0]``, or without sentences the first sentence
    of the answer text ("" for an empty answer)."""
    if sentences:
        return sentences[0]
    return (answer_sentences_of(answer_text) or [""])[0]


def answer_sentences_of(answer_text: str) -> list[str]:
    """The sentences of an answer text (for answers that carry no sentence list)."""
    text = plain(answer_text)
    return [text[s:e].strip() for s, e in split_sentences(text) if text[s:e].strip()]


def lead_has_answer(lead: str, facts: Sequence[Sequence[str]], refused: bool = False) -> float:
    """1.0 when the lead sentence holds a phrase of any facts group; 0.0 otherwise and for a
    refusal."""
    if refused:
        return 0.0
    return 1.0 if any(facts_covered(lead, facts)) else 0.0


def shown_has_answer(
    answer_text: str, more: Sequence[str], facts: Sequence[Sequence[str]], refused: bool = False
) -> float:
    """1.0 when the answer's text or one of its read-more passages holds a phrase of any
    facts group; 0.0 otherwise and for a refusal."""
    if refused:
        return 0.0
    return 1.0 if any(any(facts_covered(t, facts)) for t in (answer_text, *more)) else 0.0


def _words(normalised: str) -> list[str]:
    return re.findall(r"\w+", normalised)


def _runs(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def holds_evidence(sentence: str, evidence: Sequence[str], run: int = EVIDENCE_RUN) -> bool:
    """True when the sentence (normalised) contains an evidence phrase, is contained in one, or
    shares a run of ``run`` consecutive words with one."""
    text = normalise_for_match(plain(sentence))
    if not text:
        return False
    runs = _runs(_words(text), run)
    for phrase in evidence:
        needle = normalise_for_match(phrase)
        if not needle:
            continue
        if needle in text or text in needle or runs & _runs(_words(needle), run):
            return True
    return False


def padding_share(
    sentences: Sequence[str], facts: Sequence[Sequence[str]], evidence: Sequence[str]
) -> float | None:
    """Share of answer sentences holding no expected fact and no evidence; None when the answer
    has no sentences."""
    if not sentences:
        return None
    padding = sum(
        1 for s in sentences if not any(facts_covered(s, facts)) and not holds_evidence(s, evidence)
    )
    return padding / len(sentences)


def citation_validity(
    markers_in_text: Sequence[int], provided_numbers: set[int], refused: bool = False
) -> float | None:
    """Share of ``[n]`` markers that name a provided source.

    1.0 when there is at least one marker and all are valid. Without markers: None (not
    applicable) for a refusal, 0.0 for an answer (an answer must cite its sources).
    """
    if not markers_in_text:
        return None if refused else 0.0
    valid = sum(1 for m in markers_in_text if m in provided_numbers)
    return valid / len(markers_in_text)


def citation_support(sentences: Sequence[AnswerSentence]) -> float | None:
    """Share of cited sentences with ``supported is True``; None when no sentence cites."""
    cited = [s for s in sentences if s.citations]
    if not cited:
        return None
    return sum(1 for s in cited if s.supported is True) / len(cited)


class RefusalScores(NamedTuple):
    precision: float | None
    recall: float | None
    wrong_refusal_rate: float | None


def refusal_scores(pairs: Iterable[tuple[bool, bool]]) -> RefusalScores:
    """Refusal precision, recall and wrong-refusal rate from ``(answerable, refused)`` pairs.

    precision = refused unanswerable / refused (None without refusals);
    recall = refused unanswerable / unanswerable (None without unanswerable cases);
    wrong-refusal rate = refused answerable / answerable (None without answerable cases).
    """
    refused_ok = refused_wrong = unanswerable = answerable = 0
    for is_answerable, refused in pairs:
        if is_answerable:
            answerable += 1
            refused_wrong += refused
        else:
            unanswerable += 1
            refused_ok += refused
    refusals = refused_ok + refused_wrong
    return RefusalScores(
        precision=refused_ok / refusals if refusals else None,
        recall=refused_ok / unanswerable if unanswerable else None,
        wrong_refusal_rate=refused_wrong / answerable if answerable else None,
    )


def language_match(expected: str, detected: str | None) -> float:
    """1.0 when the answer's detected language is the case's language, else 0.0."""
    return 1.0 if detected is not None and detected == expected else 0.0


# --- aggregation -------------------------------------------------------------------------


def percentiles(values: Sequence[float], ps: Sequence[float] = LATENCY_PERCENTILES) -> list[float]:
    """Percentiles by linear interpolation: rank r = p/100 * (n-1) in the sorted values,
    interpolated between floor(r) and ceil(r). Raises ValueError for no values."""
    if not values:
        raise ValueError("percentiles of no values")
    ordered = sorted(values)
    out = []
    for p in ps:
        if not 0 <= p <= 100:
            raise ValueError(f"percentile must be within 0..100, got {p}")
        rank = p / 100 * (len(ordered) - 1)
        lo = math.floor(rank)
        hi = min(lo + 1, len(ordered) - 1)
        out.append(ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo))
    return out


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def aggregate(case_results: Sequence[CaseResult]) -> dict[str, float | None]:
    """Overall metrics of one configuration from its case results.

    Retrieval metrics, fact coverage, lead has answer and padding share average over
    answerable cases (that have the value); ``answer_chars_p50`` is the median length of the
    answered answerable cases; citation validity and
    support over cases where they apply; language match and pass rate over all cases.
    Latency adds ``latency_<stage>_p50_ms`` / ``_p95_ms`` for every stage timed. Also
    ``cases`` and ``errors`` counts.
    """
    answerable = [c for c in case_results if c.answerable]
    rates = answer_rates(case_results)
    out: dict[str, float | None] = {}
    for name in RETRIEVAL_METRICS:
        out[name] = _mean(c.metrics.get(name) for c in answerable)
    out["fact_coverage"] = rates["fact_coverage"]
    out["lead_has_answer"] = rates["lead_has_answer"]
    out["shown_has_answer"] = rates["shown_has_answer"]
    lengths = [
        v
        for c in answerable
        if not c.refused and c.error is None and (v := c.metrics.get("answer_chars")) is not None
    ]
    out["answer_chars_p50"] = percentiles(lengths, [50])[0] if lengths else None
    out["padding_share"] = rates["padding_share"]
    out["citation_validity"] = _mean(c.metrics.get("citation_validity") for c in case_results)
    out["citation_support"] = _mean(c.metrics.get("citation_support") for c in case_results)
    out["refusal_precision"] = rates["refusal_precision"]
    out["refusal_recall"] = rates["refusal_recall"]
    out["wrong_refusal_rate"] = rates["wrong_refusal_rate"]
    out["language_match"] = _mean(c.metrics.get("language_match") for c in case_results)
    out["pass_rate"] = rates["pass_rate"]
    out.update(latency_summary(case_results))
    out["cases"] = float(len(case_results))
    out["errors"] = float(sum(c.error is not None for c in case_results))
    return out


def answer_rates(case_results: Sequence[CaseResult]) -> dict[str, float | None]:
    """The answer-quality rates of :func:`aggregate` (fact coverage, lead has answer and
    padding over answerable cases; refusal precision, recall and wrong-refusal rate over the
    cases that ran; pass rate over all), alone: the bootstrap recomputes them thousands of
    times."""
    answerable = [c for c in case_results if c.answerable]
    refusal = refusal_scores((c.answerable, c.refused) for c in case_results if c.error is None)
    return {
        "fact_coverage": _mean(c.metrics.get("fact_coverage") for c in answerable),
        "lead_has_answer": _mean(c.metrics.get("lead_has_answer") for c in answerable),
        "shown_has_answer": _mean(c.metrics.get("shown_has_answer") for c in answerable),
        "padding_share": _mean(c.metrics.get("padding_share") for c in answerable),
        "refusal_precision": refusal.precision,
        "refusal_recall": refusal.recall,
        "wrong_refusal_rate": refusal.wrong_refusal_rate,
        "pass_rate": _mean(float(c.passed) for c in case_results),
    }


SPLITS: tuple[str, ...] = ("dev", "test")


def aggregate_by_split(case_results: Sequence[CaseResult]) -> dict[str, dict[str, float | None]]:
    """:func:`aggregate` per split (``dev``, ``test``), for the splits that have cases."""
    out: dict[str, dict[str, float | None]] = {}
    for split in SPLITS:
        cases = [c for c in case_results if c.split == split]
        if cases:
            out[split] = aggregate(cases)
    return out


def latency_summary(case_results: Sequence[CaseResult]) -> dict[str, float | None]:
    """``latency_<stage>_p<p>_ms`` for every stage in the cases' timings (first-seen order)."""
    out: dict[str, float | None] = {}
    for stage, values in stage_timings(case_results).items():
        for p, v in zip(LATENCY_PERCENTILES, percentiles(values), strict=True):
            out[f"latency_{stage}_p{p}_ms"] = v
    return out


def _stage_key(stage: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", stage.lower()).strip("_") or "stage"


def stage_timings(case_results: Sequence[CaseResult]) -> dict[str, list[float]]:
    """Raw milliseconds per stage, stage names made key-safe (``"LLM call"`` -> ``llm_call``)."""
    stages: dict[str, list[float]] = {}
    for c in case_results:
        for stage, ms in c.timings.items():
            stages.setdefault(_stage_key(stage), []).append(ms)
    return stages


# metrics whose uncertainty the report shows, with the cases each one averages over
INTERVAL_METRICS: tuple[str, ...] = (
    "lead_has_answer",
    "fact_coverage",
    "padding_share",
    "refusal_recall",
    "wrong_refusal_rate",
    "pass_rate",
)
RESAMPLES = 2000
INTERVAL_LEVEL = 0.90


class Interval(NamedTuple):
    low: float
    high: float
    one_case: float  # how much one case of the metric's denominator moves it


def _denominator(metric: str, cases: Sequence[CaseResult]) -> int:
    if metric == "refusal_recall":
        return sum(not c.answerable for c in cases if c.error is None)
    if metric == "pass_rate":
        return len(cases)
    if metric == "wrong_refusal_rate":
        return sum(c.answerable for c in cases if c.error is None)
    return sum(c.answerable and c.metrics.get(metric) is not None for c in cases)


def bootstrap_intervals(
    case_results: Sequence[CaseResult],
    metrics: Sequence[str] = INTERVAL_METRICS,
    resamples: int = RESAMPLES,
    level: float = INTERVAL_LEVEL,
    seed: int = 0,
) -> dict[str, Interval]:
    """Percentile-bootstrap intervals of ``metrics`` over ``case_results`` (cases drawn with
    replacement, ``resamples`` times, seeded: the same run gives the same intervals). With
    ~100 test cases one case moves a rate by ~0.01 and a refusal rate over ~30 unanswerable
    cases by ~0.035: a difference inside the interval is not a finding."""
    import random

    rng = random.Random(seed)
    cases = list(case_results)
    out: dict[str, Interval] = {}
    if not cases:
        return out
    draws = [
        answer_rates([cases[rng.randrange(len(cases))] for _ in cases]) for _ in range(resamples)
    ]
    for metric in metrics:
        values = sorted(v for rates in draws if (v := rates[metric]) is not None)
        n = _denominator(metric, cases)
        if not values or not n:
            continue
        low, high = percentiles(values, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
        out[metric] = Interval(low, high, 1 / n)
    return out
