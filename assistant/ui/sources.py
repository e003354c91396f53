"""An answer's sources, rendered under the answer itself (no gradio here).

Each answer keeps its own sources: the ``[n]`` markers of its text become buttons
(``.pr-chip``, read as "[n]") that open the answer's source list and point at the excerpt
they cite; classes link them (``pr-a<answer> pr-c<n>``: gradio's sanitiser drops data
attributes). One card per document; in it one excerpt per cited passage: the section heading
and page, the cited sentences highlighted with a sentence of context either side, and the
whole passage behind "Visa mer". Markdown in the passages is shown as plain text. A refusal's
sources are "närliggande avsnitt": shown without highlighting, since they are not evidence.
Everything that comes from a document or a user is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..citations import ELLIPSIS, MARKER
from ..models import Citation
from ..sentences import split_sentences
from ..ui_text import text
from .render import esc

_HEADING = re.compile(r"^#{1,6}[ \t]+(.*?)[ \t#]*$")
_LIST = re.compile(r"^[ \t]*[-*+][ \t]+")
_QUOTE = re.compile(r"^[ \t]*>[ \t]?")
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]+\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


# --- Markdown shown as text --------------------------------------------------------------------


def plain(markdown: str, *, line_start: bool = True) -> str:
    """``markdown`` as a reader sees it: no heading marks, quote marks, list dashes (a bullet
    instead), emphasis stars or link targets. ``line_start`` says whether the text begins a
    line (a piece cut from the middle of a line keeps its first characters)."""
    lines = markdown.split("\n")
    out = []
    for i, line in enumerate(lines):
        if i > 0 or line_start:
            heading = _HEADING.match(line)
            if heading:
                line = heading.group(1)
            line = _QUOTE.sub("", line)
            line = _LIST.sub("• ", line)
        line = _LINK.sub(r"\1", line)
        out.append(_EMPHASIS.sub("", line))
    return "\n".join(out)


def _html_text(raw: str, *, line_start: bool = True) -> str:
    """Document text as HTML: Markdown shown as text, escaped, line breaks kept (no blank line
    survives, so the chat's Markdown renderer leaves the HTML block whole)."""
    shown = esc(plain(raw, line_start=line_start))
    return re.sub(r"\n", "<br>", shown)


# --- the answer's text ---------------------------------------------------------------------------


def chip(answer_key: str, number: int, title: str) -> str:
    """A citation marker as a button; screen readers read its text "[n]"."""
    return (
        f"<button class='pr-chip pr-a{esc(answer_key)} pr-c{number}' "
        f"title='{esc(title)}'>[{number}]</button>"
    )


def answer_html(answer_text: str, citations: Sequence[Citation], answer_key: str) -> str:
    """The answer's text as HTML with its markers as chips: paragraphs, list lines, quotes,
    ``**bold**``; everything else escaped."""
    titles = {c.number: c.title for c in citations}

    def inline(line: str) -> str:
        out: list[str] = []
        pos = 0
        for m in MARKER.finditer(line):
            out.append(_BOLD.sub(r"<strong>\1</strong>", esc(line[pos : m.start()])))
            numbers = [int(n) for n in m.group(1).split(",")]
            if all(n in titles for n in numbers):
                out.append("".join(chip(answer_key, n, titles[n]) for n in numbers))
            else:
                out.append(esc(m.group(0)))
            pos = m.end()
        out.append(_BOLD.sub(r"<strong>\1</strong>", esc(line[pos:])))
        return "".join(out)

    blocks: list[str] = []
    for para in re.split(r"\n\s*\n", answer_text.strip()):
        lines = [ln for ln in para.split("\n") if ln.strip()]
        if not lines:
            continue
        if all(_LIST.match(ln) for ln in lines):
            items = "".join(f"<li>{inline(_LIST.sub('', ln))}</li>" for ln in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif all(_QUOTE.match(ln) for ln in lines):
            body = "<br>".join(inline(_QUOTE.sub("", ln)) for ln in lines)
            blocks.append(f"<blockquote>{body}</blockquote>")
        else:
            rows: list[str] = []
            for ln in lines:
                if _QUOTE.match(ln):
                    rows.append(f"<q class='pr-q'>{inline(_QUOTE.sub('', ln))}</q>")
                elif _LIST.match(ln):
                    rows.append("• " + inline(_LIST.sub("", ln)))
                else:
                    rows.append(inline(ln))
            blocks.append(f"<p>{'<br>'.join(rows)}</p>")
    return "".join(blocks)


# --- the source cards ----------------------------------------------------------------------------


def _ranges(c: Citation) -> list[tuple[int, int]]:
    """Where the quoted pieces lie in the passage."""
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
    if not ranges and c.quote.strip():  # fall back to the span the citation reports
        a, b = c.start - c.passage_start, c.end - c.passage_start
        ranges = [(a, b)] if 0 <= a < b <= len(passage) else []
    return ranges


def _at_line_start(passage: str, i: int) -> bool:
    return i == 0 or passage[i - 1] == "\n"


def _marked(passage: str, ranges: list[tuple[int, int]], a: int, b: int) -> str:
    """``passage[a:b]`` as HTML with ``ranges`` in ``<mark>``."""
    out: list[str] = []
    cur = a
    for s, e in sorted(ranges):
        s, e = max(s, a), min(e, b)
        if s >= e or s < cur:
            continue
        out.append(_html_text(passage[cur:s], line_start=_at_line_start(passage, cur)))
        out.append(
            f"<mark>{_html_text(passage[s:e], line_start=_at_line_start(passage, s))}</mark>"
        )
        cur = e
    out.append(_html_text(passage[cur:b], line_start=_at_line_start(passage, cur)))
    return "".join(out)


def _drop_heading(passage: str, section: str | None) -> int:
    """Where the passage's text starts once a first line that repeats the section heading
    (shown above the excerpt) is left out."""
    first, nl, _rest = passage.partition("\n")
    m = _HEADING.match(first)
    if nl and m and section and m.group(1).strip() == section.strip():
        return len(first) + len(passage[len(first) :]) - len(passage[len(first) :].lstrip())
    return 0


def _excerpt(cites: list[Citation], section: str | None, lang: str, evidence: bool) -> str:
    c0 = cites[0]
    passage = c0.passage
    body_start = _drop_heading(passage, section)
    ranges = [r for c in cites for r in _ranges(c)] if evidence else []
    spans = [s for s in split_sentences(passage) if s[1] > body_start]
    if ranges:
        a, b = min(r[0] for r in ranges), max(r[1] for r in ranges)
        before = [s for s in spans if s[1] <= a]
        after = [s for s in spans if s[0] >= b]
        start = before[-1][0] if before else min(a, body_start)
        end = after[0][1] if after else b
    else:  # no evidence: the start of the passage (or the sentence it quotes) as context
        anchor = [s for s in spans if c0.quote and c0.quote.strip() in passage[s[0] : s[1]]]
        chosen = anchor[:1] or spans[:2]
        start = chosen[0][0] if chosen else body_start
        end = chosen[-1][1] if chosen else len(passage)
    shown = _marked(passage, ranges, start, end)
    if start > body_start:
        shown = "… " + shown
    if end < len(passage.rstrip()):
        shown += " …"
    where = []
    if section:
        where.append(f"{esc(text(lang, 'section'))}: {esc(plain(section))}")
    if c0.page is not None:
        where.append(f"{esc(text(lang, 'page'))} {c0.page}")
    numbers = " ".join(f"pr-c{c.number}" for c in cites)
    labels = "".join(f"<span class='pr-num'>[{c.number}]</span>" for c in cites)
    head = f"<div class='pr-where'>{labels}{' · '.join(where)}</div>"
    more = ""
    if (start, end) != (body_start, len(passage)) and len(passage) > end - start + 40:
        full = _marked(passage, ranges, body_start, len(passage))
        more = (
            f"<details class='pr-more'><summary>{esc(text(lang, 'show_more'))}</summary>"
            f"<div class='pr-passage'>{full}</div></details>"
        )
    return (
        f"<div class='pr-excerpt {numbers}' tabindex='-1'>{head}"
        f"<div class='pr-passage'>{shown}</div>{more}</div>"
    )


def _cards(
    citations: Sequence[Citation],
    lang: str,
    sections: Mapping[str, str | None],
    evidence: bool,
) -> list[str]:
    """One card per document, one excerpt per cited passage."""
    docs: dict[str, list[Citation]] = {}
    for c in citations:
        docs.setdefault(c.doc_id, []).append(c)
    cards = []
    for cites in docs.values():
        c0 = cites[0]
        meta = [c0.organisation or "", c0.date or text(lang, "no_date")]
        by_chunk: dict[str, list[Citation]] = {}
        for c in cites:
            by_chunk.setdefault(c.chunk_id, []).append(c)
        excerpts = "".join(
            _excerpt(group, sections.get(chunk_id), lang, evidence=evidence)
            for chunk_id, group in by_chunk.items()
        )
        cards.append(
            f"<div class='pr-source'><div class='pr-source-head'>{esc(plain(c0.title))}</div>"
            f"<div class='pr-meta'>{esc(' · '.join(m for m in meta if m))}</div>"
            f"{excerpts}</div>"
        )
    return cards


def render_sources(
    citations: Sequence[Citation],
    lang: str,
    *,
    answer_key: str = "0",
    sections: Mapping[str, str | None] | None = None,
    refusal: bool = False,
    open_: bool = False,
) -> str:
    """The sources of one answer as a collapsible list under it: one card per document, one
    excerpt per cited passage. ``sections`` maps chunk ids to section headings."""
    if not citations:
        return ""
    cards = _cards(citations, lang, sections or {}, evidence=not refusal)
    key = "nearby" if refusal else "sources"
    summary = text(lang, f"{key}_summary", n=len(cards))
    return (
        f"<details class='pr-sources pr-a{esc(answer_key)}{' pr-nearby' if refusal else ''}'"
        f"{' open' if open_ else ''}>"
        f"<summary>{esc(summary)}</summary>{''.join(cards)}</details>"
    )


def render_more(
    more: Sequence[Citation], lang: str, *, sections: Mapping[str, str | None] | None = None
) -> str:
    """An answer's "Läs mer": further passages that may answer the question (collapsed),
    each with its sentences highlighted, like the sources."""
    if not more:
        return ""
    cards = _cards(more, lang, sections or {}, evidence=True)
    summary = text(lang, "more_summary", n=len(more))
    return (
        f"<details class='pr-readmore'><summary>{esc(summary)}</summary>{''.join(cards)}</details>"
    )
