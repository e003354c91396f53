"""Prompts are files in ``prompts/``: ``name.lang.md`` (or ``name.md`` when the wording does
not differ by language), langchain f-string templates with ``{placeholders}``."""

from __future__ import annotations

from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from .errors import AssistantError

HISTORY = "history"


def prompt_path(name: str, lang: str, prompts_dir: Path) -> Path:
    """The file ``load_prompt`` would read: ``name.lang.md``, else ``name.md``."""
    specific = prompts_dir / f"{name}.{lang}.md"
    if specific.is_file():
        return specific
    generic = prompts_dir / f"{name}.md"
    if generic.is_file():
        return generic
    raise AssistantError(
        f"Prompt file {specific} not found (nor {generic.name}); "
        f"check ASSISTANT_PROMPTS_DIR ({prompts_dir})"
    )


def load_prompt(name: str, lang: str, prompts_dir: Path) -> str:
    """The template text of prompt ``name`` in language ``lang``, trailing whitespace removed."""
    return prompt_path(name, lang, prompts_dir).read_text(encoding="utf-8").strip()


def chat_prompt(
    system_name: str | None,
    human_name: str,
    lang: str,
    prompts_dir: Path,
    *,
    history: bool = True,
) -> ChatPromptTemplate:
    """System message, then (optionally) the earlier turns as ``history`` messages, then the
    human message. ``history`` may be left out when formatting: it defaults to no turns."""
    messages: list[tuple[str, str] | MessagesPlaceholder] = []
    if system_name is not None:
        messages.append(("system", load_prompt(system_name, lang, prompts_dir)))
    if history:
        messages.append(MessagesPlaceholder(HISTORY, optional=True))
    messages.append(("human", load_prompt(human_name, lang, prompts_dir)))
    return ChatPromptTemplate.from_messages(messages)
