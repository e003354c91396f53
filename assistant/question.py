"""Question analysis, Swedish and English: what kind of answer is asked for, what the question
is about, and the relations that change what would count as an answer.

- ``kind``: person, organisation, place, time, duration, amount, count, list, item (a numbered
  item of a list: "det fjärde området"), definition, reason, how (advice), yesno, other.
- ``focus``: the thing asked about, without the question words and without context: a
  description of the asker's company before the question ("Vi är ett gjuteri i Småland med 40
  anställda. Hur …?") or an incidental place ("… i Västergötland") is context, not focus.
- ``relation``: ``part_of`` ("en del av", "tillhör", "part of"), ``led_by`` ("leds av",
  "led by"), ``funds`` (who funds/finances something), ``funding_to_asker`` (whether *we* can
  get a grant: the documents' grants *to the programme* do not answer that), ``joining`` (how
  to apply or sign up: a sentence on the programme itself does not say how to get in).

The module also says whether a sentence holds the asked kind of answer (``kind_span``): a
duration for "hur länge", an organisation's name for "vilken organisation", and so on.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

from .analysis import get_analyzer, tokenize
from .frequencies import zipf
from .models import Lang

# kinds whose answer is a recognisable piece of text (a name, a number, a date)
TypedKind = Literal[
    "person",
    "organisation",
    "place",
    "company",
    "country",
    "result",
    "time",
    "duration",
    "amount",
    "count",
    "frequency",
    "contact",
]
AskedKind = Literal[
    TypedKind, "list", "item", "definition", "reason", "purpose", "how", "yesno", "other"
]
Relation = Literal["part_of", "led_by", "funds", "funder", "funding_to_asker", "joining"]
TYPED: frozenset[str] = frozenset(get_args(TypedKind))
# kinds whose answer is a way of saying things (a definition, a reason, advice)
CUED: frozenset[str] = frozenset({"definition", "reason", "purpose", "how"})

_I = re.IGNORECASE
# a date asked for by name: a time question, and one a season does not answer (asks_date)
_DATE_WORDS = (
    r"sista ansökningsdag\w*|ansökningsdag\w*|deadline\w*|sista dag\w*|datum\w*|"
    r"closing date|start date|startdatum"
)

# a kind of document as the documents' "kind" says it: (its name in a Swedish question, in
# an English one). Here for ``named_kind``; ``summary`` and ``provenance`` build on it too
DOCUMENT_KINDS = {
    "artikel": ("artikeln", ("article",)),
    "ledare": ("ledaren", ("leader", "editorial")),
    "logg": ("loggen", ("log",)),
    "krönika": ("krönikan", ("column",)),
}
SV_KIND_NAMES = [sv for sv, _ in DOCUMENT_KINDS.values()]
EN_KIND_NAMES = [w for _, en in DOCUMENT_KINDS.values() for w in en]
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# a question that says which document it asks about: "enligt artikeln", "i ledarens lista",
# "programledningens logg", "ramverksartikeln", "the December leader", "her leader", "the
# programme log", "the production innovation article". Not a person: "ledaren för
# Produktionslyftet", "projektledaren", "the leader of the programme", "the project leader"
_NAMES_DOCUMENT = re.compile(
    r"\b(?:\w*(?P<artikel>artikeln?s?)|(?P<ledare>ledaren|ledarens)|\w*(?P<logg>loggen|"
    r"loggens)|\w+s (?P<logg2>logg)|\w*(?P<kronika>krönikan|krönikans))\b(?!\s+(?:för|av)\b)|"
    r"\b(?:the|this|that|her|his|its|their)\s+(?:(?:[\w-]+\s+){0,2}(?P<en_artikel>article)|"
    r"(?:[\w-]+\s+){0,2}(?P<en_ledare>editorial)|(?:(?:" + _MONTHS + r")\s+)?(?P<en_ledare2>"
    r"leader)|(?:[\w-]+\s+){0,2}(?P<en_logg>log)|(?:[\w-]+\s+){0,2}(?P<en_kronika>column))"
    r"(?:['’]s)?\b(?!\s+of\b)",
    re.IGNORECASE,
)
_NAMED_GROUP = {
    "artikel": "artikel",
    "ledare": "ledare",
    "logg": "logg",
    "logg2": "logg",
    "kronika": "krönika",
    "en_artikel": "artikel",
    "en_ledare": "ledare",
    "en_ledare2": "ledare",
    "en_logg": "logg",
    "en_kronika": "krönika",
}


def named_kind(text: str) -> str | None:
    """The kind of document (a ``DOCUMENT_KINDS`` key) the question says it asks about, or
    None: "Vad säger artikeln om …?" asks about the article, whatever the other documents
    say on the subject."""
    m = _NAMES_DOCUMENT.search(text)
    if not m:
        return None
    return next(_NAMED_GROUP[g] for g, v in m.groupdict().items() if v)


# (kind, pattern) in order: the first match decides. Patterns see the question sentence only.
_KIND_PATTERNS: list[tuple[AskedKind, re.Pattern[str]]] = [
    (
        "contact",
        re.compile(
            r"\b(telefonnummer\w*|telefon|ringa|mejl\w*|e-post\w*|epost\w*|adress\w*|"
            r"kontakt\w*|webbplats\w*|hemsida\w*|phone|telephone|e-?mail|address\w*|contact\w*|"
            r"website|web site|"
            # where to read more is a web address: "Var kan jag läsa mer om Produktion2030?"
            r"(var|where)\b.{0,30}\b(läsa|hitta\w*|finns|find|read|get)\b.{0,15}\b(mer|more))\b",
            _I,
        ),
    ),
    (
        "time",
        re.compile(rf"\b({_DATE_WORDS})\b", _I),
    ),
    (
        "frequency",
        re.compile(
            r"\b(hur ofta|hur många gånger (per|i|om)|med vilken frekvens|vilken frekvens|"
            r"how often|how frequently|how many times (a|per|each)|at what frequency)\b",
            _I,
        ),
    ),
    (
        "duration",
        re.compile(
            r"\b(hur länge|hur lång tid|under hur lång|hur många (månader|år|veckor|dagar)|"
            r"hur lång(t)? (är|var|blir)|hur lång(a)? (ledighet|period|paus|semester|uppehåll)|"
            r"how long|for how many (months|years|weeks)|"
            r"how many (months|years|"
            r"weeks)|what is the duration|duration of)\b",
            _I,
        ),
    ),
    (
        "amount",
        re.compile(
            r"\b(vad kostar|hur mycket (kostar|pengar|får|är)|vad är (kostnaden|priset|avgiften|"
            r"budgeten)|vad blir kostnaden|till vilket pris|i kronor|how much (does|do|money|is|"
            r"will|would|could|should|can|might)|what (does|do|would|will) .{1,40}? cost|"
            r"what is the (cost|price|fee|budget)|"
            # "Vad skulle en licens kosta oss?", "What does the grant amount to?", "Vad uppgår
            # bidraget till?"
            r"vad (skulle|kommer|ska) .{1,40}? kosta|hur mycket skulle|"
            r"amounts? to(?=\s*[?.!]|\s*$)|vad uppgår .{1,40}? till|hur mycket uppgår|"
            r"what are the (costs|fees)|"
            # "Kostar kursen något?", "Does it cost anything?", "LIGHTer's financial
            # contribution", "Hur mycket bidrog X med?": a sum is asked for
            r"kostar (\w+ ){0,4}(något|någonting|pengar)|(does|do|will|would) .{1,40}? cost "
            r"(anything|money|us)|financial contribution|ekonomisk(a|t)? (bidrag|insats)|"
            r"hur mycket (\w+ ){0,3}(bidrog|bidragit|satsade|satsat|investerade|investerat)|"
            r"how much (\w+ ){0,3}(contribute[sd]?|invest(ed|s)?|spen[dt]s?)|"
            # a share: "Med hur många procent …?", "… ökat i procent?", "By what percentage …?"
            r"i procent|hur många procent|med hur mycket|by how much|how many per ?cent|"
            r"what percentage|by what percentage|"
            # a size or a change in size: "Hur stort är bidraget?", "Hur mycket ökade
            # omsättningen?", "Vilken lön …?", "How much did sales grow?"
            r"hur stor(t|a)? (är|var|blir|blev) (\w+ )?(bidrag|budget|kostnad|avgift|pris|"
            r"ersättning|lön|omsättning|vinst|summa|belopp|anslag|finansiering)\w*|"
            r"hur stor (del|andel)|hur mycket (har \w+ )?(ökade|ökat|minskade|minskat|växte|"
            r"vuxit|steg|stigit|sjönk|sjunkit|tjänar|betalar)|"
            r"vilken (lön|budget|ersättning|avgift|kostnad|omsättning)|"
            r"how much (did|has|have|does|do) .{1,40}? (increase|decrease|grow|rise|fall|drop|"
            r"earn|pay)|how (large|big) is the (grant|budget|fee|salary|funding)|"
            r"what (salary|budget|fee|share of the cost))\b",
            _I,
        ),
    ),
    # how many things a text names asks for the things: "Hur många personer namnges i
    # loggen?", "How many strategies does the article give?" are answered by the sentence
    # that names them, which never states their number
    (
        "list",
        re.compile(
            r"\b(hur många\b.{0,80}\b(nämns|namnges|räknas upp|tas upp|nämner|namnger|"
            r"(räknar|tar) (\w+ ){0,2}upp)|how many\b.{0,80}\b(are|were|is|get|gets) "
            r"(named|mentioned|listed)|how many\b.{0,80}\b(does|do|did) .{1,40}? (name|mention|"
            r"list|describe|give))\b",
            _I,
        ),
    ),
    (
        "count",
        re.compile(
            # "antalet" asks for a number only as "Vad är antalet …?", not "Vad hände med
            # antalet anställda?"
            r"\b(hur många|hur stort antal|hur stort är antalet|vad är antalet|how many|"
            r"what number of|what is the number of)\b",
            _I,
        ),
    ),
    (
        "time",
        re.compile(
            r"^\W*(och |and |men |but )?(när|vilket år|vilket datum|sedan när|since when|when|"
            r"what year|what date|which year)\b|\b(vilket år|vilket datum|vilken tidpunkt|"
            r"what year|what date|which year|sedan när|since when|vilken årstid|vilken säsong|"
            r"vilken (del|tid) av året|vilken månad|which season|what season|which month|"
            r"what (part|time) of (the )?year|"
            # "Artikeln nämner en vår då … Vilken vår är det?": a season of a year
            r"vilke[nt] (vår|höst|sommar|vinter|vårens|höstens)|"
            r"(which|what) (spring|autumn|fall|summer|winter))\b",
            _I,
        ),
    ),
    (
        "funds_who",  # type: ignore[list-item]  # resolved to "organisation" below
        re.compile(
            r"\b(vem|vilka|vilken|vilket|who|which)\b.{0,40}\b(finansier\w*|finansiär\w*|bekostar|"
            r"betalar|stöttar|stöder|funds?|finances?|financ\w*|pays? for|supports?|backs?)\b",
            _I,
        ),
    ),
    # named companies or countries, which a programme's or an agency's name does not give:
    # "Vilka företag deltar i pilotprojektet?" was answered with "… inom Robotlyftet …"
    (
        "company",
        re.compile(
            r"\b(vilken|vilka|vilket) (företag|bolag|firm(a|or))\b|"
            r"\b(which|what) (compan(y|ies)|firms?|businesses)\b",
            _I,
        ),
    ),
    # what something has led to: "Vilka resultat har Go Global gett?" was answered with the
    # sentence that names Go Global, which says nothing of what came of it
    (
        "result",
        re.compile(
            r"\b(vilka|vilket|vad för|what|which) (resultat|effekter|effekt|utfall|results?|"
            r"outcomes?|effects?)\b|\bwhat (were|are|have been) the (results|outcomes|effects)\b|"
            r"\bvad (har|hade) (\w+ ){1,4}(resulterat i|lett till|gett för resultat)|"
            r"\bwhat (has|have|did) (\w+ ){1,4}(achieved|resulted in|led to)\b",
            _I,
        ),
    ),
    (
        "country",
        re.compile(r"\b(vilket land|vilka länder|i vilka länder|(which|what) countr(y|ies))\b", _I),
    ),
    (
        "organisation",
        re.compile(
            r"\b(vilken|vilka|vilket) (organisation\w*|företag\w*|myndighet\w*|aktör\w*|"
            r"universitet\w*|högskol\w*|lärosäte\w*|institut\w*|partner\w*|bolag\w*|"
            r"program(?!var)\w*|initiativ\w*|part\w*|samarbetspartner\w*)|"
            r"\b(which|what) (organi[sz]ation\w*|compan\w*|agenc\w*|authorit\w*|universit\w*|"
            r"institut\w*|partner\w*|bod\w*|programm?e?s?|initiatives?)\b|"
            r"\bwho (is |are )?(runs|running|organi[sz]es|organi[sz]ing|operates|operating|"
            r"is behind|are behind|in charge of)\b|"
            # "Vem är det som driver Robotlyftet?": the one behind it, in these documents an
            # organisation ("… som Tillväxtverket håller i")
            r"\bvem (är det )?(som )?(driver|står bakom|organiserar|håller i)\b|"
            # whom one works with: in these documents, organisations ("… i samverkan med
            # IUC-bolagen"), so a person's name ("programchefen Cecilia Warrol") does not answer
            r"\b(who|whom) (does|do|did|will) .{1,40}?\b(work|collaborate|cooperate|partner)s? "
            r"with\b|\b(vem|vilka) (samarbetar|jobbar|arbetar|samverkar)\b.{0,40}\bmed\b",
            _I,
        ),
    ),
    (
        "person",
        re.compile(
            r"^\W*(och |and )?(vem|vems|who|whom|whose)\b|\b(vilken person|vilka personer|"
            r"which person|which people)\b|"
            r"\b(vad heter|what is the name of|who is|who was|who wrote|vem skrev)\b",
            _I,
        ),
    ),
    # "Var ska vi börja?", "Where do we start?": advice on how to begin, not a place
    (
        "how",
        re.compile(
            r"^\W*(och |and |men |but )?(var|where) (ska|bör|kan|do|should|can) (vi|jag|man|we|"
            r"i|one) (börja|starta|start|begin)\b",
            _I,
        ),
    ),
    (
        "place",
        re.compile(
            r"^\W*(och |and )?(var|vart|where)\b|\b(vilken (ort|stad|region|del av landet)|"
            r"i vilka delar|which (town|city|region|part of)|vilket land|vilka länder|i vilka "
            r"länder|(which|what) countr(y|ies))\b",
            _I,
        ),
    ),
    (
        "reason",
        re.compile(
            r"\b(varför|av vilken anledning|vad är skälet|vad beror|why|for what reason|"
            r"what is the reason)\b",
            _I,
        ),
    ),
    (
        "list",
        re.compile(
            r"\b(vilka (är|var|finns|\w+ (är|finns))|nämn|räkna upp|lista|vilka \w+ (områden|"
            r"steg|punkter|program|samarbeten|initiativ)|what are the|which are the|list|name "
            r"the|what (\w+ )?(areas|steps|programmes|programs|initiatives|collaborations)|"
            # "Vilka fyra saker …", "Which three steps …": a number of things is a list
            r"(vilka|which|what) (två|tre|fyra|fem|sex|sju|åtta|nio|tio|two|three|four|five|six|"
            r"seven|eight|nine|ten) \w+)\b",
            _I,
        ),
    ),
    # what something is for: "Vad är syftet med ramverket?", "What is Produktion2030 trying
    # to achieve?" (the answer says "Syftet är …", "Målet är …", "… för att …")
    (
        "purpose",
        re.compile(
            r"\b(vad (är|var) (syftet|målet|avsikten|meningen|tanken)|vad (syftar|siktar) \w+|"
            r"vad vill (\w+ ){1,4}(uppnå|åstadkomma)|vad ska (\w+ ){1,4}(leda till|uppnå)|"
            r"(what is|what's) the (purpose|aim|goal|point|objective)|what (is|are|does|do) "
            r"(\w+ ){1,4}(trying|aiming|meant|intended|supposed) to (achieve|do|accomplish)|"
            r"what (does|do) (\w+ ){1,4}(aim|want|hope) to (achieve|accomplish))\b",
            _I,
        ),
    ),
    (
        "definition",
        re.compile(
            r"\b(vad (är|innebär|betyder|menas med|avses med|står .{1,30} för)|vad handlar "
            r"\w+ om|vad menar (\w+ ){1,3}med|beskriv|förklara|berätta om|what (is|are|does "
            r".{1,40} mean|is meant by)|what (do|does) (\w+ ){1,3}mean by|define|explain|"
            r"describe|tell me about)\b",
            _I,
        ),
    ),
    (
        "how",
        re.compile(
            r"\b(hur (kan|ska|bör|gör|får|kommer|skapar|bygger|arbetar|jobbar|organiserar|"
            r"stärker|hanterar|lyckas|börjar)|vad (mer |annat )?(kan|ska|bör|behöver|måste|"
            r"borde) (vi|man|jag|ett|företag|ledningen)|tips|råd|how (can|should|do|does|to|"
            r"could|might|would)|what (else |more )?(should|must|ought to)|"
            # "What can we do to …?", "What do we need to do?": what the asker should do
            r"what (else |more )?(can|could|do|does) (we|i|you|one|a company|companies|"
            r"management) (do|need to|have to)\b)\b",
            _I,
        ),
    ),
    (
        "yesno",
        re.compile(
            r"^\W*(och |and |men |but )?(kan|är|finns|har|stämmer|får|ska|bör|går|gäller|"
            r"behöver|måste|innebär|leder|ger|handlar|is|are|can|could|does|do|did|has|have|"
            r"should|will|would|was|were|must)\b",
            _I,
        ),
    ),
]

_ORDINALS = {
    "första": 1,
    "andra": 2,
    "tredje": 3,
    "fjärde": 4,
    "femte": 5,
    "sjätte": 6,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "sjunde": 7,
    "åttonde": 8,
    "nionde": 9,
    "tionde": 10,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "1:a": 1,
    "2:a": 2,
    **{f"{n}:e": n for n in range(3, 11)},
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    **{f"{n}th": n for n in range(4, 11)},
}
LAST = -1  # "det sista området", "the last step": the list's last item, whatever its number
_ITEM_NOUNS = (
    r"(?:område\w*|punkt\w*|steg\w*|råd\w*|del\w*|framgångsfaktor\w*|area|areas|point|points|"
    r"step|steps|item|items|factor|factors)"
)
_ORDINAL_WORD = "|".join(re.escape(w) for w in _ORDINALS)
# "område tre", "step two": a cardinal after the item's noun numbers it ("en" and "ett" are
# articles far more often: "Vilka delar en organisation?")
_CARDINALS = {
    "one": 1,
    **dict.fromkeys(("två", "two"), 2),
    **dict.fromkeys(("tre", "three"), 3),
    **dict.fromkeys(("fyra", "four"), 4),
    **dict.fromkeys(("fem", "five"), 5),
    **dict.fromkeys(("sex", "six"), 6),
}
_NUMBER_WORD = "|".join(_CARDINALS)
# "Vad betyder tvåan rent konkret?": the spoken names of the numbers, of an item in a list
_NUMBER_NOUNS = {"ettan": 1, "tvåan": 2, "trean": 3, "fyran": 4, "femman": 5, "sexan": 6}
_ORDINAL = re.compile(
    rf"\b(?:det|den|the)\s+({_ORDINAL_WORD})(?!\w)|\b({_ORDINAL_WORD})\s+{_ITEM_NOUNS}\b|"
    rf"\b{_ITEM_NOUNS}\s+(?:nummer\s+|nr\.?\s+|number\s+)?(\d|{_NUMBER_WORD})\b|"
    rf"\b({'|'.join(_NUMBER_NOUNS)})\b",
    _I,
)
# "the last" alone is often time ("the last year"): only with a noun that names a list's item
_LAST = re.compile(
    rf"\b(sista|last|final)\s+{_ITEM_NOUNS}\b|"
    # "Och det sista?", "And the last one?": a follow-up's last item
    r"\b(det|den|the)\s+(sista|last|final)(\s+(one|en|ett))?(?=\s*[?.!]|\s*$)",
    _I,
)

_RELATIONS: list[tuple[Relation, re.Pattern[str]]] = [
    (
        "funding_to_asker",
        re.compile(
            r"\b(kan|får|could|can|may)\s+(vi|jag|man|vårt företag|ett företag|företag|we|i|"
            r"our company|a company|companies|smes?|small companies)\b.{0,60}\b(få|söka|ansöka|"
            r"get|apply|receive|obtain)\b.{0,40}\b(bidrag\w*|stöd\w*|pengar|finansiering\w*|"
            r"grants?|funding|money|subsid\w*|support)\b|\b(bidrag|stöd|grants?|funding)\b.{0,30}"
            r"\b(till|för|to|for)\s+(oss|vårt företag|företag|små företag|smf|sme|smes|our "
            r"company|companies|us)\b",
            _I,
        ),
    ),
    # what the named one funds ("Vad finansierar Produktion2030?"), not who funds it
    (
        "funder",
        re.compile(
            r"\bvad\s+(finansierar|bekostar)\s+(?-i:[A-ZÅÄÖ])|"
            r"\bwhat\s+(does|do|did|will)\s+.{1,40}?\s+(fund|finance|pay for)\b|"
            # its role as a funder: "What does Produktion2030 focus on as a funder?"
            r"\b(as|som)\s+(an?\s+)?(funder|financier|finansiär)\b",
            _I,
        ),
    ),
    ("funds", re.compile(r"\b(finansier\w*|bekostar|finansiär\w*|fund\w*|financ\w*)\b", _I)),
    (
        "joining",
        # "Hur ansöker vi?", "How do I sign up for …?"; not "How can we apply the four areas?"
        re.compile(
            r"\b(ansöker|ansöka|ansökan|anmäler|anmäla|anmälan|sign(ing)? up|apply(ing)? (for|to)"
            # "Hur söker man till Go Global?", "Kan vi söka in?"; not "söker nya lösningar"
            r"|sök(er|a) (man |vi |jag |ni |du )?(till|in)\b"
            r"|register(ing)? for|registration|enrol\w*|(how|where) (do|can|should) (we|i|you|"
            r"companies|a company) (apply|register)(?=\s*[?.!,]|\s*$))\b",
            _I,
        ),
    ),
    (
        "part_of",
        # not "(vilken) del av året/dagen": a part of a time is a time
        re.compile(
            r"\b(en del av|del av(?! (året|dagen|veckan|månaden|hösten|våren))|tillhör|ingår i|"
            r"part of(?! the (year|day|week|month))|belongs? to)\b",
            _I,
        ),
    ),
    (
        "led_by",
        re.compile(
            r"\b(leds av|leder|ledare|chef\w*|led by|leads?|heads?|vem är (programdirektör|"
            r"programchef)\w*|who is the (programme |program )?(director|manager))\b",
            _I,
        ),
    ),
]

# words of the question that say nothing about its subject
_QUESTION_WORDS = frozenset(
    """vad hur vem vems varför vilka vilken vilket när var vart länge lång tid många mycket kan
    ska bör får går finns är har stämmer det att om man vi jag ni de oss vår vårt våra mig
    min mitt mina företag företaget bolag bolaget dokumenten dokument texten texterna säger
    artikeln artikel artikelns article articles
    står skriver nämns beskrivs enligt egentligen eller och men som också även innebär
    betyder menas menar avses berätta beskriv förklara nämn räkna upp lista sätt gör göra behöver
    måste kunna skulle borde what how who whom whose why which when where long many much can
    could should would will is are was were do does did has have the a an of to in on for
    about according documents text say says mention mentioned described mean means meant
    tell explain describe list name we our us i my me you your company companies it this
    that there and or but also vet veta du ni know knows
    ofta often frequently
    bry bryr brydde care cares bother""".split()  # noqa: SIM905
)
# how a purpose is asked, not what about: "Vad vill Produktion2030 uppnå?" has "vill", which
# the documents' "vi vill gärna bidra …" has too ("syftet" and "målet" stay: "Målet är …")
_PURPOSE_FRAME = frozenset(
    """vill uppnå åstadkomma syftar siktar egentligen trying aiming achieve accomplish want
    wants hope hopes actually really""".split()  # noqa: SIM905
)
# what describes the asker rather than a subject: "Vi är 25 anställda", "a firm of 40 people"
_ASKER_WORDS = frozenset(
    """anställda anställd medarbetare personer person st stycken employees employee staff
    people persons workers firm""".split()  # noqa: SIM905
)
# the asker's own situation ("Vi är …", "Vårt företag har …", "We are …")
_CONTEXT_SENTENCE = re.compile(
    r"^\W*(vi|jag|vårt|vår|våra|mitt|min|hos oss|på vårt|we|i|our|my|at our)\b", _I
)
# "… i Småland", "… från Västergötland", "… at Volvo": a capitalised word after a preposition
_INCIDENTAL_PLACE = re.compile(r"\b(i|på|utanför|in|at|near)\s+([A-ZÅÄÖ][\wåäö-]+)")
_CAPITALISED = re.compile(r"(?<![\w-])([A-ZÅÄÖ][\wÅÄÖåäö.:-]*\d*)")
_NAME_PHRASE = re.compile(r"(?<![\w-])([A-ZÅÄÖ][\wÅÄÖåäö.:-]*\d*)(\s+[A-ZÅÄÖ][\wÅÄÖåäö.:-]*\d*)+")
_KIND_NOUN = re.compile(
    rf"\b((vilken|vilket|vilka|which|what)\s+\w+|(det|den|the)\s+({_ORDINAL_WORD})\s+\w+|"
    rf"({_ORDINAL_WORD})\s+\w+)",
    _I,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Question:
    text: str
    lang: Lang
    kind: AskedKind
    focus: str  # the asked-about words, as written
    focus_tokens: tuple[str, ...]  # analysed (stemmed, compounds split)
    context: str = ""  # the asker's description and incidental places
    ordinal: int | None = None
    relation: Relation | None = None
    names: tuple[str, ...] = field(default_factory=tuple)  # capitalised words in the focus
    # names of several words, as written ("RISE IVF", "Smart Maintenance")
    phrases: tuple[str, ...] = field(default_factory=tuple)
    # the kind of document the question says it asks about ("enligt artikeln"): named_kind
    document: str | None = None

    @property
    def typed(self) -> bool:
        return self.kind in TYPED

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "focus": self.focus,
            "context": self.context,
            "ordinal": self.ordinal,
            "relation": self.relation,
            "names": list(self.names),
            "document": self.document,
        }


def _split_context(text: str) -> tuple[str, str]:
    """(context, question sentence): sentences before the last question sentence that describe
    the asker are context; so is a clause before ", men hur …" / ", hur …"."""
    parts = [p for p in _SENTENCE_END.split(text.strip()) if p.strip()]
    if not parts:
        return "", text
    asked = next((i for i in range(len(parts) - 1, -1, -1) if parts[i].rstrip().endswith("?")), -1)
    asked = asked if asked >= 0 else len(parts) - 1
    context = " ".join(parts[:asked])
    sentence = " ".join(parts[asked:])
    clause = re.search(
        r"[,;–-]\s*(men\s+|but\s+|så\s+|and\s+)?(?=(hur|vad|vilk\w+|varför|när|kan|how|what|which|"
        r"why|when|can|should|is|are|do|does)\b)",
        sentence,
        _I,
    )
    if clause and _CONTEXT_SENTENCE.match(sentence[: clause.start()]):
        context = (context + " " + sentence[: clause.start()]).strip()
        sentence = sentence[clause.end() :]
    return context, sentence


# "Vem är Birgitta Öjmertz?" asks what the named person is (a role, a description), not for a
# name: the answer is a definition of the name
_WHO_IS_NAME = re.compile(
    r"^\W*(?i:(och |and )?(vem|who)\s+(är|var|is|was))\s+([A-ZÅÄÖ][\wÅÄÖåäöé.-]*\s*){1,4}\?*\s*$"
)


# a leading "when" clause says when something happens, and the question comes after its
# comma: "När Birgitta räknar upp …, vilken grupp kommer som nummer två?", "When we set up
# our projects, what does the framework say …?" ask for an item and for advice, not a time.
# In the clause a subject follows "när"/"when" (a pronoun, an article or a name), where a
# question's own "När startade …?", "When did …, and who …?" has its verb
_WHEN_CLAUSE = re.compile(
    r"^\W*(?i:när|when)\s+((?i:vi|jag|man|ni|de|han|hon|den|det|ett|en|we|i|you|they|he|she|"
    r"it|our|a|an|the)\b|[A-ZÅÄÖ])[^?,]{6,}?,\s*(?i:och |and |så |then )?(?=(?i:hur|vad|vilk\w+|"
    r"varför|vem|vart?|how|what|which|why|who|where)\b)"
)


def _kind(sentence: str) -> AskedKind:
    if _WHO_IS_NAME.match(sentence):
        return "definition"
    if when := _WHEN_CLAUSE.match(sentence):
        return _kind(sentence[when.end() :])
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(sentence):
            return "organisation" if kind == "funds_who" else kind  # type: ignore[comparison-overlap]
    return "other"


def _ordinal(sentence: str) -> int | None:
    m = _ORDINAL.search(sentence)
    if not m:
        return LAST if _LAST.search(sentence) else None
    word = (m.group(1) or m.group(2) or "").lower()
    if word:
        return _ORDINALS.get(word)
    if m.group(4):
        return _NUMBER_NOUNS[m.group(4).lower()]
    number = m.group(3)
    if not number:
        return None
    return int(number) if number.isdigit() else _CARDINALS.get(number.lower())


# a question sentence with fewer content words than this, none of the domain, points at the
# context. Dev's refusals and ranking are the same with 4 to 8 (few dev cases are such
# pointers); on fresh questions it answered two context-heavy ones it had refused
POINTER_WORDS = 5


def _points_back(words: Sequence[str]) -> bool:
    """Few content words, none of them a term of the domain (the glossary's): "Vad behöver vi
    ha på plats först?", not "Varför ska vi bry oss om radikal förnyelse?"."""
    analyzer = get_analyzer()
    stems = [terms[0] for w in words if (terms := analyzer.index_tokens(w))]
    return len(stems) < POINTER_WORDS and not analyzer.glossary.expand(stems)


def _known(word: str, vocabulary: Collection[str]) -> bool:
    tokens = get_analyzer().index_tokens(word)
    return bool(tokens) and all(t in vocabulary for t in tokens)


def analyse(text: str, lang: Lang, vocabulary: Collection[str] | None = None) -> Question:
    """The question's kind, focus, context, ordinal, relation and names. With the corpus
    ``vocabulary`` (analysed terms), a place the documents never mention ("i Småland") is
    taken for context rather than focus."""
    context, sentence = _split_context(text)
    kind = _kind(sentence)
    ordinal = _ordinal(sentence)
    if ordinal is not None and kind not in TYPED:
        kind = "item"
    relation = next((r for r, p in _RELATIONS if p.search(sentence)), None)
    if relation == "funding_to_asker":
        kind = "yesno" if kind in ("other", "yesno", "how") else kind
    # incidental places ("i Småland") are context unless a place is what is asked
    focus_text = sentence
    if kind != "place":
        analyzer = get_analyzer()
        for m in _INCIDENTAL_PLACE.finditer(sentence):
            terms = analyzer.index_tokens(m.group(2))
            if vocabulary is None or not any(t in vocabulary for t in terms):
                context = (context + " " + m.group(0)).strip()
                focus_text = focus_text.replace(m.group(0), " ")
    if kind in TYPED or ordinal is not None:
        # "vilken organisation …", "det fjärde området": the noun names the kind, not the focus
        focus_text = _KIND_NOUN.sub(" ", _LAST.sub(" ", focus_text))
    frame = _PURPOSE_FRAME if kind == "purpose" else frozenset()
    words = [
        w
        for w in tokenize(focus_text)
        if w not in _QUESTION_WORDS and w not in _ORDINALS and w not in frame
    ]
    if not words and context and ordinal is None:
        # "Vi är 25 anställda och ledningen är rädd för att misslyckas. Vad säger dokumenten om
        # det?": the question only points at what the asker told, so that is the focus (less
        # the company's size, which describes the asker, not the subject)
        words = [
            w
            for w in tokenize(context)
            if w not in _QUESTION_WORDS and w not in _ASKER_WORDS and not w.isdigit()
        ]
    elif vocabulary and context and ordinal is None and _points_back(words):
        # "Vi ska byta till en ny tillverkningsmetod som påverkar kunderna. Ska vi köra igång
        # allt på en gång?": a short question without a subject of the domain points at what
        # the asker told; the told words the documents use are its subject too (a company's
        # trade or place, which they do not use, is not)
        words += [
            w
            for w in tokenize(context)
            if w not in _QUESTION_WORDS
            and w not in _ASKER_WORDS
            and not w.isdigit()
            and _known(w, vocabulary)
        ]
    names = tuple(
        m.group(1).rstrip(".:?")
        for m in _CAPITALISED.finditer(focus_text)
        if m.start() > 0 and m.group(1).lower().rstrip(".:?") not in _QUESTION_WORDS
    )
    phrases = tuple(
        m.group(0).rstrip(".:?")
        for m in _NAME_PHRASE.finditer(focus_text)
        if m.start() > 0 and m.group(1).lower() not in _QUESTION_WORDS
    )
    analyzer = get_analyzer()
    focus = " ".join(words)
    tokens = tuple(dict.fromkeys(analyzer.index_tokens(focus)))
    return Question(
        text=text,
        lang=lang,
        kind=kind,
        focus=focus,
        focus_tokens=tokens,
        context=context,
        ordinal=ordinal,
        relation=relation,
        names=names,
        phrases=phrases,
        document=named_kind(text),
    )


NAME_ZIPF = 3.0  # wordfreq's Zipf: "produktionslyftet" 0, "lean" 2.x, "smart" 4.x, "design" 5.x
_NAME_AFTER = re.compile(r"[\w,;:–)]\s")  # what stands before a name mid-sentence
_CAPITAL = re.compile(r"[A-ZÅÄÖ]")
_SMALL = re.compile(r"[a-zåäöéü]")


def names_as_written(q: Question, texts: Sequence[str]) -> Question:
    """The question with the names it wrote in lower case ("vem leder produktionslyftet?")
    as the ``texts`` (the retrieved sentences) write them, mid-sentence, capitalised: a chat
    question is often typed in lower case, and the relations and the asked kind read names
    ("Produktionslyftets programdirektör …" is the programme's own leader)."""
    # a word common in the question's language is no name where the texts capitalise it
    # ("design", "maintenance" of "Design for Manufacturing", "Smart Maintenance")
    lower = {
        w for w in q.focus.split() if w.islower() and len(w) > 2 and zipf(w, q.lang) < NAME_ZIPF
    }
    if not lower:
        return q
    # the focus words as whole words of the texts, in one pass (a pattern for each text's
    # every capitalised or lower-case word cost ~2 ms an answer)
    alternatives = "|".join(map(re.escape, sorted(lower, key=len, reverse=True)))
    pattern = re.compile(rf"(?<!\w)({alternatives})(?![\w-])", re.IGNORECASE)
    written: dict[str, str] = {}
    plain: set[str] = set()  # a word the texts also write in lower case is no name ("lean")
    for text in texts:
        for m in pattern.finditer(text):
            word = m.group(1)
            if word[0].islower():
                plain.add(word)
            elif (
                _CAPITAL.match(word)
                and _SMALL.search(word, 1)
                and _NAME_AFTER.fullmatch(text, max(0, m.start() - 2), m.start())
            ):
                written[word.lower()] = word
    found = [written[w] for w in q.focus.split() if w in written and w not in plain]
    if not found:
        return q
    return replace(q, names=tuple(dict.fromkeys((*q.names, *found))))


# --- what a sentence holds --------------------------------------------------------------------

_NUMBER_WORDS = (
    r"(ett|en|två|tre|fyra|fem|sex|sju|åtta|nio|tio|tolv|arton|tjugo|one|two|three|four|five|"
    r"six|seven|eight|nine|ten|twelve|eighteen|twenty|\d+(?:[,.]\d+)?)"
)
_DURATION = re.compile(
    rf"\b{_NUMBER_WORDS}[\s-]*(månad\w*|år|års|vecko\w*|veckor|dagar|dagars|timmar|"
    r"months?|years?|weeks?|days?|hours?)\b|\b\d+-(månaders|års|veckors|dagars)\w*|"
    # a stretch of time without a figure: "under flera år", "i många år", "for some years"
    r"\b(flera|många|några|ett par|ett antal|several|many|a few|a couple of)\s+"
    r"(år|månader|veckor|decennier|years|months|weeks|decades)\b|"
    # since when, which says how long: "Förbättringsarbete har sedan länge varit i fokus"
    r"\bsedan (länge|lång tid|\d{4}(-talet)?)\b|\b(for a long time|for decades|since \d{4}|"
    r"long been)\b",
    _I,
)
_AMOUNT = re.compile(
    r"\d[\d ,.]*\s?(kr|kronor|sek|msek|mkr|miljoner|miljarder|euro|eur|€|\$|usd)\b|[€$]\s?\d|"
    # a share: "med 12 %", "15 procent", "12 percent"
    r"\d[\d,.]*\s?(%|procent\b|percent\b)",
    _I,
)
# words that say how often only of what their sentence is about: "Tillverkande företag har
# ofta god uppföljning" does not say how often coaches visit a company
_VAGUE_WORDS = "sällan|ofta|alltid|aldrig|rarely|seldom|often|always|never"
# how often: "varje vecka", "två gånger per år", "en gång i månaden", "sällan", "weekly"
_FREQUENCY = re.compile(
    r"\b(varje|var|varannan|varannat|every|each)\s+(dag|vecka|månad|kvartal|år|termin|"
    r"day|week|month|quarter|year)\w*|"
    rf"\b({_NUMBER_WORDS}|en|ett|once|twice)\s+(gång|gånger|times?)\s+(per|i|om|a|an|each)\b|"
    r"\b(per|a)\s+(dag|vecka|månad|kvartal|år|day|week|month|quarter|year)\b|"
    # not "ständiga"/"kontinuerliga" (förbättringar): continuous improvement is no frequency
    r"\b(dagligen|veckovis|månadsvis|kvartalsvis|årligen|regelbundet|regelbundna|once|twice|"
    rf"daily|weekly|monthly|quarterly|yearly|annually|regularly|{_VAGUE_WORDS})\b",
    _I,
)
_VAGUE_FREQUENCY = re.compile(rf"^({_VAGUE_WORDS})$", _I)


def vague_frequency(sentence: str) -> bool:
    """The sentence says how often only with a word such as "ofta" or "sällan"."""
    found = [m.group(0) for m in _FREQUENCY.finditer(sentence)]
    return bool(found) and all(_VAGUE_FREQUENCY.match(f) for f in found)


# a year, or a whole date: the day of "2019-12-20" (a byline) is no count
_YEAR = re.compile(r"\b(19|20)\d\d(-\d\d-\d\d)?\b")
# seasons and holidays name a time too: "under hösten", "jul och nyår", and a season without
# its article: "en väldigt intensiv höst" ("vår" is also "our")
_SEASON_WORDS = (
    r"våren|hösten|sommaren|vintern|julen|jul|nyår\w*|påsk\w*|midsommar\w*|"
    r"höst|höstens|sommar|vinter|christmas|easter|new year"
)
_DATE = re.compile(
    rf"{_YEAR.pattern}|\b\d{{1,2}}\s+(jan|feb|mar|apr|maj|may|jun|jul|aug|sep|okt|oct|"
    r"nov|dec)\w*|\b(våren|hösten|sommaren|vintern|spring|autumn|fall|summer|winter)\s+\d{4}|"
    r"\b(19|20)\d0-tal\w*|\bsent \d{4}-tal|"
    rf"\b({_SEASON_WORDS})\b",
    _I,
)
# a time named only by a season or holiday: when something happened only in a sentence about
# it ("en väldigt intensiv höst" says when it was intense, not when applications close)
_SEASON = re.compile(rf"^({_SEASON_WORDS})$", _I)
# a question that asks for a date or a year, which a season does not give
_DATE_ASKED = re.compile(
    rf"\b({_DATE_WORDS}|vilket år|vilket datum|which year|what year|what date|which date)\b",
    _I,
)


def vague_time(sentence: str) -> bool:
    """The sentence says when only with a season or holiday ("under hösten", "jul")."""
    found = [m.group(0) for m in _DATE.finditer(sentence)]
    return bool(found) and all(_SEASON.match(f) for f in found)


def asks_date(question: str) -> bool:
    """The question asks for a date or a year ("När är sista ansökningsdag …?")."""
    return bool(_DATE_ASKED.search(question))


_TIME_UNITS = (
    r"(sekund|minut|timm|dag|dygn|veck|månad|år|kvartal|termin|second|minute|hour|day|week|"
    r"month|year|quarter|term)\w*\b"
)
_COUNT = re.compile(
    # not a number that begins a compound ("18-månadersprogrammet" is a duration)
    # nor a sum, a share or a stretch of time ("på 18 månader" is a duration, not a count)
    rf"(?<![\w.])(\d+)(?![\w]|\.\d|-\w)(?!\s*(kr|kronor|%|{_TIME_UNITS}))|"
    r"\b(två|tre|fyra|fem|sex|sju|åtta|nio|tio|"
    rf"two|three|four|five|six|seven|eight|nine|ten)\s+(?!{_TIME_UNITS})\w+|"
    # an enumeration of names answers "how many" by listing them: "VINNOVA, Energimyndigheten
    # och Formas"
    r"(?-i:\b[A-ZÅÄÖ][\wåäö-]+,\s+[A-ZÅÄÖ][\wåäö-]+,?\s+(och|and)\s+[A-ZÅÄÖ][\wåäö-]+)",
    _I,
)
_NAMED_VERSION = re.compile(r"\b[A-ZÅÄÖ]\w*\s\d+\.\d+\b|\b\w+\d{4}\b")
_PERSON = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-ZÅÄÖ][a-zåäöéü]+\s[A-ZÅÄÖ][a-zåäöéü]+)\b")
_PERSON_CUE = re.compile(
    r"\b(programchef\w*|programdirektör\w*|direktör\w*|chef\w*|skrev|skriver|ledare|"
    r"författare|vd|coach|forskare|professor|·)",
    _I,
)
_ORG = re.compile(
    r"\b([A-ZÅÄÖ]{2,}[A-Za-zÅÄÖåäö]*|[A-ZÅÄÖ][a-zåäö]+[A-Z][\wåäö]*|[A-ZÅÄÖ]\w*(verket|myndigheten|"
    r"universitet|högskola|institutet|bolagen|bolaget)|[A-ZÅÄÖ]\w*\d{2,4}|Chalmers|Formas|"
    r"[A-ZÅÄÖ]\w+ [A-ZÅÄÖ]\w+ Network)\b"
)
_PLACE = re.compile(
    r"\b(landsbygd\w*|Sverige\w*|svensk\w*|Luleå|Göteborg|Stockholm|internationell\w*|"
    # "i Skåne", but not "i Produktionslyftet" or "i Startprogrammet": a programme
    r"region\w*|(i|på) (?![A-ZÅÄÖ][a-zåäö]*(lyft|program|projekt|kurs)(et|en|s)?\b)"
    r"[A-ZÅÄÖ][a-zåäö]+)\b"
)
# a company: a name with its company form, the programme's own companies ("IUC-bolagen"), or
# the companies described as a group ("de medverkande små och medelstora företagen", "SMF")
_COMPANY = re.compile(
    r"(?-i:\b[A-ZÅÄÖ][\w&.-]*(\s[A-ZÅÄÖ][\w&.-]*)*\s(AB|Inc|Ltd|Oy|ASA|AS|GmbH|Corp)\b)|"
    r"\b[\w-]*bolag(en|et)?\b|\bSMF\b|\bSMEs?\b|"
    r"\b(små och medelstora|tillverkande|medverkande|deltagande|svenska)\s+(\w+\s+)?företag\w*|"
    r"\b(small and medium-sized|manufacturing|participating|swedish)\s+(companies|firms|"
    r"enterprises)\b",
    _I,
)
# a result: something grown or led to, or that it is too early to say: "har visat fina
# lönsamhets- och omsättningsökningar" ("projektresultat" names results, it reports none)
_RESULT = re.compile(
    r"\b(resulterat|resulterade|resultat(et|en)?|ökning\w*|\w+ökning\w*|"
    r"minskning\w*|utfall\w*|lett till|ledde till|har gett|för tidigt att säga|"
    r"resulted|results?|increase[sd]?|outcomes?|led to|too early to say)\b",
    _I,
)
_COUNTRY = re.compile(
    r"\b(Sverige|Norge|Danmark|Finland|Island|Tyskland|Frankrike|Storbritannien|England|Polen|"
    r"Italien|Spanien|Portugal|Nederländerna|Holland|Belgien|Österrike|Schweiz|Estland|"
    r"Lettland|Litauen|Ryssland|Ukraina|Kina|Japan|Indien|Korea|USA|Kanada|Mexiko|Brasilien|"
    r"Australien|Turkiet|Sweden|Norway|Denmark|Iceland|Germany|France|Britain|"
    r"United Kingdom|Poland|Italy|Spain|Netherlands|Belgium|Austria|Switzerland|Estonia|"
    r"Latvia|Lithuania|Russia|China|India|Canada|Mexico|Brazil|Australia|Turkey|Norden|"
    r"Nordic countries|Europa|Europe|EU)(?!\s+Network)\w*"
)
_CONTACT = re.compile(
    r"https?://\S+|\b[\w.-]+@[\w-]+\.\w+|\b\d{2,4}[- ]\d{2,3}[ -]?\d{2}[ -]?\d{2}\b|"
    r"\b(box|gatan|vägen)\s?\d+",
    _I,
)
_CUES: dict[str, re.Pattern[str]] = {
    "definition": re.compile(
        r"\b(är|innebär|betyder|benämner|kallas|beskrivas som|dvs|det vill säga|eller|"
        r"handlar om|avser|means?|is|refers to)\b",
        _I,
    ),
    "purpose": re.compile(
        r"\b(syfte\w*|mål\w*|syftar|för att|avsikt\w*|ambition\w*|aim\w*|goal\w*|"
        r"purpose|objective\w*|in order to|so that)\b",
        _I,
    ),
    "reason": re.compile(
        r"\b(för att|eftersom|därför|då |behövs|krävs|viktig\w*|nödvändig\w*|risk\w*|"
        r"leder till|bidra\w* till|because|so that|in order to|needed|necessary)\b",
        _I,
    ),
    "how": re.compile(
        r"\b(genom att|bör|behövs|behöver|viktigt att|det gäller att|kan|ska|fokusera|"
        r"sträva|hantera|gör|sätta|ta hänsyn|uppmuntra|planering|strategi\w*|by)\b",
        _I,
    ),
}
_RELATION_CUES: dict[str, re.Pattern[str]] = {
    "part_of": re.compile(r"\b(en del av|är del av|tillhör|ingår i|part of)\b", _I),
    "led_by": re.compile(
        r"\b(programchef\w*|programdirektör\w*|ledare|leds|chef\w*|director|manager)\b", _I
    ),
    "funds": re.compile(r"\b(finansiär\w*|finansier\w*|\w*bidrag\w*|stöds av|stöd)\b", _I),
    "funder": re.compile(r"\b(finansiär\w*|finansier\w*|bekostar|\w*bidrag\w*|stöd\w*)\b", _I),
    # how to get in: the application itself, or whom to contact
    "joining": re.compile(
        r"\b(ansök\w*|anmäl\w*|intresseanmälan|kontakta\w*|apply|application|sign up|"
        r"registr\w*|register|enrol\w*|contact)\b",
        _I,
    ),
    "funding_to_asker": re.compile(
        r"\b(bidrag|stöd|finansiering)\w*\b.{0,60}\b(till|för) (företag|små och medelstora|smf)",
        _I,
    ),
}
_ANAPHORA = re.compile(
    r"^\W*(även (här|detta|det)|här\b|detta\b|dessa\b|deras\b|denna\b|dessutom\b|det i "
    r"kombination|de\b|där\b|sådan\w*\b|this\b|these\b|their\b|there\b|it\b)",
    _I,
)


