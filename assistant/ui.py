"""The chat application (the one module that imports gradio).

Three tabs: *Fråga* (streaming chat with a sources panel and thumbs up/down), *Coachunderlag*
(session packs as Markdown and .docx) and *Dokument* (what is indexed; upload and re-index).
One ``Assistant`` is created by the caller and shared by all sessions. Everything that comes
from a document or a user is escaped before it is shown; nothing of it is rendered as HTML.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from .citations import ELLIPSIS
from .coach import TOPICS, build_pack, to_docx, to_markdown
from .config import Settings
from .core import Assistant
from .errors import AssistantError
from .feedback import FeedbackStore
from .models import Answer, Citation, IngestReport, Turn
from .ui_text import EXAMPLES, LANGUAGE_CHOICES, text

log = logging.getLogger(__name__)

UPLOAD_TYPES = (".pdf", ".docx", ".md", ".txt", ".html", ".htm")
_HEADING_MARK = re.compile(r"(?m)^((?:<mark>)?)#{1,6} ")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#<>|~!$])")

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


# --- escaping and rendering (pure functions, tested without a browser) ---------------------


def esc(value: object) -> str:
    """HTML-escape anything that came from a document or a user."""
    return html.escape(str(value), quote=True)


def chat_text(raw: str) -> str:
    """Text for the chat window (rendered as Markdown): no HTML, no Markdown syntax."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(raw, quote=False))


def _highlight(c: Citation) -> str:
    """The passage with each quoted piece in ``<mark>``; every piece escaped."""
    passage = c.passage
    ranges: list[tuple[int, int]] = []
    pos = max(0, c.start - c.passage_start)
    for piece in c.quote.split(ELLIPSIS):
        piece = piece.strip()
        if not piece:
            continue
        found = passage.find(piece, pos)
        if found < 0:
            found = passage.find(piece)
        if found >= 0:
            ranges.append((found, found + len(piece)))
            pos = found + len(piece)
    if not ranges:  # fall back to the span the citation reports
        a, b = c.start - c.passage_start, c.end - c.passage_start
        ranges = [(a, b)] if 0 <= a < b <= len(passage) else []
    out: list[str] = []
    cur = 0
    for a, b in sorted(ranges):
        if a < cur:
            continue
        out.append(esc(passage[cur:a]))
        out.append(f"<mark>{esc(passage[a:b])}</mark>")
        cur = b
    out.append(esc(passage[cur:]))
    # Markdown heading marks ("## Rubrik") are noise to a reader; the text stays as it is
    return _HEADING_MARK.sub(r"\1", "".join(out))


def render_sources(citations: list[Citation], lang: str) -> str:
    """The sources panel: number, title, organisation, date, page and the highlighted passage."""
    head = f"<h3>{esc(text(lang, 'sources'))}</h3>"
    if not citations:
        hint = f"<p class='pr-hint'>{esc(text(lang, 'sources_empty'))}</p>"
        return f"<div class='pr-sources'>{head}{hint}</div>"
    items = []
    for c in citations:
        meta = [c.organisation or "", c.date or text(lang, "no_date")]
        if c.page is not None:
            meta.append(f"{text(lang, 'page')} {c.page}")
        items.append(
            f"<div class='pr-source' id='pr-source-{c.number}'>"
            f"<div class='pr-source-head'><span class='pr-num'>[{c.number}]</span>"
            f"{esc(c.title)}</div>"
            f"<div class='pr-meta'>{esc(' · '.join(m for m in meta if m))}</div>"
            f"<div class='pr-passage'>{_highlight(c)}</div></div>"
        )
    return f"<div class='pr-sources'>{head}{''.join(items)}</div>"


def render_notices(messages: list[str], *, warn: bool = False) -> str:
    """Calm notices; the messages may contain `code` in backticks, everything else escaped."""
    if not messages:
        return ""
    css = "pr-notice pr-warn" if warn else "pr-notice"
    return "".join(f"<div class='{css}'>{_code_spans(m)}</div>" for m in messages)


