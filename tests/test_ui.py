"""The chat application, driven over HTTP with gradio_client against the app on loopback."""

from __future__ import annotations

import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gradio.utils import get_upload_folder
from gradio_client import Client, handle_file
from indexed import indexed_assistant

from assistant.config import Settings
from assistant.core import Assistant
from assistant.documents import ingest_paths, safe_filename, store_upload
from assistant.errors import AssistantError
from assistant.feedback import FeedbackStore
from assistant.health import open_assistant
from assistant.models import Answer, Citation
from assistant.ui import launch
from assistant.ui.app import exposure_warning
from assistant.ui.chat import ChatPanel
from assistant.ui.documents import DocumentsPanel
from assistant.ui.feedback import FeedbackPanel
from assistant.ui.login import LoginThrottle
from assistant.ui.render import chat_text, render_notices
from assistant.ui.settings import SettingsPanel
from assistant.ui.sources import answer_html, render_more, render_sources

ADMIN_PASSWORD = "admin-lösen"
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
    overrides = {
        "host": "127.0.0.1",
        "port": free_port(),
        "admin_password": ADMIN_PASSWORD,
        **overrides,
    }
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
    msg, chatbot, notice, answer = client.predict(message, history or [], "sv", api_name="/chat")
    sources = message_text(chatbot[-1]) if chatbot else ""
    return {"msg": msg, "chatbot": chatbot, "sources": sources, "notice": notice, "answer": answer}


def admin_client(served: Served, password: str = ADMIN_PASSWORD) -> Client:
    """A client of its own session, signed in as administrator."""
    client = served.new_client()
    client.predict(password, "sv", api_name="/admin_login")
    return client


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
    # the chat window: the question, then the answer with its markers as chips
    user, bot = out["chatbot"]
    assert user["role"] == "user" and message_text(user) == chat_text(QUESTION)
    assert bot["role"] == "assistant" and "fyra områden" in message_text(bot)
    assert "<button class='pr-chip pr-a1 pr-c1'" in message_text(bot)
    assert out["msg"] == ""  # the input box is cleared
    # its sources under it: number, title, organisation, date, the quote highlighted
    sources = out["sources"]
    first = answer.citations[0]
    assert "<details class='pr-sources pr-a1'>" in sources
    assert f"<span class='pr-num'>[{first.number}]</span>" in sources
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


def _citation(passage: str, quote: str, number: int = 2, **kw: Any) -> Citation:
    start = passage.index(quote) if quote else 0
    values: dict[str, Any] = {
        "number": number, "chunk_id": "d#1", "doc_id": "d", "title": "<i>Titel</i>",
        "organisation": "Org & Co", "date": None, "page": 4, "quote": quote,
        "start": 100 + start, "end": 100 + start + len(quote), "passage": passage,
        "passage_start": 100, **kw,
    }  # fmt: skip
    return Citation(**values)


def test_sources_escape_and_highlight() -> None:
    passage = "Före <img src=x onerror=alert(1)>. Citatet & <b>mer</b>. Efter."
    c = _citation(passage, "Citatet & <b>mer</b>.")
    html = render_sources([c], "sv", answer_key="3")
    assert "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;i&gt;Titel&lt;/i&gt;" in html
    assert "<mark>Citatet &amp; &lt;b&gt;mer&lt;/b&gt;.</mark>" in html
    assert "Org &amp; Co · odaterad" in html and "s. 4" in html
    assert "<details class='pr-sources pr-a3'>" in html  # the answer's own, collapsed
    assert "<script" not in render_notices(["<script>x</script> kör `make run`"])
    assert "<code>make run</code>" in render_notices(["kör `make run`"])


def test_source_card_per_document_cited_sentence_first_with_context() -> None:
    passage = (
        "## Rubriken\n\nFörsta meningen. Andra meningen före. Det **citerade** påståendet. "
        "Meningen efter. Sista meningen som är lång nog att inte visas direkt i kortet."
    )
    one = _citation(passage, "Det **citerade** påståendet.", number=1)
    two = _citation(passage, "Första meningen.", number=3)
    html = render_sources([one, two], "sv", sections={"d#1": "Rubriken"})
    assert html.count("class='pr-source'") == 1  # one card for the document
    assert html.count("pr-source-head") == 1
    # one excerpt for the passage, reachable from both numbers; section and page shown
    assert "class='pr-excerpt pr-c1 pr-c3'" in html
    assert "Avsnitt: Rubriken · s. 4" in html
    # Markdown shown as text: no heading marks, no stars; the heading is not repeated
    assert "**" not in html and "##" not in html
    excerpt = html.split("<div class='pr-passage'>")[1].split("</div>")[0]
    assert "Rubriken" not in excerpt
    assert "<mark>Det citerade påståendet.</mark> Meningen efter." in excerpt
    assert "<mark>Första meningen.</mark>" in excerpt
    assert "Visa mer" in html  # the rest of the passage behind "visa mer"


