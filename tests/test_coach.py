from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document as open_docx
from indexed import indexed_assistant

from assistant.coach import (
    TOPICS,
    KeyPoint,
    SessionPack,
    build_pack,
    find_topic,
    source_line,
    to_docx,
    to_markdown,
)
from assistant.config import Settings
from assistant.core import Assistant
from assistant.models import Citation


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


def test_area_heading_itself_is_not_a_key_point(assistant: Assistant) -> None:
    pack = build_pack(assistant, "okant-obekant", "sv")
    assert not any(p.quote.startswith(("1.", "2.", "3.", "4.")) for p in pack.key_points)


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


def test_docx_from_real_pack(assistant: Assistant, tmp_path: Path) -> None:
    pack = build_pack(assistant, "strategisk-fraga", "sv")
    doc = open_docx(str(to_docx(pack, tmp_path / "p.docx")))
    body = "\n".join(p.text for p in doc.paragraphs)
    for point in pack.key_points:
        assert " ".join(point.quote.split()) in body
