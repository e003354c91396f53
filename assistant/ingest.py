"""Incremental ingest: load what changed, chunk it, embed only what is not cached, rebuild the
keyword index, then switch to the new version atomically.

A document is *unchanged* when its file bytes and the chunking settings are the same as when
it was last ingested: its chunks and tokens are reused without reading it again. Documents that are
gone from the given paths are removed from every index. A file that fails to load is reported
with its reason; if an earlier version of it was indexed, that version is kept.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from .analysis import ANALYSER_VERSION, get_analyzer
from .chunking import chunk_document
from .config import ChunkVectors, Settings
from .embeddings import CachedEmbeddings
from .errors import AssistantError
from .index import FORMAT, DocEntry, Snapshot
from .keyword import KeywordIndex
from .loaders import LoadError, discover, doc_id, load_document
from .models import Chunk, IngestReport, LoadFailure
from .sentences import split_sentences
from .store import VectorStore
from .wordbridge import WordVectors

Progress = Callable[[str, int, int], None]
CHUNKING_VERSION = 1
EMBED_GROUP = 128  # chunks whose texts are embedded and stored at a time


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def chunking_key(settings: Settings) -> dict[str, int]:
    return {
        "size": settings.chunk_size,
        "overlap": settings.chunk_overlap,
        "version": CHUNKING_VERSION,
    }


def doc_root(path: Path, corpus: Sequence[Path]) -> Path:
    """The folder a document's id is relative to: the corpus folder that holds it, however
    the file was named (that folder, a subfolder or the file itself), so its id is the same
    every time; for a file from anywhere else, the filesystem root, so its id is its full
    path and never that of a corpus file (an upload of the same name)."""
    p = path.resolve()
    for folder in (c.resolve() for c in corpus):
        if folder in p.parents:
            return folder
        if folder == p:  # a corpus entry that is a file
            return p.parent
    return Path(p.anchor)


def doc_id_for(path: Path, root: Path) -> str:
    return doc_id(path, root)  # the id load_document gives the document


def is_stale(settings: Settings, snapshot: Snapshot) -> bool:
    """True when the corpus files differ from what the index was built from, or its terms
    come from another version of the analyser."""
    if snapshot.analyser != ANALYSER_VERSION and snapshot.chunks:
        return True
    files, _ = discover(list(settings.corpus_paths))
    on_disk: dict[str, str] = {}
    try:
        for p, _ in files:  # the first file of an id is the one ingest indexes
            on_disk.setdefault(doc_id_for(p, doc_root(p, settings.corpus_paths)), file_hash(p))
    except OSError:
        return True
    roots = [p.resolve() for p in settings.corpus_paths]
    indexed = {
        d.id: d.file_hash for d in snapshot.documents.values() if _under(Path(d.path), roots)
    }
    indexed.update(snapshot.failed)  # a file that failed to load is stale only once it changes
    return on_disk != indexed


def _under(path: Path, roots: list[Path]) -> bool:
    p = path.resolve()
    return any(p == r or r in p.parents for r in roots)


@contextmanager
def _ingest_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise AssistantError(
                "Another ingest is running; try again when it has finished."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _remove_leftovers(index_dir: Path, current: Path | None) -> None:
    """What an ingest killed at its switch left beside the current version: the previous
    version (killed after the switch, before removing it) or a half-written one and its
    pointer (killed before). An ingest that writes a version removes them anyway."""
    for path in index_dir.iterdir():
        if path.is_dir() and path != current and path.name.startswith(("v", ".tmp-v")):
            shutil.rmtree(path, ignore_errors=True)
    (index_dir / ".CURRENT.tmp").unlink(missing_ok=True)


def answer_sentences(chunk: Chunk) -> list[str]:
    """The sentences of a chunk that the extractive answerer may quote (embedded at ingest).
    Every character of the chunk but whitespace is in one of them (headings and list numbers
    too: see ``split_sentences``)."""
    return [chunk.text[s:e] for s, e in split_sentences(chunk.text)]


def mean_vector(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    """The normalised mean of (unit) vectors: a passage's vector from its sentences'."""
    m = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
    return m / (float(np.linalg.norm(m)) or 1.0)


def chunk_texts(chunk: Chunk, chunk_vectors: ChunkVectors) -> tuple[list[str], list[str]]:
    """The texts to embed for a chunk (the answerer's sentences, and with ``embedded`` the
    chunk's own text), and those whose vectors make the chunk's vector. A chunk without a
    sentence (never seen: a chunk holds non-space text) is its own."""
    sentences = answer_sentences(chunk)
    if chunk_vectors == "embedded" or not sentences:
        return [chunk.text, *sentences], [chunk.text]
    return sentences, sentences


def embed_and_store(
    embeddings: CachedEmbeddings,
    store: VectorStore,
    chunks: Sequence[Chunk],
    progress: Progress | None = None,
    chunk_vectors: ChunkVectors = "embedded",
) -> None:
    """Embed the sentences the extractive answerer quotes (so answers find them cached) and
    make the chunks' vectors, a group of chunks at a time: one embedding call for the group's
    distinct texts, then one bulk upsert of its chunk vectors. A chunk's vector is its text's
    (``embedded``) or the normalised mean of its sentences' (``from_sentences``: then the
    chunk's text is not embedded at all).
    The cache keeps every finished group, so an ingest that dies resumes where it was. A
    one-sentence chunk, or a sentence that overlapping chunks share, is embedded once."""
    for i in range(0, len(chunks), EMBED_GROUP):
        group = chunks[i : i + EMBED_GROUP]
        plans = [chunk_texts(c, chunk_vectors) for c in group]
        texts = list(dict.fromkeys(t for embed, _ in plans for t in embed))
        found = dict(zip(texts, embeddings.embed_documents(texts), strict=True))
        if chunk_vectors == "embedded":
            vectors = [found[c.text] for c in group]
        else:
            vectors = [mean_vector([found[t] for t in of]).tolist() for _, of in plans]
        store.add_embedded(group, vectors)
        if progress:
            progress("embed", min(i + EMBED_GROUP, len(chunks)), len(chunks))


def ingest(
    settings: Settings,
    embeddings: CachedEmbeddings,
    store: VectorStore,
    paths: list[Path] | None = None,
    progress: Progress | None = None,
) -> tuple[IngestReport, Snapshot]:
    t0 = time.perf_counter()
    paths = [Path(p) for p in (paths or settings.corpus_paths)]
    with _ingest_lock(settings.index_dir):
        old = Snapshot.load(settings.index_dir)
        reanalyse = old.analyser != ANALYSER_VERSION
        if reanalyse:  # its terms come from another analyser: the chunks' texts are kept
            analyzer = get_analyzer()
            old.tokens = {cid: analyzer.index_tokens(c.text) for cid, c in old.chunks.items()}
            old.analyser = ANALYSER_VERSION
        report, new = _plan(settings, old, paths, progress)
        report.reanalysed = reanalyse and bool(old.chunks)
        misses_before = embeddings.misses
        live_ids = set(new.chunks)
        in_store = store.ids()
        missing = [c for c in new.chunks.values() if c.id not in in_store]
        if missing:
            embed_and_store(embeddings, store, missing, progress, settings.chunk_vectors)
        # a version built before the words were kept, or whose words another embedder made
        model = embeddings.embedder_id
        report.words_added = bool(old.chunks) and (old.words is None or old.words.model != model)
        rewrite = (
            old.version_dir is None
            or old.format != FORMAT
            or reanalyse
            or new.failed != old.failed
            or report.words_added
        )
        if report.changed or rewrite:
            ids = list(new.chunks)
            new.keyword = KeywordIndex.build(ids, [new.tokens[i] for i in ids])
            new.words = WordVectors.build(
                (c.text for c in new.chunks.values()), embeddings, old.words, model
            )
            if progress:
                progress("words", len(new.words.words), len(new.words.words))
            new.write(settings.index_dir)
            if progress:
                progress("index", 1, 1)
        else:
            new = old
            _remove_leftovers(settings.index_dir, old.version_dir)
        stale = in_store - live_ids
        if stale:
            store.delete(sorted(stale))
    report.chunks = len(new.chunks)
    report.embedded = embeddings.misses - misses_before
    report.seconds = time.perf_counter() - t0
    return report, new


def _plan(
    settings: Settings, old: Snapshot, paths: list[Path], progress: Progress | None
) -> tuple[IngestReport, Snapshot]:
    """Work out the new snapshot (without embeddings) from the files under ``paths``."""
    report = IngestReport()
    analyzer = get_analyzer()
    ckey = chunking_key(settings)
    files, failures = discover(paths)
    report.failures.extend(failures)
    roots = [p.resolve() for p in paths]

    chunks: dict[str, Chunk] = {}
    new = Snapshot(chunks=chunks)
    # documents outside the given paths are kept as they are, unless their file is gone and
    # a file now given has their id: the folder was moved (a project checkout, a corpus
    # folder), and that file takes the document over below
    given = {doc_id_for(path, doc_root(path, settings.corpus_paths)) for path, _ in files}
    for entry in old.documents.values():
        moved = entry.id in given and not Path(entry.path).exists()
        if not _under(Path(entry.path), roots) and not moved:
            _keep(new, chunks, old, entry)

    # first the files' bytes: unchanged documents are kept, and their bytes are known before
    # any other file is read, so a copy of one is never indexed, whatever its name
    todo: list[tuple[Path, Path, str, DocEntry | None, str]] = []
    seen: set[str] = set()
    for path, _ in files:
        root = doc_root(path, settings.corpus_paths)
        doc_id = doc_id_for(path, root)
        if doc_id in seen or doc_id in new.documents:  # e.g. two corpus folders' x.md
            report.failures.append(
                LoadFailure(path=str(path), reason=f"another document already has id {doc_id!r}")
            )
            continue
        seen.add(doc_id)
        prev = old.documents.get(doc_id)
        try:
            fhash = file_hash(path)
        except OSError as exc:
            report.failures.append(LoadFailure(path=str(path), reason=str(exc)))
            if prev:
                _keep(new, chunks, old, prev)
            continue
        if prev and prev.file_hash == fhash and prev.chunking == ckey:
            where = str(path.resolve())
            if prev.path != where:  # the same bytes elsewhere: nothing to embed again
                prev = replace(prev, path=where)
                report.moved.append(doc_id)
            else:
                report.unchanged.append(doc_id)
            _keep(new, chunks, old, prev)
        else:
            todo.append((path, root, doc_id, prev, fhash))
    held = {d.file_hash: d.id for d in new.documents.values()}

    for n, (path, root, doc_id, prev, fhash) in enumerate(todo, 1):
        if progress:
            progress("load", n, len(todo))
        if fhash in held:
            same = held[fhash]
            report.failures.append(
                LoadFailure(path=str(path), reason=f"the same file as {same!r}: not indexed twice")
            )
            new.failed[doc_id] = fhash
            continue
        try:
            doc = load_document(path, root)
        except LoadError as exc:
            reason = exc.reason + (" (the previously indexed version is kept)" if prev else "")
            report.failures.append(LoadFailure(path=str(path), reason=reason))
            new.failed[doc_id] = fhash
            if prev:
                _keep(new, chunks, old, prev)
            continue
        doc_chunks = []
        if len(doc.text) <= settings.max_document_chars:
            doc_chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
        refused = _too_big(settings, len(doc.text), len(doc_chunks))
        if refused and prev:
            refused += " (the previously indexed version is kept)"
            _keep(new, chunks, old, prev)
        if refused or not doc_chunks:
            reason = refused or "no text to index"
            report.failures.append(LoadFailure(path=str(path), reason=reason))
            new.failed[doc_id] = fhash
            continue
        for c in doc_chunks:
            chunks[c.id] = c
            new.tokens[c.id] = old.tokens.get(c.id) or analyzer.index_tokens(c.text)
        new.documents[doc_id] = DocEntry(
            id=doc_id,
            path=str(path.resolve()),
            file_hash=fhash,
            content_hash=doc.content_hash,
            meta=doc.meta.model_dump(),
            chunk_ids=[c.id for c in doc_chunks],
            chunking=ckey,
        )
        held[fhash] = doc_id
        (report.updated if prev else report.added).append(doc_id)

    report.removed = [d for d in old.documents if d not in new.documents]
    return report, new


def _too_big(settings: Settings, chars: int, chunks: int) -> str | None:
    """Why a document is too big to embed, or None."""
    if chars > settings.max_document_chars:
        return (
            f"too big to index: {chars:,} characters, more than the limit of "
            f"{settings.max_document_chars:,} (ASSISTANT_MAX_DOCUMENT_CHARS); split the "
            "document or raise the limit"
        )
    if chunks > settings.max_document_chunks:
        return (
            f"too big to index: {chunks:,} passages, more than the limit of "
            f"{settings.max_document_chunks:,} (ASSISTANT_MAX_DOCUMENT_CHUNKS); split the "
            "document or raise the limit"
        )
    return None


def _keep(new: Snapshot, chunks: dict[str, Chunk], old: Snapshot, entry: DocEntry) -> None:
    new.documents[entry.id] = entry
    for cid in entry.chunk_ids:
        chunks[cid] = old.chunks[cid]
        new.tokens[cid] = old.tokens[cid]
