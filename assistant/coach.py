"""Session packs for coaches: key points with verbatim quotes and sources, discussion questions
and an agenda for one topic, as Markdown or a Word document.

No LLM is needed. The key points are chosen by the extractive answerer's own selection
(``extractive.gather`` with the fitted answer model) for the topic's query: for one of the
framework's four areas, that area's list item (its title and explanation) comes first and no
other area's item is quoted. Each is quoted verbatim with a citation and its section.
Questions and agenda come from ``prompts/coach_questions.{lang}.md`` and
``prompts/coach_agenda.{lang}.md``; the agenda's shape follows the topic (an area, a concept,
the programmes, free text). A model can be plugged in through ``refine`` (see
:data:`PackRefiner`) to add to the finished pack; the quotes and citations it returns are
checked against the original ones.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from . import extractive
from .analysis import detect_language
from .citations import citation_from_hit
from .models import Citation, Lang
from .prompts import load_prompt
from .question import is_anaphoric
from .retrieve import Retriever
from .sentences import unpaired_quote_mark

if TYPE_CHECKING:
    from .core import Assistant
    from .extractive import Candidate, Gathered

PRODUCT = "Produktionsrådgivaren"

Shape = Literal["area", "concept", "programme"]


class Topic(BaseModel):
    """A ready-made topic: titles in both languages and the query that retrieves it."""

    id: str
    title_sv: str
    title_en: str
    query: str
    number: int | None = Field(
        default=None, description="The area's number in the renewal framework."
    )
    shape: Shape = Field(
        default="concept", description="Which agenda in prompts/coach_agenda.*.md fits it."
    )

    def title(self, lang: Lang) -> str:
        return self.title_sv if lang == "sv" else self.title_en

    def label(self, lang: Lang) -> str:
        """The title as shown in a list: the framework's areas keep their number."""
        return f"{self.number}. {self.title(lang)}" if self.number else self.title(lang)


TOPICS: tuple[Topic, ...] = (
    Topic(
        id="strategisk-fraga",
        number=1,
        shape="area",
        title_sv="Gör produktionsinnovation till en strategisk fråga",
        title_en="Make production innovation a strategic issue",
        query="Gör produktionsinnovation till en strategisk fråga: organisationsstruktur som "
        "stöttar förnyelseprocessen, KPI:er och en organisation för förnyelse",
    ),
    Topic(
        id="okant-obekant",
        number=2,
        shape="area",
        title_sv="Omfamna det okända och obekanta",
        title_en="Embrace the unknown and unfamiliar",
        query="Omfamna det okända och obekanta i produktionsinnovation: osäkerhet, kort- och "
        "långsiktiga vinster, öppenhet och tillåtelse att misslyckas",
    ),
    Topic(
        id="flexibel-process",
        number=3,
        shape="area",
        title_sv="Sträva efter en anpassningsbar och flexibel innovationsprocess",
        title_en="Strive for an adaptable and flexible innovation process",
        query="Sträva efter en anpassningsbar och flexibel innovationsprocess: "
        "produktionsstrategi, produkt- eller produktionsutveckling",
    ),
    Topic(
        id="systemiska-forandringar",
        number=4,
        shape="area",
        title_sv="Hantera implementering av systemiska förändringar",
        title_en="Manage the implementation of systemic changes",
        query="Hantera implementering av systemiska förändringar: ekosystemet kring produktion, "
        "stegvis implementering, involvering av kunder och leverantörer",
    ),
    Topic(
        id="forbattring-fornyelse",
        title_sv="Förbättring vs förnyelse",
        title_en="Improvement vs renewal",
        query="förbättring och förnyelse i produktion: förbättra det befintliga (exploit) eller "
        "utveckla det radikalt nya (explore), förbättringsarbete och radikal förnyelse",
    ),
    Topic(
        id="ambidexteritet",
        title_sv="Ambidexteritet (dubbelhänthet)",
        title_en="Ambidexterity",
        query="ambidexteritet dubbelhänthet: balans mellan förbättring och förnyelse, "
        "förbättrings- och förnyelseförmåga",
    ),
    Topic(
        id="produktdesignutrymmet",
        title_sv="Produktdesignutrymmet",
        title_en="The product design space",
        query="produktdesignutrymmet: produktionsförmåga och produktdefinitionsrymden, "
        "produktdesign, ny produktionsförmåga som additiv tillverkning",
    ),
    Topic(
        id="produktionslyftet",
        shape="programme",
        title_sv="Produktionslyftets program",
        title_en="Produktionslyftet's programmes",
        query="Produktionslyftets program: 18-månadersprogrammet, Utvecklingsprogram, "
        "startprogram, Produktionslyftet 4.0, coachkurs",
    ),
)

