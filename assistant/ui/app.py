"""The app that assembles the panels: header and language, the tabs, and the server's launch.

One ``Assistant`` is created by the caller and shared by all sessions. The chat is open to
everyone who can reach the app (or who passed its login, with ``ASSISTANT_AUTH_*``); the
documents tab opens only after the administrator login in the settings tab.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

import gradio as gr

from ..config import Settings
from ..core import Assistant
from ..feedback import FeedbackStore, open_store
from ..ui_text import LANGUAGE_CHOICES, text
from .chat import ChatPanel
from .coach import CoachPanel
from .documents import DocumentsPanel
from .feedback import FeedbackPanel
from .login import LoginThrottle, app_auth
from .settings import SettingsPanel

log = logging.getLogger(__name__)

UPLOAD_CACHE_SECONDS = 3600  # gradio's copies of uploads and downloads older than this go
# Gradio keeps each session (every page load, every API client) in memory, about 100 kB with
# this app's components before any chat, and frees none when the browser goes away: only the
# oldest beyond this many are dropped (gradio's default is 10,000: about 1 GB). A session
# dropped here was idle while this many others were used; its next click starts afresh.
SESSION_CAPACITY = 500

CSS = """
#pr-head { flex-wrap: wrap; align-items: flex-start; }
#pr-head h2 { overflow-wrap: normal; word-break: normal; hyphens: none; margin-bottom: 0.2rem; }
.pr-answer p { margin: 0 0 0.5rem 0; }
.pr-answer blockquote { margin: 0.3rem 0; padding-left: 0.7rem;
  border-left: 3px solid var(--border-color-primary); }
.pr-chip { display: inline-block; border: 1px solid var(--color-accent); border-radius: 6px;
  padding: 0 0.3em; margin: 0 0.1em; font-size: 0.85em; line-height: 1.4; cursor: pointer;
  color: var(--color-accent); background: transparent; font-weight: 600; }
