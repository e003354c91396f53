"""The lifecycle shared by the local HTTP stubs of backends (chat, embeddings): a threaded
server on 127.0.0.1 and a free port, started and stopped by the test or a ``with`` block.
A stub subclasses ``StubServer`` and names its request handler; the handler reaches the stub
as ``self.server.stub``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self


class StubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    stub: Any


class StubServer:
    handler: ClassVar[type[BaseHTTPRequestHandler]]
    server_class: ClassVar[type[StubHTTPServer]] = (
        StubHTTPServer  # a stub's subclass types ``stub``
    )

    def __init__(self) -> None:
        self._stopping = threading.Event()  # set on stop: delays in handlers end early
        self._server: StubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stub is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._stopping.clear()
        self._server = self.server_class(("127.0.0.1", 0), self.handler)
        self._server.stub = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
