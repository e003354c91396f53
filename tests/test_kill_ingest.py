"""A real ``kill -9`` of ``assistant ingest``, at chosen moments of its work.

The ingest runs as its own process (``python -m assistant ingest``) over a real Chroma in a temp
data directory, with the fake embedder. To hit a moment exactly, the child is given a
``sitecustomize`` (``_stop_at_kill_point``, written out) that stops it (SIGSTOP) the Nth time it
reaches a named call or file operation; the test then sends SIGKILL, either there or after
letting it run on for a few milliseconds into the call (a Chroma upsert takes tens of them).
Nothing is replaced: the stop only pauses the real program. Each moment says what the data
directory must show afterwards, so a kill that missed its phase fails the test.

After the kill: a fresh assistant passes the start-up check and answers from the previous index
(or, once the pointer was switched, the new one) in dense and keyword search; ``doctor`` finds
nothing to repair; the next ``assistant ingest`` completes and leaves Chroma, the keyword index
and the manifest holding exactly the chunks a clean ingest of the same files holds, each found
by a dense search for its own text. The same holds for a first ingest killed half-way.
"""

from __future__ import annotations

import inspect
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from assistant.config import REPO_ROOT, ChunkVectors, Settings
from assistant.core import Assistant
from assistant.health import embedding_cache, open_assistant, repair
from assistant.index import Snapshot
from assistant.ingest import EMBED_GROUP, answer_sentences
from assistant.store import forget_local_client

NEW_DOC = "ny.md"
CHANGED_DOC = "samverkan-samverkan-samverkan.md"
ADDED = "Tillägg om kvantdatorer i gjuterier."
WAIT = 120.0  # seconds for the child to reach its kill point


def _stop_at_kill_point() -> None:
    """Runs in the ingest process, as its sitecustomize. KILL_POINT is ``kind|name|n``:
    ``call`` (a Python function, by qualified name), ``c_call`` (a C or Rust function, e.g.
    ``Bindings.upsert`` of Chroma) or an audit event (``open``, ``os.rename``,
    ``shutil.rmtree``, whose path matches the pattern ``name``). The n-th time it is reached,
    KILL_MARK is written and the process stops itself; if it is let run on and the call
    returns, KILL_MARK.returned is written. Calls are watched from the moment the ingest
    takes its lock, so start-up runs at full speed."""
    import os
    import signal
    import sys
    from fnmatch import fnmatch
    from pathlib import Path
    from typing import Any

    spec = os.environ.get("KILL_POINT")
    if not spec:
        return
    kind, name, nth = spec.split("|")
    mark = Path(os.environ["KILL_MARK"])
    left = int(nth)
    fired = False
    watched: list[Any] = []  # the frame and function of the call that was stopped in

    def stop(what: str) -> None:
        nonlocal fired
        fired = True
        mark.write_text(what, encoding="utf-8")
        os.kill(os.getpid(), signal.SIGSTOP)

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal left
        if fired:  # watch for the end of the call it was stopped in
            if kind == "call":
                done = event in ("return", "exception") and frame is watched[0]
            else:
                done = event in ("c_return", "c_exception") and arg is watched[1]
            if done:
                mark.with_name(mark.name + ".returned").write_text("", encoding="utf-8")
                sys.setprofile(None)
            return
        if event != kind:
            return
        here = frame.f_code.co_qualname if kind == "call" else getattr(arg, "__qualname__", "")
        if here == name:
            left -= 1
            if left == 0:
                watched[:] = [frame, arg]
                stop(f"{kind} {name}")

    def audit(event: str, args: tuple[Any, ...]) -> None:
        nonlocal left
        if fired:
            return
        if event == "open" and str(args[0]).endswith("/.lock") and kind in ("call", "c_call"):
            sys.setprofile(profile)  # the ingest begins
        if event != kind:
            return
        path = str(args[1] if event == "os.rename" else args[0])
        if fnmatch(path, name):
            left -= 1
            if left == 0:
                stop(f"{event} {path}")

    sys.addaudithook(audit)


@dataclass(frozen=True)
class Moment:
    """Where to kill, and what the data directory shows when the kill landed there."""

    point: str  # KILL_POINT
    run_on: float | None  # seconds the child runs on into the call before SIGKILL
    live: str  # "previous" or "new": the index that answers after the kill
    shows: dict[str, object] = field(default_factory=dict)  # of _after_kill()