.pr-chip:hover, .pr-chip:focus-visible { background: var(--color-accent); color: #fff; }
details.pr-sources, details.pr-readmore { margin-top: 0.6rem; font-size: 0.92rem;
  line-height: 1.5; }
details.pr-sources > summary { cursor: pointer; font-weight: 600; color: var(--color-accent); }
details.pr-readmore > summary { cursor: pointer; font-weight: 600;
  color: var(--body-text-color-subdued); }
details.pr-nearby > summary { color: var(--body-text-color-subdued); }
.pr-source { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 0.5rem 0.7rem; margin: 0.5rem 0; background: var(--background-fill-primary); }
.pr-source-head { font-weight: 600; }
.pr-meta { color: var(--body-text-color-subdued); font-size: 0.85rem; margin: 0 0 0.3rem; }
.pr-excerpt { border-radius: 6px; padding: 0.2rem 0.3rem; margin: 0.2rem -0.3rem; }
.pr-excerpt.pr-flash { outline: 2px solid var(--color-accent); }
.pr-where { font-size: 0.85rem; color: var(--body-text-color-subdued); }
.pr-num { display: inline-block; min-width: 1.8em; color: var(--color-accent); font-weight: 600; }
.pr-passage { font-size: 0.9rem; overflow-wrap: anywhere; }
.pr-passage mark { background: #fff1b8; color: inherit; padding: 0 2px; border-radius: 3px; }
details.pr-more > summary { cursor: pointer; font-size: 0.85rem; }
.pr-progress { color: var(--body-text-color-subdued); font-style: italic; }
.pr-error { color: #8a3b00; }
/* one set of buttons: the chatbot's own clear icon is hidden (the "Nytt samtal" button) */
#pr-chat .icon-button-wrapper.top-panel { display: none; }
/* an error is not an answer: no thumbs on it */
#pr-chat .message-row:has(.pr-error, .pr-progress) .message-buttons,
#pr-chat .message-row:has(.pr-error, .pr-progress) + .message-buttons { display: none !important; }
.pr-notice { border-radius: 8px; padding: 0.6rem 0.9rem; margin: 0.3rem 0;
  background: #eef4fb; border: 1px solid #c9dcf2; color: #1e3a5f; }
.pr-notice.pr-warn { background: #fdf6e7; border-color: #f0dcae; color: #5c4410; }
.pr-upload ul { margin: 0.2rem 0 0.6rem 1.2rem; }
#pr-docs, #pr-docs * { font-family: var(--font) !important; }
@media (max-width: 640px) {
  #pr-head h2 { font-size: 1.35rem; }
  #pr-chat { height: 62vh !important; }
  .gradio-container { padding-left: 6px !important; padding-right: 6px !important; }
}
"""

# A citation chip opens its answer's sources and points at the excerpt it cites. Gradio
# renders chat messages itself, so one listener on the document handles every chip.
HEAD = """
<script>
document.addEventListener("click", (event) => {
  const chip = event.target.closest && event.target.closest(".pr-chip");
  if (!chip) return;
  event.preventDefault();
  const answer = [...chip.classList].find((c) => /^pr-a\\d+$/.test(c));
  const cite = [...chip.classList].find((c) => /^pr-c\\d+$/.test(c));
  const list = answer && document.querySelector(`#pr-chat details.pr-sources.${answer}`);
  if (!list || !cite) return;
  list.open = true;
  const target = list.querySelector(`.pr-excerpt.${cite}`);
  if (!target) return;
  document.querySelectorAll("#pr-chat .pr-flash").forEach((el) => el.classList.remove("pr-flash"));
  target.classList.add("pr-flash");
  target.scrollIntoView({block: "nearest", behavior: "smooth"});
  target.focus({preventScroll: true});
});
// gradio labels each message with its raw content (HTML, escaped Markdown): screen readers
// should read the message itself, where a chip reads "[1]". Gradio's own labels that it does
// not translate get the interface language (set only when different: the observer sees its
// own changes).
const PR_SV = {
  "More tabs": "Fler flikar", "Liked": "Gillad", "Disliked": "Ogillad",
  "Copy table data": "Kopiera tabellen", "Fullscreen": "Helskärm",
  "Exit fullscreen mode": "Lämna helskärm", "Open cell menu": "Öppna cellmenyn",
  "Table actions": "Tabellåtgärder", "chatbot conversation": "Samtal",
  "Gradio footer navigation": "Sidfot", "File upload": "Filuppladdning",
  "Click to upload or drop files": "Klicka för att ladda upp, eller släpp filer här",
};
const PR_EN = Object.fromEntries(Object.entries(PR_SV).map(([en, sv]) => [sv, en]));
new MutationObserver(() => {
  document.querySelectorAll("#pr-chat [data-testid][aria-label]").forEach((m) => {
    if (m.dataset.testid === "bot" || m.dataset.testid === "user") m.removeAttribute("aria-label");
  });
  document.querySelectorAll("#pr-chat button.example[aria-label^='Select example']")
    .forEach((b) => b.removeAttribute("aria-label"));  // read the example question itself
  const words = document.querySelector("#pr-lang input[value='en']:checked") ? PR_EN : PR_SV;
  for (const name of ["aria-label", "title"]) {
    document.querySelectorAll(`[${name}]`).forEach((el) => {
      const label = words[el.getAttribute(name)];
      if (label) el.setAttribute(name, label);
    });
  }
}).observe(document.documentElement, {
  childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label", "title"],
});
</script>
"""


def build_app(assistant: Assistant, *, feedback: FeedbackStore | None = None) -> gr.Blocks:
    """The Gradio app over one shared ``Assistant``; feedback goes to ``settings.feedback_db``."""
    settings = assistant.settings
    lang0 = settings.ui_language
    chat = ChatPanel(assistant)
    rating = FeedbackPanel(feedback or open_store(settings))
    coach = CoachPanel(assistant)
    docs = DocumentsPanel(assistant)
    admin = SettingsPanel(settings)

    with gr.Blocks(
        title=text(lang0, "title"),
        analytics_enabled=False,
        delete_cache=(UPLOAD_CACHE_SECONDS, UPLOAD_CACHE_SECONDS),
    ) as app:
        answers = gr.State({})
        with gr.Row(elem_id="pr-head", equal_height=False):
            with gr.Column(scale=5, min_width=280):
                header = gr.Markdown(text(lang0, "header"), elem_id="pr-header")
            with gr.Column(scale=1, min_width=200):
                lang = gr.Radio(
                    LANGUAGE_CHOICES,
                    value=lang0,
                    label=text(lang0, "language"),
                    show_label=False,
                    container=False,
                    elem_id="pr-lang",
                )
        index_notice = gr.HTML()

        with gr.Tabs():
            with gr.Tab(text(lang0, "tab_chat"), id="chat") as tab_chat:
                chat.build(lang0, below_chat=lambda: rating.build(lang0))
            with gr.Tab(text(lang0, "tab_coach"), id="coach") as tab_coach:
                coach.build(lang0)
            with gr.Tab(text(lang0, "tab_settings"), id="settings") as tab_settings:
                admin.build(lang0)
            with gr.Tab(text(lang0, "tab_documents"), id="documents", visible=False) as tab_docs:
                docs.build(lang0)

        chat.wire(lang, answers)
        rating.wire(chat.chatbot, lang, answers)
        coach.wire(lang)
        admin.wire(lang, tab_docs)
        docs.wire(lang, admin.admin, index_notice)

        def refresh(language: str) -> tuple[Any, ...]:
            _notice, line = docs.index_status(language)
            return (docs.documents_table(language), _notice, line, docs.remove_choices())

        app.load(
            refresh,
            [lang],
            [docs.table, index_notice, docs.status_line, docs.to_remove],
            api_name="documents",
            show_progress="hidden",
        )

        def relabel(language: str) -> list[Any]:
            return [
                text(language, "header"),
                gr.update(label=text(language, "language")),
                gr.update(label=text(language, "tab_chat")),
                gr.update(label=text(language, "tab_coach")),
                gr.update(label=text(language, "tab_settings")),
                gr.update(label=text(language, "tab_documents")),
                *chat.relabel(language),
                *rating.relabel(language),
                *coach.relabel(language),
                *admin.relabel(language),
                *docs.relabel(language),
                *docs.index_status(language),
            ]

        lang.change(
            relabel,
            [lang],
            [
                header,
                lang,
                tab_chat,
                tab_coach,
                tab_settings,
                tab_docs,
                *chat.relabel_outputs(),
                *rating.relabel_outputs(),
                *coach.relabel_outputs(),
                *admin.relabel_outputs(),
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


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(settings: Settings) -> str | None:
    """A warning when the app listens beyond this machine without a login."""
    if is_loopback(settings.host) or (settings.auth_user and settings.auth_password):
        return None
    return (
        f"Warning: serving on {settings.host}:{settings.port} without a login: anyone who can "
        "reach this address can use the chat. Set ASSISTANT_AUTH_USER and "
        "ASSISTANT_AUTH_PASSWORD, or serve on 127.0.0.1 behind a proxy that asks for one."
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
    warning = exposure_warning(settings)
    if warning:
        log.warning(warning)  # on stderr also when logging is not configured
    app = build_app(assistant)
    app.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue)
    auth = None
    if settings.auth_user and settings.auth_password:
        password = settings.auth_password.get_secret_value()
        auth = app_auth(settings.auth_user, password, LoginThrottle())
    app.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,  # type: ignore[arg-type]  # gradio awaits a coroutine function too
        max_threads=max(40, 4 * settings.concurrency_limit),
        state_session_capacity=SESSION_CAPACITY,
        max_file_size=int(settings.upload_max_mb * 1024 * 1024),
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        share=False,
        inbrowser=False,
        show_error=False,
        ssr_mode=False,
        mcp_server=False,
        enable_monitoring=False,
        footer_links=[],  # one "Inställningar": the settings tab (gradio's own would be a second)
        theme=theme(),
        css=CSS,
        head=HEAD,
    )
    return app
