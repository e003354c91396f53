"""Runs evaluation cases through the same ``Assistant`` the chat uses, once per configuration,
plus a naive langchain RAG baseline, and scores every case.

Configurations: ``hybrid``, ``dense``, ``keyword`` (the product with each retrieval mode) and
``naive-rag``: RecursiveCharacterTextSplitter 1000/200, the same embedder, dense top-k, and —
having no LLM either — the top passage shown as the answer, as a plain setup would.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document as LCDocument
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ..analysis import detect_language
from ..citations import MARKER, parse_markers
from ..config import RetrievalMode
from ..core import Assistant
from ..errors import AssistantError
from ..loaders import load_all
from ..models import Answer, AnswerSentence
from . import metrics as m
from .cases import Case
from .judge import Judge, judge_overall
from .results import CaseResult, ConfigResults, RunResults

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

RETRIEVAL_K = 10
NAIVE = "naive-rag"
DESCRIPTIONS = {
    "hybrid": "Product: hybrid retrieval (dense + Swedish BM25, RRF) and the answerer",
    "dense": "Product with dense-only retrieval",
    "keyword": "Product with keyword-only retrieval (Swedish BM25)",
    NAIVE: "Baseline: langchain RecursiveCharacterTextSplitter 1000/200, same embedder, "
    "dense top-k, top passage as the answer",
}
Progress = Callable[[str, int, int], None]


def answer_language(answer: Answer) -> str:
    """The language the answer is written in. Quoted document text (extractive sentences,
    source titles and organisations) is Swedish by design, so the answer's own words decide."""
    text = answer.text
    quoted = [c.title for c in answer.citations] + [c.organisation or "" for c in answer.citations]
    if answer.backend == "extractive":
        quoted += [s.text for s in answer.sentences]
    for q in sorted(filter(None, quoted), key=len, reverse=True):
        text = text.replace(q, " ")
    return detect_language(MARKER.sub(" ", text))


def score_answer(
    case: Case, answer: Answer, retrieved: Sequence[str], gains: list[int], config: str
) -> CaseResult:
    provided = {c.number for c in answer.citations}
    values: dict[str, float | None] = {}
    if case.answerable:
        values.update(m.retrieval_metrics(gains))
        values["fact_coverage"] = m.fact_coverage(answer.text, case.facts)
    values["citation_validity"] = m.citation_validity(
        parse_markers(answer.text), provided, refused=answer.refusal
    )
    values["citation_support"] = (
        m.citation_support(answer.sentences) if not answer.refusal else None
    )
    detected = answer_language(answer)
    values["language_match"] = m.language_match(case.lang, detected)
    return _result(
        case,
        config,
        retrieved_ids=list(retrieved),
        gains=gains,
        refused=answer.refusal,
        answer=answer.text,
        answer_lang=detected,
        citations=len(answer.citations),
        metrics=values,
        timings=answer.timings,
    )


def _result(case: Case, config: str, **outcome: Any) -> CaseResult:
    """A case's result: what the case asked, and what the configuration did with it."""
    return CaseResult(
        case_id=case.id,
        config=config,
        lang=case.lang,
        answerable=case.answerable,
        question=case.question,
        turns=len(case.history),
        facts=case.facts,
        **outcome,
    )


def _error(case: Case, config: str, exc: Exception) -> CaseResult:
    return _result(case, config, error=str(exc))


