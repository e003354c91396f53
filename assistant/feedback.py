"""Thumbs up/down on answers, stored in a SQLite file in the data directory, or in a database
server such as PostgreSQL when ``ASSISTANT_FEEDBACK_DB_URL`` is set (``feedback_sql``, through
SQLAlchemy, so several app replicas share one store); ``open_store`` picks one.

Every record is committed on its own (WAL journal), so feedback survives a crash of the app.
``export_cases`` turns the stored feedback into *candidate* evaluation cases: they are written
in the eval case format of :mod:`assistant.evaluation.cases` plus a ``feedback`` field, and
they are meant for a person to review, not to be used as they are. A reviewer checks the
question, writes the ``facts`` (left empty here), decides ``answerable`` for thumbs-down
cases (left ``null``: the user said the answer was bad, not why) and removes ``feedback``;
until then :func:`assistant.evaluation.cases.load_cases` rejects the line on purpose.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.models import Answer, Citation, Lang, Turn

Rating = Literal[1, -1]


class FeedbackUnavailable(AssistantError):
    """The feedback database cannot be read or written (damaged); nothing is overwritten."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    standalone_question TEXT NOT NULL DEFAULT '',
    history TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    refusal INTEGER NOT NULL DEFAULT 0,
    language TEXT NOT NULL DEFAULT 'sv',
    backend TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (1, -1)),
    comment TEXT
)
"""

_COLUMNS = (
    "id, created_at, question, standalone_question, history, answer, citations, refusal, "
    "language, backend, rating, comment"
)


class FeedbackRecord(BaseModel):
    """One stored rating of one answer."""

    id: int
    created_at: str = Field(description="UTC time, ISO 8601.")
    question: str
    standalone_question: str = ""
    history: list[Turn] = Field(default_factory=list)
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    refusal: bool = False
    language: Lang = "sv"
    backend: str
    rating: Rating
    comment: str | None = None


class FeedbackStore:
    """Feedback in one SQLite file; the table is created on first use.

    A connection is opened per operation, so one store can be shared by the threads of the
    web app.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=10)
            try:
                if not self._ready:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute(_SCHEMA)
                    conn.commit()
                    self._ready = True
                with conn:  # one transaction, committed on leaving
                    yield conn
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            raise FeedbackUnavailable(
                f"The feedback database {self.path} cannot be used ({exc}); run `assistant "
                "doctor` to save the ratings that can still be read (the damaged file is kept)"
            ) from exc

    def record(
        self,
        question: str,
        history: Sequence[Turn],
        answer: Answer,
        rating: int,
        comment: str | None = None,
        *,
        now: datetime | None = None,
    ) -> int:
        """Store a rating (+1 or -1) of ``answer`` and return the new record's id."""
        row = _values(question, history, answer, rating, comment, now)
        with self._connect() as conn:
            cur = conn.execute(
                f"INSERT INTO feedback ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def set_comment(self, feedback_id: int, comment: str | None) -> bool:
        """Attach (or replace) the free-text comment of a record; False if there is none."""
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE feedback SET comment = ? WHERE id = ?", (_clean(comment), feedback_id)
            )
            return cur.rowcount > 0

    def set_rating(self, feedback_id: int, rating: int) -> bool:
        """Change the rating of a record (the user switched thumbs); False if there is none."""
        if rating not in (1, -1):
            raise ValueError(f"rating must be +1 or -1, not {rating!r}")
        with self._connect() as conn:
            cur = conn.execute("UPDATE feedback SET rating = ? WHERE id = ?", (rating, feedback_id))
            return cur.rowcount > 0

    def delete(self, feedback_id: int) -> bool:
        """Remove a record (the user took the rating back); False if there is none."""
        with self._connect() as conn:
            cur = conn.execute("DELETE FROM feedback WHERE id = ?", (feedback_id,))
            return cur.rowcount > 0

    def get(self, feedback_id: int) -> FeedbackRecord | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM feedback WHERE id = ?", (feedback_id,)
            ).fetchone()
        return _to_record(row) if row else None

    def all(self) -> list[FeedbackRecord]:
        """Every record, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM feedback ORDER BY id").fetchall()
        return [_to_record(r) for r in rows]

    def export_cases(self, path: Path) -> int:
        """Write one candidate evaluation case per record as JSONL; return how many.

        Thumbs up on an answer: ``answerable: true`` with the cited quotes as ``evidence``.
        Thumbs up on a refusal: ``answerable: false`` (the user agreed there was nothing).
        Thumbs down: ``answerable: null`` and no evidence; a reviewer decides. ``facts`` is
        always empty. Every case carries ``feedback`` (rating, comment, time, the answer given,
        backend, ``status: "review"``), which the case loader rejects until it is removed.
        """
        records = self.all()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for rec in records:
                out.write(json.dumps(candidate_case(rec), ensure_ascii=False) + "\n")
        return len(records)


def open_store(settings: Settings) -> FeedbackStore:
    """The store the settings name: a database server (``ASSISTANT_FEEDBACK_DB_URL``, through
    SQLAlchemy) or the SQLite file in the data directory."""
    if settings.feedback_db_url is not None:
        from .feedback_sql import SqlFeedbackStore

        return SqlFeedbackStore(settings.feedback_db_url.get_secret_value())
    return FeedbackStore(settings.feedback_db)


def _values(
    question: str,
    history: Sequence[Turn],
    answer: Answer,
    rating: int,
    comment: str | None,
    now: datetime | None,
) -> dict[str, Any]:
    """The columns of a new record (without ``id``)."""
    if rating not in (1, -1):
        raise ValueError(f"rating must be +1 or -1, not {rating!r}")
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    return {
        "created_at": when,
        "question": question,
        "standalone_question": answer.standalone_question,
        "history": json.dumps([t.model_dump() for t in history], ensure_ascii=False),
        "answer": answer.text,
        "citations": json.dumps([c.model_dump() for c in answer.citations], ensure_ascii=False),
        "refusal": int(answer.refusal),
        "language": answer.language,
        "backend": answer.backend,
        "rating": rating,
        "comment": _clean(comment),
    }


def candidate_case(rec: FeedbackRecord) -> dict[str, Any]:
    """The candidate evaluation case for one feedback record (see ``export_cases``)."""
    up = rec.rating == 1
    answerable = not rec.refusal if up else None
    evidence: list[str] = []
    if up and not rec.refusal:
        for c in rec.citations:
            quote = c.quote.strip()
            if quote and quote not in evidence:
                evidence.append(quote)
    return {
        "id": f"feedback-{rec.id}",
        "lang": rec.language,
        "question": rec.question,
        "history": [t.model_dump() for t in rec.history],
        "evidence": evidence,
        "facts": [],
        "answerable": answerable,
        "feedback": {
            "status": "review",
            "rating": rec.rating,
            "comment": rec.comment,
            "time": rec.created_at,
            "answer": rec.answer,
            "refusal": rec.refusal,
            "backend": rec.backend,
            "sources": sorted({c.title for c in rec.citations}),
        },
    }


def _clean(comment: str | None) -> str | None:
    if comment is None:
        return None
    comment = comment.strip()
    return comment or None


def _to_record(row: tuple[Any, ...]) -> FeedbackRecord:
    (
        id_,
        created,
        question,
        standalone,
        history,
        answer,
        citations,
        refusal,
        lang,
        backend,
        rating,
        comment,
    ) = row
    return FeedbackRecord(
        id=id_,
        created_at=created,
        question=question,
        standalone_question=standalone,
        history=[Turn.model_validate(t) for t in json.loads(history)],
        answer=answer,
        citations=[Citation.model_validate(c) for c in json.loads(citations)],
        refusal=bool(refusal),
        language=lang,
        backend=backend,
        rating=rating,
        comment=comment,
    )
