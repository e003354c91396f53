"""The data that flows through the pipeline: documents, chunks, hits, citations, answers."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, Field

Lang = Literal["sv", "en"]


class DocMeta(BaseModel):
    """What a citation says about a document."""

    title: str
    organisation: str | None = None
    author: str | None = None
    date: str | None = None
    kind: str | None = None
    language: str = "sv"
    source: str | None = None
    url: str | None = None


class PageSpan(BaseModel):
    """A page of a paged source (PDF): characters [start, end) of the document text."""

    page: int
    start: int
    end: int


class Document(BaseModel):
    id: str = Field(description="Stable id: the path relative to its corpus root, POSIX style.")
    path: str
    text: str = Field(description="Normalised text; every span points into this.")
    meta: DocMeta
    pages: list[PageSpan] = Field(default_factory=list)

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        h.update(self.text.encode())
        h.update(self.meta.model_dump_json().encode())
        return h.hexdigest()[:16]

    def page_at(self, offset: int) -> int | None:
        for p in self.pages:
            if p.start <= offset < p.end:
                return p.page
        return None


class LoadFailure(BaseModel):
    """A file that could not be read, and why. Reported, never silently skipped."""

    path: str
    reason: str


class Chunk(BaseModel):
    id: str
    doc_id: str
    index: int
    text: str
    start: int = Field(description="Offset of the chunk's first character in the document text.")
    end: int
    section: str | None = None
    page: int | None = None
    meta: DocMeta


class Hit(BaseModel):
    chunk: Chunk
    score: float = Field(description="Fused score (higher is better).")
    rank: int
    dense_score: float | None = None
    dense_rank: int | None = None
    keyword_score: float | None = None
    keyword_rank: int | None = None


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Citation(BaseModel):
    """A numbered source of an answer, always built from a retrieved chunk, never from model
    text."""

    number: int
    chunk_id: str
    doc_id: str
    title: str
    organisation: str | None = None
    date: str | None = None
    page: int | None = None
    quote: str = Field(description="The cited sentences, verbatim from the document.")
    start: int = Field(description="Span of the quote in the document text.")
    end: int
    passage: str = Field(description="The whole retrieved chunk, for the sources panel.")
    passage_start: int


class AnswerSentence(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list)
    supported: bool | None = None
    support: float | None = None
    score_parts: dict[str, float] | None = Field(
        None, description="Extractive answers: each feature's share of the sentence's score."
    )


class Answer(BaseModel):
    question: str
    standalone_question: str
    text: str
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    language: Lang
    backend: str
    refusal: bool = False
    more: list[Citation] = Field(
        default_factory=list,
        description="Read more: further likely passages, quoted outside the answer's text.",
    )
    notices: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage.")
    analysis: dict[str, Any] = Field(
        default_factory=dict, description="How the question was read: kind, focus, context …"
    )
    hits: list[Hit] = Field(default_factory=list, exclude=True)

    @property
    def unsupported(self) -> list[AnswerSentence]:
        return [s for s in self.sentences if s.supported is False]


class DocumentInfo(BaseModel):
    """A row of the documents list: what is indexed and how much of it."""

    id: str
    path: str
    meta: DocMeta
    chunks: int
    content_hash: str


class IngestReport(BaseModel):
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    moved: list[str] = Field(
        default_factory=list, description="Unchanged documents whose file is now elsewhere."
    )
    failures: list[LoadFailure] = Field(default_factory=list)
    chunks: int = 0
    embedded: int = Field(0, description="Passages that had to be embedded (cache misses).")
    reanalysed: bool = Field(
        False, description="The index's terms were made again by a newer text analyser."
    )
    words_added: bool = Field(
        False, description="The documents' word vectors were added to an index without them."
    )
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.moved)


class IndexStatus(BaseModel):
    documents: int
    chunks: int
    embedder: str
    backend: str
    retrieval_mode: str
    index_dir: str
    vector_store: str
    built_at: str | None = Field(None, description="ISO time of the last ingest that changed it.")
    stale: bool = Field(False, description="Corpus files changed since the last ingest.")
