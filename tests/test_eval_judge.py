"""The optional LLM judge of the evaluation: parsing its replies, the prompt in the case's
language, aggregation, a judge that is down, and ``assistant eval --judge`` end to end against
the loopback OpenAI-compatible stub with the real ChatOpenAI client."""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai_stub import ChatStub
from typer.testing import CliRunner, Result

from assistant.cli import app
from assistant.config import REPO_ROOT, Settings
from assistant.core import Assistant
from assistant.evaluation.cases import Case
from assistant.evaluation.gate import parse_thresholds
from assistant.evaluation.judge import (
    Judge,
    JudgeScore,
    judge_case,
    judge_overall,
    parse_judgement,
)
from assistant.evaluation.metrics import aggregate, is_known_metric, label
from assistant.evaluation.report import render_html, render_markdown
from assistant.evaluation.results import CaseResult, ConfigResults, RunResults
from assistant.evaluation.run import run_eval
from assistant.llm import make_chat_model
from assistant.models import Answer, Citation

PROMPTS = REPO_ROOT / "prompts"
VERDICT = '{"faithfulness": 5, "relevance": 4, "reason": "Allt står i källa [1]."}'
SV_CASE = Case(
    id="sv1",
    lang="sv",
    question="Hur länge pågår Produktionslyftet 4.0?",
    evidence=["Utvecklingsprogram på 18 månader"],
    facts=[["18 månader"]],
    answerable=True,
)
EN_CASE = Case(
    id="en1",
    lang="en",
    question="How much does it cost to take part in Produktionslyftet?",
    answerable=False,
)
CASES = [
    {
        "id": "c1",
        "lang": "sv",
        "question": "Hur länge pågår Produktionslyftet 4.0?",
        "evidence": ["Utvecklingsprogram på 18 månader"],
        "facts": [["18 månader"]],
        "answerable": True,
    },
    {
        "id": "c2",
        "lang": "en",
        "question": "How much does it cost to take part in Produktionslyftet?",
        "answerable": False,
    },
]
LENIENT = "[hybrid]\nerrors_max = 0\n"


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answer_for(case: Case, text: str = "Programmet pågår i 18 månader [1].") -> Answer:
    cite = Citation(
        number=1,
        chunk_id="prod.md#abc",
        doc_id="prod.md",
        title="Produktionslyftet 4.0",
        organisation="Produktionslyftet",
        page=2,
        quote="Utvecklingsprogram på 18 månader.",
        start=0,
        end=33,
        passage="Utvecklingsprogram på 18 månader.",
        passage_start=0,
    )
    return Answer(
        question=case.question,
        standalone_question=case.question,
        text=text,
        language=case.lang,
        backend="test",
        citations=[cite],
    )


@pytest.fixture
def stub() -> Iterator[ChatStub]:
    with ChatStub() as server:
        yield server


def openai_settings(tmp_path: Path, url: str, timeout: float = 10.0) -> Settings:
    return Settings(
        backend="openai",
        llm_base_url=url,
        llm_timeout=timeout,
        embedder="fake",
        data_dir=tmp_path / "data",
        corpus_paths=[REPO_ROOT / "corpus"],
    )


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (VERDICT, (5, 4)),
        ('```json\n{"faithfulness": 3, "relevance": 5, "reason": "Delvis."}\n```', (3, 5)),
        ('Bedömning:\n{"faithfulness": 1, "relevance": 2, "reason": "Nej {x}."} Klart.', (1, 2)),
        ('<think>{"faithfulness": 1}</think>{"faithfulness": 4, "relevance": 4}', (4, 4)),
        ('{"faithfulness": "5", "relevance": "3", "reason": "ok"}', (5, 3)),
        ('{not json} {"faithfulness": 2, "relevance": 3, "reason": "x"}', (2, 3)),
    ],
)
def test_a_judgement_is_parsed(reply: str, expected: tuple[int, int]) -> None:
    score = parse_judgement(reply)
    assert score is not None
    assert (score.faithfulness, score.relevance) == expected


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "Svaret är bra, 5 av 5.",
        '{"faithfulness": 6, "relevance": 4, "reason": "x"}',
        '{"faithfulness": 0, "relevance": 4, "reason": "x"}',
        '{"faithfulness": 4.5, "relevance": 4, "reason": "x"}',
        '{"faithfulness": true, "relevance": 4, "reason": "x"}',
        '{"faithfulness": 4, "reason": "no relevance"}',
        '{"faithfulness": 4, "relevance": 4',
        "[5, 4]",
    ],
)
def test_junk_or_out_of_range_is_no_judgement(reply: str) -> None:
    assert parse_judgement(reply) is None