# kinds answered by a name (one the question does not hold itself; see kind_span)
_NAMED = {"person": _PERSON, "organisation": _ORG, "place": _PLACE}
# where a clause ends, for finding the clause that holds what the question names
_CLAUSE_END = re.compile(r"[,;:()–—]|\s-\s|[.!?](?=\s)")
# what joins names into one answer: "VINNOVA, Energimyndigheten och Formas"
_JOINED = re.compile(r",\s*(?:(?:och|and|samt)\s+)?|\s+(?:och|and|samt|&)\s+")


# kinds answered by a piece of text of a known form (the named kinds are in _NAMED)
_SPANS: dict[str, re.Pattern[str]] = {
    "duration": _DURATION,
    "amount": _AMOUNT,
    "time": _DATE,
    "count": _COUNT,
    "frequency": _FREQUENCY,
    "contact": _CONTACT,
    "company": _COMPANY,
    "country": _COUNTRY,
    "result": _RESULT,
}


def kind_span(
    kind: str, sentence: str, asked: Sequence[str] = (), phrases: Sequence[str] = ()
) -> tuple[int, int] | None:
    """Where ``sentence`` holds an answer of the asked ``kind`` (typed kinds only), or None.
    A name the question itself holds (``asked``) is what it asks about, not an answer: "Vem
    finansierar Produktion2030?" is not answered by a sentence naming only Produktion2030.

    Of several names, the one nearest to a name the question holds (``asked``), in the
    clause that mentions it, else the first: "… i samarbete med Produktion2030,
    startprogrammet Go Global i samarbete med … LIGHTer" answers "Vilket program samarbetar
    man med i Go Global?" with LIGHTer. Names joined to it ("VINNOVA,
    Energimyndigheten och Formas") are part of the answer. ``phrases`` are the question's
    names of several words: their words count as asked only where the whole name stands."""
    if kind in _NAMED:
        if kind == "person" and not _PERSON_CUE.search(sentence):
            return None
        # a word of a name of several words ("RISE" of "RISE IVF") is the asked name only
        # where the whole name stands: "RISE IVF är en del av RISE" answers with "RISE"
        in_phrase = {w.lower() for p in phrases for w in p.split()}
        named = [a.lower() for a in asked if a and a.lower() not in in_phrase]
        mentions = [
            m.span()
            for p in phrases
            for m in re.finditer(rf"\b{re.escape(p)}\w*", sentence, re.IGNORECASE)
        ]

        def is_asked(m: re.Match[str]) -> bool:
            a, b = m.span()
            if any(a < e and s < b for s, e in mentions):
                return True
            found = m.group(0).strip().lower()
            return any(found.startswith(n) or n.startswith(found) for n in named)

        pattern = _NAMED[kind]
        spans = [m.span() for m in pattern.finditer(sentence) if not is_asked(m)]
        if not spans:
            return None
        a, b = _nearest(sentence, spans, asked) or spans[0]
        while (link := _JOINED.match(sentence, b)) and (
            (more := pattern.match(sentence, link.end())) and not is_asked(more)
        ):
            b = more.end()
        return a, b
    form = _SPANS.get(kind)
    if form is None:
        return None
    if kind == "count":
        # a version's or a year's digits are no count ("Industri 4.0", "2019-12-20")
        sentence = _NAMED_VERSION.sub(lambda m: " " * len(m.group(0)), sentence)
        sentence = _YEAR.sub(lambda m: " " * len(m.group(0)), sentence)
    match = form.search(sentence)
    return match.span() if match else None


