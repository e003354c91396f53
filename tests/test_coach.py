from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from docx import Document as open_docx
from indexed import indexed_assistant

from assistant import extractive
from assistant.coach import (
    PRODUCT,
    TOPICS,
    KeyPoint,
    SessionPack,
    Topic,
    build_pack,
    find_topic,
    select_key_points,
    source_line,
    to_docx,
    to_markdown,
)
from assistant.config import REPO_ROOT, Settings
from assistant.core import Assistant
from assistant.models import Chunk, Citation, DocMeta, Hit
from assistant.question import analyse

AREAS = TOPICS[:4]
SECTION = "Att arbeta med förnyelse inom produktion"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The real assistant over a copy of the corpus, fake embedder, indexed once per module."""
    with indexed_assistant(tmp_path_factory.mktemp("coach")) as assistant:
        yield assistant


def _citation(n: int, quote: str, **kw: object) -> Citation:
    passage = f"Före. {quote} Efter."
    fields: dict[str, object] = {
        "number": n,
        "chunk_id": f"a.md#{n}",
        "doc_id": "a.md",
        "title": "Produktionsinnovation – En väg till framtidssäkrad produktion",
        "organisation": "Produktion2030",
        "date": "2020",
        "quote": quote,
        "start": 6,
        "end": 6 + len(quote),
        "passage": passage,
        "passage_start": 0,
    }
    fields.update(kw)
    return Citation.model_validate(fields)


def _hand_pack(lang: str = "sv") -> SessionPack:
    quotes = [
        "Att bygga upp sk ambidexteritet, eller dubbelhänthet, är viktigt.",
        "Ett citat med <script>alert('x')</script> och *stjärnor* och [länk](javascript:x).",
    ]
    points = [KeyPoint(quote=q, citation=_citation(i + 1, q)) for i, q in enumerate(quotes)]
    points[1].citation.page = 3
    return SessionPack.model_validate(
        {
            "title": "Ambidexteritet",
            "topic_id": "ambidexteritet",
            "lang": lang,
            "query": "ambidexteritet",
            "introduction": "Ett underlag.",
            "key_points": points,
            "questions": ["Vad betyder det för oss?", "Nästa steg?"],
            "agenda": [{"minutes": 10, "text": "Incheckning"}, {"minutes": 20, "text": "Samtal"}],
        }
    )


# --- topics ---------------------------------------------------------------------------------


def test_topics_cover_the_four_areas_and_more() -> None:
    titles = [t.title_sv for t in TOPICS]
    assert titles[:4] == [
        "Gör produktionsinnovation till en strategisk fråga",
        "Omfamna det okända och obekanta",
        "Sträva efter en anpassningsbar och flexibel innovationsprocess",
        "Hantera implementering av systemiska förändringar",
    ]
    assert [t.number for t in TOPICS[:4]] == [1, 2, 3, 4]
    assert {"Förbättring vs förnyelse", "Ambidexteritet (dubbelhänthet)"} <= set(titles)
    assert {"Produktdesignutrymmet", "Produktionslyftets program"} <= set(titles)
    assert len({t.id for t in TOPICS}) == len(TOPICS)
    assert all(t.query and t.title_en for t in TOPICS)


def test_find_topic_by_id_title_or_label() -> None:
    assert find_topic("ambidexteritet").id == "ambidexteritet"  # type: ignore[union-attr]
    assert find_topic("  omfamna det okända och OBEKANTA ").id == "okant-obekant"  # type: ignore[union-attr]
    assert find_topic("1. Gör produktionsinnovation till en strategisk fråga") is TOPICS[0]
    assert find_topic("The product design space").id == "produktdesignutrymmet"  # type: ignore[union-attr]
    assert find_topic("digitalisering") is None


# --- packs from the real corpus ---------------------------------------------------------------


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_every_topic_gives_a_complete_pack(assistant: Assistant, topic) -> None:  # type: ignore[no-untyped-def]
    pack = build_pack(assistant, topic.id, "sv")
    assert pack.title == topic.title_sv and pack.topic_id == topic.id
    assert 3 <= len(pack.key_points) <= 5
    assert not pack.notices
    assert [p.citation.number for p in pack.key_points] == list(range(1, len(pack.key_points) + 1))
    quotes = [p.quote for p in pack.key_points]
    assert len(set(quotes)) == len(quotes)
    for point in pack.key_points:
        c = point.citation
        # verbatim: the quote is exactly the cited span of the retrieved passage
        assert point.quote == c.quote
        assert c.passage[c.start - c.passage_start : c.end - c.passage_start] == c.quote
        assert c.title and c.organisation
        assert point.quote.rstrip()[-1] in ".!?”"
    assert len(pack.questions) >= 5
    assert pack.total_minutes == 90 and pack.agenda
    assert topic.title_sv in pack.introduction
    if topic.shape == "area":  # "om området ”Omfamna det okända …”", not "om Omfamna …"
        assert f"om området ”{topic.title_sv}”" in pack.introduction


@pytest.mark.parametrize(
    ("topic_id", "phrase"),
    [
        ("strategisk-fraga", "organisationsstruktur som stöttar förnyelseprocessen"),
        ("okant-obekant", "tillåtelse att misslyckas"),
        ("flexibel-process", "produktionsstrategi i innovationsprocessen"),
        ("systemiska-forandringar", "stegvis implementering"),
        ("ambidexteritet", "dubbelhänthet"),
        ("produktdesignutrymmet", "produktdesignutrymmet"),
        ("produktionslyftet", "Produktionslyftet 4.0"),
    ],
)
def test_key_points_hold_the_topic_core(assistant: Assistant, topic_id: str, phrase: str) -> None:
    pack = build_pack(assistant, topic_id, "sv")
    assert any(phrase in p.quote for p in pack.key_points), [p.quote for p in pack.key_points]


def _area_items() -> dict[int, str]:
    """The four areas' list items (title and explanation) as written in the corpus."""
    text = (REPO_ROOT / "corpus" / "produktionsinnovation.md").read_text(encoding="utf-8")
    items = {int(m.group(1)): m.group(2) for m in re.finditer(r"(?m)^([1-4])\. (.+)$", text)}
    assert sorted(items) == [1, 2, 3, 4]
    return items