def test_the_reason_is_one_short_line() -> None:
    score = JudgeScore(faithfulness=5, relevance=5, reason="En\nmening   " + "x" * 500)
    assert "\n" not in score.reason and len(score.reason) <= 300


# --- the prompt is in the case's language ----------------------------------------------------


def test_the_judge_prompt_follows_the_case_language(stub: ChatStub, tmp_path: Path) -> None:
    model = make_chat_model(openai_settings(tmp_path, stub.openai_url))
    assert model is not None
    stub.enqueue(VERDICT)
    stub.enqueue('{"faithfulness": 5, "relevance": 5, "reason": "Honest refusal."}')

    sv = judge_case(model, SV_CASE, answer_for(SV_CASE), PROMPTS)
    refusal = answer_for(EN_CASE, "The documents do not say.").model_copy(update={"citations": []})
    en = judge_case(model, EN_CASE, refusal, PROMPTS)

    assert sv == JudgeScore(faithfulness=5, relevance=4, reason="Allt står i källa [1].")
    assert en is not None and (en.faithfulness, en.relevance) == (5, 5)
    sv_prompt, en_prompt = (str(r["messages"][-1]["content"]) for r in stub.requests)
    # Swedish case: Swedish instructions, with the question, the answer and its source
    assert "Trohet (faithfulness)" in sv_prompt and "Svara ENDAST med ett JSON-objekt" in sv_prompt
    assert "Faithfulness:" not in sv_prompt and "Reply ONLY" not in sv_prompt
    assert f"<fråga>\n{SV_CASE.question}\n</fråga>" in sv_prompt
    assert "Programmet pågår i 18 månader [1]." in sv_prompt
    assert "[1] Produktionslyftet 4.0 (Produktionslyftet, s. 2)" in sv_prompt
    assert "Utvecklingsprogram på 18 månader." in sv_prompt
    # English case: English instructions; a Swedish answer is said to be fine
    assert "Faithfulness:" in en_prompt and "Reply ONLY with a JSON object" in en_prompt
    assert "Trohet" not in en_prompt and "Svara ENDAST" not in en_prompt
    assert "may be in Swedish" in en_prompt
    assert "(the answer cites no sources)" in en_prompt
    assert '{"faithfulness": <1-5>' in en_prompt  # the escaped braces of the template


def test_a_follow_up_is_judged_with_its_conversation(stub: ChatStub, tmp_path: Path) -> None:
    model = make_chat_model(openai_settings(tmp_path, stub.openai_url))
    assert model is not None
    case = Case.model_validate(
        {
            **SV_CASE.model_dump(),
            "question": "Hur länge pågår det?",
            "history": [
                {"role": "user", "content": "Vad är Produktionslyftet?"},
                {"role": "assistant", "content": "Ett utvecklingsprogram [1]."},
            ],
        }
    )
    stub.enqueue(VERDICT)
    assert judge_case(model, case, answer_for(case), PROMPTS) is not None
    prompt = str(stub.requests[0]["messages"][-1]["content"])
    assert (
        "Användare: Vad är Produktionslyftet?\nAssistent: Ett utvecklingsprogram.\n"
        "Användare: Hur länge pågår det?"
    ) in prompt


def test_an_unusable_reply_is_none_and_an_error(stub: ChatStub, tmp_path: Path) -> None:
    model = make_chat_model(openai_settings(tmp_path, stub.openai_url))
    assert model is not None
    stub.enqueue("Jag tycker att svaret är bra.")
    stub.enqueue('{"faithfulness": 7, "relevance": 1, "reason": "x"}')
    assert judge_case(model, SV_CASE, answer_for(SV_CASE), PROMPTS) is None
    entry = Judge(model, PROMPTS)(SV_CASE, answer_for(SV_CASE))
    assert set(entry) == {"error"} and "unusable judge reply" in str(entry["error"])


