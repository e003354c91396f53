"""Managing the corpus's documents: storing an upload safely, and which paths an ingest covers.

No gradio here: the chat application's documents tab and the CLI both use it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .config import Settings
from .errors import AssistantError

UPLOAD_TYPES = (".pdf", ".docx", ".md", ".txt", ".html", ".htm")


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
