"""Escaping and the small HTML pieces every panel shares (no gradio here).

Everything that comes from a document or a user is escaped before it is shown; nothing of it
is rendered as HTML.
"""

from __future__ import annotations

import html
import re

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#<>|~!$])")


def esc(value: object) -> str:
    """HTML-escape anything that came from a document or a user."""
    return html.escape(str(value), quote=True)


def chat_text(raw: str) -> str:
    """Text for the chat window (rendered as Markdown): no HTML, no Markdown syntax."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(raw, quote=False))


def render_notices(messages: list[str], *, warn: bool = False) -> str:
    """Calm notices; the messages may contain `code` in backticks, everything else escaped."""
    if not messages:
        return ""
    css = "pr-notice pr-warn" if warn else "pr-notice"
    return "".join(f"<div class='{css}'>{_code_spans(m)}</div>" for m in messages)


def _code_spans(message: str) -> str:
    parts = esc(message).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def html_list(title: str, items: list[str]) -> str:
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    return f"<p><strong>{esc(title)}</strong></p><ul>{lis}</ul>"


def clean_input(value: str | None) -> str:
    """Text typed by a user, safe to pass on: lone surrogates (invalid UTF-8 from a client)
    become "?" instead of failing deep inside the embedder."""
    return (value or "").encode("utf-8", errors="replace").decode("utf-8")