# --- aggregation ---------------------------------------------------------------------------


def judged(case_id: str, judge: dict[str, float | str] | None) -> CaseResult:
    return CaseResult(
        case_id=case_id,
        config="hybrid",
        lang="sv",
        answerable=True,
        question="Vad är 5S?",
        answer="Sortera [1].",
        metrics={"fact_coverage": 1.0, "citation_validity": 1.0},
        judge=judge,
    )


def test_scores_are_normalised_to_zero_one() -> None:
    top: dict[str, float | str] = {"faithfulness": 5.0, "relevance": 3.0, "reason": "ok"}
    assert judge_overall([judged("a", top)]) == {
        "judge_faithfulness": 1.0,  # (5 - 1) / 4
        "judge_relevance": 0.5,  # (3 - 1) / 4
        "judge_errors": 0.0,
    }
    low: dict[str, float | str] = {"faithfulness": 1.0, "relevance": 4.0, "reason": "nej"}
    overall = judge_overall(
        [judged("a", top), judged("b", low), judged("c", {"error": "down"}), judged("d", None)]
    )
    assert overall["judge_faithfulness"] == pytest.approx(0.5)  # (1.0 + 0.0) / 2
    assert overall["judge_relevance"] == pytest.approx(0.625)  # (0.5 + 0.75) / 2
    assert overall["judge_errors"] == 1.0


def test_no_judged_case_adds_no_keys_and_all_errors_no_means() -> None:
    assert judge_overall([judged("a", None)]) == {}
    down = judge_overall([judged("a", {"error": "down"}), judged("b", {"error": "down"})])
    assert down == {"judge_faithfulness": None, "judge_relevance": None, "judge_errors": 2.0}


def test_the_judge_keys_are_known_labelled_and_apart_from_the_offline_metrics() -> None:
    cases = [judged("a", {"faithfulness": 5.0, "relevance": 5.0, "reason": "ok"})]
    offline = aggregate(cases)
    assert not any(k.startswith("judge_") for k in offline)  # aggregate stays offline
    for key in ("judge_faithfulness", "judge_relevance", "judge_errors"):
        assert is_known_metric(key) and "LLM" in label(key)
    limits = parse_thresholds("[hybrid]\njudge_faithfulness = 0.8\njudge_errors_max = 0\n")
    assert [(t.metric, t.bound) for t in limits] == [
        ("judge_faithfulness", "min"),
        ("judge_errors", "max"),
    ]


