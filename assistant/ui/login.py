"""Password checks with throttling, for the app's login and the administrator login.

After ``max_failures`` wrong passwords for one key (a user name, or a client address) within
``window`` seconds, that key is refused without a check for ``lockout`` seconds, so a script
cannot try thirty passwords a second. No gradio here.
"""

from __future__ import annotations

import asyncio
import hmac
import threading
import time
from collections.abc import Awaitable, Callable

FAILURE_DELAY = 0.5  # seconds every wrong password costs the caller of the app's login


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class LoginThrottle:
    def __init__(
        self,
        max_failures: int = 5,
        window: float = 300.0,
        lockout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self.clock = clock
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        with self._lock:
            return max(0.0, self._locked_until.get(key, 0.0) - self.clock())

    def failed(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window]
            recent.append(now)
            self._failures[key] = recent
            if len(recent) >= self.max_failures:
                self._locked_until[key] = now + self.lockout
                self._failures[key] = []

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)

    def check(self, key: str, given: str, expected: str) -> bool | None:
        """True (right), False (wrong) or None (locked out: not even checked)."""
        if self.wait(key) > 0:
            return None
        if same_secret(given, expected):
            self.succeeded(key)
            return True
        self.failed(key)
        return False


def app_auth(
    user: str, password: str, throttle: LoginThrottle
) -> Callable[[str, str], Awaitable[bool]]:
    """The app's login check for gradio: throttled per user name, a wrong password costs
    ``FAILURE_DELAY`` seconds (awaited, so no server thread waits)."""

    async def check(username: str, given: str) -> bool:
        ok = throttle.check(username, f"{username}\0{given}", f"{user}\0{password}")
        if not ok:
            await asyncio.sleep(FAILURE_DELAY)
        return bool(ok)

    return check
