"""Questions about a document itself, answered from its catalogue entry (the front matter that
ingest keeps as the document's metadata): who wrote it, when, who publishes it ("Vem har
skrivit ledaren?", "När publicerades artikeln?", "Who is behind the log?").

The sentence search cannot answer these: a text rarely says its own date or author, and
when it does (a byline) the question's words are not in it. Asked "När publicerades artikeln
om produktionsinnovation?", the answerer refused, though the article's entry says 2020; asked
who wrote it, it quoted the article's opening. Here the answer states the entry's fields,
names the entry's source line, and cites the document's byline (or its title line when it
has none), so the reader can open the document. When the entry lacks what is asked (no
author, no date), the answer is a refusal that says so and gives what the entry does say.

Only a question about a document as such comes here: the verb must take the document as
its object ("Vem skrev ledaren?"), so "Vem skrev om DigiLean i en tidigare logg?" (who
wrote *about* something) stays with the sentence search, as does a question about a
programme ("Vem står bakom Produktionslyftet?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .citations import citation_from_hit
from .extractive import Extract
from .index import Snapshot
from .models import Hit, Lang
from .question import DOCUMENT_KINDS, EN_KIND_NAMES, SV_KIND_NAMES
from .sentences import split_sentences
from .summary import named_document

Aspect = Literal["author", "date", "publisher"]

_I = re.IGNORECASE
# a document as a question names it: its kind ("ledaren", "the log") or a generic word
_SV_KINDS = "|".join(SV_KIND_NAMES)
_EN_KINDS = "|".join(EN_KIND_NAMES)
_SV_DOC = rf"(?:den här |denna |det här )?(?:{_SV_KINDS}|texten|dokumentet)"
# (not "the article's framework": a possessive is about something in it)
_EN_DOC = rf"(?:the|this|that|her|his) (?:{_EN_KINDS}|text|document)(?!['’]s\b)"
_ASKS: dict[Aspect, re.Pattern[str]] = {
    "author": re.compile(
        rf"\bvem\b[^?.]{{0,25}}?\b(?:skrev|har skrivit|skrivit|författade|har författat)\s+"
        rf"{_SV_DOC}\b|"
        rf"\bvem är (?:författare|skribent)n?\s+(?:till|av|bakom)\s+{_SV_DOC}\b|"
        rf"\b{_SV_DOC}\b[^?.]{{0,60}}\b(?:skriven|skrivits|författad)\s+av\s+vem\b|"
        rf"\bwho\s+(?:wrote|has written|had written|authored)\s+{_EN_DOC}\b|"
        rf"\bwho\s+(?:is|was)\s+the\s+(?:author|writer)\s+of\s+{_EN_DOC}\b|"
        rf"\b(?:author|writer)\s+of\s+{_EN_DOC}\b",
        _I,
    ),
    "date": re.compile(
        rf"\bnär\s+(?:skrevs|publicerades|gavs ut|kom|daterades|är)\s+{_SV_DOC}\b|"
        rf"\b(?:vilket|vilken)\s+(?:datum|år|dag)\b[^?.]{{0,40}}\b(?:skrevs|publicerades|"
        rf"gavs ut|är|kom)\s+{_SV_DOC}\b|"
        # the document named first, then asked about with a pronoun: "Ledaren där … – vilket
        # datum är den skriven?" (not "I artikeln, vilket år fick kvalitetsrörelsen …?")
        rf"\b{_SV_DOC}\b[^?]{{0,80}}\b(?:vilket|vilken|när)\b[^?.]{{0,25}}?\b(?:"
        rf"(?:är|var)\s+(?:den|det)\s+(?:skriven|skrivet|publicerad|publicerat|daterad|"
        rf"daterat|från)|(?:skrevs|publicerades|daterades|gavs ut)\s+(?:den|det))\b|"
        rf"\bwhen\s+(?:was|is)\s+{_EN_DOC}\b[^?.]{{0,60}}\b(?:published|written|dated|"
        rf"released|from)\b|"
        rf"\b(?:what|which)\s+(?:date|year|day)\b[^?.]{{0,80}}\b(?:publish|publishe[sd]|"
        rf"write|wrote|written|release[sd]?)\s+{_EN_DOC}\b|"
        rf"\b(?:what|which)\s+(?:date|year|day)\s+(?:was|is)\s+{_EN_DOC}\b",
        _I,
    ),
    "publisher": re.compile(
        rf"\bvem\s+(?:publicerade|publicerar|gav ut|ger ut|står bakom|stod bakom|ligger bakom)"
        rf"\s+{_SV_DOC}\b|"
        rf"\bvilken organisation\s+(?:publicerade|publicerar|gav ut|ger ut|står bakom)\s+"
        rf"{_SV_DOC}\b|"
        rf"\bwho\s+(?:published|publishes|is behind|was behind|put out)\s+{_EN_DOC}\b|"
        rf"\bpublisher\s+of\s+{_EN_DOC}\b",
        _I,
    ),
}
_GENERIC = re.compile(r"\b(texten|dokumentet|text|document)\b", _I)
_DOCUMENT = ("Dokumentet", "The document")  # a document of no kind the collection names
BYLINE_WITHIN = 400  # characters from a text's start where its byline would be

TEXT = {
    "sv": {
        "author": "{kind} ”{title}” är skriven av {author}.",
        "date": "{kind} ”{title}” är daterad {date}.",
        "publisher": "{kind} ”{title}” kommer från {organisation}.",
        "no_author": "Det framgår inte vem som har skrivit {kind_lower} ”{title}”: dokumentet "
        "anger ingen författare.",
        "no_date": "Det framgår inte när {kind_lower} ”{title}” skrevs: dokumentet anger "
        "inget datum.",
        "no_publisher": "Det framgår inte vem som står bakom {kind_lower} ”{title}”.",
        "by": "Skriven av {author}.",
        "from": "Från {organisation}.",
        "dated": "Daterad {date}.",
        "source": "Källuppgift: {source}.",
    },
    "en": {
        "author": "{kind} “{title}” was written by {author}.",
        "date": "{kind} “{title}” is dated {date}.",
        "publisher": "{kind} “{title}” comes from {organisation}.",
        "no_author": "The documents do not say who wrote {kind_lower} “{title}”: it names no "
        "author.",
        "no_date": "The documents do not say when {kind_lower} “{title}” was written: it "
        "gives no date.",
        "no_publisher": "The documents do not say who is behind {kind_lower} “{title}”.",
        "by": "Written by {author}.",
        "from": "From {organisation}.",
        "dated": "Dated {date}.",
        "source": "Source (in Swedish): {source}.",
    },
}
_FIELD = {"author": "author", "date": "date", "publisher": "organisation"}


@dataclass(frozen=True)
class Entry:
    """What a document's catalogue entry says, as the answer uses it."""

    title: str
    kind: str | None
    author: str | None
    date: str | None
    organisation: str | None
    source: str | None