def test_area_heading_is_quoted_with_its_explanation_without_its_number(
    assistant: Assistant,
) -> None:
    pack = build_pack(assistant, "okant-obekant", "sv")
    assert not any(p.quote.startswith(("1.", "2.", "3.", "4.")) for p in pack.key_points)
    assert pack.key_points[0].quote.startswith(
        "Omfamna det okända och obekanta i produktionsinnovation. Genom en medvetenhet"
    )


@pytest.mark.parametrize("topic", AREAS, ids=lambda t: t.id)
def test_an_areas_key_points_are_its_own_item_first_and_never_another_areas(
    assistant: Assistant, topic: Topic
) -> None:
    items = _area_items()
    pack = build_pack(assistant, topic.id, "sv")
    quotes = [p.quote for p in pack.key_points]
    # the area's own item first: its title (no number) and explanation, all of it
    own = " ".join(q for q, p in zip(quotes, pack.key_points, strict=True) if p.item)
    assert quotes[0].startswith(topic.title_sv)
    assert own == items[topic.number or 0]
    assert all(p.item in (None, topic.number) for p in pack.key_points)
    # never a sentence of another area's item, whatever the point says of itself
    for number, item in items.items():
        if number != topic.number:
            assert not any(q in item or item in q for q in quotes), (number, quotes)
    assert 3 <= len(quotes) <= 5


def test_area_4_quotes_its_title_and_explanation(assistant: Assistant) -> None:
    pack = build_pack(assistant, "systemiska-forandringar", "sv")
    first = pack.key_points[0]
    assert first.quote == (
        "Hantera implementering av systemiska förändringar. Det behövs insikt i att hela "
        "”ekosystemet” kring produktion kan komma att påverkas av produkt- och "
        "produktionsinnovationer, och lämpliga strategier att hantera detta, så som stegvis "
        "implementering, planering eller involvering av kunder och leverantörer under processen."
    )
    assert first.item == 4 and first.support is not None and first.support > 0.5


