"""Question analysis: the asked kind, the focus and context, ordinals and relations, in
Swedish and English, on many phrasings per kind; and what a sentence holds."""

from __future__ import annotations

import pytest

from assistant.question import (
    DOCUMENT_KINDS,
    LAST,
    analyse,
    asks_date,
    has_cue,
    has_relation,
    is_anaphoric,
    kind_span,
    named_kind,
    names_as_written,
    small_talk,
    vague_frequency,
    vague_time,
)

KINDS = {
    "duration": [
        ("Hur länge pågår Produktionslyftet 4.0?", "sv"),
        ("Hur lång tid tar utvecklingsprogrammet?", "sv"),
        ("Under hur lång tid löper programmet?", "sv"),
        ("Hur många månader är programmet?", "sv"),
        ("Hur lång är coachkursen?", "sv"),
        ("Hur lång ledighet tar många över jul?", "sv"),
        ("How long does the development programme run?", "en"),
        ("For how many months does it last?", "en"),
    ],
    "organisation": [
        ("Vilken organisation är Produktionslyftet en del av?", "sv"),
        ("Vilket universitet samarbetar de med om underhåll?", "sv"),
        ("Vilka myndigheter stöder Produktion2030?", "sv"),
        ("Vem finansierar Produktionslyftet?", "sv"),
        ("Vilka statliga finansiärer står bakom programmet?", "sv"),
        ("Which organisation runs Produktionslyftet?", "en"),
        ("Who funds Produktion2030?", "en"),
        ("Which agencies back the programme?", "en"),
        # whom one works with is an organisation here, not a person's name
        ("Who does Produktionslyftet work with in the rural programme?", "en"),
        ("Vem samarbetar Produktionslyftet med kring Go Global?", "sv"),
        # who runs something: "… de Smart industri-satsningar som Tillväxtverket håller i"
        ("Vem håller i Smart industri-satsningarna?", "sv"),
        ("Vem är det som driver Robotlyftet?", "sv"),
        ("Who is behind the Smart industry initiatives?", "en"),
        ("Who is running Robotlyftet?", "en"),
    ],
    "person": [
        ("Vem är programdirektör för Produktionslyftet?", "sv"),
        ("Vem skrev ledaren?", "sv"),
        ("Vad heter programchefen för Produktion2030?", "sv"),
        ("Vilken person hänvisar loggen till om DigiLean?", "sv"),
        ("Which person does the log point to for DigiLean?", "en"),
        ("Who wrote the leader?", "en"),
        ("Who is the programme director?", "en"),
        ("Who is the CEO of RISE?", "en"),
    ],
    "time": [
        ("När publicerades ledaren?", "sv"),
        ("Vilket år får Produktionslyftet verksamhetsbidraget?", "sv"),
        ("Sedan när har förbättringsarbete varit i fokus?", "sv"),
        ("När är sista ansökningsdag?", "sv"),
        ("When was the leader published?", "en"),
        ("What year does the grant cover?", "en"),
        ("Under vilken del av året var det mest intensivt?", "sv"),
        ("Vilken årstid beskrivs som intensiv?", "sv"),
        ("Which season was the busiest?", "en"),
        ("What is the application deadline?", "en"),
        ("Artikeln nämner en vår då man måste ställa om. Vilken vår är det?", "sv"),
        ("Which autumn was so intensive?", "en"),
    ],
    "count": [
        ("Hur många områden har ramverket?", "sv"),
        ("Hur många företag deltog?", "sv"),
        ("How many areas does the framework have?", "en"),
        ("Vad är antalet deltagare i coachkursen?", "sv"),
        ("How many companies have completed the programme?", "en"),
    ],
    "amount": [
        ("Med hur många procent ökade lönsamheten?", "sv"),
        ("Hur mycket har omsättningen ökat i procent?", "sv"),
        ("By what percentage did profitability rise?", "en"),
        ("Vad kostar det att delta?", "sv"),
        ("Hur mycket kostar coachkursen?", "sv"),
        ("What does the start programme cost?", "en"),
        ("How much does it cost to join?", "en"),
        # a size, or a change in size
        ("Hur stort är Tillväxtverkets bidrag till Produktionslyftet?", "sv"),
        ("Hur mycket ökade omsättningen hos företagen?", "sv"),
        ("Hur stor del av kostnaden betalar företaget själv?", "sv"),
        ("Vilken lön har en Lean-coach?", "sv"),
        ("How much did sales increase?", "en"),
        ("How large is the grant for 2020?", "en"),
        # with a modal verb, and "amount to"
        ("How much would a licence for the framework cost us?", "en"),
        ("What would the coach course cost?", "en"),
        ("Vad skulle det kosta oss att delta?", "sv"),
        ("What does Tillväxtverket's grant to Produktionslyftet amount to?", "en"),
        ("Vad uppgår verksamhetsbidraget till?", "sv"),
        # whether it costs anything, and a contribution's size
        ("Kostar coachkursen något för deltagarna?", "sv"),
        ("Does the coach course cost anything?", "en"),
        ("What was LIGHTer's financial contribution to Go Global?", "en"),
        ("Hur mycket bidrog Produktion2030 med?", "sv"),
        ("How much did Tillväxtverket invest in the programme?", "en"),
    ],
    "frequency": [
        ("Hur ofta träffas coacherna och företagen?", "sv"),
        ("Hur många gånger per år följs företagen upp?", "sv"),
        ("How often do the coaches visit a company?", "en"),
        ("How many times a year is the log published?", "en"),
    ],
    "contact": [
        ("Vilket telefonnummer har Produktionslyftet?", "sv"),
        ("What is the phone number of the office?", "en"),
        ("Vilken e-postadress har programchefen?", "sv"),
        ("Var kan jag läsa mer om Produktion2030?", "sv"),
        ("Where can I find more information about the framework?", "en"),
        ("Var hittar man mer information om Produktion2030?", "sv"),
    ],
    "place": [
        ("Var finns de företag som Landsbygdsprogrammet vill stärka?", "sv"),
        ("Where are the companies the rural programme targets?", "en"),
    ],
    # named countries or companies: a programme's name does not answer "Vilka företag …?"
    "country": [
        ("Vilka länder samarbetar Produktion2030 med?", "sv"),
        ("Which countries does the start programme focus on?", "en"),
        ("I vilka länder finns kunderna?", "sv"),
    ],
    # what came of something: the sentence that names it does not say
    "result": [
        ("Vilka resultat har Go Global gett?", "sv"),
        ("What were the results of the Robotlyftet pilot project?", "en"),
        ("Vad har satsningen på lean resulterat i?", "sv"),
        ("What has the programme achieved so far?", "en"),
    ],
    "company": [
        ("Vilka företag deltar i pilotprojektet inom Robotlyftet?", "sv"),
        ("Vilket bolag levererar robotarna?", "sv"),
        ("Which companies have taken part in the Go Global start programme?", "en"),
    ],
    "reason": [
        ("Varför behövs förnyelse i produktionen?", "sv"),
        ("Av vilken anledning är det viktigt att våga misslyckas?", "sv"),
        ("Why do companies need renewal capability?", "en"),
    ],
    "purpose": [
        ("Vad är syftet med ramverket?", "sv"),
        ("Vad vill Produktionslyftet uppnå med samverkan?", "sv"),
        ("And what is that programme actually trying to achieve?", "en"),
        ("What is the aim of the framework?", "en"),
    ],
    "list": [
        ("Vilka är de fyra områdena?", "sv"),
        ("Nämn startprogrammen.", "sv"),
        ("Räkna upp samarbetena.", "sv"),
        # how many things a text names: the things answer, the text never counts them
        ("Hur många personer namnges i loggen?", "sv"),
        ("Hur många startprogram räknar programdirektören upp i ledaren?", "sv"),
        ("How many strategies does the article give for systemic changes?", "en"),
        ("How many people are named in the log?", "en"),
        ("What are the four areas for succeeding with renewal?", "en"),
        ("List the start programmes.", "en"),
        ("Vilka fyra saker behöver vi jobba med?", "sv"),
        ("Which four areas matter for succeeding with renewal?", "en"),
        ("What three steps do the documents suggest?", "en"),
    ],
    "definition": [
        ("Vad är ambidexteritet?", "sv"),
        ("Vad innebär produktdesignutrymmet?", "sv"),
        ("Vad menas med explore?", "sv"),
        ("Vad menar man med förbättring i produktionen?", "sv"),
        ("Vad menar artikeln med produktdesignutrymme?", "sv"),
        ("What do they mean by renewal?", "en"),
        ("Berätta om Produktionslyftet 4.0.", "sv"),
        ("What is ambidexterity?", "en"),
        ("What does exploit mean?", "en"),
        # who a named person is: a role or a description, not a name
        ("Vem är Birgitta Öjmertz?", "sv"),
        ("Who is Cecilia Warrol?", "en"),
    ],
    "how": [
        ("Hur kan vi komma igång med förnyelse?", "sv"),
        ("Hur ska vi organisera för förnyelse?", "sv"),
        ("Vad bör vi göra först?", "sv"),
        ("How can we build renewal capability?", "en"),
        ("How should a small company start?", "en"),
        ("How do we reduce cost per part with renewal?", "en"),  # not an amount
        # where to begin is advice, not a place (was refused as a place question)
        ("Var ska vi börja med förnyelse?", "sv"),
        ("Where should we start with renewal?", "en"),
        # what the asker should do, with "else"/"mer" or a modal other than "should"
        ("Vad mer ska vi mäta?", "sv"),
        ("Vad måste ledningen göra?", "sv"),
        ("What else should we follow up to support renewal?", "en"),
        ("What must management do?", "en"),
        ("What can we do to succeed with renewal?", "en"),
        ("What do we need to do first?", "en"),
    ],
    "yesno": [
        ("Stämmer det att Produktion2030 är finansiär?", "sv"),
        ("Finns det ett program om underhåll?", "sv"),
        ("Kan vi som företag få bidrag från Tillväxtverket?", "sv"),
        ("Is Produktion2030 a strategic innovation programme?", "en"),
        ("Does the framework come from research?", "en"),
    ],
    "other": [
        # software is no programme: "programvara" stays the focus, not the kind's noun
        ("Vilken programvara använder Produktionslyftet för att följa upp företagen?", "sv"),
        # "antalet" without asking for it: what happened to the number, not the number
        ("Vad hände med antalet anställda i företagen?", "sv"),
        ("What can the framework do?", "en"),  # what it can do, not what the asker should
    ],
}


