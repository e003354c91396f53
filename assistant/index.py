"""The live index on disk: which documents and chunks are indexed, their analysed tokens and
the keyword index. Each ingest writes a new version directory and then swaps the ``CURRENT``
pointer with one atomic rename, so a reader (or an ingest that dies half-way) always sees a
complete version. Dense vectors live in Chroma; ids that are not live here are ignored."""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from .keyword import KeywordIndex
from .models import Chunk

FORMAT = 1


@dataclass
class DocEntry:
    id: str
    path: str
    file_hash: str
    content_hash: str
    meta: dict[str, Any]
    chunk_ids: list[str]
    chunking: dict[str, int]


@dataclass
class Snapshot:
    documents: dict[str, DocEntry] = field(default_factory=dict)
    chunks: dict[str, Chunk] = field(default_factory=dict)
    tokens: dict[str, list[str]] = field(default_factory=dict)
    keyword: KeywordIndex = field(default_factory=lambda: KeywordIndex([], None))
    failed: dict[str, str] = field(default_factory=dict)  # doc id -> hash of a file that failed
    built_at: str | None = None
    version_dir: Path | None = None

    @property
    def empty(self) -> bool:
        return not self.chunks

    @cached_property
    def idf(self) -> dict[str, float]:
        """Inverse document frequency of each analysed token over the chunks (BM25's form)."""
        n = len(self.tokens)
        df: Counter[str] = Counter()
        for toks in self.tokens.values():
            df.update(set(toks))
        return {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    # --- reading -----------------------------------------------------------------------
    @classmethod
    def load(cls, index_dir: Path) -> Snapshot:
        """The current version, or an empty snapshot when nothing was indexed yet."""
        pointer = index_dir / "CURRENT"
        if not pointer.exists():
            return cls()
        vdir = index_dir / pointer.read_text(encoding="utf-8").strip()
        manifest = json.loads((vdir / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            return cls()  # an older layout: the next ingest rebuilds it
        chunks: dict[str, Chunk] = {}
        tokens: dict[str, list[str]] = {}
        with (vdir / "chunks.jsonl").open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                chunk = Chunk.model_validate(row["chunk"])
                chunks[chunk.id] = chunk
                tokens[chunk.id] = row["tokens"]
        docs = {d["id"]: DocEntry(**d) for d in manifest["documents"]}
        return cls(
            documents=docs,
            chunks=chunks,
            tokens=tokens,
            keyword=KeywordIndex.load(vdir / "keyword"),
            failed=manifest.get("failed", {}),
            built_at=manifest.get("built_at"),
            version_dir=vdir,
        )

    @cached_property
    def _texts(self) -> dict[str, str]:
        return {}

    def doc_text(self, doc_id: str) -> str:
        """The document's text rebuilt from its chunks (exact spans; the whitespace between
        sections, which no chunk holds, becomes a paragraph break), so offsets match."""
        if doc_id not in self._texts:
            buf: list[str] = []
            end = 0
            for c in sorted(
                (self.chunks[i] for i in self.documents[doc_id].chunk_ids), key=lambda c: c.start
            ):
                if c.start > end:
                    gap = c.start - end
                    buf.append("\n\n"[:gap] + " " * max(0, gap - 2))
                buf.append(c.text[max(0, end - c.start) :])
                end = max(end, c.end)
            self._texts[doc_id] = "".join(buf)
        return self._texts[doc_id]

    def chunk_at(self, doc_id: str, start: int, end: int) -> Chunk | None:
        """A chunk of the document that holds the span [start, end)."""
        for cid in self.documents[doc_id].chunk_ids:
            c = self.chunks[cid]
            if c.start <= start and end <= c.end:
                return c
        return None

    # --- writing -----------------------------------------------------------------------
    def write(self, index_dir: Path) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        name = f"v{time.time_ns()}"
        tmp = index_dir / f".tmp-{name}"
        tmp.mkdir()
        self.built_at = datetime.now(UTC).isoformat(timespec="seconds")
        manifest = {
            "format": FORMAT,
            "built_at": self.built_at,
            "documents": [vars(d) for d in self.documents.values()],
            "failed": self.failed,
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as f:
            for cid, chunk in self.chunks.items():
                row = {"chunk": chunk.model_dump(), "tokens": self.tokens[cid]}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.keyword.save(tmp / "keyword")
        os.replace(tmp, index_dir / name)
        pointer_tmp = index_dir / ".CURRENT.tmp"
        pointer_tmp.write_text(name, encoding="utf-8")
        os.replace(pointer_tmp, index_dir / "CURRENT")  # the atomic switch
        self.version_dir = index_dir / name
        for old in index_dir.iterdir():
            if old.is_dir() and old.name != name:
                shutil.rmtree(old, ignore_errors=True)
