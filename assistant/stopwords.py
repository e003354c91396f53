"""The stopword lists of bm25s (English, English plus, Swedish), read from a copy in
``resources/stopwords.json``: importing ``bm25s.stopwords`` imports bm25s, and with it scipy
(~0.2-0.3 s of a cold start that serving does not otherwise need). A test keeps the copy equal
to bm25s's lists."""

from __future__ import annotations

import json
from pathlib import Path

_LISTS = json.loads(
    (Path(__file__).parent / "resources" / "stopwords.json").read_text(encoding="utf-8")
)

STOPWORDS_EN: tuple[str, ...] = tuple(_LISTS["STOPWORDS_EN"])
STOPWORDS_EN_PLUS: tuple[str, ...] = tuple(_LISTS["STOPWORDS_EN_PLUS"])
STOPWORDS_SWEDISH: tuple[str, ...] = tuple(_LISTS["STOPWORDS_SWEDISH"])
