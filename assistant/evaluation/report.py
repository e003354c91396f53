"""The evaluation report: Markdown and a self-contained HTML page with hand-made SVG charts.

The HTML page has inline CSS and inline SVG only: no scripts, no fonts, no external URLs, so
it can be mailed or archived as one file. Every piece of text from cases, answers and settings
is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from assistant.evaluation.compare import Comparison, Flip, MetricDelta
from assistant.evaluation.metrics import (
    COUNTS,
    JUDGE_COUNTS,
    JUDGE_KEYS,
    JUDGE_METRICS,
    LATENCY_METRIC,
    METRICS,
    facts_covered,
    label,
    lower_is_better,
    percentiles,
    stage_timings,
)
from assistant.evaluation.results import CaseResult, RunResults

EXCERPT_CHARS = 300
GRID_WRAP = 50  # cases per row of the pass/fail grid
# Okabe-Ito, colour-blind safe.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999933", "#000000")
PASS_COLOUR, FAIL_COLOUR, ERROR_COLOUR, MISSING_COLOUR = "#2e7d32", "#c62828", "#4a148c", "#dddddd"


def write_report(
    results: RunResults, out_dir: Path, comparison: Comparison | None = None
) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    md_path.write_text(render_markdown(results, comparison), encoding="utf-8")
    html_path.write_text(render_html(results, comparison), encoding="utf-8")
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
    parts = ["answerable" if case.answerable else "unanswerable", case.lang]
    if case.turns:
        parts.append(f"{case.turns} earlier turns")
    if case.refused:
        parts.append("refused")
    if case.error:
        parts.append("error")
    return ", ".join(parts)


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


def render_markdown(results: RunResults, comparison: Comparison | None = None) -> str:
    names = list(results.configs)
    out = ["# Evaluation report", ""]
    out += [f"- **{k}**: {_md_cell(v)}" for k, v in _settings_items(results)]
    out += ["", "## Overall", ""]
    rows = [
        [label(m), *(fmt(m, results.configs[n].overall.get(m)) for n in names)]
        for m in metric_rows(results)
    ]
    out += _md_table(["Metric", *names], rows)

    if results.gate is not None:
        gate = results.gate
        out += ["", "## Thresholds", ""]
        out.append(
            f"**{'PASSED' if gate.passed else 'FAILED'}**"
            + (f" ({_md_cell(gate.thresholds_file)})" if gate.thresholds_file else "")
        )
        out += [""] + [f"- {_md_cell(str(v))}" for v in gate.violations]
        if gate.skipped:
            out.append(f"- skipped (not in this run): {', '.join(gate.skipped)}")

    out += _md_judge(results)

    if comparison is not None:
        out += ["", "## Comparison with the previous run", ""]
        out.append(
            f"Previous run {comparison.previous_created_at}, "
            f"current run {comparison.current_created_at}: previous → current (change). "
            "Metrics unchanged in every configuration are omitted."
        )
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
svg{max-width:100%;height:auto;font-size:11px}svg text{fill:#333}
details{margin:.3rem 0}summary{cursor:pointer}.muted{color:#666}
.facts li.ok::marker{content:"✓ ";color:#2e7d32}
.facts li.missing::marker{content:"✗ ";color:#c62828}
blockquote{margin:.3rem 0 .6rem;padding:.3rem .8rem;border-left:3px solid #ccc;background:#fafafa}
"""


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(results: RunResults, comparison: Comparison | None = None) -> str:
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

    parts += ["<h2>Overall</h2>", _html_overall(results, names)]
    parts += ["<h2>Metrics per configuration</h2>", svg_metric_bars(results)]
    parts += ["<h2>Cases: pass / fail</h2>", svg_pass_grid(results)]
    parts += ["<h2>Latency per stage</h2>", svg_latency(results)]
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


def _html_comparison(comparison: Comparison) -> str:
    out = [
        f'<p class="muted">Previous run {e(comparison.previous_created_at)}, current run '
        f"{e(comparison.current_created_at)}: previous → current (change). Metrics unchanged in "
        "every configuration are omitted.</p>"
    ]
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


# --- SVG charts -------------------------------------------------------------------------


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    # Inline SVG in HTML5 needs no xmlns, which keeps the page free of any URL.
    return (
        f'<svg viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-label="{e(title)}">' + "".join(body) + "</svg>"
    )


