"""The sources of an answer: numbered cards with the cited sentences highlighted (no gradio)."""

from __future__ import annotations

import re

from ..citations import ELLIPSIS
from ..models import Citation
from ..ui_text import text
from .render import esc

_HEADING_MARK = re.compile(r"(?m)^((?:<mark>)?)#{1,6} ")


def _highlight(c: Citation) -> str:
    """The passage with each quoted piece in ``<mark>``; every piece escaped."""
    passage = c.passage
    ranges: list[tuple[int, int]] = []
    pos = max(0, c.start - c.passage_start)
    for piece in c.quote.split(ELLIPSIS):
        piece = piece.strip()
        if not piece:
            continue
        found = passage.find(piece, pos)
        if found < 0:
            found = passage.find(piece)
        if found >= 0:
            ranges.append((found, found + len(piece)))
            pos = found + len(piece)
    if not ranges:  # fall back to the span the citation reports
        a, b = c.start - c.passage_start, c.end - c.passage_start
        ranges = [(a, b)] if 0 <= a < b <= len(passage) else []
    out: list[str] = []
    cur = 0
    for a, b in sorted(ranges):
        if a < cur:
            continue
        out.append(esc(passage[cur:a]))
        out.append(f"<mark>{esc(passage[a:b])}</mark>")
        cur = b
    out.append(esc(passage[cur:]))
    # Markdown heading marks ("## Rubrik") are noise to a reader; the text stays as it is
    return _HEADING_MARK.sub(r"\1", "".join(out))


def render_sources(citations: list[Citation], lang: str) -> str:
    """The sources panel: number, title, organisation, date, page and the highlighted passage."""
    head = f"<h3>{esc(text(lang, 'sources'))}</h3>"
    if not citations:
        hint = f"<p class='pr-hint'>{esc(text(lang, 'sources_empty'))}</p>"
        return f"<div class='pr-sources'>{head}{hint}</div>"
    items = []
    for c in citations:
        meta = [c.organisation or "", c.date or text(lang, "no_date")]
        if c.page is not None:
            meta.append(f"{text(lang, 'page')} {c.page}")
        items.append(
            f"<div class='pr-source' id='pr-source-{c.number}'>"
            f"<div class='pr-source-head'><span class='pr-num'>[{c.number}]</span>"
            f"{esc(c.title)}</div>"
            f"<div class='pr-meta'>{esc(' · '.join(m for m in meta if m))}</div>"
            f"<div class='pr-passage'>{_highlight(c)}</div></div>"
        )
    return f"<div class='pr-sources'>{head}{''.join(items)}</div>"