@pytest.mark.parametrize(
    "question", ["Kan du ge mer information om förnyelse?", "Can you tell me more about it?"]
)
def test_more_about_a_subject_asks_for_no_web_address(question: str) -> None:
    assert analyse(question, "sv").kind != "contact"


@pytest.mark.parametrize(
    ("question", "lang", "kind"),
    [(q, lang, kind) for kind, qs in KINDS.items() for q, lang in qs],
)
def test_asked_kind(question: str, lang: str, kind: str) -> None:
    assert analyse(question, lang).kind == kind  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "ordinal"),
    [
        ("Vad innebär det fjärde området?", 4),
        ("Och det tredje?", 3),
        ("Vad säger punkt 2?", 2),
        ("Förklara område nummer 1.", 1),
        ("What does the third area mean?", 3),
        ("Tell me about the second one.", 2),
        ("Vad menas med andra sektorer?", None),  # "andra" = other, not second
        ("What is the 4th area?", 4),
        ("Vad innebär det 4:e området?", 4),
        ("Vad säger det sjunde rådet?", 7),
        # the last item, whatever its number; "the last" alone is time, not an item
        ("Vad är det sista området?", LAST),
        ("Which is the last area?", LAST),
        ("Och det sista?", LAST),  # a follow-up
        # a cardinal after the item's noun; not an article
        ("Berätta om område tre.", 3),
        ("What does step two say?", 2),
        ("Vilka delar en produktionsorganisation?", None),
        ("What happened the last year?", None),
        ("När är sista ansökningsdag?", None),
        # the spoken names of numbers
        ("Okej, men vad betyder tvåan rent konkret för oss?", 2),
        ("Och fyran?", 4),
    ],
)
def test_ordinals(question: str, ordinal: int | None) -> None:
    q = analyse(question, "sv")
    assert q.ordinal == ordinal
    assert (q.kind == "item") is (ordinal is not None)