def _legend(names: list[str], x: float, y: float) -> list[str]:
    out = []
    for i, name in enumerate(names):
        yy = y + i * 16
        out.append(
            f'<rect x="{x:.1f}" y="{yy - 9:.1f}" width="10" height="10" fill="{_colour(i)}"/>'
        )
        out.append(f'<text x="{x + 15:.1f}" y="{yy:.1f}">{e(name)}</text>')
    return out


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def svg_metric_bars(results: RunResults) -> str:
    """Grouped bars: one group per rate metric (0..1), one bar per configuration."""
    names = list(results.configs)
    metrics = [
        m for m in METRICS if any(results.configs[n].overall.get(m) is not None for n in names)
    ]
    if not names or not metrics:
        return '<p class="muted">No metrics to plot.</p>'
    bar, gap, left, top, plot_h = 12.0, 14.0, 40.0, 12.0, 200.0
    # Labels are rotated by 40 degrees: about 6.5 px per character, sin(40) = 0.64 of it down.
    bottom = 24 + 0.64 * 6.5 * max(len(_bar_label(m)) for m in metrics)
    group_w = bar * len(names) + gap
    legend_w = 24 + 7 * max(len(n) for n in names)
    width = left + group_w * len(metrics) + 20 + legend_w
    height = top + plot_h + bottom
    body = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        body.append(
            f'<line x1="{left:.1f}" x2="{left + group_w * len(metrics):.1f}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#e0e0e0"/>'
        )
        body.append(f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
    for gi, m in enumerate(metrics):
        gx = left + gi * group_w + gap / 2
        for ci, n in enumerate(names):
            v = results.configs[n].overall.get(m)
            x = gx + ci * bar
            tip = f"{n} · {label(m)}: {fmt(m, v)}"
            if v is None:
                body.append(
                    f'<text x="{x + bar / 2:.1f}" y="{top + plot_h - 3:.1f}" text-anchor="middle" '
                    f'font-size="8"><title>{e(tip)}</title>-</text>'
                )
                continue
            h = plot_h * max(0.0, min(1.0, v))
            body.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 1:.1f}" '
                f'height="{h:.1f}" fill="{_colour(ci)}"><title>{e(tip)}</title></rect>'
            )
        lx, ly = gx + group_w / 2 - gap / 2, top + plot_h + 10
        body.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="end" '
            f'transform="rotate(-40 {lx:.1f} {ly:.1f})">{e(_bar_label(m))}</text>'
        )
    body.append(
        f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{top:.1f}" y2="{top + plot_h:.1f}" '
        'stroke="#999"/>'
    )
    body += _legend(names, left + group_w * len(metrics) + 20, top + 10)
    return _svg(width, height, body, "Metrics per configuration")


def _bar_label(metric: str) -> str:
    return label(metric) + (" (lower is better)" if lower_is_better(metric) else "")


def svg_pass_grid(results: RunResults) -> str:
    """One cell per case and configuration: rows are configurations, columns cases (wrapped)."""
    names = list(results.configs)
    ids: dict[str, None] = {}
    for n in names:
        ids.update(dict.fromkeys(c.case_id for c in results.configs[n].cases))
    case_ids = list(ids)
    if not names or not case_ids:
        return '<p class="muted">No cases.</p>'
    by_config = {n: {c.case_id: c for c in results.configs[n].cases} for n in names}
    cell, pad = 14.0, 2.0
    left = 12 + 7 * max(len(n) for n in names)
    per_row = min(GRID_WRAP, len(case_ids))
    block_h = 16 + len(names) * (cell + pad) + 10
    blocks = math.ceil(len(case_ids) / per_row)
    width = left + per_row * (cell + pad) + 10
    height = blocks * block_h + 24
    body = []
    for b in range(blocks):
        chunk = case_ids[b * per_row : (b + 1) * per_row]
        y0 = b * block_h
        body.append(
            f'<text x="{left:.1f}" y="{y0 + 11:.1f}" class="muted">cases {b * per_row + 1}-'
            f"{b * per_row + len(chunk)}</text>"
        )
        for ri, n in enumerate(names):
            y = y0 + 16 + ri * (cell + pad)
            body.append(
                f'<text x="{left - 6:.1f}" y="{y + cell - 3:.1f}" text-anchor="end">{e(n)}</text>'
            )
            for ci, case_id in enumerate(chunk):
                case = by_config[n].get(case_id)
                colour, tip = _grid_cell(n, case_id, case)
                x = left + ci * (cell + pad)
                body.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell:.0f}" height="{cell:.0f}" '
                    f'fill="{colour}"><title>{e(tip)}</title></rect>'
                )
    ly = blocks * block_h + 12
    for i, (text, colour) in enumerate(
        (
            ("pass", PASS_COLOUR),
            ("fail", FAIL_COLOUR),
            ("error", ERROR_COLOUR),
            ("not run", MISSING_COLOUR),
        )
    ):
        x = left + i * 80
        body.append(f'<rect x="{x:.1f}" y="{ly - 9:.1f}" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{x + 14:.1f}" y="{ly:.1f}">{text}</text>')
    return _svg(width, height, body, "Pass or fail per case and configuration")


