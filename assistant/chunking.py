"""Structure-aware chunking: sections (Markdown headings) and paragraphs are respected, chunks
end at sentence boundaries, and every chunk is an exact span of its document's text."""

from __future__ import annotations

import hashlib
import re

from .models import Chunk, Document
from .sentences import split_sentences

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _sections(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, heading) for each section; a heading line starts a new section."""
    marks = [(m.start(), m.group(2).strip()) for m in _HEADING.finditer(text)]
    if not marks or marks[0][0] > 0:
        marks.insert(0, (0, None))  # type: ignore[arg-type]
    out: list[tuple[int, int, str | None]] = []
    for i, (start, heading) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        if text[start:end].strip():
            out.append((start, end, heading))
    return out


def _units(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Sentence spans of a section; a sentence longer than ``size`` is cut at spaces."""
    units: list[tuple[int, int]] = []
    for s, e in split_sentences(text[start:end], offset=start):
        while e - s > size:
            cut = text.rfind(" ", s + size // 2, s + size)
            cut = cut if cut > s else s + size
            units.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if s < e:
            units.append((s, e))
    return units


def chunk_spans(text: str, size: int, overlap: int) -> list[tuple[int, int, str | None]]:
    """(start, end, section) of each chunk. Chunks never cross a section boundary; consecutive
    chunks of a section share up to ``overlap`` characters of whole sentences."""
    chunks: list[tuple[int, int, str | None]] = []
    for sec_start, sec_end, heading in _sections(text):
        units = _units(text, sec_start, sec_end, size)
        i = 0
        while i < len(units):
            j = i
            while j + 1 < len(units) and units[j + 1][1] - units[i][0] <= size:
                j += 1
            chunks.append((units[i][0], units[j][1], heading))
            if j + 1 >= len(units):
                break
            # start the next chunk with the last sentences that fit in the overlap
            k = j + 1
            while k - 1 > i and units[j][1] - units[k - 1][0] <= overlap:
                k -= 1
            i = k
    return chunks


def chunk_id(doc_id: str, text: str, seen: set[str]) -> str:
    base = f"{doc_id}#{hashlib.sha1(text.encode()).hexdigest()[:12]}"
    cid, n = base, 1
    while cid in seen:
        n += 1
        cid = f"{base}-{n}"
    seen.add(cid)
    return cid


def chunk_document(doc: Document, size: int, overlap: int) -> list[Chunk]:
    seen: set[str] = set()
    out = []
    for i, (s, e, section) in enumerate(chunk_spans(doc.text, size, overlap)):
        text = doc.text[s:e]
        out.append(
            Chunk(
                id=chunk_id(doc.id, text, seen),
                doc_id=doc.id,
                index=i,
                text=text,
                start=s,
                end=e,
                section=section,
                page=doc.page_at(s),
                meta=doc.meta,
            )
        )
    return out