def _code_spans(message: str) -> str:
    parts = esc(message).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def answer_notices(answer: Answer, lang: str) -> list[str]:
    notes = list(answer.notices)
    if answer.refusal:
        notes.insert(0, text(lang, "notice_refusal"))
    return notes


# --- uploads (no gradio) -----------------------------------------------------------------


def safe_filename(name: str) -> str:
    """The last path part of ``name``, with only letters, digits, ``-``, ``_`` and ``.``:
    no directories, no hidden files, a lower-case extension, at most 120 characters."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").split("/")[-1])
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"\s+", "_", stem.strip())
    stem = re.sub(r"[^\w\-.]+", "_", stem)
    stem = re.sub(r"_{2,}", "_", stem).strip("._-")[:100] or "dokument"
    ext = re.sub(r"[^\w]+", "", ext).lower()[:10]
    return f"{stem}.{ext}" if ext else stem


def store_upload(src: Path, dest_dir: Path, name: str) -> tuple[Path, str]:
    """Copy ``src`` into ``dest_dir`` as ``safe_filename(name)``; never overwrite.

    Returns the stored path and what happened: ``"saved"``, ``"same"`` (a file with the same
    name and bytes is already there) or ``"renamed"`` (a different file had the name, so this
    one got ``name-2.ext``, ``name-3.ext`` …). Raises ``AssistantError`` for a path that would
    end up outside ``dest_dir``."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    root = dest_dir.resolve()
    filename = safe_filename(name)
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    data = Path(src).read_bytes()
    for n in range(1, 1000):
        candidate = filename if n == 1 else f"{stem}-{n}{'.' + ext if ext else ''}"
        target = (root / candidate).resolve()
        if target.parent != root:
            raise AssistantError(f"{name}: refusing to save outside {root}")
        if target.exists() or target.is_symlink():
            if target.is_file() and target.read_bytes() == data:
                return target, "same"
            continue
        try:
            with target.open("xb") as out:
                out.write(data)
        except FileExistsError:
            continue
        return target, "saved" if n == 1 else "renamed"
    raise AssistantError(f"{name}: too many files with this name")


def ingest_paths(settings: Settings) -> list[Path]:
    """The corpus paths, plus the upload folder when it lies outside them (ingest removes
    documents that are not under the paths it is given)."""
    paths = [Path(p) for p in settings.corpus_paths]
    docs = settings.documents_dir.resolve()
    if not any(docs == p.resolve() or p.resolve() in docs.parents for p in paths):
        paths.append(settings.documents_dir)
    return paths


# --- the application ---------------------------------------------------------------------