def test_a_company_description_is_context_not_focus() -> None:
    q = analyse(
        "Vi är ett gjuteri i Småland med 40 anställda och har jobbat med lean i tio år. "
        "Hur kan vi komma igång med förnyelse?",
        "sv",
    )
    assert q.kind == "how"
    assert "gjuteri" in q.context and "gjuteri" not in q.focus
    assert "förnyelse" in q.focus and "förny" in q.focus_tokens


@pytest.mark.parametrize(
    ("question", "lang", "focus", "not_focus"),
    [
        (
            "Vi är 25 anställda och ledningen är rädd för att misslyckas med nya idéer. "
            "Vad säger dokumenten om det?",
            "sv",
            "misslyckas",
            "anställda",
        ),
        (
            "Vi har jobbat med lean i 10 år men får inte fram nya lösningar. Vad ska vi göra?",
            "sv",
            "lösningar",
            "10",
        ),
        (
            "We are a foundry of 40 people and our new ideas never reach the shop floor. "
            "What do the documents say about that?",
            "en",
            "ideas",
            "people",
        ),
    ],
)
def test_a_question_that_only_points_at_the_context_takes_its_focus_from_it(
    question: str, lang: str, focus: str, not_focus: str
) -> None:
    q = analyse(question, lang)  # type: ignore[arg-type]
    assert focus in q.focus.split() and not_focus not in q.focus.split()
    assert q.context  # still the asker's description
    # a question with a subject of its own keeps it
    q = analyse("Vi är 25 anställda. Hur kan vi arbeta med förnyelse?", "sv")
    assert q.focus == "arbeta med förnyelse"


def test_a_clause_about_the_asker_is_context() -> None:
    q = analyse("Vi mäter OEE varje vecka, men hur kan vi bli bättre på förnyelse?", "sv")
    assert "OEE" in q.context and "oee" not in q.focus
    assert q.kind == "how"


