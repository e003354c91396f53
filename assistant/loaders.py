"""Find and read corpus files (.md with front matter, .txt, .pdf, .docx, .html) into Documents.

Every file that cannot be read becomes a ``LoadFailure`` with a reason the user can act on;
one bad file never stops the others from loading.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .errors import AssistantError
from .models import DocMeta, Document, LoadFailure, PageSpan
from .normalise import normalise

SUPPORTED = {".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm"}
META_KEYS = ("title", "organisation", "author", "date", "kind", "language", "source", "url")
_META_ALIASES = {"organization": "organisation", "lang": "language"}

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*$\n?", re.DOTALL | re.M)
_H1 = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_HEADING_STYLE = re.compile(r"^(?:Heading|Rubrik) ([1-9])$")
_HTML_DROP = ("script", "style", "nav", "header", "footer", "aside", "form", "noscript")
_HTML_DROP_EXTRA = ("template", "iframe", "svg", "button", "select")
_HTML_BLOCKS = frozenset(
    {
        *("p", "li", "blockquote", "pre", "td", "th", "div", "section", "article", "main"),
        *("ul", "ol", "dl", "dt", "dd", "table", "tr", "tbody", "thead", "tfoot", "caption"),
        *("figure", "figcaption", "address", "hr", "body", "html"),
    }
)
_PDF_JUNK_TITLES = re.compile(r"^(?:untitled|microsoft (?:word|powerpoint) - .*|.*\.docx?)$", re.I)


class LoadError(AssistantError):
    """A document could not be read; ``reason`` says why in words the user can act on."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def discover(paths: list[Path]) -> tuple[list[tuple[Path, Path]], list[LoadFailure]]:
    """(file, root) for every document under ``paths``, and failures for what is not one.

    A file is its own document (root: its folder); a folder yields its files recursively,
    sorted, skipping hidden entries and README.md files.
    """
    found: list[tuple[Path, Path]] = []
    failures: list[LoadFailure] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            candidates = [(f, path) for f in _walk(path)]
        elif path.is_file():
            candidates = [(path, path.parent)]
        else:
            failures.append(LoadFailure(path=str(path), reason="no such file or folder"))
            continue
        for file, root in candidates:
            if file.suffix.lower() not in SUPPORTED:
                failures.append(LoadFailure(path=str(file), reason=_unsupported(file)))
            elif file.resolve() not in seen:  # the same file named twice is one document
                seen.add(file.resolve())
                found.append((file, root))
    return found, failures


def _walk(folder: Path) -> list[Path]:
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        files.extend(
            Path(dirpath, name)
            for name in filenames
            if not name.startswith(".") and name.lower() != "readme.md"
        )
    return sorted(files)


def _unsupported(file: Path) -> str:
    kind = file.suffix.lower() or "(no extension)"
    return f"unsupported file type {kind} (supported: {', '.join(sorted(SUPPORTED))})"


