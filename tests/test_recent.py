"""The bounded most-recently-used table that document texts and list items are kept in."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from assistant.recent import RecentTable


def test_keeps_the_entries_used_last_up_to_its_size() -> None:
    t: RecentTable[str, int] = RecentTable(2)
    t.put("a", 1)
    t.put("b", 2)
    assert t.get("a") == 1  # "a" is now the most recent
    t.put("c", 3)  # drops "b", the least recent
    assert t.get("b") is None
    assert list(t) == ["a", "c"]
    t.put("a", 10)  # a new value for a key is the most recent
    t.put("d", 4)
    assert list(t) == ["a", "d"]
    assert t.get("a") == 10
    t.clear()
    assert len(t) == 0


class _SlowEntries(OrderedDict[int, int]):
    """Entries that pause after each insert, as a busy machine sometimes does: a put then
    holds one entry more than the size until it drops the least recent one."""

    def __setitem__(self, key: int, value: int) -> None:
        super().__setitem__(key, value)
        time.sleep(0.0001)


def test_threads_sharing_it_never_exceed_the_size() -> None:
    t: RecentTable[int, int] = RecentTable(8)
    t._entries = _SlowEntries()
    done = threading.Event()
    seen: list[int] = []

    def read() -> None:
        while not done.is_set():
            seen.append(len(t))

    def work(n: int) -> None:
        for i in range(300):
            t.put((n * 7 + i) % 50, i)
            t.get(i % 50)

    reader = threading.Thread(target=read)
    reader.start()
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(work, range(3)))
    done.set()
    reader.join()
    assert seen and max(seen) <= 8
    assert len(t) == 8