def test_an_unknown_place_is_context_a_known_name_is_focus() -> None:
    vocabulary = {"tillväxtverket": 1.0, "bidrag": 1.0}
    q = analyse("Hur kan ett gjuteri i Västergötland arbeta med förnyelse?", "sv", vocabulary)
    assert "Västergötland" in q.context and "västergötland" not in q.focus
    q = analyse("Vilket stöd ger Tillväxtverket?", "sv", vocabulary)
    assert "tillväxtverket" in q.focus and "Tillväxtverket" in q.names


def test_what_the_assistant_knows_is_no_focus() -> None:
    # "vet" is a word the documents never use: as focus it pushed "Vad vet du om förnyelse?"
    # towards a refusal
    assert analyse("Vad vet du om förnyelse?", "sv").focus == "förnyelse"
    assert analyse("What do you know about renewal?", "en").focus == "renewal"


def test_the_kind_noun_is_not_focus() -> None:
    q = analyse("Vilken organisation är Produktionslyftet en del av?", "sv")
    assert "organisation" not in q.focus and "produktionslyftet" in q.focus


@pytest.mark.parametrize(
    ("question", "relation"),
    [
        ("Vilken organisation är Produktionslyftet en del av?", "part_of"),
        ("Which organisation is it part of?", "part_of"),
        ("Vem finansierar Produktionslyftet?", "funds"),
        ("Who funds Produktion2030?", "funds"),
        # what the named one funds: the other way round
        ("Vad finansierar Produktion2030 i Produktionslyftet?", "funder"),
        ("What does Produktion2030 fund?", "funder"),
        # its role as the funder, not who funds it
        ("What does Produktion2030 focus on as a funder?", "funder"),
        ("Vilken roll har Produktion2030 som finansiär i Produktionslyftet?", "funder"),
        ("Vad finansierar man med bidraget?", "funds"),  # no name: not what someone funds
        ("Vilka finansierar Produktionslyftet?", "funds"),
        ("Kan vi som företag få bidrag från Tillväxtverket?", "funding_to_asker"),
        ("Can our company apply for funding?", "funding_to_asker"),
        ("Finns det stöd för små företag?", "funding_to_asker"),
        ("Vad vill Produktionslyftet förstärka under 2020?", None),
        ("Under vilken del av året var det intensivt?", None),  # a part of a year is a time
        ("What part of the year was busiest?", None),
        ("Hur ansöker vi om att få vara med i Produktionslyftet 4.0?", "joining"),
        ("Hur anmäler man sig till coachkursen?", "joining"),
        ("How do I sign up for the Go Global start programme?", "joining"),
        ("Where do we apply?", "joining"),
        ("Hur söker man till Go Global?", "joining"),
        ("Kan vi söka in till 18-månadersprogrammet?", "joining"),
        ("Vilka företag söker nya lösningar?", None),  # to seek, not to apply
        ("How can we apply the four areas in our factory?", None),  # apply = use
        ("Kan vi ansöka om bidrag från Tillväxtverket?", "funding_to_asker"),
    ],
)
def test_relations(question: str, relation: str | None) -> None:
    assert analyse(question, "sv").relation == relation


