from __future__ import annotations

import itertools
import re

from assistant.chunking import chunk_document, chunk_spans
from assistant.config import REPO_ROOT
from assistant.loaders import load_document
from assistant.models import DocMeta, Document
from assistant.sentences import sentences, split_sentences

CORPUS = REPO_ROOT / "corpus"


def test_swedish_abbreviations_do_not_end_sentences() -> None:
    text = (
        "Det finns arbetssätt, t ex Design for Manufacturing (DfM). Att bygga upp sk "
        "ambidexteritet är viktigt. Det gäller bl.a. små företag, dvs SMF. Se t.ex. figuren! "
        "Vad gör vi?"
    )
    assert sentences(text) == [
        "Det finns arbetssätt, t ex Design for Manufacturing (DfM).",
        "Att bygga upp sk ambidexteritet är viktigt.",
        "Det gäller bl.a. små företag, dvs SMF.",
        "Se t.ex. figuren!",
        "Vad gör vi?",
    ]


def test_list_numbers_and_paragraphs() -> None:
    text = (
        "1. Gör produktionsinnovation till en strategisk fråga. Det är viktigt.\n\n"
        "2. Omfamna det okända"
    )
    assert sentences(text) == [
        "1. Gör produktionsinnovation till en strategisk fråga.",
        "Det är viktigt.",
        "2. Omfamna det okända",
    ]


def test_sentence_spans_cover_all_text() -> None:
    for path in CORPUS.glob("*.md"):
        doc = load_document(path, CORPUS)
        spans = split_sentences(doc.text)
        covered = "".join(doc.text[s:e] for s, e in spans)
        assert re.sub(r"\s", "", covered) == re.sub(r"\s", "", doc.text)


def _doc(text: str) -> Document:
    return Document(id="d.md", path="d.md", text=text, meta=DocMeta(title="T"))


def test_chunks_are_exact_spans_and_lose_no_text() -> None:
    for path in CORPUS.glob("*.md"):
        doc = load_document(path, CORPUS)
        chunks = chunk_document(doc, size=400, overlap=80)
        assert chunks
        covered = [False] * len(doc.text)
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert len(c.text) <= 400
            assert c.meta == doc.meta and c.doc_id == doc.id
            for i in range(c.start, c.end):
                covered[i] = True
        lost = "".join(ch for ch, cov in zip(doc.text, covered, strict=True) if not cov)
        assert lost.strip() == ""


def test_chunks_end_at_sentence_boundaries_and_overlap() -> None:
    sents = [f"Mening nummer {i} handlar om förnyelse i produktion." for i in range(30)]
    doc = _doc(" ".join(sents))
    chunks = chunk_document(doc, size=200, overlap=60)
    ends = {e for _, e in split_sentences(doc.text)}
    assert all(c.end in ends for c in chunks)
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end  # overlap
        assert a.end - b.start <= 60


def test_sections_are_not_crossed_and_recorded() -> None:
    doc = _doc("# Titel\n\nIntro om förbättring.\n\n## Förnyelse\n\nText om förnyelse. Mer text.")
    spans = chunk_spans(doc.text, size=500, overlap=0)
    assert [s[2] for s in spans] == ["Titel", "Förnyelse"]
    chunks = chunk_document(doc, 500, 0)
    assert chunks[1].text.startswith("## Förnyelse")
    assert chunks[1].section == "Förnyelse"


def test_long_sentence_is_cut_at_spaces() -> None:
    doc = _doc(" ".join(["ord"] * 400) + ".")
    chunks = chunk_document(doc, size=150, overlap=0)
    assert all(len(c.text) <= 150 for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks) == doc.text.replace(" ", "")


def test_chunk_ids_are_stable_and_unique() -> None:
    doc = _doc("Samma mening. Samma mening.\n\nSamma mening. Samma mening.")
    a = chunk_document(doc, 30, 0)
    b = chunk_document(doc, 30, 0)
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    edited = _doc(doc.text + "\n\nEn ny mening i slutet.")
    assert a[0].id == chunk_document(edited, 30, 0)[0].id


def test_page_numbers_carried_to_chunks() -> None:
    from assistant.models import PageSpan

    text = "Sida ett handlar om lean.\n\nSida två handlar om förnyelse."
    doc = Document(
        id="p.pdf",
        path="p.pdf",
        text=text,
        meta=DocMeta(title="P"),
        pages=[PageSpan(page=1, start=0, end=25), PageSpan(page=2, start=27, end=len(text))],
    )
    chunks = chunk_document(doc, size=30, overlap=0)
    assert [c.page for c in chunks] == [1, 2]
