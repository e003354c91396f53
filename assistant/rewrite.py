"""Follow-up questions -> standalone questions, without an LLM.

A follow-up that refers back ("Hur länge pågår det?") gets the key terms of the conversation
appended ("Hur länge pågår det? Produktionslyftet 4.0"), so retrieval finds what "det" means.
A question that stands on its own is left as it is. Deterministic; the LLM rewrite is
``generate.rewrite_with_llm``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .analysis import QUERY_STOPWORDS, STOPWORDS
from .citations import is_meta_sentence, is_refusal, strip_markers
from .models import Turn
from .sentences import sentences

MAX_TERMS = 8
MIN_TERMS = 2  # fewer terms from the user's turns: the assistant's first sentence adds some
MAX_TURNS_BACK = 3  # follow-ups of follow-ups: walk back this many user turns for names
SHORT = 3  # questions of at most this many content words need the conversation


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Pronouns and adverbs that always point back.
_ALWAYS = {
    "sv": _words("dessa denna detta där dit han hon honom henne dem"),
    "en": _words("they them this these those there he she him"),
}
# Possessives point back unless a name before them in the question is what they refer to
# ("How did Produktionslyftet change its method?").
_POSSESSIVE = {
    "sv": _words("dess hans hennes deras"),
    "en": _words("its his her their theirs"),
}
# Words that point back only as pronouns, not as determiners ("det första steget").
_DETERMINERS = {"sv": frozenset({"det", "den", "de"}), "en": frozenset({"it", "that"})}
# Dummy subjects: "Finns det stöd för …", "Is there a programme …", "Is it possible to …".
_EXPLETIVE = {
    "sv": re.compile(
        r"\b(?:(?:finns|fanns|går|gick|gäller|krävs|behövs|räcker)\s+det"
        r"|det\s+(?:finns|fanns|går|gick|gäller|krävs|behövs|räcker)"
        r"|(?:är|var)\s+det\s+(?:möjligt|viktigt|vanligt|svårt|lätt|nödvändigt|dyrt|bra))\b",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\b(?:(?:is|are|was|were)\s+there|there\s+(?:is|are|was|were|'s)"
        r"|(?:is|was)\s+it\s+(?:possible|important|common|hard|difficult|easy|necessary|worth)"
        r"|it\s+(?:is|was)\s+(?:possible|important|common|hard|difficult|easy|necessary))\b",
        re.IGNORECASE,
    ),
}
_LEADING = {
    "sv": re.compile(
        r"^(?:och|men|också|även|samt|så|vad\s+(?:sägs\s+om|gäller|med)|hur\s+är\s+det\s+med)\b",
        re.IGNORECASE,
    ),
    "en": re.compile(r"^(?:and|but|also|so|what\s+about|how\s+about)\b", re.IGNORECASE),
}
_ORDINAL = {
    "sv": re.compile(
        r"\b(?:den|det|de)\s+(?:första|andra|tredje|fjärde|femte|sjätte|sista|senare|förra)\b"
        r"|\bnummer\s+(?:\d+|ett|två|tre|fyra|fem)\b",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\bthe\s+(?:first|second|third|fourth|fifth|sixth|last|latter|former)\b"
        r"|\bnumber\s+(?:\d+|one|two|three|four|five)\b",
        re.IGNORECASE,
    ),
}
# Verbs that carry no topic: they do not make a question self-contained.
_LIGHT = _words(
    """finns fanns går gick gör gjorde får fick blir blev ger gav tar tog kommer menas betyder
    innebär heter mean means get gets make makes take takes many much long"""
)
_TOKEN = re.compile(r"[^\W_]+(?:[-.:/][^\W_]+)*")
_SPACE_ONLY = re.compile(r"[ \t]+")


def _langs(lang: str | None) -> tuple[str, ...]:
    return (lang,) if lang in ("sv", "en") else ("sv", "en")


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text))


def _is_stop(word: str) -> bool:
    w = word.lower()
    return w in STOPWORDS or w in QUERY_STOPWORDS or w in _LIGHT


def _content_words(text: str) -> list[str]:
    return [m.group() for m in _tokens(text) if not _is_stop(m.group()) and len(m.group()) > 1]


def _name_like(word: str, first: bool) -> bool:
    """A programme, organisation or person name, an acronym or a version ("4.0", "5S")."""
    if _is_stop(word):
        return False
    if any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:]):
        return True
    return word[0].isupper() and not first


def needs_context(question: str, lang: str | None = None) -> bool:
    """Whether ``question`` refers back to the conversation: a pronoun ("det", "they"), a
    leading "och"/"and"/"men"/"but", an ordinal ("den tredje", "the third one"), or so few
    content words (and no name) that it cannot stand alone."""
    q = " ".join(question.split())
    for lg in _langs(lang):
        if _LEADING[lg].match(q) or _ORDINAL[lg].search(q):
            return True
        tokens = _tokens(_EXPLETIVE[lg].sub(" ", q))
        words = [m.group().lower() for m in tokens]
        for i, w in enumerate(words):
            if w in _ALWAYS[lg]:
                return True
            if w in _POSSESSIVE[lg]:
                if not any(_name_like(m.group(), j == 0) for j, m in enumerate(tokens[:i])):
                    return True
                continue
            if w in _DETERMINERS[lg]:
                nxt = words[i + 1] if i + 1 < len(words) else None
                prev = words[i - 1] if i else None
                if w == "that" and prev is not None and not _is_stop(prev):
                    continue  # "companies that …": a relative pronoun
                if nxt is None or _is_stop(nxt):
                    return True  # "Hur länge pågår det?", "Vad kostar det för …"
    if any(_name_like(m.group(), i == 0) for i, m in enumerate(_tokens(q))):
        return False
    return len(_content_words(q)) <= SHORT


def key_terms(text: str) -> tuple[list[str], list[str]]:
    """Names (runs of capitalised words, acronyms, versions: "Produktionslyftet 4.0") and the
    other content words of ``text``, each in order of appearance, without repeats."""
    text = strip_markers(text)
    names: list[str] = []
    run: list[re.Match[str]] = []
    prev_end = 0
    for m in _tokens(text):
        word = m.group()
        first = not text[: m.start()].strip() or text[: m.start()].rstrip()[-1] in ".!?:"
        joins = bool(run) and _SPACE_ONLY.fullmatch(text[prev_end : m.start()]) is not None
        if joins and (_name_like(word, False) or any(c.isdigit() for c in word)):
            run.append(m)
        else:
            if run:
                names.append(text[run[0].start() : run[-1].end()])
            run = [m] if _name_like(word, first) and any(c.isalpha() for c in word) else []
        prev_end = m.end()
    if run:
        names.append(text[run[0].start() : run[-1].end()])
    in_names = {w.lower() for n in names for w in _TOKEN.findall(n)}
    words = [w for w in _content_words(text) if w.lower() not in in_names and len(w) > 2]
    return _unique(names), _unique(words)


def _unique(items: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


def rewrite_without_llm(question: str, history: Sequence[Turn], lang: str | None = None) -> str:
    """``question`` with the conversation's key terms appended when it refers back.

    Names come from the latest user turn (and from earlier ones while those were follow-ups
    themselves), content words from the latest user turn; with fewer than ``MIN_TERMS``
    terms, the first sentence of the latest answer adds its terms. Terms the question already
    has are not repeated."""
    q = " ".join(question.split())
    users = [t.content for t in history if t.role == "user"]
    if not users or not needs_context(q, lang):
        return q
    names, words = key_terms(users[-1])
    k = len(users) - 1
    while k > 0 and len(users) - k < MAX_TURNS_BACK and needs_context(users[k], lang):
        k -= 1  # the latest user turn was a follow-up too: its subject is further back
        names += key_terms(users[k])[0]
    if k < len(users) - 1:
        # the question that set the subject: its words too, not only its names ("Vad är
        # ambidexteritet?" -> "Varför är det viktigt?" -> "Hur kommer man igång?")
        words += key_terms(users[k])[1]
    terms = _unique(names + words)
    if len(terms) < MIN_TERMS:
        answers = [t.content for t in history if t.role == "assistant"]
        # the answer's first real claim: not a lead-in ("Så här …:") and not a refusal
        claims = (
            [s for s in sentences(strip_markers(answers[-1])) if not is_meta_sentence(s)]
            if answers and not is_refusal(answers[-1])
            else []
        )
        if first := next(iter(claims), ""):
            more_names, more_words = key_terms(first)
            terms = _unique(terms + more_names + more_words)
    have = {w.lower() for w in _TOKEN.findall(q)}
    added: list[str] = []
    for term in terms:
        term_words = {w.lower() for w in _TOKEN.findall(term)}
        if not term_words <= have and len(added) < MAX_TERMS:
            added.append(term)
            have |= term_words
    return f"{q} {' '.join(added)}" if added else q