def _nearest(
    sentence: str, spans: list[tuple[int, int]], names: Sequence[str]
) -> tuple[int, int] | None:
    """Of ``spans``, the one nearest to where the sentence mentions one of ``names``, in the
    same clause (clauses lie between commas, colons, brackets, dashes and sentence ends); a
    span that is part of the mention is not an answer to it. None when no clause mentions a
    name."""
    ends = [m.span() for m in _CLAUSE_END.finditer(sentence)]
    best: tuple[int, tuple[int, int]] | None = None
    for name in names:
        for m in re.finditer(rf"\b{re.escape(name)}", sentence, re.IGNORECASE):
            start = max((e for _, e in ends if e <= m.start()), default=0)
            end = min((s for s, _ in ends if s >= m.end()), default=len(sentence))
            for a, b in spans:
                if start <= a and b <= end and (b <= m.start() or a >= m.end()):
                    gap = m.start() - b if b <= m.start() else a - m.end()
                    if best is None or gap < best[0]:
                        best = gap, (a, b)
    return best[1] if best else None


def has_cue(kind: str, sentence: str) -> bool:
    """A definition, reason or advice phrasing, for the cued kinds."""
    pattern = _CUES.get(kind)
    return bool(pattern and pattern.search(sentence))


def has_relation(relation: str | None, sentence: str, names: Sequence[str] = ()) -> bool:
    """The sentence states the asked relation. For *who funds X* (``names`` holds X), a
    sentence where X is the one that funds ("X går in som finansiär i …", "bidraget från X")
    states the opposite and does not count."""
    pattern = _RELATION_CUES.get(relation or "")
    if not (pattern and pattern.search(sentence)):
        return False
    if relation == "led_by" and names:
        # the role is X's: "Produktionslyftets programdirektör …", "programchef för X", "X
        # leds av"; not a role that only stands near X ("programchefen Cecilia Warrol kring
        # vad vi med Produktionslyftets metodik …" names Produktion2030's programme manager)
        return any(_leads(n, sentence) for n in names)
    if relation == "funder":  # the named one is the funder here
        return any(_funds_others(n, sentence) for n in names)
    return not (relation == "funds" and any(_funds_others(n, sentence) for n in names))