MOMENTS = {
    # before anything is written: the first group of new texts is being embedded
    "embedding": Moment(
        "call|FakeEmbeddings.embed_documents|1", None, "previous", {"cached": False, "orphans": 0}
    ),
    # the embedding cache's first new rows are written but not committed: they are lost
    "cache-commit": Moment(
        "c_call|Connection.commit|1", None, "previous", {"cached": False, "orphans": 0}
    ),
    # inside Chroma's upsert of the first group (a few ms into the call)
    "upsert": Moment("c_call|Bindings.upsert|1", 0.003, "previous", {"returned": False}),
    # the first group is in Chroma, the second is being embedded: Chroma holds vectors that
    # no manifest lists
    "between-groups": Moment(
        "call|FakeEmbeddings.embed_documents|2", None, "previous", {"cached": True, "orphans": 128}
    ),
    # inside Chroma's upsert of the second group, further into the call
    "upsert-later": Moment(
        "c_call|Bindings.upsert|2", 0.02, "previous", {"returned": False, "group_one": True}
    ),
    # the new version's manifest and chunks are written, its tokens not yet
    "version-files": Moment(
        "open|*/.tmp-v*/tokens.jsonl|1", None, "previous", {"half_written": True, "switched": False}
    ),
    # the new version is complete, the pointer to it written but not yet renamed into place
    "pointer": Moment(
        "os.rename|*/CURRENT|1", None, "previous", {"versions": 2, "switched": False}
    ),
    # the pointer is switched; the old version and the replaced chunks' vectors remain
    "old-version": Moment(
        "shutil.rmtree|*/index/v*|1", None, "new", {"switched": True, "versions": 2}
    ),
    # inside Chroma's delete of the replaced chunks' vectors
    "stale-delete": Moment(
        "c_call|Bindings.delete|1", 0.002, "new", {"switched": True, "returned": False}
    ),
}


def _settings(root: Path, chunk_vectors: ChunkVectors = "embedded") -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=root / "data",
        corpus_paths=[root / "corpus"],
        embedder="fake",
        chunk_vectors=chunk_vectors,
    )


def _env(root: Path, chunk_vectors: ChunkVectors = "embedded") -> dict[str, str]:
    return {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(root / "data"),
        "ASSISTANT_CORPUS_PATHS": f'["{root / "corpus"}"]',
        "ASSISTANT_EMBEDDER": "fake",
        "ASSISTANT_CHUNK_VECTORS": chunk_vectors,
    }


def _new_document() -> str:
    """About 200 chunks: two groups of embedding and upsert (ingest.EMBED_GROUP is 128)."""
    tools = ["balkar", "fixturer", "konsoler", "ramar", "skenor", "lock", "stag"]
    places = ["Uddevalla", "Luleå", "Skövde", "Olofström", "Trollhättan"]
    sentences = [
        f"Robotcell {i} svetsar {tools[i % 7]} åt varvet i {places[i % 5]} under skift {i % 3}."
        for i in range(2200)
    ]
    return "---\ntitle: Robotceller\n---\n" + " ".join(sentences) + "\n"


def _open(settings: Settings) -> Assistant:
    """A fresh assistant through the start-up check, as `ask`, `status` and `serve` open one
    (this process's cached Chroma client is forgotten first, so it reads the disk anew)."""
    forget_local_client(settings.chroma_dir)
    return open_assistant(settings)


def _kill_during_ingest(
    root: Path, moment: Moment, chunk_vectors: ChunkVectors = "embedded"
) -> str:
    """Start `assistant ingest`, SIGKILL it at the moment; what it had reached."""
    hook = root / "hook"
    hook.mkdir()
    source = inspect.getsource(_stop_at_kill_point)
    (hook / "sitecustomize.py").write_text(f"{source}\n\n_stop_at_kill_point()\n")
    mark = root / "kill-mark"
    env = {
        **_env(root, chunk_vectors),
        "KILL_POINT": moment.point,
        "KILL_MARK": str(mark),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
    }
    with (root / "ingest.err").open("w") as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "assistant", "ingest"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        deadline = time.monotonic() + WAIT
        while not _stopped(child.pid):
            if child.poll() is not None:
                text = (root / "ingest.err").read_text()
                pytest.fail(f"the ingest ended ({child.returncode}) before {moment.point}: {text}")
            if time.monotonic() > deadline:
                child.kill()
                pytest.fail(f"the ingest did not reach {moment.point} in {WAIT} s")
            time.sleep(0.002)
        if moment.run_on is not None:
            os.kill(child.pid, signal.SIGCONT)
            time.sleep(moment.run_on)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    return mark.read_text(encoding="utf-8")


