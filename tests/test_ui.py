"""The chat application, driven over HTTP with gradio_client against the app on loopback."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from indexed import indexed_assistant

from assistant.config import Settings
from assistant.core import Assistant
from assistant.documents import ingest_paths, safe_filename, store_upload
from assistant.errors import AssistantError
from assistant.feedback import FeedbackStore
from assistant.models import Answer, Citation
from assistant.ui import launch
from assistant.ui.chat import ChatPanel
from assistant.ui.documents import DocumentsPanel
from assistant.ui.render import chat_text, render_notices
from assistant.ui.sources import render_sources

QUESTION = "Vilka fyra områden är viktiga för att lyckas med förnyelse i produktion?"
FACT_QUESTION = "Vad använder Zylofabriken i Gnosjö för att fästa skruvar?"
FACT_DOC = """---
title: "Zylofabrikens monteringsrutiner"
organisation: "Zylofabriken AB"
date: "2024-03-01"
kind: "rutin"
language: "sv"
---

# Zylofabrikens monteringsrutiner

Zylofabriken i Gnosjö använder kvantlim för att fästa skruvar i alla sina produkter.

Kvantlimmet härdar på fyra minuter och ersätter låsbrickor.
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    assistant: Assistant
    settings: Settings
    client: Client
    url: str

    def new_client(self, **kw: Any) -> Client:
        return Client(self.url, verbose=False, **kw)


def serve(root: Path, **overrides: Any) -> Iterator[Served]:
    """Copy the corpus into ``root``, index it (fake embedder), launch the app on a free
    loopback port, yield a client, and close the server afterwards."""
    overrides = {"host": "127.0.0.1", "port": free_port(), **overrides}
    with indexed_assistant(root, **overrides) as assistant:
        settings = assistant.settings
        app = launch(assistant, settings, prevent_thread_lock=True, quiet=True)
        try:
            url = f"http://127.0.0.1:{settings.port}/"
            auth = None
            if settings.auth_user and settings.auth_password:
                auth = (settings.auth_user, settings.auth_password.get_secret_value())
            client = Client(url, verbose=False, auth=auth)
            yield Served(assistant, settings, client, url)
        finally:
            app.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("ui"))


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Served]:
    """A server of its own, for tests that change the index."""
    yield from serve(tmp_path / "own")


def chat(client: Client, message: str, history: list[Any] | None = None) -> dict[str, Any]:
    msg, chatbot, sources, notice, answer = client.predict(
        message, history or [], "sv", api_name="/chat"
    )
    return {"msg": msg, "chatbot": chatbot, "sources": sources, "notice": notice, "answer": answer}


def message_text(message: dict[str, Any]) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)


# --- chatting -------------------------------------------------------------------------------


def test_question_gets_answer_with_valid_citations(served: Served) -> None:
    out = chat(served.new_client(), QUESTION)
    answer = Answer.model_validate(out["answer"])
    assert not answer.refusal
    assert answer.citations
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers and markers <= {c.number for c in answer.citations}
    live = {c.id for d in served.assistant.snapshot.chunks.values() for c in [d]}
    for c in answer.citations:
        assert c.chunk_id in live
        span = c.passage[c.start - c.passage_start : c.end - c.passage_start]
        # a quote of sentences that are not adjacent is joined with " … "
        parts = c.quote.split(" … ")
        assert span.startswith(parts[0]) and span.endswith(parts[-1])
        assert all(part in span for part in parts)
    # the chat window: the question, then the answer (escaped for display)
    user, bot = out["chatbot"]
    assert user["role"] == "user" and message_text(user) == chat_text(QUESTION)
    assert bot["role"] == "assistant" and "fyra områden" in message_text(bot)
    assert out["msg"] == ""  # the input box is cleared
    # the sources panel: number, title, organisation, date, the quote highlighted
    sources = out["sources"]
    first = answer.citations[0]
    assert f"[{first.number}]" in sources
    assert "Produktionsinnovation – En väg till framtidssäkrad produktion" in sources
    assert "Produktion2030 · 2020" in sources
    assert "<mark>Med ramverket för produktionsinnovation har vi identifierat fyra områden" in (
        sources
    )


