"""Runs evaluation cases through the same ``Assistant`` the chat uses, once per configuration,
plus two baselines, and scores every case.

Configurations: ``hybrid``, ``dense``, ``keyword`` (the product with each retrieval mode) and
the baselines ``extractive-v1``: the previous extractive answerer (``legacy_extractive``) over
the product's hybrid retrieval, and ``naive-rag``: RecursiveCharacterTextSplitter 1000/200, the
same embedder, dense top-k, and — having no LLM either — the top passage shown as the answer,
as a plain setup would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document as LCDocument
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ..analysis import detect_language
from ..citations import parse_markers
from ..config import RetrievalMode
from ..core import Assistant
from ..embeddings import as_langchain
from ..errors import AssistantError
from ..loaders import load_all
from ..models import Answer, AnswerSentence
from ..retrieve import Retriever
from ..rewrite import rewrite_without_llm
from ..sentences import split_sentences
from . import legacy_extractive
from . import metrics as m
from .cases import Case
from .judge import Judge, judge_overall
from .results import CaseResult, ConfigResults, RunResults

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

RETRIEVAL_K = 10
NAIVE = "naive-rag"
LEGACY = "extractive-v1"
#: The configurations that are baselines (``--no-baselines`` skips them).
BASELINES = (LEGACY, NAIVE)
SPLITS = ("dev", "test", "all")
#: The previous answerer's settings as they were when it was frozen (its refusal threshold is
#: a minimum support score, a different scale from the current answerer's setting).
LEGACY_REFUSAL_THRESHOLD = 0.89
LEGACY_MAX_SENTENCES = 5
DESCRIPTIONS = {
    "hybrid": "Product: hybrid retrieval (dense + Swedish BM25, RRF) and the answerer",
    "dense": "Product with dense-only retrieval",
    "keyword": "Product with keyword-only retrieval (Swedish BM25)",
    NAIVE: "Baseline: langchain RecursiveCharacterTextSplitter 1000/200, same embedder, "
    "dense top-k, top passage as the answer",
    LEGACY: "Baseline: the previous extractive answerer (similarity + overlap, MMR), "
    "same hybrid retrieval",
}
Progress = Callable[[str, int, int], None]


# what follows the label on its line; the words before it are the answer's own
_DECLARED_SWEDISH = re.compile(r"\(in Swedish\):[^\n]*")
_QUOTE_MARKS = str.maketrans("", "", '”“„"«»')


def answer_language(answer: Answer) -> str:
    """The language the answer is written in. Quoted document text (extractive sentences and
    the citations' quotes, source titles and organisations) is Swedish by design, so the
    answer's own words decide."""

    def flat(text: str) -> str:
        # quote marks aside: a quote that ends a document's quotation ("… även i
        # produktion.”") is shown without its unpaired mark
        return " ".join(m.plain(text).replace("> ", " ").translate(_QUOTE_MARKS).split())

    # what the answer itself labels as Swedish ("Source (in Swedish): …") is a quote too
    text = flat(_DECLARED_SWEDISH.sub(" ", answer.text))
    quoted = [c.title for c in answer.citations] + [c.organisation or "" for c in answer.citations]
    if answer.backend == "extractive":
        quoted += [line for s in answer.sentences for line in s.text.split("\n")]
        quoted += [part for c in answer.citations for part in c.quote.split(" … ")]
    for q in sorted(filter(None, map(flat, quoted)), key=len, reverse=True):
        text = text.replace(q, " ")
    return detect_language(text)


def select_split(cases: Sequence[Case], split: str) -> list[Case]:
    """The cases of one split (``dev`` or ``test``), or all of them (``all``)."""
    if split not in SPLITS:
        raise AssistantError(f"Unknown split {split!r}: use dev, test or all")
    return [c for c in cases if split == "all" or c.split == split]


def answer_sentences(answer: Answer) -> list[str]:
    """The answer's sentences in display order; for an answer that carries none (an LLM
    answer without a sentence list), the sentences of its text."""
    if answer.sentences:
        return [s.text for s in answer.sentences]
    return m.answer_sentences_of(answer.text)


def score_answer(
    case: Case, answer: Answer, retrieved: Sequence[str], gains: list[int], config: str
) -> CaseResult:
    provided = {c.number for c in answer.citations}
    values: dict[str, float | None] = {}
    sentences = [] if answer.refusal else answer_sentences(answer)
    lead = sentences[0] if sentences else ""
    if case.answerable:
        values.update(m.retrieval_metrics(gains))
        values["fact_coverage"] = m.fact_coverage(answer.text, case.facts)
        values["lead_has_answer"] = m.lead_has_answer(lead, case.facts, refused=answer.refusal)
        values["shown_has_answer"] = m.shown_has_answer(
            answer.text, [c.quote for c in answer.more], case.facts, refused=answer.refusal
        )
        if not answer.refusal:
            values["answer_chars"] = float(len(answer.text))
            values["padding_share"] = m.padding_share(sentences, case.facts, case.evidence)
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
        lead=lead,
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
        split=case.split,
        kind=case.kind,
        facts=case.facts,
        **outcome,
    )