class _Handlers:
    """The event handlers, holding the shared assistant and feedback store."""

    def __init__(self, assistant: Assistant, store: FeedbackStore) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.store = store

    # --- chat ------------------------------------------------------------------------------
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

    # --- feedback --------------------------------------------------------------------------
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

    def comment(self, feedback_id: int | None, comment: str, lang: str) -> tuple[Any, ...]:
        if feedback_id is not None and comment and comment.strip():
            self.store.set_comment(int(feedback_id), comment)
            return (
                gr.update(visible=False, value=""),
                None,
                render_notices([text(lang, "comment_saved")]),
            )
        return gr.update(visible=False, value=""), None, ""

    # --- coach -----------------------------------------------------------------------------
    def coach(self, topic_id: str | None, free: str | None, lang: str) -> tuple[Any, ...]:
        topic = (free or "").strip() or (topic_id or "")
        hidden = gr.update(visible=False, value=None)
        if not topic:
            return text(lang, "coach_empty"), hidden, hidden
        try:
            pack = build_pack(self.assistant, topic, "en" if lang == "en" else "sv")
        except AssistantError as exc:
            return render_notices([str(exc)], warn=True), hidden, hidden
        markdown = to_markdown(pack)
        out_dir = _pack_dir()
        slug = re.sub(r"[^\w]+", "-", pack.title.lower()).strip("-")[:60] or "pack"
        base = f"{text(lang, 'coach_file')}-{slug}"
        md_path = out_dir / f"{base}.md"
        md_path.write_text(markdown, encoding="utf-8")
        docx_path = to_docx(pack, out_dir / f"{base}.docx")
        return (
            markdown,
            gr.update(value=str(md_path), visible=True),
            gr.update(value=str(docx_path), visible=True),
        )

    # --- documents -------------------------------------------------------------------------
    def documents_table(self, lang: str) -> pd.DataFrame:
        cols = (
            "col_title",
            "col_org",
            "col_date",
            "col_kind",
            "col_lang",
            "col_chunks",
            "col_file",
        )
        rows = [
            [
                d.meta.title,
                d.meta.organisation or "",
                d.meta.date or "",
                d.meta.kind or "",
                d.meta.language,
                d.chunks,
                d.id,
            ]
            for d in sorted(self.assistant.documents(), key=lambda d: d.meta.title.lower())
        ]
        return pd.DataFrame(rows, columns=[text(lang, c) for c in cols])

    def index_status(self, lang: str) -> tuple[str, str]:
        """(notice for the chat tab, status line for the documents tab)."""
        try:
            status = self.assistant.status()
        except AssistantError as exc:
            return render_notices([str(exc)], warn=True), ""
        line = text(lang, "status_line", documents=status.documents, chunks=status.chunks)
        if status.documents == 0:
            return render_notices([text(lang, "notice_empty_index")]), line
        if status.stale:
            line += " " + text(lang, "status_stale")
        return "", line

    def upload(
        self, files: list[str] | None, lang: str, progress: Callable[..., Any] | None = None
    ) -> tuple[Any, ...]:
        if not files:
            result = render_notices([text(lang, "no_files")])
            return (result, gr.skip(), *self.index_status(lang), gr.skip())
        lines: list[tuple[str, str]] = []
        stored: list[Path] = []
        limit = self.settings.upload_max_mb
        for f in files:
            src = Path(f if isinstance(f, str) else getattr(f, "name", str(f)))
            name = src.name
            if Path(safe_filename(name)).suffix.lower() not in UPLOAD_TYPES:
                lines.append((name, text(lang, "up_bad_type", types=", ".join(UPLOAD_TYPES))))
                continue
            size_mb = src.stat().st_size / (1024 * 1024)
            if size_mb > limit:
                lines.append((name, text(lang, "up_too_big", size=size_mb, max_mb=f"{limit:g}")))
                continue
            try:
                target, what = store_upload(src, self.settings.documents_dir, name)
            except (AssistantError, OSError) as exc:
                lines.append((name, text(lang, "up_failed", reason=str(exc))))
                continue
            stored.append(target)
            if what == "renamed":
                lines.append((name, text(lang, "up_renamed", name=target.name)))
            else:
                lines.append((name, text(lang, "up_saved" if what == "saved" else "up_same")))
        return self._ingest(lang, progress, lines)

    def reindex(self, lang: str, progress: Callable[..., Any] | None = None) -> tuple[Any, ...]:
        return self._ingest(lang, progress, [])

    def _ingest(
        self, lang: str, progress: Callable[..., Any] | None, lines: list[tuple[str, str]]
    ) -> tuple[Any, ...]:
        def on_progress(stage: str, done: int, total: int) -> None:
            if progress is not None and total:
                label = text(lang, f"stage_{stage}") if f"stage_{stage}" in _STAGES else stage
                progress((done, total), desc=label)

        parts: list[str] = []
        if lines:
            parts.append(_html_list(text(lang, "res_uploads"), [f"{n}: {m}" for n, m in lines]))
        try:
            report = self.assistant.ingest(ingest_paths(self.settings), progress=on_progress)
        except AssistantError as exc:
            parts.append(render_notices([text(lang, "res_error"), str(exc)], warn=True))
        else:
            parts.append(_report_html(report, lang))
        result = f"<div class='pr-upload'>{''.join(parts)}</div>"
        return (result, self.documents_table(lang), *self.index_status(lang), None)