@pytest.mark.parametrize(
    ("kind", "sentence", "held"),
    [
        ("duration", "Ett Utvecklingsprogram på 18 månader med tydliga inslag.", "18 månader"),
        (
            "duration",
            "Ett fortsatt stort intresse för 18-månadersprogrammet.",
            "18-månadersprogrammet",
        ),
        ("duration", "Under 2020 satsar vi på Industri 4.0.", None),
        ("time", "Ledare · Birgitta Öjmertz · Programdirektör · 2019-12-20", "2019-12-20"),
        ("time", "sedan kvalitetsrörelsen fick sitt genomslag sent 1980-tal", "1980"),
        ("time", "Ledare av Birgitta Öjmertz.", None),
        ("count", "Vi har identifierat fyra områden som är viktiga.", "fyra områden"),
        ("count", "Under 2020 satsar vi på Industri 4.0.", None),
        ("amount", "Deltagandet kostar 5 000 kronor.", "5 000 kronor"),
        ("amount", "Ett program på 18 månader.", None),
        ("organisation", "att vi inom RISE IVF nu är en del av RISE.", "RISE"),
        ("organisation", "verksamhetsbidraget från Tillväxtverket under 2020", "Tillväxtverket"),
        ("organisation", "Med ramverket för produktionsinnovation har vi fyra områden.", None),
        ("person", "en dialog med programchefen Cecilia Warrol kring", "Cecilia Warrol"),
        ("person", "Här kan vi nämna Chalmers med Smart Maintenance i vårt startprogram.", None),
        (
            "contact",
            "Målet är konkurrenskraft. https://produktion2030.se",
            "https://produktion2030.se",
        ),
        (
            "place",
            "hur vi kan stärka små och medelstora företag (SMF) på landsbygden.",
            "landsbygden",
        ),
        (
            "company",
            "för de medverkande små och medelstora företagen genom åren",
            "små och medelstora",
        ),
        ("company", "där vi i samverkan med IUC-bolagen ser över", "IUC-bolagen"),
        ("company", "Leverantören är Volvo Cars AB sedan 2019.", "Volvo Cars AB"),
        ("result", "har visat fina lönsamhets- och omsättningsökningar för", "omsättningsökningar"),
        ("result", "det är för tidigt att säga något om utfallet", "för tidigt att säga"),
        # naming results is not reporting one
        ("result", "dess arbete med att sprida projektresultat till SMF", None),
        # a programme is no company, nor are companies unnamed and undescribed
        ("company", "Ett exempel är pilotprojektet inom Robotlyftet där vi undersöker", None),
        ("company", "Vi har träffat många företag.", None),
        # "as" is no company form in English running text
        ("company", "Produktion2030 acts as a funder, such as others do.", None),
        (
            "country",
            "Målet är att säkerställa att Sverige fortsätter vara konkurrenskraftigt.",
            "Sverige",
        ),
        # a network named after a continent is no country
        ("country", "med input om internationalisering från Enterprise Europe Network", None),
        ("place", "Vi har många företag i Småland.", "i Småland"),
        # a programme is no place: "… går in som finansiär i Produktionslyftet"
        ("place", "Produktion2030 går in som finansiär i Produktionslyftet.", None),
        # answers without a figure: a vague stretch, a season or holiday, an enumeration
        ("duration", "ett ramverk som vi under flera år utvecklat", "flera år"),
        ("duration", "We have worked on it for several years.", "several years"),
        # since when says how long
        ("duration", "Förbättringsarbete har sedan länge varit i fokus.", "sedan länge"),
        ("duration", "Lean has long been the focus.", "long been"),
        ("time", "Nu ser vi fram emot jul och nyår, där många tar ledigt.", "jul"),
        ("time", "Under hösten har vi inlett flera samarbeten.", "hösten"),
        ("time", "Vi kan se tillbaka på en väldigt intensiv höst med aktiviteter.", "höst"),
        ("time", "Här vill vi utveckla vår metodik.", None),
        ("count", "som stöds av VINNOVA, Energimyndigheten och Formas.", "VINNOVA"),
        ("count", "Vi, de och andra har deltagit.", None),
        # a number that begins a compound is no count: "18-månadersprogrammet" is a duration
        ("count", "ett fortsatt stort intresse för 18-månadersprogrammet.", None),
        ("duration", "ett fortsatt stort intresse för 18-månadersprogrammet.", "18-månaders"),
        ("count", "Vi har 18 deltagare.", "18"),
        # a stretch of time is no count: "How many companies …?" is not "18 månader"
        ("count", "ett Utvecklingsprogram på 18 månader med digitalisering.", None),
        ("count", "ett ramverk som vi under tre år utvecklat", None),
        # a date's day is no count either ("How many companies joined in 2019?")
        ("count", "Ledare · Birgitta Öjmertz · Programdirektör · 2019-12-20", None),
        # a share answers "med hur många procent"
        ("amount", "Lönsamheten ökade med 12 % på två år.", "12 %"),
        ("amount", "Omsättningen steg 15 procent.", "15 procent"),
        # how often: a period, a number of times, or a word for it
        ("frequency", "Coacherna besöker företaget varje vecka.", "varje vecka"),
        ("frequency", "Loggen kommer två gånger per år.", "två gånger per"),
        ("frequency", "Radikal förnyelse talas sällan så mycket om.", "sällan"),
        ("frequency", "The coaches meet the companies once a month.", "once"),
        ("frequency", "Det känns extra välförtjänt i år.", None),
        ("frequency", "att arbeta med ständiga förbättringar i små steg", None),
        ("frequency", "Ett Utvecklingsprogram på 18 månader.", None),
    ],
)
def test_kind_span(kind: str, sentence: str, held: str | None) -> None:
    span = kind_span(kind, sentence)
    if held is None:
        assert span is None
    else:
        assert span is not None
        got = sentence[span[0] : span[1]]
        assert held in got or got in held


@pytest.mark.parametrize(
    ("sentence", "vague"),
    [
        ("Tillverkande företag har ofta god uppföljning av arbetet.", True),
        ("Radikal förnyelse talas sällan så mycket om.", True),
        ("Coacherna träffar företagen ofta, en gång i månaden.", False),  # says how often
        ("The coaches meet the companies every week.", False),
        ("Ett Utvecklingsprogram på 18 månader.", False),  # no frequency at all
    ],
)
def test_vague_frequency(sentence: str, vague: bool) -> None:
    assert vague_frequency(sentence) is vague


