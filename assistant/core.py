"""The answering core that every front end uses: the CLI, the chat UI and the evaluation.

rewrite follow-up -> embed query -> retrieve -> answer (extractive, or an LLM whose citations
are validated) -> ``Answer``. A failing LLM backend never breaks the chat: the extractive
answer is returned with a visible notice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import extractive, provenance, summary
from .analysis import detect_language, get_analyzer
from .citations import is_refusal, validate_answer
from .config import RetrievalMode, Settings
from .embeddings import CachedEmbeddings, Embeddings, make_embeddings, make_ingest_embeddings
from .errors import AssistantError, BackendUnavailable, StoreUnavailable
from .index import Snapshot
from .llm import describe_backend, make_chat_model
from .models import Answer, DocumentInfo, Hit, IndexStatus, IngestReport, Lang, Turn
from .question import small_talk
from .retrieve import Retriever
from .rewrite import rewrite_without_llm
from .spelling import Fix, knows
from .store import VectorStore
from .ui_text import EXAMPLES

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
RETRY_UNREADABLE = 5.0  # seconds before a version that failed to load is tried again

MESSAGES: dict[str, dict[Lang, str]] = {
    "empty_question": {
        "sv": "Skriv en fråga först.",
        "en": "Please type a question first.",
    },
    "no_subject": {
        "sv": "Jag ser inte vad frågan gäller. Skriv vad du vill veta, till exempel "
        "”Vad är ambidexteritet?” eller ”Hur länge pågår Produktionslyftet 4.0?”.",
        "en": "I can't tell what the question is about. Please say what you want to know, "
        "for example “What is ambidexterity?” or “How long does Produktionslyftet 4.0 run?”.",
    },
    # small talk (a greeting, a thanks, a question about the assistant) gets a reply, not a
    # quote or a refusal
    "greeting": {
        "sv": "Hej! Jag svarar på frågor om förbättring och förnyelse i produktionen utifrån "
        "dokumenten och visar källan till varje mening. Fråga till exempel ”Vad är "
        "ambidexteritet?” eller ”Vad kan jag fråga om?”.",
        "en": "Hello! I answer questions on improvement and renewal in production from the "
        "documents, with the source of every sentence. Ask for example “What is "
        "ambidexterity?” or “What can I ask about?”.",
    },
    "about": {
        "sv": "Jag svarar på frågor om förbättring och förnyelse i produktionen utifrån "
        "dokumenten och visar källan till varje mening; det dokumenten inte säger svarar jag "
        "inte på. Fråga till exempel ”Vilka dokument finns?” eller ”Vad är ambidexteritet?”.",
        "en": "I answer questions on improvement and renewal in production from the documents, "
        "with the source of every sentence; what they do not say, I do not answer. Ask for "
        "example “Which documents are there?” or “What is ambidexterity?”.",
    },
    "thanks": {
        "sv": "Varsågod! Fråga gärna mer.",
        "en": "You're welcome! Ask me anything else about the documents.",
    },
    # a misspelt word read as the documents' word it nearly is (``spelling``)
    "spelling": {
        "sv": "Läst som dokumenten stavar: {fixes}.",
        "en": "Read as the documents spell it: {fixes}.",
    },
    "long_question": {
        "sv": f"Frågan är för lång (högst {MAX_QUESTION_CHARS} tecken). "
        "Korta ner den och försök igen.",
        "en": f"The question is too long (at most {MAX_QUESTION_CHARS} characters). "
        "Please shorten it.",
    },
    "empty_index": {
        "sv": "Inga dokument är indexerade ännu. Kör `assistant ingest` (eller `make run`), "
        "eller ladda upp dokument under fliken Dokument.",
        "en": "No documents are indexed yet. Run `assistant ingest` (or `make run`), "
        "or upload documents in the Documents tab.",
    },
    "dense_down": {
        "sv": "Den semantiska sökningen svarar inte just nu, så svaret bygger bara på ordsökning "
        "i dokumenten.",
        "en": "Semantic search is not answering right now, so this answer rests on keyword "
        "search in the documents only.",
    },
    "backend_down": {
        "sv": "Språkmodellen ({backend}) svarade inte ({reason}). Svaret nedan är hämtat direkt "
        "ur dokumenten i stället.",
        "en": "The language model ({backend}) did not answer ({reason}). The answer below is "
        "quoted directly from the documents instead.",
    },
    "no_citation": {
        "sv": "Språkmodellens svar hänvisade inte till någon av källorna, så det visas inte. "
        "Svaret nedan är hämtat direkt ur dokumenten.",
        "en": "The language model's answer cited none of the sources, so it is not shown. "
        "The answer below is quoted directly from the documents.",
    },
    "unsupported": {
        "sv": "{n} mening(ar) i svaret har inget tydligt stöd i den källa de hänvisar till "
        "(markerade).",
        "en": "{n} sentence(s) in the answer are not clearly supported by the source they "
        "cite (flagged).",
    },
}


class _Timer:
    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - t0) * 1000


class Assistant:
    def __init__(
        self,
        settings: Settings,
        embeddings: Embeddings | None = None,
        chat_model: Any = None,
        store: VectorStore | None = None,
    ) -> None:
        self.settings = settings
        inner = embeddings or make_embeddings(settings)
        self.embeddings = CachedEmbeddings(
            inner,
            settings.cache_dir / "embeddings.sqlite3",
            settings.query_model_id,
            reads=(settings.passage_model_id,),
        )
        self._ingest_embeddings: CachedEmbeddings | None = None
        self.store = store or VectorStore(settings)
        self._snapshot = Snapshot.load(settings.index_dir)
        # a newer version that failed to load, and when: tried again after RETRY_UNREADABLE
        # seconds (on a shared filesystem, CURRENT can arrive before its version folder)
        self._unreadable: tuple[Path, float] | None = None
        self._chat_models: dict[str, Any] = {}
        if chat_model is not None:
            self._chat_models[settings.backend] = chat_model

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        embeddings: Embeddings | None = None,
        chat_model: Any = None,
        store: VectorStore | None = None,
    ) -> Assistant:
        return cls(settings, embeddings, chat_model, store)

    def warm(self) -> None:
        """Load now what the first answer would load, except the dense index: the embedding
        model, the language data, the keyword index's pages and the answerer's resources,
        by answering the first example question from keyword search alone and without an
        LLM. ``open_assistant`` does it while the dense index loads in another thread (that
        load does not hold the GIL), so a server's first answer does not wait for them. A
        failure here is left for the first real question to meet and report."""
        if self.snapshot.empty:
            return
        try:
            self.ask(EXAMPLES[0], backend="extractive", mode="keyword")
        except Exception:
            log.debug("warming up failed", exc_info=True)

    # --- index -------------------------------------------------------------------------
    @property
    def snapshot(self) -> Snapshot:
        """The live index; picks up a newer version written by another process."""
        pointer = self.settings.index_dir / "CURRENT"
        if pointer.exists():
            current = self.settings.index_dir / pointer.read_text(encoding="utf-8").strip()
            failed = self._unreadable
            waiting = (
                failed is not None
                and failed[0] == current
                and time.monotonic() - failed[1] < RETRY_UNREADABLE
            )
            if current != self._snapshot.version_dir and not waiting:
                try:
                    self._snapshot = Snapshot.load(self.settings.index_dir)
                    self.store.reload()  # and the vectors that ingest added
                    self._unreadable = None
                except Exception:  # damaged: keep answering from the version in memory
                    if failed is None or failed[0] != current:  # said once per version
                        log.exception(
                            "index version %s cannot be read (run `assistant doctor`); still "
                            "answering from %s",
                            current,
                            self._snapshot.version_dir,
                        )
                    self._unreadable = (current, time.monotonic())
        return self._snapshot

    def ingest(
        self,
        paths: list[Path] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> IngestReport:
        from .ingest import ingest  # not needed to answer: reading, chunking, embedding

        embeddings = self.ingest_embeddings()
        report, self._snapshot = ingest(self.settings, embeddings, self.store, paths, progress)
        # the onnx query engine's saved graph (``OnnxE5Embeddings.prepare``): a server's
        # first load reads it instead of building it
        prepare = getattr(self.embeddings.inner, "prepare", None)
        if prepare is not None:
            try:
                prepare()
            except Exception as exc:  # the index is written: the first question will say it
                log.warning("the query engine could not save its graph: %s", exc)
        # so that a cold start does not add the last vectors again (once for a store that
        # was written before there was persist)
        if self.store.written or not self.store.persisted:
            t0 = time.perf_counter()
            self.store.persist()
            report.seconds += time.perf_counter() - t0
        return report

    def ingest_embeddings(self) -> CachedEmbeddings:
        """What an ingest embeds passages with: the query embedder, or another engine of the
        same model (``Settings.ingest_engine``), made on the first ingest only, so a server
        that never ingests never loads it."""
        if self.settings.passage_model_id == self.settings.query_model_id:
            return self.embeddings
        if self._ingest_embeddings is None:
            engine = make_ingest_embeddings(self.settings)
            assert engine is not None
            self._ingest_embeddings = CachedEmbeddings(
                engine,
                self.settings.cache_dir / "embeddings.sqlite3",
                self.settings.passage_model_id,
            )
        return self._ingest_embeddings

    def status(self) -> IndexStatus:
        from .ingest import is_stale

        snap = self.snapshot
        return IndexStatus(
            documents=len(snap.documents),
            chunks=len(snap.chunks),
            embedder=self.settings.embedder_id,
            backend=describe_backend(self.settings),
            retrieval_mode=self.settings.retrieval_mode,
            index_dir=str(self.settings.index_dir),
            vector_store=f"chroma {self.store.location} ({self.store.collection_name})",
            built_at=snap.built_at,
            stale=is_stale(self.settings, snap),
        )

    def documents(self) -> list[DocumentInfo]:
        from .models import DocMeta

        return [
            DocumentInfo(
                id=d.id,
                path=d.path,
                meta=DocMeta.model_validate(d.meta),
                chunks=len(d.chunk_ids),
                content_hash=d.content_hash,
            )
            for d in self.snapshot.documents.values()
        ]

    # --- retrieval ---------------------------------------------------------------------
    def _retriever(self) -> Retriever:
        return Retriever(self.settings, self.store, self.snapshot)

    def search(
        self, query: str, k: int | None = None, mode: RetrievalMode | None = None
    ) -> list[Hit]:
        mode = mode or self.settings.retrieval_mode
        vector = None if mode == "keyword" else self.embeddings.embed_query(query)
        return self._retriever().search(query, vector, k, mode)

    def answer_hits(
        self,
        standalone: str,
        query_vector: Sequence[float],
        mode: RetrievalMode | None = None,
        snapshot: Snapshot | None = None,
    ) -> list[Hit]:
        """The hits an answer is made from: the extractive answerer weighs the sentences of
        ``answer_chunks`` passages; an LLM reads the first ``top_k`` of them."""
        depth = max(self.settings.top_k, self.settings.answer_chunks)
        retriever = Retriever(self.settings, self.store, snapshot or self.snapshot)
        return retriever.search(standalone, query_vector, depth, mode=mode)

    # --- answering ---------------------------------------------------------------------
    def _chat_model(self, backend: str) -> Any:
        if backend == "extractive":
            return None
        if backend not in self._chat_models:
            self._chat_models[backend] = make_chat_model(self.settings, backend)
        return self._chat_models[backend]

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        backend: str | None = None,
        mode: RetrievalMode | None = None,
    ) -> Answer:
        result = None
        for piece in self.stream(question, history, backend=backend, mode=mode):
            if isinstance(piece, Answer):
                result = piece
        assert result is not None
        return result

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        backend: str | None = None,
        mode: RetrievalMode | None = None,
    ) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final ``Answer``. The final answer is
        authoritative: if a backend failed mid-stream, its text replaces what was streamed."""
        t_total = time.perf_counter()
        question = (question or "").strip()
        lang: Lang = detect_language(question) if question else self.settings.ui_language
        if not question:
            raise AssistantError(MESSAGES["empty_question"][lang], lang=lang)
        if len(question) > MAX_QUESTION_CHARS:
            raise AssistantError(MESSAGES["long_question"][lang], lang=lang)
        snap = self.snapshot
        if snap.empty:
            raise AssistantError(MESSAGES["empty_index"][lang], lang=lang)
        if (talk := small_talk(question)) is not None:
            yield Answer(
                question=question,
                standalone_question=question,
                text=MESSAGES[talk][lang],
                language=lang,
                backend="extractive",
                analysis={"kind": talk},
            )
            return
        backend = backend or self.settings.backend
        timer = _Timer()
        notices: list[str] = []

        chat = None
        if backend != "extractive":
            # imported here: an extractive answer needs none of langchain's prompt machinery
            from .generate import rewrite_with_llm, stream_answer

            try:
                chat = self._chat_model(backend)
            except AssistantError as exc:
                notices.append(MESSAGES["backend_down"][lang].format(backend=backend, reason=exc))

        with timer.stage("rewrite"):
            typed, fixes = as_spelt(question, snap)  # as the documents spell its words
            if fixes:
                read = ", ".join(f"{f.written} → {f.read}" for f in fixes)
                notices.append(MESSAGES["spelling"][lang].format(fixes=read))
            standalone = typed
            if history:
                standalone = rewrite_without_llm(typed, list(history))
                if chat is not None:
                    try:
                        standalone = rewrite_with_llm(
                            chat, typed, list(history), lang, self.settings.prompts_dir
                        )
                    except BackendUnavailable as exc:
                        # the rule-based rewrite stands; do not wait for a second timeout
                        notices.append(
                            MESSAGES["backend_down"][lang].format(backend=backend, reason=exc)
                        )
                        chat = None
        asks_summary = summary.asks_for_summary(standalone)
        if not get_analyzer().query_tokens(standalone) and not asks_summary:
            # "?", "🙂", "Varför?" with nothing before it: no word says what is asked, and
            # the nearest sentence to nothing would be quoted as if it answered ("Berätta
            # allt" has no such word either, and asks for the overview)
            raise AssistantError(MESSAGES["no_subject"][lang], lang=lang)
        with timer.stage("embed"):
            qvec = self.embeddings.embed_query(standalone)
        with timer.stage("retrieve"):
            try:
                found = self.answer_hits(standalone, qvec, mode, snap)
            except StoreUnavailable as exc:  # keyword search needs no vector store
                log.warning("dense search failed, answering from keyword search: %s", exc)
                notices.append(MESSAGES["dense_down"][lang])
                found = self.answer_hits(standalone, qvec, "keyword", snap)
            hits = found[: self.settings.top_k]

        def extract() -> extractive.Extract:
            with timer.stage("answer"):
                if asks_summary:
                    summed = summary.summarise(standalone, lang, found, snap, self.embeddings)
                    if summed is not None:
                        return summed
                return extractive.answer(
                    standalone,
                    qvec,
                    found,
                    self.embeddings,
                    lang,
                    snapshot=snap,
                    idf=snap.idf,
                    refusal_threshold=self.settings.refusal_threshold,
                    asked=typed,
                    said=_last_answer(history),
                )

        def final(text: str, used_backend: str, ext: Any, refusal: bool) -> Answer:
            timer.ms["total"] = (time.perf_counter() - t_total) * 1000
            return Answer(
                question=question,
                standalone_question=standalone,
                text=text,
                sentences=ext.sentences if ext else [],
                citations=ext.citations if ext else [],
                language=lang,
                backend=used_backend,
                refusal=refusal,
                more=ext.more if ext and not refusal else [],
                notices=notices,
                timings=timer.ms,
                hits=ext.hits if ext else hits,
                analysis=ext.analysis if ext else {},
            )

        with timer.stage("answer"):
            # who wrote a document, when, who publishes it: its catalogue entry says, exactly,
            # whatever the backend (a model sees passages, not the entry)
            about_document = provenance.answer(standalone, lang, found, snap)
        if about_document is not None:
            for i, paragraph in enumerate(about_document.text.split("\n\n")):
                yield ("\n\n" if i else "") + paragraph
            yield final(about_document.text, "extractive", about_document, about_document.refusal)
            return
        if chat is not None:
            pieces: list[str] = []
            try:
                with timer.stage("generate"):
                    for piece in stream_answer(
                        chat,
                        standalone,
                        hits,
                        lang,
                        list(history),
                        self.settings.prompts_dir,
                        max_sentences=self.settings.answer_max_sentences,
                    ):
                        pieces.append(piece)
                        yield piece
            except BackendUnavailable as exc:
                notices.append(MESSAGES["backend_down"][lang].format(backend=backend, reason=exc))
            else:
                raw = "".join(pieces).strip()
                with timer.stage("validate"):
                    text, sentences, cites = validate_answer(
                        raw, hits, self.embeddings, self.settings.support_threshold
                    )
                if cites:
                    unsupported = sum(1 for s in sentences if s.supported is False)
                    if unsupported:
                        notices.append(MESSAGES["unsupported"][lang].format(n=unsupported))
                    answer = final(text, backend, None, refusal=False)
                    answer.sentences, answer.citations = sentences, cites
                    yield answer
                    return
                if is_refusal(raw):
                    ext = extractive.closest_sources(hits, lang)
                    yield final(ext.text, backend, ext, refusal=True)
                    return
                notices.append(MESSAGES["no_citation"][lang])
        ext = extract()
        for i, paragraph in enumerate(ext.text.split("\n\n")):
            yield ("\n\n" if i else "") + paragraph
        yield final(ext.text, "extractive", ext, refusal=ext.refusal)


def as_spelt(question: str, snap: Snapshot) -> tuple[str, list[Fix]]:
    """The question with its misspelt words read as the documents' words (``spelling``)."""
    speller = snap.speller
    return speller.correct(question, knows(snap.idf)) if speller is not None else (question, [])


def _last_answer(history: Sequence[Turn]) -> str | None:
    """The assistant's previous answer in the conversation, if any."""
    return next((t.content for t in reversed(history) if t.role == "assistant"), None)
