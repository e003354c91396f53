"""The live index on disk: which documents and chunks are indexed, their analysed tokens and
the keyword index. Each ingest writes a new version directory and then swaps the ``CURRENT``
pointer with one atomic rename, so a reader (or an ingest that dies half-way) always sees a
complete version. Dense vectors live in Chroma; ids that are not live here are ignored.

A version holds ``manifest.json`` (documents, with their metadata), ``chunks.jsonl`` (one
compact row per chunk: no metadata, which its document holds), ``idf.json`` (computed at
ingest), ``tokens.jsonl`` (the analysed tokens, read only by the next ingest) and the keyword
index. Serving loads neither the tokens nor the chunks: ``chunks.jsonl`` is memory-mapped and
a chunk's row is parsed, and its ``Chunk`` made, when it is looked up (at 100,000 chunks,
parsing every row took 2.8 s and 140 MB; now 0.3 s)."""

from __future__ import annotations

import json
import math
import mmap
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import ANALYSER_VERSION
from .keyword import KeywordIndex
from .models import Chunk, DocMeta
from .recent import RecentTable
from .spelling import Speller
from .wordbridge import WordVectors

FORMAT = 2
DOC_TEXTS_KEPT = 64  # documents whose rebuilt text a snapshot keeps (Snapshot.doc_text)
# doc id, index, start, end, section, page, text as UTF-8 (half the memory of a str that
# holds a character beyond Latin-1, such as a dash, at 100,000 chunks ~90 MB)
_Row = tuple[str, int, int, int, str | None, int | None, bytes]


@dataclass
class DocEntry:
    id: str
    path: str
    file_hash: str
    content_hash: str
    meta: dict[str, Any]
    chunk_ids: list[str]
    chunking: dict[str, int]


class ChunkTable(Mapping[str, Chunk]):
    """The chunks of a loaded version, held as plain rows; a ``Chunk`` is made on lookup and
    shares its document's ``DocMeta``."""

    def __init__(self, rows: dict[str, _Row], metas: dict[str, DocMeta]) -> None:
        self._rows = rows
        self._metas = metas

    def _row(self, cid: str) -> tuple[str, int, int, int, str | None, int | None, str]:
        *row, text = self._rows[cid]
        return (*row, text.decode())  # type: ignore[return-value]

    def __getitem__(self, cid: str) -> Chunk:
        doc_id, index, start, end, section, page, text = self._row(cid)
        return Chunk.model_construct(
            id=cid,
            doc_id=doc_id,
            index=index,
            text=text,
            start=start,
            end=end,
            section=section,
            page=page,
            meta=self._metas[doc_id],
        )

    def spans(self, ids: list[str]) -> list[tuple[int, int, str]]:
        """(start, end, text) of these chunks, without making their ``Chunk``s."""
        return [(row[2], row[3], row[6]) for row in map(self._row, ids)]

    def __contains__(self, cid: object) -> bool:
        return cid in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class LazyChunkTable(ChunkTable):
    """The chunks of ``chunks.jsonl`` (format 2), memory-mapped: a row is parsed when its
    chunk is looked up, so loading reads no row and a server's memory holds only the rows it
    has touched. Line ``i`` holds the ``i``-th id of the manifest (the order ``write`` keeps);
    a file in another order, or not holding exactly those ids, is indexed by the ids its own
    lines hold, so what it holds is what the table says."""

    def __init__(self, path: Path, ids: list[str], metas: dict[str, DocMeta]) -> None:
        super().__init__({}, metas)
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            self._data: mmap.mmap | bytes = (
                mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            )
        self._starts = _line_starts(path, size)
        self._line: dict[str, int] = {}
        if len(self._starts) - 1 == len(ids):
            self._line = {cid: i for i, cid in enumerate(ids)}
            if len(self._line) == len(ids) and (not ids or self._parse(0)[0] == ids[0]):
                return
        self._index_own_ids()

    def _parse(self, i: int) -> list[Any]:
        row: list[Any] = json.loads(self._data[self._starts[i] : self._starts[i + 1]])
        return row

    def _index_own_ids(self) -> None:
        self._line = {self._parse(i)[0]: i for i in range(len(self._starts) - 1)}

    def _row(self, cid: str) -> tuple[str, int, int, int, str | None, int | None, str]:
        cid_, *row = self._parse(self._line[cid])
        if cid_ != cid:  # not in the manifest's order after all: index the file's own ids
            self._index_own_ids()
            cid_, *row = self._parse(self._line[cid])
        return tuple(row)  # type: ignore[return-value]

    def spans(self, ids: list[str]) -> list[tuple[int, int, str]]:
        """A document's chunks are consecutive lines: parsed as one JSON array, which at
        100,000 chunks took a fifth of the answer's time as one parse and ``Chunk`` each."""
        lines = [self._line[cid] for cid in ids]
        if lines and lines[-1] - lines[0] == len(lines) - 1 == len(set(lines)) - 1:
            block = self._data[self._starts[lines[0]] : self._starts[lines[-1] + 1]]
            rows = json.loads(b"[" + block.rstrip(b"\n").replace(b"\n", b",") + b"]")
            if [row[0] for row in rows] == ids:
                return [(row[3], row[4], row[7]) for row in rows]
        return super().spans(ids)

    def __contains__(self, cid: object) -> bool:
        return cid in self._line

    def __iter__(self) -> Iterator[str]:
        return iter(self._line)

    def __len__(self) -> int:
        return len(self._line)