@pytest.mark.parametrize(
    ("sentence", "vague"),
    [
        ("Vi kan se tillbaka på en väldigt intensiv höst med aktiviteter.", True),
        ("Nu ser vi fram emot jul och nyår.", True),
        ("Under hösten 2019 inledde vi flera samarbeten.", False),  # a year says when
        ("Ledare · Birgitta Öjmertz · 2019-12-20", False),
        ("Vi har många deltagare.", False),  # no time at all
    ],
)
def test_vague_time(sentence: str, vague: bool) -> None:
    assert vague_time(sentence) is vague


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("När är sista ansökningsdag till 18-månadersprogrammet?", True),
        ("Vilket datum startar nästa coachkurs?", True),
        ("What is the application deadline?", True),
        ("När var det särskilt intensivt för Produktionslyftet?", False),
        ("When did the quality movement make its breakthrough?", False),
    ],
)
def test_asks_date(question: str, asks: bool) -> None:
    assert asks_date(question) is asks


def test_how_often_is_no_focus_word() -> None:
    assert analyse("Hur ofta talas det om radikal förnyelse?", "sv").focus == (
        "talas radikal förnyelse"
    )
    assert "often" not in analyse("How often do the coaches visit?", "en").focus


def test_why_care_about_asks_about_the_thing_cared_about() -> None:
    # "bry" is in no document, and as focus it counted as a word the documents never use:
    # the question was refused
    question = "Vi är ett litet gjuteri. Varför ska vi bry oss om radikal förnyelse?"
    assert analyse(question, "sv").focus == "radikal förnyelse"
    assert analyse("Why should we care about renewal?", "en").focus == "renewal"


def test_a_name_the_question_holds_is_not_the_answer_of_its_kind() -> None:
    sentence = "Produktion2030 är ett program som stöds av VINNOVA, Energimyndigheten och Formas."
    span = kind_span("organisation", sentence, ("Produktion2030",))
    assert span is not None and sentence[span[0] : span[1]].strip().startswith("VINNOVA")
    only_subject = "Produktion2030 går in som finansiär i kvalitetssäkring."
    assert kind_span("organisation", only_subject, ("Produktion2030",)) is None
    assert kind_span("organisation", only_subject) is not None  # nothing asked: it counts


def test_a_word_of_an_asked_name_of_several_words_answers_where_it_stands_alone() -> None:
    q = analyse("Vilken organisation tillhör RISE IVF idag?", "sv")
    assert q.phrases == ("RISE IVF",)
    sentence = "Vi ser över hur vi bidrar till att vi inom RISE IVF nu är en del av RISE."
    span = kind_span("organisation", sentence, q.names, q.phrases)
    assert span is not None and sentence[span[0] : span[1]] == "RISE"
    assert span[0] == sentence.rindex("RISE")
    # the whole name alone is still the asked name, not an answer
    assert kind_span("organisation", "RISE IVF arbetar med produktion.", q.names, q.phrases) is None


def test_who_funds_x_is_not_answered_by_x_funding_someone_else() -> None:
    gives = "där Produktion2030 går in som finansiär i Produktionslyftet."
    assert has_relation("funds", gives, ("Produktionslyftet",))  # who funds Produktionslyftet
    assert not has_relation("funds", gives, ("Produktion2030",))  # who funds Produktion2030
    got = "Produktion2030 är ett program som stöds av VINNOVA."
    assert has_relation("funds", got, ("Produktion2030",))
    grant = "verksamhetsbidraget från Tillväxtverket ger oss en stabil grund"
    assert not has_relation("funds", grant, ("Tillväxtverket",))
    assert has_relation("funds", grant, ("Produktionslyftet",))


def test_what_x_funds_is_answered_by_x_funding_something() -> None:
    gives = "där Produktion2030 går in som finansiär i Produktionslyftet med fokus på kvalitet."
    assert has_relation("funder", gives, ("Produktion2030",))  # what Produktion2030 funds
    assert not has_relation("funds", gives, ("Produktion2030",))  # who funds Produktion2030
    funded = "Produktion2030 är ett program som stöds av VINNOVA."
    assert not has_relation("funder", funded, ("Produktion2030",))


def test_who_leads_x_is_answered_by_a_role_that_is_xs() -> None:
    own = "Produktionslyftets programdirektör Birgitta Öjmertz."
    assert has_relation("led_by", own, ("Produktionslyftet",))
    assert has_relation("led_by", "Hon är programchef för Produktion2030.", ("Produktion2030",))
    # a role that only stands near the name is someone else's
    near = (
        "Här för vi en dialog med programchefen Cecilia Warrol kring vad vi med "
        "Produktionslyftets metodik kan komplettera med."
    )
    assert not has_relation("led_by", near, ("Produktionslyftet",))
    assert not has_relation(
        "led_by", "Ledare · Birgitta Öjmertz · Programdirektör", ("Produktionslyftet",)
    )
    assert has_relation("led_by", near)  # nothing named: any role counts
    for question in ("Who is the programme director of Produktionslyftet?", "Vem leder RISE?"):
        assert analyse(question, "sv").relation == "led_by"
    assert analyse("Which season does the programme director call intense?", "en").relation is None


