"""The chat tab: the conversation, the question box and its buttons, the sources panel."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from ..core import Assistant
from ..errors import AssistantError
from ..models import Answer, Citation, Turn
from ..ui_text import EXAMPLES, text
from .render import chat_text, esc, render_notices
from .sources import render_sources

log = logging.getLogger(__name__)


def answer_notices(answer: Answer, lang: str) -> list[str]:
    notes = list(answer.notices)
    if answer.refusal:
        notes.insert(0, text(lang, "notice_refusal"))
    return notes


class ChatPanel:
    """Components, events and handlers of the chat; ``answers`` (a ``gr.State``) maps the
    index of each assistant message to its question, history, answer and feedback id."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    # --- components --------------------------------------------------------------------
    def build(self, lang: str, below: Callable[[], None] | None = None) -> None:
        """The chat column (``below`` adds more under its buttons) and the sources column."""
        t = lambda key: text(lang, key)  # noqa: E731
        with gr.Row():
            with gr.Column(scale=3):
                self.chatbot = gr.Chatbot(
                    label=t("chat_label"),
                    height=520,
                    placeholder=t("chat_placeholder"),
                    examples=[{"text": q} for q in EXAMPLES],
                    feedback_options=("Like", "Dislike"),
                    latex_delimiters=[],
                    buttons=["copy"],
                    elem_id="pr-chat",
                )
                self.notice = gr.HTML(elem_id="pr-notice")
                with gr.Row():
                    self.msg = gr.Textbox(
                        placeholder=t("input_placeholder"),
                        show_label=False,
                        scale=6,
                        lines=1,
                        max_lines=6,
                        autofocus=True,
                        elem_id="pr-input",
                    )
                    self.send = gr.Button(t("send"), variant="primary", scale=1, min_width=90)
                with gr.Row():
                    self.retry_btn = gr.Button(t("retry"), size="sm", variant="secondary")
                    self.undo_btn = gr.Button(t("undo"), size="sm", variant="secondary")
                    self.clear_btn = gr.Button(t("clear"), size="sm", variant="secondary")
                if below is not None:
                    below()
                self.last_answer = gr.JSON(visible=False)
            with gr.Column(scale=2, elem_id="pr-sources-col"):
                self.sources = gr.HTML(render_sources([], lang), elem_id="pr-sources")

    # --- events ------------------------------------------------------------------------
    def wire(self, lang: gr.Radio, answers: gr.State) -> None:
        outputs = [self.msg, self.chatbot, self.sources, self.notice, answers, self.last_answer]
        inputs = [self.msg, self.chatbot, answers, lang]
        self.msg.submit(self.respond, inputs, outputs, api_name="chat")
        self.send.click(
            self.respond, inputs, outputs, api_name="chat_button", api_visibility="undocumented"
        )

        def pick_example(data: gr.SelectData) -> str:
            value = data.value
            return value.get("text", "") if isinstance(value, dict) else str(value)

        self.chatbot.example_select(pick_example, None, self.msg, api_visibility="private").then(
            self.respond, inputs, outputs, api_visibility="private"
        )
        retry_inputs = [self.chatbot, answers, lang]
        self.retry_btn.click(self.retry, retry_inputs, outputs, api_name="retry")
        self.chatbot.retry(self.retry, retry_inputs, outputs, api_visibility="private")
        self.undo_btn.click(self.undo, retry_inputs, outputs, api_name="undo")
        self.chatbot.undo(self.undo, retry_inputs, outputs, api_visibility="private")
        self.clear_btn.click(self.clear, [lang], outputs, api_name="clear")
        self.chatbot.clear(self.clear, [lang], outputs, api_visibility="private")

    def relabel_outputs(self) -> list[Any]:
        return [self.chatbot, self.msg, self.send, self.retry_btn, self.undo_btn, self.clear_btn,
                self.sources]  # fmt: skip

    def relabel(self, lang: str, answers: dict[str, Any] | None) -> list[Any]:
        last = (answers or {}).get((answers or {}).get("last", ""), None)
        return [
            gr.update(label=text(lang, "chat_label"), placeholder=text(lang, "chat_placeholder")),
            gr.update(placeholder=text(lang, "input_placeholder")),
            gr.update(value=text(lang, "send")),
            gr.update(value=text(lang, "retry")),
            gr.update(value=text(lang, "undo")),
            gr.update(value=text(lang, "clear")),
            render_sources(_citations(last), lang),
        ]

    # --- handlers ----------------------------------------------------------------------
    @staticmethod
    def _turns(history: list[dict[str, Any]], answers: dict[str, Any]) -> list[Turn]:
        """The conversation as raw text: from the stored answers where possible (the chat
        window holds escaped text), else from the window with the escaping undone."""
        turns: list[Turn] = []
        for i, msg in enumerate(history):
            role = msg.get("role")
            if role not in ("user", "assistant"):
                continue
            rec = answers.get(str(i)) if role == "assistant" else answers.get(str(i + 1))
            if rec is not None:
                content = rec["answer"]["text"] if role == "assistant" else rec["question"]
            else:
                content = _unescape(_message_text(msg))
            if content.strip():
                turns.append(Turn(role=role, content=content))
        return turns

    def respond(
        self,
        message: str,
        history: list[dict[str, Any]] | None,
        answers: dict[str, Any] | None,
        lang: str,
    ) -> Iterator[tuple[Any, ...]]:
        history = list(history or [])
        answers = dict(answers or {})
        question = (message or "").strip()
        if not question:
            yield gr.skip(), history, gr.skip(), "", answers, gr.skip()
            return
        turns = self._turns(history, answers)
        history = [
            *history,
            {"role": "user", "content": chat_text(question)},
            {"role": "assistant", "content": chat_text(text(lang, "searching"))},
        ]
        hint = esc(text(lang, "searching"))
        searching = f"<div class='pr-sources'><p class='pr-hint'>{hint}</p></div>"
        yield "", history, searching, "", answers, None
        streamed = ""
        final: Answer | None = None
        try:
            for piece in self.assistant.stream(question, turns):
                if isinstance(piece, Answer):
                    final = piece
                else:
                    streamed += piece
                    history[-1] = {"role": "assistant", "content": chat_text(streamed)}
                    yield "", history, gr.skip(), "", answers, None
        except AssistantError as exc:  # user-facing: say what happened and what to do
            history[-1] = {"role": "assistant", "content": chat_text(str(exc))}
            notice = render_notices([str(exc)])
            yield "", history, render_sources([], lang), notice, answers, None
            return
        except Exception:  # a bug: logged in full, the user sees a calm message
            log.exception("answering %r failed", question)
            history[-1] = {"role": "assistant", "content": chat_text(text(lang, "notice_error"))}
            notice = render_notices([text(lang, "notice_error")], warn=True)
            yield "", history, render_sources([], lang), notice, answers, None
            return
        if final is None:  # a stream always ends with an Answer; be calm if it does not
            yield "", history, render_sources([], lang), "", answers, None
            return
        history[-1] = {"role": "assistant", "content": chat_text(final.text)}
        index = len(history) - 1
        answers[str(index)] = {
            "question": question,
            "history": [t.model_dump() for t in turns],
            "answer": final.model_dump(mode="json"),
            "feedback_id": None,
        }
        answers["last"] = str(index)
        payload = final.model_dump(mode="json")
        notice = render_notices(answer_notices(final, lang), warn=bool(final.notices))
        yield "", history, render_sources(final.citations, lang), notice, answers, payload

    def retry(
        self, history: list[dict[str, Any]] | None, answers: dict[str, Any] | None, lang: str
    ) -> Iterator[tuple[Any, ...]]:
        history = list(history or [])
        answers = dict(answers or {})
        last_user = _last_user_index(history)
        if last_user is None:
            yield gr.skip(), history, gr.skip(), "", answers, gr.skip()
            return
        rec = answers.get(str(last_user + 1))
        question = rec["question"] if rec else _unescape(_message_text(history[last_user]))
        yield from self.respond(question, history[:last_user], _prune(answers, last_user), lang)

    def undo(
        self, history: list[dict[str, Any]] | None, answers: dict[str, Any] | None, lang: str
    ) -> tuple[Any, ...]:
        history = list(history or [])
        answers = dict(answers or {})
        last_user = _last_user_index(history)
        if last_user is None:
            return "", history, render_sources([], lang), "", answers, None
        rec = answers.get(str(last_user + 1))
        question = rec["question"] if rec else _unescape(_message_text(history[last_user]))
        answers = _prune(answers, last_user)
        previous = answers.get(answers.get("last", ""), None)
        cites = _citations(previous)
        return question, history[:last_user], render_sources(cites, lang), "", answers, None

    def clear(self, lang: str) -> tuple[Any, ...]:
        return "", [], render_sources([], lang), "", {}, None


def _message_text(msg: dict[str, Any]) -> str:
    content = msg.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    return ""


def _unescape(shown: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", shown))


def _last_user_index(history: list[dict[str, Any]]) -> int | None:
    for i in range(len(history) - 1, -1, -1):
        if history[i].get("role") == "user":
            return i
    return None


def _prune(answers: dict[str, Any], keep_below: int) -> dict[str, Any]:
    kept = {k: v for k, v in answers.items() if k != "last" and int(k) < keep_below}
    if kept:
        kept["last"] = str(max(int(k) for k in kept))
    return kept


def _citations(rec: dict[str, Any] | None) -> list[Citation]:
    if not rec:
        return []
    return [Citation.model_validate(c) for c in rec["answer"].get("citations", [])]
