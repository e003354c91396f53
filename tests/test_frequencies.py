"""wordfreq's data read directly: the same frequencies and Zipf values as wordfreq's own."""

from __future__ import annotations

import re

import pytest
import wordfreq

from assistant import analysis, frequencies
from assistant.analysis import split_compound

LETTERS = re.compile(r"[^\W\d_]+")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_word_has_wordfreqs_frequency(lang: str) -> None:
    """Common words from the dict, rare ones from their buckets, absent ones 0.0."""
    theirs = wordfreq.get_frequency_dict(lang, "best")
    ours = frequencies.word_list(lang)
    rare = {w: freq for freq, bucket in ours.rare for w in bucket}
    assert ours.common | rare == theirs and not ours.common.keys() & rare.keys()
    assert len(ours.common) < len(theirs) / 2  # the rare words are not in the dict
    sample = list(theirs)[::11]  # found through the dict or by bisection
    assert [ours.frequency(w) for w in sample] == [theirs[w] for w in sample]
    assert all(frequencies.zipf(w, lang) >= frequencies.COMMON_ZIPF for w in ours.common)
    for absent in ("xyzzyq", "förnyelseförmågorna" + "qx", "", "zzzzzzzzzz"):
        assert absent not in theirs and ours.frequency(absent) == 0.0


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_zipf_is_wordfreqs_for_words_of_letters(lang: str) -> None:
    """Every 29th word of letters in both lists, each also with letters added (unknown words
    mostly), in both languages: the rounding and the "unknown is 0.0" of zipf_frequency."""
    words = [w for w in wordfreq.get_frequency_dict(lang) if LETTERS.fullmatch(w) and w.islower()]
    words = words[::29] + [w + "qx" for w in words[:1000]] + ["straße", "förnyelseförmåga"]
    for other in ("sv", "en"):
        ours = [frequencies.zipf(w, other) for w in words]
        assert ours == [wordfreq.zipf_frequency(w, other) for w in words]
    assert frequencies.zipf("förnyelse", "sv") > 3 > frequencies.zipf("förnyelse", "en")


def test_a_compound_part_is_a_common_word() -> None:
    """Parts are looked up among the common words only: every possible part is one."""
    assert analysis.MIN_PART_ZIPF >= frequencies.COMMON_ZIPF
    assert split_compound("förbättringsarbete") == ("förbättring", "arbete")


def test_a_missing_word_list_is_named() -> None:
    with pytest.raises(LookupError, match="'xx'"):
        frequencies.wordlist_path("xx")
