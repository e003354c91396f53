"""The documents tab: what is indexed, upload and re-index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from ..core import Assistant
from ..documents import UPLOAD_TYPES, ingest_paths, safe_filename, store_upload
from ..errors import AssistantError
from ..models import IngestReport
from ..ui_text import text
from .render import esc, html_list, render_notices

_STAGES = {"stage_load", "stage_embed", "stage_sentences", "stage_index"}
_COLUMNS = ("col_title", "col_org", "col_date", "col_kind", "col_lang", "col_chunks", "col_file")


class DocumentsPanel:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings

    def build(self, lang: str) -> None:
        max_mb = f"{self.settings.upload_max_mb:g}"
        self.intro = gr.Markdown(text(lang, "docs_intro", max_mb=max_mb))
        self.status_line = gr.Markdown()
        # no file_types here: gradio would reject the whole batch for one wrong file;
        # the handler checks each file and reports it, so the rest is still indexed
        self.files = gr.File(label=text(lang, "upload"), file_count="multiple", type="filepath")
        with gr.Row():
            self.upload_btn = gr.Button(text(lang, "upload_btn"), variant="primary")
            self.reindex_btn = gr.Button(text(lang, "reindex_btn"), variant="secondary")
        self.result = gr.HTML(elem_id="pr-upload-result")
        self.table = gr.Dataframe(
            label=text(lang, "docs_table"),
            interactive=False,
            wrap=True,
            column_widths=["32%", "14%", "10%", "11%", "8%", "8%", "17%"],
            elem_id="pr-docs",
        )

    def wire(self, lang: gr.Radio, index_notice: gr.HTML) -> None:
        def upload(
            files: list[str] | None,
            language: str,
            progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio's way to ask for it)
        ) -> tuple[Any, ...]:
            return self.upload(files, language, progress)

        def reindex(
            language: str,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> tuple[Any, ...]:
            return self.reindex(language, progress)

        outputs = [self.result, self.table, index_notice, self.status_line, self.files]
        self.upload_btn.click(
            upload,
            [self.files, lang],
            outputs,
            api_name="upload",
            concurrency_limit=1,
            concurrency_id="ingest",
        )
        self.reindex_btn.click(
            reindex,
            [lang],
            outputs,
            api_name="reindex",
            concurrency_limit=1,
            concurrency_id="ingest",
        )

    def relabel_outputs(self) -> list[Any]:
        return [self.intro, self.files, self.upload_btn, self.reindex_btn, self.table]

    def relabel(self, lang: str) -> list[Any]:
        max_mb = f"{self.settings.upload_max_mb:g}"
        return [
            gr.update(value=text(lang, "docs_intro", max_mb=max_mb)),
            gr.update(label=text(lang, "upload")),
            gr.update(value=text(lang, "upload_btn")),
            gr.update(value=text(lang, "reindex_btn")),
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
            parts.append(html_list(text(lang, "res_uploads"), [f"{n}: {m}" for n, m in lines]))
        try:
            report = self.assistant.ingest(ingest_paths(self.settings), progress=on_progress)
        except AssistantError as exc:
            parts.append(render_notices([text(lang, "res_error"), str(exc)], warn=True))
        else:
            parts.append(_report_html(report, lang))
        result = f"<div class='pr-upload'>{''.join(parts)}</div>"
        return (result, self.documents_table(lang), *self.index_status(lang), None)


def _report_html(report: IngestReport, lang: str) -> str:
    parts = []
    for key, items in (
        ("res_added", report.added),
        ("res_updated", report.updated),
        ("res_removed", report.removed),
    ):
        if items:
            parts.append(html_list(text(lang, key), items))
    if report.failures:
        failures = [f"{f.path}: {f.reason}" for f in report.failures]
        parts.append(
            f"<div class='pr-notice pr-warn'>{html_list(text(lang, 'res_failures'), failures)}"
            "</div>"
        )
    if report.unchanged:
        parts.append(f"<p>{esc(text(lang, 'res_unchanged', n=len(report.unchanged)))}</p>")
    parts.append(
        f"<p>{esc(text(lang, 'res_summary', seconds=report.seconds, chunks=report.chunks))}</p>"
    )
    return "".join(parts)
