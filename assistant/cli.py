"""The command line: ingest, search, status, ask, chat, serve, eval.

User-facing errors (``AssistantError``, invalid settings) become one clean line and exit code
1; set ASSISTANT_DEBUG=1 to see the traceback instead. Messages about a question are in the
question's language (an empty question: ASSISTANT_UI_LANGUAGE), framed in the same language
("Fel: …" / "Error: …"); messages about the tool itself are English, like the help.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .config import BackendName, RetrievalMode, Settings
from .errors import AssistantError
from .malloc import fewer_malloc_arenas
from .models import Answer, IngestReport, Turn
from .sentences import QUOTATION_MARKS, unpaired_quote_mark

app = typer.Typer(
    help="Produktionsrådgivaren: answers about improvement and renewal in production, "
    "from the programme documents, with sources.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: typer's rich panels label every flag "<bool>"
)
console = Console()
err = Console(stderr=True)


def _debug() -> bool:
    return bool(os.environ.get("ASSISTANT_DEBUG"))


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except (AssistantError, ValidationError) as exc:
        if _debug():
            raise
        msg = str(exc)
        if isinstance(exc, ValidationError):
            msg = "Invalid settings: " + "; ".join(
                (f"ASSISTANT_{'_'.join(str(p) for p in e['loc']).upper()}: " if e["loc"] else "")
                + e["msg"]
                for e in exc.errors()
            )
        prefix = "Fel:" if getattr(exc, "lang", None) == "sv" else "Error:"
        err.print(f"[red]{prefix}[/red] {escape(msg)}", soft_wrap=True)  # a line: greppable
        raise typer.Exit(1) from None


def _settings(**overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**values)


def _assistant(settings: Settings, *, for_ingest: bool = False, warm: bool = False) -> Any:
    """The assistant over checked data: damaged or disagreeing files end in one line that says
    what is wrong and how to fix it (see ``assistant doctor``). ``warm``: the command answers,
    so what the first answer needs is loaded while the dense index loads."""
    from .health import open_assistant

    return open_assistant(settings, for_ingest=for_ingest, warm=warm)


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    labels = {
        "load": "Reading documents",
        "embed": "Embedding chunks",
        "sentences": "Embedding sentences",
        "index": "Writing index",
    }
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def ingest_summary(report: IngestReport, documents: int) -> str:
    """What the ingest did, in words that are true also when nothing could be read."""
    failed = len(report.failures)
    noun = "file" if all(Path(f.path).is_file() for f in report.failures) else "path"
    unreadable = f"{_count(failed, noun)} could not be read" if failed else ""
    held = (
        f"The index holds {_count(report.chunks, 'chunk')} from {_count(documents, 'document')}."
        if documents
        else "The index is empty."
    )
    if report.changed:
        counts = [
            f"{len(names)} {label}"
            for label, names in (
                ("added", report.added),
                ("updated", report.updated),
                ("removed", report.removed),
                ("moved", report.moved),
                ("unchanged", report.unchanged),
            )
            if names
        ]
        done = f"Indexed in {report.seconds:.1f} s: {', '.join(counts)}"
        done += f"; {_count(report.embedded, 'passage')} embedded"
        return f"{done}{'; ' + unreadable if failed else ''}. {held}"
    unchanged = f"{_count(len(report.unchanged), 'document')} unchanged"
    if failed:
        also = f"; {unchanged}" if report.unchanged else ""
        return f"Nothing indexed: {unreadable}{also}. {held}"
    if report.reanalysed:
        return (
            f"Terms analysed again for the new text analyser: {unchanged}, nothing embedded "
            f"({report.seconds:.1f} s). {held}"
        )
    # passages embedded for unchanged documents: a vector store without them (another ingest
    # engine's collection, or a store that was deleted)
    embedded = (
        f"{_count(report.embedded, 'passage')} embedded into the vector store"
        if report.embedded
        else "no passage embedded"
    )
    if report.words_added:
        return (
            f"Word vectors made for English questions: {unchanged}, {embedded} "
            f"({report.seconds:.1f} s). {held}"
        )
    if report.embedded:
        return f"Vectors made again: {unchanged}, {embedded} ({report.seconds:.1f} s). {held}"
    return f"Nothing to do: {unchanged} ({report.seconds:.1f} s). {held}"


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATHS", help="Files or folders (default: corpus)"),
    ] = None,
) -> None:
    """Index documents (incremental: unchanged documents cost nothing).

    Exits 1 when a path named here cannot be indexed (what could be read is indexed), or when
    a corpus path is missing or none of its files can be read; the default corpus with a few
    unreadable files exits 0 so that `make run` still starts the chat.
    """
    with _user_errors():
        settings = _settings()
        assistant = _assistant(settings, for_ingest=True)
        with _progress() as progress:
            report = assistant.ingest(paths or None, progress=progress)
        console.print(ingest_summary(report, len(assistant.snapshot.documents)))
        for f in report.failures:
            # soft_wrap: the terminal wraps it, so a copied path has no line break in it
            err.print(
                f"[yellow]Could not index[/yellow] {escape(f.path)}: {escape(f.reason)}",
                soft_wrap=True,
            )
        read = report.added or report.updated or report.unchanged or report.moved
        missing = any(not Path(p).exists() for p in paths or settings.corpus_paths)
        if report.failures and (paths or missing or not read):
            raise typer.Exit(1)


@app.command()
def remove(
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATHS", help="Document files, or document ids as in `status`"),
    ],
) -> None:
    """Remove documents: move their files to <data dir>/removed/ and drop them from the index.

    Nothing is deleted: move a file back and run `assistant ingest` to undo. Every path is
    checked before anything moves; exits 1 when one is not a document of the corpus.
    """
    with _user_errors():
        from .documents import ingest_paths, remove_file

        settings = _settings()
        assistant = _assistant(settings)
        files = [_document_file(assistant, p) for p in paths]
        moved = [(file, remove_file(settings, file)) for file in files]
        report = assistant.ingest(ingest_paths(settings))
        for file, where in moved:
            console.print(f"Removed {escape(file.name)} (the file is now {escape(str(where))})")
        console.print(ingest_summary(report, len(assistant.snapshot.documents)))


def _document_file(assistant: Any, path: Path) -> Path:
    """The file of a document given by its path or its id."""
    from .documents import removable

    entry = assistant.snapshot.documents.get(path.as_posix())
    file = path if path.is_file() else Path(entry.path) if entry is not None else None
    if file is None or not removable(assistant.settings, file):
        raise AssistantError(f"{path}: not a document of the corpus (see `assistant status`)")
    return file


NO_PASSAGES = {
    "sv": "Inga avsnitt hittades för frågan.",
    "en": "No passages found for the question.",
}


@app.command()
def search(
    question: Annotated[str, typer.Argument(metavar="QUESTION")],
    k: Annotated[int, typer.Option("-k", help="Number of passages")] = 5,
    mode: Annotated[RetrievalMode | None, typer.Option(help="hybrid, dense or keyword")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Show the passages retrieval finds for a question."""
    from .analysis import detect_language
    from .core import MESSAGES

    with _user_errors():
        settings = _settings()
        assistant = _assistant(settings)
        question = question.strip()
        lang = detect_language(question) if question else settings.ui_language
        if not question:
            raise AssistantError(MESSAGES["empty_question"][lang], lang=lang)
        if assistant.snapshot.empty:
            raise AssistantError(MESSAGES["empty_index"][lang], lang=lang)
        hits = assistant.search(question, k=k, mode=mode)
        if as_json:
            print(json.dumps([h.model_dump() for h in hits], ensure_ascii=False, indent=1))
            return
        if not hits:
            console.print(NO_PASSAGES[lang])
        page = "s." if lang == "sv" else "p."
        for h in hits:
            # the rank and score first and fixed-width, so a narrow terminal wraps the title
            where = h.chunk.meta.title + (f", {page} {h.chunk.page}" if h.chunk.page else "")
            if h.rank > 1:
                console.print()
            console.print(escape(f"{h.rank}. score {h.score:.4f}  {where}"), style="bold")
            console.print(escape(h.chunk.text))


