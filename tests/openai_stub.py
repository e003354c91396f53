"""A real HTTP server on loopback that speaks enough of the OpenAI chat completions API
(``POST /v1/chat/completions``, JSON and SSE streaming) and of Ollama's (``POST /api/chat``,
JSON and NDJSON streaming) for the real langchain clients to talk to it.

    with ChatStub() as stub:
        stub.enqueue("Programmet pågår i 18 månader [1].")
        settings = Settings(backend="openai", llm_base_url=stub.openai_url, ...)
        ...
        assert stub.requests[0]["messages"][0]["role"] == "system"

Replies are scripted: each request takes the next queued reply (text, optional delay before
answering, optional HTTP status; ``{authorization}`` in an error's text becomes the request's
Authorization header, as a careless server echoes it). With an empty queue the server answers
HTTP 500. It binds 127.0.0.1 only, on a free port, and stops (waking any delayed reply) when
the block exits.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from stub_server import StubHTTPServer, StubServer

MAX_BODY = 5 * 1024 * 1024
_PIECES = re.compile(r"\S+\s*|\s+")


@dataclass
class Reply:
    text: str
    delay: float = 0.0  # seconds before the response starts
    status: int = 200
    chunk_delay: float = 0.0  # seconds between streamed pieces


class _Server(StubHTTPServer):
    stub: ChatStub


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        stub = self.server.stub
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": stub.model, "object": "model"}]})
        elif self.path.rstrip("/") == "/api/tags":
            self._json(200, {"models": [{"name": stub.model, "model": stub.model}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._json(413, {"error": {"message": "request too large"}})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._json(400, {"error": {"message": "invalid JSON"}})
            return
        path = self.path.split("?")[0].rstrip("/")
        if not (path.endswith("/chat/completions") or path == "/api/chat"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        reply = stub._take(path, body)
        if reply.delay and stub._stopping.wait(reply.delay):
            return  # the stub is stopping: drop the connection
        if reply is _EMPTY or reply.status != 200:
            status = 500 if reply is _EMPTY else reply.status
            message = reply.text or "no scripted reply"
            # a careless server that echoes the request's credentials into its error
            message = message.replace("{authorization}", self.headers.get("Authorization", ""))
            if path == "/api/chat":
                self._json(status, {"error": message})
            else:
                self._json(status, {"error": {"message": message, "type": "stub_error"}})
            return
        model = body.get("model") or stub.model
        if path == "/api/chat":
            self._ollama(reply, model, stream=body.get("stream", True))
        else:
            self._openai(reply, model, body)

    # --- OpenAI -------------------------------------------------------------------------

    def _openai(self, reply: Reply, model: str, body: dict[str, Any]) -> None:
        ident = f"chatcmpl-stub-{id(reply):x}"
        created = int(time.time())
        usage = {
            "prompt_tokens": 10,
            "completion_tokens": len(reply.text.split()),
            "total_tokens": 0,
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if not body.get("stream"):
            self._json(
                200,
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply.text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                },
            )
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

        def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            return {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        events = [chunk({"role": "assistant", "content": ""}, None)]
        events += [chunk({"content": p}, None) for p in _PIECES.findall(reply.text)]
        events.append(chunk({}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**chunk({}, None), "choices": [], "usage": usage})
        for i, event in enumerate(events):
            if i and reply.chunk_delay and self.server.stub._stopping.wait(reply.chunk_delay):
                return
            if not self._write(f"data: {json.dumps(event)}\n\n"):
                return
        self._write("data: [DONE]\n\n")

    # --- Ollama -------------------------------------------------------------------------

    def _ollama(self, reply: Reply, model: str, stream: bool) -> None:
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        done = {
            "model": model,
            "created_at": created,
            "done": True,
            "done_reason": "stop",
            "total_duration": 1000,
            "prompt_eval_count": 10,
            "eval_count": len(reply.text.split()),
        }
        if not stream:
            self._json(200, {**done, "message": {"role": "assistant", "content": reply.text}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        for i, piece in enumerate(_PIECES.findall(reply.text)):
            if i and reply.chunk_delay and self.server.stub._stopping.wait(reply.chunk_delay):
                return
            line = {
                "model": model,
                "created_at": created,
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            if not self._write(json.dumps(line) + "\n"):
                return
        self._write(json.dumps({**done, "message": {"role": "assistant", "content": ""}}) + "\n")

    # --- plumbing -----------------------------------------------------------------------

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self._write(data)

    def _write(self, data: str | bytes) -> bool:
        try:
            self.wfile.write(data.encode() if isinstance(data, str) else data)
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            return False


_EMPTY = Reply("")


class ChatStub(StubServer):
    """A scripted OpenAI-compatible and Ollama-compatible chat server on 127.0.0.1."""

    handler = _Handler
    server_class = _Server

    def __init__(self, model: str = "stub-model") -> None:
        super().__init__()
        self.model = model
        self.requests: list[dict[str, Any]] = []  # every request body, in order
        self.paths: list[str] = []  # the path of each request
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()

    # --- script ---------------------------------------------------------------------------

    def enqueue(
        self, text: str, *, delay: float = 0.0, status: int = 200, chunk_delay: float = 0.0
    ) -> None:
        """The reply to a coming request (first in, first out)."""
        with self._lock:
            self._replies.append(Reply(text, delay, status, chunk_delay))

    def _take(self, path: str, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.paths.append(path)
            return self._replies.popleft() if self._replies else _EMPTY

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def openai_url(self) -> str:
        """The ``base_url`` for an OpenAI client."""
        return f"{self.url}/v1"

    @property
    def ollama_url(self) -> str:
        """The ``base_url`` for an Ollama client."""
        return self.url
