from __future__ import annotations

import pytest

from assistant.citations import (
    citation_from_hit,
    is_meta_sentence,
    is_refusal,
    markers_valid,
    parse_markers,
    strip_markers,
    validate_answer,
)
from assistant.embeddings import FakeEmbeddings
from assistant.models import Chunk, DocMeta, Hit
from assistant.sentences import split_sentences

THRESHOLD = 0.5

PL = (
    "Produktionslyftet 4.0 är ett utvecklingsprogram på 18 månader. "
    "Programmet har tydliga inslag av digitalisering. "
    "Det riktar sig till små och medelstora företag."
)
P2030 = (
    "Cecilia Warrol är programchef för Produktion2030. "
    "Produktion2030 är ett strategiskt innovationsprogram."
)
ROBOT = "Robotlyftet hjälper företag att komma igång med automation. Pilotprojektet pågår 2024."
PREFIX = "Inledning som inte hämtades.\n\n"


def make_hit(text: str, doc: str, rank: int = 1, prefix: str = PREFIX) -> tuple[Hit, str]:
    """A hit whose chunk sits at ``len(prefix)`` in a document text, and that text."""
    doc_text = prefix + text + "\n\nSlut."
    start = len(prefix)
    chunk = Chunk(
        id=f"{doc}#{rank:012d}",
        doc_id=doc,
        index=0,
        text=text,
        start=start,
        end=start + len(text),
        page=rank,
        meta=DocMeta(title=f"Titel {doc}", organisation="Produktionslyftet", date="2024-01-01"),
    )
    return Hit(chunk=chunk, score=1.0 / rank, rank=rank), doc_text


@pytest.fixture
def hits() -> list[Hit]:
    return [
        make_hit(t, d, i)[0]
        for i, (t, d) in enumerate(
            [(PL, "pl.md"), (P2030, "p2030.md"), (ROBOT, "robot.md")], start=1
        )
    ]


def test_parse_and_strip_markers() -> None:
    text = "A [1] b [2, 3] c [4][1]. D [ 5 ]."
    assert parse_markers(text) == [1, 2, 3, 4, 1]
    assert strip_markers(text) == "A b c. D [ 5 ]."


def test_valid_answer_keeps_markers_and_quotes_the_matching_sentence(hits: list[Hit]) -> None:
    emb = FakeEmbeddings()
    text, sentences, cites = validate_answer(
        "Produktionslyftet 4.0 är ett utvecklingsprogram på 18 månader [1].", hits, emb, THRESHOLD
    )
    assert text == "Produktionslyftet 4.0 är ett utvecklingsprogram på 18 månader [1]."
    assert [s.citations for s in sentences] == [[1]]
    assert sentences[0].supported is True and sentences[0].support == pytest.approx(1.0, abs=1e-3)
    (c,) = cites
    assert c.number == 1 and c.chunk_id == hits[0].chunk.id and c.doc_id == "pl.md"
    assert c.quote == "Produktionslyftet 4.0 är ett utvecklingsprogram på 18 månader."
    assert c.title == "Titel pl.md" and c.organisation == "Produktionslyftet" and c.page == 1
    assert c.passage == PL and c.passage_start == len(PREFIX)
    _, doc_text = make_hit(PL, "pl.md")
    assert doc_text[c.start : c.end] == c.quote
    assert len(emb.calls) == 1  # answer sentences and passage sentences in one call


def test_invalid_citation_ids_are_removed(hits: list[Hit]) -> None:
    answer = (
        "Produktionslyftet 4.0 är ett utvecklingsprogram på 18 månader [1, 7]. "
        "Programmet har tydliga inslag av digitalisering [9]. "
        "Det riktar sig till små och medelstora företag [0][4]."
    )
    text, sentences, cites = validate_answer(answer, hits, FakeEmbeddings(), THRESHOLD)
    assert text == (
        "Produktionslyftet 4.0 är ett utvecklingsprogram på 18 månader [1]. "
        "Programmet har tydliga inslag av digitalisering. "
        "Det riktar sig till små och medelstora företag."
    )
    assert [s.citations for s in sentences] == [[1], [], []]
    assert [s.supported for s in sentences] == [True, None, None]
    assert [c.number for c in cites] == [1]
    assert markers_valid(text, cites)


def test_citations_are_renumbered_by_first_appearance(hits: list[Hit]) -> None:
    answer = (
        "Cecilia Warrol är programchef för Produktion2030 [2]. "
        "Robotlyftet hjälper företag att komma igång med automation [3, 2]. "
        "Produktion2030 är ett strategiskt innovationsprogram [2][2]."
    )
    text, sentences, cites = validate_answer(answer, hits, FakeEmbeddings(), THRESHOLD)
    assert text == (
        "Cecilia Warrol är programchef för Produktion2030 [1]. "
        "Robotlyftet hjälper företag att komma igång med automation [2, 1]. "
        "Produktion2030 är ett strategiskt innovationsprogram [1][1]."
    )
    assert [(c.number, c.doc_id) for c in cites] == [(1, "p2030.md"), (2, "robot.md")]
    assert [s.citations for s in sentences] == [[1], [2, 1], [1]]
    assert all(s.text in text for s in sentences)
    assert markers_valid(text, cites)
    # the quote of [1] gathers both sentences it supports: adjacent, so one slice
    assert cites[0].quote == P2030