def test_old_results_without_judge_still_load(tmp_path: Path) -> None:
    run = RunResults(configs={"hybrid": ConfigResults(name="hybrid", cases=[judged("a", None)])})
    raw = json.loads(run.model_dump_json())
    del raw["configs"]["hybrid"]["cases"][0]["judge"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert RunResults.load(path).configs["hybrid"].cases[0].judge is None


def test_the_report_has_a_separate_judge_section_only_when_judged() -> None:
    cases = [
        judged("a", {"faithfulness": 5.0, "relevance": 5.0, "reason": "Allt stöds."}),
        judged("b", {"faithfulness": 2.0, "relevance": 4.0, "reason": "Påstår <mer> än källan."}),
        judged("c", {"error": "judge unavailable: could not connect"}),
    ]
    overall = {**aggregate(cases), **judge_overall(cases)}
    run = RunResults(
        settings={"judge": "ChatOpenAI stub-model"},
        configs={"hybrid": ConfigResults(name="hybrid", overall=overall, cases=cases)},
    )
    md = render_markdown(run)
    overall_table = md.split("## Overall", 1)[1].split("\n## ", 1)[0]
    assert "Judge" not in overall_table  # not among the offline metrics
    section = md.split("## LLM judge (not offline)", 1)[1]
    assert "model opinions" in section and "ChatOpenAI stub-model" in section
    assert "| Judge faithfulness (LLM) | 0.625 |" in section  # (1.0 + 0.25) / 2
    assert "| Judge errors (LLM) | 1 |" in section
    assert "`b` (faithfulness 2, relevance 4): Påstår <mer> än källan." in section
    page = render_html(run)
    assert "<h2>LLM judge (not offline)</h2>" in page
    assert "Påstår &lt;mer&gt; än källan." in page

    plain = RunResults(configs={"hybrid": ConfigResults(name="hybrid", overall=aggregate(cases))})
    assert "LLM judge" not in render_markdown(plain) and "LLM judge" not in render_html(plain)


# --- a judge that is down ------------------------------------------------------------------


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, data dir): one ingested index over a copy of the corpus, fake embedder."""
    root = tmp_path_factory.mktemp("judge")
    corpus = root / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus)
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("ASSISTANT_")]:
            mp.delenv(key)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=root / "data",
            corpus_paths=[corpus],
            embedder="fake",
        )
        Assistant.from_settings(settings).ingest()
    return corpus, root / "data"


def test_a_down_judge_counts_errors_and_changes_no_offline_metric(
    indexed: tuple[Path, Path],
) -> None:
    corpus, data = indexed
    settings = Settings(
        data_dir=data, corpus_paths=[corpus], embedder="fake", refusal_threshold=1.0
    )
    assistant = Assistant.from_settings(settings)
    cases = [Case.model_validate(c) for c in CASES]
    down = openai_settings(data, f"http://127.0.0.1:{free_port()}/v1", timeout=0.5)
    judge_model = make_chat_model(down)

    plain = run_eval(assistant, cases, ["hybrid", "keyword"], baselines=False)
    with_judge = run_eval(
        assistant, cases, ["hybrid", "keyword"], baselines=False, judge_model=judge_model
    )

    for mode in ("hybrid", "keyword"):
        overall = with_judge.configs[mode].overall
        assert overall["judge_errors"] == 2.0
        assert overall["judge_faithfulness"] is None and overall["judge_relevance"] is None
        assert overall["errors"] == 0.0  # the judge's failures are not the cases' errors
        offline = {k: v for k, v in overall.items() if not k.startswith(("judge_", "latency_"))}
        expected = plain.configs[mode].overall
        assert offline == {k: v for k, v in expected.items() if not k.startswith("latency_")}
        for case in with_judge.configs[mode].cases:
            assert case.judge is not None and "error" in case.judge
    judged = [c for m in ("hybrid", "keyword") for c in with_judge.configs[m].cases]
    reasons = [str((c.judge or {}).get("error")) for c in judged]
    assert reasons[0] == "judge unavailable: could not connect to the language model server"
    # after three failures in a row the judge is not called again: no timeout per answer
    assert reasons[3].startswith("skipped: the judge failed 3 times in a row")
    assert with_judge.settings["judge"] == "ChatOpenAI gpt-4o-mini"
    assert "judge" not in plain.settings


# --- the CLI -------------------------------------------------------------------------------

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def ready(indexed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI pointed at the shared index; returns a directory for case and gate files."""
    corpus, data = indexed
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_CORPUS_PATHS", json.dumps([str(corpus)]))
    monkeypatch.setenv("ASSISTANT_REFUSAL_THRESHOLD", "1.0")
    return data.parent


def run_cli(tmp_path: Path, *extra: str) -> Result:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CASES), "utf-8")
    gate = tmp_path / "gate.toml"
    gate.write_text(LENIENT, encoding="utf-8")
    args = ["eval", "--cases", str(cases), "--out", str(tmp_path / "out"), "--mode", "hybrid"]
    args += ["--no-baselines", "--thresholds", str(gate), *extra]
    result = runner.invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_eval_judge_with_the_extractive_backend_exits_1(ready: Path, tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--judge")
    assert result.exit_code == 1
    err = flat(result.stderr)
    assert err.startswith("Error: the LLM judge needs an LLM backend: set ASSISTANT_BACKEND")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_eval_without_judge_writes_no_judge(ready: Path, tmp_path: Path) -> None:
    result = run_cli(tmp_path)
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "out" / "results.json").read_text("utf-8"))
    assert not any(k.startswith("judge") for k in results["configs"]["hybrid"]["overall"])
    assert all(c["judge"] is None for c in results["configs"]["hybrid"]["cases"])
    assert "LLM judge" not in (tmp_path / "out" / "report.md").read_text("utf-8")


