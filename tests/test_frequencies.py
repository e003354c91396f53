"""wordfreq's data read directly: the same frequencies and Zipf values as wordfreq's own."""

from __future__ import annotations

import re

import pytest
import wordfreq

from assistant import frequencies
from assistant.analysis import split_compound

LETTERS = re.compile(r"[^\W\d_]+")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_frequencies_are_wordfreqs(lang: str) -> None:
    assert frequencies.frequencies(lang) == wordfreq.get_frequency_dict(lang, "best")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_zipf_is_wordfreqs_for_words_of_letters(lang: str) -> None:
    """Every 7th word of letters in both lists, each also with letters added (unknown words
    mostly), in both languages: the rounding and the "unknown is 0.0" of zipf_frequency."""
    words = [w for w in frequencies.frequencies(lang) if LETTERS.fullmatch(w) and w == w.lower()][
        ::7
    ]
    words += [w + "qx" for w in words[:3000]] + ["straße", "förnyelseförmåga", "xyzzyq"]
    for other in ("sv", "en"):
        ours = [frequencies.zipf(w, other) for w in words]
        assert ours == [wordfreq.zipf_frequency(w, other) for w in words]
    assert frequencies.zipf("förnyelse", "sv") > 3 > frequencies.zipf("förnyelse", "en")


def test_the_compound_splitter_reads_the_swedish_list() -> None:
    assert split_compound("förbättringsarbete") == ("förbättring", "arbete")


def test_a_missing_word_list_is_named() -> None:
    with pytest.raises(LookupError, match="'xx'"):
        frequencies.wordlist_path("xx")