def test_unsupported_sentences_are_flagged(hits: list[Hit]) -> None:
    answer = (
        "Produktionslyftet 4.0 är ett utvecklingsprogram på 18 månader [1]. "
        "Kaffeautomaten i Borås serverar gratis espresso varje fredag [1]."
    )
    text, sentences, cites = validate_answer(answer, hits, FakeEmbeddings(), THRESHOLD)
    assert [s.supported for s in sentences] == [True, False]
    assert sentences[1].support is not None and sentences[1].support < THRESHOLD
    assert sentences[1].citations == [1]  # the marker stays: the id is valid, the claim is not
    assert "[1]" in text.split(". ")[1]
    # the quote comes from the supported sentence only
    assert cites[0].quote == "Produktionslyftet 4.0 är ett utvecklingsprogram på 18 månader."


def test_support_is_the_best_of_the_cited_passages(hits: list[Hit]) -> None:
    answer = "Robotlyftet hjälper företag att komma igång med automation [1, 3]."
    _, sentences, cites = validate_answer(answer, hits, FakeEmbeddings(), THRESHOLD)
    assert sentences[0].supported is True
    assert [c.doc_id for c in cites] == ["pl.md", "robot.md"]


def test_markers_after_the_full_stop_stay_with_their_sentence(hits: list[Hit]) -> None:
    answer = (
        "Produktionslyftet 4.0 är ett utvecklingsprogram på 18 månader. [1] "
        "Cecilia Warrol är programchef för Produktion2030.[2] Det är allt."
    )
    text, sentences, _ = validate_answer(answer, hits, FakeEmbeddings(), THRESHOLD)
    assert text == (
        "Produktionslyftet 4.0 är ett utvecklingsprogram på 18 månader [1]. "
        "Cecilia Warrol är programchef för Produktion2030 [2]. Det är allt."
    )
    assert [s.citations for s in sentences] == [[1], [2], []]
    assert [s.supported for s in sentences] == [True, True, None]


def test_a_trailing_line_of_markers_joins_the_last_sentence(hits: list[Hit]) -> None:
    answer = "Programmet har tydliga inslag av digitalisering.\n\n[1]"
    text, sentences, cites = validate_answer(answer, hits, FakeEmbeddings(), THRESHOLD)
    assert text == "Programmet har tydliga inslag av digitalisering [1]."
    assert len(sentences) == 1 and sentences[0].citations == [1]
    assert sentences[0].supported is True and len(cites) == 1


def test_a_quoted_sentence_keeps_its_trailing_marker(hits: list[Hit]) -> None:
    answer = 'Dokumentet säger "Programmet har tydliga inslag av digitalisering." [1] Slut.'
    text, sentences, _ = validate_answer(answer, hits, FakeEmbeddings(), THRESHOLD)
    assert [s.citations for s in sentences] == [[1], []]
    assert text == answer


def test_a_marker_only_answer_with_invalid_ids_is_empty(hits: list[Hit]) -> None:
    text, sentences, cites = validate_answer("[8]", hits, FakeEmbeddings(), THRESHOLD)
    assert (text, sentences, cites) == ("", [], [])


def test_no_markers_no_citations(hits: list[Hit]) -> None:
    emb = FakeEmbeddings()
    text, sentences, cites = validate_answer(
        "Det framgår inte av dokumenten.", hits, emb, THRESHOLD
    )
    assert text == "Det framgår inte av dokumenten."
    assert cites == [] and [s.supported for s in sentences] == [None]
    assert emb.calls == []  # nothing to check, nothing embedded
    assert is_refusal(text) and is_refusal("The documents do not say [1].")


def test_flag_uncited_flags_claims_but_not_meta_sentences(hits: list[Hit]) -> None:
    answer = "Så här ligger det till:\n\nProgrammet är gratis. The documents do not say."
    _, sentences, _ = validate_answer(answer, hits, FakeEmbeddings(), THRESHOLD, flag_uncited=True)
    by_text = {s.text: s.supported for s in sentences}
    assert by_text["Så här ligger det till:"] is None
    assert by_text["Programmet är gratis."] is False
    assert by_text["The documents do not say."] is None
    assert is_meta_sentence("Så här ligger det till:") and not is_meta_sentence("Det kostar 5 kr.")


def test_paraphrase_spanning_two_sentences_quotes_both(hits: list[Hit]) -> None:
    answer = (
        "Programmet har tydliga inslag av digitalisering och det riktar sig "
        "till små och medelstora företag [1]."
    )
    _, sentences, cites = validate_answer(answer, hits, FakeEmbeddings(), THRESHOLD)
    assert sentences[0].supported is True
    assert cites[0].quote == (
        "Programmet har tydliga inslag av digitalisering. "
        "Det riktar sig till små och medelstora företag."
    )


def test_citation_from_hit_quotes_adjacent_spans_as_a_slice(hits: list[Hit]) -> None:
    hit = hits[0]
    spans = split_sentences(PL)
    adjacent = citation_from_hit(2, hit, [spans[1], spans[0]])
    assert adjacent.number == 2
    assert adjacent.quote == PL[spans[0][0] : spans[1][1]]
    assert adjacent.start == hit.chunk.start + spans[0][0]
    assert adjacent.end == hit.chunk.start + spans[1][1]

    gap = citation_from_hit(1, hit, [spans[2], spans[0]])
    assert gap.quote == f"{PL[slice(*spans[0])]} … {PL[slice(*spans[2])]}"
    assert (gap.start, gap.end) == (hit.chunk.start + spans[0][0], hit.chunk.start + spans[2][1])

    whole = citation_from_hit(1, hit, [])
    assert whole.quote == PL and whole.passage == PL


def test_markers_valid() -> None:
    hit, _ = make_hit(PL, "pl.md")
    cite = citation_from_hit(1, hit, [(0, 10)])
    assert markers_valid("A [1]. B [1].", [cite])
    assert not markers_valid("A [1]. B [2].", [cite])
    assert markers_valid("No markers.", [])
