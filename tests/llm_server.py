"""A tiny model server on 127.0.0.1 speaking the OpenAI and Ollama chat APIs, streaming canned
replies, so the real provider clients (langchain-openai, langchain-ollama) can be tested."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], str]


class FakeModelServer:
    def __init__(self, replies: list[str] | Reply) -> None:
        self.replies = replies
        self.requests: list[dict[str, Any]] = []  # path, headers and JSON body of each call

    def next_reply(self, body: dict[str, Any]) -> str:
        if callable(self.replies):
            return self.replies(body)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@contextmanager
def model_server(replies: list[str] | Reply) -> Iterator[tuple[str, FakeModelServer]]:
    """Yields (base URL, server); OpenAI clients use base URL + /v1.

    replies: canned texts, used in turn (the last one repeats), or a function of the request body.
    """
    state = FakeModelServer(replies)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
            )
            words = state.next_reply(body).split(" ")
            pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
            if self.path.startswith("/v1/chat/completions"):
                self._send("text/event-stream", [_openai_chunk(p) for p in pieces] + ["[DONE]"])
            elif self.path == "/api/chat":
                self._send("application/x-ndjson", [_ollama_chunk(p) for p in pieces], ndjson=True)
            else:
                self.send_error(404)

        def _send(self, kind: str, events: list[str], ndjson: bool = False) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.end_headers()
            for event in events:
                line = f"{event}\n" if ndjson else f"data: {event}\n\n"
                self.wfile.write(line.encode("utf-8"))
                self.wfile.flush()
            if ndjson:
                done = {"model": "m", "message": {"role": "assistant", "content": ""}, "done": True}
                self.wfile.write((json.dumps({**done, "done_reason": "stop"}) + "\n").encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def _openai_chunk(piece: str) -> str:
    return json.dumps(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": piece},
                    "finish_reason": None,
                }
            ],
        }
    )


def _ollama_chunk(piece: str) -> str:
    message = {"role": "assistant", "content": piece}
    return json.dumps({"model": "m", "created_at": "2026-01-01T00:00:00Z", "message": message})
