from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.feedback import FeedbackStore, FeedbackUnavailable
from assistant.models import Answer, Citation, Turn

NOW = datetime(2024, 5, 17, 8, 30, tzinfo=UTC)


def _citation(n: int, quote: str) -> Citation:
    passage = f"Inledning. {quote} Avslutning."
    return Citation(
        number=n,
        chunk_id=f"doc.md#{n:012d}",
        doc_id="doc.md",
        title="Produktionsinnovation",
        organisation="Produktion2030",
        date="2020",
        quote=quote,
        start=100 + 11,
        end=100 + 11 + len(quote),
        passage=passage,
        passage_start=100,
    )


def _answer(
    text: str = "Ambidexteritet är dubbelhänthet [1].",
    *,
    refusal: bool = False,
    quotes: tuple[str, ...] = ("Att bygga upp sk ambidexteritet är viktigt.",),
) -> Answer:
    return Answer(
        question="Vad är ambidexteritet?",
        standalone_question="Vad är ambidexteritet?",
        text=text,
        citations=[] if refusal else [_citation(i + 1, q) for i, q in enumerate(quotes)],
        language="sv",
        backend="extractive",
        refusal=refusal,
    )


HISTORY = [Turn(role="user", content="Hej"), Turn(role="assistant", content="Hej! Fråga på.")]


def test_record_creates_table_and_stores_everything(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "feedback.sqlite3"
    store = FeedbackStore(db)
    fid = store.record("Vad är ambidexteritet?", HISTORY, _answer(), 1, "  Bra svar ", now=NOW)

    assert db.exists()
    [rec] = store.all()
    assert rec.id == fid
    assert rec.created_at == "2024-05-17T08:30:00+00:00"
    assert rec.question == "Vad är ambidexteritet?"
    assert rec.history == HISTORY
    assert rec.answer == "Ambidexteritet är dubbelhänthet [1]."
    assert rec.citations[0].quote == "Att bygga upp sk ambidexteritet är viktigt."
    assert rec.backend == "extractive"
    assert rec.rating == 1
    assert rec.comment == "Bra svar"


def test_time_is_stored_in_utc(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    cet = timezone(timedelta(hours=2))
    store.record("q", [], _answer(), -1, now=datetime(2024, 5, 17, 10, 30, tzinfo=cet))
    assert store.all()[0].created_at == "2024-05-17T08:30:00+00:00"


def test_records_are_durable_and_wal(tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    FeedbackStore(db).record("q", [], _answer(), -1, None, now=NOW)
    # a new store (a new process) sees the committed row
    assert len(FeedbackStore(db).all()) == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        row = conn.execute("SELECT question, rating, comment FROM feedback").fetchone()
    assert row == ("q", -1, None)


def test_rejects_other_ratings(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    with pytest.raises(ValueError):
        store.record("q", [], _answer(), 0)


def test_comment_rating_and_delete(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    fid = store.record("q", [], _answer(), 1, now=NOW)
    assert store.set_comment(fid, "Saknar källa för andra meningen")
    assert store.set_rating(fid, -1)
    rec = store.get(fid)
    assert rec is not None and rec.rating == -1 and rec.comment.startswith("Saknar")
    assert store.delete(fid)
    assert store.all() == []
    assert not store.set_comment(fid, "x")


def test_export_cases_writes_candidates(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    store.record(
        "Vad är ambidexteritet?",
        HISTORY,
        _answer(quotes=("Citat ett.", "Citat två.", "Citat ett.")),
        1,
        "bra",
        now=NOW,
    )
    store.record("Vad kostar en robot?", [], _answer("Jag hittar inget.", refusal=True), 1, now=NOW)
    store.record("Vad är 5S?", [], _answer(), -1, "fel källa", now=NOW)

    out = tmp_path / "cases" / "feedback.jsonl"
    assert store.export_cases(out) == 3
    up, refused, down = [json.loads(line) for line in out.read_text().splitlines()]

    assert up["id"] == "feedback-1"
    assert up["lang"] == "sv"
    assert up["question"] == "Vad är ambidexteritet?"
    assert up["history"] == [t.model_dump() for t in HISTORY]
    assert up["evidence"] == ["Citat ett.", "Citat två."]
    assert up["facts"] == []
    assert up["answerable"] is True
    assert up["feedback"]["rating"] == 1 and up["feedback"]["comment"] == "bra"
    assert up["feedback"]["status"] == "review"

    assert refused["answerable"] is False and refused["evidence"] == []

    assert down["answerable"] is None and down["evidence"] == []
    assert down["feedback"] == {
        "status": "review",
        "rating": -1,
        "comment": "fel källa",
        "time": "2024-05-17T08:30:00+00:00",
        "answer": "Ambidexteritet är dubbelhänthet [1].",
        "refusal": False,
        "backend": "extractive",
        "sources": ["Produktionsinnovation"],
    }


def test_exported_candidates_need_review_before_use(tmp_path: Path) -> None:
    """The case loader refuses unreviewed candidates (the feedback field, empty facts)."""
    from assistant.evaluation.cases import CaseFileError, load_cases

    store = FeedbackStore(tmp_path / "f.db")
    store.record("Vad är ambidexteritet?", [], _answer(), 1, now=NOW)
    out = tmp_path / "feedback.jsonl"
    store.export_cases(out)
    with pytest.raises(CaseFileError):
        load_cases([out])

    reviewed = json.loads(out.read_text())
    del reviewed["feedback"]
    reviewed["facts"] = [["dubbelhänthet"]]
    out.write_text(json.dumps(reviewed, ensure_ascii=False) + "\n")
    [case] = load_cases([out])
    assert case.answerable and case.evidence


def test_a_damaged_database_is_a_clear_error_and_is_not_overwritten(tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    db.write_bytes(b"this is not a database " * 200)
    store = FeedbackStore(db)
    with pytest.raises(FeedbackUnavailable, match="assistant doctor"):
        store.all()
    with pytest.raises(FeedbackUnavailable):
        store.record("q", [], _answer(), 1)
    assert db.read_bytes() == b"this is not a database " * 200
