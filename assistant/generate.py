"""LLM answers: the prompts, the retrieved chunks as numbered ``<document>`` elements, streaming.

Any failure of the chat model client becomes ``BackendUnavailable`` with a short, generic reason
in the question's language (never the server's own text, which may echo the API key), so the
caller can fall back to the extractive answer with a visible notice.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from .citations import strip_markers
from .errors import BackendUnavailable
from .llm import error_reason
from .models import Hit, Lang, Turn
from .prompts import HISTORY, chat_prompt

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
HISTORY_TURNS = 6  # earlier turns given to the answer prompt
REWRITE_TURNS = 4  # earlier turns shown to the rewriting prompt
REWRITE_TURN_CHARS = 400
ROLE_NAMES = {
    "sv": {"user": "Användare", "assistant": "Assistent"},
    "en": {"user": "User", "assistant": "Assistant"},
}
# "<document", "</document", "< / DOCUMENT" ... inside chunk text: would open or close a tag
_TAG = re.compile(r"<(\s*/?\s*document)", re.IGNORECASE)
_PREFIX = re.compile(
    r"^(?:fristående fråga|standalone question|omskriven fråga|rewritten question|fråga|question)"
    r"\s*:\s*",
    re.IGNORECASE,
)


def _attr(value: object) -> str:
    return html.escape(" ".join(str(value).split()), quote=True)


def neutralise(text: str) -> str:
    """Chunk text that cannot open or close a ``<document>`` element."""
    return _TAG.sub(r"&lt;\1", text)


def format_documents(hits: Sequence[Hit]) -> str:
    """The hits as ``<document id="n" ...>`` elements, numbered from 1 in the given order.

    The numbers are what the model cites and what ``citations.validate_answer`` checks."""
    parts = []
    for number, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        attrs = {
            "id": number,
            "title": chunk.meta.title,
            "organisation": chunk.meta.organisation,
            "date": chunk.meta.date,
            "page": chunk.page,
        }
        rendered = " ".join(f'{k}="{_attr(v)}"' for k, v in attrs.items() if v is not None)
        parts.append(f"<document {rendered}>\n{neutralise(chunk.text.strip())}\n</document>")
    return "\n\n".join(parts)


def history_messages(history: Sequence[Turn], limit: int = HISTORY_TURNS) -> list[BaseMessage]:
    """The latest ``limit`` turns as chat messages. Citation markers are removed from earlier
    answers: their numbers pointed at other documents than the ones given now."""
    out: list[BaseMessage] = []
    for turn in list(history)[-limit:] if limit else []:
        if turn.role == "user":
            out.append(HumanMessage(turn.content))
        else:
            out.append(AIMessage(strip_markers(turn.content)))
    return out


def build_messages(
    question: str,
    hits: Sequence[Hit],
    lang: str,
    history: Sequence[Turn],
    prompts_dir: Path,
    max_sentences: int = 4,
) -> list[BaseMessage]:
    """System prompt, earlier turns, then the documents and the question."""
    prompt = chat_prompt("system", "answer", lang, prompts_dir)
    return prompt.format_messages(
        documents=format_documents(hits),
        question=question.strip(),
        max_sentences=max_sentences,
        **{HISTORY: history_messages(history)},
    )


def stream_answer(
    chat_model: BaseChatModel,
    question: str,
    hits: Sequence[Hit],
    lang: str,
    history: Sequence[Turn],
    prompts_dir: Path,
    max_sentences: int = 4,
) -> Iterator[str]:
    """The model's answer as text pieces, as they arrive.

    Raises ``BackendUnavailable`` while iterating, possibly after some pieces were yielded:
    a caller that falls back should discard what it has shown."""
    messages = build_messages(question, hits, lang, history, prompts_dir, max_sentences)
    try:
        yield from drop_thinking(chunk.text for chunk in chat_model.stream(messages))
    except BackendUnavailable:
        raise
    except Exception as exc:  # any client failure: connection, timeout, HTTP status, parsing
        raise BackendUnavailable(error_reason(exc, lang), lang=_lang(lang)) from exc


def drop_thinking(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces without a leading ``<think>…</think>`` block (reasoning models), and
    without empty pieces."""
    buf, state = "", "start"  # start -> thinking -> answer
    for piece in pieces:
        if state == "answer":
            if piece:
                yield piece
            continue
        buf += piece
        if state == "start":
            head = buf.lstrip()
            if len(head) < len(THINK_OPEN) and THINK_OPEN.startswith(head):
                continue  # undecided (or nothing but whitespace yet)
            if not head.startswith(THINK_OPEN):
                state = "answer"
                yield buf
                continue
            state = "thinking"
        end = buf.find(THINK_CLOSE)
        if end >= 0:
            state, rest, buf = "answer", buf[end + len(THINK_CLOSE) :].lstrip(), ""
            if rest:
                yield rest
    if state == "start" and buf.strip():
        yield buf


def format_history(history: Sequence[Turn], lang: str, limit: int = REWRITE_TURNS) -> str:
    """Earlier turns as plain text lines for the rewriting prompt."""
    names = ROLE_NAMES.get(lang, ROLE_NAMES["en"])
    lines = []
    for turn in list(history)[-limit:] if limit else []:
        text = " ".join(strip_markers(turn.content).split())
        if len(text) > REWRITE_TURN_CHARS:
            text = text[:REWRITE_TURN_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"{names[turn.role]}: {text}")
    return "\n".join(lines)


def rewrite_with_llm(
    chat_model: BaseChatModel,
    question: str,
    history: Sequence[Turn],
    lang: str,
    prompts_dir: Path,
) -> str:
    """The follow-up ``question`` rewritten by the model into a standalone question.

    Without history the question is returned as it is, without calling the model. An empty or
    runaway reply also gives back the question. Raises ``BackendUnavailable``."""
    question = question.strip()
    if not history:
        return question
    prompt = chat_prompt(None, "rewrite", lang, prompts_dir, history=False)
    messages = prompt.format_messages(history=format_history(history, lang), question=question)
    try:
        reply = chat_model.invoke(messages)
    except Exception as exc:
        raise BackendUnavailable(error_reason(exc, lang), lang=_lang(lang)) from exc
    return clean_rewrite(reply.text, question)


def clean_rewrite(reply: str, question: str) -> str:
    """The first non-empty line of the reply, without a "Question:" label or quotes."""
    reply = "".join(drop_thinking([reply]))
    line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
    line = _PREFIX.sub("", line).strip().strip("\"'“”«»").strip()
    if not line or len(line) > max(300, 4 * len(question)):
        return question
    return line


def _lang(lang: str) -> Lang:
    return "sv" if lang == "sv" else "en"
