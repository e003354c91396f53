"""Reading a question's misspelt words as the documents' words: only unknown, uncommon words,
only to one nearest document word, and never a real word into another."""

from __future__ import annotations

import pytest

from assistant.spelling import Speller, edits, knows

WORDS = [
    "produktionslyftet",
    "produktionslyftets",
    "digiliseringslyftet",
    "robotlyftet",
    "ambidexteritet",
    "samarbeten",
    "förnyelse",
    "förbättring",
    "kvalitetsrörelsen",
    "metodik",
    "metodiken",
]
VOCABULARY = {"produktionslyft", "robotlyft", "förny", "förbättring", "samarbet", "metodik"}


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("robotlyftet", "robotlyftet", 0),
        ("robotlyftt", "robotlyftet", 1),  # a letter dropped
        ("robotlyfftet", "robotlyftet", 1),  # added
        ("robotlyfet", "robotlyftet", 1),
        ("robotlyftte", "robotlyftet", 1),  # two neighbours swapped
        ("robotliftat", "robotlyftet", 2),
        ("digitaliseringslyftet", "digiliseringslyftet", 2),
    ],
)
def test_edits_counts_insertions_deletions_changes_and_swaps(a: str, b: str, distance: int) -> None:
    assert edits(a, b, 3) == distance
    assert edits(a, b, distance) == distance
    if distance:
        assert edits(a, b, distance - 1) == distance  # over the limit: limit + 1


@pytest.mark.parametrize(
    ("question", "read"),
    [
        ("Hur länge pågår Produktionslyfet 4.0?", "Hur länge pågår Produktionslyftet 4.0?"),
        ("vad är robtlyftet?", "vad är robotlyftet?"),
        # the documents spell a name otherwise than the question does
        (
            "How does Digitaliseringslyftet tie in?",
            "How does Digiliseringslyftet tie in?",
        ),
    ],
)
def test_a_misspelt_name_is_read_as_the_documents_spell_it(question: str, read: str) -> None:
    text, fixes = Speller(WORDS).correct(question, knows(VOCABULARY))
    assert text == read
    assert len(fixes) == 1 and fixes[0].written in question and fixes[0].read in read


@pytest.mark.parametrize(
    "question",
    [
        "Vi är ett gjuteri i Västergötland.",  # real words the documents do not use
        "Vad betyder ambidexterity?",  # the glossary pairs it with the documents' term
        "Hur arbetar man med förnyelse?",  # known words
        "Vad säger de om samarbetena?",  # another form of a known word: the analyser's
        "Vad är metodikx?",  # two document words equally near: no guess
        "Vad är xylofonerna?",  # nothing near
    ],
)
def test_real_words_and_unsure_readings_stay_as_written(question: str) -> None:
    vocabulary = VOCABULARY | {"ambidexteritet"}
    words = [*WORDS, "metodika"]
    text, fixes = Speller(words).correct(question, knows(vocabulary))
    assert (text, fixes) == (question, [])
