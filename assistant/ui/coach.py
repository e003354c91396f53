"""The coach tab: a session pack on a topic, shown as Markdown and downloadable (.md, .docx)."""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr

from ..coach import TOPICS, build_pack, to_docx, to_markdown
from ..core import Assistant
from ..errors import AssistantError
from ..ui_text import text
from .render import render_notices

_PACK_TTL_SECONDS = 3600


def _mode_choices(lang: str) -> list[tuple[str, str]]:
    return [(text(lang, "coach_mode_area"), "area"), (text(lang, "coach_mode_free"), "free")]


def _topic_choices(lang: str) -> list[tuple[str, str]]:
    return [(t.label("en" if lang == "en" else "sv"), t.id) for t in TOPICS]


class CoachPanel:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def build(self, lang: str) -> None:
        self.intro = gr.Markdown(text(lang, "coach_intro"))
        # an explicit choice: a topic from the list or one's own, never both at once
        self.mode = gr.Radio(
            _mode_choices(lang), value="area", label=text(lang, "coach_mode"), elem_id="pr-mode"
        )
        self.topic = gr.Dropdown(
            _topic_choices(lang),
            value=TOPICS[0].id,
            label=text(lang, "coach_topic"),
            elem_id="pr-topic",
        )
        self.free = gr.Textbox(
            label=text(lang, "coach_free"),
            placeholder=text(lang, "coach_free_placeholder"),
            visible=False,
            elem_id="pr-free",
        )
        self.build_btn = gr.Button(text(lang, "coach_build"), variant="primary")
        with gr.Row():
            self.md_file = gr.DownloadButton(text(lang, "coach_md"), visible=False, size="sm")
            self.docx_file = gr.DownloadButton(text(lang, "coach_docx"), visible=False, size="sm")
        self.pack_md = gr.Markdown(text(lang, "coach_empty"), elem_id="pr-pack")

    def wire(self, lang: gr.Radio) -> None:
        self.mode.change(
            lambda mode: (gr.update(visible=mode != "free"), gr.update(visible=mode == "free")),
            [self.mode],
            [self.topic, self.free],
            api_visibility="private",
        )
        self.build_btn.click(
            self.coach,
            [self.mode, self.topic, self.free, lang],
            [self.pack_md, self.md_file, self.docx_file],
            api_name="coach_pack",
        )

    def relabel_outputs(self) -> list[Any]:
        return [self.intro, self.mode, self.topic, self.free, self.build_btn, self.md_file,
                self.docx_file]  # fmt: skip

    def relabel(self, lang: str) -> list[Any]:
        return [
            gr.update(value=text(lang, "coach_intro")),
            gr.update(choices=_mode_choices(lang), label=text(lang, "coach_mode")),
            gr.update(choices=_topic_choices(lang), label=text(lang, "coach_topic")),
            gr.update(
                label=text(lang, "coach_free"), placeholder=text(lang, "coach_free_placeholder")
            ),
            gr.update(value=text(lang, "coach_build")),
            gr.update(label=text(lang, "coach_md")),
            gr.update(label=text(lang, "coach_docx")),
        ]

    def coach(
        self, mode: str | None, topic_id: str | None, free: str | None, lang: str
    ) -> tuple[Any, ...]:
        """A pack on the chosen list topic (``mode`` "area") or on one's own (``"free"``)."""
        topic = (free or "").strip() if mode == "free" else (topic_id or "")
        hidden = gr.update(visible=False, value=None)
        if not topic:
            key = "coach_free_empty" if mode == "free" else "coach_empty"
            return render_notices([text(lang, key)]), hidden, hidden
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