def test_follow_up_uses_the_conversation(served: Served) -> None:
    client = served.new_client()
    first = chat(client, "Vad menas med produktdesignutrymmet?")
    follow = chat(client, "Hur kan det bli större?", first["chatbot"])
    answer = Answer.model_validate(follow["answer"])
    assert answer.question == "Hur kan det bli större?"
    assert "produktdesignutrymme" in answer.standalone_question.lower()
    assert len(follow["chatbot"]) == 4
    assert [m["role"] for m in follow["chatbot"]] == ["user", "assistant", "user", "assistant"]


def test_question_and_document_text_are_escaped(served: Served) -> None:
    question = "<script>alert('x')</script><b>Vad</b> är produktdesignutrymmet?"
    out = chat(served.new_client(), question)
    shown = message_text(out["chatbot"][0])
    assert "<script>" not in shown and "<b>" not in shown
    assert "&lt;script&gt;" in shown
    assert "<script" not in out["sources"] and "<script" not in out["notice"]


def test_sources_panel_escapes_and_highlights() -> None:
    passage = "Före <img src=x onerror=alert(1)>. Citatet & <b>mer</b>. Efter."
    quote = "Citatet & <b>mer</b>."
    start = passage.index(quote)
    c = Citation(
        number=2, chunk_id="d#1", doc_id="d", title="<i>Titel</i>", organisation="Org & Co",
        date=None, page=4, quote=quote, start=100 + start, end=100 + start + len(quote),
        passage=passage, passage_start=100,
    )  # fmt: skip
    html = render_sources([c], "sv")
    assert "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;i&gt;Titel&lt;/i&gt;" in html
    assert "<mark>Citatet &amp; &lt;b&gt;mer&lt;/b&gt;.</mark>" in html
    assert "Org &amp; Co · odaterad · s. 4" in html
    assert "<script" not in render_notices(["<script>x</script> kör `make run`"])
    assert "<code>make run</code>" in render_notices(["kör `make run`"])


def test_retry_undo_clear(served: Served) -> None:
    client = served.new_client()
    first = chat(client, QUESTION)
    msg, history, sources, _notice, answer = client.predict(
        first["chatbot"], "sv", api_name="/retry"
    )
    assert len(history) == 2 and answer["question"] == QUESTION and "<mark>" in sources
    msg, history, sources, _notice, answer = client.predict(history, "sv", api_name="/undo")
    assert history == [] and msg == QUESTION and answer is None
    msg, history, sources, _notice, answer = client.predict("sv", api_name="/clear")
    assert history == [] and msg == ""


def test_empty_question_is_ignored(served: Served) -> None:
    out = chat(served.new_client(), "   ")
    assert out["chatbot"] == []


def test_feedback_lands_in_sqlite(served: Served) -> None:
    client = served.new_client()
    chat(client, QUESTION)
    client.predict(1, 1, "", "sv", api_name="/rate")  # thumbs up on the answer (message 1)
    store = FeedbackStore(served.settings.feedback_db)
    records = [r for r in store.all() if r.question == QUESTION]
    assert len(records) == 1
    rec = records[0]
    assert rec.rating == 1 and rec.backend == "extractive" and rec.citations
    assert "fyra områden" in rec.answer
    # the comment box: the comment is added to the same record
    _box, status = client.predict("Tydligt och med källa.", "sv", api_name="/comment")
    assert "Tack" in status
    assert store.get(rec.id).comment == "Tydligt och med källa."  # type: ignore[union-attr]
    # switching to thumbs down changes the record; taking it back removes it
    client.predict(1, -1, "", "sv", api_name="/rate")
    assert store.get(rec.id).rating == -1  # type: ignore[union-attr]
    client.predict(1, 0, "", "sv", api_name="/rate")
    assert store.get(rec.id) is None


def test_rating_a_question_is_refused_calmly(served: Served) -> None:
    client = served.new_client()
    chat(client, QUESTION)
    _box, status = client.predict(0, 1, "", "sv", api_name="/rate")
    assert "assistentens svar" in status


def test_language_switch(served: Served) -> None:
    out = served.client.predict("en", api_name="/set_language")
    assert out[0].startswith("## Produktionsrådgivaren\nAsk about")
    assert "Sources" in out[4]