def test_key_points_are_traceable_to_their_section(assistant: Assistant) -> None:
    pack = build_pack(assistant, "strategisk-fraga", "sv")
    first = pack.key_points[0]
    assert first.section == SECTION
    md = to_markdown(pack)
    assert f"Produktion2030, 2020, avsnitt ”{SECTION}”*" in md
    assert "[1] Produktionsinnovation – En väg till framtidssäkrad produktion, " in md
    en = to_markdown(build_pack(assistant, "strategisk-fraga", "en"))
    assert f"Produktion2030, 2020, section “{SECTION}”*" in en


def test_an_area_agenda_walks_through_its_key_points_and_questions(assistant: Assistant) -> None:
    pack = build_pack(assistant, "systemiska-forandringar", "sv")
    texts = [item.text for item in pack.agenda]
    for point in pack.key_points:
        n = point.citation.number
        assert sum(t.startswith(f"Citat [{n}] ”") for t in texts) == 1
    assert texts[1].startswith("Citat [1] ”Hantera implementering av systemiska förändringar.")
    for question in pack.questions[:4]:  # the area's own questions, not the closing ones
        assert f"Diskussion: {question}" in texts
    assert not any(pack.questions[-1] in t for t in texts)
    assert pack.total_minutes == 90


def test_agendas_differ_by_kind_of_topic(assistant: Assistant) -> None:
    def shape(topic: str) -> list[str]:
        """The agenda's lines with the topic's title, quotes and questions left out."""
        pack = build_pack(assistant, topic, "sv")
        texts = [i.text.replace(pack.title, "T") for i in pack.agenda]
        return [re.sub(r"\(\d+ ", "(n ", t.split(":")[0]) for t in texts]

    area = shape("strategisk-fraga")
    concept = shape("ambidexteritet")
    programme = shape("produktionslyftet")
    free = shape("digitalisering i små företag")
    assert len({tuple(area), tuple(concept), tuple(programme), tuple(free)}) == 4
    assert shape("okant-obekant")[0] == area[0] and concept == shape("produktdesignutrymmet")


