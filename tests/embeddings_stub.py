"""A real HTTP server on loopback that speaks the OpenAI embeddings API
(``POST /v1/embeddings``, float and base64 vectors) for the real langchain-openai client.

    with EmbeddingStub() as stub:
        stub.fail(503, times=2)          # the next two requests fail, then it answers
        emb = RemoteEmbeddings("e5", stub.openai_url)
        ...
        assert stub.inputs[0] == ["passage: ..."]

Vectors are the fake embedder's hashing vectors of the text as sent (prefix included), scaled
by 3 so that a client must normalise them. ``{authorization}`` in a failure's text becomes the
request's Authorization header, as a careless server echoes it. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler
from typing import Any

import numpy as np
from stub_server import StubHTTPServer, StubServer

from assistant.embeddings import FakeEmbeddings

SCALE = 3.0


class _Server(StubHTTPServer):
    stub: EmbeddingStub


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        stub = self.server.stub
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path.split("?")[0].rstrip("/") != "/v1/embeddings":
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        failure = stub._take(body, texts, self.headers.get("Authorization", ""))
        if failure is not None:
            status, text, delay = failure
            if delay and stub._stopping.wait(delay):
                return
            if status:
                message = text.replace("{authorization}", self.headers.get("Authorization", ""))
                self._json(status, {"error": {"message": message, "type": "stub_error"}})
                return
        data = []
        for i, text in enumerate(texts):
            vec = np.asarray(stub.fake._vec(text), dtype=np.float32) * SCALE
            encoded: Any = vec.tolist()
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(vec.tobytes()).decode()
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        self._json(
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model", ""),
                "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
            },
        )

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass


class EmbeddingStub(StubServer):
    """A scripted OpenAI-compatible embedding server on 127.0.0.1."""

    handler = _Handler
    server_class = _Server

    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeEmbeddings()
        self.requests: list[dict[str, Any]] = []  # every request body, in order
        self.inputs: list[list[str]] = []  # the texts of each request
        self.auth: list[str] = []  # the Authorization header of each request
        self._failures: deque[tuple[int, str, float]] = deque()
        self._lock = threading.Lock()

    def fail(
        self, status: int, *, times: int = 1, text: str = "stub failure", delay: float = 0.0
    ) -> None:
        """The next ``times`` requests fail with ``status`` (0: only wait ``delay``)."""
        with self._lock:
            self._failures.extend([(status, text, delay)] * times)

    def _take(
        self, body: dict[str, Any], texts: list[str], auth: str
    ) -> tuple[int, str, float] | None:
        with self._lock:
            self.requests.append(body)
            self.inputs.append(texts)
            self.auth.append(auth)
            return self._failures.popleft() if self._failures else None

    @property
    def openai_url(self) -> str:
        assert self._server is not None, "the stub is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"