@app.command()
def status() -> None:
    """What is indexed, with which embedder and backend, and how fresh it is."""
    with _user_errors():
        from .health import feedback_problem

        settings = _settings()
        st = _assistant(settings).status()
        table = Table(show_header=False)
        for key, value in st.model_dump().items():
            table.add_row(key.replace("_", " "), str(value))
        console.print(table)
        if st.stale:
            console.print(
                "[yellow]The index is out of date (the corpus or the analyser changed): run "
                "`assistant ingest`."
            )
        if problem := feedback_problem(settings):
            err.print(f"[yellow]Warning:[/yellow] {escape(str(problem))}", soft_wrap=True)


def _render(answer: Answer) -> None:
    for notice in answer.notices:
        console.print(f"[yellow]ⓘ {escape(notice)}[/yellow]")
    console.print(Markdown(answer.text))
    if answer.citations:
        console.print()
        label = "Källor" if answer.language == "sv" else "Sources"
        console.print(f"[bold]{label}[/bold]")
        for c in answer.citations:
            origin = ", ".join(x for x in (c.organisation, c.date) if x)
            page = f", s. {c.page}" if c.page else ""
            where = f" ({origin}{page})" if origin else page
            console.print(escape(f"[{c.number}] {c.title}{where}"))
            console.print(escape(f"    {quoted(c.quote)}"), style="dim")
    if answer.more:
        console.print()
        label = "Läs mer" if answer.language == "sv" else "Read more"
        console.print(f"[bold]{label}[/bold]")
        for c in answer.more:
            page = f", s. {c.page}" if c.page else ""
            console.print(escape(f"- {quoted(c.quote)} ({c.title}{page})"))