def test_cues_relations_and_anaphora() -> None:
    assert has_cue("definition", "Explorativ innovation, vilket vi här benämner förnyelse.")
    assert has_cue("reason", "Det behövs för att skapa en robust organisation.")
    assert not has_cue("reason", "Produktion2030 är ett program.")
    assert has_cue("purpose", "Målet är att säkerställa att Sverige fortsätter vara …")
    assert not has_cue("purpose", "Produktion2030 är ett strategiskt innovationsprogram.")
    assert has_relation("part_of", "att vi inom RISE IVF nu är en del av RISE.")
    assert has_relation("funds", "Produktion2030 går in som finansiär i Produktionslyftet.")
    assert not has_relation(
        "funding_to_asker", "Det i kombination med verksamhetsbidraget från Tillväxtverket."
    )
    assert not has_relation(None, "vad som helst")
    for sentence in (
        "Även här försöker vi väva in.",
        "Deras deltagande ger dem.",
        "Detta är något.",
    ):
        assert is_anaphoric(sentence)
    assert not is_anaphoric("Produktionslyftet har visat fina resultat.")


GO_GLOBAL = (
    "Här kan vi nämna Chalmers med Smart Maintenance i vårt startprogram med inriktning mot "
    "Lean-baserat underhåll i samarbete med Produktion2030, startprogrammet Go Global i "
    "samarbete med det strategiska innovationsprogrammet LIGHTer och med input om "
    "internationalisering från Enterprise Europe Network."
)


def _held(kind: str, sentence: str, asked: tuple[str, ...] = ()) -> str:
    span = kind_span(kind, sentence, asked)
    assert span is not None
    return sentence[span[0] : span[1]]


def test_the_name_nearest_to_the_asked_name_in_its_clause_is_the_answer() -> None:
    """Which program in Go Global: the name in Go Global's clause, not the sentence's first."""
    assert _held("organisation", GO_GLOBAL) == "Chalmers"  # nothing to place it by
    assert _held("organisation", GO_GLOBAL, ("Global",)) == "LIGHTer"
    assert _held("organisation", GO_GLOBAL, ("Maintenance",)) == "Chalmers"  # before it
    assert _held("organisation", GO_GLOBAL, ("Okänd",)) == "Chalmers"  # not in the sentence
    # a name that is part of the mention ("Go Global") does not answer it
    who = GO_GLOBAL.replace("Här kan vi", "Programchefen kan")  # a person cue
    assert _held("person", who, ("Global",)) == "Enterprise Europe"
    # a sentence end closes a clause: a shown answer can be an antecedent and its sentence
    two = "Programmet Produktion2030 sprider resultat till SMF. Programchefen är Cecilia Warrol."
    assert _held("organisation", two, ("Warrol",)) == "Produktion2030"


def test_joined_names_are_one_answer() -> None:
    funded = "Produktion2030 är ett program som stöds av VINNOVA, Energimyndigheten och Formas."
    assert _held("organisation", funded, ("Produktion2030",)) == (
        "VINNOVA, Energimyndigheten och Formas"
    )
    both = "Programmet stöds av VINNOVA och Produktion2030 sedan starten."
    assert _held("organisation", both, ("Produktion2030",)) == "VINNOVA"  # not the asked name
    people = "Ledare av programchefen Cecilia Warrol och Birgitta Öjmertz i år."
    assert _held("person", people) == "Cecilia Warrol och Birgitta Öjmertz"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Hej!", "greeting"),
        ("hej där 🙂", "greeting"),
        ("God morgon", "greeting"),
        ("Hello there", "greeting"),
        ("Tack så mycket!", "thanks"),
        ("Okej, tack!", "thanks"),
        ("Thank you very much", "thanks"),
        ("Vem är du?", "about"),
        ("Vad kan du hjälpa till med?", "about"),
        ("What can you do?", "about"),
        ("Where do your answers come from?", "about"),
        ("Vad kan du om förnyelse?", None),
        # a greeting or a thanks with a question is a question
        ("Hej! Vad är ambidexteritet?", None),
        ("Tack, men hur länge pågår det?", None),
        ("Bra program?", None),
    ],
)
def test_a_greeting_a_thanks_or_a_question_about_the_assistant_is_small_talk(
    text: str, kind: str | None
) -> None:
    assert small_talk(text) == kind


