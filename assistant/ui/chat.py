"""The chat tab: the conversation, the question box and its buttons, the sources panel."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from ..analysis import detect_language
from ..core import MAX_QUESTION_CHARS, MESSAGES, Assistant
from ..errors import AssistantError
from ..models import Answer, Turn
from ..ui_text import EXAMPLES, text
from .render import chat_text, clean_input, esc, render_notices
from .sources import answer_html, render_more, render_sources

log = logging.getLogger(__name__)


def answer_notices(answer: Answer, lang: str) -> list[str]:
    notes = list(answer.notices)
    if answer.refusal:
        notes.insert(0, text(lang, "notice_refusal"))
    return notes


class ChatPanel:
    """Components, events and handlers of the chat; ``answers`` (a ``gr.State``) maps the
    index of each assistant message to its question, history, answer and feedback id. Each
    answer carries its own sources under it (``sources.render_sources``)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    # --- components --------------------------------------------------------------------
    def build(self, lang: str, below_chat: Callable[[], None] | None = None) -> None:
        """The conversation (``below_chat`` adds the feedback row under it), the notice, the
        question box and one row of buttons."""
        t = lambda key: text(lang, key)  # noqa: E731
        self.chatbot = gr.Chatbot(
            label=t("chat_label"),
            show_label=False,
            height=520,
            placeholder=t("chat_placeholder"),
            examples=[{"text": q} for q in EXAMPLES],
            feedback_options=("Like", "Dislike"),
            latex_delimiters=[],
            buttons=[],
            elem_id="pr-chat",
        )
        if below_chat is not None:
            below_chat()
        self.notice = gr.HTML(elem_id="pr-notice")
        with gr.Row(elem_id="pr-ask"):
            self.msg = gr.Textbox(
                label=t("input_label"),
                placeholder=t("input_placeholder"),
                show_label=False,
                scale=6,
                lines=1,
                max_lines=6,
                autofocus=True,
                elem_id="pr-input",
            )
            self.send = gr.Button(t("send"), variant="primary", scale=1, min_width=80)
        with gr.Row(elem_id="pr-chat-buttons"):
            self.retry_btn = gr.Button(t("retry"), size="sm", variant="secondary", min_width=90)
            self.undo_btn = gr.Button(t("undo"), size="sm", variant="secondary", min_width=90)
            self.clear_btn = gr.Button(t("clear"), size="sm", variant="secondary", min_width=90)
        self.last_answer = gr.JSON(visible=False)

    # --- events ------------------------------------------------------------------------
    def wire(self, lang: gr.Radio, answers: gr.State) -> None:
        outputs = [self.msg, self.chatbot, self.notice, answers, self.last_answer]
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
        # one set of buttons: ours, labelled in the interface language (the chatbot's own
        # retry/undo/clear icons appear only when their events are wired, so they are not)
        retry_inputs = [self.chatbot, answers, lang]
        self.retry_btn.click(self.retry, retry_inputs, outputs, api_name="retry")
        self.undo_btn.click(self.undo, retry_inputs, outputs, api_name="undo")
        self.clear_btn.click(self.clear, [lang], outputs, api_name="clear")

    def relabel_outputs(self) -> list[Any]:
        return [self.chatbot, self.msg, self.send, self.retry_btn, self.undo_btn, self.clear_btn]

    def relabel(self, lang: str) -> list[Any]:
        return [
            gr.update(label=text(lang, "chat_label"), placeholder=text(lang, "chat_placeholder")),
            gr.update(label=text(lang, "input_label"), placeholder=text(lang, "input_placeholder")),
            gr.update(value=text(lang, "send")),
            gr.update(value=text(lang, "retry")),
            gr.update(value=text(lang, "undo")),
            gr.update(value=text(lang, "clear")),
        ]

    # --- handlers ----------------------------------------------------------------------
    @staticmethod
    def _turns(history: list[dict[str, Any]], answers: dict[str, Any]) -> list[Turn]:
        """The conversation as raw text, from the stored answers (the chat window holds
        HTML); a question whose answer failed is kept, the error message is not."""
        turns: list[Turn] = []
        for i, msg in enumerate(history):
            role = msg.get("role")
            if role == "assistant":
                rec = answers.get(str(i))
                if rec is not None and rec["answer"]["text"].strip():
                    turns.append(Turn(role="assistant", content=rec["answer"]["text"]))
            elif role == "user":
                rec = answers.get(str(i + 1))
                content = rec["question"] if rec else _unescape(_message_text(msg))
                if content.strip():
                    turns.append(Turn(role="user", content=content))
        return turns

    def _sections(self, answer: Answer) -> dict[str, str | None]:
        """The section heading of each cited passage: from the answer's hits, else the index."""
        sections: dict[str, str | None] = {h.chunk.id: h.chunk.section for h in answer.hits}
        snapshot = getattr(self.assistant, "snapshot", None)
        for c in [*answer.citations, *answer.more]:
            if c.chunk_id not in sections and snapshot is not None:
                chunk = snapshot.chunks.get(c.chunk_id)
                sections[c.chunk_id] = chunk.section if chunk else None
        return sections

    def message(self, answer: Answer, key: str, lang: str) -> str:
        """An answer as the chat shows it: the text with its markers as chips, and its own
        sources (collapsed) under it."""
        body = answer_html(answer.text, answer.citations, key)
        sections = self._sections(answer)
        sources = render_sources(
            answer.citations, lang, answer_key=key, sections=sections, refusal=answer.refusal
        )
        more = render_more(answer.more, lang, sections=sections)
        return f"<div class='pr-answer'>{body}</div>{sources}{more}"

    def respond(
        self,
        message: str,
        history: list[dict[str, Any]] | None,
        answers: dict[str, Any] | None,
        lang: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Outputs: the question box, the chat, the notice, the answers state, the answer.

        A question that cannot be asked (too long, no index) stays in the box with a message
        that says why; an answer that fails midway says so in the chat without thumbs, and
        the question goes back into the box."""
        history = list(history or [])
        answers = dict(answers or {})
        question = clean_input(message).strip()
        if not question:
            yield gr.skip(), history, "", answers, gr.skip()
            return
        if len(question) > MAX_QUESTION_CHARS:  # checked before it leaves the box
            too_long = MESSAGES["long_question"][detect_language(question)]
            yield message, history, render_notices([too_long], warn=True), answers, None
            return
        before = history
        turns = self._turns(history, answers)
        history = [
            *history,
            {"role": "user", "content": chat_text(question)},
            {"role": "assistant", "content": _progress(text(lang, "searching"))},
        ]
        yield "", history, "", answers, None
        streamed = ""
        final: Answer | None = None
        try:
            for piece in self.assistant.stream(question, turns):
                if isinstance(piece, Answer):
                    final = piece
                else:
                    streamed += piece
                    shown = answer_html(streamed, [], "") + _progress(text(lang, "writing"))
                    history = [*history[:-1], {"role": "assistant", "content": shown}]
                    yield "", history, gr.skip(), answers, None
        except AssistantError as exc:  # user-facing: say what happened and what to do
            notice = render_notices([str(exc)], warn=True)
            if not streamed:  # nothing was answered: the question goes back into the box
                yield question, before, notice, answers, None
                return
            history = [*history[:-1], {"role": "assistant", "content": _error(str(exc))}]
            yield question, history, notice, answers, None
            return
        except Exception:  # a bug: logged in full, the user sees a calm message
            log.exception("answering %r failed", question)
            history = [
                *history[:-1],
                {"role": "assistant", "content": _error(text(lang, "notice_error"))},
            ]
            notice = render_notices([text(lang, "notice_error")], warn=True)
            yield question, history, notice, answers, None
            return
        if final is None:  # a stream always ends with an Answer; be calm if it does not
            history = [
                *history[:-1],
                {"role": "assistant", "content": _error(text(lang, "notice_error"))},
            ]
            yield question, history, "", answers, None
            return
        index = len(history) - 1
        history = [
            *history[:-1],
            {"role": "assistant", "content": self.message(final, str(index), lang)},
        ]
        answers[str(index)] = {
            "question": question,
            "history": [t.model_dump() for t in turns],
            "answer": final.model_dump(mode="json"),
            "feedback_id": None,
        }
        answers["last"] = str(index)
        payload = final.model_dump(mode="json")
        notice = render_notices(answer_notices(final, lang), warn=bool(final.notices))
        yield "", history, notice, answers, payload

    def retry(
        self, history: list[dict[str, Any]] | None, answers: dict[str, Any] | None, lang: str
    ) -> Iterator[tuple[Any, ...]]:
        history = list(history or [])
        answers = dict(answers or {})
        last_user = _last_user_index(history)
        if last_user is None:
            yield gr.skip(), history, "", answers, gr.skip()
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
            return "", history, "", answers, None
        rec = answers.get(str(last_user + 1))
        question = rec["question"] if rec else _unescape(_message_text(history[last_user]))
        return question, history[:last_user], "", _prune(answers, last_user), None

    def clear(self, lang: str) -> tuple[Any, ...]:
        return "", [], "", {}, None


def _progress(label: str) -> str:
    return f"<p class='pr-progress' role='status'>{esc(label)}</p>"


def _error(message: str) -> str:
    """An error in the chat: marked so that it gets no thumbs (see the app's CSS)."""
    return f"<p class='pr-error' role='alert'>{esc(message)}</p>"


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
