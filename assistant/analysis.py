"""Swedish-first text analysis for the keyword (BM25) index and for query expansion.

``get_analyzer().index_tokens(text)`` turns text into index terms: lower-cased word tokens,
stopwords (Swedish and English) dropped, long Swedish compounds split into their parts
(the whole word is kept too, so an exact compound match scores higher), every term stemmed
with Snowball Swedish. ``query_tokens`` does the same and adds the terms of a glossary
entry's other-language equivalents when the query names one of its terms ("renewal" adds
"förnyelse"). ``detect_language`` guesses whether a short question is Swedish or English.

Compounds (>= 8 letters) are split into the fewest parts of >= 4 letters found in wordfreq's
Swedish vocabulary (a linking "s" is allowed, also after a dropped "e"/"a": "arbets-" is
"arbete"), recursively, and only when the parts are clearly more common than the whole word,
so frequent simple words ("produktion", "kvalitet", "samverkan") stay whole.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import Stemmer

from assistant import frequencies
from assistant.errors import AssistantError
from assistant.stopwords import STOPWORDS_EN, STOPWORDS_EN_PLUS, STOPWORDS_SWEDISH

RESOURCES = Path(__file__).parent / "resources"
GLOSSARY_PATH = RESOURCES / "glossary.tsv"

Language = Literal["sv", "en"]

# --- tokenisation ----------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# "KPI:er", "SMF:s", "IUC:erna", "2020:s": the inflection ending that Swedish attaches with a
# colon to abbreviations and numbers is dropped ("Syfte:att" keeps its "att").
_COLON_SUFFIX = re.compile(
    r"(?<=[A-ZÅÄÖÉÜ0-9]):(?:s|n|en|ens|er|ers|erna|ernas|ar|arna|or|orna|na|et|ets|an|a|e)"
    r"(?![^\W_])"
)
# "Produktion2030s" (genitive without a colon) -> "Produktion2030".
_DIGIT_GENITIVE = re.compile(r"(?<=\d)s(?![^\W_])")
_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens: runs of Unicode letters and digits.

    Hyphens and other punctuation separate tokens ("IUC-bolagen" -> ["iuc", "bolagen"]);
    letters and digits stay together ("Produktion2030" -> ["produktion2030"]); a colon
    inflection is dropped ("KPI:er" -> ["kpi"]).
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = text.translate(_INVISIBLE)
    if ":" in text:
        text = _COLON_SUFFIX.sub("", text)
    text = _DIGIT_GENITIVE.sub("", text.lower())
    return _WORD.findall(text)


# --- stopwords -------------------------------------------------------------------------------

_SV_EXTRA = _words(
    """
    också även samt dvs bl ex sk ska skall bara alltså kanske dock just nog redan både mer mest
    andra annan annat egen eget egna ännu inga inget något hos bland kring enligt via per ca osv
    etc mfl fl resp
    """
)
_EN_EXTRA = _words("also would could may might must shall us")

SWEDISH_STOPWORDS: frozenset[str] = frozenset(STOPWORDS_SWEDISH) | _SV_EXTRA
ENGLISH_STOPWORDS: frozenset[str] = (
    frozenset(STOPWORDS_EN) | frozenset(STOPWORDS_EN_PLUS) | (_EN_EXTRA)
)
STOPWORDS: frozenset[str] = SWEDISH_STOPWORDS | ENGLISH_STOPWORDS
# Words that only ask for an answer ("Explain ambidexterity", "Beskriv ramverket").
QUERY_STOPWORDS: frozenset[str] = _words(
    "tell explain describe please give berätta förklara beskriv snälla"
)

# --- stemming --------------------------------------------------------------------------------

_local = threading.local()


_CONSONANT_ET = re.compile(r"[bcdfghjklmnpqrstvwxz]et$")


def stem(word: str) -> str:
    """Snowball Swedish stem of one lower-cased word (a PyStemmer instance per thread), and
    the definite neuter "-et" that Snowball keeps after some consonants: "ramverket",
    "programmet", "upplägget", "utfallet" meet "ramverk", "program", "upplägg", "utfall"
    (Snowball itself stems "ekosystemet", "företaget")."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("swedish")
    out: str = stemmer.stemWord(word)
    if len(out) >= 6 and _CONSONANT_ET.search(out):
        base = out[:-2]
        if base.endswith("mm"):  # "programmet": the m is doubled before the ending only
            base = base[:-1]
        out = stemmer.stemWord(base)  # as the word without its ending stems ("projek")
    elif out + "et" == word or out + "ets" == word:
        # "resultatet" -> "resultat" -> "result", as "resultat"; only where Snowball took the
        # ending "-et" itself: "osäkerhet" -> "osäker" stays, as "osäkerheten" does
        out = stemmer.stemWord(out)
    return out


