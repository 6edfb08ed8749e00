"""
A local stand-in for an OpenAI-compatible server, over a real socket.

It speaks the Chat Completions streaming protocol (server-sent events of
`chat.completion.chunk` objects, ending with `data: [DONE]`), and the model
name picks how it behaves, so one server covers the success and failure cases.
"""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHUNKS = ["Hello", " from", " the", " stand-in", "."]


@dataclass
class StandIn:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def chunk(content: str | None, finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "standin",
        "choices": [
            {
                "index": 0,
                "delta": {"content": content} if content is not None else {},
                "finish_reason": finish,
            }
        ],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


def make_handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length))
            request["authorization"] = self.headers.get("Authorization")
            state.requests.append(request)
            behaviour = request.get("model", "ok")
            if behaviour == "unauthorized":
                self.reply_json(
                    401,
                    {
                        "error": {
                            "message": "Incorrect API key",
                            "type": "invalid_request_error",
                            "code": "invalid_api_key",
                        }
                    },
                )
                return
            if behaviour == "hang":
                state.release.wait(30)
                self.reply_json(500, {"error": {"message": "released"}})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            if behaviour == "malformed":
                self.wfile.write(chunk("Half"))
                self.wfile.write(b"data: {not json\n\n")
            elif behaviour == "midstream-error":
                self.wfile.write(chunk("Half"))
                error = {"error": {"message": "The server is overloaded", "type": "server_error"}}
                self.wfile.write(f"data: {json.dumps(error)}\n\n".encode())
            else:
                for piece in CHUNKS:
                    self.wfile.write(chunk(piece))
                    self.wfile.flush()
                self.wfile.write(chunk(None, finish="stop"))
                self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

        def reply_json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def openai_standin() -> Iterator[StandIn]:
    """Serve the stand-in on a free loopback port, under /v1, until the block ends."""
    state = StandIn(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
