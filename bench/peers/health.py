"""The one HTTP route the peers serve: /healthz, which the bench waits for."""

from typing import Any


async def healthz(scope: dict[str, Any], receive: Any, send: Any) -> None:
    status = 200 if scope["path"] == "/healthz" else 404
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"ok" if status == 200 else b""})
