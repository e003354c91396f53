"""Thumbs up/down on an answer, with an optional comment, stored in SQLite."""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from ..errors import AssistantError
from ..feedback import FeedbackStore
from ..models import Answer, Turn
from ..ui_text import text
from .render import clean_input, render_notices

MAX_COMMENT_CHARS = 2000
log = logging.getLogger(__name__)


class FeedbackPanel:
    """The thumbs are the chatbot's own; right under the chat, a one-line comment box appears
    after a rating. Enter or the button sends it, and leaving the box saves what was typed,
    so a comment is not lost when the user goes on to the next question."""

    def __init__(self, store: FeedbackStore) -> None:
        self.store = store

    def build(self, lang: str) -> None:
        self.pending = gr.State(None)
        with gr.Row(visible=False, elem_id="pr-comment-row", equal_height=True) as self.row:
            self.comment = gr.Textbox(
                label=text(lang, "comment_up"),
                placeholder=text(lang, "comment_up"),
                show_label=False,
                lines=1,
                max_lines=1,
                max_length=MAX_COMMENT_CHARS,
                scale=6,
                elem_id="pr-comment",
            )
            self.comment_btn = gr.Button(
                text(lang, "comment_send"),
                size="sm",
                scale=1,
                min_width=80,
                elem_id="pr-comment-send",
            )
        self.status = gr.HTML(elem_id="pr-feedback-status")
        # for API clients: rate an answer without the like button
        self.rate_index = gr.Number(visible=False, precision=0)
        self.rate_value = gr.Number(visible=False, precision=0)
        self.rate_btn = gr.Button(visible=False)

    def wire(self, chatbot: gr.Chatbot, lang: gr.Radio, answers: gr.State) -> None:
        outputs = [answers, self.row, self.comment, self.pending, self.status]
        chatbot.like(
            self.like,
            [answers, lang],
            outputs,
            api_name="like",
            api_visibility="undocumented",  # needs the browser's like data
        )
        self.rate_btn.click(
            self.rate,
            [self.rate_index, self.rate_value, self.comment, answers, lang],
            outputs,
            api_name="rate",
        )
        comment_outputs = [self.row, self.comment, self.pending, self.status]
        comment_in = [self.pending, self.comment, lang]
        self.comment_btn.click(self.save_comment, comment_in, comment_outputs, api_name="comment")
        self.comment.submit(
            self.save_comment, comment_in, comment_outputs, api_visibility="private"
        )
        self.comment.blur(self.keep_comment, comment_in, [self.status], api_visibility="private")

    def relabel_outputs(self) -> list[Any]:
        return [self.comment_btn]

    def relabel(self, lang: str) -> list[Any]:
        return [gr.update(value=text(lang, "comment_send"))]

    # --- handlers ----------------------------------------------------------------------
    def rate(self, *args: Any) -> tuple[Any, ...]:
        """``_rate``; a store that cannot be written (a damaged database) leaves the chat as it
        was and says so in the user's language; the details go to the log, not the user."""
        try:
            return self._rate(*args)
        except AssistantError as exc:
            log.error("feedback not stored: %s", exc)
            lang = args[-1]
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), self._unavailable(lang)

    def _unavailable(self, lang: str) -> Any:
        return render_notices([text(lang, "feedback_unavailable")])

    def _rate(
        self,
        index: float | int | None,
        rating: float | int | None,
        comment: str | None,
        answers: dict[str, Any] | None,
        lang: str,
    ) -> tuple[Any, ...]:
        """Thumbs up (+1) / down (-1) / taken back (0) on the assistant message at ``index``."""
        answers = dict(answers or {})
        key = str(int(index)) if index is not None else ""
        rec = answers.get(key)
        if rec is None:
            status = render_notices([text(lang, "feedback_only_answers")])
            return answers, gr.update(visible=False), gr.skip(), None, status
        fid = rec.get("feedback_id")
        value = int(rating or 0)
        if value not in (-1, 0, 1):
            status = render_notices([text(lang, "feedback_bad_rating")])
            return answers, gr.skip(), gr.skip(), gr.skip(), status
        if value == 0:
            if fid is not None:
                self.store.delete(fid)
            answers[key] = {**rec, "feedback_id": None}
            status = render_notices([text(lang, "feedback_removed")])
            return answers, gr.update(visible=False), gr.update(value=""), None, status
        comment = clean_input(comment).strip()[:MAX_COMMENT_CHARS] or None
        if fid is not None and self.store.set_rating(fid, value):
            if comment:
                self.store.set_comment(fid, comment)
        else:
            answer = Answer.model_validate(rec["answer"])
            history = [Turn.model_validate(t) for t in rec["history"]]
            fid = self.store.record(rec["question"], history, answer, value, comment)
        answers[key] = {**rec, "feedback_id": fid}
        label = text(lang, "comment_up" if value > 0 else "comment_down")
        status = render_notices([text(lang, "feedback_saved")])
        box = gr.update(label=label, placeholder=label, value=comment or "")
        return answers, gr.update(visible=True), box, fid, status

    def like(self, answers: dict[str, Any] | None, lang: str, data: gr.LikeData) -> tuple[Any, ...]:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        liked = data.liked
        rating = 1 if liked is True else -1 if liked is False else 0
        if isinstance(liked, str) and liked:
            rating = 1 if liked.lower() == "like" else -1
        return self.rate(index, rating, None, answers, lang)

    def save_comment(
        self, feedback_id: int | None, comment: str | None, lang: str
    ) -> tuple[Any, ...]:
        """Enter or the button: save the comment and close the box."""
        status = self.keep_comment(feedback_id, comment, lang)
        return gr.update(visible=False), gr.update(value=""), None, status

    def keep_comment(self, feedback_id: int | None, comment: str | None, lang: str) -> Any:
        """Save what is typed (also when the box loses focus); the status says so."""
        comment = clean_input(comment).strip()[:MAX_COMMENT_CHARS]
        if feedback_id is None or not comment:
            return gr.skip()
        try:
            self.store.set_comment(int(feedback_id), comment)
        except AssistantError as exc:
            log.error("comment not stored: %s", exc)
            return self._unavailable(lang)
        return render_notices([text(lang, "comment_saved")])
