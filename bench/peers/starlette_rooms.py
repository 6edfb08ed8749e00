"""
What a user might pick instead: a Starlette WebSocket endpoint broadcasting
from an in-process dict of rooms. One process only (the rooms live in it),
no validation, no storage. It speaks just enough of the chat protocol for
bench.fanout.

    uvicorn bench.peers.starlette_rooms:application
"""

import json
from collections import defaultdict

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

rooms: defaultdict[str, set[WebSocket]] = defaultdict(set)


async def room(websocket: WebSocket) -> None:
    members = rooms[websocket.path_params["room"]]
    await websocket.accept()
    await websocket.send_text(json.dumps({"action": "chat_history", "payload": {"messages": []}}))
    members.add(websocket)
    try:
        while True:
            content = json.loads(await websocket.receive_text())
            if content.get("action") != "new_chat_message":
                continue
            frame = json.dumps({"action": "new_chat_message", "payload": content["payload"]})
            for member in list(members):
                if member is not websocket:
                    await member.send_text(frame)
    except WebSocketDisconnect:
        pass
    finally:
        members.discard(websocket)


async def healthz(_request: object) -> PlainTextResponse:
    return PlainTextResponse("ok")


application = Starlette(
    routes=[Route("/healthz", healthz), WebSocketRoute("/ws/chat/{room}/", room)]
)
