"""Word frequencies (wordfreq's data), read without importing wordfreq.

The analyser needs two things from wordfreq: its Swedish frequencies, to split compounds,
and the Zipf frequency of a question's words in Swedish and in English, to tell the
language. Importing wordfreq costs 0.2-0.3 s of every start (langcodes, ftfy, regex, and
``locate``, which walks the call stack and every loaded module to find wordfreq's own
folder) for none of that. This module reads the same data files the way
``wordfreq.read_cBpack`` does: a gzipped msgpack list of a header and then one list of words
per centibel of frequency, index ``i`` holding the words of frequency ``10 ** (-i / 100)``.
Its dict is equal to ``wordfreq.get_frequency_dict(lang, "best")``, built bucket by bucket
with ``dict.fromkeys`` instead of a Python loop over 340,000 words, and ``zipf`` equals
``wordfreq.zipf_frequency`` for a word of letters (tests check both against wordfreq).
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import threading
from functools import lru_cache
from pathlib import Path

import msgpack

_lock = threading.Lock()
_dicts: dict[str, dict[str, float]] = {}
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


def frequencies(lang: str) -> dict[str, float]:
    """Word -> frequency for ``lang`` ("sv", "en"), loaded once, on first use."""
    found = _dicts.get(lang)
    if found is None:
        with _lock:
            found = _dicts.get(lang)
            if found is None:
                found = {}
                for index, bucket in enumerate(read_buckets(wordlist_path(lang))):
                    if bucket:  # wordfreq.cB_to_freq(-index), the same float
                        found.update(dict.fromkeys(bucket, 10 ** (-index / 100)))
                _dicts[lang] = found
    return found


@lru_cache(maxsize=65_536)
def zipf(word: str, lang: str) -> float:
    """``wordfreq.zipf_frequency(word, lang)`` for a word of letters: 0.0 when unknown.

    Rounded as wordfreq rounds (the frequency to three significant digits, the Zipf value
    to two decimals), so that a threshold on it decides as it would with wordfreq."""
    freq = max(frequencies(lang).get(word.casefold(), 0.0), _MINIMUM)
    leading_zeroes = math.floor(-math.log(freq, 10))
    return round(math.log(round(freq, leading_zeroes + 3), 10) + 9, 2)
