"""
Hostile input against a real server process: every malformed frame gets an
error frame (or a documented close), the process stays up, and a well-formed
client on the same server keeps working throughout.
"""

import json
import os
import threading
import time
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.asyncapi import Endpoint, endpoints
from tests.support.servers import ServerProcess, migrated_env, running_server

MAX_FRAME_BYTES = 768 * 1024
ECHO_MAX_FRAME_BYTES = 512 * 1024
DOCUMENTED_CLOSES = {4009}  # the echo's own 512 KiB limit
# websockets' keepalive pings draw their payload from the global `random`,
# from a thread of their own: mid-draw, Hypothesis takes that for a strategy
# using `random` and fails the example. The test pings with `ping` frames.
NO_KEEPALIVE = {"ping_interval": None}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "500"))


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, e2e_redis_url: str | None
) -> Iterator[ServerProcess]:
    """A server of its own: rate limits out of the way, so every frame reaches the parsers."""
    workdir = tmp_path_factory.mktemp("fuzz")
    env = migrated_env(
        workdir,
        redis_url=e2e_redis_url,
        WEBSOCKET_RATE_PER_CONNECTION="1000000/minute",
        WEBSOCKET_RATE_PER_USER="1000000/minute",
        ASSISTANT_TOKEN_DELAY="0",
        JOB_STEP_DELAY="0",
        JOBS_BACKEND="inprocess",
    )
    with running_server(env, workdir) as running:
        yield running
    print(f"\nframes fuzzed per endpoint: {FIGURES.frames}; documented closes: {FIGURES.closes}")


@dataclass
class Figures:
    """What the run sent, printed at the end (pytest -s shows it)."""

    frames: dict[str, int] = field(default_factory=dict)
    closes: dict[str, int] = field(default_factory=dict)


FIGURES = Figures()


def document(server: ServerProcess) -> dict[str, Any]:
    with urllib.request.urlopen(f"{server.http_url}/asyncapi/schema/", timeout=5) as reply:
        return dict(json.loads(reply.read()))


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )


def not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


