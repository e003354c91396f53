"""The evaluation report: Markdown with chart files beside it, and a self-contained HTML page.

Charts are drawn by matplotlib (``charts.py``, optional): written as ``charts/*.svg`` next to
``report.md``, which links them, and inlined into ``report.html``. Without matplotlib both
reports are written all the same, with a line saying how to get the charts. The HTML page has
inline CSS and inline SVG only: no scripts, no fonts, no external URLs, so it can be mailed or
archived as one file. Every piece of text from cases, answers and settings is HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from assistant.evaluation.charts import NEEDS_MATPLOTLIB, Chart, inline_svg, render_charts
from assistant.evaluation.compare import Comparison, Flip, MetricDelta
from assistant.evaluation.metrics import (
    CHAR_METRICS,
    COUNTS,
    JUDGE_COUNTS,
    JUDGE_KEYS,
    JUDGE_METRICS,
    LATENCY_METRIC,
    METRICS,
    SPLITS,
    bootstrap_intervals,
    facts_covered,
    label,
    lower_is_better,
)
from assistant.evaluation.results import CaseResult, ConfigResults, RunResults

EXCERPT_CHARS = 300
CHARTS_DIR = "charts"
#: Configurations that are baselines, not the product (the per-kind table skips them).
BASELINE_CONFIGS = frozenset({"extractive-v1", "naive-rag"})
SPLIT_ROWS_LATENCY = ("latency_total_p50_ms", "latency_total_p95_ms")


def write_report(
    results: RunResults, out_dir: Path, comparison: Comparison | None = None
) -> tuple[Path, Path]:
    """Write ``report.md``, ``report.html`` and (with matplotlib) ``charts/*.svg`` into
    ``out_dir``; return the two reports' paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = render_charts(results)
    if charts is not None:
        folder = out_dir / CHARTS_DIR
        folder.mkdir(exist_ok=True)
        for chart in charts:
            (folder / f"{chart.name}.svg").write_text(chart.svg, encoding="utf-8")
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    md_path.write_text(render_markdown(results, comparison, charts), encoding="utf-8")
    html_path.write_text(render_html(results, comparison, charts), encoding="utf-8")
    return md_path, html_path


# --- shared -----------------------------------------------------------------------------


def metric_rows(results: RunResults) -> list[str]:
    """Metric keys of the headline table: rates in definition order, then latency, counts."""
    present: dict[str, None] = {}
    for cfg in results.configs.values():
        present.update(dict.fromkeys(cfg.overall))
    rates = [m for m in METRICS if m in present]
    latency = [m for m in present if LATENCY_METRIC.match(m)]
    counts = [m for m in COUNTS if m in present]
    # the LLM judge's keys have their own section (_md_judge), apart from the offline metrics
    others = [m for m in present if m not in {*rates, *latency, *counts, *JUDGE_KEYS}]
    return rates + latency + others + counts


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric in COUNTS or metric in JUDGE_COUNTS:
        return str(int(value))
    if metric in CHAR_METRICS:
        return f"{value:.0f}"
    if LATENCY_METRIC.match(metric):
        return f"{value:.0f}" if value >= 100 else f"{value:.1f}"
    return f"{value:.3f}"


def fmt_delta(metric: str, delta: float | None) -> str:
    if delta is None:
        return "n/a"
    return ("+" if delta >= 0 else "-") + fmt(metric, abs(delta))


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def comparison_grid(
    comparison: Comparison,
) -> tuple[list[str], list[tuple[str, list[MetricDelta | None]]]]:
    """Configurations, and per metric that changed in any of them one delta per configuration
    (None where the configuration does not have the metric)."""
    configs = list(dict.fromkeys(d.config for d in comparison.deltas))
    cells: dict[str, dict[str, MetricDelta]] = {}
    for d in comparison.deltas:
        cells.setdefault(d.metric, {})[d.config] = d
    changed = [m for m, row in cells.items() if any(d.direction != "same" for d in row.values())]
    order = {m: i for i, m in enumerate(METRICS)}
    changed.sort(key=lambda m: (0, order[m]) if m in order else (1, 0))
    return configs, [(m, [cells[m].get(c) for c in configs]) for m in changed]


def _ordered_flips(comparison: Comparison) -> list[Flip]:
    """Regressions first, then fixes."""
    return comparison.regressions + comparison.fixes


def _md_delta(metric: str, d: MetricDelta | None) -> str:
    if d is None:
        return ""
    if d.direction == "same":
        return f"{fmt(metric, d.current)} (=)"
    return f"{fmt(metric, d.previous)} → {fmt(metric, d.current)} ({fmt_delta(metric, d.delta)})"


def failed_cases(results: RunResults) -> dict[str, list[CaseResult]]:
    return {n: [c for c in cfg.cases if not c.passed] for n, cfg in results.configs.items()}


def _case_status(case: CaseResult) -> str:
    parts = ["answerable" if case.answerable else "unanswerable", case.lang, case.split]
    if case.kind:
        parts.append(case.kind)
    if case.turns:
        parts.append(f"{case.turns} earlier turns")
    if case.refused:
        parts.append("refused")
    if case.error:
        parts.append("error")
    return ", ".join(parts)


def has_splits(results: RunResults) -> bool:
    return any(cfg.by_split for cfg in results.configs.values())


def split_rows(results: RunResults) -> list[str]:
    """Metric keys of the dev/test table: the rates, total latency and the case count."""
    present: dict[str, None] = {}
    for cfg in results.configs.values():
        for values in cfg.by_split.values():
            present.update(dict.fromkeys(values))
    keys = [*METRICS, *SPLIT_ROWS_LATENCY, "cases"]
    return [k for k in keys if k in present]


def split_columns(results: RunResults) -> list[tuple[str, str]]:
    """(configuration, split) pairs, dev before test, for the splits each one ran."""
    return [(n, s) for n, cfg in results.configs.items() for s in SPLITS if s in cfg.by_split]


def product_config(results: RunResults) -> ConfigResults | None:
    """The product's configuration: ``hybrid`` when it ran, else the first non-baseline."""
    if "hybrid" in results.configs:
        return results.configs["hybrid"]
    return next((c for n, c in results.configs.items() if n not in BASELINE_CONFIGS), None)


def kind_rows(cfg: ConfigResults) -> tuple[str, list[list[str]]]:
    """The per-kind table of one configuration on its test split (all cases when it ran no
    test cases): kind, cases, lead has answer, fact coverage, refusal rate."""
    split = cfg.gated_split
    cases = [c for c in cfg.cases if split == "all" or c.split == split]
    kinds: dict[str, list[CaseResult]] = {}
    for c in sorted(cases, key=lambda c: c.kind or "~"):
        kinds.setdefault(c.kind or "(no kind)", []).append(c)

    def mean(values: list[float | None]) -> str:
        present = [v for v in values if v is not None]
        return f"{sum(present) / len(present):.3f}" if present else "n/a"

    rows = []
    for kind, group in kinds.items():
        answerable = [c for c in group if c.answerable]
        rows.append(
            [
                kind,
                str(len(group)),
                mean([c.metrics.get("lead_has_answer") for c in answerable]),
                mean([c.metrics.get("fact_coverage") for c in answerable]),
                mean([float(c.refused) for c in group]),
            ]
        )
    return split, rows


KIND_HEADER = ["Kind", "Cases", "Lead has answer", "Fact coverage", "Refusal rate"]
INTERVAL_HEADER = ["Metric", "Value", "90% interval", "One case moves it by"]


def interval_rows(results: RunResults) -> tuple[str, str, list[list[str]]]:
    """(configuration, split, rows): the product's quality figures on its gated split with a
    bootstrap interval each, so a reader can tell a change from noise."""
    product = product_config(results)
    if product is None or not product.cases:
        return "", "", []
    split = product.gated_split
    cases = [c for c in product.cases if split == "all" or c.split == split]
    values = product.metrics_for(split)
    rows = [
        [
            label(m),
            fmt(m, values.get(m)),
            f"{fmt(m, iv.low)} – {fmt(m, iv.high)}",
            f"{iv.one_case:.3f}",
        ]
        for m, iv in bootstrap_intervals(cases).items()
    ]
    return product.name, split, rows


INTERVAL_NOTE = (
    "Percentile bootstrap over the cases (2,000 resamples, seeded). Two runs whose figures "
    "differ by less than the interval's width have not shown a difference; the gate's floors "
    "(eval/thresholds.toml) sit about one or two cases under the committed figures."
)


def gate_note(results: RunResults) -> str:
    gate = results.gate
    if gate is None or not gate.splits:
        return ""
    tested = sorted(n for n, s in gate.splits.items() if s == "test")
    if not tested:
        return "Thresholds were applied to all cases (the run has no test cases)."
    return f"Thresholds were applied to the test split ({', '.join(tested)})."


def _settings_items(results: RunResults) -> list[tuple[str, str]]:
    items = [("created", results.created_at.isoformat(timespec="seconds"))]
    for key, value in results.settings.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        items.append((key, shown))
    return items


# --- Markdown ---------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _md_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], text_columns: int = 1
) -> list[str]:
    """A Markdown table; the first ``text_columns`` columns left-aligned, the rest right."""
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |"]
    aligns = ("---" if i < text_columns else "---:" for i in range(len(header)))
    lines.append("|" + "|".join(aligns) + "|")
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(
    results: RunResults, comparison: Comparison | None = None, charts: list[Chart] | None = None
) -> str:
    """The Markdown report; ``charts`` (from :func:`render_charts`, written under
    ``charts/``) are linked, and without them a line says how to get them."""
    names = list(results.configs)
    out = ["# Evaluation report", ""]
    out += [f"- **{k}**: {_md_cell(v)}" for k, v in _settings_items(results)]
    descriptions = [(n, c.description) for n, c in results.configs.items() if c.description]
    if descriptions:
        out += ["", "Configurations:", ""]
        out += [f"- **{_md_cell(n)}**: {_md_cell(d)}" for n, d in descriptions]
    out += ["", "## Overall (all cases)", ""]
    rows = [
        [label(m), *(fmt(m, results.configs[n].overall.get(m)) for n in names)]
        for m in metric_rows(results)
    ]
    out += _md_table(["Metric", *names], rows)

    if has_splits(results):
        columns = split_columns(results)
        out += ["", "## Dev and test", ""]
        out.append(
            "dev cases may be used to tune the answerer; test cases only measure it, so the "
            "test columns are the honest figures."
        )
        out.append("")
        rows = [
            [label(m), *(fmt(m, results.configs[n].by_split[s].get(m)) for n, s in columns)]
            for m in split_rows(results)
        ]
        out += _md_table(["Metric", *(f"{n} {s}" for n, s in columns)], rows)

    name, isplit, irows = interval_rows(results)
    if irows:
        scope = "test split" if isplit == "test" else "all cases"
        out += ["", f"## How sure: {_md_cell(name)} ({scope})", "", INTERVAL_NOTE, ""]
        out += _md_table(INTERVAL_HEADER, irows)

    product = product_config(results)
    if product is not None and product.cases:
        split, rows = kind_rows(product)
        scope = "test split" if split == "test" else "all cases"
        out += ["", f"## Per kind: {_md_cell(product.name)} ({scope})", ""]
        out += _md_table(KIND_HEADER, rows)

    if results.gate is not None:
        gate = results.gate
        out += ["", "## Thresholds", ""]
        out.append(
            f"**{'PASSED' if gate.passed else 'FAILED'}**"
            + (f" ({_md_cell(gate.thresholds_file)})" if gate.thresholds_file else "")
        )
        if gate_note(results):
            out += ["", gate_note(results)]
        out += [""] + [f"- {_md_cell(str(v))}" for v in gate.violations]
        if gate.skipped:
            out.append(f"- skipped (not in this run): {', '.join(gate.skipped)}")

    out += ["", "## Charts", ""]
    if charts is None:
        out.append(NEEDS_MATPLOTLIB)
    elif not charts:
        out.append("No data to chart.")
    for chart in charts or []:
        out += [f"![{chart.title}]({CHARTS_DIR}/{chart.name}.svg)", ""]

    out += _md_judge(results)

    if comparison is not None:
        out += ["", "## Comparison with the previous run", ""]
        out.append(
            f"Previous run {comparison.previous_created_at}, "
            f"current run {comparison.current_created_at}: previous → current (change). "
            "Metrics unchanged in every configuration are omitted."
        )
        out += [f"\n{_md_cell(note)}" for note in comparison.notes]
        out.append("")
        configs, grid = comparison_grid(comparison)
        if grid:
            out += _md_table(
                ["Metric", *configs],
                [[label(m), *(_md_delta(m, d) for d in row)] for m, row in grid],
            )
        else:
            out.append("No metric changed.")
        out += ["", "### Flipped cases", ""]
        if comparison.flips:
            out += [
                f"- {f.kind} **{_md_cell(f.config)}** `{f.case_id}`: {_md_cell(f.question)}"
                for f in _ordered_flips(comparison)
            ]
        else:
            out.append("No case changed its verdict.")
        for title, names_ in (
            ("Configurations added", comparison.added_configs),
            ("Configurations removed", comparison.removed_configs),
        ):
            if names_:
                out += ["", f"{title}: {', '.join(names_)}"]

    out += ["", "## Failed cases", ""]
    for name, cases in failed_cases(results).items():
        total = len(results.configs[name].cases)
        out += [f"### {name} ({len(cases)} of {total} failed)", ""]
        for case in cases:
            out.append(f"- **`{case.case_id}`** ({_case_status(case)}): {_md_cell(case.question)}")
            if case.facts:
                covered = facts_covered(case.answer, case.facts)
                facts = "; ".join(
                    ("✓ " if ok else "✗ ") + " / ".join(group)
                    for group, ok in zip(case.facts, covered, strict=True)
                )
                out.append(f"  - expected facts: {_md_cell(facts)}")
            if case.error:
                out.append(f"  - error: {_md_cell(case.error)}")
            out.append(f"  - answer: {_md_cell(excerpt(case.answer)) or '(empty)'}")
        if not cases:
            out.append("None.")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --- HTML -------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;
padding:0 1rem;color:#222;line-height:1.4}
h1,h2,h3{line-height:1.2}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ddd;padding:.25rem .6rem}
th{background:#f4f4f4;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.best{font-weight:700}.better{color:#2e7d32}.worse{color:#c62828}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:.3rem;color:#fff;font-weight:700}
.pass{background:#2e7d32}.fail{background:#c62828}
dl.settings{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem}
dl.settings dt{font-weight:600}dl.settings dd{margin:0}
svg{max-width:100%;height:auto}figure{margin:1rem 0}figcaption{color:#666}
details{margin:.3rem 0}summary{cursor:pointer}.muted{color:#666}
.facts li.ok::marker{content:"✓ ";color:#2e7d32}
.facts li.missing::marker{content:"✗ ";color:#c62828}
blockquote{margin:.3rem 0 .6rem;padding:.3rem .8rem;border-left:3px solid #ccc;background:#fafafa}
"""


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(
    results: RunResults, comparison: Comparison | None = None, charts: list[Chart] | None = None
) -> str:
    """The self-contained HTML report, ``charts`` inlined (a note instead when None)."""
    names = list(results.configs)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Evaluation report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Evaluation report</h1>",
        '<dl class="settings">',
        *(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _settings_items(results)),
        "</dl>",
    ]
    if results.gate is not None:
        gate = results.gate
        cls, word = ("pass", "PASSED") if gate.passed else ("fail", "FAILED")
        parts.append(f'<p>Thresholds: <span class="badge {cls}">{word}</span>')
        if gate.thresholds_file:
            parts.append(f' <span class="muted">{e(gate.thresholds_file)}</span>')
        parts.append("</p>")
        if gate.violations:
            parts.append("<ul>" + "".join(f"<li>{e(v)}</li>" for v in gate.violations) + "</ul>")
        if gate.skipped:
            parts.append(
                f'<p class="muted">Skipped (not in this run): {e(", ".join(gate.skipped))}</p>'
            )
        if gate_note(results):
            parts.append(f'<p class="muted">{e(gate_note(results))}</p>')

    described = [(n, c.description) for n, c in results.configs.items() if c.description]
    if described:
        items = "".join(f"<li><b>{e(n)}</b>: {e(d)}</li>" for n, d in described)
        parts.append(f"<ul>{items}</ul>")
    parts += ["<h2>Overall (all cases)</h2>", _html_overall(results, names)]
    if has_splits(results):
        parts += ["<h2>Dev and test</h2>", _html_splits(results)]
    name, isplit, irows = interval_rows(results)
    if irows:
        scope = "test split" if isplit == "test" else "all cases"
        parts += [
            f"<h2>How sure: {e(name)} ({scope})</h2>",
            f'<p class="muted">{e(INTERVAL_NOTE)}</p>',
            _html_table(INTERVAL_HEADER, irows),
        ]
    product = product_config(results)
    if product is not None and product.cases:
        split, rows = kind_rows(product)
        scope = "test split" if split == "test" else "all cases"
        parts += [f"<h2>Per kind: {e(product.name)} ({scope})</h2>", _html_table(KIND_HEADER, rows)]
    parts += ["<h2>Charts</h2>", _html_charts(charts)]
    parts += _html_judge(results)
    if comparison is not None:
        parts += ["<h2>Comparison with the previous run</h2>", _html_comparison(comparison)]
    parts += ["<h2>Failed cases</h2>", _html_failed(results)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_overall(results: RunResults, names: list[str]) -> str:
    rows = []
    for m in metric_rows(results):
        values = [results.configs[n].overall.get(m) for n in names]
        present = [v for v in values if v is not None]
        best = None
        if len(names) > 1 and present and m not in COUNTS:
            best = min(present) if lower_is_better(m) else max(present)
        cells = "".join(
            f'<td class="num{" best" if v is not None and v == best else ""}">{e(fmt(m, v))}</td>'
            for v in values
        )
        rows.append(f"<tr><th>{e(label(m))}</th>{cells}</tr>")
    head = "".join(f"<th>{e(n)}</th>" for n in names)
    body = "".join(rows)
    return f"<table><thead><tr><th>Metric</th>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_splits(results: RunResults) -> str:
    columns = split_columns(results)
    head = "".join(f"<th>{e(n)}<br>{e(s)}</th>" for n, s in columns)
    body = "".join(
        f"<tr><th>{e(label(m))}</th>"
        + "".join(
            f'<td class="num">{e(fmt(m, results.configs[n].by_split[s].get(m)))}</td>'
            for n, s in columns
        )
        + "</tr>"
        for m in split_rows(results)
    )
    note = (
        '<p class="muted">dev cases may be used to tune the answerer; test cases only measure '
        "it, so the test columns are the honest figures.</p>"
    )
    return (
        f"{note}<table><thead><tr><th>Metric</th>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _html_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{e(c)}</td>" if i == 0 else f'<td class="num">{e(c)}</td>'
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_charts(charts: list[Chart] | None) -> str:
    if charts is None:
        return f'<p class="muted">{e(NEEDS_MATPLOTLIB)}</p>'
    if not charts:
        return '<p class="muted">No data to chart.</p>'
    return "\n".join(
        f"<figure>{inline_svg(c.svg, f'chart{i}')}<figcaption>{e(c.title)}</figcaption></figure>"
        for i, c in enumerate(charts)
    )


def _html_comparison(comparison: Comparison) -> str:
    out = [
        f'<p class="muted">Previous run {e(comparison.previous_created_at)}, current run '
        f"{e(comparison.current_created_at)}: previous → current (change). Metrics unchanged in "
        "every configuration are omitted.</p>"
    ]
    out += [f"<p>{e(note)}</p>" for note in comparison.notes]
    configs, grid = comparison_grid(comparison)
    if grid:
        head = "".join(f"<th>{e(c)}</th>" for c in configs)
        out.append(f"<table><thead><tr><th>Metric</th>{head}</tr></thead><tbody>")
        for m, row in grid:
            cells = "".join(_html_delta(m, d) for d in row)
            out.append(f"<tr><th>{e(label(m))}</th>{cells}</tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>No metric changed.</p>")
    out.append("<h3>Flipped cases</h3>")
    if comparison.flips:
        out.append("<ul>")
        for f in _ordered_flips(comparison):
            cls = "better" if f.after else "worse"
            out.append(
                f'<li><span class="{cls}">{e(f.kind)}</span> <b>{e(f.config)}</b> '
                f"<code>{e(f.case_id)}</code>: {e(f.question)}</li>"
            )
        out.append("</ul>")
    else:
        out.append("<p>No case changed its verdict.</p>")
    for title, names in (
        ("Configurations added", comparison.added_configs),
        ("Configurations removed", comparison.removed_configs),
    ):
        if names:
            out.append(f"<p>{title}: {e(', '.join(names))}</p>")
    return "\n".join(out)


def _html_delta(metric: str, d: MetricDelta | None) -> str:
    if d is None:
        return "<td></td>"
    if d.direction == "same":
        return f'<td class="num muted">{e(fmt(metric, d.current))}</td>'
    return (
        f'<td class="num">{e(fmt(metric, d.previous))} → {e(fmt(metric, d.current))} '
        f'<span class="{e(d.direction)}">({e(fmt_delta(metric, d.delta))})</span></td>'
    )


def _html_failed(results: RunResults) -> str:
    out = []
    for name, cases in failed_cases(results).items():
        total = len(results.configs[name].cases)
        out.append(
            f'<h3>{e(name)} <span class="muted">({len(cases)} of {total} failed)</span></h3>'
        )
        if not cases:
            out.append("<p>None.</p>")
        for case in cases:
            out.append(
                f"<details><summary><code>{e(case.case_id)}</code> {e(case.question)} "
                f'<span class="muted">({e(_case_status(case))})</span></summary>'
            )
            if case.facts:
                covered = facts_covered(case.answer, case.facts)
                items = "".join(
                    f'<li class="{"ok" if ok else "missing"}">{e(" / ".join(group))}</li>'
                    for group, ok in zip(case.facts, covered, strict=True)
                )
                out.append(f'<p>Expected facts:</p><ul class="facts">{items}</ul>')
            if case.error:
                out.append(f"<p>Error: {e(case.error)}</p>")
            out.append(f"<blockquote>{e(excerpt(case.answer)) or '(empty answer)'}</blockquote>")
            out.append("</details>")
    return "\n".join(out)


# --- LLM judge (not offline) ------------------------------------------------------------

JUDGE_TITLE = "LLM judge (not offline)"
JUDGE_LOW = 2  # a judged score at or below this is listed with the judge's reason
JUDGE_LISTED = 20


def judge_configs(results: RunResults) -> list[str]:
    """The configurations whose answers went to the LLM judge."""
    return [n for n, cfg in results.configs.items() if any(k in cfg.overall for k in JUDGE_KEYS)]


def judge_note(results: RunResults) -> str:
    who = results.settings.get("judge")
    return (
        f"Scores from an LLM judge{f' ({who})' if who else ''}, 1-5 per answer with a prompt "
        "in the case's language, shown as the mean of (score - 1) / 4 over the judged answers "
        "(1.000: every answer 5 of 5). These are model opinions, not measurements: separate "
        "from the offline metrics above, never part of a case's pass/fail, and only as good "
        "as the judging model. Judge errors: answers the judge could not score (model down or "
        "an unusable reply)."
    )


def low_judged(results: RunResults) -> list[CaseResult]:
    """Judged answers with a score of at most ``JUDGE_LOW``, lowest first."""
    low = []
    for cfg in results.configs.values():
        for c in cfg.cases:
            numbers = [v for v in _judge_numbers(c) if v is not None]
            if numbers and min(numbers) <= JUDGE_LOW:
                low.append((min(numbers), c))
    low.sort(key=lambda pair: pair[0])
    return [c for _, c in low[:JUDGE_LISTED]]


def _judge_numbers(case: CaseResult) -> tuple[float | None, float | None]:
    """The case's judged (faithfulness, relevance), None where it has none."""
    j = case.judge or {}
    f, r = j.get("faithfulness"), j.get("relevance")
    return (
        f if isinstance(f, float | int) else None,
        r if isinstance(r, float | int) else None,
    )


def _judge_scores(case: CaseResult) -> str:
    f, r = (("?" if v is None else f"{v:g}") for v in _judge_numbers(case))
    return f"faithfulness {f}, relevance {r}"


def _md_judge(results: RunResults) -> list[str]:
    names = judge_configs(results)
    if not names:
        return []
    out = ["", f"## {JUDGE_TITLE}", "", judge_note(results), ""]
    rows = [
        [label(m), *(fmt(m, results.configs[n].overall.get(m)) for n in names)]
        for m in (*JUDGE_METRICS, *JUDGE_COUNTS)
    ]
    out += _md_table(["Judge", *names], rows)
    low = low_judged(results)
    if low:
        out += ["", f"Answers the judge scored {JUDGE_LOW} or lower:", ""]
        out += [
            f"- **{_md_cell(c.config)}** `{c.case_id}` ({_judge_scores(c)}): "
            f"{_md_cell(str((c.judge or {}).get('reason', '')))}"
            for c in low
        ]
    return out


def _html_judge(results: RunResults) -> list[str]:
    names = judge_configs(results)
    if not names:
        return []
    head = "".join(f"<th>{e(n)}</th>" for n in names)
    rows = "".join(
        f"<tr><th>{e(label(m))}</th>"
        + "".join(
            f'<td class="num">{e(fmt(m, results.configs[n].overall.get(m)))}</td>' for n in names
        )
        + "</tr>"
        for m in (*JUDGE_METRICS, *JUDGE_COUNTS)
    )
    out = [
        f"<h2>{e(JUDGE_TITLE)}</h2>",
        f'<p class="muted">{e(judge_note(results))}</p>',
        f"<table><thead><tr><th>Judge</th>{head}</tr></thead><tbody>{rows}</tbody></table>",
    ]
    low = low_judged(results)
    if low:
        items = "".join(
            f"<li><b>{e(c.config)}</b> <code>{e(c.case_id)}</code> ({e(_judge_scores(c))}): "
            f"{e((c.judge or {}).get('reason', ''))}</li>"
            for c in low
        )
        out.append(f"<p>Answers the judge scored {JUDGE_LOW} or lower:</p><ul>{items}</ul>")
    return out
