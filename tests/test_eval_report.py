"""Results files, comparison of runs, the threshold gate and the written report."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from assistant.evaluation.charts import NEEDS_MATPLOTLIB
from assistant.evaluation.compare import compare
from assistant.evaluation.gate import ThresholdsError, check, load_thresholds, parse_thresholds
from assistant.evaluation.gate import verdict as gate_verdict
from assistant.evaluation.metrics import aggregate
from assistant.evaluation.report import write_report
from assistant.evaluation.results import CaseResult, ConfigResults, RunResults
from assistant.evaluation.run import config_results


def case(
    case_id: str,
    config: str,
    *,
    answerable: bool = True,
    refused: bool = False,
    coverage: float | None = 1.0,
    validity: float | None = 1.0,
    recall: float = 1.0,
    question: str = "Vad är 5S?",
    answer: str = "Sortera och städa [1].",
    split: str = "dev",
    kind: str | None = None,
    lead: float | None = None,
) -> CaseResult:
    shape: dict[str, float | None] = {}
    if answerable:
        shape["lead_has_answer"] = 0.0 if refused else coverage if lead is None else lead
        if not refused:
            shape["answer_chars"] = float(len(answer))
            shape["padding_share"] = 0.0
    return CaseResult(
        case_id=case_id,
        config=config,
        lang="sv",
        answerable=answerable,
        question=question,
        split=split,  # type: ignore[arg-type]
        kind=kind,
        facts=[["sortera"], ["standardisera"]] if answerable else [],
        retrieved_ids=["doc.md#abc"],
        gains=[1],
        refused=refused,
        answer=answer,
        citations=1,
        metrics={
            "recall_at_5": recall if answerable else None,
            "fact_coverage": coverage if answerable else None,
            "citation_validity": validity,
            "language_match": 1.0,
            **shape,
        },
        timings={"retrieve": 12.0 + len(case_id), "answer": 80.0},
    )


def run(configs: dict[str, list[CaseResult]], when: datetime | None = None) -> RunResults:
    """A run as the runner builds it: overall and per-split aggregates."""
    return RunResults(
        created_at=when or datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        settings={"embedder": "fake", "top_k": 5, "cases": ["eval/cases.jsonl"]},
        configs={n: config_results(n, cases) for n, cases in configs.items()},
    )


def old_run(configs: dict[str, list[CaseResult]]) -> RunResults:
    """A run as results.json files from before splits and answer-shape metrics hold it."""
    return RunResults(
        created_at=datetime(2024, 12, 1, tzinfo=UTC),
        configs={
            n: ConfigResults(name=n, overall=aggregate(cases), cases=cases)
            for n, cases in configs.items()
        },
    )


@pytest.fixture
def current() -> RunResults:
    return run(
        {
            "hybrid": [
                case("q1", "hybrid"),
                case("q2", "hybrid", coverage=0.0, answer="Något <b>annat</b> & mer"),
                case("q3", "hybrid", answerable=False, refused=True, validity=None),
            ],
            "keyword": [
                case("q1", "keyword", recall=0.0),
                case("q2", "keyword", recall=0.0, refused=True, coverage=0.0, validity=None),
                case("q3", "keyword", answerable=False, refused=False, validity=0.0),
            ],
        }
    )


# --- per-case verdict and results files ---------------------------------------------------


def test_passed_rule() -> None:
    assert case("a", "c").passed
    assert not case("a", "c", coverage=0.4).passed  # coverage below 0.5
    assert case("a", "c", coverage=0.5).passed
    assert not case("a", "c", validity=0.5).passed  # an invalid marker
    assert not case("a", "c", refused=True).passed  # wrong refusal
    assert case("a", "c", answerable=False, refused=True, validity=None).passed
    assert not case("a", "c", answerable=False).passed  # answered the unanswerable
    errored = case("a", "c").model_copy(update={"error": "boom"})
    assert not errored.passed


def test_results_round_trip(tmp_path: Path, current: RunResults) -> None:
    path = current.save(tmp_path / "out" / "results.json")
    text = path.read_text(encoding="utf-8")
    assert '"passed": true' in text  # the verdict is written for readers of the file
    loaded = RunResults.load(path)
    assert loaded == current
    assert loaded.configs["hybrid"].case("q2") is not None
    assert loaded.configs["hybrid"].overall["pass_rate"] == pytest.approx(2 / 3)


def test_load_bad_results_file(tmp_path: Path) -> None:
    from assistant.evaluation.results import ResultsFileError

    bad = tmp_path / "results.json"
    bad.write_text('{"configs": 3}', encoding="utf-8")
    with pytest.raises(ResultsFileError, match="not a results file"):
        RunResults.load(bad)
    with pytest.raises(ResultsFileError, match="not found"):
        RunResults.load(tmp_path / "missing.json")


# --- comparison ---------------------------------------------------------------------------


def test_compare_finds_flips_and_deltas(current: RunResults) -> None:
    previous = run(
        {
            "hybrid": [
                case("q1", "hybrid", coverage=0.0),  # failed before, passes now
                case("q2", "hybrid"),  # passed before, fails now
                case("q3", "hybrid", answerable=False, refused=True, validity=None),
                case("q0", "hybrid").model_copy(  # gone from the current run; slow
                    update={"timings": {"retrieve": 100.0, "answer": 80.0}}
                ),
            ],
            "dense": [case("q1", "dense")],
        },
        when=datetime(2025, 1, 1, tzinfo=UTC),
    )
    cmp = compare(previous, current)
    flips = {(f.config, f.case_id): f.kind for f in cmp.flips}
    assert flips == {("hybrid", "q1"): "fail->pass", ("hybrid", "q2"): "pass->fail"}
    assert [f.case_id for f in cmp.regressions] == ["q2"]
    assert [f.case_id for f in cmp.fixes] == ["q1"]
    assert cmp.added_configs == ["keyword"]
    assert cmp.removed_configs == ["dense"]
    assert cmp.removed_cases == {"hybrid": ["q0"]}
    delta = {(d.config, d.metric): d for d in cmp.deltas}
    # pass rate: previous 3/4, current 2/3 -> -1/12, worse
    pr = delta[("hybrid", "pass_rate")]
    assert pr.previous == pytest.approx(0.75)
    assert pr.current == pytest.approx(2 / 3)
    assert pr.delta == pytest.approx(-1 / 12)
    assert pr.direction == "worse"
    assert delta[("hybrid", "citation_validity")].direction == "same"
    # latency, lower is better. retrieve ms before [14, 14, 14, 100]: p95 at rank 2.85 ->
    # 14 + 0.85 * 86 = 87.1; now [14, 14, 14]: p95 = 14 -> change -73.1, better.
    lat = delta[("hybrid", "latency_retrieve_p95_ms")]
    assert lat.previous == pytest.approx(87.1)
    assert lat.current == pytest.approx(14.0)
    assert lat.delta == pytest.approx(-73.1)
    assert lat.direction == "better"


# --- gate ---------------------------------------------------------------------------------


def test_gate_flags_min_and_max(current: RunResults) -> None:
    thresholds = parse_thresholds(
        """
        [hybrid]
        fact_coverage = 0.8          # 0.5: violated
        citation_validity = 1.0      # 1.0: fine
        wrong_refusal_rate_max = 0.1 # 0.0: fine
        [keyword]
        recall_at_5 = 0.5            # 0.0: violated
        wrong_refusal_rate_max = 0.1 # 0.5: violated (upper bound)
        refusal_precision = 0.5      # keyword refused only an answerable case: 0.0
        [dense]
        recall_at_5 = 0.9            # not in this run: skipped
        """
    )
    violations = check(current, thresholds)
    found = {(v.config, v.metric, v.bound) for v in violations}
    assert found == {
        ("hybrid", "fact_coverage", "min"),
        ("keyword", "recall_at_5", "min"),
        ("keyword", "wrong_refusal_rate", "max"),
        ("keyword", "refusal_precision", "min"),
    }
    upper = next(v for v in violations if v.bound == "max")
    assert str(upper) == "keyword: wrong_refusal_rate = 0.500 > 0.1 (max)"
    result = gate_verdict(current, thresholds)
    assert not result.passed
    assert result.skipped == ["dense"]


def test_gate_unmeasured_metric_is_a_violation(current: RunResults) -> None:
    thresholds = parse_thresholds("[hybrid]\nrecall_at_1 = 0.5\n")  # never computed
    [v] = check(current, thresholds)
    assert v.value is None
    assert "not measured" in str(v)


def test_gate_errors() -> None:
    with pytest.raises(ThresholdsError, match=r"\[hybrid\] recall_at_50: unknown metric"):
        parse_thresholds("[hybrid]\nrecall_at_50 = 0.9\n", source="t.toml")
    with pytest.raises(ThresholdsError, match="must be a number"):
        parse_thresholds("[hybrid]\nmrr = 'high'\n")
    with pytest.raises(ThresholdsError, match="must be a table"):
        parse_thresholds("mrr = 0.5\n")
    with pytest.raises(ThresholdsError, match="invalid TOML"):
        parse_thresholds("[hybrid\n")
    assert parse_thresholds("[hybrid]\nlatency_total_p95_ms_max = 3000\n")[0].bound == "max"


def test_shipped_thresholds_file_parses() -> None:
    thresholds = load_thresholds(REPO_ROOT / "eval" / "thresholds.toml")
    assert any(t.metric == "wrong_refusal_rate" and t.bound == "max" for t in thresholds)


# --- report -------------------------------------------------------------------------------


def test_report_files(tmp_path: Path, current: RunResults) -> None:
    previous = run({"hybrid": [case("q1", "hybrid", coverage=0.0), case("q2", "hybrid")]})
    current.gate = gate_verdict(current, parse_thresholds("[hybrid]\nfact_coverage = 0.8\n"))
    md_path, html_path = write_report(current, tmp_path / "report", compare(previous, current))
    assert md_path.exists()
    assert html_path.exists()

    md = md_path.read_text(encoding="utf-8")
    assert "## Overall (all cases)" in md
    assert "| Metric | hybrid | keyword |" in md
    assert "| Recall@5 | 1.000 | 0.000 |" in md  # (1+1)/2 and (0+0)/2
    assert "| Fact coverage | 0.500 | 0.500 |" in md
    # hybrid: q1 and q3 pass; keyword: q1 passes (recall is not part of the verdict),
    # q2 is wrongly refused, q3 answered although unanswerable.
    assert "| Pass rate | 0.667 | 0.333 |" in md
    assert "| Cases | 3 | 3 |" in md
    assert "**FAILED**" in md
    assert "hybrid: fact_coverage = 0.500 < 0.8 (min)" in md
    assert "## Comparison with the previous run" in md
    # previous hybrid: q1 failed, q2 passed -> 1/2; now 2/3. keyword is new: no column.
    assert "| Metric | hybrid |\n" in md
    assert "| Pass rate | 0.500 → 0.667 (+0.167) |" in md
    assert "| Citation validity |" not in md.split("## Comparison")[1].split("###")[0]
    assert "Configurations added: keyword" in md
    assert "pass->fail **hybrid** `q2`" in md
    assert "fail->pass **hybrid** `q1`" in md
    assert "### hybrid (1 of 3 failed)" in md
    assert "expected facts: ✓ sortera; ✗ standardisera" in md
    assert "### keyword (2 of 3 failed)" in md

    # the charts, drawn by matplotlib, as files beside report.md and linked from it
    charts = sorted(p.name for p in (tmp_path / "report" / "charts").iterdir())
    assert charts == ["answer-length.svg", "answers.svg", "latency.svg", "retrieval.svg"]
    for name in charts:
        assert f"](charts/{name})" in md
    assert (tmp_path / "report" / "charts" / "answers.svg").read_text("utf-8").startswith("<?xml")

    page = html_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 4  # the same four charts, inline
    assert "http" not in page.lower()  # no external resources (and no xmlns URL either)
    assert "<script" not in page
    assert "<link" not in page
    assert "<metadata" not in page and "<?xml" not in page
    # the charts' clip paths are references within the page, unique per chart
    refs = re.findall(r"url\(([^)]*)\)", page)
    assert refs and all(r.startswith("#chart") for r in refs)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for ref in set(refs):
        assert f'id="{ref[1:]}"' in page
    # Answer text is escaped, never markup.
    assert "<b>annat</b>" not in page
    assert "&lt;b&gt;annat&lt;/b&gt; &amp; mer" in page
    assert "<th>Recall@5</th>" in page


def test_report_escapes_hostile_names(tmp_path: Path) -> None:
    bad = "<script>alert(1)</script>"
    results = run({bad: [case("q1", bad, question=bad, answer=bad, coverage=0.0)]})
    _, html_path = write_report(results, tmp_path)
    page = html_path.read_text(encoding="utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;" in page


def test_report_without_cases(tmp_path: Path) -> None:
    md_path, html_path = write_report(RunResults(), tmp_path)
    assert "# Evaluation report" in md_path.read_text(encoding="utf-8")
    assert "No data to chart." in html_path.read_text(encoding="utf-8")


# --- splits, answer shape, kinds, charts ---------------------------------------------------


@pytest.fixture
def split_run() -> RunResults:
    # dev: both answerable cases pass; test: one of two answerable cases covers its facts,
    # and the unanswerable test case is refused.
    return run(
        {
            "hybrid": [
                case("d1", "hybrid", kind="type-duration"),
                case("d2", "hybrid", kind="yes-no"),
                case("t1", "hybrid", split="test", kind="type-duration"),
                case("t2", "hybrid", split="test", kind="type-duration", coverage=0.0),
                case(
                    "t3", "hybrid", split="test", kind="near-miss", answerable=False, refused=True
                ),
            ],
            "extractive-v1": [
                case("d1", "extractive-v1"),
                case("t1", "extractive-v1", split="test", coverage=0.5, lead=0.0),
            ],
        }
    )


def test_by_split_aggregates(split_run: RunResults) -> None:
    hybrid = split_run.configs["hybrid"]
    assert hybrid.by_split["dev"]["cases"] == 2
    assert hybrid.by_split["test"]["cases"] == 3
    assert hybrid.by_split["dev"]["fact_coverage"] == 1.0
    assert hybrid.by_split["test"]["fact_coverage"] == 0.5  # (1 + 0) / 2
    assert hybrid.overall["fact_coverage"] == 0.75  # (1 + 1 + 1 + 0) / 4
    assert hybrid.gated_split == "test"


def test_gate_checks_the_test_split(split_run: RunResults) -> None:
    thresholds = parse_thresholds("[hybrid]\nfact_coverage = 0.6\nanswer_chars_p50_max = 10\n")
    result = gate_verdict(split_run, thresholds)
    # all cases: coverage 0.75 would pass; the test split's 0.5 does not
    assert [(v.metric, v.split, v.value) for v in result.violations] == [
        ("fact_coverage", "test", 0.5),
        ("answer_chars_p50", "test", float(len("Sortera och städa [1]."))),
    ]
    assert str(result.violations[0]) == "hybrid [test]: fact_coverage = 0.500 < 0.6 (min)"
    assert result.splits == {"hybrid": "test"}
    # a run without test cases is checked on all its cases
    dev_only = run({"hybrid": [case("d1", "hybrid"), case("d2", "hybrid", coverage=0.0)]})
    [v] = check(dev_only, parse_thresholds("[hybrid]\nfact_coverage = 0.6\n"))
    assert (v.split, v.value) == ("all", 0.5)
    assert str(v) == "hybrid: fact_coverage = 0.500 < 0.6 (min)"


def test_report_shows_dev_and_test_and_kinds(tmp_path: Path, split_run: RunResults) -> None:
    split_run.gate = gate_verdict(split_run, parse_thresholds("[hybrid]\nfact_coverage = 0.6\n"))
    md_path, html_path = write_report(split_run, tmp_path)
    md = md_path.read_text(encoding="utf-8")
    header = "| Metric | hybrid dev | hybrid test | extractive-v1 dev | extractive-v1 test |"
    assert header in md
    assert "| Fact coverage | 1.000 | 0.500 | 1.000 | 0.500 |" in md
    # lead: hybrid test t1 1, t2 0 -> 0.5; extractive-v1 test t1 0
    assert "| Lead has answer | 1.000 | 0.500 | 1.000 | 0.000 |" in md
    assert "| Answer length p50 (chars) | 22 | 22 | 22 | 22 |" in md
    assert "| Cases | 2 | 3 | 1 | 1 |" in md
    # per kind, hybrid's test split: near-miss refused; type-duration t1 covered, t2 not
    assert "## Per kind: hybrid (test split)" in md
    assert "| near-miss | 1 | n/a | n/a | 1.000 |" in md
    assert "| type-duration | 2 | 0.500 | 0.500 | 0.000 |" in md
    assert "yes-no" not in md.split("## Per kind")[1].split("##")[0]  # a dev-only kind
    assert "Thresholds were applied to the test split (hybrid)." in md
    assert "hybrid [test]: fact_coverage = 0.500 < 0.6 (min)" in md
    page = html_path.read_text(encoding="utf-8")
    assert "<h2>Dev and test</h2>" in page
    assert "<th>hybrid<br>test</th>" in page
    assert "Per kind: hybrid (test split)" in page
    # how sure: hybrid's test split, fact coverage 0.5 over 2 answerable cases (1 and 0)
    sure = md.split("## How sure: hybrid (test split)")[1].split("##")[0]
    assert "| Fact coverage | 0.500 | 0.000 – 1.000 | 0.500 |" in sure
    assert "How sure: hybrid (test split)" in page


def test_report_without_matplotlib(
    tmp_path: Path, split_run: RunResults, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    md_path, html_path = write_report(split_run, tmp_path)
    md, page = md_path.read_text("utf-8"), html_path.read_text("utf-8")
    assert NEEDS_MATPLOTLIB in md
    assert NEEDS_MATPLOTLIB in page
    assert "<svg" not in page
    assert not (tmp_path / "charts").exists()
    assert "## Dev and test" in md  # the tables do not need it


def test_an_older_results_file_still_compares(tmp_path: Path, split_run: RunResults) -> None:
    # results.json as written before splits and the answer-shape metrics
    data = json.loads(old_run({"hybrid": [case("d1", "hybrid")]}).model_dump_json())
    for cfg in data["configs"].values():
        del cfg["by_split"]
        for key in ("lead_has_answer", "answer_chars_p50", "padding_share"):
            del cfg["overall"][key]
        for c in cfg["cases"]:
            for key in ("split", "kind", "lead"):
                del c[key]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    previous = RunResults.load(path)
    assert previous.configs["hybrid"].cases[0].split == "dev"
    cmp = compare(previous, split_run)
    assert cmp.notes and "before dev/test splits" in cmp.notes[0]
    lead = next(d for d in cmp.deltas if d.metric == "lead_has_answer")
    assert lead.direction == "n/a"
    md_path, _ = write_report(split_run, tmp_path / "r", cmp)
    assert "before dev/test splits" in md_path.read_text("utf-8")


def test_shipped_thresholds_gate_the_answer_shape() -> None:
    text = (REPO_ROOT / "eval" / "thresholds.toml").read_text(encoding="utf-8")
    bounds = {(t.metric, t.bound) for t in parse_thresholds(text) if t.config == "hybrid"}
    assert {
        ("lead_has_answer", "min"),
        ("answer_chars_p50", "max"),
        ("padding_share", "max"),
    } <= bounds
