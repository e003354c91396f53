"""Evaluation metrics on small hand-computed examples (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import pytest

from assistant.evaluation import metrics as m
from assistant.evaluation.results import CaseResult
from assistant.models import AnswerSentence

LOG2_3 = math.log2(3)  # 1.58496...


# --- relevance ---------------------------------------------------------------------------


def test_relevance_is_case_whitespace_and_hyphenation_insensitive() -> None:
    chunk = "Planerat UNDER-\nhåll av\n  maskiner minskar stopp."
    assert m.is_relevant(chunk, ["underhåll av maskiner"])
    assert m.is_relevant(chunk, ["nothing here", "minskar stopp"])
    assert not m.is_relevant(chunk, ["ställtid"])
    assert not m.is_relevant(chunk, [])


def test_suspended_hyphen_is_kept() -> None:
    # "kvalitets-\noch" is a Swedish suspended hyphen, not a broken word: it must not be joined.
    chunk = "Vi driver kvalitets-\noch miljöarbete."
    assert m.is_relevant(chunk, ["kvalitets- och miljöarbete"])
    assert not m.is_relevant(chunk, ["kvalitetsoch"])


def test_relevance_gain_counts_distinct_phrases() -> None:
    chunk = "Sortera och systematisera är de två första stegen i 5S."
    # "sortera" and "Sortera " normalise to the same phrase: 2 distinct phrases found, 1 missing.
    assert m.relevance_gain(chunk, ["sortera", "SYSTEMATISERA", "Sortera ", "städa"]) == 2
    assert m.relevance_gain(chunk, ["städa"]) == 0


# --- recall, MRR -------------------------------------------------------------------------


def test_recall_at_k_is_hit_rate() -> None:
    rel = [0, 0, 1, 0]
    assert m.recall_at_k(rel, 1) == 0.0  # nothing relevant at rank 1
    assert m.recall_at_k(rel, 3) == 1.0  # rank 3 is relevant
    assert m.recall_at_k([0, 2, 1], 3) == 1.0  # a hit is a hit, however many
    assert m.recall_at_k([], 5) == 0.0
    assert m.recall_at_k([0, 1], 10) == 1.0  # k beyond the list


def test_recall_at_k_with_total_relevant_is_fraction() -> None:
    assert m.recall_at_k([1, 0, 1], 3, total_relevant=2) == 1.0  # 2 of 2
    assert m.recall_at_k([1, 0, 0], 3, total_relevant=2) == 0.5  # 1 of 2
    assert m.recall_at_k([1], 1, total_relevant=0) == 0.0


def test_recall_rejects_bad_k() -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        m.recall_at_k([1], 0)


def test_mrr() -> None:
    assert m.reciprocal_rank([0, 1, 0]) == 0.5  # first relevant at rank 2 -> 1/2
    assert m.reciprocal_rank([0, 0, 0]) == 0.0
    assert m.reciprocal_rank([0, 0, 3], k=2) == 0.0  # outside the cut-off
    # (1/2 + 1/1 + 0) / 3 = 0.5
    assert m.mrr([[0, 1, 0], [2], [0, 0]]) == pytest.approx(0.5)
    assert m.mrr([]) is None


# --- nDCG --------------------------------------------------------------------------------


def test_dcg() -> None:
    # gains [0, 2, 1] -> DCG = 0/log2(2) + 2/log2(3) + 1/log2(4) = 1.26186 + 0.5 = 1.76186
    assert m.dcg_at_k([0, 2, 1], 3) == pytest.approx(2 / LOG2_3 + 0.5)


def test_ndcg_graded() -> None:
    # DCG  = 2/log2(3) + 1/2                      = 1.76186
    # IDCG = sorted [2, 1, 0]: 2/1 + 1/log2(3)     = 2.63093
    # nDCG = 1.76186 / 2.63093                    = 0.66968
    expected = (2 / LOG2_3 + 0.5) / (2 + 1 / LOG2_3)
    assert m.ndcg_at_k([0, 2, 1], 3) == pytest.approx(expected)
    assert m.ndcg_at_k([0, 2, 1], 3) == pytest.approx(0.66968, abs=1e-5)


def test_ndcg_graded_ties() -> None:
    # Two different chunks both gain 2, one gains 1. The ideal list is [2, 2, 1] whatever
    # order the tied chunks come in: IDCG = 2/1 + 2/log2(3) + 1/2 = 3.76186.
    idcg = 2 + 2 / LOG2_3 + 0.5
    for ranking in ([2, 2, 1], [2, 1, 2], [1, 2, 2]):
        ideal = m.dcg_at_k(sorted(ranking, reverse=True), 3)
        assert ideal == pytest.approx(idcg)
    assert m.ndcg_at_k([2, 2, 1], 3) == pytest.approx(1.0)
    # [2, 1, 2]: DCG = 2 + 1/log2(3) + 2/2 = 3.63093 -> nDCG = 3.63093 / 3.76186 = 0.96520
    assert m.ndcg_at_k([2, 1, 2], 3) == pytest.approx((3 + 1 / LOG2_3) / idcg)
    # [1, 2, 2]: DCG = 1 + 2/log2(3) + 1 = 3.26186 -> nDCG = 0.86709
    assert m.ndcg_at_k([1, 2, 2], 3) == pytest.approx((2 + 2 / LOG2_3) / idcg)
    # Descending gains are ideal however the tied chunks (the two 1s) were ordered.
    assert m.ndcg_at_k([2, 1, 1, 0], 4) == pytest.approx(1.0)


def test_ndcg_pool() -> None:
    gains = [0, 1, 0, 0, 2]
    # k=3, pool = all 5: DCG@3 = 1/log2(3) = 0.63093; IDCG@3 from [2, 1] = 2 + 0.63093
    assert m.ndcg_at_k(gains, 3) == pytest.approx((1 / LOG2_3) / (2 + 1 / LOG2_3))
    # pool = top 3 only: ideal [1] -> IDCG = 1 -> nDCG = 0.63093
    assert m.ndcg_at_k(gains, 3, k_pool=3) == pytest.approx(1 / LOG2_3)
    with pytest.raises(ValueError, match="k_pool"):
        m.ndcg_at_k(gains, 3, k_pool=2)


def test_ndcg_without_relevant_is_zero() -> None:
    assert m.ndcg_at_k([0, 0, 0], 10) == 0.0
    assert m.ndcg_at_k([], 10) == 0.0


def test_retrieval_metrics_bundle() -> None:
    got = m.retrieval_metrics([0, 0, 1])
    assert got["recall_at_1"] == 0.0
    assert got["recall_at_3"] == 1.0
    assert got["mrr"] == pytest.approx(1 / 3)
    assert got["ndcg_at_10"] == pytest.approx(1 / 2)  # (1/log2(4)) / (1/log2(2)) = 0.5


# --- answers -----------------------------------------------------------------------------


def test_fact_coverage() -> None:
    answer = "Börja med att SORTERA, sedan\nsystematisera och städa."
    facts = [["sortera"], ["standardisera", "standard"], ["städa", "stada"]]
    # groups 1 and 3 covered, 2 not: 2/3
    assert m.facts_covered(answer, facts) == [True, False, True]
    assert m.fact_coverage(answer, facts) == pytest.approx(2 / 3)
    assert m.fact_coverage(answer, []) is None


def test_citation_validity() -> None:
    assert m.citation_validity([1, 2, 2], {1, 2, 3}) == 1.0
    assert m.citation_validity([1, 4], {1, 2}) == 0.5  # [4] names no source: 1 of 2 valid
    assert m.citation_validity([], {1, 2}, refused=True) is None  # refusal: not applicable
    assert m.citation_validity([], {1, 2}) == 0.0  # an answer citing nothing


def test_citation_support() -> None:
    sentences = [
        AnswerSentence(text="a", citations=[1], supported=True),
        AnswerSentence(text="b", citations=[2], supported=False),
        AnswerSentence(text="c"),  # no citation: not counted
        AnswerSentence(text="d", citations=[1], supported=None),  # unchecked: unsupported
    ]
    assert m.citation_support(sentences) == pytest.approx(1 / 3)  # 1 of 3 cited sentences
    assert m.citation_support([AnswerSentence(text="x")]) is None


def test_refusal_scores() -> None:
    pairs = [  # (answerable, refused)
        (False, True),
        (False, True),
        (False, False),
        (True, True),
        (True, False),
        (True, False),
        (True, False),
    ]
    s = m.refusal_scores(pairs)
    assert s.precision == pytest.approx(2 / 3)  # 3 refusals, 2 of them on unanswerable cases
    assert s.recall == pytest.approx(2 / 3)  # 3 unanswerable, 2 refused
    assert s.wrong_refusal_rate == pytest.approx(1 / 4)  # 4 answerable, 1 refused
    empty = m.refusal_scores([(True, False)])
    assert empty.precision is None
    assert empty.recall is None
    assert empty.wrong_refusal_rate == 0.0


def test_language_match() -> None:
    assert m.language_match("sv", "sv") == 1.0
    assert m.language_match("sv", "en") == 0.0
    assert m.language_match("sv", None) == 0.0


def test_percentiles_linear_interpolation() -> None:
    # sorted [10, 20, 30, 40]; p50 at rank 0.5*3 = 1.5 -> 20 + 0.5*10 = 25
    # p95 at rank 0.95*3 = 2.85 -> 30 + 0.85*10 = 38.5
    assert m.percentiles([40, 10, 30, 20], [50, 95]) == pytest.approx([25.0, 38.5])
    assert m.percentiles([7.0]) == [7.0, 7.0]
    assert m.percentiles([1, 2, 3], [0, 100]) == [1, 3]
    with pytest.raises(ValueError, match="no values"):
        m.percentiles([])
    with pytest.raises(ValueError, match=r"within 0\.\.100"):
        m.percentiles([1.0], [101])


# --- aggregation -------------------------------------------------------------------------


def _case(case_id: str, answerable: bool, refused: bool, **metrics: float | None) -> CaseResult:
    return CaseResult(
        case_id=case_id,
        config="hybrid",
        lang="sv",
        answerable=answerable,
        question="?",
        refused=refused,
        metrics=metrics,
        timings={"retrieve": 10.0 * len(case_id), "answer": 100.0},
    )


def test_aggregate() -> None:
    results = [
        # answerable, passes: recall@5 1, MRR 1/2, coverage 1, validity 1
        _case("a", True, False, recall_at_5=1.0, mrr=0.5, fact_coverage=1.0,
              citation_validity=1.0, citation_support=1.0, language_match=1.0),
        # answerable, wrongly refused: recall@5 0, MRR 0, coverage 0, validity n/a
        _case("bb", True, True, recall_at_5=0.0, mrr=0.0, fact_coverage=0.0,
              citation_validity=None, citation_support=None, language_match=1.0),
        # unanswerable, refused (passes); retrieval metrics do not apply
        _case("ccc", False, True, citation_validity=None, language_match=0.0),
    ]  # fmt: skip
    agg = m.aggregate(results)
    assert agg["recall_at_5"] == 0.5  # (1 + 0) / 2 answerable cases
    assert agg["mrr"] == 0.25  # (0.5 + 0) / 2
    assert agg["recall_at_1"] is None  # not measured
    assert agg["fact_coverage"] == 0.5  # (1 + 0) / 2
    assert agg["citation_validity"] == 1.0  # only case "a" applies
    assert agg["refusal_precision"] == 0.5  # 2 refusals, 1 correct
    assert agg["refusal_recall"] == 1.0  # 1 unanswerable, refused
    assert agg["wrong_refusal_rate"] == 0.5  # 2 answerable, 1 refused
    assert agg["language_match"] == pytest.approx(2 / 3)
    assert agg["pass_rate"] == pytest.approx(2 / 3)  # "a" and "ccc" pass
    # retrieve timings 10, 20, 30 -> p50 20, p95 at rank 1.9 -> 20 + 0.9*10 = 29
    assert agg["latency_retrieve_p50_ms"] == pytest.approx(20.0)
    assert agg["latency_retrieve_p95_ms"] == pytest.approx(29.0)
    assert agg["latency_answer_p50_ms"] == 100.0
    assert agg["cases"] == 3
    assert agg["errors"] == 0


def test_metric_names() -> None:
    assert m.is_known_metric("recall_at_5")
    assert m.is_known_metric("latency_total_p95_ms")
    assert not m.is_known_metric("recall_at_50")
    assert m.lower_is_better("wrong_refusal_rate")
    assert m.lower_is_better("latency_total_p50_ms")
    assert not m.lower_is_better("mrr")
    assert m.label("ndcg_at_10") == "nDCG@10"
    assert m.label("latency_retrieve_p95_ms") == "Latency retrieve p95 (ms)"


# --- answer shape: lead, length, padding ---------------------------------------------------


def test_plain_drops_emphasis_and_markers() -> None:
    assert m.plain("Det pågår i *18 månader* [1].") == "Det pågår i 18 månader  ."
    # a fact phrase across the emphasis still counts
    assert m.fact_coverage("Programmet pågår i **18 månader** [2, 3].", [["i 18 månader"]]) == 1.0


def test_lead_sentence() -> None:
    assert m.lead_sentence(["Först.", "Sedan."], "ignored") == "Först."
    # no sentence list: the first sentence of the text, markers removed
    assert m.lead_sentence([], "Det pågår i 18 månader [1]. Sedan mer [2].").startswith(
        "Det pågår i 18 månader"
    )
    assert m.lead_sentence([], "") == ""


def test_lead_has_answer() -> None:
    facts = [["18 månader", "arton månader"], ["RISE IVF"]]
    assert m.lead_has_answer("Programmet pågår i 18 MÅNADER.", facts) == 1.0
    assert m.lead_has_answer("Det drivs av RISE IVF.", facts) == 1.0  # any group will do
    assert m.lead_has_answer("Robotlyftet och DigiLean ingår.", facts) == 0.0
    assert m.lead_has_answer("Programmet pågår i 18 månader.", facts, refused=True) == 0.0


def test_shown_has_answer_counts_the_read_more_passages() -> None:
    facts = [["18 månader"]]
    assert m.shown_has_answer("Robotlyftet ingår. [1]", ["Det pågår i 18 månader."], facts) == 1.0
    assert m.shown_has_answer("Det pågår i *18 månader*. [1]", [], facts) == 1.0
    assert m.shown_has_answer("Robotlyftet ingår. [1]", ["DigiLean ingår."], facts) == 0.0
    assert m.shown_has_answer("", ["Det pågår i 18 månader."], facts, refused=True) == 0.0


def test_holds_evidence() -> None:
    evidence = ["Produktionslyftet är ett utvecklingsprogram på 18 månader för små företag"]
    # contains the phrase
    assert m.holds_evidence(
        "Kort sagt: produktionslyftet är ett utvecklingsprogram på 18 månader för små "
        "företag, och mer.",
        evidence,
    )
    # is contained in the phrase (a short sentence quoted from inside it)
    assert m.holds_evidence("Utvecklingsprogram på 18 månader", evidence)
    # shares a run of 6 words: "ett utvecklingsprogram på 18 månader för"
    assert m.holds_evidence("Det är ett utvecklingsprogram på 18 månader för industrin.", evidence)
    # only 5 words in a row ("utvecklingsprogram på 18 månader för"): not evidence
    assert not m.holds_evidence("Ett nytt utvecklingsprogram på 18 månader för alla.", evidence)
    assert not m.holds_evidence("", evidence)
    assert not m.holds_evidence("Något helt annat.", [])


def test_padding_share() -> None:
    facts = [["18 månader"]]
    evidence = ["en del av RISE IVF"]
    sentences = [
        "Det pågår i 18 månader.",  # a fact
        "Produktionslyftet är en del av RISE IVF.",  # evidence
        "Robotlyftet och DigiLean är exempel.",  # padding
        "Läs mer i rapporten.",  # padding
    ]
    assert m.padding_share(sentences, facts, evidence) == 0.5  # 2 of 4
    assert m.padding_share(sentences[:2], facts, evidence) == 0.0
    assert m.padding_share([], facts, evidence) is None


def _shape(
    case_id: str, answerable: bool, refused: bool, split: str = "dev", **metrics: float | None
) -> CaseResult:
    return CaseResult(
        case_id=case_id,
        config="hybrid",
        lang="sv",
        answerable=answerable,
        question="?",
        refused=refused,
        split=split,  # type: ignore[arg-type]
        metrics=metrics,
    )


def test_aggregate_answer_shape() -> None:
    results = [
        _shape("a", True, False, lead_has_answer=1.0, answer_chars=300.0, padding_share=0.0),
        _shape("b", True, False, lead_has_answer=0.0, answer_chars=900.0, padding_share=0.5),
        _shape("c", True, False, lead_has_answer=1.0, answer_chars=400.0, padding_share=0.25),
        # a wrongly refused answerable case: lead 0, its length and padding do not count
        _shape("d", True, True, lead_has_answer=0.0, answer_chars=120.0),
        # an unanswerable case: none of the three apply
        _shape("e", False, True),
    ]
    agg = m.aggregate(results)
    assert agg["lead_has_answer"] == 0.5  # (1 + 0 + 1 + 0) / 4 answerable
    assert agg["answer_chars_p50"] == 400.0  # median of 300, 400, 900 (d refused)
    assert agg["padding_share"] == pytest.approx(0.25)  # (0 + 0.5 + 0.25) / 3
    # lower is better for length and padding; both gateable
    assert m.lower_is_better("answer_chars_p50") and m.lower_is_better("padding_share")
    assert not m.lower_is_better("lead_has_answer")
    assert m.is_known_metric("answer_chars_p50") and m.is_known_metric("lead_has_answer")
    empty = m.aggregate([_shape("x", False, True)])
    assert empty["lead_has_answer"] is None
    assert empty["answer_chars_p50"] is None


def test_aggregate_by_split() -> None:
    results = [
        _shape("a", True, False, "dev", lead_has_answer=1.0, answer_chars=100.0),
        _shape("b", True, False, "test", lead_has_answer=0.0, answer_chars=700.0),
        _shape("c", True, False, "test", lead_has_answer=1.0, answer_chars=500.0),
    ]
    by_split = m.aggregate_by_split(results)
    assert list(by_split) == ["dev", "test"]
    assert by_split["dev"]["lead_has_answer"] == 1.0
    assert by_split["dev"]["cases"] == 1
    assert by_split["test"]["lead_has_answer"] == 0.5
    assert by_split["test"]["answer_chars_p50"] == 600.0  # median of 500 and 700
    assert m.aggregate_by_split([results[0]]).keys() == {"dev"}  # no test cases: no test key


def test_bootstrap_intervals_hold_the_figure_and_shrink_with_more_cases() -> None:
    def run(n: int) -> list[CaseResult]:
        # half the answerable cases lead with the answer; a quarter of the cases unanswerable,
        # half of those refused
        out = [_case(f"a{i}", True, False, lead_has_answer=float(i % 2)) for i in range(n)]
        out += [_case(f"u{i}", False, i % 2 == 0) for i in range(n // 3)]
        return out

    small = m.bootstrap_intervals(run(30), ["lead_has_answer", "refusal_recall"])
    large = m.bootstrap_intervals(run(300), ["lead_has_answer", "refusal_recall"])
    for iv in (small, large):
        assert iv["lead_has_answer"].low < 0.5 < iv["lead_has_answer"].high
    width = {k: v.high - v.low for k, v in small.items()}
    assert all(large[k].high - large[k].low < width[k] / 2 for k in width)
    assert small["lead_has_answer"].one_case == 1 / 30
    assert small["refusal_recall"].one_case == 1 / 10
    # seeded: the same cases give the same intervals
    assert m.bootstrap_intervals(run(30), ["lead_has_answer"]) == {
        "lead_has_answer": small["lead_has_answer"]
    }
    # a figure every case shares has no spread
    same = [_case(f"s{i}", True, False, lead_has_answer=1.0) for i in range(20)]
    assert m.bootstrap_intervals(same, ["lead_has_answer"])["lead_has_answer"][:2] == (1.0, 1.0)