def test_refusal_sources_are_nearby_passages_without_highlighting() -> None:
    passage = "Något annat. En mening nära frågan. Mer text."
    c = _citation(passage, "En mening nära frågan.", number=1)
    html = render_sources([c], "sv", refusal=True)
    assert "<mark>" not in html
    assert "Närliggande avsnitt" in html and "pr-nearby" in html
    assert "En mening nära frågan." in html


def test_read_more_is_its_own_collapsed_list_with_the_passages_highlighted() -> None:
    passage = "Före. En mening som <b>kanske</b> svarar. Efter."
    c = _citation(passage, "En mening som <b>kanske</b> svarar.", number=3)
    html = render_more([c], "sv")
    assert html.startswith("<details class='pr-readmore'>") and " open" not in html
    assert "Läs mer: 1 avsnitt till som kan svara på frågan" in html
    assert "<mark>En mening som &lt;b&gt;kanske&lt;/b&gt; svarar.</mark>" in html
    assert "Read more: 1 more passages" in render_more([c], "en")
    assert render_more([], "sv") == ""


def test_answer_markers_become_chips() -> None:
    c = _citation("Ett påstående.", "Ett påstående.", number=1)
    html = answer_html("Ett **påstående**. [1] Ett annat. [7]", [c], "5")
    assert "<strong>påstående</strong>" in html
    assert "<button class='pr-chip pr-a5 pr-c1' title='&lt;i&gt;Titel&lt;/i&gt;'>[1]</button>" in (
        html
    )
    assert "[7]" in html and "pr-c7" not in html  # a number with no source stays text


def test_each_answer_keeps_its_own_sources(served: Served) -> None:
    client = served.new_client()
    first = chat(client, QUESTION)
    second = chat(client, "Vad är Produktionslyftet?", first["chatbot"])
    a1, a2 = Answer.model_validate(first["answer"]), Answer.model_validate(second["answer"])
    bot1, bot2 = message_text(second["chatbot"][1]), message_text(second["chatbot"][3])
    assert "pr-sources pr-a1" in bot1 and "pr-sources pr-a3" in bot2
    assert a1.citations[0].title in bot1
    assert "pr-a3" not in bot1 and "pr-a1" not in bot2
    assert all(c.title in bot2 for c in a2.citations)


def test_retry_undo_clear(served: Served) -> None:
    client = served.new_client()
    first = chat(client, QUESTION)
    msg, history, _notice, answer = client.predict(first["chatbot"], "sv", api_name="/retry")
    assert len(history) == 2 and answer["question"] == QUESTION
    assert "<mark>" in message_text(history[-1])
    msg, history, _notice, answer = client.predict(history, "sv", api_name="/undo")
    assert history == [] and msg == QUESTION and answer is None
    msg, history, _notice, answer = client.predict("sv", api_name="/clear")
    assert history == [] and msg == ""


def test_empty_question_is_ignored(served: Served) -> None:
    out = chat(served.new_client(), "   ")
    assert out["chatbot"] == []


def test_too_long_question_keeps_its_text(served: Served) -> None:
    long = "Vad är förnyelse? " * 200
    out = chat(served.new_client(), long)
    assert out["msg"] == long  # the text stays in the box
    assert out["chatbot"] == []  # nothing was asked
    assert "Frågan är för lång (högst 2000 tecken)" in out["notice"]


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