_AREA_NAMED = {"sv": "området ”{}”", "en": "the area “{}”"}
_SECTIONS: dict[str, dict[str, str]] = {
    "sv": {
        "free": "fritt",
        "closing": "avslutning",
        "intro": "inledning",
        "agenda": "agenda",
        "area": "område",
        "concept": "begrepp",
        "programme": "program",
    },
    "en": {
        "free": "free",
        "closing": "closing",
        "intro": "introduction",
        "agenda": "agenda",
        "area": "area",
        "concept": "concept",
        "programme": "programme",
    },
}

LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "heading": "Coachunderlag",
        "key_points": "Nyckelpunkter ur dokumenten",
        "questions": "Diskussionsfrågor",
        "agenda": "Förslag till agenda",
        "minutes": "min",
        "time": "Tid",
        "content": "Innehåll",
        "sources": "Källor",
        "source": "Källa",
        "page": "s.",
        "section": "avsnitt",
        "no_points": "Inga passager i dokumenten hittades för ämnet. Kontrollera att dokumenten "
        "är indexerade, eller prova ett annat ämne.",
        "refine_dropped": "Den automatiska bearbetningen ändrade citaten och användes inte.",
    },
    "en": {
        "heading": "Coaching pack",
        "key_points": "Key points from the documents",
        "questions": "Discussion questions",
        "agenda": "Suggested agenda",
        "minutes": "min",
        "time": "Time",
        "content": "Content",
        "sources": "Sources",
        "source": "Source",
        "page": "p.",
        "section": "section",
        "no_points": "No passages in the documents were found for this topic. Check that the "
        "documents are indexed, or try another topic.",
        "refine_dropped": "The automatic refinement changed the quotes and was not used.",
    },
}

# (pack language, quote language) -> the label next to a quote in another language
QUOTED_IN: dict[tuple[str, str], str] = {
    ("en", "sv"): "quoted in Swedish",
    ("sv", "en"): "citat på engelska",
}


class KeyPoint(BaseModel):
    quote: str = Field(description="Verbatim sentence(s) from the document.")
    citation: Citation
    section: str | None = Field(default=None, description="The heading the quote stands under.")
    lang: str = Field(default="sv", description="The language of the quoted document.")
    item: int | None = Field(
        default=None, description="The number of the list item (framework area) it quotes."
    )
    support: float | None = Field(
        default=None, description="The answer model's probability that it answers the query."
    )


class AgendaItem(BaseModel):
    minutes: int
    text: str


class SessionPack(BaseModel):
    title: str
    topic_id: str | None = None
    lang: Lang = "sv"
    query: str
    introduction: str = ""
    key_points: list[KeyPoint] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)
    agenda: list[AgendaItem] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)

    @property
    def total_minutes(self) -> int:
        return sum(item.minutes for item in self.agenda)

    @property
    def citations(self) -> list[Citation]:
        return [p.citation for p in self.key_points]


PackRefiner = Callable[[SessionPack], SessionPack]
"""The hook for a language model: given the complete template-and-quote pack, return a pack
with, say, a written introduction or questions tied to the quotes. ``build_pack`` keeps the
refined pack only if its key points (quotes and citations) are exactly the original ones, so a
model can add words but never put words in a document's mouth."""


def find_topic(topic: str) -> Topic | None:
    """The ready-made topic named by id, title or label (either language), else None."""
    key = _fold(topic)
    for t in TOPICS:
        names = {t.id, t.title_sv, t.title_en, t.label("sv"), t.label("en")}
        if key in {_fold(n) for n in names}:
            return t
    return None


