"""The threshold gate: minimum (and maximum) metric values per configuration, from TOML.

``eval/thresholds.toml`` has one table per configuration name; ``metric = value`` is a lower
bound, ``metric_max = value`` an upper bound::

    [hybrid]
    recall_at_5 = 0.9
    wrong_refusal_rate_max = 0.1

Thresholds apply to the **test** split of a configuration when it ran test cases (the dev
split is where the answerer is tuned, so passing there proves little), else to all its cases.
Tables naming a configuration that is not in the run are skipped (reported, not failed). A
metric the run could not measure (value None, e.g. refusal recall without unanswerable cases)
is a violation: a gate that passes because nothing was measured is no gate.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from assistant.errors import AssistantError
from assistant.evaluation.metrics import COUNTS, METRICS, is_known_metric
from assistant.evaluation.results import GateVerdict, RunResults, Violation

__all__ = [
    "Threshold",
    "ThresholdsError",
    "Violation",
    "check",
    "load_thresholds",
    "parse_thresholds",
    "verdict",
]


class ThresholdsError(AssistantError):
    """A thresholds file that cannot be used; the message names file, table and key."""


class Threshold(BaseModel):
    config: str
    metric: str
    bound: Literal["min", "max"]
    value: float


def load_thresholds(path: Path) -> list[Threshold]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ThresholdsError(f"{path}: thresholds file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ThresholdsError(f"{path}: cannot read thresholds file ({exc})") from None
    return parse_thresholds(text, source=str(path))


def parse_thresholds(text: str, source: str = "<thresholds>") -> list[Threshold]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdsError(f"{source}: invalid TOML: {exc}") from None
    out: list[Threshold] = []
    for config, table in data.items():
        if not isinstance(table, dict):
            raise ThresholdsError(
                f"{source}: {config!r} must be a table ([{config}]) of metric = value"
            )
        for key, value in table.items():
            where = f"{source}: [{config}] {key}"
            bound: Literal["min", "max"] = "max" if key.endswith("_max") else "min"
            metric = key.removesuffix("_max").removesuffix("_min")
            if not is_known_metric(metric):
                known = ", ".join((*METRICS, *COUNTS))
                raise ThresholdsError(
                    f"{where}: unknown metric {metric!r} (known: {known}, "
                    "latency_<stage>_p50_ms, latency_<stage>_p95_ms; add _max for an upper bound)"
                )
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ThresholdsError(f"{where}: threshold must be a number, got {value!r}")
            out.append(Threshold(config=config, metric=metric, bound=bound, value=float(value)))
    return out


def check(results: RunResults, thresholds: list[Threshold]) -> list[Violation]:
    """Every threshold of a configuration in the run that its metrics break: those of its test
    split when it ran test cases, else those of all its cases."""
    violations: list[Violation] = []
    for t in thresholds:
        config = results.configs.get(t.config)
        if config is None:
            continue
        split = config.gated_split
        value = config.metrics_for(split).get(t.metric)
        broken = (
            value is None
            or (t.bound == "min" and value < t.value)
            or (t.bound == "max" and value > t.value)
        )
        if broken:
            violations.append(
                Violation(
                    config=t.config,
                    metric=t.metric,
                    bound=t.bound,
                    threshold=t.value,
                    value=value,
                    split=split,
                )
            )
    return violations


def verdict(
    results: RunResults, thresholds: list[Threshold], thresholds_file: Path | None = None
) -> GateVerdict:
    """:func:`check` plus the threshold tables that named no configuration of the run."""
    skipped = sorted({t.config for t in thresholds if t.config not in results.configs})
    checked = dict.fromkeys(t.config for t in thresholds if t.config in results.configs)
    return GateVerdict(
        thresholds_file=str(thresholds_file) if thresholds_file else None,
        violations=check(results, thresholds),
        skipped=skipped,
        splits={name: results.configs[name].gated_split for name in checked},
    )