_STAGES = {"stage_load", "stage_embed", "stage_sentences", "stage_index"}
_PACK_TTL_SECONDS = 3600


def _pack_dir() -> Path:
    """A fresh folder for one pack's downloads under the temp dir (gradio serves files from
    there); folders older than an hour are removed on the way."""
    base = Path(tempfile.gettempdir()) / "produktionsradgivaren-coach"
    base.mkdir(exist_ok=True)
    cutoff = time.time() - _PACK_TTL_SECONDS
    for old in base.iterdir():
        with contextlib.suppress(OSError):
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=base))


def _report_html(report: IngestReport, lang: str) -> str:
    parts = []
    for key, items in (
        ("res_added", report.added),
        ("res_updated", report.updated),
        ("res_removed", report.removed),
    ):
        if items:
            parts.append(_html_list(text(lang, key), items))
    if report.failures:
        failures = [f"{f.path}: {f.reason}" for f in report.failures]
        parts.append(
            f"<div class='pr-notice pr-warn'>{_html_list(text(lang, 'res_failures'), failures)}"
            "</div>"
        )
    if report.unchanged:
        parts.append(f"<p>{esc(text(lang, 'res_unchanged', n=len(report.unchanged)))}</p>")
    parts.append(
        f"<p>{esc(text(lang, 'res_summary', seconds=report.seconds, chunks=report.chunks))}</p>"
    )
    return "".join(parts)


def _html_list(title: str, items: list[str]) -> str:
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    return f"<p><strong>{esc(title)}</strong></p><ul>{lis}</ul>"


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


def _topic_choices(lang: str) -> list[tuple[str, str]]:
    return [(t.label("en" if lang == "en" else "sv"), t.id) for t in TOPICS]