def malformed_frames(endpoint: Endpoint) -> st.SearchStrategy[str | bytes]:
    """Frames no JSON endpoint may accept: each must get exactly one `error` frame."""
    valid = json.dumps({"action": endpoint.actions[0], "payload": {"message": "hello"}})
    known = st.sampled_from(endpoint.actions)
    wrong_payload = st.integers() | st.lists(st.integers(), min_size=1) | st.booleans()
    return st.one_of(
        st.text(max_size=300).filter(not_json),  # not JSON at all
        (st.lists(json_values()) | st.integers() | st.text() | st.none()).map(json.dumps),
        st.builds(  # an action nobody handles
            lambda action, payload: json.dumps({"action": action, "payload": payload}),
            st.text(max_size=40).filter(lambda a: a not in endpoint.actions),
            json_values(),
        ),
        st.builds(  # a known action, a payload of the wrong type
            lambda action, payload: json.dumps({"action": action, "payload": payload}),
            known,
            wrong_payload,
        ),
        st.integers(1, len(valid) - 1).map(lambda cut: valid[:cut]),  # truncated
        st.integers(100, 100_000).map(lambda depth: "[" * depth + "]" * depth),  # deep
        st.integers(100, 100_000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
        st.binary(max_size=300),  # binary frames
        st.just("x" * (MAX_FRAME_BYTES + 1)),  # over the server-wide limit
    )


def receive(ws: ClientConnection, timeout: float = 5.0) -> str | bytes:
    return ws.recv(timeout=timeout)


def count_errors_until_pong(ws: ClientConnection, expected: int) -> int:
    """Ping, read to the pong, then wait for stragglers: handlers run concurrently."""
    ws.send(json.dumps({"action": "ping"}))
    errors, ponged = 0, False
    deadline = time.monotonic() + 10
    while not (ponged and errors >= expected) and time.monotonic() < deadline:
        frame = json.loads(receive(ws))
        if frame["action"] == "pong":
            ponged = True
        elif frame["action"] == "error":
            errors += 1
    assert ponged
    return errors


def open_endpoint(server: ServerProcess, endpoint: Endpoint, stack: ExitStack) -> ClientConnection:
    url = f"{server.ws_url}{endpoint.path()}"
    ws = stack.enter_context(connect(url, max_size=None, open_timeout=10, **NO_KEEPALIVE))
    greeting = json.loads(receive(ws))
    assert greeting["action"] == "authentication", greeting
    return ws


class Witness(threading.Thread):
    """A well-formed chat client posting every 50 ms for as long as the fuzzing lasts."""

    def __init__(self, server: ServerProcess) -> None:
        super().__init__(daemon=True)
        self.url = f"{server.ws_url}/ws/chat/witness/"
        self.stopping = threading.Event()
        self.accepted = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with connect(self.url, open_timeout=10, **NO_KEEPALIVE) as ws:
                while not self.stopping.is_set():
                    post = {"action": "new_chat_message", "payload": {"message": "still here"}}
                    ws.send(json.dumps(post))
                    while json.loads(ws.recv(timeout=5))["action"] != "message_accepted":
                        pass
                    self.accepted += 1
                    self.stopping.wait(0.05)
        except BaseException as failure:  # reported by the test
            self.failure = failure


@pytest.fixture(scope="module")
def witness(server: ServerProcess) -> Iterator[Witness]:
    running = Witness(server)
    running.start()
    yield running
    running.stopping.set()
    running.join(10)
    assert running.failure is None, running.failure
    assert running.accepted > 0


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@pytest.mark.timeout(600)
def test_every_malformed_frame_to_a_json_endpoint_gets_one_error_frame(
    server: ServerProcess, witness: Witness
) -> None:
    targets = [e for e in endpoints(document(server)) if e.actions]
    stack = ExitStack()
    sockets = {e.name: open_endpoint(server, e, stack) for e in targets}

    @FUZZ_SETTINGS
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        endpoint = data.draw(st.sampled_from(targets))
        frames = data.draw(st.lists(malformed_frames(endpoint), min_size=1, max_size=4))
        ws = sockets[endpoint.name]
        for frame in frames:
            ws.send(frame)
        assert count_errors_until_pong(ws, len(frames)) == len(frames), frames
        FIGURES.frames[endpoint.name] = FIGURES.frames.get(endpoint.name, 0) + len(frames)

    with stack:
        fuzz()
    assert witness.failure is None, witness.failure
    assert health(server) == 200


def echo_frames() -> st.SearchStrategy[str | bytes]:
    return st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda garbage: b"ZLIB" + garbage),  # corrupt compression
        st.just("x" * (MAX_FRAME_BYTES + 1)),
        st.just(b"x" * (ECHO_MAX_FRAME_BYTES + 1)),  # the echo's own limit: close 4009
        # JSON nested deeper than anything can parse or send back: an error frame.
        st.integers(100, 20_000).map(lambda depth: "[" * depth + "]" * depth),
        st.integers(100, 20_000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
        st.integers(100, 20_000).map(
            lambda depth: b"ZLIB" + zlib.compress(b"[" * depth + b"]" * depth)
        ),
    )


@pytest.mark.timeout(600)
def test_every_frame_to_the_echo_gets_one_answer_or_a_documented_close(
    server: ServerProcess, witness: Witness
) -> None:
    (echo,) = [e for e in endpoints(document(server)) if e.name == "echo"]
    stack = ExitStack()
    state = {"ws": open_endpoint(server, echo, stack)}
    assert json.loads(receive(state["ws"]))["action"] == "echo_connected"

    @FUZZ_SETTINGS
    @given(frames=st.lists(echo_frames(), min_size=1, max_size=4))
    def fuzz(frames: list[str | bytes]) -> None:
        ws = state["ws"]
        try:
            for frame in frames:
                ws.send(frame)
            ws.send("probe")
            answers = 0
            while True:
                raw = receive(ws)
                if isinstance(raw, bytes):
                    continue  # the bytes of a binary echo follow its description
                frame = json.loads(raw)
                if frame.get("payload", {}).get("text") == "System: probe":
                    break
                answers += 1
            assert answers == len(frames), frames
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
            if code not in DOCUMENTED_CLOSES:
                raise
            FIGURES.closes[echo.name] = FIGURES.closes.get(echo.name, 0) + 1
            state["ws"] = open_endpoint(server, echo, stack)
            assert json.loads(receive(state["ws"]))["action"] == "echo_connected"
        FIGURES.frames[echo.name] = FIGURES.frames.get(echo.name, 0) + len(frames)

    with stack:
        fuzz()
    assert witness.failure is None, witness.failure
    assert health(server) == 200


def health(server: ServerProcess) -> int:
    with urllib.request.urlopen(f"{server.http_url}/healthz", timeout=5) as reply:
        return int(reply.status)
