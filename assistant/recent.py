"""A bounded table of the values used most recently, safe to share between threads.

Two things the answer stage rebuilds on demand are kept this way: a document's text rebuilt
from its chunks (``Snapshot.doc_text``) and a document's parsed list items
(``extractive._items``). Kept without a bound, a long-running server at 100,000 chunks ends
up holding the whole corpus; kept for one question only, they are rebuilt on every question.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RecentTable(Generic[K, V]):
    """At most ``size`` entries; a lookup that finds one makes it the most recent, and a new
    entry beyond ``size`` drops the least recent."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        # Under the lock: a put between adding its entry and dropping the least recent one
        # holds size + 1 entries for a moment, and a reader must not see that.
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[K]:
        """The keys, least recent first."""
        with self._lock:
            return iter(list(self._entries))