def build_app(assistant: Assistant, *, feedback: FeedbackStore | None = None) -> gr.Blocks:
    """The Gradio app over one shared ``Assistant``; feedback goes to ``settings.feedback_db``."""
    settings = assistant.settings
    h = _Handlers(assistant, feedback or FeedbackStore(settings.feedback_db))
    lang0 = settings.ui_language

    def t(key: str, **values: object) -> str:
        return text(lang0, key, **values)

    with gr.Blocks(title=t("title"), analytics_enabled=False) as app:
        answers = gr.State({})
        pending = gr.State(None)
        with gr.Row(equal_height=True):
            header = gr.Markdown(t("header"))
            lang = gr.Radio(
                LANGUAGE_CHOICES,
                value=lang0,
                label=t("language"),
                show_label=False,
                container=False,
                scale=0,
                min_width=230,
                elem_id="pr-lang",
            )
        index_notice = gr.HTML()

        with gr.Tabs():
            with gr.Tab(t("tab_chat"), id="chat") as tab_chat, gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label=t("chat_label"),
                        height=520,
                        placeholder=t("chat_placeholder"),
                        examples=[{"text": q} for q in EXAMPLES],
                        feedback_options=("Like", "Dislike"),
                        latex_delimiters=[],
                        buttons=["copy"],
                        elem_id="pr-chat",
                    )
                    notice = gr.HTML(elem_id="pr-notice")
                    with gr.Row():
                        msg = gr.Textbox(
                            placeholder=t("input_placeholder"),
                            show_label=False,
                            scale=6,
                            lines=1,
                            max_lines=6,
                            autofocus=True,
                            elem_id="pr-input",
                        )
                        send = gr.Button(t("send"), variant="primary", scale=1, min_width=90)
                    with gr.Row():
                        retry_btn = gr.Button(t("retry"), size="sm", variant="secondary")
                        undo_btn = gr.Button(t("undo"), size="sm", variant="secondary")
                        clear_btn = gr.Button(t("clear"), size="sm", variant="secondary")
                    feedback_status = gr.HTML(elem_id="pr-feedback-status")
                    comment = gr.Textbox(
                        label=t("comment_up"), lines=2, visible=False, elem_id="pr-comment"
                    )
                    comment_btn = gr.Button(t("comment_send"), size="sm", visible=False)
                    # for API clients: rate an answer without the like button
                    rate_index = gr.Number(visible=False, precision=0)
                    rate_value = gr.Number(visible=False, precision=0)
                    rate_btn = gr.Button(visible=False)
                    last_answer = gr.JSON(visible=False)
                with gr.Column(scale=2, elem_id="pr-sources-col"):
                    sources = gr.HTML(render_sources([], lang0), elem_id="pr-sources")

            with gr.Tab(t("tab_coach"), id="coach") as tab_coach:
                coach_intro = gr.Markdown(t("coach_intro"))
                with gr.Row():
                    topic = gr.Dropdown(
                        _topic_choices(lang0), value=TOPICS[0].id, label=t("coach_topic"), scale=2
                    )
                    free = gr.Textbox(
                        label=t("coach_free"), placeholder=t("coach_free_placeholder"), scale=2
                    )
                coach_btn = gr.Button(t("coach_build"), variant="primary")
                with gr.Row():
                    md_file = gr.DownloadButton(t("coach_md"), visible=False, size="sm")
                    docx_file = gr.DownloadButton(t("coach_docx"), visible=False, size="sm")
                pack_md = gr.Markdown(t("coach_empty"), elem_id="pr-pack")

            with gr.Tab(t("tab_documents"), id="documents") as tab_docs:
                docs_intro = gr.Markdown(t("docs_intro", max_mb=f"{settings.upload_max_mb:g}"))
                status_line = gr.Markdown()
                # no file_types here: gradio would reject the whole batch for one wrong file;
                # the handler checks each file and reports it, so the rest is still indexed
                files = gr.File(label=t("upload"), file_count="multiple", type="filepath")
                with gr.Row():
                    upload_btn = gr.Button(t("upload_btn"), variant="primary")
                    reindex_btn = gr.Button(t("reindex_btn"), variant="secondary")
                upload_result = gr.HTML(elem_id="pr-upload-result")
                table = gr.Dataframe(
                    label=t("docs_table"),
                    interactive=False,
                    wrap=True,
                    column_widths=["32%", "14%", "10%", "11%", "8%", "8%", "17%"],
                    elem_id="pr-docs",
                )

        # --- events ---------------------------------------------------------------------------
        chat_outputs = [msg, chatbot, sources, notice, answers, last_answer]
        chat_inputs = [msg, chatbot, answers, lang]
        msg.submit(h.respond, chat_inputs, chat_outputs, api_name="chat")
        send.click(
            h.respond,
            chat_inputs,
            chat_outputs,
            api_name="chat_button",
            api_visibility="undocumented",
        )

        def pick_example(data: gr.SelectData) -> str:
            value = data.value
            return value.get("text", "") if isinstance(value, dict) else str(value)

        chatbot.example_select(pick_example, None, msg, api_visibility="private").then(
            h.respond, chat_inputs, chat_outputs, api_visibility="private"
        )
        retry_inputs = [chatbot, answers, lang]
        retry_btn.click(h.retry, retry_inputs, chat_outputs, api_name="retry")
        chatbot.retry(h.retry, retry_inputs, chat_outputs, api_visibility="private")
        undo_btn.click(h.undo, retry_inputs, chat_outputs, api_name="undo")
        chatbot.undo(h.undo, retry_inputs, chat_outputs, api_visibility="private")
        clear_btn.click(h.clear, [lang], chat_outputs, api_name="clear")
        chatbot.clear(h.clear, [lang], chat_outputs, api_visibility="private")

        feedback_outputs = [answers, comment, pending, feedback_status]
        chatbot.like(
            h.like,
            [answers, lang],
            feedback_outputs,
            api_name="like",
            api_visibility="undocumented",  # needs the browser's like data
        ).then(
            lambda p: gr.update(visible=p is not None),
            [pending],
            [comment_btn],
            api_visibility="private",
        )
        rate_btn.click(
            h.rate,
            [rate_index, rate_value, comment, answers, lang],
            feedback_outputs,
            api_name="rate",
        )
        comment_outputs = [comment, pending, feedback_status]
        comment_btn.click(
            h.comment, [pending, comment, lang], comment_outputs, api_name="comment"
        ).then(lambda: gr.update(visible=False), None, [comment_btn], api_visibility="private")
        comment.submit(
            h.comment, [pending, comment, lang], comment_outputs, api_visibility="private"
        ).then(lambda: gr.update(visible=False), None, [comment_btn], api_visibility="private")

        coach_btn.click(
            h.coach, [topic, free, lang], [pack_md, md_file, docx_file], api_name="coach_pack"
        )

        def upload(
            files: list[str] | None,
            language: str,
            progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio's way to ask for it)
        ) -> tuple[Any, ...]:
            return h.upload(files, language, progress)

        def reindex(
            language: str,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> tuple[Any, ...]:
            return h.reindex(language, progress)

        ingest_outputs = [upload_result, table, index_notice, status_line, files]
        upload_btn.click(
            upload,
            [files, lang],
            ingest_outputs,
            api_name="upload",
            concurrency_limit=1,
            concurrency_id="ingest",
        )
        reindex_btn.click(
            reindex,
            [lang],
            ingest_outputs,
            api_name="reindex",
            concurrency_limit=1,
            concurrency_id="ingest",
        )

        def refresh(language: str) -> tuple[Any, ...]:
            return (h.documents_table(language), *h.index_status(language))

        app.load(
            refresh,
            [lang],
            [table, index_notice, status_line],
            api_name="documents",
            show_progress="hidden",
        )

        def relabel(language: str, answers_: dict[str, Any] | None) -> tuple[Any, ...]:
            def tt(key: str, **values: object) -> str:
                return text(language, key, **values)

            last = (answers_ or {}).get((answers_ or {}).get("last", ""), None)
            return (
                tt("header"),
                gr.update(label=tt("language")),
                gr.update(label=tt("tab_chat")),
                gr.update(label=tt("tab_coach")),
                gr.update(label=tt("tab_documents")),
                gr.update(label=tt("chat_label"), placeholder=tt("chat_placeholder")),
                gr.update(placeholder=tt("input_placeholder")),
                gr.update(value=tt("send")),
                gr.update(value=tt("retry")),
                gr.update(value=tt("undo")),
                gr.update(value=tt("clear")),
                gr.update(value=tt("comment_send")),
                render_sources(_citations(last), language),
                gr.update(value=tt("coach_intro")),
                gr.update(choices=_topic_choices(language), label=tt("coach_topic")),
                gr.update(label=tt("coach_free"), placeholder=tt("coach_free_placeholder")),
                gr.update(value=tt("coach_build")),
                gr.update(label=tt("coach_md")),
                gr.update(label=tt("coach_docx")),
                gr.update(value=tt("docs_intro", max_mb=f"{settings.upload_max_mb:g}")),
                gr.update(label=tt("upload")),
                gr.update(value=tt("upload_btn")),
                gr.update(value=tt("reindex_btn")),
                gr.update(value=h.documents_table(language), label=tt("docs_table")),
                *h.index_status(language),
            )

        lang.change(
            relabel,
            [lang, answers],
            [
                header,
                lang,
                tab_chat,
                tab_coach,
                tab_docs,
                chatbot,
                msg,
                send,
                retry_btn,
                undo_btn,
                clear_btn,
                comment_btn,
                sources,
                coach_intro,
                topic,
                free,
                coach_btn,
                md_file,
                docx_file,
                docs_intro,
                files,
                upload_btn,
                reindex_btn,
                table,
                index_notice,
                status_line,
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
