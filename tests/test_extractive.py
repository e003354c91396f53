"""The extractive answerer's own rules, on small inputs with exact expectations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from indexed import indexed_assistant

from assistant.config import REPO_ROOT
from assistant.core import Assistant
from assistant.extractive import lacks_asked_type, list_items, unknown_names


@pytest.mark.parametrize(
    ("question", "sentences", "lacking"),
    [
        # money needs a sum with a currency
        ("Vad kostar det att delta?", ["Ett program på 18 månader."], True),
        ("Vad kostar det att delta?", ["Deltagandet kostar 5 000 kronor."], False),
        # amounts: a year or a name with a version number is not an amount
        ("Hur många coacher finns det?", ["Under 2020 satsar vi på Industri 4.0."], True),
        ("Hur länge pågår programmet?", ["Ett Utvecklingsprogram på 18 månader."], False),
        ("How many companies took part?", ["The 18-month programme."], False),
        # dates: only when the question starts with när/when
        ("När publicerades den?", ["Ledare · Birgitta Öjmertz · 2019-12-20"], False),
        ("När publicerades den?", ["Ledare av Birgitta Öjmertz."], True),
        ("När startade programmet?", ["Vi har ett 18-månadersprogram."], True),
        ("When was it founded?", ["It started on 3 March."], False),
        ("Vad menas med explore när man pratar om innovation?", ["Ingen siffra här."], False),
        ("Vad är förnyelse?", ["Ingen siffra här."], False),
    ],
)
def test_lacks_asked_type(question: str, sentences: list[str], lacking: bool) -> None:
    assert lacks_asked_type(question, sentences) is lacking


def test_unknown_names() -> None:
    vocab = {"erp": 0.0} | {t: 1.0 for t in ("global", "go", "produktionslyftet", "smf", "iso")}
    vocab.pop("erp")
    assert unknown_names("Vilken ERP-leverantör rekommenderas?", "sv", vocab) == ["ERP"]
    assert unknown_names("Vem vann Allsvenskan?", "sv", vocab) == ["Allsvenskan"]
    assert unknown_names("Vad är Go Global?", "sv", vocab) == []
    # the first word is not a name; English capitalised words are not checked, acronyms are
    assert unknown_names("Produktionslyftet?", "sv", vocab) == []
    assert unknown_names("What does the Rural Programme offer?", "en", vocab) == []
    assert unknown_names("Which OEE formula?", "en", vocab) == ["OEE"]
    # the glossary makes SME known through SMF
    assert unknown_names("What do SME need?", "en", vocab) == []
    # "how does one <verb>" needs the verb in the documents; a modal verb is not the action
    assert unknown_names("Hur ansöker man om att gå med?", "sv", vocab) == ["ansöker"]
    assert unknown_names("Hur kan man gå med?", "sv", {"kan": 1.0}) == []


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    with indexed_assistant(tmp_path_factory.mktemp("extractive")) as assistant:
        yield assistant


def test_list_items_follow_the_announcing_sentence(assistant: Assistant) -> None:
    snap = assistant.snapshot
    doc = "produktionsinnovation.md"
    text = snap.doc_text(doc)
    intro = (
        "identifierat fyra områden som är viktiga för att företag ska lyckas med förnyelse "
        "i produktion."
    )
    pos = text.index(intro) + len(intro)
    items = [text[s:e] for s, e in list_items(snap, doc, pos)]
    assert items == [
        "1. Gör produktionsinnovation till en strategisk fråga.",
        "2. Omfamna det okända och obekanta i produktionsinnovation.",
        "3. Sträva efter en anpassningsbar och flexibel innovationsprocess.",
        "4. Hantera implementering av systemiska förändringar.",
    ]
    assert list_items(snap, doc, 0) == []


def test_doc_text_rebuilt_from_chunks_matches_offsets(assistant: Assistant) -> None:
    from assistant.loaders import load_document

    for doc_id in assistant.snapshot.documents:
        original = load_document(REPO_ROOT / "corpus" / doc_id, REPO_ROOT / "corpus").text
        rebuilt = assistant.snapshot.doc_text(doc_id)
        assert len(rebuilt) == len(original)
        assert rebuilt.split() == original.split()


def test_an_answer_that_announces_a_list_names_its_items(assistant: Assistant) -> None:
    answer = assistant.ask(
        "Vilka fyra områden är viktiga för att lyckas med förnyelse i produktion?"
    )
    assert not answer.refusal
    for item in (
        "strategisk fråga",
        "Omfamna det okända",
        "flexibel innovationsprocess",
        "systemiska förändringar",
    ):
        assert item in answer.text
    numbers = {c.number for c in answer.citations}
    cited_chunks = {c.chunk_id for c in answer.citations}
    assert cited_chunks <= {h.chunk.id for h in answer.hits}  # citations point into the hits
    for s in answer.sentences:
        assert set(s.citations) <= numbers


def test_names_the_documents_never_mention_are_refused(assistant: Assistant) -> None:
    answer = assistant.ask("Vilken ERP-leverantör rekommenderas för Produktionslyftet?")
    assert answer.refusal and answer.text.startswith("Det framgår inte av dokumenten")


def test_an_item_title_brings_its_explanation_on_one_line(assistant: Assistant) -> None:
    a = assistant.ask("Hur gör man produktionsinnovation till en strategisk fråga i företaget?")
    line = next(p for p in a.text.split("\n") if p.startswith("1. Gör produktionsinnovation"))
    assert "organisationsstruktur som stöttar förnyelseprocessen" in line
    assert "KPI:er och en organisation för förnyelse" in line
    assert "2. Omfamna" not in a.text  # the next item is not the answer
