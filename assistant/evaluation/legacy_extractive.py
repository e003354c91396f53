"""The previous embedded answerer (before question-aware selection), frozen as it was so the
evaluation can run it as a baseline column beside the current one. Not used by the product.

It had no LLM, so it answers with whole, verbatim sentences from the
retrieved chunks, each followed by its source marker [n].

Candidates are the sentences of the retrieved chunks, scored against the question by embedding
similarity (the same embedder; sentence vectors come from the ingest-time cache) plus lexical
overlap after Swedish analysis, chosen with maximal marginal relevance so the answer does not
repeat itself, and ordered as they stand in their documents. When the best support is below the
refusal threshold the answer is an honest refusal that lists the closest sources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..analysis import get_analyzer
from ..citations import citation_from_hit
from ..embeddings import Embeddings
from ..index import Snapshot
from ..models import AnswerSentence, Citation, Hit, Lang
from ..sentences import split_sentences

# Questions that ask for an amount or a date can only be answered by a sentence that has one.
_ASKS_MONEY = re.compile(
    r"\b(vad kostar|kostar|kostnad\w*|pris\w*|i kronor|hur mycket pengar|"
    r"cost|costs|price|how much money|fee)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(r"\d[\d ,.]*\s?(kr|kronor|sek|msek|mkr|euro|eur|€|\$|usd)\b|[€$]\s?\d", re.I)
_ASKS_QUANTITY = re.compile(
    r"\b(hur (många|mycket|stor[at]?|lång[at]?|länge)|antal|telefonnummer|"
    r"how (many|much|long|big|large)|phone number)\b",
    re.IGNORECASE,
)
# "När …?" / "When …?" as the question word, not "… när man pratar om …"
_ASKS_DATE = re.compile(r"^\W*(och |and |men |but )?(när|vilket år|what year|when)\b", re.I)
_YEAR = re.compile(r"\b(19|20)\d\d\b")
# a date answers "när/when": a year, or a day and a month
_DATE = re.compile(
    r"\b(19|20)\d\d\b|\b\d{1,2}\s+(jan|feb|mar|apr|maj|may|jun|jul|aug|sep|okt|oct|nov|dec)\w*",
    re.IGNORECASE,
)
# an amount: a number standing on its own ("18 månader", "18-månaders"), not part of a name
# ("Produktion2030", "Industri 4.0") and not a year
_AMOUNT = re.compile(r"(?<![\w.])\d+(?:[,.]\d+)?(?![\w]|\.\d)")
_NAMED_VERSION = re.compile(r"\b[A-ZÅÄÖ]\w*\s\d+\.\d+\b")
TYPE_CHECK_TOP = 2

# "… fyra områden som är viktiga …" / "… the following:" followed by a numbered list
_LIST_INTRO = re.compile(
    r":\s*$|\b(två|tre|fyra|fem|sex|sju|åtta|nio|tio|\d+|följande|two|three|four|five|six|"
    r"seven|eight|nine|ten|following)\s+\w+",
    re.IGNORECASE,
)
# names and acronyms in a question ("Allsvenskan", "ERP", "OEE"); the first word is skipped
_NAME = re.compile(r"(?<!^)(?<![\w-])([A-ZÅÄÖ][\wÅÄÖåäö]*)")
_ACRONYM = re.compile(r"^[A-ZÅÄÖ0-9]{2,6}$")
# "Hur ansöker man …?" / "Hur räknar vi …?": the action asked about
_HOW_TO = re.compile(r"^\W*hur\s+(\w+)\s+(man|vi|jag|ni|de)\b", re.IGNORECASE)
_ITEM = re.compile(r"\s*(\d{1,2})\.\s")
MAX_LIST_ITEMS = 10
MAX_ITEM_SENTENCES = 3

LEXICAL_WEIGHT = 0.25
RANK_WEIGHT = 0.1
MMR_LAMBDA = 0.75
MIN_SENTENCES = 3
MIN_CHARS = 30
MAX_CHARS = 600
# a further sentence is included only while its score is this close to the best one
KEEP_MARGIN = 0.1

LEAD_IN = {
    "sv": "Så här beskriver dokumenten det:",
    "en": "Here is what the documents say (quoted in their original Swedish):",
}
REFUSAL = {
    "sv": "Det framgår inte av dokumenten. De källor som ligger närmast din fråga är:",
    "en": "The documents don't say. The sources closest to your question are:",
}


@dataclass
class Candidate:
    hit: int  # index into hits
    start: int  # span relative to the chunk text
    end: int
    text: str
    dense: float = 0.0
    lexical: float = 0.0
    score: float = 0.0


@dataclass
class Extract:
    text: str
    sentences: list[AnswerSentence]
    citations: list[Citation]
    refusal: bool
    support: float
    hits: list[Hit] = field(default_factory=list)  # what the citations point into


_BRACKETED_NUMBER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def _display(text: str) -> str:
    """A sentence as shown in an answer: Markdown quote markers and line breaks removed, and a
    "[9]" written in the document shown as "(9)" so it cannot pass for a source marker (the
    citation's quote keeps the document's exact text)."""
    flat = " ".join(line.lstrip("> ").strip() for line in text.splitlines()).strip()
    return _BRACKETED_NUMBER.sub(r"(\1)", flat)


def candidates(hits: Sequence[Hit]) -> list[Candidate]:
    out: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    for i, hit in enumerate(hits):
        chunk = hit.chunk
        for s, e in split_sentences(chunk.text):
            text = chunk.text[s:e]
            key = (chunk.doc_id, chunk.start + s)
            if key in seen or text.startswith("#") or not MIN_CHARS <= len(text) <= MAX_CHARS:
                continue
            seen.add(key)
            out.append(Candidate(hit=i, start=s, end=e, text=text))
    return out


def score(
    question: str,
    query_vector: Sequence[float],
    hits: Sequence[Hit],
    cands: list[Candidate],
    embeddings: Embeddings,
    idf: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Scores the candidates in place; returns their (normalised) sentence vectors."""
    if not cands:
        return np.zeros((0, len(query_vector)), dtype=np.float32)
    vecs = np.asarray(embeddings.embed_documents([c.text for c in cands]), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    q = np.asarray(query_vector, dtype=np.float32)
    q /= np.linalg.norm(q) + 1e-9
    dense = vecs @ q
    analyzer = get_analyzer()
    asked = set(analyzer.index_tokens(question))
    expanded = set(analyzer.query_tokens(question))
    # a query word the corpus never uses is as informative as the rarest word it does use
    unseen = max(idf.values(), default=1.0) if idf else 1.0
    weight = (lambda t: idf.get(t, unseen)) if idf is not None else (lambda t: 1.0)
    asked_weight = sum(weight(t) for t in asked)
    for c, d in zip(cands, dense, strict=True):
        words = set(analyzer.index_tokens(c.text))
        c.dense = float(d)
        shared = sum(weight(t) for t in expanded & words)
        c.lexical = min(1.0, shared / asked_weight) if asked_weight > 0 else 0.0
        c.score = c.dense + LEXICAL_WEIGHT * c.lexical + RANK_WEIGHT / (1 + hits[c.hit].rank)
    return vecs


def lacks_asked_type(question: str, best_sentences: Sequence[str]) -> bool:
    """True when the question asks for a sum of money, an amount or a date and none of the
    best-supported sentences holds one (a year or a name like "Industri 4.0" does not answer
    "how many")."""
    if _ASKS_MONEY.search(question):
        return not any(_MONEY.search(s) for s in best_sentences)
    if _ASKS_QUANTITY.search(question):
        plain = [_NAMED_VERSION.sub(" ", _YEAR.sub(" ", s)) for s in best_sentences]
        return not any(_AMOUNT.search(p) for p in plain)
    if _ASKS_DATE.search(question):
        return not any(_DATE.search(s) for s in best_sentences)
    return False


def unknown_names(question: str, lang: Lang, vocabulary: Mapping[str, float]) -> list[str]:
    """Names and acronyms in the question that the documents never mention, not even through
    the glossary: a question about "Allsvenskan" or "ERP" cannot be answered from them; nor
    can "Hur ansöker man …?" when the documents never use the verb. English questions are
    checked for acronyms only (capitalised English words are often ordinary title words)."""
    analyzer = get_analyzer()
    unknown = []
    how_to = _HOW_TO.match(question) if lang == "sv" else None
    words = [how_to.group(1)] if how_to else []  # an action the documents never name
    for word in words + _NAME.findall(question.strip()):
        if lang == "en" and not _ACRONYM.match(word):
            continue
        tokens = analyzer.query_tokens(word)
        if tokens and not any(t in vocabulary for t in tokens):
            unknown.append(word)
    return unknown


def select(cands: list[Candidate], vecs: np.ndarray, max_sentences: int) -> list[int]:
    """Maximal marginal relevance over the candidates, best first."""
    if not cands:
        return []
    scores = np.array([c.score for c in cands])
    best = float(scores.max())
    chosen: list[int] = []
    while len(chosen) < max_sentences:
        mmr = scores.copy()
        if chosen:
            mmr = MMR_LAMBDA * scores - (1 - MMR_LAMBDA) * (vecs @ vecs[chosen].T).max(axis=1)
        mmr[chosen] = -np.inf
        i = int(np.argmax(mmr))
        if mmr[i] == -np.inf:
            break
        if len(chosen) >= MIN_SENTENCES and scores[i] < best - KEEP_MARGIN:
            break
        chosen.append(i)
    return chosen


def _numbered(hits: Sequence[Hit], picked: dict[int, list[tuple[int, int]]]) -> dict[int, Citation]:
    """Citations numbered by first use, one per cited chunk, quoting the picked sentences."""
    return {
        hit: citation_from_hit(n, hits[hit], sorted(spans))
        for n, (hit, spans) in enumerate(picked.items(), 1)
    }


def answer(
    question: str,
    query_vector: Sequence[float],
    hits: Sequence[Hit],
    embeddings: Embeddings,
    lang: Lang,
    max_sentences: int,
    threshold: float,
    idf: Mapping[str, float] | None = None,
    snapshot: Snapshot | None = None,
) -> Extract:
    hits = list(hits)
    cands = candidates(hits)
    vecs = score(question, query_vector, hits, cands, embeddings, idf)
    support = max((c.score for c in cands), default=0.0)
    if support < threshold:
        return _refusal(hits, cands, lang, support)
    best_first = sorted(cands, key=lambda c: -c.score)[:TYPE_CHECK_TOP]
    if lacks_asked_type(question, [c.text for c in best_first]):
        return _refusal(hits, cands, lang, support)
    if idf and unknown_names(question, lang, idf):
        return _refusal(hits, cands, lang, support)
    chosen = [cands[i] for i in select(cands, vecs, max_sentences)]
    # sentences taken only to reach MIN_SENTENCES are left out when the strong ones, with
    # their list items or item explanation, already make an answer of that length
    strong = _expand_lists([c for c in chosen if c.score >= support - KEEP_MARGIN], hits, snapshot)
    chosen = strong if len(strong) >= MIN_SENTENCES else _expand_lists(chosen, hits, snapshot)
    # reading order: documents by their best sentence, sentences as they stand in the document
    doc_rank: dict[str, int] = {}
    for c in chosen:
        doc_rank.setdefault(hits[c.hit].chunk.doc_id, len(doc_rank))
    chosen.sort(
        key=lambda c: (doc_rank[hits[c.hit].chunk.doc_id], hits[c.hit].chunk.start + c.start)
    )
    picked: dict[int, list[tuple[int, int]]] = {}
    for c in chosen:
        picked.setdefault(c.hit, []).append((c.start, c.end))
    cites = _numbered(hits, picked)
    sentences = [
        AnswerSentence(
            text=_display(c.text), citations=[cites[c.hit].number], supported=True, support=c.dense
        )
        for c in chosen
    ]
    paragraphs = _layout(chosen, sentences, hits, snapshot)
    text = LEAD_IN[lang] + "\n\n" + "\n\n".join(paragraphs)
    return Extract(text, sentences, list(cites.values()), False, support, hits)


def list_items(snapshot: Snapshot, doc_id: str, pos: int) -> list[tuple[int, int]]:
    """Document spans of the first sentence of each numbered item ("1. …", "2. …") that
    starts right after document offset ``pos``."""
    text = snapshot.doc_text(doc_id)
    items: list[tuple[int, int]] = []
    expected = 1
    m = _ITEM.match(text, pos)
    while m and int(m.group(1)) == expected and len(items) < MAX_LIST_ITEMS:
        start = m.start(1)
        end = text.find("\n\n", start)
        end = len(text) if end < 0 else end
        items.append(split_sentences(text[start:end], offset=start)[0])
        expected += 1
        m = _ITEM.match(text, end)
    return items


def _layout(
    chosen: list[Candidate],
    sentences: list[AnswerSentence],
    hits: list[Hit],
    snapshot: Snapshot | None,
) -> list[str]:
    """Paragraphs of the answer: one per document; a list's items one per line, an item's
    explanation on its line; each sentence followed by its marker."""
    paragraphs: list[str] = []
    doc, end, in_list = None, 0, False
    for c, s in zip(chosen, sentences, strict=True):
        piece = f"{s.text} [{s.citations[0]}]"
        chunk = hits[c.hit].chunk
        start = chunk.start + c.start
        is_item = bool(_ITEM.match(s.text))
        gap = (
            snapshot.doc_text(chunk.doc_id)[end:start] if snapshot and chunk.doc_id == doc else None
        )
        if gap is not None and in_list and not is_item and not gap.strip() and "\n" not in gap:
            paragraphs[-1] += " " + piece  # the explanation that follows an item's title
        elif chunk.doc_id == doc and is_item == in_list:
            paragraphs[-1] += ("\n" if is_item else " ") + piece
        else:
            paragraphs.append(piece)
            in_list = is_item
        doc, end = chunk.doc_id, chunk.start + c.end
    return paragraphs


def item_body(snapshot: Snapshot, doc_id: str, start: int, end: int) -> list[tuple[int, int]]:
    """When [start, end) is the title sentence of a numbered item ("1. Gör …"), the document
    spans of the item's further sentences (its explanation), up to MAX_ITEM_SENTENCES."""
    text = snapshot.doc_text(doc_id)
    if not _ITEM.match(text, start) or (start > 0 and text[start - 1] != "\n"):
        return []
    stop = text.find("\n\n", end)
    stop = len(text) if stop < 0 else stop
    return split_sentences(text[end:stop], offset=end)[:MAX_ITEM_SENTENCES]


def _expand_lists(
    chosen: list[Candidate], hits: list[Hit], snapshot: Snapshot | None
) -> list[Candidate]:
    """A chosen sentence that announces a list ("… fyra områden …") brings the list's items
    along, so the answer names them; a chosen item title brings its explanation. The chunks
    they come from join the hits the citations point into."""
    if snapshot is None:
        return chosen
    out: list[Candidate] = []
    have = {(hits[c.hit].chunk.doc_id, hits[c.hit].chunk.start + c.start) for c in chosen}

    def add(doc_id: str, s: int, e: int, like: Candidate) -> None:
        holder = snapshot.chunk_at(doc_id, s, e)
        if holder is None or (doc_id, s) in have:
            return
        index = next((i for i, h in enumerate(hits) if h.chunk.id == holder.id), None)
        if index is None:
            hits.append(Hit(chunk=holder, score=0.0, rank=len(hits) + 1))
            index = len(hits) - 1
        have.add((doc_id, s))
        text = holder.text[s - holder.start : e - holder.start]
        out.append(
            Candidate(
                index, s - holder.start, e - holder.start, text, dense=like.dense, score=like.score
            )
        )

    for c in chosen:
        out.append(c)
        chunk = hits[c.hit].chunk
        start, end = chunk.start + c.start, chunk.start + c.end
        if _LIST_INTRO.search(c.text):
            for s, e in list_items(snapshot, chunk.doc_id, end):
                add(chunk.doc_id, s, e, c)
        for s, e in item_body(snapshot, chunk.doc_id, start, end):
            add(chunk.doc_id, s, e, c)
    return out


def closest_sources(hits: Sequence[Hit], lang: Lang) -> Extract:
    """A refusal listing the retrieved sources in retrieval order (when no scores exist, e.g.
    an LLM said the documents do not answer)."""
    return _refusal(hits, candidates(hits), lang, 0.0)


def _refusal(hits: Sequence[Hit], cands: list[Candidate], lang: Lang, support: float) -> Extract:
    """An honest "the documents don't say", listing the closest sources (one per document)."""
    best_by_doc: dict[str, Candidate] = {}
    for c in sorted(cands, key=lambda c: (-c.score, hits[c.hit].rank)):
        best_by_doc.setdefault(hits[c.hit].chunk.doc_id, c)
    picked = {c.hit: [(c.start, c.end)] for c in list(best_by_doc.values())[:3]}
    cites = list(_numbered(hits, picked).values())
    lines = [REFUSAL[lang]]
    for cite in cites:
        origin = ", ".join(x for x in (cite.organisation, cite.date) if x)
        lines.append(f"- [{cite.number}] {cite.title}" + (f" ({origin})" if origin else ""))
    return Extract("\n".join(lines), [], cites, True, support, list(hits))
