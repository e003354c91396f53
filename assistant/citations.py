"""Citation markers in answers: parse ``[n]``, drop the ones that name no provided source, check
each cited sentence against its passage, build ``Citation``s from the retrieved chunks.

Citations are data built from hits, never from model text: a model decides only which of the
numbered documents a sentence cites.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .embeddings import Embeddings
from .models import AnswerSentence, Citation, Hit
from .sentences import split_sentences

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# one or more markers, with the horizontal space before each (removed with a dropped marker)
_SPACED_MARKER = re.compile(r"([ \t]*)" + MARKER.pattern)
# markers written after the sentence's end: "… år. [1]" or "… år.[1][2] Nästa"
_AFTER_END = re.compile(r"(?<=\S)([.!?…]+)((?:[ \t]*" + MARKER.pattern + r")+)")
# ... or on a line of their own after it: "… år.\n\n[1][2]"
_LINE_AFTER_END = re.compile(r"(?<=\S)([.!?…]+)((?:\s*" + MARKER.pattern + r")+)(?=[ \t]*(?:\n|$))")
_LEADING_MARKERS = re.compile(r"(?:" + MARKER.pattern + r"\s*)+")
_WORD = re.compile(r"\w", re.UNICODE)
ELLIPSIS = " … "
REFUSALS = {"sv": "Det framgår inte av dokumenten.", "en": "The documents do not say."}
_META = re.compile(
    r"framgår inte av dokumenten|dokumenten (?:säger|nämner|innehåller) inte"
    r"|documents do not (?:say|mention|contain)|documents don't (?:say|mention|contain)",
    re.IGNORECASE,
)


def parse_markers(text: str) -> list[int]:
    """Every cited number in ``text``, in order ("[1, 2] … [3][1]" -> [1, 2, 3, 1])."""
    return [int(n) for m in MARKER.finditer(text) for n in m.group(1).split(",")]


def strip_markers(text: str) -> str:
    """``text`` without citation markers (and the space before each)."""
    return _SPACED_MARKER.sub("", text).strip()


def markers_valid(text: str, citations: Sequence[Citation]) -> bool:
    """True when every marker in ``text`` names one of ``citations``."""
    numbers = {c.number for c in citations}
    return all(n in numbers for n in parse_markers(text))


def is_refusal(text: str) -> bool:
    """The answer says that the documents do not answer the question."""
    return bool(_META.search(strip_markers(text)))


def is_meta_sentence(text: str) -> bool:
    """A sentence that makes no claim about the documents' content: a refusal, a lead-in
    ending with a colon, or no words at all."""
    plain = strip_markers(text)
    return not _WORD.search(plain) or plain.endswith(":") or bool(_META.search(plain))


def citation_from_hit(number: int, hit: Hit, spans: Iterable[tuple[int, int]]) -> Citation:
    """A citation of ``hit`` quoting the sentences at ``spans`` (relative to the chunk text).

    Adjacent spans are quoted as one slice of the chunk; gaps become " … ". ``start``/``end``
    cover the first to the last quoted character in the document text. No spans: the chunk."""
    chunk = hit.chunk
    text = chunk.text
    clean = sorted({(max(0, a), min(len(text), b)) for a, b in spans if b > a})
    if not clean:
        stripped = text.strip()
        lead = len(text) - len(text.lstrip())
        clean = [(lead, lead + len(stripped))]
    groups: list[tuple[int, int]] = []
    for a, b in clean:
        if groups and (a <= groups[-1][1] or not text[groups[-1][1] : a].strip()):
            groups[-1] = (groups[-1][0], max(b, groups[-1][1]))
        else:
            groups.append((a, b))
    return Citation(
        number=number,
        chunk_id=chunk.id,
        doc_id=chunk.doc_id,
        title=chunk.meta.title,
        organisation=chunk.meta.organisation,
        date=chunk.meta.date,
        page=chunk.page,
        quote=ELLIPSIS.join(text[a:b] for a, b in groups),
        start=chunk.start + groups[0][0],
        end=chunk.start + groups[-1][1],
        passage=text,
        passage_start=chunk.start,
    )


@dataclass
class _Sentence:
    text: str  # as in the cleaned answer, markers renumbered
    plain: str  # markers removed: what is compared with the passage
    cited: list[int] = field(default_factory=list)  # 0-based hit indices, in order


def _markers_before_end(text: str) -> str:
    """Move markers written after a sentence's end punctuation in front of it, so that
    "… år. [1] Nästa" reads "… år [1]. Nästa" and the marker stays with its sentence."""

    def move(m: re.Match[str]) -> str:
        markers = "".join(mm.group(0) for mm in MARKER.finditer(m.group(2)))
        after = m.end() < len(m.string) and not m.string[m.end()].isspace()
        return f" {markers}{m.group(1)}{' ' if after else ''}"

    return _AFTER_END.sub(move, _LINE_AFTER_END.sub(move, text))


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans; markers that open a sentence ('… "citat." [1] Nästa') close the one
    before it, and a "sentence" of markers only joins the one before it."""
    spans: list[tuple[int, int]] = []
    for s, e in split_sentences(text):
        lead = _LEADING_MARKERS.match(text, s, e)
        if spans and lead:
            spans[-1] = (spans[-1][0], s + len(lead.group().rstrip()))
            s = lead.end()
            if not _WORD.search(text, s, e):
                spans[-1] = (spans[-1][0], e)
                continue
        spans.append((s, e))
    return spans