_ROLE = r"(programdirektör|programchef|chef|ledare|director|manager|head)\w*"


def _leads(name: str, sentence: str) -> bool:
    n = re.escape(name)
    return bool(
        re.search(
            rf"\b{n}\w*\s+(\w+\s+)?{_ROLE}|\b{_ROLE}\s+(för|på|i|vid|of|at)\s+{n}|"
            rf"\b{n}\w*\s+(leds|is led|are led)\s+(av|by)\b|\b(leder|leads|heads|runs)\s+{n}",
            sentence,
            _I,
        )
    )


def _funds_others(name: str, sentence: str) -> bool:
    n = re.escape(name)
    return bool(
        re.search(
            rf"\b{n}\w*\s+(går in som|är|blir|agerar som)\s+(en\s+|ny\s+)?finansiär|"
            rf"\b{n}\w*\s+(finansierar|bekostar|stöder|stöttar|funds|finances|supports)\b|"
            rf"\b(\w*bidrag\w*|stöd\w*|finansiering\w*|funding|grant)\s+(från|from)\s+{n}",
            sentence,
            _I,
        )
    )


def is_anaphoric(sentence: str) -> bool:
    """The sentence points back ("Även här …", "Deras …", "Detta …") and needs its antecedent."""
    return bool(_ANAPHORA.match(sentence))


