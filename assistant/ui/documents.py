"""The documents tab (administrators only): what is indexed, upload, replace, remove, re-index.

Every handler checks the session's ``admin`` state (set by the settings tab's login), so the
API refuses these calls without the login even though the tab's visibility is only a hint.
Uploads are checked (type, size, readable as a document) before anything is saved, and
gradio's copy of each upload is deleted once it has been handled.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from gradio.utils import get_upload_folder

from ..core import Assistant
from ..documents import (
    UPLOAD_TYPES,
    check_readable,
    ingest_paths,
    removable,
    remove_file,
    safe_filename,
    store_upload,
)
from ..errors import AssistantError
from ..models import IngestReport
from ..ui_text import number, text
from .render import esc, html_list, render_notices

log = logging.getLogger(__name__)

_STAGES = {"stage_load", "stage_embed", "stage_sentences", "stage_index"}
_COLUMNS = ("col_title", "col_org", "col_date", "col_kind", "col_lang", "col_chunks", "col_file")
# loader reasons (English) that have a Swedish wording; any other reason gets a general one
_REASONS_SV = {
    "empty document": "dokumentet innehåller ingen text",
    "binary file, not text": "filen är inte text",
    "PDF is password-protected": "PDF-filen är lösenordsskyddad",
    "PDF has no text layer (scanned?)": "PDF-filen har inget textlager (inskannad?)",
    "PDF has no pages": "PDF-filen har inga sidor",
}
_PREFIXES_SV = {
    "damaged PDF": "PDF-filen är skadad",
    "not a .docx file": "filen är inte ett Word-dokument (.docx)",
    "bad YAML front matter": "inledande metadata (YAML) går inte att läsa",
    "unsupported file type": "filtypen stöds inte",
}


def reason_text(reason: str, lang: str) -> str:
    """A loader's reason in the interface language, with no server path and no exception
    text that could hold one."""
    if lang == "en":
        return reason.split(":")[0] if reason.startswith(("damaged PDF", "not a .docx")) else reason
    if reason in _REASONS_SV:
        return _REASONS_SV[reason]
    for prefix, sv in _PREFIXES_SV.items():
        if reason.startswith(prefix):
            return sv
    return "filen kunde inte läsas"


def discard_upload(path: Path) -> None:
    """Delete gradio's cached copy of an upload (and its folder when empty); files outside
    gradio's upload folder are left alone."""
    cache = Path(get_upload_folder()).resolve()
    with contextlib.suppress(OSError):
        resolved = path.resolve()
        if cache in resolved.parents:
            resolved.unlink(missing_ok=True)
            if resolved.parent != cache:
                resolved.parent.rmdir()  # only when empty


class _Cancelled(Exception):
    """Raised from the ingest's progress callback when an administrator cancels."""


