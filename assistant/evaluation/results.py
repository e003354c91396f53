"""Evaluation results: one :class:`CaseResult` per case and configuration, a :class:`RunResults`
per run, saved as ``results.json``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field

from assistant.errors import AssistantError
from assistant.models import Lang

Scalar = str | int | float | bool | None

PASS_MIN_FACT_COVERAGE = 0.5


class ResultsFileError(AssistantError):
    """A results.json that cannot be read."""


class CaseResult(BaseModel):
    """What one configuration did with one case, and the case's metric values.

    ``metrics`` holds per-case values keyed by metric name (``recall_at_5``, ``mrr``,
    ``ndcg_at_10``, ``fact_coverage``, ``lead_has_answer``, ``answer_chars``,
    ``padding_share``, ``citation_validity``, ``citation_support``, ``language_match``);
    ``None`` or a missing key means "not applicable" (e.g. retrieval metrics on an
    unanswerable case, citation validity of a refusal, the length of a refused answer).
    """

    model_config = ConfigDict(extra="ignore")

    case_id: str
    config: str
    lang: Lang
    answerable: bool
    question: str
    turns: int = Field(0, description="Earlier turns in the case's history (0: single-turn).")
    split: Literal["dev", "test"] = Field(
        "dev", description="The case's split (results files from before splits: dev)."
    )
    kind: str | None = Field(None, description="What the case probes (the case's kind).")
    facts: list[list[str]] = Field(default_factory=list, description="Expected fact groups.")
    retrieved_ids: list[str] = Field(default_factory=list, description="Chunk ids, ranked.")
    gains: list[int] = Field(
        default_factory=list, description="Graded relevance of each retrieved chunk."
    )
    refused: bool = False
    answer: str = ""
    lead: str = Field("", description="The answer's first sentence (empty for a refusal).")
    answer_lang: str | None = None
    citations: int = Field(0, description="Number of citations in the answer.")
    metrics: dict[str, float | None] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage.")
    error: str | None = Field(None, description="Set when the case could not be run.")
    judge: dict[str, float | str] | None = Field(
        None,
        description="The optional LLM judge (not offline, never part of the verdict): "
        "faithfulness and relevance 1-5 and a reason, or an error; None when not judged.",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """The per-case verdict.

        - an error fails the case;
        - answerable: not refused, fact coverage >= 0.5 and citation validity == 1.0;
        - unanswerable: refused.
        """
        if self.error is not None:
            return False
        if not self.answerable:
            return self.refused
        coverage = self.metrics.get("fact_coverage")
        validity = self.metrics.get("citation_validity")
        return (
            not self.refused
            and coverage is not None
            and coverage >= PASS_MIN_FACT_COVERAGE
            and validity == 1.0
        )


class Violation(BaseModel):
    """A metric on the wrong side of its threshold (or not measured at all)."""

    config: str
    metric: str
    bound: Literal["min", "max"]
    threshold: float
    value: float | None
    split: str = Field("all", description="The cases checked: 'test' or 'all'.")

    def __str__(self) -> str:
        where = self.config if self.split == "all" else f"{self.config} [{self.split}]"
        if self.value is None:
            return f"{where}: {self.metric} not measured (threshold {self.threshold:g})"
        op = "<" if self.bound == "min" else ">"
        return f"{where}: {self.metric} = {self.value:.3f} {op} {self.threshold:g} ({self.bound})"


class GateVerdict(BaseModel):
    thresholds_file: str | None = None
    violations: list[Violation] = Field(default_factory=list)
    skipped: list[str] = Field(
        default_factory=list, description="Threshold sections naming no configuration in the run."
    )
    splits: dict[str, str] = Field(
        default_factory=dict,
        description="Per checked configuration, the cases its thresholds were applied to: "
        "'test' when it ran test cases, else 'all'.",
    )

    @property
    def passed(self) -> bool:
        return not self.violations


class ConfigResults(BaseModel):
    """One configuration (a retrieval mode / backend / baseline) of a run."""

    name: str
    description: str = ""
    overall: dict[str, float | None] = Field(default_factory=dict)
    by_split: dict[str, dict[str, float | None]] = Field(
        default_factory=dict,
        description="The overall metrics per split (dev, test) that has cases; empty in "
        "results files from before splits.",
    )
    cases: list[CaseResult] = Field(default_factory=list)

    def case(self, case_id: str) -> CaseResult | None:
        return next((c for c in self.cases if c.case_id == case_id), None)

    @property
    def gated_split(self) -> str:
        """What the gate checks: ``test`` when the configuration ran test cases, else ``all``."""
        return "test" if "test" in self.by_split else "all"

    def metrics_for(self, split: str) -> dict[str, float | None]:
        """The overall metrics of one split (``dev``, ``test``) or of all cases (``all``);
        empty for a split without cases."""
        return self.overall if split == "all" else self.by_split.get(split, {})


class RunResults(BaseModel):
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    settings: dict[str, Scalar | list[str]] = Field(
        default_factory=dict, description="What the run used: embedder, top_k, backend, files."
    )
    configs: dict[str, ConfigResults] = Field(default_factory=dict)
    gate: GateVerdict | None = None

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> RunResults:
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ResultsFileError(f"{path}: results file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ResultsFileError(f"{path}: cannot read results file ({exc})") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ResultsFileError(
                f"{path}: not a results file ({where}: {first['msg']})"
            ) from None
