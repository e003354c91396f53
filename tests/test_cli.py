"""The typer CLI through ``CliRunner``: settings come from ASSISTANT_* variables, as in use,
over a copy of the corpus, a real Chroma in a temp dir and the fake embedder."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from assistant import cli, malloc
from assistant.cli import app
from assistant.config import REPO_ROOT, Settings
from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.models import Answer

runner = CliRunner()
QUESTION = "Vilka fyra områden är viktiga för att lyckas med förnyelse i produktion?"
SEARCH = "Tillväxtverket verksamhetsbidrag"
CASES = [
    {
        "id": "c1",
        "lang": "sv",
        "question": "Hur länge pågår Produktionslyftet 4.0?",
        "evidence": ["Utvecklingsprogram på 18 månader"],
        "facts": [["18 månader"]],
        "answerable": True,
    },
    {
        "id": "c2",
        "lang": "sv",
        "question": QUESTION,
        "evidence": ["fyra områden som är viktiga"],
        "facts": [["fyra områden"]],
        "answerable": True,
    },
    {
        "id": "c3",
        "lang": "sv",
        "question": "Vem är programchef för Produktion2030?",
        "evidence": ["programchefen Cecilia Warrol"],
        "facts": [["Cecilia Warrol"]],
        "answerable": True,
    },
    {
        "id": "c4",
        "lang": "en",
        "question": "How much does it cost to take part in Produktionslyftet?",
        "answerable": False,
    },
]
LENIENT = "[hybrid]\nerrors_max = 0\nrecall_at_10 = 0.1\n"
IMPOSSIBLE = "[hybrid]\nrecall_at_1 = 1.01\n"


def flat(text: str) -> str:
    """Output with rich's line wrapping (80 columns under the runner) and padding undone."""
    return " ".join(text.split())


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def copy_corpus(dst: Path) -> Path:
    shutil.copytree(REPO_ROOT / "corpus", dst)
    return dst