def read_out(tmp_path: Path) -> tuple[dict[str, Any], str, str]:
    out = tmp_path / "out"
    results = json.loads((out / "results.json").read_text("utf-8"))
    return results, (out / "report.md").read_text("utf-8"), (out / "report.html").read_text("utf-8")


def test_eval_judge_backend_openai_scores_extractive_answers(
    ready: Path, tmp_path: Path, stub: ChatStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", stub.openai_url)
    stub.enqueue('{"faithfulness": 5, "relevance": 5, "reason": "Ordagrant ur källan."}')
    stub.enqueue('```json\n{"faithfulness": 5, "relevance": 3, "reason": "Honest."}\n```')

    result = run_cli(tmp_path, "--judge", "--judge-backend", "openai")

    assert result.exit_code == 0, result.output
    results, md, html = read_out(tmp_path)
    overall = results["configs"]["hybrid"]["overall"]
    assert overall["judge_faithfulness"] == 1.0
    assert overall["judge_relevance"] == 0.75  # ((5-1)/4 + (3-1)/4) / 2
    assert overall["judge_errors"] == 0.0
    judged = {c["case_id"]: c["judge"] for c in results["configs"]["hybrid"]["cases"]}
    assert judged["c1"] == {"faithfulness": 5.0, "relevance": 5.0, "reason": "Ordagrant ur källan."}
    assert results["settings"]["judge"].startswith("ChatOpenAI")
    assert results["settings"]["backend"] == "extractive"
    # the Swedish case got the Swedish prompt, the English one the English prompt
    prompts = [str(r["messages"][-1]["content"]) for r in stub.requests]
    assert len(prompts) == 2 and "Trohet" in prompts[0] and "Faithfulness:" in prompts[1]
    assert "## LLM judge (not offline)" in md and "| Judge relevance (LLM) | 0.750 |" in md
    assert "<h2>LLM judge (not offline)</h2>" in html
    out = flat(result.stdout)
    assert "LLM judge (not offline" in out and "Judge relevance (LLM) │ 0.750" in out
    assert "Warning" not in result.stderr


def test_eval_judge_with_backend_openai_shares_the_stub(
    ready: Path, tmp_path: Path, stub: ChatStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers and judgements from the same server: the warm-up answer, then per case the
    answer (streamed) and its judgement (not streamed)."""
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", stub.openai_url)
    stub.enqueue("Produktionslyftet 4.0 pågår i 18 månader [1].")  # warm-up
    stub.enqueue("Produktionslyftet 4.0 pågår i 18 månader [1].")
    stub.enqueue('{"faithfulness": 4, "relevance": 5, "reason": "Stöds av [1]."}')
    stub.enqueue("The documents do not say.")
    stub.enqueue('{"faithfulness": 5, "relevance": 5, "reason": "Honest refusal."}')

    result = run_cli(tmp_path, "--judge", "--backend", "openai")

    assert result.exit_code == 0, result.output
    assert [bool(r.get("stream")) for r in stub.requests] == [True, True, False, True, False]
    results, md, _ = read_out(tmp_path)
    overall = results["configs"]["hybrid"]["overall"]
    assert overall["judge_faithfulness"] == pytest.approx(0.875)
    assert overall["judge_relevance"] == 1.0 and overall["judge_errors"] == 0.0
    assert "## LLM judge (not offline)" in md


def test_eval_with_a_down_judge_warns_and_finishes(
    ready: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "0.5")
    result = run_cli(tmp_path, "--judge", "--judge-backend", "openai")

    assert result.exit_code == 0, result.output
    assert "All thresholds met." in result.stdout
    err = flat(result.stderr)
    assert "Warning: the LLM judge could not score 2 of 2 answers" in err
    assert "could not connect to the language model server" in err
    results, md, _ = read_out(tmp_path)
    assert results["configs"]["hybrid"]["overall"]["judge_errors"] == 2.0
    assert "| Judge errors (LLM) | 2 |" in md