def build_pack(
    assistant: Assistant,
    topic: str,
    lang: Lang = "sv",
    *,
    max_points: int = 5,
    refine: PackRefiner | None = None,
) -> SessionPack:
    """A session pack for a ready-made topic (id or title) or for free text."""
    topic = topic.strip()
    if not topic:
        raise ValueError("topic must not be empty")
    known = find_topic(topic)
    title = known.title(lang) if known else topic
    query = known.query if known else topic
    points = _key_points(assistant, query, known, max_points)
    prompts_dir = assistant.settings.prompts_dir
    own, closing = _questions(prompts_dir, known, title, lang)
    intro, agenda = _agenda(prompts_dir, known, title, lang, points, own, closing)
    pack = SessionPack(
        title=title,
        topic_id=known.id if known else None,
        lang=lang,
        query=query,
        introduction=intro,
        key_points=points,
        questions=[*own, *closing],
        agenda=agenda,
        notices=[] if points else [LABELS[lang]["no_points"]],
    )
    if refine is not None:
        refined = refine(pack)
        if refined.key_points == pack.key_points:
            return refined
        pack.notices.append(LABELS[lang]["refine_dropped"])
    return pack


# --- choosing key points ------------------------------------------------------------------

_MIN_CHARS = 40
_MAX_CHARS = 450
_MIN_WORDS = 6
_TERMINAL = tuple('.!?…”"’)')
_LEAD = re.compile(r"[\s>#*\-–•]+")
_ITEM_MARK = re.compile(r"\s*\d{1,2}\.\s+")  # "4. " before a list item's title
_WORD = re.compile(r"\w+")
_MIN_POINTS = 3  # weak sentences are taken only to reach this many key points …
# … beyond it, a sentence needs this probability of answering the query: the answer model's
# probabilities are fitted with balanced classes, so 0.5 is where it holds a sentence as likely
# on the query as not. At 0.05, free-text packs on "hållbarhet" or "ledningens roll" ended on
# "Nu ser vi fram emot jul och nyår …" (0.19-0.23).
_MORE_MIN = 0.5
_TITLE_MATCH = 0.8  # share of an area's title words a list item's title must hold


def _key_points(
    assistant: Assistant, query: str, topic: Topic | None, max_points: int
) -> list[KeyPoint]:
    """Retrieve for the topic's query and let the answerer's selection rank the sentences."""
    snapshot = assistant.snapshot
    if snapshot.empty:
        return []
    vector = assistant.embeddings.embed_query(query)
    retriever = Retriever(assistant.settings, assistant.store, snapshot)
    hits = retriever.search(query, vector, max(8, 2 * max_points, assistant.settings.top_k))
    if not hits:
        return []
    lang: Lang = "sv" if topic else detect_language(query)
    gathered = extractive.gather(
        query,
        lang,
        vector,
        hits,
        assistant.embeddings,
        snapshot.idf,
        snapshot,
        extractive.load_model(),
        # the area's number: the answerer then ranks that list item up and the others down
        asked=f"område {topic.number}" if topic and topic.number else None,
    )
    return select_key_points(gathered, topic, snapshot.doc_text, max_points=max_points)


def select_key_points(
    gathered: Gathered,
    topic: Topic | None,
    doc_text: Callable[[str], str] | None = None,
    *,
    max_points: int = 5,
) -> list[KeyPoint]:
    """The key points among the answerer's scored candidates, each with its citation.

    For one of the framework's areas, its list item comes first: the item's title (without
    its number) quoted together with the explanation sentence that follows it, then the rest
    of its explanation. The other key points are the most likely candidates (``Candidate.prob``)
    that belong to no numbered list item of an area (for other topics: that are no item's
    title), are whole sentences, do not point back to a sentence that is not quoted, and do not
    repeat one already chosen (the answerer's ``REDUNDANT`` cosine). Weak candidates only fill
    up to ``_MIN_POINTS``. The item comes first; for a ready-made topic the rest follow in
    document order (they read as the article's argument), for free text the likeliest come
    first (the coach searched for material, so the best quote leads)."""
    cands = gathered.candidates
    own = _own_item(cands, topic, doc_text) if topic and topic.number else []
    pieces: list[list[int]] = _item_pieces(cands, own)[:max_points]
    chosen = [i for piece in pieces for i in piece]
    rest: list[list[int]] = []
    order = sorted(range(len(cands)), key=lambda i: (-cands[i].order, cands[i].doc_start))
    for i in order:
        if len(pieces) + len(rest) >= max_points:
            break
        c = cands[i]
        if i in own or not _usable(c) or is_anaphoric(_stripped(c)[2]):
            continue
        if c.item_title or (topic is not None and topic.number and c.item is not None):
            continue  # a list item's heading, or (in an area's pack) another item
        if len(pieces) + len(rest) >= _MIN_POINTS and c.prob < _MORE_MIN:
            break
        vectors = gathered.vectors
        if chosen and float((vectors[chosen] @ vectors[i]).max()) > extractive.REDUNDANT:
            continue
        rest.append([i])
        chosen.append(i)
    if topic is not None:
        rest.sort(key=lambda p: (cands[p[0]].doc_id, cands[p[0]].doc_start))
    return [_point(n, gathered, piece) for n, piece in enumerate([*pieces, *rest], start=1)]