def _grid_cell(config: str, case_id: str, case: CaseResult | None) -> tuple[str, str]:
    if case is None:
        return MISSING_COLOUR, f"{case_id} · {config}: not run"
    if case.error:
        return ERROR_COLOUR, f"{case_id} · {config}: ERROR {case.error} — {case.question}"
    verdict = "PASS" if case.passed else "FAIL"
    detail = [_case_status(case)]
    coverage = case.metrics.get("fact_coverage")
    if coverage is not None:
        detail.append(f"fact coverage {coverage:.2f}")
    colour = PASS_COLOUR if case.passed else FAIL_COLOUR
    return colour, f"{case_id} · {config}: {verdict} ({', '.join(detail)}) — {case.question}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def svg_latency(results: RunResults) -> str:
    """A box plot per stage: one row per configuration. Whiskers min-max, box p25-p75, a line
    at the median and a diamond at p95. Each stage has its own millisecond scale."""
    names = list(results.configs)
    timings = {n: stage_timings(results.configs[n].cases) for n in names}
    stages: dict[str, None] = {}
    for n in names:
        stages.update(dict.fromkeys(timings[n]))
    if not stages:
        return '<p class="muted">No timings recorded.</p>'
    charts = []
    row_h, left, plot_w = 20.0, 12 + 7 * max(len(n) for n in names), 480.0
    for stage in stages:
        top_value = _nice_max(max(max(v) for n in names if (v := timings[n].get(stage))))
        scale = plot_w / top_value
        height = 22 + row_h * len(names) + 26
        body = [f'<text x="0" y="12" font-weight="600">{e(stage)}</text>']
        axis_y = 22 + row_h * len(names)
        for i in range(5):
            t = top_value * i / 4
            x = left + t * scale
            body.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="18" y2="{axis_y:.1f}" stroke="#eee"/>'
            )
            body.append(
                f'<text x="{x:.1f}" y="{axis_y + 14:.1f}" text-anchor="middle">{t:g} ms</text>'
            )
        for ri, n in enumerate(names):
            values = timings[n].get(stage)
            y = 22 + ri * row_h
            cy = y + row_h / 2
            body.append(
                f'<text x="{left - 6:.1f}" y="{cy + 4:.1f}" text-anchor="end">{e(n)}</text>'
            )
            if not values:
                continue
            lo, q1, med, q3, p95, hi = percentiles(values, (0, 25, 50, 75, 95, 100))
            tip = (
                f"{n} · {stage}: n={len(values)}, min {lo:.1f}, p50 {med:.1f}, "
                f"p95 {p95:.1f}, max {hi:.1f} ms"
            )
            colour = _colour(ri)
            body.append(f"<g><title>{e(tip)}</title>")
            body.append(
                f'<line x1="{left + lo * scale:.1f}" x2="{left + hi * scale:.1f}" y1="{cy:.1f}" '
                f'y2="{cy:.1f}" stroke="{colour}"/>'
            )
            body.append(
                f'<rect x="{left + q1 * scale:.1f}" y="{y + 4:.1f}" '
                f'width="{max(1.0, (q3 - q1) * scale):.1f}" height="{row_h - 8:.1f}" '
                f'fill="{colour}" fill-opacity="0.35" stroke="{colour}"/>'
            )
            mx = left + med * scale
            body.append(
                f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{y + 3:.1f}" y2="{y + row_h - 3:.1f}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
            px = left + p95 * scale
            body.append(
                f'<path d="M{px:.1f} {cy - 4:.1f}L{px + 4:.1f} {cy:.1f}L{px:.1f} {cy + 4:.1f}'
                f'L{px - 4:.1f} {cy:.1f}Z" fill="{colour}"/>'
            )
            body.append("</g>")
        charts.append(_svg(left + plot_w + 30, height, body, f"Latency of stage {stage}"))
    note = '<p class="muted">Whiskers: min-max; box: p25-p75; bar: median; diamond: p95.</p>'
    return note + "\n" + "\n".join(charts)


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
