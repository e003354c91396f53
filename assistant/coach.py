"""Session packs for coaches: key points with verbatim quotes and sources, discussion questions
and an agenda for one topic, as Markdown or a Word document.

No LLM is needed. The key points are the best distinct sentences of the passages retrieved for
the topic, quoted verbatim with a citation each; questions and agenda come from the templates
``prompts/coach_questions.{lang}.md`` and ``prompts/coach_agenda.{lang}.md``. A model can be
plugged in through ``refine`` (see :data:`PackRefiner`) to add to the finished pack; the quotes
and citations it returns are checked against the original ones.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from .analysis import get_analyzer
from .citations import citation_from_hit
from .models import Citation, Hit, Lang
from .prompts import load_prompt
from .sentences import split_sentences

if TYPE_CHECKING:
    from .core import Assistant


class Topic(BaseModel):
    """A ready-made topic: titles in both languages and the query that retrieves it."""

    id: str
    title_sv: str
    title_en: str
    query: str
    number: int | None = Field(
        default=None, description="The area's number in the renewal framework."
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
        title_sv="Gör produktionsinnovation till en strategisk fråga",
        title_en="Make production innovation a strategic issue",
        query="Gör produktionsinnovation till en strategisk fråga: organisationsstruktur som "
        "stöttar förnyelseprocessen, KPI:er och en organisation för förnyelse",
    ),
    Topic(
        id="okant-obekant",
        number=2,
        title_sv="Omfamna det okända och obekanta",
        title_en="Embrace the unknown and unfamiliar",
        query="Omfamna det okända och obekanta i produktionsinnovation: osäkerhet, kort- och "
        "långsiktiga vinster, öppenhet och tillåtelse att misslyckas",
    ),
    Topic(
        id="flexibel-process",
        number=3,
        title_sv="Sträva efter en anpassningsbar och flexibel innovationsprocess",
        title_en="Strive for an adaptable and flexible innovation process",
        query="Sträva efter en anpassningsbar och flexibel innovationsprocess: "
        "produktionsstrategi, produkt- eller produktionsutveckling",
    ),
    Topic(
        id="systemiska-forandringar",
        number=4,
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
        title_sv="Produktionslyftets program",
        title_en="Produktionslyftet's programmes",
        query="Produktionslyftets program: 18-månadersprogrammet, Utvecklingsprogram, "
        "startprogram, Produktionslyftet 4.0, coachkurs",
    ),
)

_SECTIONS: dict[str, dict[str, str]] = {
    "sv": {"free": "fritt", "closing": "avslutning", "intro": "inledning", "agenda": "agenda"},
    "en": {"free": "free", "closing": "closing", "intro": "introduction", "agenda": "agenda"},
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
        "no_points": "No passages in the documents were found for this topic. Check that the "
        "documents are indexed, or try another topic.",
        "refine_dropped": "The automatic refinement changed the quotes and was not used.",
    },
}


class KeyPoint(BaseModel):
    quote: str = Field(description="Verbatim sentence(s) from the document.")
    citation: Citation


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
    k = max(8, 2 * max_points)
    hits = assistant.search(query, k=k)
    points = select_key_points(hits, query, title, max_points=max_points)
    questions = _questions(assistant.settings.prompts_dir, known, title, lang)
    intro, agenda = _agenda(assistant.settings.prompts_dir, title, lang, len(points), questions)
    pack = SessionPack(
        title=title,
        topic_id=known.id if known else None,
        lang=lang,
        query=query,
        introduction=intro,
        key_points=points,
        questions=questions,
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
_WORD = re.compile(r"\w+")
_UNDER_HEADING = 2  # sentences after a heading that count as its explanation
_HEADING_BONUS = 1.0
_RELATIVE_MIN = 0.4  # a sentence matching less of the query than this share of the best one …
_MIN_POINTS = 3  # … is only taken to reach this many key points


def select_key_points(
    hits: list[Hit], query: str, title: str, *, max_points: int = 5
) -> list[KeyPoint]:
    """The best distinct whole sentences of the hits, in document order, each with its
    citation.

    A sentence scores by the query terms it contains, each weighted by how rare it is among
    the candidate sentences (a term every passage shares says little), plus a small bonus for
    the rank of its passage. The sentences right under the topic's own heading in a document
    (such as a framework area's explanation) come first. Headings (the topic's title, or the
    title of another framework area), fragments and near-repeats are skipped; weak matches
    only fill up to a minimum of key points."""
    analyzer = get_analyzer()
    query_terms = set(analyzer.query_tokens(query))
    headings = [_words(title), *(_words(t.title_sv) for t in TOPICS)]

    # (hit index, start, end, terms, follows the topic's own heading)
    candidates: list[tuple[int, int, int, set[str], bool]] = []
    seen: set[tuple[str, int]] = set()
    for h_i, hit in enumerate(hits):
        text = hit.chunk.text
        under_heading = 0  # sentences left in the paragraph under the topic's own heading
        prev_end = 0
        for s_i, (start, end) in enumerate(split_sentences(text)):
            if "\n\n" in text[prev_end:start]:
                under_heading = 0
            prev_end = end
            lead = _LEAD.match(text, start, end)
            if lead:
                start = lead.end()
            sentence = text[start:end]
            words = _words(sentence)
            if _is_title(words, headings[0]):
                under_heading = _UNDER_HEADING
                continue
            follows = under_heading > 0
            under_heading = max(0, under_heading - 1)
            doc_pos = (hit.chunk.doc_id, hit.chunk.start + start)
            if doc_pos in seen:  # the same sentence in an overlapping chunk
                continue
            if not _usable(sentence, first=s_i == 0 and hit.chunk.start > 0):
                continue
            if any(_is_title(words, heading) for heading in headings):
                continue
            seen.add(doc_pos)
            terms = set(analyzer.index_tokens(sentence))
            candidates.append((h_i, start, end, terms, follows))

    df: dict[str, int] = {}
    for *_, terms, _follows in candidates:
        for term in terms & query_terms:
            df[term] = df.get(term, 0) + 1
    n = len(candidates)
    weight = {term: math.log(1 + n / df.get(term, 1)) for term in query_terms}
    total = sum(weight.values()) or 1.0

    # (score, share of the query matched, hit index, start, end)
    scored: list[tuple[float, float, int, int, int]] = []
    for h_i, start, end, terms, follows in candidates:
        matched = sum(weight[t] for t in terms & query_terms) / total
        if matched or follows:
            bonus = _HEADING_BONUS if follows else 0.0
            scored.append((matched + bonus + 0.05 / (1 + h_i), matched, h_i, start, end))
    scored.sort(key=lambda x: (-x[0], x[2], x[3]))
    best = max((m for _, m, *_ in scored), default=0.0)

    chosen: list[tuple[int, int, int]] = []
    chosen_words: list[set[str]] = []
    for score, matched, h_i, start, end in scored:
        weak = score < _HEADING_BONUS and matched < _RELATIVE_MIN * best
        if weak and len(chosen) >= _MIN_POINTS:
            break
        words = _words(hits[h_i].chunk.text[start:end])
        if any(_similar(words, w) for w in chosen_words):
            continue
        chosen.append((h_i, start, end))
        chosen_words.append(words)
        if len(chosen) == max_points:
            break

    doc_order = {hit.chunk.doc_id: i for i, hit in reversed(list(enumerate(hits)))}
    chosen.sort(key=lambda c: (doc_order[hits[c[0]].chunk.doc_id], hits[c[0]].chunk.start + c[1]))
    points: list[KeyPoint] = []
    for number, (h_i, start, end) in enumerate(chosen, start=1):
        citation = citation_from_hit(number, hits[h_i], [(start, end)])
        points.append(KeyPoint(quote=citation.quote, citation=citation))
    return points


def _usable(sentence: str, *, first: bool) -> bool:
    if not (_MIN_CHARS <= len(sentence) <= _MAX_CHARS):
        return False
    if len(sentence.split()) < _MIN_WORDS or "http" in sentence:
        return False
    if not sentence.rstrip().endswith(_TERMINAL):  # a heading or a cut-off fragment
        return False
    # a chunk that starts inside a sentence (overlap) begins with a lower-case letter
    return not (first and sentence[0].islower())


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if len(w) > 2}


def _similar(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return False
    shared = len(a & b)
    return shared / len(a | b) >= 0.6 or shared / min(len(a), len(b)) >= 0.9


def _is_title(sentence: set[str], title: set[str]) -> bool:
    """The sentence says little more than the topic's title (such as the area's heading)."""
    return bool(sentence) and len(sentence & title) / len(sentence) >= 0.8


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


def _questions(prompts_dir: Path, topic: Topic | None, title: str, lang: Lang) -> list[str]:
    names = _SECTIONS[lang]
    sections = _sections(load_prompt("coach_questions", lang, prompts_dir))
    own = _items(sections.get(topic.id, [])) if topic else []
    if not own:
        own = _items(sections.get(names["free"], []))
    closing = _items(sections.get(names["closing"], []))
    subject = title if topic else title.rstrip(".?!")
    return [_fill(q, topic=subject) for q in [*own, *closing]]


def _agenda(
    prompts_dir: Path, title: str, lang: Lang, points: int, questions: list[str]
) -> tuple[str, list[AgendaItem]]:
    names = _SECTIONS[lang]
    sections = _sections(load_prompt("coach_agenda", lang, prompts_dir))
    values = {"topic": title, "points": points, "questions": len(questions)}
    intro = _fill(" ".join(sections.get(names["intro"], [])), **values)
    agenda: list[AgendaItem] = []
    for item in _items(sections.get(names["agenda"], [])):
        minutes, _, text = item.partition("|")
        agenda.append(AgendaItem(minutes=int(minutes.strip()), text=_fill(text.strip(), **values)))
    return intro, agenda


# --- output -------------------------------------------------------------------------------


def source_line(citation: Citation, lang: Lang) -> str:
    """``Title, Organisation, date, p. 3``: what a slide needs to credit a quote (plain text)."""
    parts = [citation.title, citation.organisation, citation.date]
    line = ", ".join(p for p in parts if p)
    if citation.page is not None:
        line += f", {LABELS[lang]['page']} {citation.page}"
    return line


def _md(text: str) -> str:
    """Document text made safe for Markdown: no HTML, no emphasis or links, one line."""
    text = html.escape(" ".join(text.split()), quote=False)
    return re.sub(r"([\\`*_\[\]|#])", r"\\\1", text)


def _quoted(text: str, lang: Lang) -> str:
    return f"”{text}”" if lang == "sv" else f"“{text}”"


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
            out += [
                f"> {_md(_quoted(point.quote, pack.lang))} [{c.number}]",
                ">",
                f"> — *{_md(source_line(c, pack.lang))}*",
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
        for c in pack.citations:
            out.append(f"[{c.number}] {_md(source_line(c, pack.lang))}  ")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_docx(pack: SessionPack, path: Path) -> Path:
    """The pack as a Word document: large quotes with their source under each, ready to lift
    onto a slide; then questions, agenda and the list of sources."""
    from docx import Document as new_document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    lab = LABELS[pack.lang]
    grey = RGBColor(0x55, 0x5B, 0x66)
    doc = new_document()
    doc.core_properties.title = f"{lab['heading']}: {pack.title}"
    doc.core_properties.language = pack.lang
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
            number = quote.add_run(f"  [{c.number}]")
            number.font.size = Pt(12)
            number.font.color.rgb = grey
            source = doc.add_paragraph()
            source.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            source_run = source.add_run(f"— {source_line(c, pack.lang)}")
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
        for c in pack.citations:
            doc.add_paragraph(f"[{c.number}] {source_line(c, pack.lang)}")

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