# --- compound splitting ----------------------------------------------------------------------

MIN_COMPOUND = 8  # shorter words are never split
MAX_COMPOUND = 40  # longer "words" are junk (URLs, hashes)
MIN_PART = 4
MIN_PART_ZIPF = 2.0  # a part must be at least this common (>= frequencies.COMMON_ZIPF)
SPLIT_MARGIN = 1.0  # mean zipf of the parts must beat the whole word's zipf by this much
_DROPPED_VOWEL_PENALTY = 0.5  # "arbets-" read as "arbete" is a little less certain
# Prefix-like words that make noisy parts ("fram|tiden", "före|tagen", "fort|satt").
_NO_PART = _words(
    """
    fram genom bort inne utom ovan nere uppe emot före åter efter fort fler förs förut undan
    redo samman dels talet
    """
)
# Derivational endings that happen to be words ("möjlig|heter", "värde|ring", "gång|erna").
_NO_LAST_PART = _words(
    """
    heter heten hets skap skapet skapen skaper ande ende else elser ning ningen ningar lighet
    ligheter ering erna arna orna ring ringar tion sion
    """
)
# A part ending like this is followed by a linking "s" when one is there ("produktions-").
_S_LINKING_ENDINGS = ("het", "ion", "ing", "else", "tet", "dom", "skap", "nad", "ism")


def _zipf(freq: float) -> float:
    return math.log10(freq) + 9.0 if freq > 0 else 0.0


def _part_zipf(part: str, last: bool) -> float | None:
    if len(part) < MIN_PART or part in STOPWORDS or part in _NO_PART:
        return None
    if last and part in _NO_LAST_PART:
        return None
    # a part is a common word: the list's rare words need not be searched
    z = _zipf(frequencies.common_frequency(part, "sv"))
    return z if z >= MIN_PART_ZIPF else None


# A segmentation: (number of parts, minus the summed zipf of the parts, the parts).
_Segmentation = tuple[int, float, tuple[str, ...]]


def _heads(word: str) -> Iterable[tuple[int, str, float]]:
    """Ways to start ``word`` with a part: (where the rest starts, the part, its zipf)."""
    n = len(word)
    for i in range(MIN_PART, n - MIN_PART + 1):
        head = word[:i]
        for link in ("", "s"):
            if link and word[i] != "s":
                continue
            rest_at = i + len(link)
            if n - rest_at < MIN_PART:
                continue
            if not link and word[i] == "s" and head.endswith(_S_LINKING_ENDINGS):
                continue  # "produktion|sinnovation": read the "s" as a link instead
            z = _part_zipf(head, last=False)
            if z is not None:
                yield rest_at, head, z
            elif link:
                for vowel in ("e", "a"):  # "arbets-" is "arbete" + s
                    z = _part_zipf(head + vowel, last=False)
                    if z is not None:
                        yield rest_at, head + vowel, z - _DROPPED_VOWEL_PENALTY
                        break


@lru_cache(maxsize=262_144)
def _segment(rest: str) -> _Segmentation | None:
    """Best segmentation of a word's tail: a whole word if possible, else fewest parts."""
    z = _part_zipf(rest, last=True)
    if z is not None:
        return 1, -z, (rest,)
    return _best_split(rest)


def _best_split(word: str) -> _Segmentation | None:
    best: _Segmentation | None = None
    for rest_at, head, z in _heads(word):
        tail = _segment(word[rest_at:])
        if tail is None:
            continue
        candidate = (1 + tail[0], tail[1] - z, (head, *tail[2]))
        if best is None or candidate < best:
            best = candidate
    return best


@lru_cache(maxsize=262_144)
def split_compound(word: str) -> tuple[str, ...]:
    """The parts of a Swedish compound ("förbättringsarbete" -> ("förbättring", "arbete")),
    or ``()`` when ``word`` is not split. Expects a lower-cased token."""
    if not MIN_COMPOUND <= len(word) <= MAX_COMPOUND or not word.isalpha():
        return ()
    best = _best_split(word)
    if best is None:
        return ()
    count, minus_sum, parts = best
    if -minus_sum / count < _zipf(frequencies.frequency(word, "sv")) + SPLIT_MARGIN:
        return ()  # the whole word is about as common as its parts: a word of its own
    return parts


