"""Managing the corpus's documents: checking and storing an upload, removing a document, and
which paths an ingest covers.

No gradio here: the chat application's documents tab and the CLI (``assistant remove``) both
use it. A removed document's file is moved to ``<data dir>/removed/``, never deleted, so a
removal can be undone by moving the file back and ingesting.
"""

from __future__ import annotations

import re
import shutil
import time
import unicodedata
from pathlib import Path

from .config import Settings
from .errors import AssistantError
from .loaders import LoadError, load_document

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


def store_upload(
    src: Path, dest_dir: Path, name: str, *, replace: bool = False
) -> tuple[Path, str]:
    """Copy ``src`` into ``dest_dir`` as ``safe_filename(name)``.

    Returns the stored path and what happened: ``"saved"``, ``"same"`` (a file with the same
    name and bytes is already there), ``"replaced"`` (``replace``: the file of that name now
    has these bytes) or ``"renamed"`` (a different file had the name, so this one got
    ``name-2.ext``, ``name-3.ext`` …). Raises ``AssistantError`` for a path that would end up
    outside ``dest_dir``."""
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
            if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
                return target, "same"
            if replace and n == 1 and target.is_file() and not target.is_symlink():
                tmp = target.with_name(f".{target.name}.upload")
                tmp.write_bytes(data)
                tmp.replace(target)
                return target, "replaced"
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


def check_readable(path: Path) -> str | None:
    """None when ``path`` can be read as a document, else the loader's reason (English,
    without the path)."""
    try:
        load_document(path, path.parent)
    except LoadError as exc:
        return exc.reason
    except Exception as exc:  # a parser bug: the file is not saved either
        return f"unexpected error: {type(exc).__name__}"
    return None


def removable(settings: Settings, path: Path) -> bool:
    """Whether ``path`` is a file under one of the folders an ingest covers."""
    target = path.resolve()
    for root in ingest_paths(settings):
        r = root.resolve()
        if target == r and r.is_file():
            return True
        if r.is_dir() and r in target.parents:
            return True
    return False


def remove_file(settings: Settings, path: Path) -> Path:
    """Move the document file ``path`` out of the corpus into ``<data dir>/removed/`` and
    return where it went; the next ingest drops it from the index. Raises ``AssistantError``
    for a file that is not a document of the corpus."""
    if not path.is_file() or not removable(settings, path):
        raise AssistantError(f"{path.name}: not a document file of the corpus")
    bin_dir = settings.data_dir / "removed"
    bin_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = bin_dir / f"{stamp}-{path.name}"
    n = 2
    while target.exists():
        target = bin_dir / f"{stamp}-{n}-{path.name}"
        n += 1
    shutil.move(str(path), str(target))
    return target
