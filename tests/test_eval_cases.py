"""The evaluation case format: loading, validation and errors naming file, line and field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from assistant.errors import AssistantError
from assistant.evaluation.cases import (
    Case,
    CaseFileError,
    contains_phrase,
    load_cases,
    normalise_for_match,
)
from assistant.loaders import load_all

GOOD = {
    "id": "q1",
    "lang": "sv",
    "question": "Vad är 5S?",
    "evidence": ["sortera, systematisera"],
    "facts": [["sortera"], ["standardisera", "standard"]],
    "answerable": True,
}
MULTI_TURN = {
    "id": "q2",
    "lang": "en",
    "question": "And the third step?",
    "history": [
        {"role": "user", "content": "What is 5S?"},
        {"role": "assistant", "content": "Sort, set in order, shine, standardise, sustain."},
    ],
    "evidence": ["städa"],
    "facts": [["shine", "städa"]],
    "answerable": True,
}
UNANSWERABLE = {"id": "q3", "lang": "sv", "question": "Vad kostar en Volvo?", "answerable": False}


def write(path: Path, *lines: object) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
        + "\n",
        encoding="utf-8",
    )
    return path


def error_for(tmp_path: Path, *lines: object) -> str:
    path = write(tmp_path / "x.jsonl", *lines)
    with pytest.raises(CaseFileError) as info:
        load_cases([path])
    assert isinstance(info.value, AssistantError)
    return str(info.value)


def test_load_valid_file_with_multi_turn_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "cases.jsonl", GOOD, "", "   ", MULTI_TURN, UNANSWERABLE)
    cases = load_cases([path])
    assert [c.id for c in cases] == ["q1", "q2", "q3"]
    multi = cases[1]
    assert multi.is_multi_turn
    assert not cases[0].is_multi_turn
    assert [t.role for t in multi.history] == ["user", "assistant"]
    assert multi.history[1].content.startswith("Sort")
    assert cases[2].evidence == []
    assert cases[2].facts == []
    assert not cases[2].answerable


def test_bad_lang_names_line_and_field(tmp_path: Path) -> None:
    msg = error_for(tmp_path, GOOD, MULTI_TURN, {**UNANSWERABLE, "lang": "de"})
    assert msg == f"{tmp_path / 'x.jsonl'}:3: field 'lang': Input should be 'sv' or 'en'"


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    msg = error_for(tmp_path, GOOD, "", {**MULTI_TURN, "question": 5})
    assert msg.startswith(f"{tmp_path / 'x.jsonl'}:3: field 'question': ")


def test_invalid_json(tmp_path: Path) -> None:
    msg = error_for(tmp_path, GOOD, '{"id": "q2", "lang": "sv",,}')
    assert msg.startswith(f"{tmp_path / 'x.jsonl'}:2: invalid JSON: ")
    assert "column" in msg


def test_non_object_line(tmp_path: Path) -> None:
    msg = error_for(tmp_path, GOOD, '["q2", "sv"]')
    assert msg == f"{tmp_path / 'x.jsonl'}:2: expected a JSON object, got an array"


def test_missing_and_unknown_fields(tmp_path: Path) -> None:
    missing = {k: v for k, v in GOOD.items() if k != "answerable"}
    assert ":1: field 'answerable': Field required" in error_for(tmp_path, missing)
    assert ":1: field 'anwserable': unknown field" in error_for(tmp_path, {**GOOD, "anwserable": 1})


def test_nested_field_path(tmp_path: Path) -> None:
    bad = {**MULTI_TURN, "history": [{"role": "system", "content": "x"}]}
    msg = error_for(tmp_path, bad)
    assert msg.startswith(f"{tmp_path / 'x.jsonl'}:1: field 'history[0].role': Input should be")


def test_answerable_needs_evidence_and_facts(tmp_path: Path) -> None:
    msg = error_for(tmp_path, {**GOOD, "evidence": []})
    assert msg.endswith(
        ":1: field 'evidence': an answerable case needs at least one evidence phrase"
    )
    msg = error_for(tmp_path, GOOD, {**MULTI_TURN, "facts": []})
    assert msg.endswith(":2: field 'facts': an answerable case needs at least one facts group")


def test_empty_group_and_blank_phrases(tmp_path: Path) -> None:
    msg = error_for(tmp_path, {**GOOD, "facts": [["sortera"], []]})
    assert msg.endswith(":1: field 'facts[1]': a facts group needs at least one phrase")
    msg = error_for(tmp_path, {**GOOD, "facts": [["sortera", "  "]]})
    assert msg.endswith(":1: field 'facts[0][1]': fact phrase must not be blank")
    msg = error_for(tmp_path, {**GOOD, "evidence": ["ok", ""]})
    assert msg.endswith(":1: field 'evidence[1]': evidence phrase must not be blank")


def test_duplicate_ids_within_and_across_files(tmp_path: Path) -> None:
    msg = error_for(tmp_path, GOOD, {**MULTI_TURN, "id": "q1"})
    path = tmp_path / "x.jsonl"
    assert msg == f"{path}:2: field 'id': duplicate id 'q1' (first at {path}:1)"
    a = write(tmp_path / "a.jsonl", GOOD)
    b = write(tmp_path / "b.jsonl", UNANSWERABLE, {**MULTI_TURN, "id": "q1"})
    with pytest.raises(CaseFileError, match=r"b\.jsonl:2: field 'id': duplicate id 'q1'"):
        load_cases([a, b])


def test_missing_empty_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError, match="not found"):
        load_cases([tmp_path / "nope.jsonl"])
    empty = write(tmp_path / "empty.jsonl", "")
    with pytest.raises(CaseFileError, match="no cases"):
        load_cases([empty])
    folder = tmp_path / "set"
    folder.mkdir()
    write(folder / "b.jsonl", UNANSWERABLE)
    write(folder / "a.jsonl", GOOD)
    assert [c.id for c in load_cases([folder])] == ["q1", "q3"]  # files in name order


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(GOOD, ensure_ascii=False).encode("latin-1"))
    with pytest.raises(CaseFileError, match="not UTF-8"):
        load_cases([path])


def test_case_model_direct() -> None:
    case = Case.model_validate(MULTI_TURN)
    assert case.lang == "en"
    assert len(case.history) == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Planerat\tUNDERHÅLL\n\nav maskiner ", "planerat underhåll av maskiner"),
        ("under-\nhåll", "underhåll"),
        ("under- \nhåll", "underhåll"),
        ("Lean-\nProduktion", "lean- produktion"),  # upper case after the break: kept
        ("kvalitets-\noch miljöarbete", "kvalitets- och miljöarbete"),  # suspended hyphen
        ("5S-metoden", "5s-metoden"),
        ("an\u00adalys", "analys"),  # soft hyphen
        ("a\u030angström", "ångström"),  # decomposed å -> NFC
    ],
)
def test_normalise_for_match(raw: str, expected: str) -> None:
    assert normalise_for_match(raw) == expected


# --- the committed case file: splits, kinds and evidence ----------------------------------

CASE_FILE = REPO_ROOT / "eval" / "cases.jsonl"
KINDS = {
    *("type-duration", "type-organisation", "type-person", "type-time", "type-count"),
    *("type-place", "type-amount", "list", "ordinal", "definition", "reason", "how-advice"),
    *("yesno", "context-heavy", "english", "unanswerable-near-miss", "unanswerable-offtopic"),
}
# Kinds that only blind sets ask (sets 19 and 20: "how much" answered in words such as "stort
# intresse"), all in test: two of them in dev moved the refusal threshold 0.698 -> 0.728 and
# lost a fixed refusal, so none is tuned on yet. Listed so that no kind goes untuned unnoticed.
TEST_ONLY_KINDS = {"type-amount"}
# The first 113 cases: an earlier answerer was tuned on them, so they can only ever be dev.
LEGACY_ID = re.compile(r"(?:sv|en|mt|un)-\d{3}")


@pytest.fixture(scope="module")
def committed() -> list[Case]:
    return load_cases([CASE_FILE])


@pytest.fixture(scope="module")
def corpus_texts() -> dict[str, str]:
    docs, failures = load_all([REPO_ROOT / "corpus"])
    assert not failures
    return {d.id: d.text for d in docs}  # loaded text: front matter is metadata, not text


@pytest.fixture(scope="module")
def corpus_metadata() -> dict[str, str]:
    docs, failures = load_all([REPO_ROOT / "corpus"])
    assert not failures
    return {d.id: " ".join(v for v in d.meta.model_dump().values() if v) for d in docs}


# Answerable cases whose evidence is in a document's front matter (its source line), not its
# text. The assistant indexes text only, so these count as misses: a known gap, kept visible
# in the test split rather than dropped. Listed here so that no new one slips in unnoticed.
EVIDENCE_IN_METADATA = {"f18-021"}


def test_committed_cases_name_split_and_kind_explicitly() -> None:
    # Read the raw lines: the model defaults split to "dev", which would hide a missing field.
    rows = [json.loads(x) for x in CASE_FILE.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert rows
    for row in rows:
        assert row.get("split") in ("dev", "test"), row["id"]
        assert row.get("kind") in KINDS, (row["id"], row.get("kind"))


def test_legacy_cases_are_all_dev(committed: list[Case]) -> None:
    legacy = [c for c in committed if LEGACY_ID.fullmatch(c.id)]
    assert len(legacy) == 113
    assert {c.split for c in legacy} == {"dev"}


def test_test_split_is_large_and_every_new_kind_is_in_both_splits(
    committed: list[Case],
) -> None:
    test = [c for c in committed if c.split == "test"]
    assert len(test) >= 90
    assert not any(LEGACY_ID.fullmatch(c.id) for c in test)
    new = [c for c in committed if not LEGACY_ID.fullmatch(c.id)]
    for kind in {c.kind for c in new} - TEST_ONLY_KINDS:
        assert {c.split for c in new if c.kind == kind} == {"dev", "test"}, kind
    assert {c.split for c in new if c.kind in TEST_ONLY_KINDS} == {"test"}
    assert {c.lang for c in test} == {"sv", "en"}
    assert any(not c.answerable for c in test) and any(c.answerable for c in test)


def test_no_question_is_asked_in_both_splits(committed: list[Case]) -> None:
    def key(c: Case) -> tuple[str, ...]:
        turns = [t.content for t in c.history] + [c.question]
        return tuple(normalise_for_match(t) for t in turns)

    dev = {key(c) for c in committed if c.split == "dev"}
    assert not [c.id for c in committed if c.split == "test" and key(c) in dev]


def test_evidence_and_facts_come_from_the_corpus(
    committed: list[Case], corpus_texts: dict[str, str], corpus_metadata: dict[str, str]
) -> None:
    in_metadata: set[str] = set()
    for case in committed:
        if not case.answerable:
            assert case.evidence == [] and case.facts == [], case.id
            continue
        sources: set[str] = set()
        for phrase in case.evidence:
            found = {doc for doc, text in corpus_texts.items() if contains_phrase(text, phrase)}
            if not found:
                found = {d for d, m in corpus_metadata.items() if contains_phrase(m, phrase)}
                in_metadata |= {case.id} if found else set()
            assert found, f"{case.id}: evidence not in the corpus: {phrase!r}"
            sources |= found
        evidence = " ".join(case.evidence)
        where = [evidence, *(corpus_texts[d] for d in sources)]
        for group in case.facts:  # some phrase of every group is corpus wording
            assert any(contains_phrase(text, f) for text in where for f in group), (
                f"{case.id}: no phrase of {group} in its evidence or documents"
            )
    assert in_metadata == EVIDENCE_IN_METADATA
