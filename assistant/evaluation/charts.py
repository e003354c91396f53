"""The report's charts, drawn with matplotlib (optional extra: ``pip install -e .[eval]``).

Rendered offline with the Agg canvas to SVG, text kept as text. :func:`render_charts` returns
standalone SVG documents (written next to ``report.md``); :func:`inline_svg` turns one into
markup for the self-contained HTML page: no XML prologue, no metadata, no namespace URLs, and
element ids prefixed so several charts can share one page. The one module that imports
matplotlib.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.evaluation.metrics import (
    RETRIEVAL_METRICS,
    label,
    lower_is_better,
    stage_timings,
)
from assistant.evaluation.results import RunResults

if TYPE_CHECKING:
    from matplotlib.axes import Axes

NEEDS_MATPLOTLIB = "Charts need matplotlib: pip install -e .[eval]"
# Okabe-Ito, colour-blind safe.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999933", "#000000")
SPLIT_COLOURS = {"dev": "#56B4E9", "test": "#0072B2"}
#: The answer metrics plotted per configuration and split.
ANSWER_CHART_METRICS = (
    "lead_has_answer",
    "fact_coverage",
    "refusal_recall",
    "wrong_refusal_rate",
    "padding_share",
)
LENGTH_TARGET = 500  # the target for the median answer length, drawn as a line
RC: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text: smaller files, searchable
    "svg.hashsalt": "eval-report",  # stable clip-path ids: the same run gives the same files
    "font.size": 9,
    "font.family": "sans-serif",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True)
class Chart:
    name: str  # file stem: charts/<name>.svg
    title: str
    svg: str  # a standalone SVG document


def available() -> bool:
    """True when matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def render_charts(results: RunResults) -> list[Chart] | None:
    """Every chart the run has data for; None when matplotlib is not installed."""
    if not available():
        return None
    import matplotlib

    charts = []
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        for name, title, draw in (
            ("retrieval", "Retrieval metrics per configuration (all cases)", _retrieval),
            ("answers", "Answer metrics per configuration and split", _answers),
            ("answer-length", "Answer length (answered answerable cases)", _lengths),
            ("latency", "Latency per stage (ms)", _latency),
        ):
            fig = draw(results)
            if fig is not None:
                charts.append(Chart(name, title, _svg(fig)))
    return charts


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _title(metric: str) -> str:
    return label(metric) + ("\n(lower is better)" if lower_is_better(metric) else "\n")


def _retrieval(results: RunResults) -> Any:
    names = [
        n
        for n, cfg in results.configs.items()
        if any(cfg.overall.get(m) is not None for m in RETRIEVAL_METRICS)
    ]
    if not names:
        return None
    fig = _figure(8.0, 3.2)
    ax = fig.add_subplot()
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        values = [results.configs[name].overall.get(m) for m in RETRIEVAL_METRICS]
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(RETRIEVAL_METRICS))]
        ax.bar(xs, [v or 0.0 for v in values], width, label=name, color=_colour(i))
    ax.set_xticks(range(len(RETRIEVAL_METRICS)), [label(m) for m in RETRIEVAL_METRICS])
    ax.set_ylim(0, 1.05)
    ax.grid(axis="y", color="#e0e0e0")
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _answers(results: RunResults) -> Any:
    names = list(results.configs)
    if not names:
        return None
    splits = [s for s in ("dev", "test") if any(s in c.by_split for c in results.configs.values())]
    if not splits:  # a results file from before splits: all cases as one bar
        splits = ["all"]
    fig = _figure(2.2 * len(ANSWER_CHART_METRICS), 0.9 + 0.28 * len(names) * len(splits))
    axes = fig.subplots(1, len(ANSWER_CHART_METRICS), sharey=True)
    height = 0.8 / len(splits)
    for ax, metric in zip(axes, ANSWER_CHART_METRICS, strict=True):
        for si, split in enumerate(splits):
            ys = [i + (si - (len(splits) - 1) / 2) * height for i in range(len(names))]
            values = [results.configs[n].metrics_for(split).get(metric) for n in names]
            colour = SPLIT_COLOURS.get(split, PALETTE[0])
            ax.barh(ys, [v or 0.0 for v in values], height, color=colour, label=split)
            for y, v in zip(ys, values, strict=True):
                shown = "n/a" if v is None else f"{v:.2f}"
                ax.text((v or 0.0) + 0.02, y, shown, va="center", fontsize=7)
        ax.set_title(_title(metric), fontsize=9)
        ax.set_xlim(0, 1.25)
        ax.set_xticks([0, 0.5, 1])
        ax.grid(axis="x", color="#e0e0e0")
        ax.set_axisbelow(True)
    axes[0].set_yticks(range(len(names)), names)
    axes[0].invert_yaxis()
    axes[-1].legend(loc="lower right", fontsize=7)
    return fig


