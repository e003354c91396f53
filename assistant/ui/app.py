"""The app that assembles the panels: header, language, tabs, and the server's launch.

One ``Assistant`` is created by the caller and shared by all sessions.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..config import Settings
from ..core import Assistant
from ..feedback import FeedbackStore
from ..ui_text import LANGUAGE_CHOICES, text
from .chat import ChatPanel
from .coach import CoachPanel
from .documents import DocumentsPanel
from .feedback import FeedbackPanel

CSS = """
.pr-sources { font-size: 0.95rem; line-height: 1.5; }
.pr-sources h3 { margin: 0 0 0.5rem 0; font-size: 1.05rem; }
.pr-sources .pr-hint { color: var(--body-text-color-subdued); }
.pr-source { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 0.6rem 0.8rem; margin-bottom: 0.7rem; background: var(--background-fill-primary); }
.pr-source-head { font-weight: 600; }
.pr-num { display: inline-block; min-width: 1.8em; color: var(--color-accent); }
.pr-meta { color: var(--body-text-color-subdued); font-size: 0.85rem; margin: 0.1rem 0 0.4rem; }
.pr-passage { white-space: pre-wrap; font-size: 0.9rem; }
.pr-passage mark { background: #fff1b8; color: inherit; padding: 0 2px; border-radius: 3px; }
.pr-notice { border-radius: 8px; padding: 0.6rem 0.9rem; margin: 0.3rem 0;
  background: #eef4fb; border: 1px solid #c9dcf2; color: #1e3a5f; }
.pr-notice.pr-warn { background: #fdf6e7; border-color: #f0dcae; color: #5c4410; }
.pr-upload ul { margin: 0.2rem 0 0.6rem 1.2rem; }
#pr-sources-col { max-height: 640px; overflow-y: auto; }
#pr-lang { align-self: flex-start; }
#pr-docs table, #pr-docs th, #pr-docs td { font-family: var(--font); }
"""


def build_app(assistant: Assistant, *, feedback: FeedbackStore | None = None) -> gr.Blocks:
    """The Gradio app over one shared ``Assistant``; feedback goes to ``settings.feedback_db``."""
    settings = assistant.settings
    lang0 = settings.ui_language
    chat = ChatPanel(assistant)
    rating = FeedbackPanel(feedback or FeedbackStore(settings.feedback_db))
    coach = CoachPanel(assistant)
    docs = DocumentsPanel(assistant)

    with gr.Blocks(title=text(lang0, "title"), analytics_enabled=False) as app:
        answers = gr.State({})
        with gr.Row(equal_height=True):
            header = gr.Markdown(text(lang0, "header"))
            lang = gr.Radio(
                LANGUAGE_CHOICES,
                value=lang0,
                label=text(lang0, "language"),
                show_label=False,
                container=False,
                scale=0,
                min_width=230,
                elem_id="pr-lang",
            )
        index_notice = gr.HTML()

        with gr.Tabs():
            with gr.Tab(text(lang0, "tab_chat"), id="chat") as tab_chat:
                chat.build(lang0, below=lambda: rating.build(lang0))
            with gr.Tab(text(lang0, "tab_coach"), id="coach") as tab_coach:
                coach.build(lang0)
            with gr.Tab(text(lang0, "tab_documents"), id="documents") as tab_docs:
                docs.build(lang0)

        chat.wire(lang, answers)
        rating.wire(chat.chatbot, lang, answers)
        coach.wire(lang)
        docs.wire(lang, index_notice)

        def refresh(language: str) -> tuple[Any, ...]:
            return (docs.documents_table(language), *docs.index_status(language))

        app.load(
            refresh,
            [lang],
            [docs.table, index_notice, docs.status_line],
            api_name="documents",
            show_progress="hidden",
        )

        def relabel(language: str, answers_: dict[str, Any] | None) -> list[Any]:
            return [
                text(language, "header"),
                gr.update(label=text(language, "language")),
                gr.update(label=text(language, "tab_chat")),
                gr.update(label=text(language, "tab_coach")),
                gr.update(label=text(language, "tab_documents")),
                *chat.relabel(language, answers_),
                *rating.relabel(language),
                *coach.relabel(language),
                *docs.relabel(language),
                *docs.index_status(language),
            ]

        lang.change(
            relabel,
            [lang, answers],
            [
                header,
                lang,
                tab_chat,
                tab_coach,
                tab_docs,
                *chat.relabel_outputs(),
                *rating.relabel_outputs(),
                *coach.relabel_outputs(),
                *docs.relabel_outputs(),
                index_notice,
                docs.status_line,
            ],
            api_name="set_language",
        )
    return app


def theme() -> gr.themes.Base:
    return gr.themes.Soft(
        primary_hue="teal",
        neutral_hue="slate",
        font=[gr.themes.LocalFont("Source Sans Pro"), "system-ui", "sans-serif"],
    )


def launch(
    assistant: Assistant,
    settings: Settings | None = None,
    *,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
) -> gr.Blocks:
    """Serve the app on ``settings.host:settings.port`` with the queue and optional login."""
    settings = settings or assistant.settings
    app = build_app(assistant)
    app.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue)
    auth = None
    if settings.auth_user and settings.auth_password:
        auth = (settings.auth_user, settings.auth_password.get_secret_value())
    app.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        max_threads=max(40, 4 * settings.concurrency_limit),
        max_file_size=int(settings.upload_max_mb * 1024 * 1024),
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        share=False,
        inbrowser=False,
        show_error=False,
        ssr_mode=False,
        mcp_server=False,
        enable_monitoring=False,
        footer_links=["settings"],
        theme=theme(),
        css=CSS,
    )
    return app
