"""The evaluation case format (JSONL, one case per line) and its loader.

A line looks like::

    {"id": "q01", "lang": "sv", "question": "Vad är 5S?",
     "history": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}],
     "evidence": ["sortera, systematisera"], "facts": [["sortera"], ["standardisera"]],
     "answerable": true, "split": "test", "kind": "definition"}

``evidence`` holds verbatim phrases from the corpus: a retrieved chunk is relevant when it
contains any of them after :func:`normalise_for_match`. ``facts`` holds groups of alternative
phrases: an answer covers a group when it contains any phrase of it. Unknown fields are
rejected, so a misspelt field name is an error rather than a silently ignored value.
``split`` says what a case may be used for: ``dev`` cases may tune the answerer (its weights
and thresholds), ``test`` cases only measure it; the README's figures come from ``test``.
``kind`` names what the case probes (free text, used to group results in the report).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.errors import AssistantError
from assistant.models import Lang, Turn

Split = Literal["dev", "test"]


class CaseFileError(AssistantError):
    """A case file that cannot be read; the message names file, line and field."""


class _FieldError(ValueError):
    """A check that belongs to one field, named by its full path (so the error can name it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Case(BaseModel):
    """One evaluation question with its expected evidence and facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    lang: Lang
    question: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    facts: list[list[str]] = Field(default_factory=list)
    answerable: bool
    split: Split = Field(
        "dev", description="dev: may be used to tune the answerer; test: only to report figures."
    )
    kind: str | None = Field(None, description="What the case probes, e.g. 'type-duration'.")
    written: Literal["targeted", "blind"] = Field(
        "targeted",
        description="targeted: written for a known failure kind; blind: by someone who read only "
        "the documents, never an answer or the code (the closest to real users' questions).",
    )

    @field_validator("id", "question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("evidence")
    @classmethod
    def _evidence_phrases(cls, value: list[str]) -> list[str]:
        for i, phrase in enumerate(value):
            if not normalise_for_match(phrase):
                raise _FieldError(f"evidence[{i}]", "evidence phrase must not be blank")
        return value

    @field_validator("facts")
    @classmethod
    def _fact_groups(cls, value: list[list[str]]) -> list[list[str]]:
        for i, group in enumerate(value):
            if not group:
                raise _FieldError(f"facts[{i}]", "a facts group needs at least one phrase")
            for j, phrase in enumerate(group):
                if not normalise_for_match(phrase):
                    raise _FieldError(f"facts[{i}][{j}]", "fact phrase must not be blank")
        return value

    @model_validator(mode="after")
    def _answerable_needs_expectations(self) -> Case:
        if self.answerable and not self.evidence:
            raise _FieldError("evidence", "an answerable case needs at least one evidence phrase")
        if self.answerable and not self.facts:
            raise _FieldError("facts", "an answerable case needs at least one facts group")
        return self

    @property
    def is_multi_turn(self) -> bool:
        return bool(self.history)


# --- matching ---------------------------------------------------------------------------

# A line-end hyphen followed by a lower-case letter is a word broken by the layout ("under-\n
# håll"), except before a conjunction, where it is a Swedish suspended hyphen ("kvalitets-\noch
# miljöarbete") and must stay.
_SUSPENDED_BEFORE = r"(?:och|eller|samt|resp|respektive|and|or)\b"
_HYPHEN_BREAK = re.compile(rf"-[ \t]*\r?\n[ \t]*(?!{_SUSPENDED_BEFORE})(?=[^\W\d_])")
_WHITESPACE = re.compile(r"\s+")


def normalise_for_match(text: str) -> str:
    """Normalise text for phrase matching: NFC, soft hyphens removed, line-end hyphenation
    joined (``-\\n`` or ``- \\n`` followed by a lower-case letter), lower-cased, every run of
    whitespace folded to one space, ends stripped. Applied to both sides of a comparison."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "")
    text = _HYPHEN_BREAK.sub(_join_if_lower, text)
    return _WHITESPACE.sub(" ", text.lower()).strip()


def _join_if_lower(match: re.Match[str]) -> str:
    following = match.string[match.end() : match.end() + 1]
    return "" if following.islower() else match.group(0)


def contains_phrase(text: str, phrase: str) -> bool:
    """True when ``phrase`` occurs in ``text`` after normalising both."""
    needle = normalise_for_match(phrase)
    return bool(needle) and needle in normalise_for_match(text)


# --- loading ----------------------------------------------------------------------------


def load_cases(paths: list[Path]) -> list[Case]:
    """Read cases from JSONL files (a directory stands for its ``*.jsonl`` files, sorted).

    Blank lines are skipped. Raises :class:`CaseFileError` naming file, line and field for
    unreadable files, invalid JSON, non-object lines, schema violations, files without cases
    and case ids that repeat (across all the given files, since results are keyed by id).
    """
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in _expand(paths):
        found = 0
        for lineno, data in _read_jsonl(path):
            where = f"{path}:{lineno}"
            try:
                case = Case.model_validate(data)
            except ValidationError as exc:
                raise CaseFileError(_format_validation(where, exc)) from None
            if case.id in seen:
                raise CaseFileError(
                    f"{where}: field 'id': duplicate id {case.id!r} (first at {seen[case.id]})"
                )
            seen[case.id] = where
            cases.append(case)
            found += 1
        if not found:
            raise CaseFileError(f"{path}: no cases in file")
    return cases


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inner = sorted(path.glob("*.jsonl"))
            if not inner:
                raise CaseFileError(f"{path}: no .jsonl case files in directory")
            files.extend(inner)
        else:
            files.append(path)
    return files


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CaseFileError(f"{path}: case file not found") from None
    except UnicodeDecodeError as exc:
        raise CaseFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CaseFileError(f"{path}: cannot read case file ({exc.strerror})") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CaseFileError(
                f"{path}:{lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
            ) from None
        if not isinstance(data, dict):
            raise CaseFileError(f"{path}:{lineno}: expected a JSON object, got {_json_type(data)}")
        rows.append((lineno, data))
    return rows


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"


def _format_validation(where: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        field = _loc(err["loc"])
        message = err["msg"]
        problem = (err.get("ctx") or {}).get("error")
        if isinstance(problem, _FieldError):
            field, message = problem.field, str(problem)
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        lines.append(f"{where}: field '{field}': {message}" if field else f"{where}: {message}")
    return "\n".join(lines)


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