def _lengths(results: RunResults) -> Any:
    data = {
        n: [
            v
            for c in cfg.cases
            if c.answerable and not c.refused and (v := c.metrics.get("answer_chars")) is not None
        ]
        for n, cfg in results.configs.items()
    }
    data = {n: v for n, v in data.items() if v}
    if not data:
        return None
    fig = _figure(8.0, 0.8 + 0.45 * len(data))
    ax = fig.add_subplot()
    _boxes(ax, list(data.values()))
    ax.set_yticks(range(1, len(data) + 1), list(data))
    ax.axvline(LENGTH_TARGET, color="#D55E00", linestyle="--", linewidth=1)
    ax.text(LENGTH_TARGET, 0.4, f" target p50 ≤ {LENGTH_TARGET}", color="#D55E00", fontsize=7)
    ax.set_xlabel("characters per answer (box: p25-p75, line: median, whiskers: 1.5 IQR)")
    ax.invert_yaxis()
    return fig


def _latency(results: RunResults) -> Any:
    timings = {n: stage_timings(cfg.cases) for n, cfg in results.configs.items()}
    stages = list(dict.fromkeys(s for t in timings.values() for s in t))
    if not stages:
        return None
    names = list(results.configs)
    cols = min(3, len(stages))
    rows = -(-len(stages) // cols)
    fig = _figure(3.2 * cols, rows * (0.7 + 0.35 * len(names)))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, stage in zip(axes, stages, strict=False):
        shown = [n for n in names if timings[n].get(stage)]
        _boxes(ax, [timings[n][stage] for n in shown])
        ax.set_yticks(range(1, len(shown) + 1), shown)
        ax.invert_yaxis()
        ax.set_title(stage, fontsize=9)
        ax.set_xlim(left=0)
        ax.set_xlabel("ms")
    for ax in axes[len(stages) :]:
        ax.set_visible(False)
    return fig


def _boxes(ax: Axes, data: Sequence[Sequence[float]]) -> None:
    import matplotlib

    # matplotlib 3.10 replaced vert=False by orientation="horizontal"
    major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
    horizontal = {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}
    parts = ax.boxplot([list(d) for d in data], patch_artist=True, widths=0.6, **horizontal)
    for i, box in enumerate(parts["boxes"]):
        box.set_facecolor(_colour(i))
        box.set_alpha(0.45)
    for median in parts["medians"]:
        median.set_color("#222222")
    for flier in parts["fliers"]:
        flier.set_markersize(3)
    ax.grid(axis="x", color="#e0e0e0")
    ax.set_axisbelow(True)


# --- inline SVG -------------------------------------------------------------------------

_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_XMLNS = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|xlink:href="#|href="#)([^)"]+)')


def inline_svg(svg: str, prefix: str) -> str:
    """A standalone SVG document as markup for inside an HTML page: no XML prologue or
    metadata, no namespace declarations (HTML5 needs none, and they are URLs), and every id
    and reference to one prefixed with ``prefix-``."""
    svg = _METADATA.sub("", _PROLOGUE.sub("", svg, count=1))
    svg = _XMLNS.sub("", svg)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m[1]}"', svg)
    return _REF.sub(lambda m: f"{m[1]}{prefix}-{m[2]}", svg).strip()
