"""Questions about a document itself (who wrote it, when, who is behind it), answered from
its catalogue entry on the real corpus, and the questions that must not be taken for them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from indexed import indexed_assistant
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.core import Assistant
from assistant.evaluation.run import answer_language
from assistant.models import Answer
from assistant.provenance import asks_about_document

LEADER = "Samverkan samverkan samverkan"
ARTICLE = "Produktionsinnovation – En väg till framtidssäkrad produktion"
LOG = "Produktionslyftets samarbeten inom Smart industri"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    with indexed_assistant(tmp_path_factory.mktemp("provenance")) as assistant:
        yield assistant


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("Vem har skrivit ledaren Samverkan samverkan samverkan?", "author"),
        ("vem skrev artikeln om produktionsinnovation", "author"),
        ("Vem är författaren till loggen?", "author"),
        ("Who wrote the article about production innovation?", "author"),
        ("Who is the author of the leader?", "author"),
        ("När publicerades artikeln?", "date"),
        ("När skrevs ledaren om samverkan?", "date"),
        ("Vilket år är artikeln om produktionsinnovation från?", "date"),
        ("Ledaren där programdirektören summerar hösten – vilket datum är den skriven?", "date"),
        ("Loggen om Smart industri, när skrevs den?", "date"),
        ("When was the leader “Samverkan samverkan samverkan” published?", "date"),
        ("What year was the article written?", "date"),
        ("On what date did she publish the leader about collaboration?", "date"),
        ("Vem står bakom loggen?", "publisher"),
        ("Vilken organisation gav ut artikeln?", "publisher"),
        ("Who is behind the log about Smart industri?", "publisher"),
    ],
)
def test_questions_about_a_document(question: str, aspect: str) -> None:
    assert asks_about_document(question) == aspect


@pytest.mark.parametrize(
    "question",
    [
        # who wrote *about* something is what a text says, not who wrote the text
        "Who wrote about DigiLean in an earlier log post?",
        "Vem var det som skrev om kopplingarna till DigiLean tidigare?",
        "I loggen hänvisas det till en kollega som redan skrivit om DigiLean. Vem är det?",
        # a programme, not a document
        "Vem står bakom Produktionslyftet?",
        "Vilka myndigheter står bakom Produktion2030?",
        "När startade Produktionslyftet?",
        "What does the article say about renewal?",
        "Sammanfatta ledaren.",
        # a date or year in what a document says, not the document's own
        "I artikeln, vilket år fick kvalitetsrörelsen sitt genomslag?",
        "Artikeln nämner corona – när var det som pandemin slog till?",
        "When was the article's framework first developed?",
    ],
)
def test_other_questions_are_not_about_a_document(question: str) -> None:
    assert asks_about_document(question) is None


def _cites_the_document(answer: Answer, title: str) -> None:
    (cite,) = answer.citations
    assert cite.title == title
    hit = next(h for h in answer.hits if h.chunk.id == cite.chunk_id)
    assert cite.quote and cite.quote in hit.chunk.text
    assert answer.text.split("\n")[0].endswith("[1]")


def test_who_wrote_a_document_that_names_its_author(assistant: Assistant) -> None:
    answer = assistant.ask("Vem har skrivit ledaren Samverkan samverkan samverkan?")
    assert not answer.refusal and answer.language == "sv"
    assert answer.text.startswith(f"Ledaren ”{LEADER}” är skriven av Birgitta Öjmertz. [1]")
    # the asked field and the source line, nothing else: the date was not asked
    assert "Daterad" not in answer.text
    assert "Källuppgift: Produktionslyftet, ledare" in answer.text
    _cites_the_document(answer, LEADER)
    # the byline, which names the author and the date, is what is cited
    assert answer.citations[0].quote == "Ledare · Birgitta Öjmertz · Programdirektör · 2019-12-20"
    assert answer.analysis == {"kind": "document", "aspect": "author"}


def test_when_a_document_was_published_in_english(assistant: Assistant) -> None:
    answer = assistant.ask("When was the article about production innovation published?")
    assert not answer.refusal and answer.language == "en"
    # its own words are English, though the title and the source line it names are Swedish
    assert answer_language(answer) == "en"
    assert answer.text.startswith(f"The article “{ARTICLE}” is dated 2020. [1]")
    # the entry's source line, which says where the research comes from
    assert "Luleå tekniska universitet" in answer.text
    assert "Source (in Swedish): IMIT" in answer.text
    _cites_the_document(answer, ARTICLE)


def test_an_author_the_entry_does_not_name_is_an_honest_refusal(assistant: Assistant) -> None:
    # the log names no author: "who wrote it" is not answered with who publishes it
    answer = assistant.ask("Vem skrev loggen om Produktionslyftets samarbeten inom Smart industri?")
    assert answer.refusal
    assert answer.text.startswith(f"Det framgår inte vem som har skrivit loggen ”{LOG}”")
    assert "Från Produktionslyftet." in answer.text
    _cites_the_document(answer, LOG)
    english = assistant.ask("Who wrote the article?")
    assert english.refusal and english.text.startswith("The documents do not say who wrote")


def test_who_is_behind_a_document(assistant: Assistant) -> None:
    answer = assistant.ask("Vem står bakom loggen?")
    assert not answer.refusal
    assert answer.text.startswith(f"Loggen ”{LOG}” kommer från Produktionslyftet. [1]")
    _cites_the_document(answer, LOG)


def test_who_wrote_about_something_is_still_answered_from_the_text(
    assistant: Assistant,
) -> None:
    answer = assistant.ask("Who wrote about DigiLean in an earlier log post?")
    assert answer.analysis.get("kind") != "document"
    assert "Anna Bird" in answer.text


def test_an_llm_backend_does_not_answer_what_the_entry_says(assistant: Assistant) -> None:
    # a model sees passages, not the catalogue: the entry answers, and the model is not asked
    model = FakeListChatModel(responses=["Ledaren skrevs av Anna Bird [1]."])
    llm = Assistant.from_settings(
        assistant.settings.model_copy(update={"backend": "openai"}), chat_model=model
    )
    answer = llm.ask("Vem har skrivit ledaren?")
    assert answer.backend == "extractive" and answer.notices == []
    assert "Birgitta Öjmertz" in answer.text and "Anna Bird" not in answer.text
    assert model.i == 0