# --- the analyser ----------------------------------------------------------------------------

# raised when the terms change: an index built by another version is analysed again at the
# next ingest (2: a noun in -ering also gives its verb's stem, see _verb_stem; 3: the definite
# "-et" Snowball keeps; 4: "-het" nouns stem as their definite forms do)
ANALYSER_VERSION = 4


@lru_cache(maxsize=262_144)
def analyse_token(token: str) -> tuple[str, ...]:
    """Index terms for one token: () for a stopword, else its stem followed by the stems of
    its compound parts (without repeats)."""
    if token in STOPWORDS or (len(token) == 1 and not token.isdigit()):
        return ()
    terms = [stem(token)]
    for part in split_compound(token):
        term = stem(part)
        if term not in terms:
            terms.append(term)
    for term in list(terms):
        related = _verb_stem(term)
        if related and related not in terms:
            terms.append(related)
    return tuple(terms)


_ENGLISH_VERBAL = re.compile(r"(?<=\w{4})i[sz](?:ing|ed|ation|ations|es)$")


def _verb_stem(term: str) -> str | None:
    """The stem of the verb a term derives from, so that a question's verb meets the
    documents' noun: "effektivisering" (the noun of "effektivisera") -> "effektiviser", the
    stem of "effektiviserar"; English "specialising", "digitalisation" -> "specialiser",
    "digitaliser", the Swedish verb stem of the same word."""
    if len(term) >= 9 and term.endswith("ering"):
        return term[:-3]
    m = _ENGLISH_VERBAL.search(term)
    if m:
        return term[: m.start()] + "iser"
    return None


class GlossaryError(AssistantError):
    """The glossary file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class GlossaryEntry:
    line: int
    sv: tuple[str, ...]
    en: tuple[str, ...]


def load_glossary(path: Path) -> list[GlossaryEntry]:
    """Read a glossary TSV: header ``sv<TAB>en``, then one row per concept with the terms of
    each language separated by "|". Blank lines and lines starting with "#" are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GlossaryError(f"cannot read glossary {path}: {exc}") from exc
    if not lines or lines[0].strip().split("\t") != ["sv", "en"]:
        raise GlossaryError(f"{path}, line 1: the header must be 'sv<TAB>en'")
    entries: list[GlossaryEntry] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) != 2:
            raise GlossaryError(
                f"{path}, line {number}: expected 2 tab-separated columns (sv, en), "
                f"found {len(columns)}: {line!r}"
            )
        sides: list[tuple[str, ...]] = []
        for language, column in zip(("sv", "en"), columns, strict=True):
            terms = tuple(term.strip() for term in column.split("|"))
            if not all(terms):
                raise GlossaryError(
                    f"{path}, line {number}: empty {language} term in {column.strip()!r}"
                )
            for term in terms:
                if not any(analyse_token(token) for token in tokenize(term)):
                    raise GlossaryError(
                        f"{path}, line {number}: {language} term {term!r} has no searchable "
                        "words (only stopwords or punctuation)"
                    )
            sides.append(terms)
        entries.append(GlossaryEntry(line=number, sv=sides[0], en=sides[1]))
    return entries


def _key(term: str) -> tuple[str, ...]:
    """A term as the sequence of its words' stems (stopwords dropped, compounds whole)."""
    return tuple(terms[0] for token in tokenize(term) if (terms := analyse_token(token)))


class _Expansions:
    """Glossary terms by their first stem, each with the index terms of its equivalents."""

    def __init__(self, entries: list[GlossaryEntry], analyser: Analyzer) -> None:
        merged: dict[tuple[str, ...], dict[str, None]] = {}
        sv_stems: set[str] = set()
        en_stems: set[str] = set()
        for entry in entries:
            for own, other, stems in (
                (entry.sv, entry.en, sv_stems),
                (entry.en, entry.sv, en_stems),
            ):
                adds = [t for term in other for t in analyser.index_tokens(term)]
                for term in own:
                    key = _key(term)
                    merged.setdefault(key, {}).update(dict.fromkeys(adds))
                    stems.update(key)
        self.by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for key, terms in merged.items():
            self.by_first.setdefault(key[0], []).append((key, tuple(terms)))
        # Stems that belong to one language only: evidence for detect_language.
        self.sv_only = frozenset(sv_stems - en_stems)
        self.en_only = frozenset(en_stems - sv_stems)

    def expand(self, words: list[str]) -> list[str]:
        """Terms to add for the glossary terms found in a query's word stems (in order)."""
        added: list[str] = []
        for i, first in enumerate(words):
            for key, terms in self.by_first.get(first, ()):
                if tuple(words[i : i + len(key)]) == key:
                    added.extend(terms)
        return added


