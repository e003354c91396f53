"""The optional LLM judge: faithfulness and relevance of an answer, scored 1-5 by a chat model
with a prompt in the case's language (``prompts/judge.<lang>.md``).

Its scores are model opinions, not measurements: they live in ``CaseResult.judge`` and in the
``judge_*`` keys of ``ConfigResults.overall``, apart from the offline metrics, and never decide
whether a case passes. A judge that is down or replies with something unusable is a judge error
(counted), never an exception that stops the run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from ..errors import AssistantError, BackendUnavailable
from ..generate import ROLE_NAMES, drop_thinking, format_history
from ..llm import error_reason
from ..models import Answer, Citation
from ..prompts import chat_prompt
from .cases import Case
from .results import CaseResult

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

PROMPT = "judge"
VARIABLES = frozenset({"question", "answer", "sources"})
REASON_CHARS = 300
#: After this many judge calls in a row fail to reach the model, the rest are skipped (each
#: would wait for the same timeout) and counted as judge errors.
MAX_CONSECUTIVE_DOWN = 3
NO_SOURCES = {"sv": "(svaret citerar inga källor)", "en": "(the answer cites no sources)"}
PAGE = {"sv": "s.", "en": "p."}


class JudgeScore(BaseModel):
    """One judgement: two integer scores 1..5 and the judge's one-sentence reason."""

    faithfulness: int = Field(ge=1, le=5)
    relevance: int = Field(ge=1, le=5)
    reason: str = ""

    @field_validator("faithfulness", "relevance", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        if isinstance(value, bool):  # JSON true is not a score
            raise ValueError("a score must be a number")
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        return value

    @field_validator("reason", mode="before")
    @classmethod
    def _short_text(cls, value: Any) -> str:
        text = " ".join(str(value or "").split())
        return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


class JudgeError(Exception):
    """A judgement that could not be had; the message says why."""


def parse_judgement(reply: str) -> JudgeScore | None:
    """The first JSON object in ``reply`` that is a valid judgement, else None.

    Code fences, a leading ``<think>`` block and text around the object are tolerated."""
    text = "".join(drop_thinking([reply]))
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start >= 0:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            try:
                return JudgeScore.model_validate(value)
            except ValidationError:
                return None  # the judge's object, with unusable scores
        start = text.find("{", start + 1)
    return None


def format_sources(citations: Sequence[Citation], lang: str) -> str:
    """The cited passages, numbered as the answer's ``[n]`` markers name them."""
    if not citations:
        return NO_SOURCES.get(lang, NO_SOURCES["en"])
    parts = []
    for c in citations:
        origin = ", ".join(x for x in (c.organisation, c.date) if x)
        page = f", {PAGE.get(lang, 'p.')} {c.page}" if c.page else ""
        where = f" ({origin}{page})" if origin else page
        parts.append(f"[{c.number}] {c.title}{where}\n{c.quote.strip()}")
    return "\n\n".join(parts)


def question_text(case: Case) -> str:
    """The question; a follow-up comes with the conversation before it."""
    if not case.history:
        return case.question.strip()
    user = ROLE_NAMES.get(case.lang, ROLE_NAMES["en"])["user"]
    return f"{format_history(case.history, case.lang)}\n{user}: {case.question.strip()}"


def judge_messages(case: Case, answer: Answer, prompts_dir: Path) -> list[Any]:
    """The judge prompt in the case's language, filled in."""
    prompt = chat_prompt(None, PROMPT, case.lang, prompts_dir, history=False)
    return prompt.format_messages(
        question=question_text(case),
        answer=answer.text.strip(),
        sources=format_sources(answer.citations, case.lang),
    )


def check_prompts(prompts_dir: Path, langs: Sequence[str] = ("sv", "en")) -> None:
    """Raise ``AssistantError`` unless the judge prompt exists in every language with exactly
    the placeholders it is filled with: a broken prompt stops the run before it starts."""
    for lang in langs:
        found = set(chat_prompt(None, PROMPT, lang, prompts_dir, history=False).input_variables)
        if found != VARIABLES:
            raise AssistantError(
                f"The judge prompt {PROMPT}.{lang}.md in {prompts_dir} must use the placeholders "
                f"{sorted(VARIABLES)}, not {sorted(found)}"
            )


def ask_judge(
    chat_model: BaseChatModel, case: Case, answer: Answer, prompts_dir: Path
) -> JudgeScore:
    """The judge's scores. Raises ``BackendUnavailable`` when the model cannot be reached and
    ``JudgeError`` when its reply holds no valid judgement."""
    messages = judge_messages(case, answer, prompts_dir)
    try:
        reply = chat_model.invoke(messages).text
    except Exception as exc:  # any client failure: connection, timeout, HTTP status
        raise BackendUnavailable(error_reason(exc)) from exc
    score = parse_judgement(reply)
    if score is None:
        raise JudgeError(f"unusable judge reply: {' '.join(reply.split())[:120]!r}")
    return score


def judge_case(
    chat_model: BaseChatModel, case: Case, answer: Answer, prompts_dir: Path
) -> JudgeScore | None:
    """The judge's scores, or None when the judge is down or its reply is unusable."""
    try:
        return ask_judge(chat_model, case, answer, prompts_dir)
    except (BackendUnavailable, JudgeError):
        return None


class Judge:
    """Judges the answers of a run, one call per answer, and records the outcome in the form
    ``CaseResult.judge`` keeps: the scores, or ``{"error": reason}``."""

    def __init__(
        self,
        chat_model: BaseChatModel,
        prompts_dir: Path,
        max_consecutive_down: int = MAX_CONSECUTIVE_DOWN,
    ) -> None:
        check_prompts(prompts_dir)
        self.chat_model = chat_model
        self.prompts_dir = prompts_dir
        self.max_consecutive_down = max_consecutive_down
        self._down = 0
        self._last_reason = ""

    @property
    def name(self) -> str:
        model = getattr(self.chat_model, "model_name", None) or getattr(
            self.chat_model, "model", None
        )
        kind = type(self.chat_model).__name__
        return f"{kind} {model}" if isinstance(model, str) and model else kind

    def __call__(self, case: Case, answer: Answer) -> dict[str, float | str]:
        if self._down >= self.max_consecutive_down:
            return {
                "error": f"skipped: the judge failed {self._down} times in a row "
                f"({self._last_reason})"
            }
        try:
            score = ask_judge(self.chat_model, case, answer, self.prompts_dir)
        except BackendUnavailable as exc:
            self._down += 1
            self._last_reason = str(exc)
            return {"error": f"judge unavailable: {exc}"}
        except JudgeError as exc:
            self._down = 0
            return {"error": str(exc)}
        self._down = 0
        return {
            "faithfulness": float(score.faithfulness),
            "relevance": float(score.relevance),
            "reason": score.reason,
        }


def normalise(score: float) -> float:
    """A 1-5 score on the 0..1 scale of the other rates: (score - 1) / 4."""
    return (score - 1) / 4


def judge_overall(case_results: Sequence[CaseResult]) -> dict[str, float | None]:
    """``judge_faithfulness`` and ``judge_relevance`` (means of the normalised scores over the
    judged answers; None when none was judged) and ``judge_errors`` (count). Empty when no case
    of the configuration went to the judge."""
    sent = [c.judge for c in case_results if c.judge is not None]
    if not sent:
        return {}
    out: dict[str, float | None] = {}
    for key in ("faithfulness", "relevance"):
        values = [normalise(v) for j in sent if isinstance(v := j.get(key), float | int)]
        out[f"judge_{key}"] = sum(values) / len(values) if values else None
    out["judge_errors"] = float(sum(1 for j in sent if "error" in j))
    return out


def judge_errors(case_results: Sequence[CaseResult]) -> list[str]:
    """The reasons of the judge errors, in case order."""
    return [
        f"{c.config} {c.case_id}: {c.judge['error']}"
        for c in case_results
        if c.judge is not None and "error" in c.judge
    ]