def _own_item(
    cands: Sequence[Candidate], topic: Topic, doc_text: Callable[[str], str] | None
) -> list[int]:
    """The candidates that are the topic's own list item: a title with the area's number whose
    words are the area's title, and the sentences after it in the same paragraph."""
    title = _words(topic.title_sv)
    heads = [
        c
        for c in cands
        if c.item == topic.number
        and c.item_title
        and len(title & _words(c.text)) >= _TITLE_MATCH * len(title)
    ]
    own: list[int] = []
    for i, c in enumerate(cands):
        if c.item != topic.number:
            continue
        for head in heads:
            if c.doc_id != head.doc_id or c.doc_start < head.doc_start:
                continue
            between = doc_text(c.doc_id)[head.doc_start : c.doc_start] if doc_text else ""
            if "\n\n" not in between:
                own.append(i)
                break
    return sorted(own, key=lambda i: (cands[i].doc_id, cands[i].doc_start))


def _item_pieces(cands: Sequence[Candidate], own: list[int]) -> list[list[int]]:
    """The item's key points: its title with the sentence after it (when one chunk holds
    both; otherwise the title on its own), then each further sentence on its own."""
    pieces: list[list[int]] = []
    for i in own:
        c = cands[i]
        prev = pieces[-1] if pieces else None
        if prev is not None and len(prev) == 1 and cands[prev[0]].item_title:
            head = cands[prev[0]]
            if head.hit == c.hit and head.doc_id == c.doc_id:
                prev.append(i)
                continue
        pieces.append([i])
    return pieces


def _point(number: int, gathered: Gathered, piece: list[int]) -> KeyPoint:
    cands = [gathered.candidates[i] for i in piece]
    hit = gathered.hits[cands[0].hit]
    spans = [_stripped(c)[:2] for c in cands]
    citation = citation_from_hit(number, hit, spans)
    return KeyPoint(
        quote=citation.quote,
        citation=citation,
        section=hit.chunk.section,
        lang=hit.chunk.meta.language,
        item=cands[0].item,
        support=round(max(c.prob for c in cands), 4),
    )


def _stripped(c: Candidate) -> tuple[int, int, str]:
    """The candidate's span without a list number or a quote/bullet marker in front, and
    without a quotation mark whose partner lies in another sentence: the first and the last
    sentence of a quotation ("“Industriföretag måste …", "… även i produktion.”") would
    otherwise be shown as ”“Industriföretag …” and ”… även i produktion.””."""
    start, end = c.start, c.end
    mark = _ITEM_MARK.match(c.text) if c.item_title else _LEAD.match(c.text)
    if mark:
        start += mark.end()
    text = c.text[start - c.start :]
    head, tail = unpaired_quote_mark(text)
    start, end = start + head, end - tail
    return start, end, text[head : len(text) - tail]


def _usable(c: Candidate) -> bool:
    sentence = _stripped(c)[2]
    if not (_MIN_CHARS <= len(sentence) <= _MAX_CHARS):
        return False
    if len(sentence.split()) < _MIN_WORDS or "http" in sentence:
        return False
    if not sentence.rstrip().endswith(_TERMINAL):  # a heading or a cut-off fragment
        return False
    return not sentence[0].islower()  # a chunk that starts inside a sentence


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if len(w) > 2}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold().strip()
    return re.sub(r"\s+", " ", text)


# --- templates ----------------------------------------------------------------------------


def _sections(text: str) -> dict[str, list[str]]:
    """``## name`` headings with their non-empty lines; HTML comments are ignored."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None and line.strip():
            current.append(line.strip())
    return sections


def _items(lines: list[str]) -> list[str]:
    return [line[2:].strip() for line in lines if line.startswith("- ")]


def _fill(template: str, **values: object) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def _questions(
    prompts_dir: Path, topic: Topic | None, title: str, lang: Lang
) -> tuple[list[str], list[str]]:
    """The topic's own questions and the closing ones every pack ends with."""
    names = _SECTIONS[lang]
    sections = _sections(load_prompt("coach_questions", lang, prompts_dir))
    own = _items(sections.get(topic.id, [])) if topic else []
    if not own:
        own = _items(sections.get(names["free"], []))
    closing = _items(sections.get(names["closing"], []))
    subject = title if topic else title.rstrip(".?!")
    return [_fill(q, topic=subject) for q in own], [_fill(q, topic=subject) for q in closing]


