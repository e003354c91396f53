"""Repair text extracted from PDFs and web pages: Unicode and whitespace clean-up, line-end
hyphenation (keeping Swedish suspended hyphens such as "informations- och ledningssystem") and
reflow of hard-wrapped lines into paragraphs, leaving Markdown structure lines on their own.

``normalise`` is idempotent and never drops a word: it only removes, joins or folds whitespace,
hyphens at line ends and invisible characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator

# Words after which a hyphen at a line end is a suspended hyphen ("kort- och långsiktiga").
CONJUNCTIONS = frozenset({"och", "eller", "samt", "respektive", "resp", "resp.", "and", "or"})
# Capitalised words that take a hyphen in compounds ("Lean-baserat", "Corona-pandemin").
HYPHEN_PREFIXES = frozenset({"Lean", "Corona", "Covid"})

_CHAR_MAP: dict[int, str | None] = {
    **dict.fromkeys(range(0x00, 0x09), None),  # C0 controls except \t \n
    **dict.fromkeys(range(0x0E, 0x20), None),
    **dict.fromkeys(range(0x7F, 0xA0), None),  # DEL and C1 controls
    **dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None),  # soft hy., ZW
    **dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u205f\u3000"), " "),  # no-break/odd spaces
    **dict.fromkeys(range(0x2000, 0x200B), " "),
    **{ord(k): v for k, v in {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl"}.items()},
    **{ord("ﬅ"): "st", ord("ﬆ"): "st"},
}
_NEWLINES = re.compile(r"\r\n?|[\x0b\x85\u2028]")
_PARAGRAPH_SEPARATORS = re.compile(r"[\x0c\u2029]")
_SOFT_HYPHEN_BREAK = re.compile(r"\u00ad[ \t]*\n[ \t]*")
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t]+")

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
# A Markdown structure line: heading, quote, bullet, numbered item, table row, rule.
_STRUCTURE = re.compile(r"^[ \t]*(?:#{1,6}(?:[ \t]|$)|>|[-*+][ \t]|\d{1,3}[.)][ \t]|\|)")
# Structure lines that never take continuation lines: headings, table rows, rules.
_STANDALONE = re.compile(r"^[ \t]*(?:#{1,6}(?:[ \t]|$)|\||([-*_=])(?:[ \t]*\1){2,}[ \t]*$)")
_MARKER_PREFIX = re.compile(r"[ \t]*(?:#{1,6}|>|[-*+]|\d{1,3}[.)])[ \t]+[\"'“”‘’«»(\[*_]*")

# A hyphen ending a line, between a letter/digit and a letter/digit on the next line.
_LINE_END_HYPHEN = re.compile(r"(?<=[^\W_])-\n(\n?)[ \t]*(?=[^\W_])")
_LEFT = re.compile(r"[^\W_]+$")
_RIGHT = re.compile(r"[^\W_]+\.?")
_WORD = re.compile(r"[^\W_]+")
_MID_LINE_HYPHEN = re.compile(r"([^\W_]+)-(?=[^\W_])")
_OPENERS = " \t\n\"'“”‘’«»([*_"


def normalise(text: str) -> str:
    """Return ``text`` repaired and reflowed; see the module docstring."""
    text = _PARAGRAPH_SEPARATORS.sub("\n\n", _NEWLINES.sub("\n", text))
    text = _SOFT_HYPHEN_BREAK.sub("", text)
    text = unicodedata.normalize("NFC", text.translate(_CHAR_MAP))
    parts: list[str] = []
    for is_code, lines in _segments(text.split("\n")):
        part = "\n".join(line.rstrip() for line in lines) if is_code else _prose(lines)
        if part.strip():
            parts.append(part)
    return "\n\n".join(parts).strip()


def _segments(lines: list[str]) -> Iterator[tuple[bool, list[str]]]:
    """Split lines into prose and fenced code blocks (kept verbatim)."""
    prose: list[str] = []
    code: list[str] = []
    fence = ""
    for line in lines:
        if fence:
            code.append(line)
            if line.lstrip().startswith(fence) and len(code) > 1:
                yield True, code
                code, fence = [], ""
            continue
        m = _FENCE.match(line)
        if m:
            if prose:
                yield False, prose
                prose = []
            fence = m.group(1)[0] * 3
            code = [line]
        else:
            prose.append(line)
    if code:
        yield True, code
    if prose:
        yield False, prose


def _prose(lines: list[str]) -> str:
    text = _BLANK_RUNS.sub("\n\n", "\n".join(line.rstrip() for line in lines))
    text = _join_hyphens(text)
    paragraphs = (_reflow(p) for p in text.split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def _reflow(paragraph: str) -> str:
    """Join the lines of a paragraph with spaces; Markdown structure lines start a new line."""
    out: list[str] = []
    open_ = False  # whether the last output line takes continuation lines
    for raw in paragraph.split("\n"):
        line = _SPACES.sub(" ", raw).strip()
        if not line:
            continue
        if _STRUCTURE.match(raw) or _STANDALONE.match(raw):
            indent = raw[: len(raw) - len(raw.lstrip())].replace("\t", "    ")
            out.append(indent + line)
            open_ = not _STANDALONE.match(raw)
        elif out and open_:
            out[-1] += " " + line
        else:
            out.append(line)
            open_ = True
    return "\n".join(out)


def _join_hyphens(text: str) -> str:
    """Resolve every hyphen at a line end: join the word, keep a compound hyphen, or keep a
    suspended hyphen followed by a space."""
    matches = list(_LINE_END_HYPHEN.finditer(text))
    if not matches:
        return text
    lefts = [_left_word(text, m.start()) for m in matches]
    words = Counter(_WORD.findall(text)) - Counter(lefts)  # standalone uses elsewhere
    hyphenated = {w.lower() for w in _MID_LINE_HYPHEN.findall(text)}
    out: list[str] = []
    pos = 0
    for m, left in zip(matches, lefts, strict=True):
        out.append(text[pos : m.start()])
        out.append(_resolve(text, m, left, words, hyphenated))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _left_word(text: str, hyphen: int) -> str:
    line_start = text.rfind("\n", 0, hyphen) + 1
    m = _LEFT.search(text, line_start, hyphen)
    return m.group() if m else ""


def _resolve(
    text: str, m: re.Match[str], left: str, words: Counter[str], hyphenated: set[str]
) -> str:
    """The replacement for one line-end hyphen match (hyphen, newline(s), indentation)."""
    next_line_end = text.find("\n", m.end())
    next_line = text[m.end() : next_line_end if next_line_end >= 0 else len(text)]
    right = _RIGHT.match(text, m.end())
    word = right.group() if right else ""
    if _STRUCTURE.match(next_line) or (m.group(1) and not word[:1].islower()):
        return m.group()  # a new list item, or a new paragraph that is no continuation
    if word in CONJUNCTIONS or word.rstrip(".") in CONJUNCTIONS:
        return "- "  # suspended hyphen: "informations- och ledningssystem"
    if _keeps_hyphen(text, m.start() - len(left), left, word, words, hyphenated):
        return "-"
    return ""


def _keeps_hyphen(
    text: str, left_start: int, left: str, right: str, words: Counter[str], hyphenated: set[str]
) -> bool:
    """Whether ``left-right`` is a hyphenated compound rather than a word split at a line end."""
    if right[:1].isupper() or right[:1].isdigit() or len(left) < 2:
        return True  # "Lean-Coach", "Industri-4.0", "e-post"
    if left.isupper() or any(c.isdigit() for c in left) or any(c.isupper() for c in left[1:]):
        return True  # "IUC-bolagen", "2030-talet", "DigiLean-projektet"
    if len(left) >= 3 and left.lower() in hyphenated:
        return True  # the text itself writes "Corona-pandemin" elsewhere
    if left[0].isupper():
        if left in HYPHEN_PREFIXES:
            return True
        return not _sentence_initial(text, left_start) and words[left] > 0
    return False


def _sentence_initial(text: str, start: int) -> bool:
    """Whether the word at ``start`` begins a sentence, paragraph or Markdown item."""
    if _MARKER_PREFIX.fullmatch(text, text.rfind("\n", 0, start) + 1, start):
        return True
    before = text[max(0, start - 200) : start]
    rest = before.rstrip(_OPENERS)
    return not rest or "\n\n" in before[len(rest) :] or rest[-1] in ".!?:"