class Analyzer:
    """Tokenise, drop stopwords, split compounds, stem; expand queries from a glossary.

    The glossary (default: ``resources/glossary.tsv``) is read on first use, so a malformed
    file raises ``GlossaryError`` from the first ``query_tokens`` call (or ``glossary``).
    """

    def __init__(self, glossary_path: Path | None = None) -> None:
        self.glossary_path = glossary_path or GLOSSARY_PATH
        self._expansions: _Expansions | None = None
        self._lock = threading.Lock()

    def index_tokens(self, text: str) -> list[str]:
        """Terms for the keyword index (repeats kept: term frequency counts)."""
        out: list[str] = []
        for token in tokenize(text):
            out.extend(analyse_token(token))
        return out

    def query_tokens(self, text: str) -> list[str]:
        """Terms for a keyword query: the query's own terms, then those of the other-language
        equivalents of any glossary term in it; each term once."""
        words: list[str] = []
        out: list[str] = []
        for token in tokenize(text):
            if token in QUERY_STOPWORDS:
                continue
            terms = analyse_token(token)
            if terms:
                words.append(terms[0])
                out.extend(terms)
        out.extend(self._glossary().expand(words))
        return list(dict.fromkeys(out))

    @property
    def glossary(self) -> _Expansions:
        return self._glossary()

    def _glossary(self) -> _Expansions:
        if self._expansions is None:
            with self._lock:
                if self._expansions is None:
                    self._expansions = _Expansions(load_glossary(self.glossary_path), self)
        return self._expansions


@lru_cache(maxsize=1)
def get_analyzer() -> Analyzer:
    """The process-wide analyser over the bundled glossary."""
    return Analyzer()


# --- language detection ----------------------------------------------------------------------

_SV_QUESTION = _words("vad hur vem vems varför vilka vilken vilket när var vart")
_EN_QUESTION = _words("what how who whom whose why which when where")
_SV_ONLY_STOPWORDS = SWEDISH_STOPWORDS - ENGLISH_STOPWORDS
_EN_ONLY_STOPWORDS = ENGLISH_STOPWORDS - SWEDISH_STOPWORDS
_LETTERS = re.compile(r"[^\W\d_]+")
_ZIPF_GAP = 1.0  # a word votes for the language where it is this much more common


def detect_language(text: str, analyzer: Analyzer | None = None) -> Language:
    """Guess the language of a short question (1-30 words): "sv" or "en", "sv" if undecided.

    Votes: question words and stopwords of one language only; å/ä/ö; glossary terms of one
    language; words clearly more common in one language (wordfreq). Capitalised words after
    the first are taken for names ("Birgitta Öjmertz") and do not vote.

    A word's frequencies give at most one vote, so they are looked up only when they could
    still change the outcome: a plainly Swedish question does not load the English list
    (~0.25 s of a server's first answer)."""
    expansions = (analyzer or get_analyzer()).glossary
    sv = en = 0
    weighed: list[str] = []
    for index, word in enumerate(_LETTERS.findall(unicodedata.normalize("NFC", text))):
        lower = word.lower()
        if lower in _SV_QUESTION:
            sv += 2
        elif lower in _EN_QUESTION:
            en += 2
        elif lower in _SV_ONLY_STOPWORDS:
            sv += 1
        elif lower in _EN_ONLY_STOPWORDS:
            en += 1
        elif index == 0 or not word[0].isupper():
            if any(c in "åäö" for c in lower):
                sv += 1
            stemmed = stem(lower)
            sv += stemmed in expansions.sv_only
            en += stemmed in expansions.en_only
            weighed.append(lower)
    if en + len(weighed) <= sv or en > sv + len(weighed):
        return "en" if en > sv else "sv"  # decided, whichever way the frequencies vote
    for lower in weighed:
        gap = frequencies.zipf(lower, "sv") - frequencies.zipf(lower, "en")
        sv += gap >= _ZIPF_GAP
        en += gap <= -_ZIPF_GAP
    return "en" if en > sv else "sv"