def load_document(path: Path, root: Path) -> Document:
    """Read one file into a Document whose id is its path relative to ``root``."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise LoadError(path, _unsupported(path))
    try:
        text, meta, pages = reader(path)
    except OSError as e:
        raise LoadError(path, f"cannot read file: {e.strerror or e}") from e
    except _Fail as e:
        raise LoadError(path, str(e)) from e
    if not text.strip():
        raise LoadError(path, "empty document")
    if not meta.get("title"):
        meta["title"] = prettify(path.stem)
    return Document(
        id=doc_id(path, root), path=str(path), text=text, meta=DocMeta(**meta), pages=pages
    )


def load_all(paths: list[Path]) -> tuple[list[Document], list[LoadFailure]]:
    """Discover and load every document; failures are collected, never raised."""
    found, failures = discover(paths)
    docs: list[Document] = []
    loaded: dict[str, str] = {}
    for file, root in found:
        try:
            doc = load_document(file, root)
        except LoadError as e:
            failures.append(LoadFailure(path=str(file), reason=e.reason))
            continue
        except Exception as e:  # a parser bug must not stop the whole corpus
            reason = f"unexpected error: {type(e).__name__}: {e}"
            failures.append(LoadFailure(path=str(file), reason=reason))
            continue
        if doc.id in loaded:
            reason = f"duplicate document id {doc.id!r} (already loaded from {loaded[doc.id]})"
            failures.append(LoadFailure(path=str(file), reason=reason))
            continue
        loaded[doc.id] = str(file)
        docs.append(doc)
    return docs, failures


def doc_id(path: Path, root: Path) -> str:
    """The path of ``path`` relative to ``root``, POSIX style (the file name if outside; the
    full path when ``root`` is the filesystem root)."""
    p, r = path.resolve(), root.resolve()
    if r == Path(r.anchor):
        return p.as_posix()
    try:
        return p.relative_to(r).as_posix()
    except ValueError:
        return p.name


def prettify(stem: str) -> str:
    """A readable title from a file name: "min-rapport_2020" -> "Min rapport 2020"."""
    words = re.sub(r"[-_\s]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


# --- readers: path -> (normalised text, meta fields, page spans) --------------------------

Meta = dict[str, Any]
Loaded = tuple[str, Meta, list[PageSpan]]


class _Fail(Exception):
    """Raised by a reader with the reason a file cannot be loaded."""


def _read_text(path: Path) -> str:
    """UTF-8 (with or without a BOM), else Windows' cp1252, which older Swedish text and
    Markdown files are often saved in."""
    data = path.read_bytes()
    if b"\x00" in data:
        raise _Fail("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _load_txt(path: Path) -> Loaded:
    return normalise(_read_text(path)), {}, []


def _load_markdown(path: Path) -> Loaded:
    raw = _read_text(path).replace("\r\n", "\n").replace("\r", "\n")
    meta: Meta = {}
    m = _FRONT_MATTER.match(raw)
    if m:
        meta = _front_matter(m.group(1))
        raw = raw[m.end() :]
    text = normalise(raw)
    if not meta.get("title") and (h1 := _H1.search(text)):
        meta["title"] = h1.group(1).strip()
    return text, meta, []


def _front_matter(block: str) -> Meta:
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as e:
        raise _Fail(f"bad YAML front matter: {' '.join(str(e).split())}") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _Fail("bad YAML front matter: expected 'key: value' lines")
    meta: Meta = {}
    for key, value in data.items():
        name = _META_ALIASES.get(str(key).lower(), str(key).lower())
        if name in META_KEYS and (text := _meta_value(value)):
            meta[name] = text
    if "language" in meta:
        meta["language"] = _language(meta["language"])
    return meta


def _meta_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):  # YAML reads 2019-12-20 as a date (datetime is a date too)
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(s for v in value if (s := _meta_value(v))) or None
    return str(value).strip() or None


def _language(tag: str) -> str:
    """The primary subtag of a language tag: sv-SE -> sv."""
    return re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]


def _load_pdf(path: Path) -> Loaded:
    import logging

    from pypdf import PdfReader

    # pypdf logs its own warnings about damaged files; the LoadFailure already says it
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _Fail("PDF is password-protected")
        info = reader.metadata
        title = (info.title or "").strip() if info else ""
        author = (info.author or "").strip() if info else ""
        page_texts = [page.extract_text() or "" for page in reader.pages]
    except _Fail:
        raise
    except Exception as e:  # pypdf raises many kinds of error on damaged files
        raise _Fail(f"damaged PDF: {type(e).__name__}: {e}") from e
    parts: list[str] = []
    pages: list[PageSpan] = []
    offset = 0
    for number, raw in enumerate(page_texts, start=1):
        text = normalise(raw)
        if not text:
            continue
        if parts:
            offset += 2  # the "\n\n" between pages
        pages.append(PageSpan(page=number, start=offset, end=offset + len(text)))
        parts.append(text)
        offset += len(text)
    if not parts:
        raise _Fail("PDF has no text layer (scanned?)" if page_texts else "PDF has no pages")
    meta: Meta = {"author": author or None}
    if title and not _PDF_JUNK_TITLES.match(title):
        meta["title"] = title
    return "\n\n".join(parts), meta, pages


def _load_docx(path: Path) -> Loaded:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except Exception as e:  # PackageNotFoundError, BadZipFile, KeyError on a broken package
        raise _Fail(f"not a .docx file: {type(e).__name__}: {e}") from e
    blocks: list[str] = []
    first_heading = ""
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(_docx_rows(item))
            continue
        text = item.text.strip()
        if not text:
            continue
        level = _docx_heading_level(item.style.name if item.style is not None else "")
        if level:
            first_heading = first_heading or (text if level == 1 else "")
            text = "#" * level + " " + " ".join(text.split())
        blocks.append(text)
    props = document.core_properties
    author = (props.author or "").strip()
    meta: Meta = {
        "title": (props.title or "").strip() or first_heading,
        "author": author if author != "python-docx" else None,  # python-docx's template default
        "date": props.created.date().isoformat() if props.created else None,
    }
    return normalise("\n\n".join(blocks)), meta, []


def _docx_heading_level(style: str) -> int:
    if style in ("Title", "Rubrik"):
        return 1
    m = _HEADING_STYLE.match(style)
    return min(int(m.group(1)), 6) if m else 0


def _docx_rows(table: Any) -> list[str]:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        last = None
        for cell in row.cells:
            if cell._tc is last:  # a merged cell is repeated once per grid column
                continue
            last = cell._tc
            if text := " ".join(cell.text.split()):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _load_html(path: Path) -> Loaded:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "lxml")
    meta: Meta = {}
    if soup.html is not None and (lang := soup.html.get("lang")):
        meta["language"] = _language(str(lang))
    if soup.title is not None and (title := " ".join(soup.title.get_text().split())):
        meta["title"] = title
    meta.update(_html_meta(soup))
    for tag in soup.find_all([*_HTML_DROP, *_HTML_DROP_EXTRA]):
        # a <header> inside an article holds the article's own heading: keep it
        keep = tag.name == "header" and tag.find_parent(["article", "main"]) is not None
        if not keep and not tag.decomposed:
            tag.decompose()
    blocks: list[str] = []
    inline: list[str] = []
    _html_blocks(soup.body or soup, blocks, inline)
    _flush(blocks, inline)
    if not meta.get("title") and (h1 := next((b for b in blocks if b.startswith("# ")), None)):
        meta["title"] = h1[2:]
    return normalise("\n\n".join(blocks)), meta, []


def _html_meta(soup: Any) -> Meta:
    meta: Meta = {}
    author = soup.find("meta", attrs={"name": "author"})
    if author is not None and (value := str(author.get("content", "")).strip()):
        meta["author"] = value
    for attrs in ({"property": "article:published_time"}, {"name": "date"}):
        tag = soup.find("meta", attrs=attrs)
        value = str(tag.get("content", "")).strip() if tag is not None else ""
        if re.match(r"\d{4}-\d{2}-\d{2}", value):
            meta["date"] = value[:10]
            break
    canonical = soup.find("link", rel="canonical")
    if canonical is not None and (href := str(canonical.get("href", "")).strip()):
        meta["url"] = href
    return meta


def _html_blocks(node: Any, blocks: list[str], inline: list[str], pre: bool = False) -> None:
    """Walk ``node`` in document order: headings become "# text", every block-level element
    starts a new paragraph, inline text is gathered into the current one."""
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                inline.append(str(child) if pre else re.sub(r"\s+", " ", str(child)))
        elif isinstance(child, Tag):
            name = child.name.lower()
            if re.fullmatch(r"h[1-6]", name):
                _flush(blocks, inline)
                if text := " ".join(child.get_text(" ").split()):
                    blocks.append("#" * int(name[1]) + " " + text)
            elif name == "br":
                inline.append("\n")
            elif name in _HTML_BLOCKS:
                _flush(blocks, inline)
                _html_blocks(child, blocks, inline, pre or name == "pre")
                _flush(blocks, inline)
            else:
                _html_blocks(child, blocks, inline, pre)


def _flush(blocks: list[str], inline: list[str]) -> None:
    lines = ("".join(inline)).split("\n")
    text = "\n".join(" ".join(line.split()) for line in lines).strip()
    if text:
        blocks.append(text)
    inline.clear()


_READERS: dict[str, Callable[[Path], Loaded]] = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_txt,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
    ".html": _load_html,
    ".htm": _load_html,
}
