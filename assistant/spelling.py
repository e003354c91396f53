"""A question's misspelt words, read as the documents' words they nearly are.

Chat questions come typed fast: "produktionslyftt", "ambidexteritt", or a name spelt right where
the documents spell it otherwise ("Digitaliseringslyftet" for their "Digiliseringslyftet"). Such
a word matches no term of the keyword index, counts for the refusal as a word the documents
never use, and the question is refused or answered on its other words.

A word is read as a document word only when all of these hold, so that a real word is never
"corrected" into another one:

- it has at least ``MIN_LENGTH`` letters and the index does not know it (its analysed terms);
- it is no common word of Swedish or English (wordfreq's Zipf below ``MAX_ZIPF``): "gjuteri"
  or "Västergötland" are words the documents do not use, not misspellings of theirs;
- exactly one of the documents' words (the ``wordbridge`` list: the most frequent words of
  the documents) is nearest, at most one edit away (a letter added, dropped, changed, or two
  neighbours swapped), two for words of ``LONG`` letters or more, with the same first letter.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .analysis import get_analyzer
from .frequencies import zipf

MIN_LENGTH = 6
LONG = 10  # letters from which two edits are allowed
MAX_ZIPF = 2.5

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def edits(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one
    substring), or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before = list(range(len(b) + 1))
    earlier: list[int] = []
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(before[j] + 1, row[j - 1] + 1, before[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], earlier[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        earlier, before = before, row
    return before[-1]


@dataclass(frozen=True)
class Fix:
    written: str  # as the question wrote it
    read: str  # the documents' word it is read as

    @property
    def inflection(self) -> bool:
        """Another form of the same word ("samarbetena" → "samarbeten"): left as written
        (read so, it moved the ranker's dev figures for no misspelling)."""
        a, b = self.written.lower(), self.read.lower()
        return a.startswith(b) or b.startswith(a)


class Speller:
    """The documents' words, by first letter and length, for ``correct``."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_start: dict[tuple[str, int], list[str]] = defaultdict(list)
        for w in words:
            if len(w) >= MIN_LENGTH - 2:
                self._by_start[w[0], len(w)].append(w)

    def nearest(self, word: str) -> str | None:
        """The one document word nearest ``word`` within the allowed edits, else None."""
        limit = 2 if len(word) >= LONG else 1
        best, found = limit + 1, []
        for n in range(len(word) - limit, len(word) + limit + 1):
            for w in self._by_start.get((word[0], n), ()):
                d = edits(word, w, min(limit, best))
                if d < best:
                    best, found = d, [w]
                elif d == best:
                    found.append(w)
        return found[0] if best <= limit and len(found) == 1 else None

    def correct(self, text: str, known: Callable[[str], bool]) -> tuple[str, list[Fix]]:
        """``text`` with each misspelt word read as the document word it nearly is, and the
        words read so. ``known`` says whether the index knows a word's terms."""
        fixes: list[Fix] = []

        def fix(m: re.Match[str]) -> str:
            written = m.group(0)
            word = written.lower()
            if (
                len(word) < MIN_LENGTH
                or "-" in word
                or known(word)
                or max(zipf(word, "sv"), zipf(word, "en")) >= MAX_ZIPF
            ):
                return written
            read = self.nearest(word)
            if read is None:
                return written
            read = read[0].upper() + read[1:] if written[0].isupper() else read
            found = Fix(written, read)
            if found.inflection:  # the analyser's to read ("samarbetena"), not a misspelling
                return written
            fixes.append(found)
            return read

        return _WORD.sub(fix, text), fixes


def knows(vocabulary: Iterable[str] | dict[str, float]) -> Callable[[str], bool]:
    """Whether every analysed term of a word is in the index's ``vocabulary``, or the
    glossary pairs the word with the documents' term ("ambidexterity")."""
    analyzer = get_analyzer()
    terms = vocabulary if isinstance(vocabulary, dict) else set(vocabulary)

    def known(word: str) -> bool:
        tokens = analyzer.index_tokens(word)
        if not tokens or all(t in terms for t in tokens):
            return True
        return len(analyzer.query_tokens(word)) > len(set(tokens))

    return known