def quoted(quote: str) -> str:
    """A citation's verbatim quote between quotation marks, as the source list shows it. A
    quote that is the first or last sentence of a longer quotation holds one mark whose
    partner lies outside it ("Vi måste … även i produktion.”"): that mark is left out, or the
    list showed “… även i produktion.””. A quote that is one whole quotation gets no more."""
    text = quote.strip()
    head, tail = unpaired_quote_mark(text)
    text = text[head : len(text) - tail]
    if len(text) > 1 and text[0] in QUOTATION_MARKS and text[-1] in QUOTATION_MARKS:
        return text
    return f"“{text}”"


@app.command()
def ask(
    question: Annotated[str, typer.Argument(metavar="QUESTION")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    backend: Annotated[BackendName | None, typer.Option(help="Answering backend")] = None,
) -> None:
    """Answer one question from the documents, with numbered sources."""
    with _user_errors():
        answer = _assistant(_settings(backend=backend), warm=True).ask(question)
        if as_json:
            print(answer.model_dump_json(indent=1))
        else:
            _render(answer)


@app.command()
def chat(
    backend: Annotated[BackendName | None, typer.Option(help="Answering backend")] = None,
) -> None:
    """A conversation in the terminal; follow-up questions keep the context. Ctrl-D ends it."""
    with _user_errors():
        assistant = _assistant(_settings(backend=backend), warm=True)
    history: list[Turn] = []
    console.print("Ställ en fråga (Ctrl-D avslutar) / Ask a question (Ctrl-D to quit).")
    while True:
        try:
            question = console.input("[bold]› [/bold]").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not question:
            continue
        try:
            answer = assistant.ask(question, history)
        except AssistantError as exc:
            err.print(f"[red]{escape(str(exc))}[/red]")
            continue
        _render(answer)
        history += [
            Turn(role="user", content=question),
            Turn(role="assistant", content=answer.text),
        ]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 7860)")] = None,
) -> None:
    """Start the chat application in the browser."""
    fewer_malloc_arenas()
    with _user_errors():
        settings = _settings(host=host, port=port)
        from .health import feedback_problem
        from .ui import launch

        assistant = _assistant(settings, warm=True)
        if problem := feedback_problem(settings):
            err.print(
                f"[yellow]Ratings will not be saved:[/yellow] {escape(str(problem))}",
                soft_wrap=True,
            )
        launch(assistant, settings)


@app.command()
def doctor() -> None:
    """Check the index, the dense index, the embedding cache and the feedback database, and
    rebuild what is damaged from the documents and the embedding cache.

    Nothing is deleted: damaged files are moved or copied aside (the command says where), and
    the documents are only read. Exits 1 when something could not be repaired."""
    from .health import repair

    with _user_errors():
        settings = _settings()
        with _progress() as progress:
            report = repair(settings, progress)
        for problem in report.found:
            console.print(f"[yellow]Found:[/yellow] {escape(problem.what)}")
        for line in report.done:
            console.print(f"[green]Done:[/green] {escape(line)}")
        for path in report.lost:
            err.print(f"[yellow]Not indexed again (file gone):[/yellow] {escape(path)}")
        for problem in report.remaining:
            err.print(f"[red]Still wrong:[/red] {escape(str(problem))}")
        if report.remaining:
            raise typer.Exit(1)
        if not report.found:
            console.print(
                "Nothing to repair: the index, the dense index, the embedding cache "
                "and the feedback database are whole and agree."
            )