class DocumentsPanel:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        # cancelling is cooperative: the ingest stops at its next progress report (a group
        # of passages embedded); like a kill, it leaves the previous index in place and the
        # embeddings computed so far in the cache
        self._cancel = threading.Event()
        self._running = threading.Event()

    def build(self, lang: str) -> None:
        max_mb = f"{self.settings.upload_max_mb:g}"
        self.intro = gr.Markdown(text(lang, "docs_intro", max_mb=max_mb))
        self.status_line = gr.Markdown()
        # no file_types here: gradio would reject the whole batch for one wrong file;
        # the handler checks each file and reports it, so the rest is still indexed
        self.files = gr.File(
            label=text(lang, "upload"), file_count="multiple", type="filepath", elem_id="pr-files"
        )
        self.replace = gr.Checkbox(label=text(lang, "replace"), value=False)
        with gr.Row():
            self.upload_btn = gr.Button(text(lang, "upload_btn"), variant="primary")
            self.reindex_btn = gr.Button(text(lang, "reindex_btn"), variant="secondary")
            self.cancel_btn = gr.Button(text(lang, "cancel_btn"), variant="secondary")
        self.result = gr.HTML(elem_id="pr-upload-result")
        with gr.Row(equal_height=True):
            self.to_remove = gr.Dropdown(
                [],
                label=text(lang, "remove_label"),
                scale=3,
                allow_custom_value=True,  # API clients name a document id; checked on use
                elem_id="pr-remove",
            )
            self.remove_btn = gr.Button(text(lang, "remove_btn"), variant="stop", scale=1)
        self.table = gr.Dataframe(
            label=text(lang, "docs_table"),
            interactive=False,
            wrap=True,
            column_widths=["32%", "14%", "10%", "11%", "8%", "8%", "17%"],
            elem_id="pr-docs",
        )

    def wire(self, lang: gr.Radio, admin: gr.State, index_notice: gr.HTML) -> None:
        def upload(
            files: list[str] | None,
            replace: bool,
            language: str,
            is_admin: bool,
            progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio's way to ask for it)
        ) -> tuple[Any, ...]:
            return self.upload(files, replace, language, is_admin, progress)

        def reindex(
            language: str,
            is_admin: bool,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> tuple[Any, ...]:
            return self.reindex(language, is_admin, progress)

        outputs = [self.result, self.table, index_notice, self.status_line, self.files,
                   self.to_remove]  # fmt: skip
        for button, handler, inputs, name in (
            (self.upload_btn, upload, [self.files, self.replace, lang, admin], "upload"),
            (self.reindex_btn, reindex, [lang, admin], "reindex"),
            (self.remove_btn, self.remove, [self.to_remove, lang, admin], "remove"),
        ):
            button.click(
                handler,
                inputs,
                outputs,
                api_name=name,
                concurrency_limit=1,
                concurrency_id="ingest",  # one ingest at a time
            )
        # not in the ingest's queue: it must run while an ingest does
        self.cancel_btn.click(self.cancel, [lang, admin], [self.result], api_name="cancel_ingest")

    def relabel_outputs(self) -> list[Any]:
        return [self.intro, self.files, self.replace, self.upload_btn, self.reindex_btn,
                self.cancel_btn, self.to_remove, self.remove_btn, self.table]  # fmt: skip

    def relabel(self, lang: str) -> list[Any]:
        max_mb = f"{self.settings.upload_max_mb:g}"
        return [
            gr.update(value=text(lang, "docs_intro", max_mb=max_mb)),
            gr.update(label=text(lang, "upload")),
            gr.update(label=text(lang, "replace")),
            gr.update(value=text(lang, "upload_btn")),
            gr.update(value=text(lang, "reindex_btn")),
            gr.update(value=text(lang, "cancel_btn")),
            gr.update(label=text(lang, "remove_label")),
            gr.update(value=text(lang, "remove_btn")),
            gr.update(value=self.documents_table(lang), label=text(lang, "docs_table")),
        ]

    # --- handlers ----------------------------------------------------------------------
    def documents_table(self, lang: str) -> pd.DataFrame:
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
        return pd.DataFrame(rows, columns=[text(lang, c) for c in _COLUMNS])

    def remove_choices(self) -> Any:
        """The documents whose files lie under the ingested folders, as (title (id), id)."""
        docs = sorted(self.assistant.documents(), key=lambda d: d.meta.title.lower())
        choices = [
            (f"{d.meta.title} ({d.id})", d.id)
            for d in docs
            if removable(self.settings, Path(d.path))
        ]
        return gr.update(choices=choices, value=None)

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

    def _denied(self, lang: str, files: list[str] | None = None) -> tuple[Any, ...]:
        for f in files or []:
            discard_upload(Path(f))
        result = render_notices([text(lang, "admin_required")], warn=True)
        return (result, gr.skip(), gr.skip(), gr.skip(), None, gr.skip())

    def upload(
        self,
        files: list[str] | None,
        replace: bool,
        lang: str,
        admin: bool,
        progress: Callable[..., Any] | None = None,
    ) -> tuple[Any, ...]:
        paths = [Path(f if isinstance(f, str) else getattr(f, "name", str(f))) for f in files or []]
        if not admin:
            return self._denied(lang, [str(p) for p in paths])
        if not paths:
            result = render_notices([text(lang, "no_files")])
            return (result, gr.skip(), *self.index_status(lang), gr.skip(), gr.skip())
        lines: list[tuple[str, str]] = []
        try:
            for src in paths:
                lines.append((src.name, self._store(src, replace, lang)))
        finally:
            for src in paths:
                discard_upload(src)
        return self._ingest(lang, progress, lines)

    def _store(self, src: Path, replace: bool, lang: str) -> str:
        """Check one upload and save it; what happened, in words."""
        limit = self.settings.upload_max_mb
        if Path(safe_filename(src.name)).suffix.lower() not in UPLOAD_TYPES:
            return text(lang, "up_bad_type", types=", ".join(UPLOAD_TYPES))
        size_mb = src.stat().st_size / (1024 * 1024)
        if size_mb > limit:
            return text(lang, "up_too_big", size=number(lang, size_mb), max_mb=f"{limit:g}")
        reason = check_readable(src)
        if reason is not None:
            return text(lang, "up_unreadable", reason=reason_text(reason, lang))
        try:
            target, what = store_upload(src, self.settings.documents_dir, src.name, replace=replace)
        except (AssistantError, OSError):
            return text(lang, "up_failed")
        if what == "renamed":
            return text(lang, "up_renamed", name=target.name)
        return text(lang, f"up_{what}")

    def reindex(
        self, lang: str, admin: bool, progress: Callable[..., Any] | None = None
    ) -> tuple[Any, ...]:
        if not admin:
            return self._denied(lang)
        return self._ingest(lang, progress, [])

    def cancel(self, lang: str, admin: bool) -> Any:
        if not admin:
            return self._denied(lang)[0]
        if not self._running.is_set():
            return render_notices([text(lang, "nothing_to_cancel")])
        self._cancel.set()
        return render_notices([text(lang, "cancelling")])

    def remove(self, doc_id: str | None, lang: str, admin: bool) -> tuple[Any, ...]:
        if not admin:
            return self._denied(lang)
        entry = self.assistant.snapshot.documents.get(doc_id or "")
        if entry is None:
            result = render_notices([text(lang, "remove_pick")])
            return (result, gr.skip(), *self.index_status(lang), gr.skip(), gr.skip())
        try:
            remove_file(self.settings, Path(entry.path))
        except (AssistantError, OSError):
            result = render_notices([text(lang, "remove_refused", name=entry.id)], warn=True)
            return (result, gr.skip(), *self.index_status(lang), gr.skip(), gr.skip())
        return self._ingest(lang, None, [(entry.id, text(lang, "removed"))], "res_removal")

    def _ingest(
        self,
        lang: str,
        progress: Callable[..., Any] | None,
        lines: list[tuple[str, str]],
        title: str = "res_uploads",
    ) -> tuple[Any, ...]:
        def on_progress(stage: str, done: int, total: int) -> None:
            if self._cancel.is_set():
                raise _Cancelled
            if progress is not None and total:
                label = text(lang, f"stage_{stage}") if f"stage_{stage}" in _STAGES else stage
                progress((done, total), desc=label)

        parts: list[str] = []
        if lines:
            parts.append(html_list(text(lang, title), [f"{n}: {m}" for n, m in lines]))
        self._cancel.clear()
        self._running.set()
        try:
            report = self.assistant.ingest(ingest_paths(self.settings), progress=on_progress)
        except _Cancelled:
            log.info("ingest from the documents tab cancelled")
            parts.append(render_notices([text(lang, "res_cancelled")], warn=True))
        except AssistantError as exc:
            log.warning("ingest from the documents tab failed: %s", exc)
            parts.append(render_notices([text(lang, "res_error")], warn=True))
        else:
            parts.append(report_html(report, lang))
        finally:
            self._running.clear()
        result = f"<div class='pr-upload'>{''.join(parts)}</div>"
        return (
            result,
            self.documents_table(lang),
            *self.index_status(lang),
            None,
            self.remove_choices(),
        )


def report_html(report: IngestReport, lang: str) -> str:
    """What an ingest did; failures by file name (no server paths), reasons in ``lang``."""
    parts = []
    for key, items in (
        ("res_added", report.added),
        ("res_updated", report.updated),
        ("res_removed", report.removed),
    ):
        if items:
            parts.append(html_list(text(lang, key), items))
    if report.failures:
        failures = [f"{Path(f.path).name}: {reason_text(f.reason, lang)}" for f in report.failures]
        parts.append(
            f"<div class='pr-notice pr-warn'>{html_list(text(lang, 'res_failures'), failures)}"
            "</div>"
        )
    if report.unchanged:
        parts.append(f"<p>{esc(text(lang, 'res_unchanged', n=len(report.unchanged)))}</p>")
    seconds = number(lang, report.seconds)
    parts.append(f"<p>{esc(text(lang, 'res_summary', seconds=seconds, chunks=report.chunks))}</p>")
    return "".join(parts)