def config_results(
    name: str,
    results: list[CaseResult],
    extra: Callable[[list[CaseResult]], dict[str, float | None]] | None = None,
) -> ConfigResults:
    """A configuration's results: overall and per-split aggregates (plus ``extra``'s keys,
    e.g. the LLM judge's, in each)."""
    overall = m.aggregate(results)
    by_split = m.aggregate_by_split(results)
    if extra is not None:
        overall.update(extra(results))
        for split, values in by_split.items():
            values.update(extra([c for c in results if c.split == split]))
    return ConfigResults(
        name=name,
        description=DESCRIPTIONS.get(name, ""),
        overall=overall,
        by_split=by_split,
        cases=results,
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
    return config_results(mode, results, judge_overall if judge is not None else None)


class LegacyExtractive:
    """The previous extractive answerer over the product's hybrid retrieval, run the way
    ``Assistant.stream`` ran it (rule-based follow-up rewrite, embed, retrieve, answer), with
    the same stages timed."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def answer(self, case: Case) -> Answer:
        a, s = self.assistant, self.assistant.settings
        timings: dict[str, float] = {}
        t_total = time.perf_counter()
        question = case.question.strip()
        lang = detect_language(question)
        snap = a.snapshot
        if snap.empty:
            raise AssistantError("the index is empty")

        def timed(stage: str, t0: float) -> None:
            timings[stage] = (time.perf_counter() - t0) * 1000

        t0 = time.perf_counter()
        standalone = rewrite_without_llm(question, list(case.history)) if case.history else question
        timed("rewrite", t0)
        t0 = time.perf_counter()
        qvec = a.embeddings.embed_query(standalone)
        timed("embed", t0)
        t0 = time.perf_counter()
        hits = Retriever(s, a.store, snap).search(standalone, qvec, mode="hybrid")
        timed("retrieve", t0)
        t0 = time.perf_counter()
        ext = legacy_extractive.answer(
            standalone,
            qvec,
            hits,
            a.embeddings,
            lang,
            LEGACY_MAX_SENTENCES,
            LEGACY_REFUSAL_THRESHOLD,
            snap.idf,
            snap,
        )
        timed("answer", t0)
        timed("total", t_total)
        return Answer(
            question=question,
            standalone_question=standalone,
            text=ext.text,
            sentences=ext.sentences,
            citations=ext.citations,
            language=lang,
            backend="extractive",
            refusal=ext.refusal,
            timings=timings,
            hits=ext.hits,
        )

    def run(self, cases: Sequence[Case], progress: Progress | None = None) -> ConfigResults:
        if cases:  # load what the old answerer needs outside the measured latencies
            self.answer(cases[0])
        results = []
        for i, case in enumerate(cases, 1):
            try:
                answer = self.answer(case)
                hits = self.assistant.search(answer.standalone_question, RETRIEVAL_K, "hybrid")
                gains = [m.relevance_gain(h.chunk.text, case.evidence) for h in hits]
                ids = [h.chunk.id for h in hits]
                results.append(score_answer(case, answer, ids, gains, LEGACY))
            except AssistantError as exc:
                results.append(_error(case, LEGACY, exc))
            if progress:
                progress(LEGACY, i, len(cases))
        return config_results(LEGACY, results)


class NaiveRag:
    """The plain setup most tutorials build, with the same embedder and documents."""

    def __init__(self, assistant: Assistant) -> None:
        docs, _ = load_all(list(assistant.settings.corpus_paths))
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        pieces = splitter.split_documents(
            [LCDocument(page_content=d.text, metadata={"title": d.meta.title}) for d in docs]
        )
        self.store = InMemoryVectorStore(as_langchain(assistant.embeddings))
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
            # the passage's sentences, so the lead and padding are measured per sentence
            spans = split_sentences(top)
            answer = Answer(
                question=case.question,
                standalone_question=case.question,
                text=f"{top} [1]" if top else "",
                language=case.lang,
                backend="naive",
                sentences=[AnswerSentence(text=top[a:b], citations=[1]) for a, b in spans],
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
        return config_results(NAIVE, results)


def run_eval(
    assistant: Assistant,
    cases: Sequence[Case],
    modes: Sequence[RetrievalMode],
    backend: str | None = None,
    baselines: bool = True,
    progress: Progress | None = None,
    judge_model: BaseChatModel | None = None,
    split: str = "all",
) -> RunResults:
    """Run the cases of ``split`` (dev, test or all) in each mode, and with ``baselines`` the
    previous extractive answerer and the naive RAG baseline. With ``judge_model``, the
    product's answers are also scored by that LLM judge; the baselines are not judged."""
    cases = select_split(cases, split)
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
            "split": split,
            "test_cases": sum(1 for c in cases if c.split == "test"),
        }
    )
    judge = Judge(judge_model, s.prompts_dir) if judge_model is not None else None
    if judge is not None:
        results.settings["judge"] = judge.name
    if cases and modes:  # load models and word lists outside the measured latencies
        assistant.ask(cases[0].question)
    for mode in modes:
        results.configs[mode] = run_product(assistant, cases, mode, backend, progress, judge)
    if baselines:
        results.configs[LEGACY] = LegacyExtractive(assistant).run(cases, progress)
        results.configs[NAIVE] = NaiveRag(assistant).run(cases, progress)
    return results
