"""The embedded default answerer: no LLM, so the answer is made of whole, verbatim sentences
from the documents, each followed by its source marker [n], chosen for how well they answer
the question rather than how well they match its topic.

1. The question is analysed (``question.analyse``): the asked kind (a duration, an
   organisation, the fourth item of a list, a definition …), its focus and its context.
2. Candidates are the sentences of the retrieved chunks and of their neighbours, plus the
   numbered items of the lists in those documents.
3. Each candidate gets features (``FEATURES``): e5 similarity to the question, word overlap on
   the focus, whether it holds the asked kind of answer, the asked list item, a pointing-back
   opening, … A logistic model fitted on the evaluation's dev split
   (``resources/answer_model.json``, ``python -m assistant.evaluation.fit``) turns them into
   the probability that the sentence holds the answer.
4. A second fitted model decides on refusal from the same evidence plus whether the focus is
   known to the documents and whether the asked kind occurs in the best passages.
5. The answer leads with the best sentence (the asked span in **bold** for typed questions),
   then at most ``MAX_EXTRA`` sentences that are likely enough and add something; a sentence
   that points back brings the one before it; the sentences right after the lead that point
   back to it join it (``COMPLETION``, at the fitted ``completion_min``); a sentence that
   announces a list brings its items.
6. Under the answer, outside its text, "Läs mer" quotes the next ``MORE_ITEMS`` likely
   passages (``Extract.more``): when the lead misses, the answer is often the second or third
   best sentence.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import get_analyzer
from .citations import citation_from_hit, strip_markers
from .embeddings import Embeddings
from .index import Snapshot
from .models import AnswerSentence, Chunk, Citation, Hit, Lang
from .question import (
    CUED,
    LAST,
    Question,
    analyse,
    asks_date,
    has_cue,
    has_relation,
    is_anaphoric,
    kind_span,
    names_as_written,
    vague_frequency,
    vague_time,
)
from .recent import RecentTable
from .sentences import split_sentences, unpaired_quote_mark

MODEL_PATH = Path(__file__).parent / "resources" / "answer_model.json"

SENTENCE_FEATURES = (
    "dense",  # cosine similarity of question and sentence (e5)
    "dense_gap",  # dense minus the best candidate's dense (<= 0)
    "focus",  # IDF-weighted share of the focus words the sentence has (glossary-expanded)
    "overlap",  # the same over all words of the question, context included
    "kind",  # a typed question (duration, organisation …) and the sentence holds that kind
    "kind_absent",  # a typed question and the sentence does not
    "cue",  # a definition / reason / advice question and the sentence is phrased as one
    "item",  # the asked numbered item of a list (its title or explanation)
    "item_other",  # another numbered item, when one was asked for
    "relation",  # the asked relation ("en del av", "finansiär") is in the sentence
    "names",  # share of the question's names the sentence mentions
    "anaphora",  # the sentence opens by pointing back ("Även här", "Deras", "Detta")
    "list_intro",  # a list question and the sentence announces a list
    "rank",  # 1 / (1 + retrieval rank of its chunk)
    "short",  # under 60 characters (headings, bylines), for untyped questions
    "meta",  # the sentence speaks of the document itself ("I den här artikeln …", "Figur 2")
    "other_document",  # the question names a kind of document ("enligt artikeln"); not this one
)
REFUSAL_FEATURES = (
    "best",  # the best candidate's logit
    "best_dense",  # the best dense similarity among the candidates
    "best_focus",  # the best focus overlap among the candidates
    "kind_missing",  # typed question, and no top candidate holds that kind
    "kind_focus",  # the best focus overlap among the candidates that hold the asked kind
    "unknown_focus",  # share of the focus words the documents never use (English: nor the bridge)
    "unknown_name",  # a name in the focus the documents never mention
    "relation_missing",  # funding *to the asker* asked, and no candidate says so
    "unknown_any",  # some focus word (4+ letters) the documents never use
    "english",  # calibration per language
    "english_best",
    "english_unknown",
)
_FEATURE = {f: i for i, f in enumerate(SENTENCE_FEATURES)}
TOP_FOR_KIND = 3
VAGUE_ON_TOPIC = 0.5  # see _vague_on_topic
SAME_FAMILY = 7  # letters two stems share to count as one word family (see _related)
RELATION_LEADS = ("funds", "funder", "part_of", "led_by")  # relations whose statement leads
RELATION_WITHIN = 3  # … when it is among this many best candidates
MAX_EXTRA = 2
COMPLETION = 2  # at most this many sentences after the lead that point back join it
MIN_CHARS = 20
MAX_CHARS = 600
NEIGHBOURS_OF = 10  # the top hits whose neighbouring chunks also give candidates
SHORT = 60
REDUNDANT = 0.92  # cosine above which a further sentence repeats one already chosen
MORE_ITEMS = 2  # "Läs mer" passages under the answer
MORE_MIN = 0.5  # … each at least this likely to hold the answer

_LIST_INTRO = re.compile(
    r":\s*$|\b(två|tre|fyra|fem|sex|sju|åtta|nio|tio|\d+|följande|two|three|four|five|six|"
    r"seven|eight|nine|ten|following)\s+\w+",
    re.IGNORECASE,
)
# a sentence that announces several things without naming them ("har inlett flera
# samarbeten", "ett axplock av initiativ"), and one that goes on to name them
_ANNOUNCES = re.compile(
    r"\b(flera|ett antal|ett par|några|olika|ett axplock|en rad|several|a number of|"
    r"various|a few|a range of)\b",
    re.IGNORECASE,
)
# a sentence about the document rather than its subject: "I den här artikeln presenterar vi
# …", "Vi hoppas med detta arbete …", "(till vänster i Figur 2)". On dev such sentences led
# where the answer was another sentence, most of all when the question names the article
_META = re.compile(
    r"\b(den här artikeln|denna artikel|i artikeln|detta arbete|det här arbetet|figur \d|"
    r"fig\. ?\d|nedan|ovan|this article|this work|figure \d)",
    re.IGNORECASE,
)
_NAMES_EXAMPLE = re.compile(
    r"\W*(här kan (vi|jag) nämna|ett (annat )?exempel|exempel på detta|bland annat|"
    r"till exempel|t\.? ?ex\b|dessa\b|for example|for instance|these\b|they are\b|"
    r"examples\b)",
    re.IGNORECASE,
)
_ITEM = re.compile(r"\s*(\d{1,2})\.\s")
_ITEM_LINE = re.compile(r"(?m)^(\d{1,2})\.\s")
_BRACKETED_NUMBER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
MAX_LIST_ITEMS = 10
MAX_ITEM_SENTENCES = 3
MAX_QUOTE_SENTENCES = 2  # the rest of a quotation that a sentence of it leads

LEAD_IN = {"sv": "", "en": "From the documents (quoted in the original Swedish):"}
REFUSAL = {
    "sv": "Det framgår inte av dokumenten.",
    "en": "The documents don't say.",
}
NEAREST = {
    "sv": "Det som ligger närmast din fråga är:",
    "en": "The closest they come is this (in Swedish):",
}
ALSO = {"sv": "Andra närliggande källor:", "en": "Other related sources:"}


@dataclass(frozen=True)
class LinearModel:
    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x @ np.asarray(self.coef) + self.intercept, dtype=np.float64)

    def parts(self, row: np.ndarray) -> dict[str, float]:
        return {
            f: round(float(w * v), 4)
            for f, w, v in zip(self.features, self.coef, row, strict=True)
            if v
        }


@dataclass(frozen=True)
class AnswerModel:
    """The fitted weights (``resources/answer_model.json``)."""

    sentence: LinearModel  # P(the sentence holds the answer), comparable across questions
    refusal: LinearModel
    refusal_threshold: float  # refuse when P(no answer) is above this
    extra_min: float  # a further sentence needs at least this probability
    fitted: dict[str, Any] = field(default_factory=dict)
    # the order of one question's candidates (a conditional logit: fitted to pick the answer
    # among them, so only differences between its scores mean anything); None: ``sentence``
    ranker: LinearModel | None = None
    # the sentence right after the lead that points back to it joins the lead at this
    # probability (fitted apart from ``extra_min``: it completes the lead rather than adding
    # a sentence of its own); None: ``extra_min``
    completion_min: float | None = None

    @property
    def order(self) -> LinearModel:
        return self.ranker or self.sentence

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> AnswerModel:
        data = json.loads(path.read_text(encoding="utf-8"))

        def linear(part: dict[str, Any], names: tuple[str, ...]) -> LinearModel:
            if tuple(part["features"]) != names:
                raise ValueError(f"{path}: features {part['features']} are not {list(names)}")
            return LinearModel(names, tuple(part["coef"]), float(part["intercept"]))

        return cls(
            sentence=linear(data["sentence"], SENTENCE_FEATURES),
            refusal=linear(data["refusal"], REFUSAL_FEATURES),
            refusal_threshold=float(data["refusal"]["threshold"]),
            extra_min=float(data["extra_min"]),
            fitted=data.get("fitted", {}),
            ranker=linear(data["ranker"], SENTENCE_FEATURES) if "ranker" in data else None,
            completion_min=float(data["completion_min"]) if "completion_min" in data else None,
        )


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> AnswerModel:
    return AnswerModel.load(path)


@dataclass
class Candidate:
    hit: int  # index into hits (the chunk that holds it; neighbours are appended)
    start: int  # span relative to that chunk's text
    end: int
    text: str
    doc_id: str
    doc_start: int
    item: int | None = None  # the number of the list item it belongs to
    item_title: bool = False
    features: np.ndarray = field(default_factory=lambda: np.zeros(len(SENTENCE_FEATURES)))
    logit: float = 0.0
    prob: float = 0.0
    order: float = 0.0  # the ranker's score: candidates are tried best first


@dataclass
class Gathered:
    """Everything the answer and the fitting need: the analysed question, the hits (the
    retrieved ones and the neighbours added), the candidates with features, case features."""

    question: Question
    hits: list[Hit]
    candidates: list[Candidate]
    vectors: np.ndarray
    case_features: np.ndarray = field(default_factory=lambda: np.zeros(len(REFUSAL_FEATURES)))
    # an English question's focus words that the word bridge links to the documents' words
    bridged: frozenset[str] = frozenset()


@dataclass
class Extract:
    text: str
    sentences: list[AnswerSentence]
    citations: list[Citation]
    refusal: bool
    hits: list[Hit] = field(default_factory=list)  # what the citations point into
    analysis: dict[str, Any] = field(default_factory=dict)
    # "Läs mer": further likely passages, quoted outside the answer's text, numbered on
    # from its citations
    more: list[Citation] = field(default_factory=list)


def display_sentence(text: str) -> str:
    """A sentence as shown in an answer: Markdown quote markers and line breaks removed, a
    quotation mark whose partner lies in another sentence left out ("… även i produktion.”"),
    and a "[9]" written in the document shown as "(9)" so it cannot pass for a source marker
    (the citation's quote keeps the document's exact text)."""
    flat = " ".join(line.lstrip("> ").strip() for line in text.splitlines()).strip()
    head, tail = unpaired_quote_mark(flat)
    return _BRACKETED_NUMBER.sub(r"(\1)", flat[head : len(flat) - tail])


# --- candidates ---------------------------------------------------------------------------


_Item = tuple[int, int, int, int]
ITEMS_CACHED = 4096  # documents whose list items are kept parsed
_items_cache: RecentTable[tuple[str, str, str], list[_Item]] = RecentTable(ITEMS_CACHED)


def _items(snapshot: Snapshot, doc_id: str) -> list[_Item]:
    """The numbered items of the document's lists: (number, title start, title end, end).
    Parsed once per document content and kept (small tuples, not the text): a question meets
    ~10 documents and, in a large index, mostly ones the last questions did not, so a cache
    keyed by text and sized for one question's documents was parsing whole documents on
    every question."""
    entry = snapshot.documents.get(doc_id)
    if entry is None:
        return _items_in(snapshot.doc_text(doc_id))
    key = (doc_id, entry.content_hash, repr(sorted(entry.chunking.items())))
    found = _items_cache.get(key)
    if found is None:
        found = _items_in(snapshot.doc_text(doc_id))
        _items_cache.put(key, found)
    return found


def _items_in(text: str) -> list[_Item]:
    """``_items`` of a text."""
    out = []
    for m in _ITEM_LINE.finditer(text):
        start = m.start()
        stop = text.find("\n\n", start)
        stop = len(text) if stop < 0 else stop
        spans = split_sentences(text[start:stop], offset=start)
        if spans:
            out.append((int(m.group(1)), spans[0][0], spans[0][1], stop))
    return out


def _chunk_hit(hits: list[Hit], chunk: Chunk) -> int:
    index = next((i for i, h in enumerate(hits) if h.chunk.id == chunk.id), None)
    if index is None:
        hits.append(Hit(chunk=chunk, score=0.0, rank=len(hits) + 1))
        index = len(hits) - 1
    return index


def candidates(
    hits: list[Hit], snapshot: Snapshot | None, ordinal: int | None = None
) -> list[Candidate]:
    """The sentences of the hits' chunks, of the top hits' neighbouring chunks and (when an
    item is asked for) the titles of that item in the documents' lists. Chunks that are not
    hits are appended to ``hits`` so citations can point into them."""
    chunks: list[Chunk] = [h.chunk for h in hits]
    if snapshot is not None:
        for h in hits[:NEIGHBOURS_OF]:
            entry = snapshot.documents.get(h.chunk.doc_id)
            if entry is None:
                continue
            ids = entry.chunk_ids
            pos = ids.index(h.chunk.id) if h.chunk.id in ids else -1
            for j in (pos - 1, pos + 1):
                if pos >= 0 and 0 <= j < len(ids) and ids[j] in snapshot.chunks:
                    chunks.append(snapshot.chunks[ids[j]])
    out: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    items_by_doc: dict[str, list[tuple[int, int, int, int]]] = {}
    for chunk in chunks:
        if snapshot is not None and chunk.doc_id in snapshot.documents:
            items_by_doc.setdefault(chunk.doc_id, _items(snapshot, chunk.doc_id))
        index: int | None = None  # the chunk joins the hits once it gives a candidate
        for s, e in split_sentences(chunk.text):
            text = chunk.text[s:e]
            key = (chunk.doc_id, chunk.start + s)
            if key in seen or text.startswith("#") or not MIN_CHARS <= len(text) <= MAX_CHARS:
                continue
            seen.add(key)
            index = _chunk_hit(hits, chunk) if index is None else index
            out.append(
                Candidate(
                    hit=index,
                    start=s,
                    end=e,
                    text=text,
                    doc_id=chunk.doc_id,
                    doc_start=chunk.start + s,
                )
            )
    # the asked item of every list in these documents, wherever it stands
    if ordinal is not None and snapshot is not None:
        for doc_id, items in items_by_doc.items():
            for n, ts, te, _ in items:
                holder = snapshot.chunk_at(doc_id, ts, te)
                if n != ordinal or holder is None or (doc_id, ts) in seen:
                    continue
                seen.add((doc_id, ts))
                rel = ts - holder.start
                out.append(
                    Candidate(
                        hit=_chunk_hit(hits, holder),
                        start=rel,
                        end=te - holder.start,
                        text=holder.text[rel : te - holder.start],
                        doc_id=doc_id,
                        doc_start=ts,
                    )
                )
    for c in out:
        for n, ts, _te, stop in items_by_doc.get(c.doc_id, []):
            if ts <= c.doc_start < stop:
                c.item, c.item_title = n, c.doc_start == ts
    return out


def _last_item(hits: list[Hit], snapshot: Snapshot | None) -> int | None:
    """The number of the last item of the numbered list in the best hit's document that has
    one ("det sista området" of a list of four is the fourth); None without a list."""
    if snapshot is None:
        return None
    for h in hits:
        if h.chunk.doc_id in snapshot.documents and (items := _items(snapshot, h.chunk.doc_id)):
            return max(n for n, *_ in items)
    return None


# --- features -----------------------------------------------------------------------------


def _weights(idf: Mapping[str, float] | None) -> Callable[[str], float]:
    """A word's weight: its IDF; a word the documents never use weighs as the rarest one."""
    if idf is None:
        return lambda t: 1.0
    unseen = max(idf.values(), default=1.0)
    return lambda t: idf.get(t, unseen)