def _line_starts(path: Path, size: int) -> np.ndarray:
    """Offsets where each line of the file starts, and its size at the end; read in blocks so
    the scan keeps no page of the file in this process's memory."""
    ends = []
    with path.open("rb") as f:
        pos = 0
        while block := f.read(1 << 23):
            ends.append(np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10) + pos + 1)
            pos += len(block)
    starts = np.concatenate([np.zeros(1, dtype=np.int64), *ends]) if ends else np.zeros(1)
    if starts[-1] != size:  # a last line without its newline
        starts = np.append(starts, size)
    return starts.astype(np.int64)


def idf_of(tokens: Mapping[str, list[str]]) -> dict[str, float]:
    """Inverse document frequency of each analysed token over the chunks (BM25's form)."""
    n = len(tokens)
    df: Counter[str] = Counter()
    for toks in tokens.values():
        df.update(set(toks))
    return {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}


@dataclass
class Snapshot:
    documents: dict[str, DocEntry] = field(default_factory=dict)
    chunks: Mapping[str, Chunk] = field(default_factory=dict)
    keyword: KeywordIndex = field(default_factory=lambda: KeywordIndex([], None))
    failed: dict[str, str] = field(default_factory=dict)  # doc id -> hash of a file that failed
    built_at: str | None = None
    version_dir: Path | None = None
    format: int = FORMAT  # of the files it was loaded from
    analyser: int = ANALYSER_VERSION  # whose terms ``tokens`` and the keyword index hold
    _tokens: dict[str, list[str]] | None = None
    _idf: dict[str, float] | None = None
    _doc_texts: RecentTable[str, str] = field(
        default_factory=lambda: RecentTable(DOC_TEXTS_KEPT), repr=False
    )
    _words: WordVectors | None = field(default=None, repr=False)
    _words_read: bool = False
    _speller: Speller | None = field(default=None, repr=False)

    @property
    def words(self) -> WordVectors | None:
        """The documents' words with their vectors (``wordbridge``), read on first use; None
        for a version built before them."""
        if not self._words_read:
            if self._words is None and self.version_dir is not None:
                self._words = WordVectors.load(self.version_dir)
            self._words_read = True
        return self._words

    @words.setter
    def words(self, value: WordVectors | None) -> None:
        self._words, self._words_read, self._speller = value, True, None

    @property
    def speller(self) -> Speller | None:
        """The documents' words for reading a question's misspellings (``spelling``), made
        on first use from the stored words (not their vectors, which only an English
        question needs); None without them."""
        if self._speller is None:
            if self._words is not None:
                words: list[str] | None = self._words.words
            elif self.version_dir is not None:
                words = WordVectors.stored_words(self.version_dir)
            else:
                words = None
            if words is not None:
                self._speller = Speller(words)
        return self._speller

    @property
    def empty(self) -> bool:
        return not self.chunks

    @property
    def tokens(self) -> dict[str, list[str]]:
        """Each chunk's analysed tokens (an ingest needs them; serving does not): read from
        the version on first use."""
        if self._tokens is None:
            self._tokens = {}
            if self.version_dir is not None and (self.version_dir / "tokens.jsonl").exists():
                with (self.version_dir / "tokens.jsonl").open(encoding="utf-8") as f:
                    for line in f:
                        cid, toks = json.loads(line)
                        self._tokens[cid] = toks
        return self._tokens

    @tokens.setter
    def tokens(self, value: dict[str, list[str]]) -> None:
        self._tokens = value

    @property
    def idf(self) -> dict[str, float]:
        """Inverse document frequency of each analysed token, as computed at ingest."""
        if self._idf is None:
            self._idf = idf_of(self.tokens)
        return self._idf

    # --- reading -----------------------------------------------------------------------
    @classmethod
    def load(cls, index_dir: Path) -> Snapshot:
        """The current version, or an empty snapshot when nothing was indexed yet."""
        pointer = index_dir / "CURRENT"
        if not pointer.exists():
            return cls()
        vdir = index_dir / pointer.read_text(encoding="utf-8").strip()
        manifest = json.loads((vdir / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") not in (1, FORMAT):
            return cls()  # an unknown layout: the next ingest rebuilds it
        docs = {d["id"]: DocEntry(**d) for d in manifest["documents"]}
        metas = {d.id: DocMeta.model_validate(d.meta) for d in docs.values()}
        listed = [cid for d in docs.values() for cid in d.chunk_ids]
        keyword = KeywordIndex.load(vdir / "keyword")
        if keyword.ids == listed:  # as the ingest writes them: hold the ids once, not twice
            keyword.ids = listed  # (at 100,000 chunks ~8 MB of strings)
        chunks: ChunkTable
        tokens: dict[str, list[str]] | None = None
        if manifest["format"] == 1:  # until the next ingest rewrites it: chunk and tokens
            rows: dict[str, _Row] = {}
            tokens = {}
            with (vdir / "chunks.jsonl").open(encoding="utf-8") as f:
                for line in f:
                    old = json.loads(line)
                    c = old["chunk"]
                    rows[c["id"]] = (
                        *(c[k] for k in ("doc_id", "index", "start", "end", "section", "page")),
                        c["text"].encode(),
                    )  # type: ignore[assignment]
                    tokens[c["id"]] = old["tokens"]
            chunks = ChunkTable(rows, metas)
        else:
            chunks = LazyChunkTable(vdir / "chunks.jsonl", listed, metas)
        idf = vdir / "idf.json"
        return cls(
            documents=docs,
            chunks=chunks,
            keyword=keyword,
            failed=manifest.get("failed", {}),
            built_at=manifest.get("built_at"),
            version_dir=vdir,
            format=manifest["format"],
            analyser=manifest.get("analyser", 1),
            _tokens=tokens,
            _idf=json.loads(idf.read_text(encoding="utf-8")) if idf.exists() else None,
        )

    def doc_text(self, doc_id: str) -> str:
        """The document's text rebuilt from its chunks (exact spans; the whitespace between
        sections, which no chunk holds, becomes a paragraph break), so offsets match.

        The DOC_TEXTS_KEPT documents used last are kept: an answer reads about ten, and a
        server that kept every text it had rebuilt held 10 MB after 21 answers at 100,000
        chunks and, in the end, the whole corpus's text (a rebuild is one JSON parse)."""
        text = self._doc_texts.get(doc_id)
        if text is not None:
            return text
        buf: list[str] = []
        end = 0
        for c_start, c_end, piece in sorted(
            self._spans(self.documents[doc_id].chunk_ids), key=lambda s: s[0]
        ):
            if c_start > end:
                gap = c_start - end
                buf.append("\n\n"[:gap] + " " * max(0, gap - 2))
            buf.append(piece[max(0, end - c_start) :])
            end = max(end, c_end)
        text = "".join(buf)
        self._doc_texts.put(doc_id, text)
        return text

    def chunk_at(self, doc_id: str, start: int, end: int) -> Chunk | None:
        """A chunk of the document that holds the span [start, end)."""
        ids = self.documents[doc_id].chunk_ids
        for cid, (c_start, c_end, _) in zip(ids, self._spans(ids), strict=True):
            if c_start <= start and end <= c_end:
                return self.chunks[cid]
        return None

    def _spans(self, ids: list[str]) -> list[tuple[int, int, str]]:
        if isinstance(self.chunks, ChunkTable):
            return self.chunks.spans(ids)
        return [(c.start, c.end, c.text) for c in map(self.chunks.__getitem__, ids)]

    # --- writing -----------------------------------------------------------------------
    def _order(self) -> list[str]:
        """The chunk ids in the manifest's order (its documents' chunk ids), which lets a
        reader find a chunk's line without parsing the file; chunks no document lists last."""
        listed = [cid for d in self.documents.values() for cid in d.chunk_ids if cid in self.chunks]
        seen = set(listed)
        return listed + [cid for cid in self.chunks if cid not in seen]

    def write(self, index_dir: Path) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        name = f"v{time.time_ns()}"
        tmp = index_dir / f".tmp-{name}"
        tmp.mkdir()
        self.built_at = datetime.now(UTC).isoformat(timespec="seconds")
        manifest = {
            "format": FORMAT,
            "analyser": self.analyser,
            "built_at": self.built_at,
            "documents": [vars(d) for d in self.documents.values()],
            "failed": self.failed,
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as f:
            for cid in self._order():
                c = self.chunks[cid]
                row = [cid, c.doc_id, c.index, c.start, c.end, c.section, c.page, c.text]
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        with (tmp / "tokens.jsonl").open("w", encoding="utf-8") as f:
            for cid in self.chunks:
                f.write(json.dumps([cid, self.tokens[cid]], ensure_ascii=False) + "\n")
        (tmp / "idf.json").write_text(json.dumps(self.idf, ensure_ascii=False), encoding="utf-8")
        self.keyword.save(tmp / "keyword")
        if self.words is not None:
            self.words.save(tmp)
        os.replace(tmp, index_dir / name)
        pointer_tmp = index_dir / ".CURRENT.tmp"
        pointer_tmp.write_text(name, encoding="utf-8")
        os.replace(pointer_tmp, index_dir / "CURRENT")  # the atomic switch
        self.version_dir = index_dir / name
        for old in index_dir.iterdir():
            if old.is_dir() and old.name != name:
                shutil.rmtree(old, ignore_errors=True)