eval_app = typer.Typer(help="Answer-quality evaluation with baselines, report and gate.")
app.add_typer(eval_app, name="eval")

DEFAULT_CASES = [Path("eval/cases.jsonl")]
DEFAULT_THRESHOLDS = Path("eval/thresholds.toml")


@eval_app.callback(invoke_without_command=True)
def evaluate(
    ctx: typer.Context,
    cases: Annotated[list[Path] | None, typer.Option("--cases", help="JSONL case files")] = None,
    mode: Annotated[
        list[str] | None, typer.Option("--mode", help="Retrieval modes to run (default: all)")
    ] = None,
    backend: Annotated[BackendName | None, typer.Option(help="Answering backend")] = None,
    out: Annotated[Path, typer.Option(help="Where results.json and the report go")] = Path(
        "out/eval"
    ),
    compare_to: Annotated[
        Path | None,
        typer.Option("--compare", help="Earlier results.json (default: the one in --out)"),
    ] = None,
    thresholds: Annotated[Path | None, typer.Option(help="Gate thresholds (TOML)")] = None,
    baselines: Annotated[
        bool,
        typer.Option(
            help="Also run the baselines: the previous extractive answerer (extractive-v1) "
            "and a naive langchain RAG (naive-rag)"
        ),
    ] = True,
    split: Annotated[
        str,
        typer.Option(
            help="Cases to run: dev, test or all. The gate checks the test split when the run "
            "has test cases, else all of them"
        ),
    ] = "all",
    judge: Annotated[
        bool,
        typer.Option(
            "--judge",
            help="Also score each answer's faithfulness and relevance with an LLM judge "
            "(model opinions, reported apart from the offline metrics)",
        ),
    ] = False,
    judge_backend: Annotated[
        BackendName | None,
        typer.Option(help="LLM backend of the judge (default: --backend / ASSISTANT_BACKEND)"),
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option(help="Model the judge uses (default: ASSISTANT_LLM_MODEL)")
    ] = None,
) -> None:
    """Run the evaluation: prints a table, writes results.json and a report, exits 1 when a
    metric breaks a threshold."""
    if ctx.invoked_subcommand is not None:
        return
    from .config import REPO_ROOT
    from .evaluation.cases import load_cases
    from .evaluation.compare import compare
    from .evaluation.gate import load_thresholds, verdict
    from .evaluation.report import write_report
    from .evaluation.results import RunResults
    from .evaluation.run import run_eval

    with _user_errors():
        case_files = cases or [REPO_ROOT / p for p in DEFAULT_CASES]
        loaded = load_cases(case_files)
        if split not in ("dev", "test", "all"):
            raise AssistantError(f"Unknown split {split!r}: use dev, test or all")
        modes = mode or ["hybrid", "dense", "keyword"]
        bad = [m_ for m_ in modes if m_ not in ("hybrid", "dense", "keyword")]
        if bad:
            raise AssistantError(f"Unknown mode(s) {bad}: use hybrid, dense or keyword")
        gate_file = thresholds or REPO_ROOT / DEFAULT_THRESHOLDS
        limits = load_thresholds(gate_file)
        previous_file = compare_to or out / "results.json"
        previous = RunResults.load(previous_file) if previous_file.exists() else None

        settings = _settings(backend=backend)
        judge_chat = _judge_chat_model(settings, judge_backend, judge_model) if judge else None
        assistant = _assistant(settings, for_ingest=True)
        with _progress() as progress:
            assistant.ingest(progress=progress)
            results = run_eval(
                assistant,
                loaded,
                modes,  # type: ignore[arg-type]
                backend,
                baselines,
                progress,
                judge_model=judge_chat,
                split=split,
            )
        shown = gate_file.resolve()
        if shown.is_relative_to(REPO_ROOT):
            shown = shown.relative_to(REPO_ROOT)
        results.gate = verdict(results, limits, shown)
        comparison = compare(previous, results) if previous else None
        out.mkdir(parents=True, exist_ok=True)
        results.save(out / "results.json")
        md, html = write_report(results, out, comparison)
        _print_eval_table(results)
        _print_judge(results)
        console.print(escape(f"Report: {md} and {html}"))
        if not (out / "charts").is_dir():
            from .evaluation.charts import NEEDS_MATPLOTLIB

            console.print(escape(NEEDS_MATPLOTLIB))
        if not results.gate.passed:
            for v in results.gate.violations:
                err.print(f"[red]Below threshold:[/red] {escape(str(v))}")
            raise typer.Exit(1)
        console.print("[green]All thresholds met.[/green]")


