"""Memory a long-lived server holds per visitor: gradio keeps every session (each page load,
each API client) until a capacity is reached, so the app sets one (see docs/soak.md)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from gradio_client import Client
from indexed import indexed_assistant

from assistant.ui import app as ui_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_server_keeps_at_most_its_capacity_of_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui_app, "SESSION_CAPACITY", 3)
    with indexed_assistant(tmp_path, host="127.0.0.1", port=free_port()) as assistant:
        app = ui_app.launch(assistant, prevent_thread_lock=True, quiet=True)
        try:
            url = f"http://127.0.0.1:{assistant.settings.port}/"
            clients = [Client(url, verbose=False) for _ in range(7)]
            for client in clients:  # one event each: gradio then holds a session for it
                assert client.predict("sv", api_name="/clear")[1] == []
            sessions = app.app.state_holder.session_data  # type: ignore[union-attr]
            assert len(sessions) == 3
            assert list(sessions) == [c.session_hash for c in clients[-3:]]  # the newest kept
            # a dropped session still works: its next event starts a fresh one
            assert clients[0].predict("sv", api_name="/clear")[1] == []
            assert list(sessions)[-1] == clients[0].session_hash
        finally:
            app.close()