def test_a_pointer_question_takes_the_told_words_the_documents_use() -> None:
    # "Ska vi köra igång allt på en gång?" has no subject of its own: what the asker told is
    # it, as far as the documents use those words; the trade and place they never use are not
    vocabulary = {"ny": 1.0, "påverk": 1.0, "kund": 1.0, "förändring": 1.0}
    q = analyse(
        "Vi är ett gjuteri i Småland och ska göra en ny förändring som påverkar kunder. "
        "Ska vi köra igång allt på en gång?",
        "sv",
        vocabulary,
    )
    assert {"förändring", "kunder"} <= set(q.focus.split())
    assert "gjuteri" not in q.focus and "småland" not in q.focus.lower()
    # a question with a subject of the domain keeps its own focus
    known = {"lit": 1.0, "radikal": 1.0, "förny": 1.0}
    q = analyse("Vi är ett litet gjuteri. Varför ska vi bry oss om radikal förnyelse?", "sv", known)
    assert q.focus == "radikal förnyelse"
    q = analyse(
        "Vi gör en ny förändring som påverkar kunder. Hur kommer vi igång med förnyelse?",
        "sv",
        vocabulary | {"förny": 1.0},
    )
    assert "kunder" not in q.focus


def test_a_name_typed_in_lower_case_is_read_as_the_documents_write_it() -> None:
    texts = [
        "Produktionslyftets programdirektör Birgitta Öjmertz.",
        "Här för vi en dialog med programchefen Cecilia Warrol om Produktionslyftet.",
        "Chalmers med Smart Maintenance i vårt startprogram, och lean i allt.",
    ]
    q = names_as_written(analyse("vem leder produktionslyftet?", "sv"), texts)
    assert q.names == ("Produktionslyftet",)
    assert has_relation(q.relation, texts[0], q.names)  # the programme's own leader
    assert not has_relation(q.relation, texts[1], q.names)
    # a word the texts also write in lower case, or a common word, is no name
    assert names_as_written(analyse("vad är lean?", "sv"), texts).names == ()
    q = analyse("which start programme focuses on maintenance?", "en")
    assert names_as_written(q, texts).names == ()


def test_the_article_asked_about_is_no_subject() -> None:
    # "artikeln" names the document, as "texten" does: "I den här artikeln presenterar vi …"
    # led the answer to "Vad menar artikeln med ett proaktivt sätt …?"
    q = analyse("Vad menar artikeln med ett proaktivt sätt att utveckla produktionen?", "sv")
    assert "artikeln" not in q.focus and "proaktivt" in q.focus
    q = analyse("What does the article say about ambidexterity?", "en")
    assert "article" not in q.focus and "ambidexterity" in q.focus


@pytest.mark.parametrize(
    ("question", "lang", "kind"),
    [
        # a leading "when" clause with its own subject: the question follows the comma
        (
            "När Birgitta räknar upp vilka som gillar helheten, vilken grupp kommer först?",
            "sv",
            "other",
        ),
        ("När vi startar ett förnyelseprojekt, hur ska ledningen stötta det?", "sv", "how"),
        (
            "When we set up our innovation projects, what should management do?",
            "en",
            "how",
        ),
        ("When the leader lists the partners, who is named first?", "en", "person"),
        # a question's own "när"/"when", its verb right after: a time is asked
        ("När startade Produktionslyftet, och vem ledde det?", "sv", "time"),
        ("When did the programme start, and who ran it?", "en", "time"),
    ],
)
def test_a_leading_when_clause_is_not_the_question(question: str, lang: str, kind: str) -> None:
    assert analyse(question, lang).kind == kind  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "lang", "kind"),
    [
        ("Vad säger artikeln om förnyelse?", "sv", "artikel"),
        ("Vad går tillverkningen ut på enligt artikeln?", "sv", "artikel"),
        ("Hur presenteras Produktionslyftet av ramverksartikelns författare?", "sv", "artikel"),
        ("I ledarens lista, vilken grupp nämns först?", "sv", "ledare"),
        ("Hur många personer namnges i programledningens logg?", "sv", "logg"),
        ("Vilken person hänvisar loggen till?", "sv", "logg"),
        ("Vad står det i krönikan om IUC?", "sv", "krönika"),
        ("What does the production innovation article say about risk?", "en", "artikel"),
        ("Which year does the December leader say the funding is for?", "en", "ledare"),
        ("What is she looking forward to at the end of her leader?", "en", "ledare"),
        ("In the leader's list, which group comes first?", "en", "ledare"),
        ("The programme log says the exchange with the IUCs is good. Why?", "en", "logg"),
        # a person, not a document
        ("Vem är ledaren för Produktionslyftet?", "sv", None),
        ("Vad säger projektledaren?", "sv", None),
        ("Who is the leader of the programme?", "en", None),
        ("Who is the project leader for the robot pilot?", "en", None),
        ("Har Produktionslyftet ett startprogram för export?", "sv", None),
    ],
)
def test_the_document_a_question_names(question: str, lang: str, kind: str | None) -> None:
    assert named_kind(question) == kind
    assert kind is None or kind in DOCUMENT_KINDS
    assert analyse(question, lang).document == kind  # type: ignore[arg-type]
