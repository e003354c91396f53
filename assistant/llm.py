"""Chat models from settings: Ollama, any OpenAI-compatible server, local llama.cpp.

The one module that imports ``langchain_ollama`` and llama.cpp, and ``langchain_openai``'s chat
model (``remote_embeddings`` uses its embeddings client); each is imported only when its backend
is built, so the extractive default pays for none of them.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from .config import Settings
from .errors import AssistantError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "ollama": "qwen2.5:7b"}
DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "ollama": "http://localhost:11434"}
LLAMACPP_HINT = (
    "install the llama extra: pip install -e '.[llama]' (xllamacpp, a prebuilt llama.cpp "
    "wheel; no compiler needed). The older llamacpp extra (llama-cpp-python) compiles: build "
    "it with CMAKE_ARGS=-DGGML_NATIVE=OFF for a portable CPU build"
)
LLAMACPP_CONTEXT = 4096
LLAMACPP_MAX_TOKENS = 512


def backend_name(settings: Settings, backend: str | None = None) -> str:
    return backend or settings.backend


def model_name(settings: Settings, backend: str | None = None) -> str:
    name = backend_name(settings, backend)
    if name == "llamacpp":
        path = settings.llamacpp_model_path
        return path.name if path else "(no model path)"
    return settings.llm_model or DEFAULT_MODELS.get(name, "")


def make_chat_model(settings: Settings, backend: str | None = None) -> BaseChatModel | None:
    """The chat model the settings name, or None for the extractive answerer.

    Building a model makes no network call; an unreachable server shows up on first use as an
    exception that ``generate`` turns into ``BackendUnavailable``."""
    name = backend_name(settings, backend)
    if name == "extractive":
        return None
    if name == "openai":
        return _openai(settings)
    if name == "ollama":
        return _ollama(settings)
    if name == "llamacpp":
        return _llamacpp(settings)
    raise AssistantError(f"Unknown backend {name!r}: choose extractive, ollama, openai or llamacpp")


def _openai(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    remember_secret(settings.llm_api_key)
    return ChatOpenAI(
        model=model_name(settings, "openai"),
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=settings.llm_temperature,
        # OpenAI-compatible servers (llama.cpp server, vLLM, LM Studio) speak chat completions
        use_responses_api=False,
    )


def _ollama(settings: Settings) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    return ChatOllama(
        model=model_name(settings, "ollama"),
        base_url=settings.llm_base_url,
        temperature=settings.llm_temperature,
        # passed to the httpx client: connect, read (between streamed lines), write, pool
        client_kwargs={"timeout": settings.llm_timeout},
    )


def _llamacpp(settings: Settings) -> BaseChatModel:
    """llama.cpp in this process: xllamacpp's prebuilt wheel (the ``llama`` extra) serves the
    model on a loopback port and ChatOpenAI talks to it; without it, the older
    llama-cpp-python route (the ``llamacpp`` extra, which compiles)."""
    path = settings.llamacpp_model_path
    try:
        import xllamacpp  # noqa: F401
    except ImportError:
        return _llama_cpp_python(settings)
    if path is None or not path.is_file():
        raise AssistantError(
            f"ASSISTANT_LLAMACPP_MODEL_PATH must name a .gguf model file (got {path})"
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=path.stem,
        base_url=_llama_server(path.resolve()) + "/v1",
        api_key=SecretStr("not-needed"),
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=settings.llm_temperature,
        max_completion_tokens=LLAMACPP_MAX_TOKENS,
        use_responses_api=False,
    )


_LLAMA_SERVERS: dict[Path, tuple[Any, str]] = {}
_LLAMA_LOCK = threading.Lock()


def _llama_server(path: Path) -> str:
    """The address of the in-process llama.cpp server for ``path``, started on first use and
    kept for the life of the process (a model is loaded once, whoever asks)."""
    with _LLAMA_LOCK:
        if path not in _LLAMA_SERVERS:
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = str(path)
            params.n_ctx = LLAMACPP_CONTEXT
            params.n_predict = LLAMACPP_MAX_TOKENS
            params.port = 0  # a free port on 127.0.0.1
            try:
                server = xllamacpp.Server(params)
            except RuntimeError as exc:  # not a model llama.cpp can load
                raise AssistantError(
                    f"llama.cpp could not load {path} (is it a GGUF model file?)"
                ) from exc
            _LLAMA_SERVERS[path] = (server, str(server.listening_address).rstrip("/"))
        return _LLAMA_SERVERS[path][1]


def _llama_cpp_python(settings: Settings) -> BaseChatModel:
    try:
        from langchain_community.chat_models import ChatLlamaCpp
    except ImportError as exc:
        raise AssistantError(LLAMACPP_HINT) from exc
    path = settings.llamacpp_model_path
    if path is None or not path.is_file():
        raise AssistantError(
            f"ASSISTANT_LLAMACPP_MODEL_PATH must name a .gguf model file (got {path})"
        )
    try:
        return ChatLlamaCpp(
            model_path=str(path),
            temperature=settings.llm_temperature,
            n_ctx=LLAMACPP_CONTEXT,
            max_tokens=LLAMACPP_MAX_TOKENS,
            verbose=False,
        )
    except ImportError as exc:  # langchain-community present, llama-cpp-python missing
        raise AssistantError(LLAMACPP_HINT) from exc


def describe_backend(settings: Settings, backend: str | None = None) -> str:
    """One line for ``assistant status`` and ``Answer.backend``."""
    name = backend_name(settings, backend)
    if name == "extractive":
        return "extractive (no LLM)"
    model = model_name(settings, name)
    if name == "openai":
        url = redact(settings.llm_base_url or DEFAULT_URLS["openai"])
        return f"openai-compatible {model} @ {url}"
    if name == "ollama":
        return f"ollama {model} @ {redact(settings.llm_base_url or DEFAULT_URLS['ollama'])}"
    if name == "llamacpp":
        return f"llama.cpp {settings.llamacpp_model_path or '(no model path)'}"
    return f"unknown backend {name!r}"


REASONS: dict[str, dict[str, str]] = {
    "timeout": {
        "sv": "inget svar i tid",
        "en": "the language model did not answer in time",
    },
    "status": {
        "sv": "servern svarade med HTTP-status {status}",
        "en": "the language model server answered with HTTP status {status}",
    },
    "connect": {
        "sv": "servern gick inte att nå",
        "en": "could not connect to the language model server",
    },
    "failed": {
        "sv": "fel i klienten: {kind}",
        "en": "the language model failed ({kind})",
    },
}


def error_reason(exc: BaseException, lang: str = "en") -> str:
    """A short, generic reason for an exception raised by a chat model client, in ``lang``.

    A server's own error text never reaches the user (a server may echo the request, its API
    key included): the reason names only the kind of failure and the HTTP status. The details
    go to the log with secrets redacted (``redact``). Exception types are looked up only in
    modules already imported (``sys.modules``): an exception from a client library implies
    that the library is loaded."""
    log.warning("language model call failed: %s", redact(_details(exc)))
    lang = lang if lang in ("sv", "en") else "en"
    texts = {kind: by_lang[lang] for kind, by_lang in REASONS.items()}
    chain = _chain(exc)
    if any(_is_timeout(e) for e in chain):
        return texts["timeout"]
    for e in chain:
        status = _http_status(e)
        if status is not None:
            return texts["status"].format(status=status)
    if any(_is_connection(e) for e in chain):
        return texts["connect"]
    return texts["failed"].format(kind=type(exc).__name__)


# --- secrets reach neither a user nor a log line ------------------------------------------------

_SECRETS: set[str] = set()
_SECRET_PATTERNS = [
    # "Bearer sk-…", "Authorization: Basic …"
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{6,}"), r"\1\2[redacted]"),
    # api_key=…, "api-key": "…", x-api-key: …
    (
        re.compile(
            r"(?i)(api[_-]?key|access[_-]?token|secret)([\"']?\s*[:=]\s*[\"']?)[^\s\"',}&]+"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}"), "[redacted]"),  # OpenAI-style keys
    (re.compile(r"(://)[^/\s:@]+:[^/\s@]+@"), r"\1[redacted]@"),  # user:password@ in a URL
]


def remember_secret(secret: SecretStr | str | None) -> None:
    """A value that ``redact`` removes wherever it appears (an API key from the settings)."""
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if value and len(value) >= 6 and value != "not-needed":
        _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` without the remembered secrets, bearer tokens, API keys and URL passwords."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _details(exc: BaseException) -> str:
    return " <- ".join(f"{type(e).__name__}: {e}" for e in _chain(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 10:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _types(module: str, *names: str) -> tuple[type, ...]:
    mod = sys.modules.get(module)
    return tuple(t for n in names if isinstance(t := getattr(mod, n, None), type))


def _is_timeout(e: BaseException) -> bool:
    kinds = (
        TimeoutError,
        *_types("langchain_core.exceptions", "ModelTimeoutError"),
        *_types("httpx", "TimeoutException"),
        *_types("openai", "APITimeoutError"),
    )
    return isinstance(e, kinds)


def _is_connection(e: BaseException) -> bool:
    kinds = (
        ConnectionError,
        *_types("langchain_core.exceptions", "ModelConnectionError"),
        *_types("httpx", "TransportError"),
        *_types("openai", "APIConnectionError"),
    )
    return isinstance(e, kinds)


def _http_status(e: BaseException) -> int | None:
    kinds = (
        *_types("openai", "APIStatusError"),
        *_types("ollama", "ResponseError"),
        *_types("httpx", "HTTPStatusError"),
    )
    if not isinstance(e, kinds):
        return None
    status = getattr(e, "status_code", None)
    if status is None:
        status = getattr(getattr(e, "response", None), "status_code", None)
    return status if isinstance(status, int) and status >= 0 else None
