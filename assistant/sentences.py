"""Sentence boundaries for Swedish and English text, as character spans.

Abbreviations such as "t ex", "t.ex.", "dvs", "bl.a.", "sk", "m.fl." do not end a sentence,
nor do numbers in lists ("1. Gör …" starts an item, it is not a sentence of its own).
"""

from __future__ import annotations

import re

# Lower-cased abbreviations (without trailing period) after which a period is not an end.
ABBREVIATIONS = frozenset(
    [
        "t.ex",
        "tex",
        "t",
        "ex",
        "bl.a",
        "bla",
        "dvs",
        "d.v.s",
        "s.k",
        "sk",
        "m.fl",
        "mfl",
        "m.m",
        "mm",
        "o.s.v",
        "osv",
        "p.g.a",
        "pga",
        "fr.o.m",
        "t.o.m",
        "f.d",
        "fd",
        "ca",
        "resp",
        "jfr",
        "nr",
        "st",
        "kap",
        "s.a.s",
        "e.d",
        "m.a.o",
        "mao",
        "inkl",
        "exkl",
        "obs",
        "etc",
        "ev",
        "el",
        "enl",
        "ang",
        "e.g",
        "i.e",
        "vs",
        "cf",
        "fig",
        "figur",
        "dr",
        "prof",
        "mr",
        "mrs",
        "ms",
        "jr",
        "sr",
        "st",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
    ]
)

_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+|$)")
_PARA = re.compile(r"\n\s*\n")
_WS = re.compile(r"\s")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` closes an abbreviation or an ordinal/list number."""
    if text[dot] != ".":
        return False
    start = dot
    while start > 0 and not _WS.match(text[start - 1]):
        start -= 1
    word = text[start:dot].lower().lstrip("(\"'”“")
    if not word:
        return False
    if word in ABBREVIATIONS:
        return True
    # "t ex" / "s k" written with spaces: look one word further back
    prev_start = start - 1
    while prev_start > 0 and not _WS.match(text[prev_start - 1]):
        prev_start -= 1
    two = text[prev_start:dot].lower().strip()
    if two in ABBREVIATIONS:
        return True
    original = text[start:dot].lstrip("(\"'”“")
    if len(original) == 1 and original.isupper():  # initials: "A. Svensson" (not "håller i.")
        return True
    # "1." at the start of a line or paragraph is a list number, not a sentence
    return word.isdigit() and (start == 0 or text[start - 1] == "\n")


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Spans [start, end) of the sentences in ``text`` (shifted by ``offset``), whitespace
    trimmed. Paragraph breaks always end a sentence; every non-space character is in one span."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for para in [*_PARA.finditer(text), None]:
        p_end = para.start() if para else len(text)
        _split_block(text, pos, p_end, spans)
        if para:
            pos = para.end()
    return [(s + offset, e + offset) for s, e in spans]


def _split_block(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    block = text[start:end]
    cur = 0
    for m in _END.finditer(block):
        stop = m.end()
        if _is_abbreviation(block, m.start()):
            continue
        # the next sentence should start with an upper-case letter, digit, quote or dash
        rest = block[stop:].lstrip()
        if rest and rest[0].islower():
            continue
        _emit(text, start + cur, start + stop, out)
        cur = stop
    _emit(text, start + cur, end, out)


def _emit(text: str, s: int, e: int, out: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if s < e:
        out.append((s, e))


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


QUOTATION_MARKS = '“”„"«»'  # not ’ and ': those are apostrophes too


def unpaired_quote_mark(text: str) -> tuple[int, int]:
    """How many characters to leave out at the start and at the end of a sentence so that it
    holds no quotation mark whose partner lies in another sentence: the first and the last
    sentence of a quotation ("“Industriföretag måste …", "… även i produktion.”") would be
    shown as ”“Industriföretag …” on a slide and as "… produktion.”" in an answer."""
    if sum(text.count(q) for q in QUOTATION_MARKS) % 2:
        if text[:1] in QUOTATION_MARKS:
            return 1, 0
        if text[-1:] in QUOTATION_MARKS:
            return 0, 1
    return 0, 0
