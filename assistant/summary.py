"""Summary questions, answered without a language model: "Sammanfatta artikeln om
produktionsinnovation", "Summarise the leader", "Vad handlar ledaren om?", "Vilka dokument
finns?", "Give me an overview of the documents", "Vad kan jag fråga om?".

A document's summary is its opening paragraph's most central sentence (texts open with what
they are about) and the sentences nearest (e5) to the mean of all its sentences, the usual
extractive summary, and to its title (without it, a leader's closing Christmas wishes
outranked its collaborations), quoted in document order, each with its source. Asked about
the documents as a whole, the answer lists every document with its opening's most central
sentence. Every other question goes to ``extractive.answer``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .citations import citation_from_hit
from .embeddings import Embeddings
from .extractive import Extract, display_sentence
from .index import Snapshot
from .models import AnswerSentence, Citation, Hit, Lang
from .question import DOCUMENT_KINDS, EN_KIND_NAMES, SV_KIND_NAMES, is_anaphoric
from .sentences import split_sentences

_I = re.IGNORECASE
_KIND_NAMED = re.compile(rf"\b({'|'.join(SV_KIND_NAMES + EN_KIND_NAMES)})\b", _I)
# a document as the questions name it ("Vad handlar ledaren om?", "What is the article about?")
_DOCUMENT = (
    rf"({'|'.join(SV_KIND_NAMES)}|texten|texterna|dokumentet|dokumenten|källorna|"
    rf"the ({'|'.join(EN_KIND_NAMES)}|texts?|documents?|sources))"
)
# what the documents hold, asked with no subject: "Berätta allt", "Vad kan jag fråga om?"
_WHATS_HERE = (
    r"^\W*(berätta allt|tell me everything|vad (kan|vet) du( berätta)?( om)?|vad kan jag "
    r"(fråga|få veta)( om)?|what (do|can) you (know|tell me)|what can i ask( about)?)\W*$"
)
_ASKS = re.compile(
    # a request ("sammanfatta", "kan du summera"), not what someone in the text does ("Ledaren
    # där programdirektören summerar hösten – vilket datum är den skriven?")
    r"\b(sammanfatta(?!r\b)\w*|summera(?!r\b)\w*|sammanfattning\w*|översikt\w*|summar(y|ies|ise|ize|ising|"
    r"izing)|overview|the gist|tl;?dr)\b|"
    r"\b(vilka|vad för|which|what) (dokument|texter|källor|documents|texts|sources)\b|"
    rf"\b(handlar|går) {_DOCUMENT} (om|ut på)\b|"
    rf"\bwhat(\'s| is| are| was) {_DOCUMENT} (\w+ ){{0,4}}about\b|{_WHATS_HERE}",
    _I,
)
# the documents as a whole rather than one of them
_ALL = re.compile(
    r"\b(dokumenten|texterna|källorna|alla|allt|documents|texts|sources|all|everything)\b|"
    rf"\b(vilka|vad för|which|what) (dokument|texter|källor)\b|{_WHATS_HERE}",
    _I,
)
# openings that lean on the sentence before, besides those ``is_anaphoric`` knows. A summary
# quotes sentences apart, so "Men …" or "Därför …" reads as a fragment there; the answerer
# brings a pointing-back lead's antecedent along and ranks on ``is_anaphoric``, where these
# openings cost the lead (grouped dev cross-validation 0.775 → 0.771 with them added)
_POINTS_BACK = r"för det|för detta|därför|dessutom|också|men|samtidigt|ändå"
# a sentence of running text: not a heading ("# …"), not a line without a full stop, not one
# that leans on the sentence before ("För det krävs …")
_SENTENCE = re.compile(rf"(?!\W*({_POINTS_BACK})\b)(?!#).*[.!?]\W*$", _I | re.DOTALL)
# "… om förnyelse", "… about renewal": a subject, so the document that treats it best
_ABOUT = re.compile(r"\b(om|kring|gällande|about|on|regarding)\s+\w", _I)
DOC_SENTENCES = 3  # a document's summary
MAX_DOCUMENTS = 10  # an overview lists at most this many
MIN_CHARS = 60  # shorter lines are headings, bylines and captions, not what a text says

HEAD = {
    "sv": {
        "one": "Sammanfattning av ”{title}”, med dess mest centrala meningar:",
        "all": "Dokumenten, med den mest centrala meningen ur varje:",
    },
    "en": {
        "one": "A summary of “{title}”, in its most central sentences (quoted in the "
        "original Swedish):",
        "all": "The documents, with the most central sentence of each (quoted in the original "
        "Swedish):",
    },
}
MORE = {
    # the Documents tab is an administrator's: a user asks for a document by its title
    "sv": "… och {n} dokument till; be om en sammanfattning av ett av dem med dess titel.",
    "en": "… and {n} more documents; ask for a summary of one of them by its title.",
}


def asks_for_summary(question: str) -> bool:
    return bool(_ASKS.search(question))


def summarise(
    question: str,
    lang: Lang,
    hits: Sequence[Hit],
    snapshot: Snapshot,
    embeddings: Embeddings,
) -> Extract | None:
    """The summary of the document the question is about (the best hit's), or of all
    documents; None when there is nothing to summarise."""
    if not snapshot.documents:
        return None
    if not hits or (_ALL.search(question) and not _ABOUT.search(question)):
        doc_ids = list(snapshot.documents)[:MAX_DOCUMENTS]
        picked = [(d, _central(d, snapshot, embeddings, 1)) for d in doc_ids]
        head = HEAD[lang]["all"]
    else:
        doc_id = named_document(question, hits, snapshot) or hits[0].chunk.doc_id
        picked = [(doc_id, _central(doc_id, snapshot, embeddings, DOC_SENTENCES))]
        head = HEAD[lang]["one"].format(title=_title(doc_id, snapshot))
    lines = [head, ""]
    sentences: list[AnswerSentence] = []
    cites: list[Citation] = []
    used: list[Hit] = []
    for doc_id, spans in picked:
        for s, e in spans:
            chunk = snapshot.chunk_at(doc_id, s, e)
            if chunk is None:
                continue
            hit = Hit(chunk=chunk, score=0.0, rank=len(used) + 1)
            used.append(hit)
            cite = citation_from_hit(len(cites) + 1, hit, [(s - chunk.start, e - chunk.start)])
            cites.append(cite)
            text = display_sentence(snapshot.doc_text(doc_id)[s:e])
            sentences.append(AnswerSentence(text=text, citations=[cite.number]))
            label = f"**{_title(doc_id, snapshot)}**: " if len(picked) > 1 else ""
            lines.append(f"- {label}{text} [{cite.number}]")
    if not sentences:
        return None
    if len(picked) > 1 and (left := len(snapshot.documents) - len(picked)) > 0:
        lines += ["", MORE[lang].format(n=left)]
    kind = "summary_all" if len(picked) > 1 else "summary"
    return Extract("\n".join(lines), sentences, cites, False, used, {"kind": kind})


def named_document(question: str, hits: Sequence[Hit], snapshot: Snapshot) -> str | None:
    """The document of the kind the question names ("ledaren", "the log"): of several, the
    one retrieved first; None when the question names no kind the documents have."""
    named = _KIND_NAMED.search(question)
    if not named:
        return None
    word = named.group(0).lower()
    kind = next(k for k, (sv, en) in DOCUMENT_KINDS.items() if word == sv or word in en)
    of_kind = [
        d for d, entry in snapshot.documents.items() if kind in str(entry.meta.get("kind", ""))
    ]
    if not of_kind:
        return None
    return next((h.chunk.doc_id for h in hits if h.chunk.doc_id in of_kind), of_kind[0])


def _title(doc_id: str, snapshot: Snapshot) -> str:
    entry = snapshot.documents[doc_id]
    return str(entry.meta.get("title") or entry.path)


def _central(
    doc_id: str, snapshot: Snapshot, embeddings: Embeddings, k: int
) -> list[tuple[int, int]]:
    """The spans of ``k`` sentences that summarise the document, in document order: the
    opening paragraph's sentence nearest to the mean of all the document's sentences and to
    its title (texts open with what they are about), then the rest's nearest to the same.
    Headings, bylines, captions and sentences that lean on the one before are left out."""
    text = snapshot.doc_text(doc_id)
    spans = [
        (s, e)
        for s, e in split_sentences(text)
        if e - s >= MIN_CHARS and _SENTENCE.match(text[s:e]) and not is_anaphoric(text[s:e])
    ]
    if not spans:
        return []
    vecs = np.asarray(embeddings.embed_documents([text[s:e] for s, e in spans]), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    centre = vecs.mean(axis=0)
    title = np.asarray(embeddings.embed_documents([_title(doc_id, snapshot)])[0], dtype=np.float32)
    centre = centre / (np.linalg.norm(centre) + 1e-9) + title / (np.linalg.norm(title) + 1e-9)
    central = vecs @ centre
    para = [text.count("\n\n", 0, s) for s, _ in spans]
    opening = [i for i, p in enumerate(para) if p == para[0]]
    lede = max(opening, key=lambda i: central[i])
    rest = [i for i in np.argsort(-central, kind="stable").tolist() if i != lede][: k - 1]
    return [spans[i] for i in sorted([lede, *rest])]
