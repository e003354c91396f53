from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from assistant.citations import REFUSALS
from assistant.config import REPO_ROOT
from assistant.errors import AssistantError
from assistant.prompts import chat_prompt, load_prompt

PROMPTS = REPO_ROOT / "prompts"


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize(
    ("name", "variables"),
    [
        ("system", {"max_sentences"}),
        ("answer", {"documents", "question"}),
        ("rewrite", {"history", "question"}),
    ],
)
def test_every_prompt_exists_in_both_languages(name: str, variables: set[str], lang: str) -> None:
    assert (PROMPTS / f"{name}.{lang}.md").is_file()
    text = load_prompt(name, lang, PROMPTS)
    prompt = chat_prompt(None, name, lang, PROMPTS, history=False)
    assert set(prompt.input_variables) == variables, text


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_system_prompt_states_the_grounding_rules(lang: str) -> None:
    text = load_prompt("system", lang, PROMPTS)
    assert REFUSALS[lang].rstrip(".") in text  # the refusal the validator recognises
    assert "<document>" in text and "[1, 3]" in text
    assert ("svenska" if lang == "sv" else "English") in text


def test_load_prompt_prefers_the_language_then_falls_back(tmp_path: Path) -> None:
    (tmp_path / "greet.sv.md").write_text("Hej {name}\n", encoding="utf-8")
    (tmp_path / "greet.md").write_text("Hello {name}", encoding="utf-8")
    assert load_prompt("greet", "sv", tmp_path) == "Hej {name}"
    assert load_prompt("greet", "en", tmp_path) == "Hello {name}"


def test_a_missing_prompt_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match=r"nothing\.en\.md"):
        load_prompt("nothing", "en", tmp_path)


def test_chat_prompt_renders_system_history_and_question() -> None:
    prompt = chat_prompt("system", "answer", "sv", PROMPTS)
    messages = prompt.format_messages(
        documents='<document id="1">Kod: {x} och {{y}}</document>',
        question="Vad gäller?",
        max_sentences=3,
        history=[HumanMessage("Förra frågan"), AIMessage("Förra svaret")],
    )
    assert [type(m) for m in messages] == [SystemMessage, HumanMessage, AIMessage, HumanMessage]
    assert "högst 3 meningar" in messages[0].text
    # values are data: braces inside documents are not template fields
    assert "Kod: {x} och {{y}}" in messages[-1].text
    assert "Fråga: Vad gäller?" in messages[-1].text
    # history may be left out
    assert len(prompt.format_messages(documents="", question="q", max_sentences=4)) == 2
