"""The evaluation runner: per-case scoring of answer shape, splits, and the two baselines
(the previous extractive answerer and the naive RAG) over the real corpus with the fake
embedder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from indexed import indexed_assistant

from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.evaluation import legacy_extractive
from assistant.evaluation.cases import Case
from assistant.evaluation.run import (
    LEGACY,
    NAIVE,
    LegacyExtractive,
    answer_language,
    run_eval,
    score_answer,
    select_split,
)
from assistant.models import Answer, AnswerSentence, Citation, Turn

DURATION = Case(
    id="dur",
    lang="sv",
    question="Hur länge pågår Produktionslyftet 4.0?",
    evidence=["Utvecklingsprogram på 18 månader"],
    facts=[["18 månader"]],
    answerable=True,
    split="test",
    kind="type-duration",
)
AREAS = Case(
    id="areas",
    lang="sv",
    question="Vilka fyra områden är viktiga för att lyckas med förnyelse i produktion?",
    evidence=["fyra områden som är viktiga"],
    facts=[["fyra områden"]],
    answerable=True,
)
FOLLOW_UP = Case(
    id="follow",
    lang="sv",
    question="Hur länge pågår det?",
    history=[
        Turn(role="user", content="Vad är Produktionslyftet?"),
        Turn(role="assistant", content="Ett utvecklingsprogram för tillverkande företag."),
    ],
    evidence=["18 månader"],
    facts=[["18 månader"]],
    answerable=True,
    split="test",
)
COST = Case(
    id="cost",
    lang="en",
    question="How much does it cost to take part in Produktionslyftet?",
    answerable=False,
    split="test",
    kind="near-miss",
)
CASES = [DURATION, AREAS, FOLLOW_UP, COST]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    with indexed_assistant(tmp_path_factory.mktemp("eval-run")) as a:
        yield a


def answer(text: str, sentences: list[str], refusal: bool = False) -> Answer:
    return Answer(
        question="?",
        standalone_question="?",
        text=text,
        sentences=[AnswerSentence(text=s, citations=[1]) for s in sentences],
        language="sv",
        backend="extractive",
        refusal=refusal,
    )


def test_an_english_refusal_that_quotes_a_short_swedish_sentence_is_english() -> None:
    quote = "Vi måste våga tänka om radikalt och tänka nytt även i produktion."
    # the document's quotation ends in it: the citation keeps the mark, the answer does not
    cite = Citation(
        number=1,
        chunk_id="a#1",
        doc_id="a",
        title="Produktionsinnovation",
        quote=quote + "”",
        start=0,
        end=len(quote) + 1,
        passage=quote + "”",
        passage_start=0,
    )
    refusal = Answer(
        question="What's the best way to cut the noise from our compressor room?",
        standalone_question="?",
        text="The documents don't say. The closest they come is this (in Swedish):\n"
        f"> {quote} [1]\n\nOther related sources:\n- [1] Produktionsinnovation",
        citations=[cite],
        language="en",
        backend="extractive",
        refusal=True,
    )
    # the label ends the answer's own words: what follows it on its line is a quote, and so
    # is the quoted sentence, mark or not
    assert answer_language(refusal) == "en"


def test_select_split() -> None:
    assert select_split(CASES, "test") == [DURATION, FOLLOW_UP, COST]
    assert select_split(CASES, "dev") == [AREAS]
    assert select_split(CASES, "all") == CASES
    with pytest.raises(AssistantError, match="Unknown split 'tset'"):
        select_split(CASES, "tset")


def test_score_answer_shape() -> None:
    lead = "Produktionslyftet 4.0 är ett *utvecklingsprogram på 18 månader*."
    text = f"{lead} [1] Robotlyftet är ett annat program. [1]"
    result = score_answer(
        DURATION, answer(text, [lead, "Robotlyftet är ett annat program."]), [], [], "hybrid"
    )
    assert result.metrics["lead_has_answer"] == 1.0  # emphasis does not hide the fact
    assert result.metrics["answer_chars"] == len(text)
    assert result.metrics["padding_share"] == 0.5  # the Robotlyftet sentence
    assert result.lead == lead
    assert (result.split, result.kind) == ("test", "type-duration")
    # the answer in the second sentence only: the lead misses it
    late = score_answer(DURATION, answer(text, ["Först annat.", lead]), [], [], "hybrid")
    assert late.metrics["lead_has_answer"] == 0.0
    # no sentence list: the text's first sentence is the lead
    plain = score_answer(DURATION, answer(text, []), [], [], "hybrid")
    assert plain.metrics["lead_has_answer"] == 1.0
    assert plain.metrics["padding_share"] == 0.5


def test_score_answer_refused() -> None:
    refused = score_answer(
        DURATION, answer("Det framgår inte av dokumenten.", [], refusal=True), [], [], "hybrid"
    )
    assert refused.metrics["lead_has_answer"] == 0.0
    assert "answer_chars" not in refused.metrics
    assert "padding_share" not in refused.metrics
    unanswerable = score_answer(COST, answer("Nej.", [], refusal=True), [], [], "hybrid")
    assert "lead_has_answer" not in unanswerable.metrics


def test_previous_answerer_as_a_baseline(assistant: Assistant) -> None:
    config = LegacyExtractive(assistant).run(CASES)
    assert config.name == LEGACY
    assert "previous extractive answerer" in config.description
    assert [c.case_id for c in config.cases] == ["dur", "areas", "follow", "cost"]
    assert all(c.error is None for c in config.cases)
    for c in config.cases:
        # timed like the product's answers
        assert set(c.timings) == {"rewrite", "embed", "retrieve", "answer", "total"}
        assert c.timings["total"] >= c.timings["answer"]
        # the frozen answerer's own shape: its lead-in, or its refusal
        lead_in, refusal = legacy_extractive.LEAD_IN[c.lang], legacy_extractive.REFUSAL[c.lang]
        assert c.answer.startswith(refusal if c.refused else lead_in)
        assert len(c.retrieved_ids) == 10  # retrieval scored on the same top 10 as the product
    assert set(config.by_split) == {"dev", "test"}
    assert config.by_split["dev"]["cases"] == 1
    assert config.by_split["test"]["cases"] == 3


def test_run_eval_baselines_and_split(assistant: Assistant) -> None:
    results = run_eval(assistant, CASES, modes=[], split="test")
    assert list(results.configs) == [LEGACY, NAIVE]
    assert results.settings["split"] == "test"
    assert results.settings["cases"] == 3
    assert results.settings["test_cases"] == 3
    for config in results.configs.values():
        assert [c.case_id for c in config.cases] == ["dur", "follow", "cost"]
        assert list(config.by_split) == ["test"]
        assert config.gated_split == "test"
    naive = results.configs[NAIVE]
    # the naive answer is a whole passage; its lead is the passage's first sentence
    first = naive.case("dur")
    assert first is not None and first.lead and len(first.lead) < len(first.answer)
    assert "lead_has_answer" in naive.overall and "padding_share" in naive.overall
    assert run_eval(assistant, CASES, modes=[], baselines=False).configs == {}


def test_cli_split_option_is_checked(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    result = CliRunner().invoke(app, ["eval", "--split", "tset", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "Unknown split 'tset': use dev, test or all" in result.stderr
