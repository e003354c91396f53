"""An embedder on another machine: any server with an OpenAI-compatible ``/v1/embeddings``
endpoint (text-embeddings-inference, vLLM, Infinity, Ollama, LM Studio, a hosted API), called
through langchain-openai's ``OpenAIEmbeddings``.

- **e5 prefixes**: e5 models expect ``"query: "`` before a question and ``"passage: "`` before
  a text to find; they are added here unless ``ASSISTANT_EMBEDDER_PREFIXES=false`` (for
  models that want raw text).
- **batching**: ``embed_batch_size`` texts per request.
- **retries**: the OpenAI client retries connection errors, 408/409/429 and 5xx with backoff
  (``embedder_retries`` times); the request times out after ``embedder_timeout`` seconds.
- **vectors** are normalised to length 1, whatever the server does.
- **failures** become ``EmbedderUnavailable`` (an ``AssistantError``) with a generic reason;
  the server's own text is logged with secrets redacted, never shown.

The cache (``CachedEmbeddings``) and Chroma's collection are keyed by
``Settings.embedder_id``, which holds the model name, so vectors of different models never meet.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import SecretStr

from .config import Settings
from .errors import AssistantError
from .llm import error_reason, redact, remember_secret

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


class EmbedderUnavailable(AssistantError):
    """The embedding server could not be used; nothing was embedded."""


class RemoteEmbeddings(Embeddings):
    """e5-style embeddings from an OpenAI-compatible server (see the module docstring)."""

    def __init__(
        self,
        model: str,
        base_url: str | None,
        api_key: str = "not-needed",
        *,
        batch_size: int = 64,
        timeout: float = 30.0,
        retries: int = 3,
        prefixes: bool = True,
    ) -> None:
        from langchain_openai import OpenAIEmbeddings

        remember_secret(api_key)
        self.name = f"openai:{model}"
        self.base_url = base_url
        self.prefixes = prefixes
        self._client = OpenAIEmbeddings(
            model=model,
            openai_api_base=base_url,
            openai_api_key=SecretStr(api_key),
            chunk_size=batch_size,
            max_retries=retries,
            request_timeout=timeout,
            # send text, not tiktoken ids: other servers have other tokenizers
            check_embedding_ctx_length=False,
            # plain floats: not every server speaks base64
            model_kwargs={"encoding_format": "float"},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteEmbeddings:
        if not settings.embedder_model:
            raise AssistantError(
                "ASSISTANT_EMBEDDER_MODEL must name the model the embedding server serves "
                "(ASSISTANT_EMBEDDER=openai)"
            )
        return cls(
            settings.embedder_model,
            settings.embedder_base_url,
            settings.embedder_api_key.get_secret_value(),
            batch_size=settings.embed_batch_size,
            timeout=settings.embedder_timeout,
            retries=settings.embedder_retries,
            prefixes=settings.embedder_prefixes,
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._batched(texts, PASSAGE_PREFIX)

    def embed_query(self, text: str) -> list[float]:
        prefix = QUERY_PREFIX if self.prefixes else ""
        return self._call(lambda texts: [self._client.embed_query(texts[0])], [prefix + text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Texts embedded as queries, in batches as passages are (the documents' words at
        ingest): one request per batch, not one per word."""
        return self._batched(texts, QUERY_PREFIX)

    def _batched(self, texts: list[str], prefix: str) -> list[list[float]]:
        """``texts`` with ``prefix`` (unless prefixes are off), in batches of
        ``embed_batch_size`` per request."""
        if not texts:
            return []
        prefix = prefix if self.prefixes else ""
        vectors = self._call(self._client.embed_documents, [prefix + t for t in texts])
        if len(vectors) != len(texts):
            raise EmbedderUnavailable(
                f"The embedding server returned {len(vectors)} vectors for {len(texts)} texts"
            )
        return vectors

    def _call(self, embed: Any, texts: list[str]) -> list[list[float]]:
        try:
            raw = embed(texts)
        except Exception as exc:  # connection, timeout, HTTP status, a malformed reply
            reason = error_reason(exc).replace("language model", "embedding")
            where = redact(self.base_url or "the OpenAI API")
            raise EmbedderUnavailable(
                f"The embedding server at {where} could not embed ({reason}); "
                "check ASSISTANT_EMBEDDER_BASE_URL and that the server is running"
            ) from exc
        arr = np.asarray(raw, dtype=np.float32)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return (arr / np.where(norms > 0, norms, 1.0)).tolist()