def run_product(
    assistant: Assistant,
    cases: Sequence[Case],
    mode: RetrievalMode,
    backend: str | None,
    progress: Progress | None = None,
    judge: Judge | None = None,
) -> ConfigResults:
    """Every case through the product in one retrieval mode. With a ``judge``, each answer is
    also judged by the LLM (not offline: ``CaseResult.judge`` and the ``judge_*`` keys)."""
    results = []
    for i, case in enumerate(cases, 1):
        try:
            answer = assistant.ask(case.question, case.history, backend=backend, mode=mode)
            hits = assistant.search(answer.standalone_question, k=RETRIEVAL_K, mode=mode)
            gains = [m.relevance_gain(h.chunk.text, case.evidence) for h in hits]
            result = score_answer(case, answer, [h.chunk.id for h in hits], gains, mode)
            if judge is not None:
                result.judge = judge(case, answer)
            results.append(result)
        except AssistantError as exc:
            results.append(_error(case, mode, exc))
        if progress:
            progress(mode, i, len(cases))
    overall = m.aggregate(results)
    if judge is not None:
        overall.update(judge_overall(results))
    return ConfigResults(name=mode, description=DESCRIPTIONS[mode], overall=overall, cases=results)


class NaiveRag:
    """The plain setup most tutorials build, with the same embedder and documents."""

    def __init__(self, assistant: Assistant) -> None:
        docs, _ = load_all(list(assistant.settings.corpus_paths))
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        pieces = splitter.split_documents(
            [LCDocument(page_content=d.text, metadata={"title": d.meta.title}) for d in docs]
        )
        self.store = InMemoryVectorStore(assistant.embeddings)
        self.store.add_documents(pieces)
        self.k = assistant.settings.top_k

    def run(self, cases: Sequence[Case], progress: Progress | None = None) -> ConfigResults:
        results = []
        for i, case in enumerate(cases, 1):
            t0 = time.perf_counter()
            # a plain setup has no follow-up rewriting: the question is used as it is
            found = self.store.similarity_search(case.question, k=RETRIEVAL_K)
            ms = (time.perf_counter() - t0) * 1000
            top = found[0].page_content if found else ""
            answer = Answer(
                question=case.question,
                standalone_question=case.question,
                text=f"{top} [1]" if top else "",
                language=case.lang,
                backend="naive",
                sentences=[AnswerSentence(text=top, citations=[1])] if top else [],
                citations=[],
                refusal=not top,
                timings={"retrieve": ms, "total": ms},
            )
            gains = [m.relevance_gain(d.page_content, case.evidence) for d in found]
            result = score_answer(case, answer, [str(j) for j in range(len(found))], gains, NAIVE)
            # its single source is the top passage itself; support is not applicable
            result.metrics["citation_validity"] = 1.0 if top else None
            result.metrics["citation_support"] = None
            result.answer_lang = "sv"
            result.metrics["language_match"] = m.language_match(case.lang, "sv")
            results.append(result)
            if progress:
                progress(NAIVE, i, len(cases))
        return ConfigResults(
            name=NAIVE,
            description=DESCRIPTIONS[NAIVE],
            overall=m.aggregate(results),
            cases=results,
        )


def run_eval(
    assistant: Assistant,
    cases: Sequence[Case],
    modes: Sequence[RetrievalMode],
    backend: str | None = None,
    baselines: bool = True,
    progress: Progress | None = None,
    judge_model: BaseChatModel | None = None,
) -> RunResults:
    """Run the cases in each mode (and the naive baseline). With ``judge_model``, the product's
    answers are also scored by that LLM judge; the baseline is not judged."""
    s = assistant.settings
    results = RunResults(
        settings={
            "embedder": s.embedder_id,
            "backend": backend or s.backend,
            "top_k": s.top_k,
            "chunk_size": s.chunk_size,
            "chunk_overlap": s.chunk_overlap,
            "refusal_threshold": s.refusal_threshold,
            "cases": len(cases),
        }
    )
    judge = Judge(judge_model, s.prompts_dir) if judge_model is not None else None
    if judge is not None:
        results.settings["judge"] = judge.name
    if cases:  # load models and word lists outside the measured latencies
        assistant.ask(cases[0].question)
    for mode in modes:
        results.configs[mode] = run_product(assistant, cases, mode, backend, progress, judge)
    if baselines:
        results.configs[NAIVE] = NaiveRag(assistant).run(cases, progress)
    return results