def _renumber(text: str, mapping: dict[int, int]) -> str:
    """Markers rewritten through ``mapping`` (old number -> new); unmapped numbers dropped,
    a marker left empty removed with the space before it."""

    def sub(m: re.Match[str]) -> str:
        new: list[int] = []
        for n in (int(x) for x in m.group(2).split(",")):
            if n in mapping and mapping[n] not in new:
                new.append(mapping[n])
        return f"{m.group(1)}[{', '.join(map(str, new))}]" if new else ""

    return _SPACED_MARKER.sub(sub, text).strip()


def _split_answer(text: str, n_hits: int) -> tuple[str, list[_Sentence], dict[int, int]]:
    """The cleaned, renumbered text, its sentences (``cited`` holds hit indices) and the
    renumbering (old number -> new number)."""
    text = _markers_before_end(text.strip())
    spans = _sentence_spans(text)
    cited_per_sentence: list[list[int]] = []
    order: dict[int, int] = {}  # old number -> new number, by first appearance
    for s, e in spans:
        cited: list[int] = []
        for n in parse_markers(text[s:e]):
            if 1 <= n <= n_hits and n not in cited:
                cited.append(n)
                order.setdefault(n, len(order) + 1)
        cited_per_sentence.append(cited)
    pieces: list[str] = []
    sentences: list[_Sentence] = []
    prev_end = 0
    for (s, e), cited in zip(spans, cited_per_sentence, strict=True):
        new_text = _renumber(text[s:e], order)
        if new_text:
            if sentences:
                pieces.append(text[prev_end:s])
            pieces.append(new_text)
            sentences.append(_Sentence(new_text, strip_markers(new_text), [n - 1 for n in cited]))
        prev_end = e
    return "".join(pieces), sentences, order


def _candidates(text: str) -> list[list[tuple[int, int]]]:
    """What a sentence can rest on: each sentence of a chunk and each pair of neighbours."""
    spans = split_sentences(text)
    pairs = [[spans[i], spans[i + 1]] for i in range(len(spans) - 1)]
    return [[s] for s in spans] + pairs


def _unit(vectors: list[list[float]]) -> np.ndarray:
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2:
        arr = arr.reshape(len(vectors), -1)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return arr / np.where(norms == 0, 1.0, norms)


def validate_answer(
    text: str,
    hits: Sequence[Hit],
    embeddings: Embeddings,
    threshold: float,
    *,
    flag_uncited: bool = False,
) -> tuple[str, list[AnswerSentence], list[Citation]]:
    """Check a model's answer against the ``hits`` it was given (numbered from 1).

    Markers naming no hit are removed; the others are renumbered 1..n by first appearance, so
    the returned text's markers and ``Citation.number`` agree. A cited sentence's ``support``
    is its best cosine similarity with a sentence (or pair of neighbouring sentences) of a
    cited passage; ``supported`` is ``support >= threshold``. Each citation quotes the passage
    sentences that matched best. Uncited sentences have ``supported=None``, or with
    ``flag_uncited`` ``False`` unless they are meta sentences (refusal, lead-in).
    ``AnswerSentence.text`` is the sentence as it stands in the returned text.

    All embedding happens in one ``embed_documents`` call."""
    clean, sentences, order = _split_answer(text, len(hits))
    cited_hits = sorted({i for s in sentences for i in s.cited})
    cands = {i: _candidates(hits[i].chunk.text) for i in cited_hits}
    cited_sentences = [k for k, s in enumerate(sentences) if s.cited]
    texts = [sentences[k].plain for k in cited_sentences]
    offsets: dict[int, int] = {}
    for i in cited_hits:
        offsets[i] = len(texts)
        chunk = hits[i].chunk.text
        texts.extend(chunk[c[0][0] : c[-1][1]] for c in cands[i])
    vecs = _unit(embeddings.embed_documents(texts)) if cited_sentences else np.zeros((0, 1))

    # (sentence, hit) -> (support, best candidate index)
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for row, k in enumerate(cited_sentences):
        for i in sentences[k].cited:
            if not cands[i]:
                best[(k, i)] = (0.0, -1)
                continue
            block = vecs[offsets[i] : offsets[i] + len(cands[i])]
            sims = block @ vecs[row]
            j = int(np.argmax(sims))
            best[(k, i)] = (float(sims[j]), j)

    out: list[AnswerSentence] = []
    for k, s in enumerate(sentences):
        numbers = parse_markers(s.text)
        if not s.cited:
            flag = False if flag_uncited and not is_meta_sentence(s.text) else None
            out.append(AnswerSentence(text=s.text, citations=[], supported=flag))
            continue
        support = max(best[(k, i)][0] for i in s.cited)
        out.append(
            AnswerSentence(
                text=s.text,
                citations=list(dict.fromkeys(numbers)),
                supported=support >= threshold,
                support=round(support, 4),
            )
        )

    citations: list[Citation] = []
    for old, number in sorted(order.items(), key=lambda item: item[1]):
        i = old - 1
        pairs = [(best[(k, i)], k) for k in cited_sentences if i in sentences[k].cited]
        good = [j for (sup, j), _ in pairs if sup >= threshold and j >= 0]
        if not good:
            top = max(pairs, key=lambda p: p[0][0])[0][1] if pairs else -1
            good = [top] if top >= 0 else []
        spans = [span for j in good for span in cands[i][j]]
        citations.append(citation_from_hit(number, hits[i], spans))
    return clean, out, citations
