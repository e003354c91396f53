from __future__ import annotations

import pytest

from assistant.models import Turn
from assistant.rewrite import key_terms, needs_context, rewrite_without_llm


def user(text: str) -> Turn:
    return Turn(role="user", content=text)


def bot(text: str) -> Turn:
    return Turn(role="assistant", content=text)


def test_swedish_follow_up_carries_the_programme_name() -> None:
    history = [
        user("Vad är Produktionslyftet 4.0?"),
        bot("Produktionslyftet 4.0 är ett utvecklingsprogram med inslag av digitalisering [1]."),
    ]
    rewritten = rewrite_without_llm("Hur länge pågår det?", history)
    assert rewritten.startswith("Hur länge pågår det?")
    assert "Produktionslyftet 4.0" in rewritten
    assert rewritten.count("Produktionslyftet") == 1
    assert "[1]" not in rewritten


def test_english_follow_up_carries_the_programme_name() -> None:
    history = [
        user("Who is the programme director of Produktionslyftet?"),
        bot("The documents do not say."),
    ]
    rewritten = rewrite_without_llm("And who funds it?", history)
    assert rewritten.startswith("And who funds it?")
    assert "Produktionslyftet" in rewritten


@pytest.mark.parametrize(
    "question",
    [
        "Vilka satsningar gör Tillväxtverket inom Smart industri?",
        "Hur arbetar man med ständiga förbättringar i en verkstad?",
        "Which companies that joined Produktionslyftet improved their productivity?",
        "Vad är TPM?",
    ],
)
def test_a_self_contained_question_is_unchanged(question: str) -> None:
    history = [user("Vad är Produktionslyftet 4.0?"), bot("Ett utvecklingsprogram [1].")]
    assert not needs_context(question)
    assert rewrite_without_llm(question, history) == question


def test_no_history_no_change() -> None:
    assert rewrite_without_llm("Hur länge pågår det?", []) == "Hur länge pågår det?"


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Hur länge pågår det?", "sv"),
        ("Vem leder den?", "sv"),
        ("Vad kostar det för ett litet företag?", "sv"),
        ("Vilka företag deltar där?", "sv"),
        ("Och i Norrland?", "sv"),
        ("Men vad kostar Robotlyftet?", "sv"),
        ("Berätta mer om den tredje", "sv"),
        ("Vem leder programmet?", "sv"),  # few content words, no name
        ("What does it cost?", "en"),
        ("Who runs them?", "en"),
        ("And in Norrland?", "en"),
        ("But what about Robotlyftet?", "en"),
        ("Tell me about the third one", "en"),
        ("Does that include coaching?", "en"),
    ],
)
def test_needs_context(question: str, lang: str) -> None:
    assert needs_context(question, lang)
    assert needs_context(question)  # language unknown: both languages' cues


@pytest.mark.parametrize(
    "question",
    [
        "Finns det stöd för digitalisering av Produktion2030s projekt?",
        "Vilka är de största utmaningarna för små företag inom tillverkning?",
        "Is there a programme for robot automation in small companies?",
        "Is it possible for a small company to join Produktionslyftet?",
    ],
)
def test_dummy_subjects_and_determiners_do_not_refer_back(question: str) -> None:
    assert not needs_context(question)


def test_a_follow_up_of_a_follow_up_reaches_back_for_the_name() -> None:
    history = [
        user("Vad är Produktionslyftet 4.0?"),
        bot("Ett utvecklingsprogram [1]."),
        user("Hur länge pågår det?"),
        bot("I 18 månader [1]."),
    ]
    rewritten = rewrite_without_llm("Vem finansierar det?", history)
    assert "Produktionslyftet 4.0" in rewritten


def test_a_follow_up_of_a_follow_up_reaches_back_for_the_subject_words_too() -> None:
    # the subject is a plain noun, not a name: it used to be lost, and the previous answer's
    # words stood in for it
    history = [
        user("Vad är ambidexteritet?"),
        bot("Att bygga upp sk ambidexteritet, eller dubbelhänthet, är viktigt [1]."),
        user("Varför är det viktigt?"),
        bot("För att skapa balans mellan förbättring och förnyelse [1]."),
    ]
    rewritten = rewrite_without_llm("Hur kommer man igång?", history)
    assert "ambidexteritet" in rewritten
    assert "dubbelhänthet" not in rewritten and "balans" not in rewritten


def test_few_user_terms_borrow_from_the_answer() -> None:
    history = [user("Vad är det?"), bot("Robotlyftet hjälper företag med automation [2]. Mer.")]
    rewritten = rewrite_without_llm("Vad kostar det?", history)
    assert "Robotlyftet" in rewritten and "automation" in rewritten and "Mer" not in rewritten


def test_rewriting_is_deterministic() -> None:
    history = [user("Who is the programme director of Produktionslyftet?"), bot("Anna [1].")]
    runs = {rewrite_without_llm("And who funds it?", history) for _ in range(5)}
    assert len(runs) == 1


def test_key_terms() -> None:
    names, words = key_terms("Vad gör IUC-bolagen inom Produktionslyftet 4.0 och Produktion2030?")
    assert names == ["IUC-bolagen", "Produktionslyftet 4.0", "Produktion2030"]
    assert words == []
    names, words = key_terms("Who is the programme director of Produktionslyftet?")
    assert names == ["Produktionslyftet"] and words == ["programme", "director"]


def test_possessives_refer_back_unless_a_name_comes_first() -> None:
    assert needs_context("What is its budget for next year?", "en")
    assert needs_context("Vilka är deras viktigaste resultat under året?", "sv")
    assert not needs_context("How did Produktionslyftet change its coaching method?", "en")


def test_lead_ins_and_refusals_add_no_terms() -> None:

    lead_in = [
        Turn(role="user", content="Berätta mer"),
        Turn(
            role="assistant",
            content="Så här beskriver dokumenten det:\n\nLean ger effektivitet. [1]",
        ),
    ]
    rewritten = rewrite_without_llm("Och sen?", lead_in)
    assert "beskriver" not in rewritten and "Lean" in rewritten
    refused = [
        Turn(role="user", content="Berätta mer"),
        Turn(
            role="assistant",
            content="Det framgår inte av dokumenten. De källor som ligger närmast är:",
        ),
    ]
    assert "framgår" not in rewrite_without_llm("Och sen?", refused)