Env = Callable[[Path, Path], None]


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch) -> Env:
    """Point the CLI at a corpus and a data directory through the environment."""

    def setenv(corpus: Path, data: Path) -> None:
        monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
        monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
        monkeypatch.setenv("ASSISTANT_CORPUS_PATHS", json.dumps([str(corpus)]))
        # the refusal model is calibrated for the real embedder: with the fake one, answer
        monkeypatch.setenv("ASSISTANT_REFUSAL_THRESHOLD", "1.0")

    return setenv


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, data dir): one ingested index shared by the read-only commands."""
    root = tmp_path_factory.mktemp("cli")
    corpus = copy_corpus(root / "corpus")
    with pytest.MonkeyPatch.context() as mp:  # as conftest's _isolated, for the module
        for key in [k for k in os.environ if k.startswith("ASSISTANT_")]:
            mp.delenv(key)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=root / "data",
            corpus_paths=[corpus],
            embedder="fake",
        )
        Assistant.from_settings(settings).ingest()
    return corpus, root / "data"


@pytest.fixture
def ready(indexed: tuple[Path, Path], use: Env) -> tuple[Path, Path]:
    use(*indexed)
    return indexed


@pytest.fixture
def fresh(tmp_path: Path, use: Env) -> Path:
    """A corpus copy and an empty data directory; returns the corpus."""
    corpus = copy_corpus(tmp_path / "corpus")
    use(corpus, tmp_path / "data")
    return corpus


# --- ingest --------------------------------------------------------------------------------

INGESTED = re.compile(
    r"Indexed in \d+\.\d s: 3 added; (\d+) passages embedded\. "
    r"The index holds (\d+) chunks from 3 documents\."
)


def test_ingest_prints_counts_and_is_incremental(fresh: Path) -> None:
    first = invoke("ingest")
    assert first.exit_code == 0, first.output
    m = INGESTED.fullmatch(flat(first.stdout))
    assert m, first.stdout
    embedded, chunks = map(int, m.groups())
    assert embedded > chunks > 0  # the chunks and their sentences
    assert first.stderr.strip() == ""

    second = invoke("ingest")
    assert second.exit_code == 0
    assert re.fullmatch(
        rf"Nothing to do: 3 documents unchanged \(\d+\.\d s\)\. "
        rf"The index holds {chunks} chunks from 3 documents\.",
        flat(second.stdout),
    )


def test_ingest_reports_an_unreadable_file(fresh: Path) -> None:
    """The default corpus with a bad file still exits 0, so `make run` starts the chat."""
    broken = fresh / "trasig.pdf"
    broken.write_bytes(b"not a pdf at all")
    result = invoke("ingest")

    assert result.exit_code == 0
    out = flat(result.stdout)
    assert re.match(r"Indexed in \d+\.\d s: 3 added; \d+ passages embedded; 1 file could", out)
    assert "1 file could not be read. The index holds" in out
    err = flat(result.stderr)
    assert f"Could not index {broken}:" in err
    assert "damaged PDF" in err


def test_ingest_of_a_missing_path_fails_and_says_nothing_was_indexed(
    fresh: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "finns-inte"
    result = invoke("ingest", str(missing))
    assert result.exit_code == 1
    assert flat(result.stdout) == "Nothing indexed: 1 path could not be read. The index is empty."
    assert flat(result.stderr) == f"Could not index {missing}: no such file or folder"


def test_a_named_unreadable_file_fails_but_the_rest_is_indexed(fresh: Path) -> None:
    broken = fresh.parent / "trasig.pdf"
    broken.write_bytes(b"not a pdf at all")
    result = invoke("ingest", str(fresh), str(broken))
    assert result.exit_code == 1
    out = flat(result.stdout)
    assert re.match(r"Indexed in \d+\.\d s: 3 added; .*; 1 file could not be read\.", out)
    assert "from 3 documents." in out
    assert "damaged PDF" in flat(result.stderr)

    again = invoke("ingest", str(broken))  # nothing readable: no "Indexed", old index kept
    assert again.exit_code == 1
    assert flat(again.stdout).startswith(
        "Nothing indexed: 1 file could not be read. The index holds "
    )
    assert flat(again.stdout).endswith(" from 3 documents.")


def test_a_corpus_where_every_file_fails_exits_1(tmp_path: Path, use: Env) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "trasig.pdf").write_bytes(b"not a pdf at all")
    use(corpus, tmp_path / "data")
    result = invoke("ingest")
    assert result.exit_code == 1
    assert flat(result.stdout) == "Nothing indexed: 1 file could not be read. The index is empty."


def test_an_unreadable_file_is_named_once(fresh: Path) -> None:
    broken = fresh / "trasig.pdf"
    broken.write_bytes(b"not a pdf at all")
    err = flat(invoke("ingest").stderr)
    assert f"Could not index {broken}: damaged PDF" in err


def test_a_file_name_with_brackets_is_printed_as_it_is(fresh: Path) -> None:
    odd = fresh / "rapport [utkast].xyz"
    odd.write_text("text", encoding="utf-8")
    result = invoke("ingest")
    assert result.exit_code == 0
    assert f"Could not index {odd}: unsupported file type .xyz" in flat(result.stderr)


# --- search, status, ask -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_search_json(ready: tuple[Path, Path], mode: str) -> None:
    result = invoke("search", SEARCH, "--json", "--mode", mode)
    assert result.exit_code == 0
    hits = json.loads(result.stdout)
    assert 1 <= len(hits) <= 5
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert all(h["chunk"]["text"] and h["chunk"]["meta"]["title"] for h in hits)
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    if mode == "keyword":
        assert all(h["dense_score"] is None for h in hits)
    if mode == "dense":
        assert all(h["keyword_score"] is None for h in hits)

    two = json.loads(invoke("search", SEARCH, "--json", "--mode", mode, "-k", "2").stdout)
    assert [h["chunk"]["id"] for h in two] == [h["chunk"]["id"] for h in hits[:2]]


def test_search_as_text_is_whole_at_80_columns(
    ready: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "console", Console(width=80, color_system=None))
    result = invoke("search", "Produktionsinnovation förbättring förnyelse")
    assert result.exit_code == 0
    heads = [line for line in result.stdout.splitlines() if re.match(r"\d\. score ", line)]
    assert len(heads) == 5
    for rank, line in enumerate(heads, 1):
        assert re.match(rf"{rank}\. score 0\.\d{{4}}  \S", line), line
    assert "…" not in result.stdout
    assert "Produktionsinnovation – En väg till framtidssäkrad produktion" in flat(result.stdout)


@pytest.mark.parametrize(
    ("question", "ui", "error"),
    [
        ("", "sv", "Fel: Skriv en fråga först."),
        ("  ", "en", "Error: Please type a question first."),
    ],
)
def test_search_without_a_question_is_one_error(
    ready: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, question: str, ui: str, error: str
) -> None:
    monkeypatch.setenv("ASSISTANT_UI_LANGUAGE", ui)
    result = invoke("search", question)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == error + "\n"


@pytest.mark.parametrize(
    ("command", "question", "error"),
    [
        ("search", "What is renewal in production?", "Error: No documents are indexed yet."),
        ("ask", "What is renewal in production?", "Error: No documents are indexed yet."),
        ("search", "Vad är förnyelse i produktion?", "Fel: Inga dokument är indexerade ännu."),
        ("ask", "Vad är förnyelse i produktion?", "Fel: Inga dokument är indexerade ännu."),
    ],
)
def test_an_empty_index_is_reported_in_the_question_language(
    tmp_path: Path, use: Env, command: str, question: str, error: str
) -> None:
    use(tmp_path / "corpus", tmp_path / "data")
    result = invoke(command, question)
    assert result.exit_code == 1 and result.stdout == ""
    assert flat(result.stderr).startswith(error)


@pytest.mark.parametrize("command", ["ingest", "search", "ask", "chat", "status", "eval"])
def test_help_reads_without_type_placeholders_on_flags(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "<bool>" not in result.stdout
    assert re.search(r"^\s+--help\s+Show this message and exit\.$", result.stdout, re.M)


def test_status(ready: tuple[Path, Path]) -> None:
    result = invoke("status")
    assert result.exit_code == 0
    out = flat(result.stdout)
    assert "│ documents │ 3 │" in out
    assert re.search(r"│ chunks │ [1-9]\d* │", out)
    assert "│ embedder │ fake │" in out
    assert "│ stale │ False │" in out and "changed since" not in out


def test_ask_json(ready: tuple[Path, Path]) -> None:
    result = invoke("ask", QUESTION, "--json")
    assert result.exit_code == 0
    answer = Answer.model_validate_json(result.stdout)
    assert answer.question == QUESTION and answer.backend == "extractive"
    assert answer.language == "sv" and not answer.refusal
    assert answer.citations and "hits" not in json.loads(result.stdout)
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert cited == {c.number for c in answer.citations}


def test_ask_renders_sources(ready: tuple[Path, Path]) -> None:
    result = invoke("ask", QUESTION)
    assert result.exit_code == 0
    out = flat(result.stdout)
    assert "[1]" in out.split("Källor")[0]  # the answer, with its markers, before the sources
    assert "Källor [1] Produktionsinnovation – En väg till framtidssäkrad produktion" in out
    answer = Answer.model_validate_json(invoke("ask", QUESTION, "--json").stdout)
    if answer.more:  # under the sources, each quoted with its document
        assert "Läs mer" in out.split("Källor")[1]
        assert flat(answer.more[0].quote)[:40] in out.split("Läs mer")[1]


@pytest.mark.parametrize(
    ("quote", "shown"),
    [
        (
            "Målet är att säkerställa konkurrenskraft.",
            "“Målet är att säkerställa konkurrenskraft.”",
        ),
        # the last or first sentence of a quotation of several sentences
        (
            "Vi måste våga tänka nytt även i produktion.”",
            "“Vi måste våga tänka nytt även i produktion.”",
        ),
        (
            "“Industriföretag måste våga vara disruptiva.",
            "“Industriföretag måste våga vara disruptiva.”",
        ),
        # a whole quotation, and a quotation inside the sentence
        ("“Det räcker inte att finslipa.”", "“Det räcker inte att finslipa.”"),
        (
            "Betrakta ”produktdesignutrymmet”, kvadraten.",
            "“Betrakta ”produktdesignutrymmet”, kvadraten.”",
        ),
    ],
)
def test_a_source_quote_is_shown_between_one_pair_of_quotation_marks(
    quote: str, shown: str
) -> None:
    assert cli.quoted(quote) == shown


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_empty_is_one_clean_line(ready: tuple[Path, Path], question: str) -> None:
    result = invoke("ask", question)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Fel: Skriv en fråga först.\n"  # ASSISTANT_UI_LANGUAGE: sv
    assert "Traceback" not in result.output


def test_ask_empty_follows_the_ui_language(
    ready: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_UI_LANGUAGE", "en")
    result = invoke("ask", "")
    assert result.stderr == "Error: Please type a question first.\n"


@pytest.mark.parametrize(
    ("question", "error"),
    [
        ("What does renewal mean for a small manufacturer? " * 50, "Error: The question is"),
        ("Vad betyder förnyelse för ett litet tillverkande företag? " * 50, "Fel: Frågan är"),
    ],
)
def test_a_too_long_question_is_refused_in_its_language(
    ready: tuple[Path, Path], question: str, error: str
) -> None:
    result = invoke("ask", question)
    assert result.exit_code == 1
    assert flat(result.stderr).startswith(error)


def test_debug_shows_the_exception(ready: tuple[Path, Path], monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_DEBUG", "1")
    result = runner.invoke(app, ["ask", ""])
    assert isinstance(result.exception, AssistantError)


def test_invalid_settings_are_one_error(ready: tuple[Path, Path], monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_CHUNK_OVERLAP", "800")
    result = invoke("status")
    assert result.exit_code == 1 and result.stdout == ""
    err = flat(result.stderr)
    assert err.startswith("Error: Invalid settings: ")
    assert "chunk_overlap must be smaller than chunk_size" in err
    assert "Traceback" not in result.output


def test_an_invalid_value_names_its_variable(ready: tuple[Path, Path], monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_TOP_K", "0")
    result = invoke("search", SEARCH)
    assert result.exit_code == 1
    assert flat(result.stderr).startswith("Error: Invalid settings: ASSISTANT_TOP_K: ")


def test_invalid_settings_name_no_bogus_variable(ready: tuple[Path, Path], monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_CHUNK_OVERLAP", "800")
    assert "ASSISTANT_:" not in invoke("status").stderr


# --- eval ----------------------------------------------------------------------------------


def write_cases(path: Path, cases: list[dict] = CASES) -> Path:
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), "utf-8")
    return path


def run_eval(tmp_path: Path, thresholds: str, cases: Path | None = None) -> Result:
    gate = tmp_path / "gate.toml"
    gate.write_text(thresholds, encoding="utf-8")
    cases = cases or write_cases(tmp_path / "cases.jsonl")
    return invoke(
        "eval",
        "--cases",
        str(cases),
        "--out",
        str(tmp_path / "out"),
        "--mode",
        "hybrid",
        "--no-baselines",
        "--thresholds",
        str(gate),
    )


def test_eval_writes_results_and_report(ready: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_eval(tmp_path, LENIENT)

    assert first.exit_code == 0, first.output
    assert "All thresholds met." in first.stdout
    assert "Evaluation (4 cases)" in first.stdout
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert list(results["configs"]) == ["hybrid"]
    assert results["gate"]["violations"] == []
    report = (out / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Evaluation report")
    assert "**PASSED**" in report and "Comparison with the previous run" not in report
    assert "<html" in (out / "report.html").read_text(encoding="utf-8").lower()

    # a second run compares with the first and fails a threshold that cannot be met
    second = run_eval(tmp_path, IMPOSSIBLE)
    assert second.exit_code == 1
    assert re.search(
        r"Below threshold: hybrid: recall_at_1 = \d\.\d{3} < 1\.01 \(min\)", flat(second.stderr)
    )
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "**FAILED**" in report
    assert "## Comparison with the previous run" in report
    assert "Comparison with the previous run" in (out / "report.html").read_text("utf-8")


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({k: v for k, v in CASES[1].items() if k != "answerable"}, "field 'answerable'"),
        ({**CASES[1], "questoin": "?"}, "field 'questoin': unknown field"),
        ({**CASES[1], "lang": "de"}, "field 'lang'"),
    ],
)
def test_eval_names_line_and_field_of_a_bad_case(
    ready: tuple[Path, Path], tmp_path: Path, broken: dict, message: str
) -> None:
    cases = write_cases(tmp_path / "bad.jsonl", [CASES[0], broken])
    result = run_eval(tmp_path, LENIENT, cases)
    assert result.exit_code == 1
    err = flat(result.stderr)
    assert err.startswith(f"Error: {cases}:2: {message}")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_eval_threshold_error_keeps_the_table_name(
    ready: tuple[Path, Path], tmp_path: Path
) -> None:
    result = run_eval(tmp_path, "[hybrid]\nrecal_at_1 = 1.0\n")
    assert result.exit_code == 1
    assert "[hybrid] recal_at_1: unknown metric 'recal_at_1'" in flat(result.stderr)


def test_export_feedback_with_no_feedback(ready: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "c.jsonl"
    result = invoke("eval", "export-feedback", "--out", str(target))
    assert result.exit_code == 0
    assert flat(result.stdout).startswith(f"Wrote 0 candidate case(s) to {target}")
    assert target.read_text(encoding="utf-8") == ""


def test_a_bracketed_case_id_is_reported_not_raised(
    ready: tuple[Path, Path], tmp_path: Path
) -> None:
    case = {"id": "[/b]", "lang": "sv", "question": "Vad?", "answerable": False}
    cases = write_cases(tmp_path / "dup.jsonl", [case, case])
    result = run_eval(tmp_path, LENIENT, cases)  # invoke() re-raises MarkupError today
    assert result.exit_code == 1
    assert "field 'id': duplicate id '[/b]'" in flat(result.stderr)


ARENAS = """
import ctypes, sys, threading
from assistant.malloc import fewer_malloc_arenas
if sys.argv[1] == "serve":
    fewer_malloc_arenas()
alive = threading.Barrier(9)
def work():
    kept = [bytearray(5000) for _ in range(100)]  # through malloc, not Python's small blocks
    alive.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
alive.wait()
ctypes.CDLL(None).malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc arenas")
def test_serve_holds_its_threads_to_two_malloc_arenas() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}

    def arenas(how: str) -> int:
        run = subprocess.run(
            [sys.executable, "-c", ARENAS, how], env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        return len(re.findall(r"^Arena \d+:", run.stderr, re.M))

    assert arenas("serve") <= malloc.MALLOC_ARENAS < arenas("default")
