"""User-facing errors: raised anywhere, turned into a clean message only at the CLI and UI edges."""

from __future__ import annotations

from typing import Literal


class AssistantError(Exception):
    """Something the user can act on (bad input, missing index, unreachable backend).

    ``lang`` is the language of the message when it follows the user's (the question's or the
    UI's), so an edge can frame it in the same language; None for the tool's English messages.
    """

    def __init__(self, message: str = "", *, lang: Literal["sv", "en"] | None = None) -> None:
        super().__init__(message)
        self.lang = lang


class BackendUnavailable(AssistantError):
    """An LLM backend could not be reached or timed out; callers fall back visibly."""


class StoreUnavailable(AssistantError):
    """The vector store cannot be searched (a Chroma server down or restarting); answers fall
    back to keyword search with a visible notice."""