def _stopped(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "T"


def _cached(settings: Settings) -> int:
    """Vectors in the embedding cache."""
    with closing(sqlite3.connect(embedding_cache(settings))) as db:
        return int(db.execute("SELECT count(*) FROM emb").fetchone()[0])


def _after_kill(root: Path, before: Snapshot, settings: Settings, cached: int) -> dict[str, object]:
    """What the data directory shows after the kill, in the terms of ``Moment.shows``."""
    index = settings.index_dir
    forget_local_client(settings.chroma_dir)
    live = Snapshot.load(index)
    orphans = Assistant(settings).store.ids() - set(live.chunks) - set(before.chunks)
    tmp = [d for d in index.glob(".tmp-v*") if d.is_dir()]
    return {
        "returned": (root / "kill-mark.returned").exists(),
        "cached": _cached(settings) > cached,
        "orphans": len(orphans),
        "group_one": len(orphans) >= EMBED_GROUP,
        "half_written": any(
            (d / "manifest.json").exists() and not (d / "tokens.jsonl").exists() for d in tmp
        ),
        "versions": len([d for d in index.glob("v*") if d.is_dir()]),
        "switched": live.version_dir != before.version_dir,
    }


def _top(assistant: Assistant, query: str, mode: str) -> str:
    hits = assistant.search(query, k=1, mode=mode)  # type: ignore[arg-type]
    assert hits, (query, mode)
    return hits[0].chunk.id


@pytest.fixture(scope="module")
def clean_ids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The chunk ids of one uninterrupted ingest of the changed corpus."""
    root = tmp_path_factory.mktemp("clean")
    _corpus(root, changed=True)
    with pytest.MonkeyPatch.context() as mp:  # conftest's isolation does not reach here
        for key in [k for k in os.environ if k.startswith("ASSISTANT_")]:
            mp.delenv(key)
        assistant = Assistant(_settings(root))
        assistant.ingest()
    forget_local_client(_settings(root).chroma_dir)
    return set(assistant.snapshot.chunks)


def _corpus(root: Path, *, changed: bool) -> None:
    if not (root / "corpus").exists():
        shutil.copytree(REPO_ROOT / "corpus", root / "corpus")
    if changed:  # a new document of two embedding groups, and one document edited
        (root / "corpus" / NEW_DOC).write_text(_new_document(), encoding="utf-8")
        edited = root / "corpus" / CHANGED_DOC
        edited.write_text(edited.read_text(encoding="utf-8") + f"\n\n{ADDED}\n", "utf-8")


@pytest.mark.slow  # two ingest processes per moment, ~8 s each on 2 busy cores
@pytest.mark.parametrize("name", list(MOMENTS))
def test_kill_9_during_ingest(tmp_path: Path, name: str, clean_ids: set[str]) -> None:
    moment = MOMENTS[name]
    settings = _settings(tmp_path)
    _corpus(tmp_path, changed=False)
    first = Assistant(settings)
    first.ingest()
    before = first.snapshot
    del first
    forget_local_client(settings.chroma_dir)
    cached = _cached(settings)
    _corpus(tmp_path, changed=True)

    reached = _kill_during_ingest(tmp_path, moment)
    shows = _after_kill(tmp_path, before, settings, cached)
    expected = {k: shows[k] for k in moment.shows}
    assert expected == moment.shows, f"the kill at {reached!r} missed its moment: {shows}"

    # (1) a fresh assistant passes the start-up check and answers from a whole version
    assistant = _open(settings)
    snap = assistant.snapshot
    if moment.live == "previous":
        assert snap.version_dir == before.version_dir
        assert snap.chunks.keys() == before.chunks.keys()
        assert NEW_DOC not in snap.documents
    else:
        assert set(snap.chunks) == clean_ids
    for doc in snap.documents.values():
        first_chunk = snap.chunks[doc.chunk_ids[0]]
        for mode in ("dense", "keyword"):
            assert _top(assistant, first_chunk.text, mode) == first_chunk.id, (doc.id, mode)
    # (2) doctor finds nothing to repair (it also checks Chroma's database page by page)
    forget_local_client(settings.chroma_dir)
    checked = repair(settings)
    assert checked.found == [] and checked.remaining == [], checked

    # (3) the next ingest completes, and every index holds exactly the clean ingest's chunks
    _next_ingest_is_consistent(tmp_path, clean_ids)


@pytest.mark.slow
def test_kill_9_during_the_first_ingest(tmp_path: Path, clean_ids: set[str]) -> None:
    # no index yet, and the first group's vectors already in Chroma
    settings = _settings(tmp_path)
    _corpus(tmp_path, changed=True)
    _kill_during_ingest(tmp_path, MOMENTS["between-groups"])
    assert not (settings.index_dir / "CURRENT").exists()
    assistant = _open(settings)  # passes the start-up check: nothing is indexed yet
    assert assistant.snapshot.empty and len(assistant.store.ids()) == EMBED_GROUP
    assert assistant.search("robotcell svetsar balkar", mode="hybrid") == []  # none of them
    forget_local_client(settings.chroma_dir)
    checked = repair(settings)
    assert checked.found == [] and checked.remaining == [], checked
    _next_ingest_is_consistent(tmp_path, clean_ids)


@pytest.mark.slow
def test_kill_9_between_groups_with_chunk_vectors_from_sentences(
    tmp_path: Path, clean_ids: set[str]
) -> None:
    # the cache keeps the sentences of the finished group, from which the next ingest makes
    # the chunk vectors again; Chroma then holds exactly the clean ingest's chunks
    settings = _settings(tmp_path, "from_sentences")
    _corpus(tmp_path, changed=False)
    Assistant(settings).ingest()
    forget_local_client(settings.chroma_dir)
    cached = _cached(settings)
    _corpus(tmp_path, changed=True)
    _kill_during_ingest(tmp_path, MOMENTS["between-groups"], "from_sentences")
    assert _cached(settings) > cached
    forget_local_client(settings.chroma_dir)
    checked = repair(settings)
    assert checked.found == [] and checked.remaining == [], checked
    _next_ingest_is_consistent(tmp_path, clean_ids, "from_sentences")


def _next_ingest_is_consistent(
    root: Path, clean_ids: set[str], chunk_vectors: ChunkVectors = "embedded"
) -> None:
    """`assistant ingest` completes; Chroma, the keyword index and the manifest then hold the
    chunks of a clean ingest, once each, every one found by dense search for its vector (its
    text's, or the normalised mean of its sentences')."""
    settings = _settings(root, chunk_vectors)
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest"],
        env=_env(root, chunk_vectors),
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 0, done.stderr
    assistant = _open(settings)
    snap = assistant.snapshot
    listed = [cid for d in snap.documents.values() for cid in d.chunk_ids]
    in_chroma = assistant.store._chroma.get(include=[])["ids"]
    assert len(listed) == len(set(listed)) and len(in_chroma) == len(set(in_chroma))
    assert set(in_chroma) == set(snap.keyword.ids) == set(listed) == set(snap.chunks)
    assert set(snap.chunks) == clean_ids
    hashes = [d.content_hash for d in snap.documents.values()]
    assert len(hashes) == len(set(hashes)) == 4  # no document twice
    vectors = assistant.embeddings
    ids = list(snap.chunks)
    got = assistant.store._chroma.get(ids=ids, include=["embeddings"])
    stored = dict(zip(got["ids"], got["embeddings"], strict=True))
    for cid, chunk in snap.chunks.items():  # every vector is whole and searchable
        if chunk_vectors == "embedded":
            vector = np.asarray(vectors.embed_query(chunk.text))
        else:
            vector = np.mean(vectors.embed_documents(answer_sentences(chunk)), axis=0)
            vector /= np.linalg.norm(vector)
        assert np.asarray(stored[cid]) == pytest.approx(vector, abs=1e-6), cid
        # found among the nearest: the new document's ~200 chunks differ only in numbers,
        # so their fake vectors are near neighbours and HNSW's top 1 may be another one
        hits = dict(assistant.store.search(vector.tolist(), 10))
        assert hits.get(cid) == pytest.approx(1.0, abs=1e-5), cid
    # the new and the edited document, by dense search for a passage and by keywords (a
    # few words alone make a sparse fake vector, for which Chroma's HNSW search is approximate)
    for words, doc_id, passage in (
        ("robotcell svetsar balkar Uddevalla", NEW_DOC, "Robotcell 1000 "),
        ("kvantdatorer gjuterier", CHANGED_DOC, ADDED),
    ):
        chunk = next(c for c in snap.chunks.values() if passage in c.text)
        assert chunk.doc_id == doc_id
        if chunk_vectors == "embedded":
            assert _top(assistant, chunk.text, "dense") == chunk.id
        assert assistant.search(words, k=1, mode="keyword")[0].chunk.doc_id == doc_id
    # and nothing a killed ingest wrote is left beside the current version
    index = settings.index_dir
    assert [p.name for p in index.iterdir() if p.name not in (".lock", "CURRENT")] == [
        snap.version_dir.name if snap.version_dir else None
    ]
    forget_local_client(settings.chroma_dir)


def test_an_ingest_removes_what_a_killed_one_left_beside_the_index(tmp_path: Path) -> None:
    # the files a kill at the switch leaves (see the moments "pointer" and "old-version"),
    # when the next ingest has nothing to change and so writes no version of its own
    settings = _settings(tmp_path)
    _corpus(tmp_path, changed=False)
    assistant = Assistant(settings)
    assistant.ingest()
    current = assistant.snapshot.version_dir
    assert current is not None
    index = settings.index_dir
    shutil.copytree(current, index / "v1")  # the previous version
    shutil.copytree(current, index / ".tmp-v2")  # a half-written one
    (index / ".CURRENT.tmp").write_text("v2", encoding="utf-8")
    report = assistant.ingest()
    assert not report.changed
    assert sorted(p.name for p in index.iterdir()) == sorted([".lock", "CURRENT", current.name])
    forget_local_client(settings.chroma_dir)