def test_comment_is_kept_when_the_box_loses_focus(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    panel = FeedbackPanel(store)
    answer = Answer(question="q", standalone_question="q", text="Svar. [1]", language="sv",
                    backend="extractive")  # fmt: skip
    rec = {"question": "q", "history": [], "answer": answer.model_dump(mode="json")}
    _answers, *_rest, fid, status = panel.rate(1, 1, None, {"1": rec}, "sv")
    assert fid is not None and "sparat" in status
    assert "sparad" not in status  # the comment is not claimed saved before it is
    saved = panel.keep_comment(fid, "  Bra svar  ", "sv")
    assert "kommentaren" in saved and store.get(fid).comment == "Bra svar"  # type: ignore[union-attr]
    panel.keep_comment(fid, "x" * 5000, "sv")
    assert len(store.get(fid).comment or "") == 2000  # type: ignore[union-attr]


def test_a_damaged_feedback_database_leaves_the_chat_calm(tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    db.write_bytes(b"not a database at all, " * 200)
    panel = FeedbackPanel(FeedbackStore(db))
    answer = Answer(question="q", standalone_question="q", text="Svar. [1]", language="sv",
                    backend="extractive")  # fmt: skip
    rec = {"question": "q", "history": [], "answer": answer.model_dump(mode="json")}
    *_rest, status = panel.rate(1, 1, None, {"1": rec}, "sv")
    assert "kunde inte sparas" in status and str(tmp_path) not in status
    assert "could not be saved" in panel.keep_comment(7, "Bra", "en")
    assert db.read_bytes().startswith(b"not a database")  # left as it was, for doctor


def test_rating_a_question_is_refused_calmly(served: Served) -> None:
    client = served.new_client()
    chat(client, QUESTION)
    _box, status = client.predict(0, 1, "", "sv", api_name="/rate")
    assert "assistentens svar" in status
    _box, status = client.predict(1, 5, "", "sv", api_name="/rate")
    assert "Ett betyg är 1 (bra), -1 (dåligt) eller 0" in status
    store = FeedbackStore(served.settings.feedback_db)
    assert all(r.rating in (-1, 1) for r in store.all())


def test_invalid_text_from_a_client_is_cleaned(tmp_path: Path) -> None:
    class Echo:
        def __init__(self) -> None:
            self.settings = Settings(data_dir=tmp_path, embedder="fake")
            self.asked: list[str] = []

        def stream(self, question: str, history: Any = ()) -> Iterator[Any]:
            self.asked.append(question)
            question.encode("utf-8")  # what the embedder does first
            raise AssistantError("stopp")
            yield

    echo = Echo()
    *_, last = list(ChatPanel(echo).respond("Vad är \udc80 5S?", [], {}, "sv"))  # type: ignore[arg-type]
    assert echo.asked == ["Vad är ? 5S?"] and "stopp" in last[2]


def test_language_switch(served: Served) -> None:
    out = served.client.predict("en", api_name="/set_language")
    assert out[0].startswith("## Produktionsrådgivaren\nAsk about")
    assert any("Create a pack for a coaching session" in str(o) for o in out)


def test_coach_pack_with_downloads(served: Served) -> None:
    markdown, md_file, docx_file = served.client.predict(
        "area", "ambidexteritet", "", "sv", api_name="/coach_pack"
    )
    assert markdown.startswith("# Coachunderlag: Ambidexteritet (dubbelhänthet)")
    assert "dubbelhänthet" in markdown and "## Källor" in markdown
    md_path, docx_path = Path(md_file["value"]), Path(docx_file["value"])
    assert md_file["visible"] and docx_file["visible"]
    assert md_path.name == "coachunderlag-ambidexteritet-dubbelhänthet.md"
    assert md_path.read_text(encoding="utf-8").strip() == markdown.strip()
    assert docx_path.suffix == ".docx" and docx_path.stat().st_size > 0
    # the choice is explicit: text typed while the list is chosen does not count …
    listed, *_ = served.client.predict(
        "area", "ambidexteritet", "digitalisering", "sv", api_name="/coach_pack"
    )
    assert listed.startswith("# Coachunderlag: Ambidexteritet")
    # … and one's own topic is used when it is chosen
    free, *_ = served.client.predict(
        "free", "ambidexteritet", "digitalisering", "sv", api_name="/coach_pack"
    )
    assert free.startswith("# Coachunderlag: digitalisering")
    empty, *_ = served.client.predict("free", "ambidexteritet", " ", "sv", api_name="/coach_pack")
    assert "Skriv först vilket ämne" in empty


def test_documents_table(served: Served) -> None:
    table, notice, status, _remove = served.client.predict("sv", api_name="/documents")
    assert table["headers"][:3] == ["Titel", "Organisation", "Datum"]
    titles = {row[0] for row in table["data"]}
    assert "Samverkan samverkan samverkan" in titles and len(titles) == 3
    assert notice == "" and status.startswith("3 dokument")


# --- uploads ----------------------------------------------------------------------------------


def upload(client: Client, *paths: Path, replace: bool = False) -> tuple[Any, ...]:
    files = [handle_file(str(p)) for p in paths]
    return tuple(client.predict(files, replace, "sv", api_name="/upload"))


def test_documents_are_for_the_administrator_only(own_server: Served, tmp_path: Path) -> None:
    src = tmp_path / "zylo.md"
    src.write_text(FACT_DOC, encoding="utf-8")
    anyone = own_server.new_client()
    result, *_ = upload(anyone, src)
    assert "Bara en administratör kan hantera dokument" in result
    assert not (own_server.settings.documents_dir / "zylo.md").exists()
    for api, args in (("/reindex", ("sv",)), ("/remove", ("samverkan.md", "sv"))):
        result, *_ = anyone.predict(*args, api_name=api)
        assert "Bara en administratör" in result
    assert own_server.assistant.status().documents == 3
    # a wrong password does not open it; the right one does, for this session only
    wrong = own_server.new_client()
    _pw, status, *_ = wrong.predict("fel", "sv", api_name="/admin_login")
    assert "Fel lösenord" in status
    assert "Bara en administratör" in upload(wrong, src)[0]
    admin = admin_client(own_server)
    assert "Nya dokument" in upload(admin, src)[0]
    assert "Bara en administratör" in upload(anyone, src)[0]


def test_upload_makes_a_new_document_answerable(own_server: Served, tmp_path: Path) -> None:
    client = admin_client(own_server)
    before = Answer.model_validate(chat(client, FACT_QUESTION)["answer"])
    assert "kvantlim" not in before.text.lower()

    src = tmp_path / "Zylo rutiner (v1).md"
    src.write_text(FACT_DOC, encoding="utf-8")
    bad = tmp_path / "program.exe"
    bad.write_bytes(b"MZ\x00")
    broken = tmp_path / "trasig.pdf"
    broken.write_bytes(b"this is not a pdf")
    result, table, _notice, status, _files, _remove = upload(client, src, bad, broken)
    docs_dir = own_server.settings.documents_dir
    assert (docs_dir / "Zylo_rutiner_v1.md").read_text(encoding="utf-8") == FACT_DOC
    assert not (docs_dir / "program.exe").exists()
    assert "program.exe: filtypen stöds inte" in result
    # an unreadable file is checked before saving: not saved, said in Swedish, no server path
    assert not (docs_dir / "trasig.pdf").exists()
    assert "trasig.pdf: kunde inte läsas och sparades inte: PDF-filen är skadad" in result
    assert str(tmp_path) not in result and "/tmp" not in result and "gradio" not in result
    assert "Nya dokument" in result and "Zylo_rutiner_v1.md" in result
    assert re.search(r"Klart på \d+,\d s", result)  # Swedish decimal comma
    assert "Zylofabrikens monteringsrutiner" in {row[0] for row in table["data"]}
    assert status.startswith("4 dokument")

    after = Answer.model_validate(chat(client, FACT_QUESTION)["answer"])
    assert not after.refusal
    assert "kvantlim" in after.text.lower()
    assert any(c.title == "Zylofabrikens monteringsrutiner" for c in after.citations)

    # the same file again: nothing changes; a different file with that name is not overwritten
    result, *_ = upload(client, src)
    assert "fanns redan (samma innehåll)" in result
    src.write_text(FACT_DOC.replace("fyra", "fem"), encoding="utf-8")
    result, *_ = upload(client, src)
    assert "Zylo_rutiner_v1-2.md" in result
    assert (docs_dir / "Zylo_rutiner_v1.md").read_text(encoding="utf-8") == FACT_DOC
    # … unless replacing is asked for
    src.write_text(FACT_DOC.replace("fyra", "sex"), encoding="utf-8")
    result, *_ = upload(client, src, replace=True)
    assert "ersatte dokumentet med samma namn" in result
    assert "sex minuter" in (docs_dir / "Zylo_rutiner_v1.md").read_text(encoding="utf-8")


def test_removed_document_is_no_longer_cited(own_server: Served, tmp_path: Path) -> None:
    client = admin_client(own_server)
    src = tmp_path / "zylo.md"
    src.write_text(FACT_DOC, encoding="utf-8")
    *_, choices = upload(client, src)
    assert any(c[1] == "zylo.md" for c in choices["choices"])
    assert "kvantlim" in Answer.model_validate(chat(client, FACT_QUESTION)["answer"]).text
    result, table, _notice, status, _files, _choices = client.predict(
        "zylo.md", "sv", api_name="/remove"
    )
    assert "zylo.md: borttaget" in result and status.startswith("3 dokument")
    assert "Zylofabrikens monteringsrutiner" not in {row[0] for row in table["data"]}
    assert not (own_server.settings.documents_dir / "zylo.md").exists()
    kept = list((own_server.settings.data_dir / "removed").glob("*zylo.md"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == FACT_DOC  # nothing lost
    after = Answer.model_validate(chat(client, FACT_QUESTION)["answer"])
    assert all(c.title != "Zylofabrikens monteringsrutiner" for c in after.citations)
    result, *_ = client.predict(None, "sv", api_name="/remove")
    assert "Välj först" in result


def test_handled_uploads_leave_gradios_cache(own_server: Served, tmp_path: Path) -> None:
    cache = Path(get_upload_folder())
    good, bad = tmp_path / "rensa-ok.md", tmp_path / "rensa-fel.exe"
    good.write_text(FACT_DOC, encoding="utf-8")
    bad.write_bytes(b"MZ")
    upload(admin_client(own_server), good, bad)
    assert not list(cache.rglob("rensa-*"))
    upload(own_server.new_client(), good)  # refused: not administrator
    assert not list(cache.rglob("rensa-*"))


def test_upload_too_large_is_refused(tmp_path: Path) -> None:
    served_iter = serve(tmp_path / "small", upload_max_mb=0.001)
    served = next(served_iter)
    try:
        big = tmp_path / "stor.txt"
        big.write_text("Stor fil. " * 300, encoding="utf-8")
        with pytest.raises(Exception):  # noqa: B017 - gradio refuses it at upload
            upload(admin_client(served), big)
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
    steps = list(h.respond("Vad är 5S?", [], {}, "sv"))
    # progress first, then the text as it streams, then the error
    assert "Söker i dokumenten" in steps[0][1][-1]["content"]
    assert "Ett påbörjat svar" in steps[1][1][-1]["content"]
    msg, history, notice, answers, payload = steps[-1]
    assert "pr-error" in history[-1]["content"]  # marked: no thumbs on it
    assert "Språkmodellen svarar inte." in history[-1]["content"]
    assert "Språkmodellen svarar inte." in notice and payload is None
    assert msg == "Vad är 5S?" and answers == {}  # the question is back in the box
    # the failed answer is not part of the conversation a follow-up is read against
    assert [t.role for t in h._turns(history, answers)] == ["user"]


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
    assert "Det gick inte att svara just nu." in last[2]
    assert "KeyError" not in last[2] and "oops" in caplog.text
    assert "pr-error" in last[1][-1]["content"] and last[0] == "Vad är 5S?"


def test_an_administrator_can_cancel_a_running_reindex(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# A\n\nFörbättring av produktionen steg för steg.\n")
    settings = Settings(data_dir=tmp_path / "d", corpus_paths=[corpus], embedder="fake")
    assistant = Assistant.from_settings(settings)
    panel = DocumentsPanel(assistant)
    panel.reindex("sv", True)
    before = set(assistant.snapshot.documents)
    (corpus / "b.md").write_text("# B\n\nFörnyelse kräver experiment och risktagande.\n")
    assert "Ingen indexering pågår" in panel.cancel("sv", True)
    assert "administratör" in panel.cancel("sv", False)
    said: list[str] = []

    def progress(*_args: Any, **_kw: Any) -> None:  # the administrator clicks at once
        said.append(panel.cancel("sv", True))

    result, *_ = panel.reindex("sv", True, progress)
    assert "Avbryter" in said[0] and "Indexeringen avbröts" in result
    assert set(assistant.snapshot.documents) == before  # the previous index still applies
    again = open_assistant(settings)  # the start-up checks find the data consistent
    assert set(again.snapshot.documents) == before
    result, *_ = DocumentsPanel(again).reindex("sv", True)
    assert set(again.snapshot.documents) == before | {"b.md"}


def test_empty_index_keeps_the_question(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", corpus_paths=[tmp_path / "none"], embedder="fake")
    assistant = Assistant.from_settings(settings)
    notice, _line = DocumentsPanel(assistant).index_status("sv")
    assert "make run" in notice and "administratör" in notice
    *_, last = list(ChatPanel(assistant).respond("Vad är 5S?", [], {}, "sv"))
    msg, history, notice, _answers, _payload = last
    assert "Inga dokument är indexerade" in notice
    assert msg == "Vad är 5S?" and history == []


def test_llm_tokens_stream_into_the_chat(tmp_path: Path) -> None:
    """An LLM backend's pieces reach the chat one by one, then the validated answer."""
    with indexed_assistant(tmp_path / "s", backend="openai", llm_model="stub") as assistant:
        pieces = ["Med ramverket ", "för produktionsinnovation ", "har vi identifierat ",
                  "fyra områden. [1]"]  # fmt: skip
        assistant._chat_models["openai"] = _StreamingModel(pieces)
        steps = list(ChatPanel(assistant).respond(QUESTION, [], {}, "sv"))
    shown = [step[1][-1]["content"] for step in steps]
    assert "Söker i dokumenten" in shown[0]
    growing = [c for c in shown if "Skriver svaret" in c]
    assert len(growing) == len(pieces)
    assert "Med ramverket" in growing[0] and "fyra områden" not in growing[0]
    assert "pr-chip" in shown[-1] and "Skriver svaret" not in shown[-1]


class _StreamingModel:
    """A chat model that streams the given pieces (langchain's ``stream`` shape)."""

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces

    def stream(self, messages: Any) -> Iterator[Any]:
        for piece in self.pieces:
            yield type("Chunk", (), {"text": piece})()

    def invoke(self, messages: Any) -> Any:
        return type(
            "Message", (), {"content": "".join(self.pieces), "text": "".join(self.pieces)}
        )()


def test_login_required_when_configured(tmp_path: Path) -> None:
    served_iter = serve(tmp_path / "auth", auth_user="coach", auth_password="hemligt-lösen")
    served = next(served_iter)  # the served client logged in
    try:
        assert chat(served.client, QUESTION)["answer"]["citations"]
        with pytest.raises(Exception):  # noqa: B017 - no login, no app
            Client(served.url, verbose=False)
    finally:
        served_iter.close()


# --- exposure ---------------------------------------------------------------------------------


def test_login_is_throttled() -> None:
    now = [0.0]
    throttle = LoginThrottle(max_failures=5, window=300, lockout=60, clock=lambda: now[0])
    results = [throttle.check("coach", "fel", "rätt") for _ in range(30)]
    assert results[:5] == [False] * 5 and set(results[5:]) == {None}  # refused unchecked
    assert throttle.check("coach", "rätt", "rätt") is None  # even the right one, for a while
    assert throttle.check("annan", "rätt", "rätt") is True  # other names are not locked
    now[0] = 61.0
    assert throttle.check("coach", "rätt", "rätt") is True


def test_app_login_slows_wrong_passwords(tmp_path: Path) -> None:
    served_iter = serve(tmp_path / "slow", auth_user="coach", auth_password="hemligt-lösen")
    served = next(served_iter)
    try:
        login = served.url + "login"
        codes = []
        t0 = time.perf_counter()
        for _ in range(6):
            codes.append(_post_login(login, "coach", "fel"))
        assert codes == [400] * 6 and time.perf_counter() - t0 >= 2.5
        # locked out now: the right password is refused until the lockout ends
        assert _post_login(login, "coach", "hemligt-lösen") == 400
    finally:
        served_iter.close()


def _post_login(url: str, user: str, password: str) -> int:
    data = urllib.parse.urlencode({"username": user, "password": password}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_admin_login_is_throttled(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, embedder="fake", admin_password="rätt")
    panel = SettingsPanel(settings, LoginThrottle(max_failures=3, window=60, lockout=30))
    for _ in range(3):
        admin, _pw, status, *_ = panel.login("fel", "sv")
        assert admin is False and "Fel lösenord" in status
    admin, _pw, status, *_ = panel.login("rätt", "sv")
    assert admin is False and "För många felaktiga försök" in status
    unset = SettingsPanel(Settings(data_dir=tmp_path, embedder="fake"))
    admin, _pw, status, *_ = unset.login("", "sv")
    assert admin is False and "ASSISTANT_ADMIN_PASSWORD" in status


def test_warning_when_serving_beyond_localhost_without_login(tmp_path: Path) -> None:
    def warn(**kw: Any) -> str | None:
        return exposure_warning(Settings(data_dir=tmp_path, embedder="fake", **kw))

    assert warn() is None  # 127.0.0.1
    assert warn(host="localhost") is None and warn(host="::1") is None
    message = warn(host="0.0.0.0")
    assert message and "without a login" in message and "ASSISTANT_AUTH_USER" in message
    assert warn(host="0.0.0.0", auth_user="a", auth_password="b") is None
