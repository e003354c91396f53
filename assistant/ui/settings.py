"""The settings tab: the administrator login that opens the documents tab for this session.

The documents tab is hidden until the login succeeds, and its handlers check the session's
``admin`` state themselves, so calling them through the API without the login is refused too.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..config import Settings
from ..ui_text import text
from .login import LoginThrottle
from .render import render_notices


class SettingsPanel:
    def __init__(self, settings: Settings, throttle: LoginThrottle | None = None) -> None:
        self.settings = settings
        self.throttle = throttle or LoginThrottle()

    @property
    def enabled(self) -> bool:
        return self.settings.admin_password is not None and bool(
            self.settings.admin_password.get_secret_value()
        )

    def build(self, lang: str) -> None:
        self.admin = gr.State(False)
        self.intro = gr.Markdown(
            text(lang, "admin_intro" if self.enabled else "admin_disabled"), elem_id="pr-admin"
        )
        with gr.Row(visible=self.enabled, equal_height=True):
            self.password = gr.Textbox(
                label=text(lang, "admin_password"),
                type="password",
                scale=3,
                elem_id="pr-admin-password",
            )
            self.login_btn = gr.Button(text(lang, "admin_login"), variant="primary", scale=1)
            self.logout_btn = gr.Button(text(lang, "admin_logout"), scale=1, visible=False)
        self.status = gr.HTML(elem_id="pr-admin-status")

    def wire(self, lang: gr.Radio, documents_tab: gr.Tab) -> None:
        outputs = [self.admin, self.password, self.status, documents_tab, self.login_btn,
                   self.logout_btn]  # fmt: skip
        self.password.submit(self.login, [self.password, lang], outputs, api_name="admin_login")
        self.login_btn.click(self.login, [self.password, lang], outputs, api_visibility="private")
        self.logout_btn.click(self.logout, [lang], outputs, api_name="admin_logout")

    def relabel_outputs(self) -> list[Any]:
        return [self.intro, self.password, self.login_btn, self.logout_btn]

    def relabel(self, lang: str) -> list[Any]:
        return [
            gr.update(value=text(lang, "admin_intro" if self.enabled else "admin_disabled")),
            gr.update(label=text(lang, "admin_password")),
            gr.update(value=text(lang, "admin_login")),
            gr.update(value=text(lang, "admin_logout")),
        ]

    # --- handlers ----------------------------------------------------------------------
    def login(
        self, password: str | None, lang: str, request: gr.Request | None = None
    ) -> tuple[Any, ...]:
        """(admin state, password box, status, documents tab, login button, logout button)."""
        cleared = gr.update(value="")
        if not self.enabled or self.settings.admin_password is None:
            status = render_notices([text(lang, "admin_disabled")], warn=True)
            return False, cleared, status, gr.update(visible=False), gr.skip(), gr.skip()
        client = getattr(getattr(request, "client", None), "host", None) or "local"
        ok = self.throttle.check(
            f"admin:{client}", password or "", self.settings.admin_password.get_secret_value()
        )
        if ok is None:
            seconds = int(self.throttle.wait(f"admin:{client}")) + 1
            status = render_notices([text(lang, "admin_throttled", seconds=seconds)], warn=True)
            return False, cleared, status, gr.update(visible=False), gr.skip(), gr.skip()
        if not ok:
            status = render_notices([text(lang, "admin_bad")], warn=True)
            return False, cleared, status, gr.update(visible=False), gr.skip(), gr.skip()
        status = render_notices([text(lang, "admin_ok")])
        return (
            True,
            cleared,
            status,
            gr.update(visible=True),
            gr.update(visible=False),
            gr.update(visible=True),
        )

    def logout(self, lang: str) -> tuple[Any, ...]:
        status = render_notices([text(lang, "admin_out")])
        return (
            False,
            gr.update(value=""),
            status,
            gr.update(visible=False),
            gr.update(visible=True),
            gr.update(visible=False),
        )
