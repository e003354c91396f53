"""Thumbs up/down on an answer, with an optional comment, stored in SQLite."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..feedback import FeedbackStore
from ..models import Answer, Turn
from ..ui_text import text
from .render import render_notices


class FeedbackPanel:
    """The comment box and status under the chat; the thumbs are the chatbot's own."""

    def __init__(self, store: FeedbackStore) -> None:
        self.store = store

    def build(self, lang: str) -> None:
        self.pending = gr.State(None)
        self.status = gr.HTML(elem_id="pr-feedback-status")
        self.comment = gr.Textbox(
            label=text(lang, "comment_up"), lines=2, visible=False, elem_id="pr-comment"
        )
        self.comment_btn = gr.Button(text(lang, "comment_send"), size="sm", visible=False)
        # for API clients: rate an answer without the like button
        self.rate_index = gr.Number(visible=False, precision=0)
        self.rate_value = gr.Number(visible=False, precision=0)
        self.rate_btn = gr.Button(visible=False)

    def wire(self, chatbot: gr.Chatbot, lang: gr.Radio, answers: gr.State) -> None:
        outputs = [answers, self.comment, self.pending, self.status]
        chatbot.like(
            self.like,
            [answers, lang],
            outputs,
            api_name="like",
            api_visibility="undocumented",  # needs the browser's like data
        ).then(
            lambda p: gr.update(visible=p is not None),
            [self.pending],
            [self.comment_btn],
            api_visibility="private",
        )
        self.rate_btn.click(
            self.rate,
            [self.rate_index, self.rate_value, self.comment, answers, lang],
            outputs,
            api_name="rate",
        )
        comment_outputs = [self.comment, self.pending, self.status]
        comment_in = [self.pending, self.comment, lang]
        hide = gr.update(visible=False)
        self.comment_btn.click(
            self.save_comment, comment_in, comment_outputs, api_name="comment"
        ).then(lambda: hide, None, [self.comment_btn], api_visibility="private")
        self.comment.submit(
            self.save_comment, comment_in, comment_outputs, api_visibility="private"
        ).then(lambda: hide, None, [self.comment_btn], api_visibility="private")

    def relabel_outputs(self) -> list[Any]:
        return [self.comment_btn]

    def relabel(self, lang: str) -> list[Any]:
        return [gr.update(value=text(lang, "comment_send"))]

    # --- handlers ----------------------------------------------------------------------
    def rate(
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
            return answers, gr.update(visible=False), None, status
        fid = rec.get("feedback_id")
        value = int(rating or 0)
        if value == 0:
            if fid is not None:
                self.store.delete(fid)
            answers[key] = {**rec, "feedback_id": None}
            status = render_notices([text(lang, "feedback_removed")])
            return answers, gr.update(visible=False), None, status
        if fid is not None and self.store.set_rating(fid, value):
            if comment and comment.strip():
                self.store.set_comment(fid, comment)
        else:
            answer = Answer.model_validate(rec["answer"])
            history = [Turn.model_validate(t) for t in rec["history"]]
            fid = self.store.record(rec["question"], history, answer, value, comment or None)
        answers[key] = {**rec, "feedback_id": fid}
        label = text(lang, "comment_up" if value > 0 else "comment_down")
        status = render_notices([text(lang, "feedback_saved")])
        box = gr.update(visible=True, label=label, value=comment or "")
        return answers, box, fid, status

    def like(self, answers: dict[str, Any] | None, lang: str, data: gr.LikeData) -> tuple[Any, ...]:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        liked = data.liked
        rating = 1 if liked is True else -1 if liked is False else 0
        if isinstance(liked, str) and liked:
            rating = 1 if liked.lower() == "like" else -1
        return self.rate(index, rating, None, answers, lang)

    def save_comment(self, feedback_id: int | None, comment: str, lang: str) -> tuple[Any, ...]:
        if feedback_id is not None and comment and comment.strip():
            self.store.set_comment(int(feedback_id), comment)
            return (
                gr.update(visible=False, value=""),
                None,
                render_notices([text(lang, "comment_saved")]),
            )
        return gr.update(visible=False, value=""), None, ""