def test_coach_pack_with_downloads(served: Served) -> None:
    markdown, md_file, docx_file = served.client.predict(
        "ambidexteritet", "", "sv", api_name="/coach_pack"
    )
    assert markdown.startswith("# Coachunderlag: Ambidexteritet (dubbelhänthet)")
    assert "dubbelhänthet" in markdown and "## Källor" in markdown
    md_path, docx_path = Path(md_file["value"]), Path(docx_file["value"])
    assert md_file["visible"] and docx_file["visible"]
    assert md_path.name == "coachunderlag-ambidexteritet-dubbelhänthet.md"
    assert md_path.read_text(encoding="utf-8").strip() == markdown.strip()
    assert docx_path.suffix == ".docx" and docx_path.stat().st_size > 0
    free, *_ = served.client.predict(
        "ambidexteritet", "digitalisering", "sv", api_name="/coach_pack"
    )
    assert free.startswith("# Coachunderlag: digitalisering")


def test_documents_table(served: Served) -> None:
    table, notice, status = served.client.predict("sv", api_name="/documents")
    assert table["headers"][:3] == ["Titel", "Organisation", "Datum"]
    titles = {row[0] for row in table["data"]}
    assert "Samverkan samverkan samverkan" in titles and len(titles) == 3
    assert notice == "" and status.startswith("3 dokument")


# --- uploads ----------------------------------------------------------------------------------


def test_upload_makes_a_new_document_answerable(own_server: Served, tmp_path: Path) -> None:
    client = own_server.client
    before = Answer.model_validate(chat(client, FACT_QUESTION)["answer"])
    assert "kvantlim" not in before.text.lower()

    src = tmp_path / "Zylo rutiner (v1).md"
    src.write_text(FACT_DOC, encoding="utf-8")
    bad = tmp_path / "program.exe"
    bad.write_bytes(b"MZ\x00")
    broken = tmp_path / "trasig.pdf"
    broken.write_bytes(b"this is not a pdf")
    result, table, _notice, status, _files = client.predict(
        [handle_file(str(src)), handle_file(str(bad)), handle_file(str(broken))],
        "sv",
        api_name="/upload",
    )
    docs_dir = own_server.settings.documents_dir
    assert (docs_dir / "Zylo_rutiner_v1.md").read_text(encoding="utf-8") == FACT_DOC
    assert not (docs_dir / "program.exe").exists()
    assert "program.exe: filtypen stöds inte" in result
    assert "trasig.pdf" in result and "Kunde inte läsas" in result  # reported, not lost
    assert "Nya dokument" in result and "Zylo_rutiner_v1.md" in result
    assert "Zylofabrikens monteringsrutiner" in {row[0] for row in table["data"]}
    assert status.startswith("4 dokument")

    after = Answer.model_validate(chat(client, FACT_QUESTION)["answer"])
    assert not after.refusal
    assert "kvantlim" in after.text.lower()
    assert any(c.title == "Zylofabrikens monteringsrutiner" for c in after.citations)

    # the same file again: nothing changes; a different file with that name is not overwritten
    result, *_ = client.predict([handle_file(str(src))], "sv", api_name="/upload")
    assert "fanns redan (samma innehåll)" in result
    src.write_text(FACT_DOC.replace("fyra", "fem"), encoding="utf-8")
    result, *_ = client.predict([handle_file(str(src))], "sv", api_name="/upload")
    assert "Zylo_rutiner_v1-2.md" in result
    assert (docs_dir / "Zylo_rutiner_v1.md").read_text(encoding="utf-8") == FACT_DOC


def test_upload_too_large_is_refused(tmp_path: Path) -> None:
    served_iter = serve(tmp_path / "small", upload_max_mb=0.001)
    served = next(served_iter)
    try:
        big = tmp_path / "stor.txt"
        big.write_text("Stor fil. " * 300, encoding="utf-8")
        with pytest.raises(Exception):  # noqa: B017 - gradio refuses it at upload
            served.client.predict([handle_file(str(big))], "sv", api_name="/upload")
        assert not (served.settings.documents_dir / "stor.txt").exists()
    finally:
        served_iter.close()


def test_safe_filename() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\Rapport 2024.PDF") == "Rapport_2024.pdf"
    assert safe_filename(".hidden.md") == "hidden.md"
    assert safe_filename("Förnyelse & förbättring?.docx") == "Förnyelse_förbättring.docx"
    assert safe_filename("<script>.md") == "script.md"
    assert safe_filename("....md") == "dokument.md"