def _print_eval_table(results: Any) -> None:
    """All cases per configuration, and the test split beside them when the run has one."""
    from .evaluation.metrics import CHAR_METRICS, JUDGE_KEYS, label

    names = list(results.configs)
    tested = any("test" in c.by_split for c in results.configs.values())
    title = f"Evaluation ({results.settings.get('cases')} cases"
    title += f"; all / test split: {results.settings.get('test_cases')} cases)" if tested else ")"
    table = Table(title=title)
    table.add_column("metric")
    for name in names:
        table.add_column(name, justify="right")
    first = next(iter(results.configs.values())).overall
    keys = [k for k in first if not k.startswith("latency") and k not in JUDGE_KEYS]
    keys += ["latency_total_p50_ms", "latency_total_p95_ms"]

    def shown(key: str, v: float | None) -> str:
        whole = key.endswith("ms") or key in ("cases", "errors", *CHAR_METRICS)
        return "–" if v is None else f"{v:.0f}" if whole else f"{v:.3f}"

    for key in keys:
        row = []
        for name in names:
            cfg = results.configs[name]
            cell = shown(key, cfg.overall.get(key))
            if tested:
                cell += " / " + shown(key, cfg.by_split.get("test", {}).get(key))
            row.append(cell)
        table.add_row(label(key), *row)
    console.print(table)


# --- eval --judge: the optional LLM judge (not offline) --------------------------------------

JUDGE_NEEDS_LLM = (
    "the LLM judge needs an LLM backend: set ASSISTANT_BACKEND (or --backend, or "
    "--judge-backend for the judge alone) to openai, ollama or llamacpp"
)


def _judge_chat_model(settings: Settings, backend: str | None, model: str | None) -> Any:
    """The judge's chat model: the judge backend (default: the answering one), temperature 0."""
    from .llm import make_chat_model

    name = backend or settings.backend
    if name == "extractive":
        raise AssistantError(JUDGE_NEEDS_LLM)
    update: dict[str, Any] = {"llm_temperature": 0.0}
    if model:
        update["llm_model"] = model
    return make_chat_model(settings.model_copy(update=update), name)


def _print_judge(results: Any) -> None:
    """The judge's means per judged configuration, and a warning when answers went unscored."""
    from .evaluation.judge import judge_errors
    from .evaluation.metrics import JUDGE_KEYS, label

    judged = [n for n, c in results.configs.items() if "judge_errors" in c.overall]
    if not judged:
        return
    table = Table(title="LLM judge (not offline: model opinions, 0..1)")
    table.add_column("judge")
    for name in judged:
        table.add_column(name, justify="right")
    for key in JUDGE_KEYS:
        row = []
        for name in judged:
            v = results.configs[name].overall.get(key)
            row.append("–" if v is None else f"{v:.0f}" if key == "judge_errors" else f"{v:.3f}")
        table.add_row(label(key), *row)
    console.print(table)
    errors = [e for n in judged for e in judge_errors(results.configs[n].cases)]
    if errors:
        sent = sum(1 for n in judged for c in results.configs[n].cases if c.judge is not None)
        err.print(
            f"[yellow]Warning:[/yellow] the LLM judge could not score {len(errors)} of {sent} "
            f"answers; their judge scores are missing (first: {escape(errors[0])})."
        )


@eval_app.command("export-feedback")
def export_feedback(
    out: Annotated[Path, typer.Option(help="JSONL file for the candidate cases")] = Path(
        "eval/feedback-candidates.jsonl"
    ),
) -> None:
    """Turn stored thumbs up/down into candidate evaluation cases for review."""
    from .feedback import open_store
    from .health import DataDamaged, feedback_problem

    with _user_errors():
        settings = _settings()
        if problem := feedback_problem(settings):
            raise DataDamaged([problem])
        n = open_store(settings).export_cases(out)
        console.print(escape(f"Wrote {n} candidate case(s) to {out}; review them before adding."))


def main() -> None:  # pragma: no cover - console entry for `python -m assistant`
    sys.exit(app())
