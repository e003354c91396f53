"""Word frequencies (wordfreq's data), read without importing wordfreq.

The analyser needs two things from wordfreq: Swedish frequencies, to split compounds, and the
Zipf frequency of a question's words in Swedish and in English, to tell the language.
Importing wordfreq costs 0.2-0.3 s of every start (langcodes, ftfy, regex, and ``locate``,
which walks the call stack and every loaded module to find wordfreq's own folder) for none of
that. This module reads the same data files the way ``wordfreq.read_cBpack`` does: a gzipped
msgpack list of a header and then one alphabetical list of words per centibel of frequency,
index ``i`` holding the words of frequency ``10 ** (-i / 100)``.

A list is kept in two parts. Its common words (Zipf >= ``COMMON_ZIPF``, about a third of
its 340,000 words) go into a dict, built bucket by bucket with ``dict.fromkeys``; the rare
ones stay in their sorted buckets and are found by bisection (~40 us). A compound's parts must
be common, so splitting words looks only in the dict; a whole word's frequency and the
language votes look in both. This halves the ~0.3 s a whole dict of each list cost at the
first answer. ``frequency`` equals ``wordfreq.get_frequency_dict(lang)[word]`` (0.0 when
absent) and ``zipf`` equals ``wordfreq.zipf_frequency`` for a word of letters: tests check
both against wordfreq over every word of both lists.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import threading
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import msgpack

COMMON_ZIPF = 1.95  # words at least this frequent are kept in a dict (a part needs 2.0)
_COMMON_BUCKETS = round((9 - COMMON_ZIPF) * 100)  # buckets 0..705 hold them
_MINIMUM = 1e-9  # what zipf_frequency's default minimum (Zipf 0) is as a frequency


def data_dir() -> Path:
    """wordfreq's data folder, found without importing the package."""
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("wordfreq is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def wordlist_path(lang: str) -> Path:
    """The "best" list of ``lang`` as wordfreq picks it: "large" where there is one."""
    for size in ("large", "small"):
        path = data_dir() / f"{size}_{lang}.msgpack.gz"
        if path.exists():
            return path
    raise LookupError(f"wordfreq has no word list for {lang!r}")


def read_buckets(path: Path) -> list[list[str]]:
    """The lists of words per centibel in a cBpack file (``wordfreq.read_cBpack``)."""
    with gzip.open(path, "rb") as infile:
        data = msgpack.unpackb(infile.read(), raw=False)
    header = data[0]
    if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
        raise ValueError(f"Unexpected header in {path}: {header!r}")
    return data[1:]


@dataclass(frozen=True)
class WordList:
    """One language's word list: the common words in a dict, the rare ones in their buckets."""

    common: dict[str, float]
    rare: tuple[tuple[float, list[str]], ...]  # (frequency, the bucket's words, sorted)

    @classmethod
    def of(cls, buckets: list[list[str]]) -> WordList:
        common: dict[str, float] = {}
        for index, bucket in enumerate(buckets[: _COMMON_BUCKETS + 1]):
            if bucket:  # wordfreq.cB_to_freq(-index), the same float
                common.update(dict.fromkeys(bucket, 10 ** (-index / 100)))
        rare = []
        for index, bucket in enumerate(buckets):
            if index > _COMMON_BUCKETS and bucket:
                bucket.sort()  # sorted already (linear then): bisection depends on it
                rare.append((10 ** (-index / 100), bucket))
        return cls(common, tuple(rare))

    def frequency(self, word: str) -> float:
        found = self.common.get(word)
        if found is not None:
            return found
        for freq, bucket in self.rare:
            at = bisect_left(bucket, word)
            if at < len(bucket) and bucket[at] == word:
                return freq
        return 0.0


_lock = threading.Lock()
_lists: dict[str, WordList] = {}


def word_list(lang: str) -> WordList:
    """``lang``'s list ("sv", "en"), read once, on first use."""
    found = _lists.get(lang)
    if found is None:
        with _lock:
            found = _lists.get(lang)
            if found is None:
                found = _lists[lang] = WordList.of(read_buckets(wordlist_path(lang)))
    return found


def frequency(word: str, lang: str) -> float:
    """The word's frequency in ``lang`` as wordfreq's dict has it; 0.0 when absent."""
    return word_list(lang).frequency(word)


def common_frequency(word: str, lang: str) -> float:
    """``frequency`` when the word's Zipf is at least ``COMMON_ZIPF``, else 0.0: no search
    through the rare words."""
    return word_list(lang).common.get(word, 0.0)


@lru_cache(maxsize=65_536)
def zipf(word: str, lang: str) -> float:
    """``wordfreq.zipf_frequency(word, lang)`` for a word of letters: 0.0 when unknown.

    Rounded as wordfreq rounds (the frequency to three significant digits, the Zipf value
    to two decimals), so that a threshold on it decides as it would with wordfreq."""
    freq = max(frequency(word.casefold(), lang), _MINIMUM)
    leading_zeroes = math.floor(-math.log(freq, 10))
    return round(math.log(round(freq, leading_zeroes + 3), 10) + 9, 2)