def test_agenda_comes_from_the_prompt_file(
    assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    for name in ("coach_questions.sv.md", "coach_agenda.sv.md"):
        (prompts / name).write_text(
            (REPO_ROOT / "prompts" / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    agenda = prompts / "coach_agenda.sv.md"
    text = agenda.read_text(encoding="utf-8")
    start = text.index("\n## agenda område\n")
    end = text.index("\n## agenda begrepp\n")
    own = "\n## agenda område\n- 5 | Hej\n- 10 | Läs {point}\n- 7 | Fråga: {question}\n"
    agenda.write_text(text[:start] + own + text[end:], encoding="utf-8")
    settings = assistant.settings.model_copy(update={"prompts_dir": prompts})
    monkeypatch.setattr(assistant, "settings", settings)
    pack = build_pack(assistant, "flexibel-process", "sv")
    points = len(pack.key_points)
    assert pack.agenda[0].text == "Hej" and pack.total_minutes == 22
    assert [i.text.startswith("Läs [") for i in pack.agenda[1 : 1 + points]] == [True] * points
    assert sum(i.minutes for i in pack.agenda[1 : 1 + points]) == 10
    # 7 minutes shared by 4 questions: whole minutes, the remainder first
    assert [i.minutes for i in pack.agenda[1 + points :]] == [2, 2, 2, 1]


def test_questions_and_agenda_come_from_the_templates(assistant: Assistant) -> None:
    pack = build_pack(assistant, "produktdesignutrymmet", "sv")
    assert (
        pack.questions[0] == "Vilka produktidéer har stoppats för att vi inte kunde tillverka dem?"
    )
    assert pack.questions[-1].startswith("Vad är ett konkret nästa steg")
    assert pack.agenda[0].minutes == 10
    assert "Produktdesignutrymmet" in pack.agenda[0].text
    assert f"({len(pack.key_points)} citat" in pack.agenda[1].text


def test_free_text_topic(assistant: Assistant) -> None:
    pack = build_pack(assistant, "digitalisering i små företag", "sv")
    assert pack.topic_id is None and pack.title == "digitalisering i små företag"
    assert pack.key_points
    assert pack.questions[0] == "Vad betyder digitalisering i små företag för vår verksamhet i dag?"


def test_english_pack(assistant: Assistant) -> None:
    pack = build_pack(assistant, "ambidexteritet", "en")
    assert pack.title == "Ambidexterity" and pack.lang == "en"
    assert pack.questions[0].startswith("Where in our organisation")
    assert "original Swedish" in pack.introduction
    md = to_markdown(pack)
    assert "## Key points from the documents" in md and "## Sources" in md


def test_english_pack_labels_each_swedish_quote(assistant: Assistant, tmp_path: Path) -> None:
    pack = build_pack(assistant, "systemiska-forandringar", "en")
    quote_lines = [line for line in to_markdown(pack).splitlines() if line.startswith("> “")]
    assert len(quote_lines) == len(pack.key_points) >= 3
    assert all("” *(quoted in Swedish)* [" in line for line in quote_lines)
    doc = open_docx(str(to_docx(pack, tmp_path / "en.docx")))
    quotes = [p.text for p in doc.paragraphs if p.text.startswith("“")]
    assert len(quotes) == len(pack.key_points)
    assert all("” (quoted in Swedish)  [" in q for q in quotes)
    # a Swedish pack of Swedish documents has nothing to label
    sv = build_pack(assistant, "systemiska-forandringar", "sv")
    assert "citat på" not in to_markdown(sv) and "quoted in" not in to_markdown(sv)


def test_empty_index_gives_a_notice_not_an_error(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", corpus_paths=[tmp_path / "none"], embedder="fake"
    )
    pack = build_pack(Assistant.from_settings(settings), "ambidexteritet", "sv")
    assert pack.key_points == []
    assert pack.notices and "indexerade" in pack.notices[0]
    assert pack.questions  # the rest of the pack is still there


def test_empty_topic_is_rejected(assistant: Assistant) -> None:
    with pytest.raises(ValueError):
        build_pack(assistant, "  ", "sv")


def test_refine_hook_may_add_but_not_change_quotes(assistant: Assistant) -> None:
    def add_intro(pack: SessionPack) -> SessionPack:
        return pack.model_copy(update={"introduction": "Skrivet av en modell."})

    assert build_pack(assistant, "ambidexteritet", refine=add_intro).introduction == (
        "Skrivet av en modell."
    )

    def change_quote(pack: SessionPack) -> SessionPack:
        points = [p.model_copy(update={"quote": "Påhittat."}) for p in pack.key_points]
        return pack.model_copy(update={"key_points": points, "introduction": "x"})

    pack = build_pack(assistant, "ambidexteritet", refine=change_quote)
    assert pack.introduction != "x"
    assert all(p.quote == p.citation.quote for p in pack.key_points)
    assert pack.notices and "citaten" in pack.notices[-1]


# --- Markdown and Word -------------------------------------------------------------------------


def test_markdown_has_quotes_sources_questions_agenda() -> None:
    md = to_markdown(_hand_pack())
    assert md.startswith("# Coachunderlag: Ambidexteritet\n")
    assert "> ”Att bygga upp sk ambidexteritet, eller dubbelhänthet, är viktigt.” [1]" in md
    assert (
        "— *Produktionsinnovation – En väg till framtidssäkrad produktion, Produktion2030, 2020*"
        in md
    )
    assert "Produktion2030, 2020, s. 3" in md
    assert "1. Vad betyder det för oss?" in md
    assert "## Förslag till agenda (30 min)" in md
    assert "| 0–10 min | Incheckning |" in md and "| 10–30 min | Samtal |" in md
    assert "## Källor" in md


def test_markdown_escapes_document_text() -> None:
    md = to_markdown(_hand_pack())
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\*stjärnor\\*" in md and "\\[länk\\]" in md


def test_source_line() -> None:
    c = _citation(1, "x", organisation=None, date=None, page=7)
    assert (
        source_line(c, "en")
        == "Produktionsinnovation – En väg till framtidssäkrad produktion, p. 7"
    )
    assert source_line(c, "sv", "Om Produktion2030") == (
        "Produktionsinnovation – En väg till framtidssäkrad produktion, "
        "avsnitt ”Om Produktion2030”, s. 7"
    )
    # the document's own title heading says nothing more
    assert source_line(c, "sv", c.title) == source_line(c, "sv")


def test_docx_has_quotes_with_sources(tmp_path: Path) -> None:
    path = to_docx(_hand_pack(), tmp_path / "out" / "pack.docx")
    doc = open_docx(str(path))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "Coachunderlag: Ambidexteritet"
    assert any(
        t.startswith("”Att bygga upp sk ambidexteritet") and t.endswith("[1]") for t in texts
    )
    assert (
        "— Produktionsinnovation – En väg till framtidssäkrad produktion, Produktion2030, 2020"
        in texts
    )
    assert any("<script>" in t for t in texts)  # plain text in Word, shown as typed
    assert "Vad betyder det för oss?" in texts
    [table] = doc.tables
    assert [c.text for c in table.rows[1].cells] == ["0–10 min", "Incheckning"]
    assert doc.core_properties.title == "Coachunderlag: Ambidexteritet"


def test_docx_properties_name_the_product(tmp_path: Path) -> None:
    now = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    props = open_docx(str(to_docx(_hand_pack(), tmp_path / "p.docx", now=now))).core_properties
    assert props.author == PRODUCT == "Produktionsrådgivaren"
    assert props.last_modified_by == PRODUCT
    assert "python-docx" not in f"{props.comments} {props.keywords} {props.subject}"
    assert props.created == props.modified == now
    assert props.language == "sv"


def test_docx_from_real_pack(assistant: Assistant, tmp_path: Path) -> None:
    pack = build_pack(assistant, "strategisk-fraga", "sv")
    doc = open_docx(str(to_docx(pack, tmp_path / "p.docx")))
    body = "\n".join(p.text for p in doc.paragraphs)
    for point in pack.key_points:
        assert " ".join(point.quote.split()) in body


# --- the answerer's selection, on hand-made candidates -----------------------------------------

_TEXT = (
    "Förnyelse i produktion behöver både förståelse och kunskap om hur man arbetar med den.\n\n"
    "1. Gör produktionsinnovation till en strategisk fråga. Det är viktigt att sätta en "
    "organisationsstruktur för förnyelse. Det behövs KPI:er och en organisation för förnyelse "
    "också.\n\n"
    "2. Omfamna det okända och obekanta i produktionsinnovation. Genom en medvetenhet om "
    "osäkerheten kan företaget uppmuntra öppenhet och tillåtelse att misslyckas.\n\n"
    "Detta visar att förnyelse är en fråga för hela företagets ledning och styrning.\n\n"
    "Företag med stark produktionsinnovationsförmåga har bättre motståndskraft mot kriser.\n\n"
    "Förnyelsearbete kräver en annan typ av förmåga än det vanliga förbättringsarbetet."
)


def _gathered(probs: dict[str, float], same: tuple[str, str] | None = None) -> extractive.Gathered:
    """One chunk of ``_TEXT``; each sentence a candidate with the probability given for the
    sentence starting with that key (others 0.001); ``same`` makes two of them repeat."""
    meta = DocMeta(title="Ramverket", organisation="Produktion2030")
    chunk = Chunk(
        id="r#0", doc_id="r.md", index=0, text=_TEXT, start=0, end=len(_TEXT), meta=meta,
        section="Att arbeta med förnyelse",
    )  # fmt: skip
    hits = [Hit(chunk=chunk, score=1.0, rank=1)]
    cands = extractive.candidates(hits, None)
    for c in cands:
        m = re.match(r"(\d)\. ", c.text)
        para = _TEXT.rfind("\n\n", 0, c.start) + 2
        head = re.match(r"(\d)\. ", _TEXT[para:])
        c.item = int(head.group(1)) if head else None
        c.item_title = bool(m)
        c.prob = next((p for key, p in probs.items() if c.text.startswith(key)), 0.001)
        c.logit = float(np.log(c.prob / (1 - c.prob)))
        c.order = c.logit  # a ranker that agrees with the probabilities
    vectors = np.eye(len(cands), dtype=np.float32)
    if same:
        a, b = (next(i for i, c in enumerate(cands) if c.text.startswith(k)) for k in same)
        vectors[b] = vectors[a]
    question = analyse("strategisk fråga", "sv")
    return extractive.Gathered(question, hits, cands, vectors)


def test_selection_puts_the_areas_own_item_first_and_skips_other_items() -> None:
    g = _gathered({"2. Omfamna": 0.99, "Genom en": 0.98, "Företag med": 0.6, "Förnyelse i": 0.55})
    points = select_key_points(g, TOPICS[0], lambda _doc: _TEXT, max_points=5)
    assert [p.quote for p in points] == [
        "Gör produktionsinnovation till en strategisk fråga. Det är viktigt att sätta en "
        "organisationsstruktur för förnyelse.",
        "Det behövs KPI:er och en organisation för förnyelse också.",
        # then the likeliest others in document order; the pointing-back "Detta …" is left out
        "Förnyelse i produktion behöver både förståelse och kunskap om hur man arbetar med den.",
        "Företag med stark produktionsinnovationsförmåga har bättre motståndskraft mot kriser.",
    ]
    assert [p.item for p in points] == [1, 1, None, None]
    assert points[0].section == "Att arbeta med förnyelse"
    assert [p.citation.number for p in points] == [1, 2, 3, 4]
    assert points[0].citation.quote == points[0].quote  # one verbatim slice of the chunk


def test_selection_follows_the_answer_models_probabilities() -> None:
    probs = {"Förnyelsearbete": 0.9, "Förnyelse i": 0.8, "Företag med": 0.7}
    top = select_key_points(_gathered(probs), None, max_points=2)
    # free text: the likeliest first, whatever the document order
    assert [p.quote[:15] for p in top] == ["Förnyelsearbete", "Förnyelse i pro"]
    # a sentence the answerer's vectors call a repeat is skipped
    again = select_key_points(_gathered(probs, same=("Förnyelsearbete", "Förnyelse i")), None)
    assert "Förnyelse i pro" not in [p.quote[:15] for p in again]
    # outside an area's pack an item's heading is never a point, its explanation may be
    other = select_key_points(_gathered({"2. Omfamna": 0.99, "Genom en": 0.95}), None)
    assert not any(p.quote.startswith(("1.", "2.", "Omfamna")) for p in other)
    assert any(p.quote.startswith("Genom en medvetenhet") for p in other)


def test_weak_candidates_only_fill_up_to_three_points() -> None:
    points = select_key_points(_gathered({"Förnyelsearbete": 0.9}), None, max_points=5)
    assert len(points) == 3
    # beyond three, a sentence the answer model holds less likely on the query than not
    # (a balanced probability under 0.5) is no key point: it was how free-text packs ended
    # on "Nu ser vi fram emot jul och nyår …"
    probs = {"Förnyelsearbete": 0.9, "Förnyelse i": 0.8, "Företag med": 0.7, "Detta visar": 0.3}
    points = select_key_points(_gathered(probs), None, max_points=5)
    assert [p.quote[:11] for p in points] == ["Förnyelsear", "Förnyelse i", "Företag med"]
    probs["Detta visar"] = 0.6  # likely enough, but it points back to a sentence not quoted
    assert len(select_key_points(_gathered(probs), None, max_points=5)) == 3
    probs["2. Omfamna"] = probs["Genom en"] = 0.6  # an item's explanation may be a point
    assert len(select_key_points(_gathered(probs), None, max_points=5)) == 4


def test_a_quote_from_a_quotation_keeps_no_stray_quotation_mark(assistant: Assistant) -> None:
    """The article quotes "“Industriföretag måste våga vara disruptiva … även i produktion.”"
    over three sentences: a key point holding its first or last sentence leaves the mark
    whose partner is in another sentence, so the slide shows ”Vi måste …” and not ”… .””."""
    packs = [build_pack(assistant, t, "sv") for t in ("våga vara disruptiv och tänka nytt",)]
    packs += [build_pack(assistant, topic.id, "sv") for topic in TOPICS]
    quotes = [point.quote for pack in packs for point in pack.key_points]
    assert any("disruptiva" in q or "tänka om radikalt" in q for q in quotes)
    for quote in quotes:
        assert sum(quote.count(mark) for mark in '“”„"«»') % 2 == 0, quote
    markdown = "\n".join(to_markdown(pack) for pack in packs)
    assert "””" not in markdown and "”“" not in markdown