_EXCERPT_WORDS = 8


def _excerpt(point: KeyPoint, lang: Lang) -> str:
    """``[1] ”Hantera implementering av systemiska förändringar. Det …”``: a key point named
    in an agenda line."""
    words = point.quote.split()
    short = " ".join(words[:_EXCERPT_WORDS]) + (" …" if len(words) > _EXCERPT_WORDS else "")
    return f"[{point.citation.number}] {_quoted(short, lang)}"


def _split(minutes: int, parts: int) -> list[int]:
    """``minutes`` shared by ``parts`` lines, whole minutes, the remainder to the first."""
    base, extra = divmod(minutes, parts)
    return [base + (1 if k < extra else 0) for k in range(parts)]


def _agenda(
    prompts_dir: Path,
    topic: Topic | None,
    title: str,
    lang: Lang,
    points: list[KeyPoint],
    own: list[str],
    closing: list[str],
) -> tuple[str, list[AgendaItem]]:
    """The introduction and the agenda of the topic's shape (``## agenda <shape>``, else the
    free topics' one). A line holding ``{point}`` is repeated for each key point, one holding
    ``{question}`` for each of the topic's own questions, their minutes shared between them."""
    names = _SECTIONS[lang]
    sections = _sections(load_prompt("coach_agenda", lang, prompts_dir))
    shape = names[topic.shape] if topic else names["free"]
    free = f"{names['agenda']} {names['free']}"
    lines = sections.get(f"{names['agenda']} {shape}") or sections.get(free, [])
    # an area's title is an imperative ("Omfamna det okända …"): named as the area it is
    shown = _AREA_NAMED[lang].format(title) if topic and topic.shape == "area" else title
    values = {"topic": shown, "points": len(points), "questions": len(own) + len(closing)}
    intro = _fill(" ".join(sections.get(names["intro"], [])), **values)
    agenda: list[AgendaItem] = []
    for item in _items(lines):
        minutes_text, _, template = item.partition("|")
        minutes, template = int(minutes_text.strip()), _fill(template.strip(), **values)
        repeated: list[str] = [template]
        if "{point}" in template:
            repeated = [template.replace("{point}", _excerpt(p, lang)) for p in points]
        elif "{question}" in template:
            repeated = [template.replace("{question}", q) for q in own]
        if not repeated:
            continue
        for share, text in zip(_split(minutes, len(repeated)), repeated, strict=True):
            agenda.append(AgendaItem(minutes=share, text=text))
    return intro, agenda


# --- output -------------------------------------------------------------------------------


def source_line(citation: Citation, lang: Lang, section: str | None = None) -> str:
    """``Title, Organisation, date, section ”Heading”, p. 3``: what a slide needs to credit a
    quote and find it again (plain text). A section that is the document's title is left out."""
    parts = [citation.title, citation.organisation, citation.date]
    line = ", ".join(p for p in parts if p)
    if section and _fold(section) != _fold(citation.title):
        line += f", {LABELS[lang]['section']} {_quoted(section, lang)}"
    if citation.page is not None:
        line += f", {LABELS[lang]['page']} {citation.page}"
    return line


def _md(text: str) -> str:
    """Document text made safe for Markdown: no HTML, no emphasis or links, one line."""
    text = html.escape(" ".join(text.split()), quote=False)
    return re.sub(r"([\\`*_\[\]|#])", r"\\\1", text)


def _quoted(text: str, lang: Lang) -> str:
    return f"”{text}”" if lang == "sv" else f"“{text}”"


def quote_label(point: KeyPoint, lang: Lang) -> str | None:
    """``quoted in Swedish`` for a Swedish quote in an English pack (and the reverse)."""
    return QUOTED_IN.get((lang, point.lang))