@lru_cache(maxsize=4096)  # ~10 MB when full (2.4 kB a sentence with its terms, measured)
def _sentence_words(text: str) -> frozenset[str]:
    """A candidate sentence's index terms, kept: the same sentences come back question after
    question, and tokenising them was a fifth of the answer's time in a large index."""
    return frozenset(get_analyzer().index_tokens(text))


def gather(
    question: str,
    lang: Lang,
    query_vector: Sequence[float],
    hits: Sequence[Hit],
    embeddings: Embeddings,
    idf: Mapping[str, float] | None,
    snapshot: Snapshot | None,
    model: AnswerModel | None = None,
    asked: str | None = None,
) -> Gathered:
    """Analyse the question, collect the candidates and compute their features (and, with a
    ``model``, their scores and the case's refusal features). ``question`` is the standalone
    question; ``asked``, a follow-up as typed ("Och det tredje?"), decides the kind when the
    rewriting blurred it, and its own words are the focus sentences are scored on (the
    refusal's evidence of words the documents never use still reads the whole question)."""
    vocabulary = idf or {}
    q = analyse(question, lang, vocabulary if idf else None)
    asked_focus = q
    if asked and asked != question:
        typed = analyse(asked, lang, vocabulary if idf else None)
        if typed.kind != "other" and (typed.ordinal is not None or q.kind == "other"):
            q = replace(q, kind=typed.kind, ordinal=typed.ordinal, relation=typed.relation)
        if typed.focus_tokens:
            # what the follow-up asks is its own words; the words carried over from the
            # conversation found the passages and stay in "overlap"
            asked_focus = typed
    hits = list(hits)
    if q.ordinal == LAST:
        q = replace(q, ordinal=_last_item(hits, snapshot))
    cands = candidates(hits, snapshot, q.ordinal)
    if not cands:
        return Gathered(q, hits, [], np.zeros((0, len(query_vector)), dtype=np.float32))
    q = names_as_written(q, [c.text for c in cands])
    vecs = np.asarray(embeddings.embed_documents([c.text for c in cands]), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    qv = np.asarray(query_vector, dtype=np.float32)
    qv /= np.linalg.norm(qv) + 1e-9
    dense = vecs @ qv
    analyzer = get_analyzer()
    weight = _weights(idf)
    focus = set(asked_focus.focus_tokens)
    focus_expanded = set(analyzer.query_tokens(asked_focus.focus)) | focus
    focus_weight = sum(weight(t) for t in focus)
    terms = set(analyzer.index_tokens(question))
    terms_expanded = set(analyzer.query_tokens(question)) | terms
    terms_weight = sum(weight(t) for t in terms)
    name_tokens = [set(analyzer.index_tokens(n)) for n in q.names]
    bridged: frozenset[str] = frozenset()
    if lang == "en" and snapshot is not None and (bridge := snapshot.words) is not None:
        # the documents' Swedish words nearest the English question's words (wordbridge)
        focus_expanded |= bridge.terms(asked_focus.focus, embeddings)
        terms_expanded |= bridge.terms(question, embeddings)
        bridged = frozenset(w for w in q.focus.split() if bridge.terms(w, embeddings))
    best_dense = float(dense.max())
    idx = _FEATURE
    # "Vad säger artikeln om …?": the sentences of the other documents do not answer it, when
    # a document of that kind is among the candidates'
    kinds = [str(hits[c.hit].chunk.meta.kind or "") for c in cands]
    named = q.document if q.document and any(q.document in k for k in kinds) else None
    for c, d, kind in zip(cands, dense, kinds, strict=True):
        words = _sentence_words(c.text)
        f = c.features
        f[idx["dense"]] = float(d)
        f[idx["dense_gap"]] = float(d) - best_dense
        if focus_weight > 0:
            f[idx["focus"]] = min(
                1.0, sum(weight(t) for t in focus_expanded & words) / focus_weight
            )
        if terms_weight > 0:
            f[idx["overlap"]] = min(
                1.0, sum(weight(t) for t in terms_expanded & words) / terms_weight
            )
        if q.typed:
            found = kind_span(q.kind, c.text, q.names, q.phrases) is not None
            f[idx["kind"]], f[idx["kind_absent"]] = float(found), float(not found)
        if q.kind in CUED:
            f[idx["cue"]] = float(has_cue(q.kind, c.text))
        if q.ordinal is not None and c.item is not None:
            f[idx["item"]] = float(c.item == q.ordinal)
            f[idx["item_other"]] = float(c.item != q.ordinal)
        f[idx["relation"]] = float(has_relation(q.relation, c.text, q.names))
        if name_tokens:
            f[idx["names"]] = sum(bool(n & words) for n in name_tokens) / len(name_tokens)
        f[idx["anaphora"]] = float(is_anaphoric(c.text))
        f[idx["list_intro"]] = float(q.kind == "list" and bool(_LIST_INTRO.search(c.text)))
        f[idx["rank"]] = 1.0 / (1 + hits[c.hit].rank)
        f[idx["short"]] = float(len(c.text) < SHORT and not q.typed)
        f[idx["meta"]] = float(bool(_META.search(c.text)))
        f[idx["other_document"]] = float(named is not None and named not in kind)
    if q.kind == "frequency":
        _vague_on_topic(cands, vague_frequency)
    elif q.kind == "time":
        _vague_on_topic(cands, vague_time, never=asks_date(question))
    g = Gathered(q, hits, cands, vecs, bridged=bridged)
    if model is not None:
        score(g, model, vocabulary)
    return g


def _vague_on_topic(
    cands: list[Candidate], vague: Callable[[str], bool], never: bool = False
) -> None:
    """A vague answer says how often or when only of what its sentence is about. A vague
    "ofta" or "sällan" answers "how often" in a sentence with at least VAGUE_ON_TOPIC of the
    asked-about words that the candidate with most of them has ("… radikal förnyelse i
    produktion sällan talas så mycket om"), not in another ("Tillverkande företag har ofta god
    uppföljning" for "How often do the coaches visit a company?", which has none of them). On
    the questions that led to this, such sentences had 0.79-1.0 of the best overlap where they
    answer and 0-0.07 where they do not. A bare season ("en väldigt intensiv höst") answers
    "när" the same way, and never a question that asks for a date (``never``)."""
    idx = _FEATURE
    best = max(float(c.features[idx["focus"]]) for c in cands)
    for c in cands:
        f = c.features
        on_topic = f[idx["focus"]] >= VAGUE_ON_TOPIC * best > 0
        if f[idx["kind"]] and (never or not on_topic) and vague(c.text):
            f[idx["kind"]], f[idx["kind_absent"]] = 0.0, 1.0


def score(g: Gathered, model: AnswerModel, vocabulary: Mapping[str, float]) -> None:
    """The candidates' logits, probabilities and order, and the case's refusal features."""
    x = np.stack([c.features for c in g.candidates])
    logits = model.sentence.logits(x)
    orders = model.order.logits(x)
    for c, z, o in zip(g.candidates, logits, orders, strict=True):
        c.logit, c.prob, c.order = float(z), 1 / (1 + math.exp(-float(z))), float(o)
    g.case_features = case_features(g, vocabulary)


def case_features(g: Gathered, vocabulary: Mapping[str, float]) -> np.ndarray:
    q = g.question
    idx = _FEATURE
    # the refusal's evidence comes from the probabilities that compare across questions (the
    # sentence model), not from the ranker's order within one question
    ranked = sorted(g.candidates, key=lambda c: -c.logit)
    best = ranked[0]
    top = ranked[:TOP_FOR_KIND]
    analyzer = get_analyzer()
    # (length, known to the documents) of each focus word
    # a focus word without tokens (a stopword such as "under", "för") says nothing either way
    words = [
        (len(w), w in g.bridged or any(t in vocabulary for t in tokens))
        for w in q.focus.split()
        if len(w) > 2 and (tokens := analyzer.query_tokens(w))
    ]
    known = [k for _, k in words]
    unknown_name = any(
        tokens and not any(t in vocabulary for t in tokens)
        for tokens in (analyzer.query_tokens(n) for n in q.names)
    )
    english = float(q.lang == "en")
    unknown_share = (known.count(False) / len(known)) if known else 0.0
    unknown_any = any(n > 3 and not k for n, k in words)
    return np.array(
        [
            best.logit,
            max(float(c.features[idx["dense"]]) for c in g.candidates),
            max(float(c.features[idx["focus"]]) for c in g.candidates),
            float(q.typed and not any(c.features[idx["kind"]] for c in top)),
            max(
                (float(c.features[idx["focus"]]) for c in g.candidates if c.features[idx["kind"]]),
                default=0.0,
            )
            if q.typed
            else max(float(c.features[idx["focus"]]) for c in g.candidates),
            unknown_share,
            float(unknown_name),
            # the fitted feature is the grant rule's alone; "joining" refuses by rule only
            float(unmet_relation(g) == "funding_to_asker"),
            float(unknown_any),
            english,
            english * best.logit,
            english * unknown_share,
        ]
    )


def refusal_probability(g: Gathered, model: AnswerModel) -> float:
    z = float(model.refusal.logits(g.case_features[None, :])[0])
    return 1 / (1 + math.exp(-z))


# --- the answer ---------------------------------------------------------------------------


def answer(
    question: str,
    query_vector: Sequence[float],
    hits: Sequence[Hit],
    embeddings: Embeddings,
    lang: Lang,
    snapshot: Snapshot | None = None,
    idf: Mapping[str, float] | None = None,
    model: AnswerModel | None = None,
    refusal_threshold: float | None = None,
    asked: str | None = None,
    said: str | None = None,
) -> Extract:
    """``said``: the previous answer of the conversation, whose sentences a follow-up does not
    lead with again (see ``compose``)."""
    model = model or load_model()
    g = gather(question, lang, query_vector, hits, embeddings, idf, snapshot, model, asked)
    analysis = g.question.as_dict()
    if not g.candidates:
        return _refusal(g, lang, analysis, snapshot)
    p_refuse = refusal_probability(g, model)
    analysis["refusal_probability"] = round(p_refuse, 4)
    threshold = model.refusal_threshold if refusal_threshold is None else refusal_threshold
    unmet = unmet_relation(g)
    if unmet is not None:
        analysis["unmet_relation"] = unmet
    # an asked numbered item that a list of these documents has is answered: its title and
    # explanation are the answer, whatever the other evidence ("What does area two say?")
    listed = g.question.ordinal is not None and any(
        c.item == g.question.ordinal and c.item_title for c in g.candidates
    )
    # a threshold of 1 or more turns refusals off, the rule included
    if (p_refuse > threshold and not listed) or (unmet is not None and threshold < 1.0):
        return _refusal(g, lang, analysis, snapshot)
    return compose(g, model, lang, snapshot, analysis, said)


# relations that refuse when no sentence states them (see unmet_relation)
UNMET_REFUSES = ("funding_to_asker", "joining")


def unmet_relation(g: Gathered) -> str | None:
    """The asked relation when only a sentence stating it can answer it and no candidate
    states it (else None), so the answer is a refusal whatever the scores:

    - funding *to the asker* ("Kan vi som företag få bidrag från …?") and no sentence says
      anyone gives funding to companies: a sentence on the funder's grant to the programme
      reads as "yes";
    - how to apply or sign up ("Hur ansöker vi om att få vara med i Produktionslyftet 4.0?")
      and no sentence speaks of applying, signing up or whom to contact: a sentence on the
      programme reads as if it told how to get in."""
    relation = g.question.relation
    idx = _FEATURE["relation"]
    if relation in UNMET_REFUSES and not any(c.features[idx] for c in g.candidates):
        return relation
    return None


def compose(
    g: Gathered,
    model: AnswerModel,
    lang: Lang,
    snapshot: Snapshot | None,
    analysis: dict[str, Any] | None = None,
    said: str | None = None,
) -> Extract:
    """Lead with the best sentence, add up to MAX_EXTRA that are likely, add something and
    stand alone (none when the lead has every asked-about word, unless a list is asked). A
    further sentence that points back ("Deras deltagande …", "Även här …") is left out: on
    dev, 27 of the 32 such extras held neither a fact nor the evidence, and leaving them out
    cost no fact. In a conversation, a sentence the previous answer (``said``) already gave
    does not lead again while another likely one is there."""
    q = g.question
    order = sorted(range(len(g.candidates)), key=lambda i: -g.candidates[i].order)
    if said:
        order = _new_first(g, order, said)
    if q.ordinal is not None:
        order = _asked_item_first(g, order, q.ordinal)
    elif q.relation in RELATION_LEADS:
        order = _asked_relation_first(g, order)
    lead = g.candidates[order[0]]
    chosen = [order[0]]
    # a lead that has all the words the question asks about leaves a further sentence
    # nothing to add but its topic ("What is meant by exploitative innovation?" took on
    # "Syftet är …" and "Vi hoppas med detta arbete …"); a list's items still join. On dev,
    # padding 0.130 -> 0.112 and no fact lost
    complete = q.kind != "list" and _has_every_focus_word(lead.text, q)
    for i in order[1:]:
        c = g.candidates[i]
        if complete or len(chosen) > MAX_EXTRA or c.prob < model.extra_min:
            break
        redundant = float((g.vectors[chosen] @ g.vectors[i]).max()) > REDUNDANT
        same_item = q.ordinal is not None and c.item is not None and c.item == lead.item
        points_back = c.features[_FEATURE["anaphora"]] > 0
        if not redundant and not same_item and not points_back:
            chosen.append(i)
    firsts = [_unit(g.candidates[i], g.hits, snapshot) for i in chosen]
    # answer first; the rest in document order
    rest = sorted(firsts[1:], key=lambda u: (u.doc_id != lead.doc_id, u.doc_id, u.doc_start))
    groups: list[list[_Unit]] = []
    covered: set[tuple[str, int]] = set()
    for k, unit in enumerate(firsts[:1] + rest):
        group = [unit, *_followers(unit, g.hits, snapshot, q.ordinal)]
        if k == 0:
            group += _completion(group[-1], g, model, snapshot)
        group = [u for u in group if not covered & u.starts]
        for u in group:
            covered |= u.starts
        if group:
            groups.append(group)
    ext = _render(groups, g, model, lang, analysis or q.as_dict())
    ext.more = _read_more(g, order, chosen, covered, snapshot, len(ext.citations))
    return ext


def _new_first(g: Gathered, order: list[int], said: str) -> list[int]:
    """The order with the sentences the previous answer gave moved to the end, when it leads
    with one of them and a likely one (``MORE_MIN``) it did not give is there: "Och
    Produktion2030, vad gör de?" after "Vem finansierar Produktionslyftet?" led with the first
    answer's sentence again, because the words carried over from the first question still
    favour it."""
    before = _plain(said)
    seen = {i for i in order if _plain(g.candidates[i].text) in before}
    if order[0] not in seen:
        return order
    fresh = [i for i in order if i not in seen]
    if not any(g.candidates[i].prob >= MORE_MIN for i in fresh):
        return order
    return fresh + [i for i in order if i in seen]


def _plain(text: str) -> str:
    """Text without Markdown emphasis, source markers and spacing differences."""
    return " ".join(strip_markers(text.replace("**", "")).split())


def _has_every_focus_word(text: str, q: Question) -> bool:
    """Whether the sentence has each word of the question's focus, itself or through the
    glossary ("exploitative" is there as "förbättra … (exploit)"); words without index terms
    (stopwords) do not count."""
    analyzer = get_analyzer()
    words = _sentence_words(text)
    asked = [terms for w in q.focus.split() if (terms := analyzer.query_tokens(w))]
    return bool(asked) and all(any(_related(t, words) for t in terms) for terms in asked)


def _related(term: str, words: frozenset[str]) -> bool:
    """The term, or a word of the same family: stems that share their first SAME_FAMILY
    letters ("innovation", "innovativ"; the stemmer keeps derivations apart)."""
    if term in words:
        return True
    head = term[:SAME_FAMILY]
    return len(head) == SAME_FAMILY and any(w.startswith(head) for w in words)


def _read_more(
    g: Gathered,
    order: list[int],
    chosen: list[int],
    covered: set[tuple[str, int]],
    snapshot: Snapshot | None,
    numbered: int,
) -> list[Citation]:
    """The next best candidates that are likely (``MORE_MIN``), not already shown and not a
    repeat of what is, each quoted as shown (a sentence that points back with the one before
    it), at most ``MORE_ITEMS``. On dev, when the answer's text held no expected fact, these
    two held one in 14 of 29 cases."""
    covered = set(covered)
    picked: list[int] = []
    out: list[Citation] = []
    for i in order:
        if len(out) == MORE_ITEMS:
            break
        c = g.candidates[i]
        if i in chosen or c.prob < MORE_MIN:
            continue
        shown = [*chosen, *picked]
        if float((g.vectors[shown] @ g.vectors[i]).max()) > REDUNDANT:
            continue
        unit = _unit(c, g.hits, snapshot)
        if covered & unit.starts:
            continue
        covered |= unit.starts
        picked.append(i)
        out += _unit_citations(unit, g.hits, numbered + len(out) + 1)
    return out


def _unit_citations(unit: _Unit, hits: list[Hit], first: int) -> list[Citation]:
    """A unit quoted on its own, numbered from ``first``: one citation per chunk it lies in
    (a sentence that points back may start in the chunk before)."""
    return list(_citations(unit.parts, hits, first).values())


def _citations(
    parts: Sequence[tuple[int, int, int]], hits: list[Hit], first: int
) -> dict[int, Citation]:
    """One citation per hit the ``parts`` (hit, start, end) lie in, numbered from ``first``
    in the order the hits first appear, each with its spans in text order."""
    by_hit: dict[int, list[tuple[int, int]]] = {}
    for hit, s, e in parts:
        by_hit.setdefault(hit, []).append((s, e))
    return {
        hit: citation_from_hit(n, hits[hit], sorted(spans))
        for n, (hit, spans) in enumerate(by_hit.items(), first)
    }


def shown_leading(g: Gathered, i: int, snapshot: Snapshot | None) -> str:
    """What the answer shows when candidate ``i`` leads, before any completion: the sentence
    with the one it points back to, and the list items it announces or an item's
    explanation. The ranker learns from this text, because this is what a reader gets."""
    hits = list(g.hits)  # what citations would need is not kept
    unit = _unit(g.candidates[i], hits, snapshot)
    group = [unit, *_followers(unit, hits, snapshot, g.question.ordinal)]
    return "\n".join(u.text for u in group)


def _asked_item_first(g: Gathered, order: list[int], ordinal: int) -> list[int]:
    """An asked numbered item leads, from its title: "det tredje området" is the third
    item of the list that scores best, whatever an introduction scores."""
    cands = g.candidates
    best = next((i for i in order if cands[i].item == ordinal), None)
    if best is None:
        return order
    b = cands[best]
    titles = [
        i
        for i in order
        if cands[i].item_title
        and cands[i].item == ordinal
        and cands[i].doc_id == b.doc_id
        and cands[i].doc_start <= b.doc_start
    ]
    first = max(titles, key=lambda i: cands[i].doc_start) if titles else best
    return [first, *(i for i in order if i != first)]


def _asked_relation_first(g: Gathered, order: list[int]) -> list[int]:
    """When a relation is asked ("Vem finansierar …?", "… en del av?"), the best of the top
    candidates that states it leads: near the top, the relation decides the answer more than
    the rank of its passage does."""
    idx = _FEATURE["relation"]
    top = order[:RELATION_WITHIN]
    first = next((i for i in top if g.candidates[i].features[idx]), None)
    if first is None:
        return order
    return [first, *(i for i in order if i != first)]


@dataclass
class _Unit:
    """One shown piece: a sentence, or a pointing-back sentence with the one before it (its
    parts may lie in two chunks)."""

    parts: list[tuple[int, int, int]]  # (hit, start, end), spans relative to the chunk
    text: str
    doc_id: str
    doc_start: int
    source: Candidate
    item: int | None = None
    starts: set[tuple[str, int]] = field(default_factory=set)  # (doc, start) of its sentences

    @classmethod
    def of(cls, c: Candidate, item: int | None) -> _Unit:
        """The candidate sentence alone."""
        return cls(
            [(c.hit, c.start, c.end)],
            c.text,
            c.doc_id,
            c.doc_start,
            c,
            item,
            {(c.doc_id, c.doc_start)},
        )


def _piece(
    hits: list[Hit], snapshot: Snapshot, doc_id: str, s: int, e: int
) -> tuple[int, int, int] | None:
    holder = snapshot.chunk_at(doc_id, s, e)
    if holder is None:
        return None
    return (_chunk_hit(hits, holder), s - holder.start, e - holder.start)


def _unit(c: Candidate, hits: list[Hit], snapshot: Snapshot | None) -> _Unit:
    """The candidate as shown: a sentence that points back ("Även här …", "Detta …") is
    shown after the sentence before it, as one piece."""
    unit = _Unit.of(c, c.item)
    if snapshot is None or not is_anaphoric(c.text):
        return unit
    text = snapshot.doc_text(c.doc_id)
    para = text.rfind("\n\n", 0, c.doc_start) + 1  # 0 when the paragraph opens the document
    before = split_sentences(text[para : c.doc_start], offset=para)
    if not before:
        return unit
    a_start, a_end = before[-1]
    end = c.doc_start + len(c.text)
    whole = _piece(hits, snapshot, c.doc_id, a_start, end)
    first = whole or _piece(hits, snapshot, c.doc_id, a_start, a_end)
    if first is None:
        return unit
    parts = [first] if whole else [first, *unit.parts]
    return _Unit(
        parts,
        text[a_start:end],
        c.doc_id,
        a_start,
        c,
        c.item,
        {(c.doc_id, a_start), (c.doc_id, c.doc_start)},
    )


def _sentence_unit(
    hits: list[Hit],
    snapshot: Snapshot,
    doc_id: str,
    s: int,
    e: int,
    source: Candidate,
    item: int | None,
) -> _Unit | None:
    piece = _piece(hits, snapshot, doc_id, s, e)
    if piece is None:
        return None
    return _Unit([piece], snapshot.doc_text(doc_id)[s:e], doc_id, s, source, item, {(doc_id, s)})


def _followers(
    unit: _Unit, hits: list[Hit], snapshot: Snapshot | None, ordinal: int | None
) -> list[_Unit]:
    """What a shown sentence brings along: the items of a list it announces (unless one item
    was asked for), or an item's explanation after the item's title."""
    if snapshot is None:
        return []
    items = _items(snapshot, unit.doc_id)
    end = unit.doc_start + len(unit.text)
    text = snapshot.doc_text(unit.doc_id)
    out: list[_Unit | None] = []
    if _LIST_INTRO.search(unit.source.text) and ordinal is None and not unit.source.item_title:
        for n, ts, te, stop in items:
            if ts >= end and not text[end:ts].strip() and len(out) < MAX_LIST_ITEMS:
                out.append(_sentence_unit(hits, snapshot, unit.doc_id, ts, te, unit.source, n))
                end = stop
    elif unit.source.item_title:
        stop = next((s for _n, t, _e, s in items if t == unit.doc_start), end)
        for s, e in split_sentences(text[end:stop], offset=end)[:MAX_ITEM_SENTENCES]:
            out.append(_sentence_unit(hits, snapshot, unit.doc_id, s, e, unit.source, unit.item))
    elif text.startswith(">", text.rfind("\n", 0, unit.doc_start) + 1):
        # a quotation is said whole: "> “Industriföretag måste våga vara disruptiva … Det
        # räcker inte att bara finslipa … Vi måste våga tänka om radikalt …”"
        stop = text.find("\n", end)
        stop = len(text) if stop < 0 else stop
        for s, e in split_sentences(text[end:stop], offset=end)[:MAX_QUOTE_SENTENCES]:
            out.append(_sentence_unit(hits, snapshot, unit.doc_id, s, e, unit.source, None))
    return [u for u in out if u is not None]


def _completion(
    last: _Unit, g: Gathered, model: AnswerModel, snapshot: Snapshot | None
) -> list[_Unit]:
    """The sentences right after the lead that point back to it, each likely enough itself
    ("Slutligen vill jag nämna … coachkurs …" / "Även detta är en del i …" / "Deras
    deltagande ger dem …"), up to ``COMPLETION``; or the one that names what the lead
    announced ("Här kan vi nämna …")."""
    if snapshot is None or last.item is not None:
        return []
    bar = model.extra_min if model.completion_min is None else model.completion_min
    out: list[_Unit] = []
    while len(out) < COMPLETION:
        end = last.doc_start + len(last.text)
        announces = not out and bool(_ANNOUNCES.search(last.text))
        nxt = None
        for c in g.candidates:
            if c.doc_id != last.doc_id or c.doc_start < end:
                continue
            names = announces and bool(_NAMES_EXAMPLE.match(c.text))
            if not (names or is_anaphoric(c.text)):
                continue
            gap = snapshot.doc_text(c.doc_id)[end : c.doc_start]
            if not gap.strip() and "\n\n" not in gap and (names or c.prob >= bar):
                nxt = _Unit.of(c, None)
                break
        if nxt is None:
            break
        out.append(nxt)
        last = nxt
    return out


def _render(
    groups: list[list[_Unit]],
    g: Gathered,
    model: AnswerModel,
    lang: Lang,
    analysis: dict[str, Any],
) -> Extract:
    """The answer's text (each piece with its marker; list items on their own lines) and one
    ``AnswerSentence`` per group: what the lead brought along belongs to the lead."""
    hits = g.hits
    units = [u for group in groups for u in group]
    cites = _citations([p for u in units for p in u.parts], hits, 1)

    def numbers(us: list[_Unit]) -> list[int]:
        return list(dict.fromkeys(cites[hit].number for u in us for hit, _, _ in u.parts))

    sentences = [
        AnswerSentence(
            text="\n".join(display_sentence(u.text) for u in group),
            citations=numbers(group),
            supported=True,
            support=round(group[0].source.prob, 4),
            score_parts=model.order.parts(group[0].source.features),
        )
        for group in groups
    ]
    pieces: list[str] = []
    for k, u in enumerate(units):
        shown = display_sentence(u.text)
        if k == 0 and g.question.typed:
            shown = _emphasise(shown, g.question)
        prev = units[k - 1] if k else None
        if prev is None:
            sep = ""
        elif _ITEM.match(u.text):
            sep = "\n"  # a list item on its own line
        elif u.item is not None and u.item == prev.item:
            sep = " "  # an item's explanation on the item's line
        elif prev.item is not None:
            sep = "\n\n"  # after a list
        else:
            sep = " "
        pieces.append(f"{sep}{shown} [{', '.join(map(str, numbers([u])))}]")
    body = "".join(pieces).strip()
    head = LEAD_IN[lang]
    text = f"{head}\n\n{body}" if head else body
    return Extract(text, sentences, list(cites.values()), False, hits, analysis)


def _emphasise(text: str, q: Question) -> str:
    span = kind_span(q.kind, text, q.names, q.phrases)
    if span is None:
        return text
    a, b = span
    piece = text[a:b].strip()
    if not piece:
        return text
    a = text.index(piece, a)
    return f"{text[:a]}**{piece}**{text[a + len(piece) :]}"


def closest_sources(hits: Sequence[Hit], lang: Lang) -> Extract:
    """A refusal that lists the retrieved sources in retrieval order (when an LLM said the
    documents do not answer and there are no scores)."""
    hits = list(hits)
    cites = [citation_from_hit(n, h, []) for n, h in enumerate(_one_per_doc(hits)[:3], 1)]
    lines = [REFUSAL[lang], ALSO[lang]]
    lines += [_source_line(c) for c in cites]
    return Extract("\n".join(lines), [], cites, True, hits)


def _one_per_doc(hits: list[Hit]) -> list[Hit]:
    seen: set[str] = set()
    out = []
    for h in hits:
        if h.chunk.doc_id not in seen:
            seen.add(h.chunk.doc_id)
            out.append(h)
    return out


def _source_line(cite: Citation) -> str:
    origin = ", ".join(x for x in (cite.organisation, cite.date) if x)
    return f"- [{cite.number}] {cite.title}" + (f" ({origin})" if origin else "")


def _refusal(
    g: Gathered, lang: Lang, analysis: dict[str, Any], snapshot: Snapshot | None = None
) -> Extract:
    """An honest "the documents don't say", with the one sentence that comes closest (quoted,
    with its source; one that points back, "Även detta är …", with the sentence before it)
    and the other documents near the question."""
    hits = g.hits
    lines = [REFUSAL[lang]]
    cites: list[Citation] = []
    if g.candidates:
        best = max(g.candidates, key=lambda c: (c.order, -hits[c.hit].rank))
        unit = _unit(best, hits, snapshot)
        cites = _unit_citations(unit, hits, 1)
        lines[0] += " " + NEAREST[lang]
        numbers = ", ".join(str(c.number) for c in cites)
        lines.append(f"> {display_sentence(unit.text)} [{numbers}]")
        others = [h for h in _one_per_doc(hits) if h.chunk.doc_id != best.doc_id][:2]
    else:
        others = _one_per_doc(hits)[:3]
    more = [citation_from_hit(len(cites) + n, h, []) for n, h in enumerate(others, 1)]
    if more:
        # a blank line ends the quote: Markdown would carry a following line into it
        lines += ["", ALSO[lang]] if cites else [ALSO[lang]]
        lines += [_source_line(c) for c in more]
    return Extract("\n".join(lines), [], cites + more, True, hits, analysis)