def asks_about_document(question: str) -> Aspect | None:
    """Which of the document's own facts the question asks for, or None."""
    for aspect, pattern in _ASKS.items():
        if pattern.search(question):
            return aspect
    return None


def answer(question: str, lang: Lang, hits: Sequence[Hit], snapshot: Snapshot) -> Extract | None:
    """The answer from the asked document's entry; None when the question is no such
    question or names a kind of document the collection does not hold (then the sentence
    search answers, or refuses)."""
    aspect = asks_about_document(question)
    if aspect is None or not snapshot.documents:
        return None
    doc_id = named_document(question, hits, snapshot)
    if doc_id is None:
        if not (_GENERIC.search(question) and hits):
            return None
        doc_id = hits[0].chunk.doc_id
    entry = _entry(snapshot.documents[doc_id].meta)
    hit, span = _cited_line(doc_id, entry, snapshot)
    if hit is None:
        return None
    texts = TEXT[lang]
    kind = _kind_name(entry.kind, lang)
    fields = {
        "kind": kind,
        "kind_lower": kind[0].lower() + kind[1:],
        "title": entry.title,
        "author": entry.author,
        "date": entry.date,
        "organisation": entry.organisation,
    }
    known = getattr(entry, _FIELD[aspect])
    lead = texts[aspect if known else f"no_{aspect}"].format(**fields)
    # an answer is the asked field and the entry's source line; a refusal adds what the
    # entry does name (who, from where, when), so that it says what is known
    rest = [
        texts[key].format(**fields)
        for key, field in (("by", "author"), ("from", "organisation"), ("dated", "date"))
        if known is None and getattr(entry, field)
    ]
    cite = citation_from_hit(1, hit, [span])
    lines = [f"{lead} [1]", " ".join(rest)]
    if entry.source:
        lines.append(texts["source"].format(source=entry.source.rstrip(".")))
    # no sentence list: an extractive answer's sentences are quotes from the documents, and
    # these are written here (the evaluation reads an answer's language from what is not
    # quoted, and an English answer about a Swedish entry read as Swedish)
    return Extract(
        "\n\n".join(line for line in lines if line),
        [],
        [cite],
        known is None,
        [hit],
        {"kind": "document", "aspect": aspect},
    )


def _entry(meta: dict[str, object]) -> Entry:
    def text(key: str) -> str | None:
        value = meta.get(key)
        return str(value).strip() or None if value else None

    return Entry(
        title=text("title") or "",
        kind=text("kind"),
        author=text("author"),
        date=text("date"),
        organisation=text("organisation"),
        source=text("source"),
    )


def _kind_name(kind: str | None, lang: Lang) -> str:
    """The definite name of a document's kind ("Ledaren", "The leader"), as questions name
    it (``question.DOCUMENT_KINDS``)."""
    for key, (sv, en) in DOCUMENT_KINDS.items():
        if kind and key in kind:
            return sv.capitalize() if lang == "sv" else f"The {en[0]}"
    return _DOCUMENT[0] if lang == "sv" else _DOCUMENT[1]


def _cited_line(
    doc_id: str, entry: Entry, snapshot: Snapshot
) -> tuple[Hit | None, tuple[int, int]]:
    """The hit and chunk-relative span of the line the answer cites: the byline (a line near
    the start naming the author or the date), else the title's line, else the first line."""
    text = snapshot.doc_text(doc_id)
    lines: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n"):
        if line.strip():
            lines.append((start, start + len(line)))
        start += len(line) + 1
    if not lines:
        return None, (0, 0)
    near = [(s, e) for s, e in lines if s < BYLINE_WITHIN]
    marks = [m for m in (entry.author, entry.date) if m]
    title = entry.title.lower()
    first = split_sentences(text)[:1] or lines[:1]  # a text without byline or title line
    s, e = (
        next((sp for sp in near if any(m in text[sp[0] : sp[1]] for m in marks)), None)
        or next((sp for sp in near if title and title in text[sp[0] : sp[1]].lower()), None)
        or first[0]
    )
    chunk = snapshot.chunk_at(doc_id, s, e)
    if chunk is None:
        return None, (0, 0)
    return Hit(chunk=chunk, score=0.0, rank=1), (s - chunk.start, e - chunk.start)
