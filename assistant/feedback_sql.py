"""The feedback store on a database server (PostgreSQL) through SQLAlchemy, for several app
replicas that share one store; the one module that imports ``sqlalchemy``. Same table, same
records and the same methods as the SQLite ``FeedbackStore`` it extends; the table is created
on first use. Needs the ``postgres`` extra (SQLAlchemy and psycopg)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import AssistantError
from .feedback import (
    FeedbackRecord,
    FeedbackStore,
    FeedbackUnavailable,
    _clean,
    _to_record,
    _values,
)
from .llm import redact
from .models import Answer, Turn

POSTGRES_HINT = "install the postgres extra: pip install -e '.[postgres]' (SQLAlchemy, psycopg)"


class SqlFeedbackStore(FeedbackStore):
    """Feedback in a SQLAlchemy database (``postgresql+psycopg://…``; ``sqlite:///…`` works too)."""

    def __init__(self, url: str) -> None:
        try:
            import sqlalchemy as sa
        except ImportError as exc:
            raise AssistantError(POSTGRES_HINT) from exc
        super().__init__(Path("."))
        self.url = url
        self._sa = sa
        meta = sa.MetaData()
        self._table = sa.Table(
            "feedback",
            meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("created_at", sa.Text, nullable=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("standalone_question", sa.Text, nullable=False, server_default=""),
            sa.Column("history", sa.Text, nullable=False),
            sa.Column("answer", sa.Text, nullable=False),
            sa.Column("citations", sa.Text, nullable=False),
            sa.Column("refusal", sa.Integer, nullable=False, server_default="0"),
            sa.Column("language", sa.Text, nullable=False, server_default="sv"),
            sa.Column("backend", sa.Text, nullable=False),
            sa.Column("rating", sa.Integer, nullable=False),
            sa.Column("comment", sa.Text),
            sa.CheckConstraint("rating IN (1, -1)", name="feedback_rating"),
        )
        self._meta = meta
        try:
            self._engine = sa.create_engine(url, pool_pre_ping=True)
        except Exception as exc:  # a malformed URL or a missing driver
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: BaseException) -> FeedbackUnavailable:
        detail = redact(
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        return FeedbackUnavailable(
            f"The feedback database {redact(self.url)} cannot be used ({detail}); check "
            "ASSISTANT_FEEDBACK_DB_URL and that the server is running"
        )

    @contextmanager
    def _begin(self) -> Iterator[Any]:
        try:
            if not self._ready:
                self._meta.create_all(self._engine)
                self._ready = True
            with self._engine.begin() as conn:  # one transaction, committed on leaving
                yield conn
        except self._sa.exc.SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

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
        row = _values(question, history, answer, rating, comment, now)
        with self._begin() as conn:
            result = conn.execute(self._table.insert().values(**row))
            return int(result.inserted_primary_key[0])

    def _update(self, feedback_id: int, **values: Any) -> bool:
        t = self._table
        with self._begin() as conn:
            result = conn.execute(t.update().where(t.c.id == feedback_id).values(**values))
            return bool(result.rowcount)

    def set_comment(self, feedback_id: int, comment: str | None) -> bool:
        return self._update(feedback_id, comment=_clean(comment))

    def set_rating(self, feedback_id: int, rating: int) -> bool:
        if rating not in (1, -1):
            raise ValueError(f"rating must be +1 or -1, not {rating!r}")
        return self._update(feedback_id, rating=rating)

    def delete(self, feedback_id: int) -> bool:
        t = self._table
        with self._begin() as conn:
            return bool(conn.execute(t.delete().where(t.c.id == feedback_id)).rowcount)

    def get(self, feedback_id: int) -> FeedbackRecord | None:
        t = self._table
        with self._begin() as conn:
            row = conn.execute(self._select().where(t.c.id == feedback_id)).first()
        return _to_record(tuple(row)) if row else None

    def all(self) -> list[FeedbackRecord]:
        with self._begin() as conn:
            rows = conn.execute(self._select().order_by(self._table.c.id)).all()
        return [_to_record(tuple(r)) for r in rows]

    def _select(self) -> Any:
        return self._sa.select(*self._table.c)
