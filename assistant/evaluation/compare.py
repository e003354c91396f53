"""Compare two runs: per configuration and metric the change, and the cases that flipped."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.evaluation.metrics import lower_is_better
from assistant.evaluation.results import RunResults

#: Changes smaller than this are reported as unchanged (float noise, latency jitter aside).
EPSILON = 1e-9


class MetricDelta(BaseModel):
    config: str
    metric: str
    previous: float | None
    current: float | None
    delta: float | None = Field(description="current - previous; None when either is missing.")
    direction: Literal["better", "worse", "same", "n/a"] = Field(
        description="'same' also when neither run measured it; 'n/a' when only one did."
    )


class Flip(BaseModel):
    config: str
    case_id: str
    question: str
    before: bool = Field(description="Passed in the previous run.")
    after: bool = Field(description="Passed in the current run.")

    @property
    def kind(self) -> str:
        return "fail->pass" if self.after else "pass->fail"


class Comparison(BaseModel):
    previous_created_at: str
    current_created_at: str
    deltas: list[MetricDelta] = Field(default_factory=list)
    flips: list[Flip] = Field(default_factory=list)
    added_configs: list[str] = Field(default_factory=list)
    removed_configs: list[str] = Field(default_factory=list)
    added_cases: dict[str, list[str]] = Field(
        default_factory=dict, description="Per configuration: case ids only in the current run."
    )
    removed_cases: dict[str, list[str]] = Field(
        default_factory=dict, description="Per configuration: case ids only in the previous run."
    )
    notes: list[str] = Field(
        default_factory=list,
        description="What limits the comparison, e.g. a previous run from before splits.",
    )

    @property
    def regressions(self) -> list[Flip]:
        return [f for f in self.flips if f.before and not f.after]

    @property
    def fixes(self) -> list[Flip]:
        return [f for f in self.flips if f.after and not f.before]


def _direction(
    metric: str, before: float | None, after: float | None
) -> Literal["better", "worse", "same", "n/a"]:
    if before is None and after is None:
        return "same"
    if before is None or after is None:
        return "n/a"
    delta = after - before
    if abs(delta) <= EPSILON:
        return "same"
    improved = delta < 0 if lower_is_better(metric) else delta > 0
    return "better" if improved else "worse"


def compare(previous: RunResults, current: RunResults) -> Comparison:
    """Metric deltas for every metric of every configuration present in both runs (current
    order; on all cases of each run), and the cases (matched by id) whose pass/fail verdict
    changed."""
    out = Comparison(
        previous_created_at=previous.created_at.isoformat(timespec="seconds"),
        current_created_at=current.created_at.isoformat(timespec="seconds"),
        added_configs=[n for n in current.configs if n not in previous.configs],
        removed_configs=[n for n in previous.configs if n not in current.configs],
        notes=_notes(previous, current),
    )
    for name, cur in current.configs.items():
        prev = previous.configs.get(name)
        if prev is None:
            continue
        metrics = list(cur.overall) + [m for m in prev.overall if m not in cur.overall]
        for metric in metrics:
            before, after = prev.overall.get(metric), cur.overall.get(metric)
            delta = after - before if before is not None and after is not None else None
            out.deltas.append(
                MetricDelta(
                    config=name,
                    metric=metric,
                    previous=before,
                    current=after,
                    delta=delta,
                    direction=_direction(metric, before, after),
                )
            )
        prev_cases = {c.case_id: c for c in prev.cases}
        cur_ids = {c.case_id for c in cur.cases}
        for case in cur.cases:
            old = prev_cases.get(case.case_id)
            if old is not None and old.passed != case.passed:
                out.flips.append(
                    Flip(
                        config=name,
                        case_id=case.case_id,
                        question=case.question,
                        before=old.passed,
                        after=case.passed,
                    )
                )
        added = [c.case_id for c in cur.cases if c.case_id not in prev_cases]
        removed = [c.case_id for c in prev.cases if c.case_id not in cur_ids]
        if added:
            out.added_cases[name] = added
        if removed:
            out.removed_cases[name] = removed
    return out


def _notes(previous: RunResults, current: RunResults) -> list[str]:
    notes = []
    if previous.configs and not any(c.by_split for c in previous.configs.values()):
        notes.append(
            "The previous results.json is from before dev/test splits: the comparison is on all "
            "cases of each run, and metrics it did not measure (lead has answer, answer length, "
            "padding share) show as n/a."
        )
    before, after = previous.settings.get("split"), current.settings.get("split")
    if before is not None and after is not None and before != after:
        notes.append(
            f"The runs cover different splits (previous: {before}, current: {after}): "
            "the figures are not comparable."
        )
    return notes