def to_markdown(pack: SessionPack) -> str:
    """The pack as Markdown. Document text is escaped, so it can be shown as HTML safely."""
    lab = LABELS[pack.lang]
    out = [f"# {lab['heading']}: {_md(pack.title)}", ""]
    if pack.introduction:
        out += [_md(pack.introduction), ""]
    for notice in pack.notices:
        out += [f"> {_md(notice)}", ""]
    if pack.key_points:
        out += [f"## {lab['key_points']}", ""]
        for point in pack.key_points:
            c = point.citation
            label = quote_label(point, pack.lang)
            note = f" *({_md(label)})*" if label else ""
            out += [
                f"> {_md(_quoted(point.quote, pack.lang))}{note} [{c.number}]",
                ">",
                f"> — *{_md(source_line(c, pack.lang, point.section))}*",
                "",
            ]
    if pack.questions:
        out += [f"## {lab['questions']}", ""]
        out += [f"{i}. {_md(q)}" for i, q in enumerate(pack.questions, start=1)]
        out.append("")
    if pack.agenda:
        out += [
            f"## {lab['agenda']} ({pack.total_minutes} {lab['minutes']})",
            "",
            f"| {lab['time']} | {lab['content']} |",
            "|---|---|",
        ]
        clock = 0
        for item in pack.agenda:
            out.append(f"| {clock}–{clock + item.minutes} {lab['minutes']} | {_md(item.text)} |")
            clock += item.minutes
        out.append("")
    if pack.key_points:
        out += [f"## {lab['sources']}", ""]
        for point in pack.key_points:
            c = point.citation
            out.append(f"[{c.number}] {_md(source_line(c, pack.lang, point.section))}  ")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_docx(pack: SessionPack, path: Path, *, now: datetime | None = None) -> Path:
    """The pack as a Word document: large quotes with their source under each, ready to lift
    onto a slide; then questions, agenda and the list of sources. The document's properties
    name the product as author and ``now`` (default: the current time) as its date."""
    from docx import Document as new_document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    lab = LABELS[pack.lang]
    grey = RGBColor(0x55, 0x5B, 0x66)
    doc = new_document()
    props = doc.core_properties
    props.title = f"{lab['heading']}: {pack.title}"
    props.subject = pack.title
    props.language = pack.lang
    props.author = props.last_modified_by = PRODUCT
    props.comments = ""  # the template says "generated by python-docx"
    props.created = props.modified = now or datetime.now(UTC)
    props.revision = 1
    doc.add_heading(f"{lab['heading']}: {pack.title}", level=0)
    if pack.introduction:
        doc.add_paragraph(pack.introduction)
    for notice in pack.notices:
        doc.add_paragraph(notice).runs[0].italic = True

    if pack.key_points:
        doc.add_heading(lab["key_points"], level=1)
        for point in pack.key_points:
            c = point.citation
            quote = doc.add_paragraph()
            quote.paragraph_format.keep_with_next = True
            quote.paragraph_format.space_before = Pt(12)
            run = quote.add_run(_quoted(" ".join(point.quote.split()), pack.lang))
            run.italic = True
            run.font.size = Pt(16)
            label = quote_label(point, pack.lang)
            if label:
                note = quote.add_run(f" ({label})")
                note.font.size = Pt(12)
                note.font.color.rgb = grey
            number = quote.add_run(f"  [{c.number}]")
            number.font.size = Pt(12)
            number.font.color.rgb = grey
            source = doc.add_paragraph()
            source.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            source_run = source.add_run(f"— {source_line(c, pack.lang, point.section)}")
            source_run.font.size = Pt(10)
            source_run.font.color.rgb = grey

    if pack.questions:
        doc.add_heading(lab["questions"], level=1)
        for q in pack.questions:
            doc.add_paragraph(q, style="List Number")

    if pack.agenda:
        doc.add_heading(f"{lab['agenda']} ({pack.total_minutes} {lab['minutes']})", level=1)
        table = doc.add_table(rows=1, cols=2)
        table.style = "Table Grid"
        header = table.rows[0].cells
        header[0].text, header[1].text = lab["time"], lab["content"]
        for cell in header:
            cell.paragraphs[0].runs[0].bold = True
        clock = 0
        for item in pack.agenda:
            row = table.add_row().cells
            row[0].text = f"{clock}–{clock + item.minutes} {lab['minutes']}"
            row[1].text = item.text
            clock += item.minutes

    if pack.key_points:
        doc.add_heading(lab["sources"], level=1)
        for point in pack.key_points:
            c = point.citation
            doc.add_paragraph(f"[{c.number}] {source_line(c, pack.lang, point.section)}")

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
