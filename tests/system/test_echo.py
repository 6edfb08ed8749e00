"""Echo: the answers themselves, then the endpoint against a real server process."""

import hashlib
import json
import zlib

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from system.echo import (
    COMPRESSED_MARKER,
    MAX_FRAME_BYTES,
    MAX_JSON_DEPTH,
    EchoError,
    echo_binary,
    echo_text,
)
from tests.support.servers import ServerProcess


def test_plain_text_is_echoed_with_the_system_prefix() -> None:
    assert echo_text("hello").model_dump() == {
        "action": "text_echo",
        "payload": {"text": "System: hello"},
    }


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [('{"a": 1, "b": [2]}', "object", 2), ("[1, 2, 3]", "array", 3), ("  {}", "object", 0)],
)
def test_json_is_answered_with_the_value_and_a_summary(text: str, kind: str, fields: int) -> None:
    answer = echo_text(text)

    assert answer.model_dump()["payload"] == {
        "received": json.loads(text),
        "summary": {"type": kind, "fields": fields},
    }


def test_text_that_looks_like_json_but_is_not_is_an_error() -> None:
    with pytest.raises(EchoError, match="Invalid JSON"):
        echo_text('{"unterminated": ')


DEEP_ARRAY = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000


@pytest.mark.parametrize(
    "text",
    [
        DEEP_ARRAY,
        DEEP_OBJECT,
        "[" * 300 + "]" * 300,  # parses, but could not be sent back
        "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
    ],
)
def test_json_nested_too_deep_is_an_error(text: str) -> None:
    with pytest.raises(EchoError, match=f"nested deeper than {MAX_JSON_DEPTH} levels"):
        echo_text(text)


def test_json_nested_to_the_limit_is_echoed() -> None:
    answer = echo_text('{"a":' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH)

    assert answer.model_dump_json().count('{"a":') == MAX_JSON_DEPTH


def test_a_compressed_frame_is_decompressed_and_both_sizes_reported() -> None:
    data = b"hello " * 1000
    frame = COMPRESSED_MARKER + zlib.compress(data)

    description, echoed = echo_binary(frame)

    assert echoed == data
    assert description.payload.size == len(data)
    assert description.payload.compressed_size == len(frame)
    assert description.payload.sha256 == hashlib.sha256(data).hexdigest()


def test_a_compressed_frame_that_would_expand_past_the_limit_is_refused() -> None:
    bomb = COMPRESSED_MARKER + zlib.compress(b"\0" * (MAX_FRAME_BYTES * 4))

    with pytest.raises(EchoError, match="expands beyond"):
        echo_binary(bomb)


@pytest.mark.parametrize(
    "frame", [COMPRESSED_MARKER + b"not zlib", COMPRESSED_MARKER + zlib.compress(b"x" * 100)[:-4]]
)
def test_a_corrupt_or_truncated_compressed_frame_is_refused(frame: bytes) -> None:
    with pytest.raises(EchoError, match="Corrupt compressed frame"):
        echo_binary(frame)


async def greeted(server: ServerProcess) -> ClientConnection:
    ws = await connect(f"{server.ws_url}/ws/system/echo/", max_size=4 * MAX_FRAME_BYTES)
    assert json.loads(await ws.recv())["action"] == "authentication"
    greeting = json.loads(await ws.recv())
    assert greeting["action"] == "echo_connected"
    assert greeting["payload"]["message"] == "Connection established."
    return ws


async def test_every_kind_of_frame_is_echoed_by_a_real_server(dev_server: ServerProcess) -> None:
    ws = await greeted(dev_server)
    try:
        await ws.send("hi")
        assert json.loads(await ws.recv())["payload"] == {"text": "System: hi"}

        await ws.send('{"x": 1}')
        assert json.loads(await ws.recv())["payload"]["summary"] == {"type": "object", "fields": 1}

        await ws.send(b"\x00\x01\x02")
        described = json.loads(await ws.recv())
        assert described["payload"]["size"] == 3
        assert await ws.recv() == b"\x00\x01\x02"

        await ws.send(COMPRESSED_MARKER + zlib.compress(b"abc" * 100))
        described = json.loads(await ws.recv())
        assert described["payload"]["size"] == 300
        assert await ws.recv() == b"abc" * 100
    finally:
        await ws.close()


@pytest.mark.parametrize(
    "frame", ['{"broken": ', DEEP_ARRAY, DEEP_OBJECT, COMPRESSED_MARKER + b"garbage"]
)
async def test_bad_frames_get_an_error_and_the_connection_stays_up(
    dev_server: ServerProcess, frame: str | bytes
) -> None:
    ws = await greeted(dev_server)
    try:
        await ws.send(frame)
        error = json.loads(await ws.recv())
        await ws.send("still here?")
        after = json.loads(await ws.recv())
    finally:
        await ws.close()

    assert error["action"] == "error"
    assert after["payload"] == {"text": "System: still here?"}


async def test_compressed_deep_json_is_echoed_as_bytes_and_the_connection_stays_up(
    dev_server: ServerProcess,
) -> None:
    ws = await greeted(dev_server)
    try:
        await ws.send(COMPRESSED_MARKER + zlib.compress(DEEP_ARRAY.encode()))
        described = json.loads(await ws.recv())
        echoed = await ws.recv()
        await ws.send("still here?")
        after = json.loads(await ws.recv())
    finally:
        await ws.close()

    assert described["action"] == "binary_echo"
    assert echoed == DEEP_ARRAY.encode()
    assert after["payload"] == {"text": "System: still here?"}


async def test_an_oversized_frame_is_refused_with_4009_and_the_server_keeps_serving(
    dev_server: ServerProcess,
) -> None:
    ws = await greeted(dev_server)
    await ws.send(b"x" * (MAX_FRAME_BYTES + 1))
    error = json.loads(await ws.recv())
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()

    assert error["payload"]["detail"].startswith(f"Frame of {MAX_FRAME_BYTES + 1} bytes")
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4009
    again = await greeted(dev_server)
    await again.close()