def test_store_upload_stays_inside_and_never_overwrites(tmp_path: Path) -> None:
    dest = tmp_path / "docs"
    src = tmp_path / "a.md"
    src.write_text("ett", encoding="utf-8")
    path, what = store_upload(src, dest, "../../a.md")
    assert (path, what) == ((dest / "a.md").resolve(), "saved")
    assert store_upload(src, dest, "a.md") == (path, "same")
    src.write_text("två", encoding="utf-8")
    path2, what2 = store_upload(src, dest, "a.md")
    assert path2.name == "a-2.md" and what2 == "renamed"
    assert (dest / "a.md").read_text(encoding="utf-8") == "ett"
    # a symlink that points outside the folder is never written through
    outside = tmp_path / "outside.md"
    outside.write_text("hemligt", encoding="utf-8")
    (dest / "l.md").symlink_to(outside)
    with pytest.raises(AssistantError):
        store_upload(src, dest, "l.md")
    assert outside.read_text(encoding="utf-8") == "hemligt"


def test_ingest_paths_keep_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    inside = Settings(data_dir=tmp_path / "d", corpus_paths=[corpus], embedder="fake")
    assert ingest_paths(inside) == [corpus]
    outside = Settings(
        data_dir=tmp_path / "d", corpus_paths=[corpus], upload_dir=tmp_path / "up", embedder="fake"
    )
    assert ingest_paths(outside) == [corpus, tmp_path / "up"]


# --- robustness -------------------------------------------------------------------------------


def test_failing_llm_backend_falls_back_with_a_notice(tmp_path: Path) -> None:
    served_iter = serve(
        tmp_path / "llm", backend="openai", llm_base_url="http://127.0.0.1:9/v1",
        llm_model="none", llm_timeout=5,
    )  # fmt: skip
    served = next(served_iter)
    try:
        out = chat(served.client, QUESTION)
        answer = Answer.model_validate(out["answer"])
        assert answer.backend == "extractive" and answer.notices and answer.citations
        assert "pr-notice" in out["notice"] and "openai" in out["notice"]
    finally:
        served_iter.close()


class _Broken:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def stream(self, question: str, history: Any = ()) -> Iterator[Any]:
        yield "Ett påbörjat svar"
        raise AssistantError("Språkmodellen svarar inte.")


def test_assistant_error_is_shown_calmly(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, embedder="fake")
    h = ChatPanel(_Broken(settings))  # type: ignore[arg-type]
    *_, last = list(h.respond("Vad är 5S?", [], {}, "sv"))
    _msg, history, _sources, notice, _answers, payload = last
    assert history[-1]["content"] == "Språkmodellen svarar inte."
    assert "Språkmodellen svarar inte." in notice and payload is None


class _Buggy(_Broken):
    def stream(self, question: str, history: Any = ()) -> Iterator[Any]:
        raise KeyError("oops")
        yield  # a generator


def test_unexpected_error_is_logged_and_shown_calmly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path, embedder="fake")
    h = ChatPanel(_Buggy(settings))  # type: ignore[arg-type]
    *_, last = list(h.respond("Vad är 5S?", [], {}, "sv"))
    assert "Det gick inte att svara just nu." in last[3]
    assert "KeyError" not in last[3] and "oops" in caplog.text


def test_empty_index_notice(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", corpus_paths=[tmp_path / "none"], embedder="fake")
    assistant = Assistant.from_settings(settings)
    notice, _line = DocumentsPanel(assistant).index_status("sv")
    assert "make run" in notice and "fliken Dokument" in notice
    *_, last = list(ChatPanel(assistant).respond("Vad är 5S?", [], {}, "sv"))
    assert "Inga dokument är indexerade" in last[3]


def test_login_required_when_configured(tmp_path: Path) -> None:
    served_iter = serve(tmp_path / "auth", auth_user="coach", auth_password="hemligt-lösen")
    served = next(served_iter)  # the served client logged in
    try:
        assert chat(served.client, QUESTION)["answer"]["citations"]
        with pytest.raises(Exception):  # noqa: B017 - no login, no app
            Client(served.url, verbose=False)
    finally:
        served_iter.close()