# small talk: a message that is only a greeting ("Hej!") or a thanks ("Tack så mycket!", "ok")
_GREETING = re.compile(
    r"^\W*(hej(san)?|hallå|tjena|tja|god (morgon|dag|kväll)|goddag|hi|hello|hey|good "
    r"(morning|afternoon|evening))( (där|there|alla|all))?[\W_]*$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\W*((tack|tusen tack|tack så mycket|tackar|thanks|thank you|thanks a lot|thx|ok|okej|"
    r"okay|bra|fint|perfekt|toppen|great|nice|cool)( (så mycket|för hjälpen|for the help|"
    r"very much))?[\W_]*)+$",
    re.IGNORECASE,
)


# a question about the assistant itself, not the documents: "Vem är du?", "What can you do?"
_ABOUT_ME = re.compile(
    r"^\W*(vem är du|vad är du|vad är det här|vad är detta|who are you|what are you|what is "
    r"this|hur fungerar (du|det här)|how do(es)? (you|this) work|vad kan du( göra| hjälpa "
    r"(mig|oss|till) med)?|what can you (do|help (me |us )?with)|kan du hjälpa (mig|oss)|can "
    r"you help (me|us)|var kommer (dina )?svar(en)? (ifrån|från)|where do (your|the) answers "
    r"come from)[\W_]*$",
    re.IGNORECASE,
)


def small_talk(text: str) -> Literal["greeting", "thanks", "about"] | None:
    """The kind of small talk ("greeting", "thanks", or "about": a question about the
    assistant itself) when the message is only that."""
    if _GREETING.match(text):
        return "greeting"
    if _THANKS.match(text):
        return "thanks"
    if _ABOUT_ME.match(text):
        return "about"
    return None
