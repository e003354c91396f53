"""User-facing errors: raised anywhere, turned into a clean message only at the CLI and UI edges."""


class AssistantError(Exception):
    """Something the user can act on (bad input, missing index, unreachable backend)."""


class BackendUnavailable(AssistantError):
    """An LLM backend could not be reached or timed out; callers fall back visibly."""
